"""Staff pages: the inbox, a case, replies to the reporter, attachments, oral reports.
Every case is reached through ``case_get_for_user``, and its content only through the
doors of ``ombud.access.reading``, which write the read entry."""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Case as Choose
from django.db.models import Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from ombud.access.models import CaseReader, LadderLevel
from ombud.access.reading import (
    CaseLocked,
    CaseNotConfirmed,
    case_attachment_read,
    case_open_for_action,
    case_parties_read,
    case_read,
)
from ombud.access.routing import case_party_add, ladder
from ombud.access.selectors import (
    case_get_for_user,
    case_held_by,
    cases_for_user,
    cases_held_above,
    reading_permission,
)
from ombud.access.session import session_private_key
from ombud.access.standing import (
    case_assign,
    case_break_glass,
    case_confirm_no_conflict,
    case_recuse,
    investigator_assign,
    investigator_candidates,
    level_members,
)
from ombud.cases.models import Case, CaseLink, Category, Party, State, TimelineEvent
from ombud.cases.report import FILE_BYTES_MAX, FILES_MAX
from ombud.cases.services import case_link, case_note_add, message_to_reporter
from ombud.cases.workflow import OUTCOMES, SEVERITIES, case_transition, transitions_for
from ombud.deadlines.models import Deadline
from ombud.deadlines.selectors import deadline_figures
from ombud.deadlines.services import deadline_extend
from ombud.directory import roles
from ombud.directory.models import Person, User
from ombud.directory.selectors import user_has_role, user_roles
from ombud.intake.forms import (
    MessageForm,
    OralReportForm,
    report_from_forms,
)
from ombud.intake.models import Guidance
from ombud.intake.services import report_submit
from ombud.investigation.allegations import allegations_unfound
from ombud.navigation import opens, request_opens
from ombud.web.intake.views import (
    bound_forms,
    files_accepted,
    megabytes,
    report_form_step,
    typed_fields,
)

logger = logging.getLogger(__name__)


class ReplyForm(MessageForm):
    body = forms.CharField(
        label=gettext_lazy("Message to the reporter"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10_000,
    )


def _user(request: HttpRequest) -> User:
    if not isinstance(request.user, User):  # login_required runs first
        raise Http404
    return request.user


def _locked(request: HttpRequest, case: Case) -> HttpResponse:
    return render(request, "cases/locked.html", {"case": case}, status=409)


class InboxFilters(forms.Form):
    """The case list's filters: a GET form, so a filtered list is a link to keep."""

    ref = forms.CharField(label=gettext_lazy("Reference"), required=False, max_length=30)
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("About"), required=False)
    level = forms.ChoiceField(label=gettext_lazy("Level"), required=False)

    def __init__(self, *args: Any, levels: list[LadderLevel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: dict[str, list[tuple[str, Any]]] = {
            "state": [("", _("Any state")), *State.choices],
            "category": [("", _("Any category")), *Category.choices],
            "level": [("", _("Any level"))]
            + [(level.role.code, _(level.role.name)) for level in levels],
        }
        for name, offered in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
            field.choices = offered

    def apply(self, cases: QuerySet[Case]) -> QuerySet[Case]:
        wanted = self.cleaned_data if self.is_bound else {}
        if wanted.get("ref", "").strip():
            cases = cases.filter(ref__icontains=wanted["ref"].strip())
        if wanted.get("state"):
            cases = cases.filter(state=wanted["state"])
        if wanted.get("category"):
            cases = cases.filter(category=wanted["category"])
        if wanted.get("level"):
            cases = cases.filter(level__role__code=wanted["level"])
        return cases


INBOX_PAGE = 50  # cases on one page of the list
# What the list never shows: the sealed records and keys, left in the database.
SEALED = (
    "public_key",
    "encrypted_private_key",
    "reporter_contact",
    "report",
    "named",
    "reporter_sealed_key",
)
HELD_ABOVE_SHOWN = 50  # cases listed as handled below her level


def _moment(micros: int) -> datetime.datetime:
    return datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
        microseconds=micros
    )


def _micros(moment: datetime.datetime) -> int:
    return (moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)) // datetime.timedelta(
        microseconds=1
    )


@dataclass(frozen=True)
class _InboxKey:
    """Where a page of the case list ends: the last row's place in the list's order,
    as it travels in the query string ("1.-.1764000000000000.42")."""

    top: int
    next_due: datetime.datetime | None
    created_at: datetime.datetime
    pk: int

    @classmethod
    def of(cls, case: Case) -> _InboxKey:
        return cls(case.top_first, case.next_due, case.created_at, case.pk)

    @classmethod
    def parse(cls, text: str) -> _InboxKey | None:
        """The key, or None for a missing or mangled one (the first page)."""
        parts = text.split(".")
        try:
            top, due, created, pk = parts
            return cls(
                int(top),
                None if due == "-" else _moment(int(due)),
                _moment(int(created)),
                int(pk),
            )
        except (ValueError, OverflowError):
            return None

    def encoded(self) -> str:
        due = "-" if self.next_due is None else str(_micros(self.next_due))
        return f"{self.top}.{due}.{_micros(self.created_at)}.{self.pk}"

    def following(self) -> Q:
        """The rows after this one in the order (-top, undated, next_due, created, pk)."""
        later = Q(created_at__gt=self.created_at) | Q(created_at=self.created_at, pk__gt=self.pk)
        if self.next_due is None:
            # (created_at >= the key's, redundant, lets the index start at the key.)
            same_top = Q(undated=1, created_at__gte=self.created_at) & later
        else:
            same_top = (
                Q(undated=0, next_due__gt=self.next_due)
                | Q(undated=1)
                | (Q(undated=0, next_due=self.next_due) & later)
            )
        if self.top <= 0:  # top_first is 0 or 1: nothing ranks below 0
            return Q(top_first=self.top) & same_top
        return Q(top_first__lt=self.top) | (Q(top_first=self.top) & same_top)


# The staff API pages its case list the same way (ombud.api.staff).
InboxKey = _InboxKey


@login_required
@require_http_methods(["GET"])
def inbox(request: HttpRequest) -> HttpResponse:
    """Her cases: those at the top of the ladder first, then the overdue, then by the
    next deadline, a page at a time. The same queries whatever her number of cases."""
    user = _user(request)
    codes = user_roles(user=user)
    levels = ladder()
    allowed = request_opens(request, opens(codes, {level.role.code for level in levels}))
    now = timezone.now()
    mine = cases_for_user(user, narrow=True)
    filters = InboxFilters(request.GET or None, levels=levels)
    filters.is_valid()  # an unknown value is shown as an error; the others still apply
    # The order is (top of the ladder, next deadline, received), stored columns read
    # from one index (case_list_order); the overdue come before the others at the same
    # rung because their next deadline is earlier. A page starts after the last row
    # of the one before (a keyset, no OFFSET).
    cases = (
        filters.apply(mine)
        .defer(*SEALED)
        .annotate(overdue_first=Choose(When(next_due__lt=now, then=Value(1)), default=Value(0)))
        .order_by("-top_first", "undated", "next_due", "created_at", "pk")
    )
    after = _InboxKey.parse(request.GET.get("after", ""))
    if after is not None:
        cases = cases.filter(after.following())
    shown = list(cases[: INBOX_PAGE + 1])
    more = len(shown) > INBOX_PAGE
    shown = shown[:INBOX_PAGE]
    # Counted among the few rows either figure needs, found by their indexes (not
    # every case she may read).
    # (Two counts, each from its own index: SQLite reads every case for the OR of both.)
    figures = {
        "at_top": mine.filter(top_first=1).count(),
        "overdue": mine.filter(next_due__lt=now).count(),
    }
    held_above = cases_held_above(user, limit=HELD_ABOVE_SHOWN + 1)
    return render(
        request,
        "cases/inbox.html",
        {
            "cases": shown,
            "next_key": _InboxKey.of(shown[-1]).encoded() if more else "",
            "later_page": after is not None,
            "now": now,
            "filters": filters,
            "filtered": filters.is_bound and any(filters.cleaned_data.values()),
            "figures": figures,
            "has_cases": allowed.cases,
            "held_above": held_above[:HELD_ABOVE_SHOWN],
            "held_above_more": len(held_above) > HELD_ABOVE_SHOWN,
            "may_take_oral": allowed.oral,
            "sees_break_glass": roles.HEAD_OF_ETHICS in codes,
        },
    )


def _readable(request: HttpRequest, public_id: str) -> tuple[Case, bytes] | HttpResponse:
    """The case and its key, to act on it, for someone who may read it now and has
    confirmed having no conflict; otherwise the page to go to instead."""
    try:
        return case_open_for_action(
            user=_user(request), public_id=public_id, private=session_private_key(request)
        )
    except CaseNotConfirmed as refused:
        return redirect("cases:detail", public_id=refused.case.public_id)
    except CaseLocked as refused:
        return _locked(request, refused.case)


def _confirm_page(
    request: HttpRequest, public_id: str, error: str = "", status: int = 200
) -> HttpResponse:
    """Before she says whether she is conflicted: who the case involves and what it is
    about, and nothing else of it (the names are a read of their own)."""
    parties = case_parties_read(
        user=_user(request), public_id=public_id, private=session_private_key(request)
    )
    return render(
        request,
        "cases/confirm.html",
        {
            "case": parties.case,
            "people": parties.people,
            "complete": parties.complete,
            "checked": parties.checked,
            "error": error,
        },
        status=status,
    )


def _case_page(
    request: HttpRequest,
    public_id: str,
    reply: forms.Form,
    status: int = 200,
    transition_errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    """The case page, whatever brought her to it: its content comes only with its
    read entry."""
    try:
        reading = case_read(
            user=_user(request), public_id=public_id, private=session_private_key(request)
        )
    except CaseNotConfirmed as refused:
        # Recusal first: nothing but who the case involves before she says she has no
        # conflict.
        return _confirm_page(request, refused.case.public_id)
    except CaseLocked as refused:
        return _locked(request, refused.case)
    case, content = reading.case, reading.content
    # A report through the API may name someone by employee id alone: staff see the name.
    unnamed = {item.employee_id for item in content.report.accused if not item.name}
    if unnamed:
        names = dict(
            Person.objects.filter(employee_id__in=unnamed).values_list("employee_id", "name")
        )
        for item in content.report.accused:
            item.name = item.name or names.get(item.employee_id, item.employee_id)
    return render(
        request,
        "cases/case.html",
        {
            "case": case,
            "content": content,
            "reply": reply,
            "notes": reading.notes,
            "links": CaseLink.objects.filter(case=case).select_related("other"),
            "linked_from": CaseLink.objects.filter(other=case).select_related("case"),
            "standings": CaseReader.objects.filter(
                case=case,
                standing__in=[CaseReader.Standing.ASSIGNED, CaseReader.Standing.INVESTIGATOR],
            ).select_related("user__person"),
            "level_members": level_members(case),
            "investigators": investigator_candidates(case),
            "parties": Party.objects.filter(case=case).select_related("person"),
            "transitions": transitions_for(
                case, reading_permission(user=_user(request), case=case)
            ),
            "transition_errors": transition_errors or {},
            "typed": request.POST if transition_errors else {},
            "severities": SEVERITIES,
            "outcomes": OUTCOMES,
            "categories": Category.choices,
            "deadlines": Deadline.objects.filter(case=case).order_by("due_at"),
            # Closing asks why no finding is possible while any is without one.
            "unfound_allegations": allegations_unfound(case=case).count(),
            "timeline_days": _by_day(content.timeline),
        },
        status=status,
    )


def _by_day(events: list[TimelineEvent]) -> list[tuple[datetime.date, list[TimelineEvent]]]:
    """The timeline's events under their day (in the organisation's time zone), so the
    date is read once per day rather than on every line."""
    return [
        (day, list(group))
        for day, group in groupby(events, key=lambda event: timezone.localtime(event.at).date())
    ]


@login_required
@require_http_methods(["GET"])
def case_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    return _case_page(request, public_id, ReplyForm())


@login_required
@require_POST
def case_standing(request: HttpRequest, public_id: str) -> HttpResponse:
    """Confirm having no conflict, or recuse (and lose the key)."""
    user = _user(request)
    case = case_get_for_user(user=user, public_id=public_id)
    if request.POST.get("action") == "recuse":
        if request.POST.get("conflict") != "yes":
            # Recusing cannot be undone: it takes the box ticked as well as the button.
            return _confirm_page(
                request,
                case.public_id,
                error=_("Tick “I confirm I have a conflict” to recuse yourself."),
                status=400,
            )
        case_recuse(actor=user, case=case)
        messages.success(request, _("You recused yourself. You no longer hold this case's key."))
        return redirect("cases:inbox")
    if request.POST.get("action") == "confirm":
        case_confirm_no_conflict(actor=user, case=case)
    return redirect("cases:detail", public_id=case.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def case_break_glass_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """A member of a higher level opens a case early, with a written reason."""
    user = _user(request)
    case = case_held_by(user=user, public_id=public_id)
    error = ""
    if request.method == "POST":
        try:
            case_break_glass(
                actor=user, case=case, justification=request.POST.get("justification", "")
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("cases:detail", public_id=case.public_id)
    return render(
        request,
        "cases/break_glass.html",
        {"case": case, "error": error, "justification": request.POST.get("justification", "")},
        status=400 if error else 200,
    )


@login_required
@require_http_methods(["GET"])
def overview(request: HttpRequest) -> HttpResponse:
    """For the heads (ethics, legal, board): how deadlines are kept, in numbers only."""
    heads = {roles.HEAD_OF_ETHICS, roles.GENERAL_COUNSEL, roles.BOARD_COMMITTEE}
    if not heads & user_roles(user=_user(request)):
        raise Http404
    return render(request, "cases/overview.html", {"figures": deadline_figures(timezone.now())})


@login_required
@require_http_methods(["GET"])
def break_glass_log(request: HttpRequest) -> HttpResponse:
    """For the head of ethics: every case opened early, by whom, and why."""
    if not user_has_role(user=_user(request), role=roles.HEAD_OF_ETHICS):
        raise Http404
    records = CaseReader.objects.filter(standing=CaseReader.Standing.BREAK_GLASS).select_related(
        "case", "user__person"
    )
    return render(request, "cases/break_glass_log.html", {"records": records.order_by("-at")})


@login_required
@require_POST
def case_note(request: HttpRequest, public_id: str) -> HttpResponse:
    opened = _readable(request, public_id)
    if isinstance(opened, HttpResponse):
        return opened
    case, case_key = opened
    body = request.POST.get("body", "").strip()
    if not body or len(body) > 10_000:
        messages.error(request, _("A note needs text (at most 10,000 characters)."))
    else:
        case_note_add(actor=_user(request), case=case, case_key=case_key, body=body)
        messages.success(request, _("Note added. Only the case's readers see it."))
    return redirect("cases:detail", public_id=case.public_id)


@login_required
@require_POST
def case_link_view(request: HttpRequest, public_id: str) -> HttpResponse:
    opened = _readable(request, public_id)
    if isinstance(opened, HttpResponse):
        return opened
    case, _key = opened
    user = _user(request)
    other = cases_for_user(user).filter(ref=request.POST.get("other", "").strip().upper()).first()
    kind = request.POST.get("kind", CaseLink.Kind.RELATED)
    if other is None or other.pk == case.pk or kind not in CaseLink.Kind.values:
        messages.error(request, _("Link only to another case you may read, by its reference."))
    else:
        case_link(actor=user, case=case, other=other, kind=kind)
    return redirect("cases:detail", public_id=case.public_id)


@login_required
@require_POST
def case_transition_view(request: HttpRequest, public_id: str) -> HttpResponse:
    opened = _readable(request, public_id)
    if isinstance(opened, HttpResponse):
        return opened
    case, case_key = opened
    user = _user(request)
    try:
        version = int(request.POST.get("version", "0"))
    except ValueError:
        version = 0
    try:
        case_transition(
            actor=user,
            case=case,
            name=request.POST.get("name", ""),
            version=version,
            permission=reading_permission(user=user, case=case),
            case_key=case_key,
            message=request.POST.get("message", ""),
            severity=request.POST.get("severity", ""),
            category=request.POST.get("category", ""),
            plan=request.POST.get("plan", ""),
            outcome=request.POST.get("outcome", ""),
            reason=request.POST.get("reason", ""),
            no_finding_reason=request.POST.get("no_finding_reason", ""),
        )
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"general": exc.messages}
        return _case_page(request, case.public_id, ReplyForm(), 400, transition_errors=errors)
    messages.success(  # case_transition refreshed the case: its new state
        request,
        _("Done: the case is now “%(state)s”. The reporter sees it on her page.")
        % {"state": case.get_state_display()},
    )
    return redirect("cases:detail", public_id=case.public_id)


@login_required
@require_POST
def case_extend_view(request: HttpRequest, public_id: str) -> HttpResponse:
    opened = _readable(request, public_id)
    if isinstance(opened, HttpResponse):
        return opened
    case, case_key = opened
    user = _user(request)
    try:
        if reading_permission(user=user, case=case) != "level":
            raise ValidationError(_("Only the case's current level may do this."))
        try:
            days = int(request.POST.get("days", ""))
        except ValueError:
            raise ValidationError(_("Extend by 1 to 90 days.")) from None
        deadline_extend(
            actor=user,
            case=case,
            case_key=case_key,
            name=request.POST.get("deadline", ""),
            days=days,
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("Extended. The reporter sees the new date and why."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("cases:detail", public_id=case.public_id)


@login_required
@require_POST
def case_party_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """Link a person the report names (accused, witness, told before) to the directory."""
    opened = _readable(request, public_id)
    if isinstance(opened, HttpResponse):
        return opened
    case, case_key = opened
    if reading_permission(user=_user(request), case=case) not in ("level", "investigator"):
        messages.error(request, _("Only the case's current level and investigators do this."))
        return redirect("cases:detail", public_id=case.public_id)
    wanted = request.POST.get("person", "").strip()
    person = Person.objects.filter(Q(employee_id=wanted) | Q(email__iexact=wanted)).first()
    role = request.POST.get("role", "")
    if person is None or role not in Party.Role.values:
        messages.error(
            request, _("Give the person's employee number or work e-mail, and their part.")
        )
        return redirect("cases:detail", public_id=case.public_id)
    case_party_add(actor=_user(request), case=case, case_key=case_key, person=person, role=role)
    messages.success(request, _("Linked. Conflicts of interest were checked again."))
    if not cases_for_user(_user(request)).filter(pk=case.pk).exists():
        return redirect("cases:inbox")  # the case moved on without her
    return redirect("cases:detail", public_id=case.public_id)


@login_required
@require_POST
def case_assign_view(request: HttpRequest, public_id: str) -> HttpResponse:
    opened = _readable(request, public_id)
    if isinstance(opened, HttpResponse):
        return opened
    case, case_key = opened
    user = _user(request)
    chosen = User.objects.filter(username=request.POST.get("user", "")).first()
    try:
        if reading_permission(user=user, case=case) != "level":
            raise ValidationError(_("Only the case's current level assigns it."))
        if chosen is None:
            raise ValidationError(_("Choose a person."))
        if request.POST.get("as") == "investigator":
            investigator_assign(actor=user, case=case, case_key=case_key, user=chosen)
        else:
            case_assign(actor=user, case=case, user=chosen)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("cases:detail", public_id=case.public_id)


@login_required
@require_POST
def case_reply(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    opened = _readable(request, public_id)
    if isinstance(opened, HttpResponse):
        return opened
    case, case_key = opened
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case.public_id, form, status=400)
    message_to_reporter(actor=user, case=case, case_key=case_key, body=form.cleaned_data["body"])
    messages.success(request, _("Sent. The reporter sees it on her page."))
    return redirect("cases:detail", public_id=case.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def case_attachment(request: HttpRequest, public_id: str, attachment_id: uuid.UUID) -> HttpResponse:
    """The copy without metadata; the original only on request (POST), audited."""
    original = request.method == "POST"
    try:
        view, data = case_attachment_read(
            user=_user(request),
            public_id=public_id,
            private=session_private_key(request),
            attachment_id=attachment_id,
            original=original,
        )
    except CaseNotConfirmed as refused:
        return redirect("cases:detail", public_id=refused.case.public_id)
    except CaseLocked as refused:
        return _locked(request, refused.case)
    response = HttpResponse(data, content_type=view.mime)
    name = ("original-" if original else "") + view.name
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + _quote(name)
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@sensitive_post_parameters()
@sensitive_variables()
@login_required
@require_http_methods(["GET", "POST"])
def oral_report(request: HttpRequest) -> HttpResponse:
    """A report received by phone, in a meeting or by letter, typed by a handler."""
    user = _user(request)
    if not user_has_role(user=user, role=roles.HANDLER):
        raise Http404
    extra: dict[str, object] = {"show_errors": False}
    file_errors: list[str] = []
    if request.method == "GET":
        form, accused, prior = bound_forms(None, OralReportForm)
        fields: dict[str, list[str]] = {}
    else:
        fields, action, extra = report_form_step(request, typed_fields(request), staff=True)
        form, accused, prior = bound_forms(fields, OralReportForm)
        files, file_errors = files_accepted(request)
        extra["show_errors"] = action == "save"
        valid = form.is_valid() and accused.is_valid() and prior.is_valid()
        if action == "save" and valid and not file_errors:
            report = report_from_forms(form, accused, prior, received_by=user.display_name())
            try:
                submitted = report_submit(
                    actor=user, report=report, files=files, channel=form.cleaned_data["channel"]
                )
            except Exception as exc:  # nothing was stored; the form keeps what was typed
                logger.error("an oral report could not be stored: %s", type(exc).__name__)
                extra["error"] = _(
                    "The report could not be saved just now; nothing was stored. "
                    "Everything typed is below: try again in a moment."
                )
            else:
                return render(
                    request,
                    "intake/receipt.html",
                    {"submitted": submitted, "guidance": Guidance.current(), "oral": True},
                    status=201,
                )
        if file_errors:
            file_errors.append(_("Files are not kept between steps here: add them again."))
    return render(
        request,
        "cases/oral.html",
        {
            "form": form,
            "accused": accused,
            "prior": prior,
            "file_errors": file_errors,
            "files_max": FILES_MAX,
            "file_mb_max": megabytes(FILE_BYTES_MAX),
            "find": (fields.get("find") or [""])[0],
            **extra,
        },
        status=503 if extra.get("error") else 400 if extra.get("show_errors") else 200,
    )
