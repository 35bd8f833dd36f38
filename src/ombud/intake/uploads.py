"""Uploads stay in memory: Django's default writes large uploads to a temporary file
in clear, and a reporter's file must never touch the disk unencrypted. A file over
the limit is not kept at all (its size is still counted), so the form can say it
was too large and keep everything else that was typed. Nor is a file that would
take the files of one request past `draft_bytes_max`: one request holds at most
that much in memory, whatever the number of files."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers

from ombud.cases.report import FILE_BYTES_MAX
from ombud.intake.attachments import MEGABYTE, Limits


def draft_bytes_max() -> int:
    """How many bytes the files of one draft (or of one message) may add up to."""
    return int(settings.OMBUD_DRAFT_FILES_MB) * MEGABYTE


def cleaning_limits() -> Limits:
    """What cleaning one file may use, from the OMBUD_IMAGE_MEGAPIXELS and
    OMBUD_CLEANER_* settings."""
    return Limits(
        pixels=int(settings.OMBUD_IMAGE_MEGAPIXELS) * 1_000_000,
        memory=int(settings.OMBUD_CLEANER_MEMORY_MIB) * MEGABYTE,
        seconds=float(settings.OMBUD_CLEANER_SECONDS),
    )


class MemoryOnlyUploadHandler(FileUploadHandler):
    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.kept_in_request = 0  # bytes of the earlier files of this request still held

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file = BytesIO()
        self.too_large = False
        self.over_budget = False
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.too_large or self.over_budget:
            return
        if start + len(raw_data) > FILE_BYTES_MAX:
            self.too_large = True
        elif self.kept_in_request + start + len(raw_data) > draft_bytes_max():
            self.over_budget = True
        else:
            self.file.write(raw_data)
            return
        self.file = BytesIO()  # drop what was kept: it will not be used

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.file.seek(0)
        if not (self.too_large or self.over_budget):
            self.kept_in_request += file_size
        uploaded = InMemoryUploadedFile(
            file=self.file,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
        uploaded.too_large = self.too_large  # type: ignore[attr-defined]
        uploaded.over_budget = self.over_budget  # type: ignore[attr-defined]
        return uploaded
