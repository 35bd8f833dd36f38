"""The auditors' pages: the log (never content), its verification, an export, and
who looked at a case, when, under which permission."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from ombud.audit.models import AuditEntry
from ombud.audit.selectors import audit_entries, audit_verify
from ombud.audit.services import audit_record, public_key
from ombud.cases.models import Case
from ombud.directory.models import User
from ombud.web.audit.forms import AuditFilter
from ombud.web.audit.permissions import may_read_audit_log
from ombud.web.audit.sentences import PERMISSIONS, describe

# What counts as looking at a case, for "who looked at this case".
LOOKING = {
    "cases.case.read": _("read the report"),
    "cases.parties.read": _("read who the case names"),
    "cases.attachment.opened": _("opened a file"),
    "cases.attachment.original_opened": _("opened an original file"),
    "investigation.case.read": _("read the investigation"),
    "investigation.outcome.read": _("read the written outcome"),
    "investigation.rights.read": _("read the accused's appeals and requests"),
    "investigation.allegations.read": _("read the allegations and findings"),
    "investigation.minutes.read": _("read the minutes"),
    "investigation.evidence.listed": _("read the list of evidence"),
    "investigation.evidence.viewed": _("viewed an item of evidence"),
    "investigation.evidence.downloaded": _("downloaded an item of evidence"),
    "investigation.evidence.exported": _("exported the evidence"),
    "investigation.measures.read": _("read the interim measures"),
    "access.case.break_glass": _("opened early (break-glass)"),
    "access.recovery_key.used": _("recovery ceremony"),
}
# The log's filter, as named in the query string.
FILTERS = ("actor", "action", "case", "since", "until")


def _auditor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not may_read_audit_log(user):
        raise Http404
    return user


LOG_PAGE = 50  # entries on one page of the log


def _seq(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


@dataclass(frozen=True)
class _Page:
    """One page of the log, newest first, found by its entries' numbers (a keyset:
    no OFFSET, no count of the whole log). ``older`` and ``newer`` are the numbers
    the links to the next pages carry, or None where there are no more."""

    entries: list[AuditEntry]
    older: int | None
    newer: int | None

    @classmethod
    def of(cls, entries: QuerySet[AuditEntry], *, before: int | None, after: int | None) -> _Page:
        if after is not None and before is None:  # going back towards the newest
            rows = list(entries.filter(seq__gt=after).order_by("seq")[: LOG_PAGE + 1])
            more = len(rows) > LOG_PAGE
            rows = rows[:LOG_PAGE][::-1]
            return cls(
                rows, older=rows[-1].seq if rows else None, newer=rows[0].seq if more else None
            )
        if before is not None:
            entries = entries.filter(seq__lt=before)
        rows = list(entries[: LOG_PAGE + 1])
        more = len(rows) > LOG_PAGE
        rows = rows[:LOG_PAGE]
        return cls(
            rows,
            older=rows[-1].seq if more else None,
            newer=rows[0].seq if rows and before is not None else None,
        )


@login_required
@require_http_methods(["GET"])
def log(request: HttpRequest) -> HttpResponse:
    """The log as sentences, newest first, narrowed by who, what, case and days."""
    _auditor(request)
    users = list(User.objects.select_related("person").order_by("username"))
    filtering = any(request.GET.get(name) for name in FILTERS)
    form = AuditFilter(request.GET if filtering else None, users=users)
    page = None
    if not filtering or form.is_valid():
        filters = form.cleaned_data if filtering else {}
        entries = audit_entries(
            actor=filters.get("actor", ""),
            action=filters.get("action", ""),
            case_id=form.case_found.pk if form.case_found else None,
            since=filters.get("since"),
            until=filters.get("until"),
        )
        page = _Page.of(entries, before=_seq(request, "before"), after=_seq(request, "after"))
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "page": page,
            "rows": describe(page.entries, users=users) if page else [],
            "case": form.case_found,
            "filtering": filtering,
        },
        status=200 if page is not None else 400,
    )


@login_required
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    auditor = _auditor(request)
    # In this process: a web worker (threads, open connections) is no place to fork.
    result = audit_verify(public_key=public_key(), workers=0)
    audit_record(
        actor=auditor,
        action="audit.verified",
        object_type="audit",
        details={"ok": result.ok, "entries": result.entries, "checkpoints": result.checkpoints},
    )
    return render(request, "audit/verified.html", {"result": result}, status=200)


@login_required
@require_http_methods(["GET"])
def export(request: HttpRequest) -> StreamingHttpResponse:
    auditor = _auditor(request)
    audit_record(actor=auditor, action="audit.exported", object_type="audit", details={})

    def lines() -> Iterator[str]:
        for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
            yield (
                json.dumps(
                    {
                        "seq": entry.seq,
                        "at": entry.at.isoformat(),
                        "actor": entry.actor,
                        "action": entry.action,
                        "object_type": entry.object_type,
                        "object_id": entry.object_id,
                        "details": json.loads(entry.details),
                        "prev_hash": entry.prev_hash,
                        "hash": entry.hash,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )

    response = StreamingHttpResponse(lines(), content_type="application/x-ndjson")
    response["Content-Disposition"] = 'attachment; filename="ombud-audit.jsonl"'
    return response


@login_required
@require_http_methods(["GET"])
def case_access(request: HttpRequest, ref: str) -> HttpResponse:
    """Who looked at this case, when, and under which permission (never its content)."""
    _auditor(request)
    case = Case.objects.filter(ref=ref).first()
    if case is None:
        raise Http404
    rows = describe(audit_entries(case_id=case.pk).order_by("seq"))
    looked = [
        {
            "row": row,
            "looked": LOOKING[row.entry.action],
            "permission": PERMISSIONS.get(row.details.get("permission", ""), ""),
        }
        for row in rows
        if row.entry.action in LOOKING
    ]
    return render(request, "audit/case_access.html", {"case": case, "rows": rows, "looked": looked})
