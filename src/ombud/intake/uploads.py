"""Uploads stay in memory: Django's default writes large uploads to a temporary file
in clear, and a reporter's file must never touch the disk unencrypted. A file over
the limit is not kept at all (its size is still counted), so the form can say it
was too large and keep everything else that was typed."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers

from ombud.intake.report import FILE_BYTES_MAX


class MemoryOnlyUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file = BytesIO()
        self.too_large = False
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.too_large or start + len(raw_data) > FILE_BYTES_MAX:
            self.too_large = True
            self.file = BytesIO()  # drop what was kept: it will not be used
            return
        self.file.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.file.seek(0)
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
        return uploaded
