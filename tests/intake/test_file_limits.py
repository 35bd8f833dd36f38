"""Files cannot exhaust the server: pictures are capped in pixels before they are
decoded, cleaning runs in a confined child that fails one file and never the web
process, and the files of one draft are capped in bytes.

Every picture here is real (a PNG written row by row with zlib, JPEGs by Pillow),
every child is a real process with real limits: no mocks.
"""

from __future__ import annotations

import html
import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from django.test import Client
from PIL import ExifTags, Image

from ombud import config
from ombud.cases.models import Case
from ombud.cases.report import FILE_BYTES_MAX
from ombud.intake import attachments
from ombud.intake.attachments import AttachmentRefused, Limits, accept
from ombud.intake.models import DraftFile
from ombud.intake.uploads import cleaning_limits
from tests.intake.helpers import report_fields

pytestmark = pytest.mark.usefixtures("recovery_shares")

MB = 1024 * 1024
NEW = "/report/new/"


def png_bomb(width: int, height: int) -> bytes:
    """A real PNG of `width` x `height` black pixels, compressed row by row: a few
    hundred kilobytes that decode to three bytes a pixel."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    packer = zlib.compressobj(9)
    row = bytes(1 + 3 * width)  # filter byte 0, then the row's pixels
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", header), chunk(b"IDAT", body), chunk(b"IEND", b""))
    )


def photo_40mp() -> bytes:
    """A 40-megapixel JPEG (8000 x 5000) as a camera writes it: EXIF with a GPS position."""
    shade = Image.linear_gradient("L").resize((8000, 5000))
    picture = Image.merge("RGB", (shade, shade.transpose(Image.Transpose.FLIP_LEFT_RIGHT), shade))
    del shade
    picture.paste((220, 20, 20), (0, 0, 400, 400))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Fjordcam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (59.0, 54.0, 36.0)
    gps[ExifTags.GPS.GPSMapDatum] = "WGS-84"
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def cleaners_running() -> list[int]:
    """This process's children that are cleaning a file."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"attachments.py" in cmdline:
            found.append(int(stat.parent.name))
    return found


# --- pictures ------------------------------------------------------------------------


def test_a_decompression_bomb_is_refused_by_name_and_the_rest_of_the_draft_is_kept(cast):
    bomb = png_bomb(9000, 9000)  # 81 megapixels: under Pillow's own limit, about 1 GB to clean
    assert len(bomb) < 300_000
    client = Client()

    page = client.post(
        NEW,
        {
            **report_fields(),
            "action": "review",
            "files": [upload("bomb.png", bomb), upload("notes.txt", b"What I saw.\n")],
        },
    )

    assert page.status_code == 400
    text = page.content.decode()
    assert (
        "The picture in “bomb.png” is too large to open: send a copy at a lower resolution." in text
    )
    assert "notes.txt" in text and "Stock room, Ferndale depot" in text
    assert DraftFile.objects.count() == 1  # the text file; the bomb is not kept
    # The same process goes on: the report is sent with what was kept.
    assert client.post(NEW, {**report_fields(), "action": "review"}).status_code == 302
    assert client.post("/report/review/", {"action": "submit"}).status_code == 201
    assert Case.objects.get().attachments.count() == 1


def test_a_40_megapixel_photo_is_cleaned_within_the_stated_limits(settings):
    photo = photo_40mp()
    assert b"WGS-84" in photo and len(photo) <= FILE_BYTES_MAX
    limits = cleaning_limits()
    assert limits == Limits()  # the settings' defaults are the module's
    assert limits.pixels == 40_000_000 and limits.memory == 768 * MB

    accepted = accept(photo, "IMG_0001.jpg", max_bytes=FILE_BYTES_MAX, limits=limits)

    assert accepted.original == photo
    assert b"WGS-84" not in accepted.stripped and b"Exif" not in accepted.stripped
    with Image.open(io.BytesIO(accepted.stripped)) as copy:
        assert copy.size == (8000, 5000)
        assert not copy.getexif()


def test_a_picture_that_needs_more_memory_than_the_cleaner_may_use_fails_that_file_alone(
    cast, settings
):
    # Forty megapixels of black: under the pixel limit, but 120 MB a copy to decode.
    heavy = png_bomb(8000, 5000)
    settings.OMBUD_CLEANER_MEMORY_MIB = 200  # less than two copies and the interpreter
    client = Client()

    page = client.post(
        NEW,
        {
            **report_fields(),
            "action": "review",
            "files": [upload("heavy.png", heavy), upload("small.png", png_bomb(64, 48))],
        },
    )

    assert page.status_code == 400
    assert (
        "“heavy.png” needs more memory or time to open than we allow: send a smaller copy, "
        "such as a photo at a lower resolution or a PDF in several parts."
    ) in page.content.decode()
    assert DraftFile.objects.count() == 1  # small.png, cleaned by the next child
    assert cleaners_running() == []
    # Within the default limit the same picture is cleaned.
    settings.OMBUD_CLEANER_MEMORY_MIB = 768
    assert accept(heavy, "heavy.png", max_bytes=FILE_BYTES_MAX, limits=cleaning_limits())


def test_cleaning_that_outlasts_its_time_is_stopped_and_refused_by_name():
    with pytest.raises(AttachmentRefused) as refused:
        accept(png_bomb(2000, 2000), "slow.png", max_bytes=MB, limits=Limits(seconds=0.001))

    assert refused.value.message.startswith("“slow.png” needs more memory or time to open")
    assert cleaners_running() == []  # killed and reaped, not left behind


def test_when_every_cleaner_is_busy_a_file_waits_then_is_refused_by_name():
    held = [attachments._CLEANERS.acquire(timeout=5) for _ in range(attachments.CLEANERS_AT_ONCE)]
    assert all(held)
    try:
        with pytest.raises(AttachmentRefused) as refused:
            accept(png_bomb(64, 48), "late.png", max_bytes=MB, limits=Limits(seconds=0.2))
    finally:
        for _ in held:
            attachments._CLEANERS.release()

    assert refused.value.message.startswith("“late.png” could not be prepared just now")
    assert accept(png_bomb(64, 48), "late.png", max_bytes=MB)  # and once one is free, it is


def test_the_cleaner_can_write_no_file_dump_no_core_nor_pass_its_memory(tmp_path):
    # The child's own confinement, applied in a fresh interpreter as the child does.
    code = f"""
import ctypes, errno, importlib.util, json, resource, sys
spec = importlib.util.spec_from_file_location("cleaner", {str(attachments.__file__)!r})
module = sys.modules["cleaner"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
module._confine(256 * 1024 * 1024, 5)
seen = {{"as": resource.getrlimit(resource.RLIMIT_AS)[1],
        "cpu": resource.getrlimit(resource.RLIMIT_CPU)[0],
        "dumpable": ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)}}
try:
    with open({str(tmp_path / "clear.jpg")!r}, "wb") as handle:
        handle.write(b"the reporter's photo")
    seen["write"] = "written"
except OSError as error:
    seen["write"] = errno.errorcode[error.errno]
try:
    bytearray(512 * 1024 * 1024)
    seen["memory"] = "allocated"
except MemoryError:
    seen["memory"] = "refused"
print(json.dumps(seen))
"""
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )

    seen = json.loads(result.stdout)
    assert seen == {
        "as": 256 * MB,
        "cpu": 5,
        "dumpable": 0,
        "write": "EFBIG",
        "memory": "refused",
    }
    assert (tmp_path / "clear.jpg").read_bytes() == b""


# --- the files of one draft -------------------------------------------------------------


def test_files_past_the_draft_total_are_refused_by_name_and_the_rest_kept(cast):
    eight = b"line of notes\n" * (8 * MB // 14)
    client = Client()

    page = client.post(
        NEW,
        {
            **report_fields(),
            "action": "add_prior",
            "files": [upload(f"part{number}.txt", eight) for number in range(1, 5)],
        },
    )

    text = html.unescape(page.content.decode())
    assert (
        "“part4.txt” was not added: files sent together may add up to 30.0 MB, and with it "
        "they would make 32.0 MB. Send a smaller copy, or send it later from your report's page."
    ) in text
    assert DraftFile.objects.count() == 3
    assert "10.0 MB each, 5 files and 30.0 MB in all" in text  # said before she tries
    # The draft's total counts what is already in it.
    page = client.post(
        NEW,
        {**report_fields(), "action": "add_prior", "files": upload("more.txt", eight[: 7 * MB])},
    )
    assert "“more.txt” was not added: files sent together may add up to 30.0 MB" in (
        page.content.decode()
    )
    assert DraftFile.objects.count() == 3
    client.post(
        NEW,
        {**report_fields(), "action": "add_prior", "files": upload("last.txt", eight[: 5 * MB])},
    )
    assert DraftFile.objects.count() == 4


def test_the_draft_total_is_a_setting(cast, settings):
    settings.OMBUD_DRAFT_FILES_MB = 12
    page = Client().post(
        NEW,
        {
            **report_fields(),
            "action": "add_prior",
            "files": [upload("a.txt", b"a" * (7 * MB)), upload("b.txt", b"b" * (7 * MB))],
        },
    )

    assert "“b.txt” was not added: files sent together may add up to 12.0 MB" in (
        page.content.decode()
    )
    assert DraftFile.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "variable", "problem"),
    [
        ({"OMBUD_CLEANER_MEMORY_MIB": "300"}, "OMBUD_CLEANER_MEMORY_MIB", "too little"),
        (
            {"OMBUD_IMAGE_MEGAPIXELS": "100", "OMBUD_CLEANER_MEMORY_MIB": "900"},
            "OMBUD_CLEANER_MEMORY_MIB",
            "give at least 928",
        ),
        ({"OMBUD_IMAGE_MEGAPIXELS": "0"}, "OMBUD_IMAGE_MEGAPIXELS", "out of range"),
        ({"OMBUD_CLEANER_SECONDS": "soon"}, "OMBUD_CLEANER_SECONDS", "not a whole number"),
        ({"OMBUD_DRAFT_FILES_MB": "5"}, "OMBUD_DRAFT_FILES_MB", "out of range"),
    ],
)
def test_a_bad_file_limit_stops_start_up_naming_the_variable(tmp_path, values, variable, problem):
    with pytest.raises(config.ConfigError) as error:
        config.load({"OMBUD_DATA_DIR": str(tmp_path), **values})

    assert error.value.variable == variable
    assert problem in error.value.problem


def test_the_file_limits_default_to_what_is_documented(tmp_path):
    loaded = config.load({"OMBUD_DATA_DIR": str(tmp_path)})

    assert (loaded.image_megapixels, loaded.cleaner_memory_mib) == (40, 768)
    assert (loaded.cleaner_seconds, loaded.draft_files_mb) == (30, 30)


def test_the_api_refuses_files_past_the_request_total_by_name(cast):
    from ombud.cases.models import Attachment
    from tests.intake.test_api import _named, post, receipt_header, report

    receipt = post("/api/v1/reports", report()).json()["receipt"]
    eight = b"line of notes\n" * (8 * MB // 14)

    response = Client().post(
        "/api/v1/reporter/attachments",
        {"files": [_named(eight, f"part{number}.txt") for number in range(1, 5)]},
        **receipt_header(receipt),
    )

    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "files", 3] and problem["type"] == "too_large"
    assert problem["msg"].startswith("part4.txt: the files of one request may add up to")
    assert Attachment.objects.count() == 0
