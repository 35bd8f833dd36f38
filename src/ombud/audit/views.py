"""The auditors' pages: the log (never content), its verification, an export, and
who looked at a case, when, under which permission."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ombud.audit.models import AuditEntry
from ombud.audit.selectors import audit_verify
from ombud.audit.services import audit_record, public_key
from ombud.cases.models import Case
from ombud.directory import roles
from ombud.directory.models import User
from ombud.directory.selectors import user_has_role

# What counts as looking at a case, for "who looked at this case".
LOOKING = {
    "cases.case.read": gettext_lazy("read"),
    "cases.parties.read": gettext_lazy("read who the case names"),
    "cases.attachment.opened": gettext_lazy("opened a file"),
    "cases.attachment.original_opened": gettext_lazy("opened an original file"),
    "access.case.break_glass": gettext_lazy("opened early (break-glass)"),
    "access.recovery_key.used": gettext_lazy("recovery ceremony"),
}


def _auditor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user_has_role(user=user, role=roles.AUDITOR):
        raise Http404
    return user


@login_required
@require_http_methods(["GET"])
def log(request: HttpRequest) -> HttpResponse:
    _auditor(request)
    entries = AuditEntry.objects.order_by("-seq")
    action = request.GET.get("action", "").strip()
    if action:
        entries = entries.filter(action__startswith=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "audit/log.html", {"page": page, "action": action})


@login_required
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    auditor = _auditor(request)
    result = audit_verify(public_key=public_key())
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
    entries = AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk)).order_by(
        "seq"
    )
    rows = []
    for entry in entries:
        details = json.loads(entry.details)
        rows.append(
            {
                "entry": entry,
                "looked": LOOKING.get(entry.action, ""),
                "permission": details.get("permission", ""),
            }
        )
    return render(request, "audit/case_access.html", {"case": case, "rows": rows})
