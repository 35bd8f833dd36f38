"""Evidence pages: the list and the form to add an item, an item with its custody log
and the check of its file, its download, and the export of all items for an outside
authority (a zip with a manifest of SHA-256s). Every view, download and export is a
line of the item's custody log and a read entry, written together."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from typing import Any, TypeVar
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ombud.access.reading import (
    case_attachment_read,
    case_open_for_action,
)
from ombud.access.selectors import reading_permission
from ombud.access.session import session_private_key
from ombud.cases.models import Case
from ombud.cases.report import FILE_BYTES_MAX
from ombud.crypto.aead import DecryptionFailed
from ombud.intake.attachments import Accepted
from ombud.investigation.evidence import DESCRIPTION_MAX, SOURCE_MAX, evidence_add
from ombud.investigation.reading import (
    evidence_export_read,
    evidence_file_read,
    evidence_item_read,
    evidence_list_read,
)
from ombud.web.intake.views import files_accepted, megabytes
from ombud.web.investigation.common import WRITERS, staff_user, through_door

T = TypeVar("T")


class EvidenceForm(forms.Form):
    description = forms.CharField(
        label=gettext_lazy("What the item is"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=DESCRIPTION_MAX,
    )
    source = forms.CharField(
        label=gettext_lazy("Where it comes from (who gave it, or where it was found)"),
        max_length=SOURCE_MAX,
    )
    physical = forms.BooleanField(
        label=gettext_lazy("A physical item, without a file (kept elsewhere)"), required=False
    )


def _list_page(
    request: HttpRequest,
    public_id: str,
    form: EvidenceForm,
    *,
    file_errors: list[str] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = staff_user(request)
    opened = through_door(
        request,
        lambda: evidence_list_read(
            user=user, public_id=public_id, private=session_private_key(request)
        ),
    )
    if isinstance(opened, HttpResponse):
        return opened
    case, items = opened
    return render(
        request,
        "investigation/evidence_list.html",
        {
            "case": case,
            "items": items,
            "form": form,
            "file_errors": file_errors or [],
            "error": error,
            "may_add": reading_permission(user=user, case=case) in WRITERS,
            "file_mb_max": megabytes(FILE_BYTES_MAX),
        },
        status=status,
    )


def _for_action(request: HttpRequest, public_id: str) -> tuple[Case, bytes] | HttpResponse:
    user = staff_user(request)
    opened = through_door(
        request,
        lambda: case_open_for_action(
            user=user, public_id=public_id, private=session_private_key(request)
        ),
    )
    if isinstance(opened, HttpResponse):
        return opened
    if reading_permission(user=user, case=opened[0]) not in WRITERS:
        raise Http404  # readers only (break-glass): nothing to add here
    return opened


@login_required
@require_http_methods(["GET", "POST"])
def evidence_list(request: HttpRequest, public_id: str) -> HttpResponse:
    if request.method == "GET":
        return _list_page(request, public_id, EvidenceForm())
    if request.POST.get("attachment"):
        return _register_attachment(request, public_id)
    opened = _for_action(request, public_id)
    if isinstance(opened, HttpResponse):
        return opened
    case, case_key = opened
    form = EvidenceForm(request.POST)
    files, file_errors = files_accepted(request)
    if len(files) > 1:
        file_errors.append(_("Add one file per item: each gets its own description."))
    if form.is_valid() and not file_errors:
        try:
            item = evidence_add(
                actor=staff_user(request),
                case=case,
                case_key=case_key,
                description=form.cleaned_data["description"],
                source=form.cleaned_data["source"],
                upload=files[0] if files else None,
                physical=form.cleaned_data["physical"],
            )
        except ValidationError as refused:
            for name, errors in refused.message_dict.items():
                if name == "file":
                    file_errors += errors
                else:
                    form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("Added. Its SHA-256 was taken as it arrived."))
            return redirect("cases:evidence_item", public_id=case.public_id, evidence_id=item.id)
    if files or request.FILES:
        file_errors.append(_("Files are not kept when the form is shown again: choose it again."))
    return _list_page(request, public_id, form, file_errors=file_errors, status=400)


def _register_attachment(request: HttpRequest, public_id: str) -> HttpResponse:
    """One of the reporter's files made an item: its original, with the SHA-256 taken
    when it arrived (checked again now)."""
    try:
        attachment_id = uuid.UUID(request.POST.get("attachment", ""))
    except ValueError:
        raise Http404 from None
    opened = _for_action(request, public_id)
    if isinstance(opened, HttpResponse):
        return opened
    case, case_key = opened
    user = staff_user(request)
    try:
        view, data = case_attachment_read(
            user=user,
            public_id=public_id,
            private=session_private_key(request),
            attachment_id=attachment_id,
            original=True,
        )
    except DecryptionFailed:  # its stored copy was altered: nothing to register
        return _list_page(
            request,
            public_id,
            EvidenceForm(),
            error=_("The reporter's file does not open with the case key: it was not added."),
            status=409,
        )
    if hashlib.sha256(data).hexdigest() != view.sha256:
        return _list_page(
            request,
            public_id,
            EvidenceForm(),
            error=_(
                "“%(name)s” is no longer the file the reporter sent (its SHA-256 differs "
                "from the one taken when it arrived): it was not added."
            )
            % {"name": view.name},
            status=409,
        )
    source = (
        _("The reporter, with a message") if view.message_id else _("The reporter, with the report")
    )
    item = evidence_add(
        actor=user,
        case=case,
        case_key=case_key,
        description=request.POST.get("description", "").strip()
        or _("The reporter's file “%(name)s”") % {"name": view.name},
        source=request.POST.get("source", "").strip() or source,
        upload=Accepted(
            mime=view.mime,
            original=data,
            stripped=b"",
            sha256=view.sha256,
            size=view.size,
            name=view.name,
        ),
        attachment_id=attachment_id,
    )
    messages.success(request, _("The reporter's file is now an item of evidence."))
    return redirect("cases:evidence_item", public_id=case.public_id, evidence_id=item.id)


@login_required
@require_http_methods(["GET"])
def evidence_item(request: HttpRequest, public_id: str, evidence_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    reading = through_door(
        request,
        lambda: evidence_item_read(
            user=user,
            public_id=public_id,
            private=session_private_key(request),
            evidence_id=evidence_id,
        ),
    )
    if isinstance(reading, HttpResponse):
        return reading
    return render(
        request,
        "investigation/evidence_item.html",
        {
            "case": reading.case,
            "item": reading.item,
            "check": reading.check,
            "custody": reading.custody,
        },
    )


@login_required
@require_POST
def evidence_download(request: HttpRequest, public_id: str, evidence_id: uuid.UUID) -> HttpResponse:
    """The file as it arrived, once it passed its check; otherwise the alarm."""
    user = staff_user(request)
    got = through_door(
        request,
        lambda: evidence_file_read(
            user=user,
            public_id=public_id,
            private=session_private_key(request),
            evidence_id=evidence_id,
        ),
    )
    if isinstance(got, HttpResponse):
        return got
    if got.data is None:
        return render(
            request,
            "investigation/evidence_refused.html",
            {"public_id": public_id, "item": got.item, "check": got.check},
            status=409 if got.check.failed else 404,
        )
    response = HttpResponse(got.data, content_type=got.item.mime or "application/octet-stream")
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(
        got.item.name, safe=""
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def evidence_export(request: HttpRequest, public_id: str) -> HttpResponse:
    """Every item in one zip for an outside authority: each file as it arrived, and a
    manifest with each item's description, source, SHA-256 and check. A file that
    fails its check is left out, and the manifest says so."""
    user = staff_user(request)
    got = through_door(
        request,
        lambda: evidence_export_read(
            user=user, public_id=public_id, private=session_private_key(request)
        ),
    )
    if isinstance(got, HttpResponse):
        return got
    case, exported = got
    manifest: dict[str, Any] = {
        "case": case.ref,
        "exported_at": timezone.now().isoformat(),
        "exported_by": user.display_name(),
        "items": [],
    }
    out = io.BytesIO()
    # Stored, not compressed: the files are kept byte for byte, as the manifest says.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as bundle:
        for number, exported_file in enumerate(exported, start=1):
            item, check = exported_file.item, exported_file.check
            entry: dict[str, Any] = {
                "number": number,
                "id": str(item.id),
                "description": item.description,
                "source": item.source,
                "added_by": item.added_by,
                "added_at": item.created_at.isoformat(),
                "file": "",
                "sha256": item.sha256,
                "check": "failed: " + check.problem
                if check.failed
                else "passed"
                if check.checked
                else "no file",
            }
            if exported_file.data is not None:
                entry["file"] = f"{number:03d}-{item.name}"
                bundle.writestr(entry["file"], exported_file.data)
            manifest["items"].append(entry)
        bundle.writestr(
            "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode()
        )
        bundle.writestr("SHA256SUMS", _sums(manifest["items"]))
    response = HttpResponse(out.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{case.ref}-evidence.zip"'
    return response


def _sums(items: list[dict[str, Any]]) -> str:
    """The manifest's hashes as ``sha256sum -c`` reads them."""
    return "".join(f"{item['sha256']}  {item['file']}\n" for item in items if item["file"])
