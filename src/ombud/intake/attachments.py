"""A reporter's attachments: what we accept, and a copy without the metadata that gives her away.

A photo or a document can say more than the reporter meant to: a phone writes
the GPS position where a picture was taken, the camera's make, model and serial
number and the time; an office program writes the author's name, the company,
the program and the edit history into a PDF's document information and XMP
metadata, and a photo pasted into a PDF keeps its own EXIF inside it. Shown to
staff or shared with anyone, that can name the reporter.

What this protects against:

- Metadata leaking through staff views or sharing. `clean` makes the copy that
  staff see and that may be shared: a JPEG or PNG is decoded and re-encoded
  from its pixels alone (so EXIF with GPS and serial numbers, XMP, IPTC, ICC
  profiles, comments and PNG text chunks are all left behind), turned upright
  first so nobody needs the EXIF orientation. A PDF is rebuilt from its pages
  as they look: each page is rendered (PDFium) and the copy holds one picture
  per page and nothing else, so no document information, XMP, photo EXIF,
  embedded file, comment author, script, hidden layer or earlier revision can
  survive. The price: staff cannot select or search the copy's text (the
  original, opened through its audited action, still has it).
- A file that exhausts the server. Files are decoded only in a child process
  (`clean`), a fresh interpreter with an address-space limit
  (`Limits.memory`, RLIMIT_AS), a CPU limit and a wall-clock timeout, that may
  not write files or dump core. A decompression bomb, a decoder that loops or a
  PDF that asks for gigabytes fails that file with a clear refusal, never the
  web worker; at most `CLEANERS_AT_ONCE` children run per process. A picture
  of more than `Limits.pixels` pixels is refused from its header, before it is
  decoded, and so is a picture inside a PDF; a PDF of more than
  `PDF_PAGES_MAX` pages is refused.
- Leaks through the child. It gets the file's bytes through a pipe and the
  limits as arguments: no file name, no environment, no open descriptor, no
  copy of the web worker's memory (it is started anew, not forked), and it
  answers through a pipe. Nothing is written to disk in clear.
- Type confusion. The type is decided from the content (magic bytes), never
  from the file name or the content type the browser sent; only JPEG, PNG, PDF
  and UTF-8 plain text are accepted, and the display name is given the
  extension of the type it really has, so a text file called ``run.bat`` cannot
  be opened as a script by a member of staff who downloads it.

What it does not protect against:

- What the picture or document itself shows or says: a face, a reflection, a
  badge, a name in the text, a printer's tracking dots, a writing style.
- Steganography or watermarks hidden in the pixels or the page content (such
  as a document tracked with a per-recipient mark).
- Metadata written in a plain text file (a signature, an e-mail header): text
  is kept exactly as sent.
- A decoder flaw that lets a file take over the child: the child could then
  answer with anything, and its answer is trusted as the copy. The limits
  still bound what it can use, and it holds nothing but that one file.

The original is kept byte for byte (with its SHA-256) as evidence; only the
cleaned copy is for viewing. This module imports no Django and reads no
settings: limits are arguments, and refusals are `AttachmentRefused` with a
sentence a reporter can act on.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import subprocess
import sys
import threading
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from PIL import Image, ImageChops, ImageCms, ImageOps

if TYPE_CHECKING:  # imported where a PDF is cleaned: the web process never needs them
    import pikepdf
    import pypdfium2 as pdfium

logger = logging.getLogger(__name__)

JPEG: Final = "image/jpeg"
PNG: Final = "image/png"
PDF: Final = "application/pdf"
TEXT: Final = "text/plain"
ALLOWED: Final = (JPEG, PNG, PDF, TEXT)

NAME_MAX: Final = 120
KILOBYTE: Final = 1024  # the "KB" and "MB" that Windows shows next to a file
MEGABYTE: Final = 1024 * KILOBYTE
JPEG_QUALITY: Final = 90

# About 40 megapixels: every phone's normal photo and most cameras' fit (a
# 48 or 200 MP "full resolution" mode does not). Decoded, such a picture takes
# 120 MB (160 MB with transparency), and cleaning holds two copies at once.
MAX_PIXELS: Final = 40_000_000
# The cleaning child's whole address space (RLIMIT_AS): the interpreter and its
# libraries (about 60 MB), two copies of a 40 MP picture and the decoders' and
# encoders' buffers. The most demanding 40 MP photo we measured (progressive,
# full colour resolution, a colour profile and turned sideways) peaks near
# 420 MB; see BENCHMARKS.md. `ombud.config` checks a rule of thumb.
CLEANER_MEMORY: Final = 768 * MEGABYTE
CLEANER_SECONDS: Final = 30
# Per web process: more would only queue for the same cores, and this bounds
# the memory all children of a process can take to twice the limit.
CLEANERS_AT_ONCE: Final = 2
# A PDF's copy: every page rendered at up to 150 dpi and at most about an A3
# page's pixels at that resolution (larger pages are rendered smaller).
PDF_PAGES_MAX: Final = 100
PAGE_DPI: Final = 150
PAGE_PIXELS_MAX: Final = 4_500_000
PAGE_JPEG_QUALITY: Final = 85

_MAGIC: Final = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"%PDF-", PDF),
)
_EXTENSIONS: Final = {
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
    PDF: (".pdf",),
    TEXT: (".txt",),
}
_PILLOW_FORMATS: Final = {JPEG: ("JPEG", "MPO"), PNG: ("PNG",)}
_PNG_MODES: Final = frozenset({"1", "L", "LA", "I", "I;16", "RGB", "RGBA"})
_CLEANERS = threading.BoundedSemaphore(CLEANERS_AT_ONCE)
_EXIT_MEMORY: Final = 3  # the child ran out of its address space


def gettext_noop(text: str) -> str:
    """Marks a message for translation (Django's makemessages finds this name) without
    importing Django: the caller translates ``template`` and fills in ``params``."""
    return text


DAMAGED: Final = gettext_noop(
    "%(name)s could not be read: it may be damaged. "
    "Check that it opens on your device, then send it again."
)
TOO_LARGE: Final = gettext_noop(
    "The picture in %(name)s is too large to open: send a copy at a lower resolution."
)
PICTURE_IN_PDF_TOO_LARGE: Final = gettext_noop(
    "A picture inside %(name)s is too large to open: send a copy with smaller pictures, "
    "such as one saved for the screen or for e-mail."
)
TOO_MANY_PAGES: Final = gettext_noop(
    "%(name)s has %(pages)s pages, more than the %(limit)s we take in one file: "
    "split it into several files, or send the pages that matter."
)
PASSWORD: Final = gettext_noop(
    "%(name)s is protected by a password: send a copy without the password."
)
TOO_DEMANDING: Final = gettext_noop(
    "%(name)s needs more memory or time to open than we allow: send a smaller copy, "
    "such as a photo at a lower resolution or a PDF in several parts."
)
BUSY: Final = gettext_noop(
    "%(name)s could not be prepared just now because many files are being prepared: "
    "add it again in a minute."
)
FAILED: Final = gettext_noop(
    "%(name)s could not be prepared just now: add it again in a minute. "
    "If it happens again, tell us through a message without it."
)
# What a child may answer: anything else is read as a damaged file.
_CHILD_REFUSALS: Final = frozenset(
    {DAMAGED, TOO_LARGE, PICTURE_IN_PDF_TOO_LARGE, TOO_MANY_PAGES, PASSWORD}
)


class AttachmentRefused(Exception):
    """An attachment we do not take; `message` tells the reporter why and what to do.
    ``template`` and ``params`` let the caller show it in the reader's language."""

    def __init__(self, template: str, **params: str) -> None:
        self.template = template
        self.params = params
        self.message = template % params
        super().__init__(self.message)


@dataclass(frozen=True)
class Limits:
    """What cleaning one file may use: decoded pixels (checked before decoding), the
    child's address space in bytes, and seconds of wall clock (and of CPU)."""

    pixels: int = MAX_PIXELS
    memory: int = CLEANER_MEMORY
    seconds: float = CLEANER_SECONDS

    def __post_init__(self) -> None:
        if self.pixels <= 0 or self.memory <= 0 or self.seconds <= 0:
            raise ValueError("limits must be positive")


DEFAULT_LIMITS: Final = Limits()


@dataclass(frozen=True)
class Accepted:
    """An accepted attachment: the original as evidence, the stripped copy for viewing."""

    mime: str
    original: bytes = field(repr=False)
    stripped: bytes = field(repr=False)
    sha256: str
    size: int
    name: str


def accept(
    data: bytes, filename: str, *, max_bytes: int, limits: Limits = DEFAULT_LIMITS
) -> Accepted:
    """Check the size, decide the type and clean the copy in a child, or AttachmentRefused."""
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    if len(data) > max_bytes:
        raise AttachmentRefused(
            gettext_noop(
                "%(name)s is %(size)s, more than the %(limit)s we accept: send a smaller "
                "copy, such as a photo at a lower resolution, or split it into several files."
            ),
            name=_called(filename),
            size=_amount(len(data), up=True),
            limit=_amount(max_bytes, up=False),
        )
    mime = sniff(data, filename)
    stripped = clean(data, mime, filename=filename, limits=limits)
    return Accepted(
        mime=mime,
        original=data,
        stripped=stripped,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        name=_name_for(filename, mime),
    )


def sniff(data: bytes, filename: str) -> str:
    """The type the content really has (one of ALLOWED), or AttachmentRefused.

    The name is used only to word the refusal, never to decide the type.
    """
    if not data:
        raise AttachmentRefused(
            gettext_noop("%(name)s is empty: choose the file again, or leave it out."),
            name=_called(filename),
        )
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if _is_text(data):
        return TEXT
    if _display_name(filename).lower().endswith(".txt"):
        raise AttachmentRefused(
            gettext_noop(
                "%(name)s is not plain text we can read: save it as UTF-8 text, "
                "or send it as a PDF."
            ),
            name=_called(filename),
        )
    raise AttachmentRefused(
        gettext_noop(
            "%(name)s is not a type we accept: send a photo (JPEG or PNG), "
            "a PDF or a plain text file."
        ),
        name=_called(filename),
    )


def clean(data: bytes, mime: str, *, filename: str = "", limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The copy of `data` without its metadata, made in a confined child process.

    `mime` is what `sniff` answered; `filename` only words a refusal and never
    reaches the child. Text needs no decoding and is returned as it is.
    """
    if mime == TEXT:
        return data
    if mime not in (JPEG, PNG, PDF):
        raise ValueError(f"not an accepted type: {mime!r}")
    if not _CLEANERS.acquire(timeout=limits.seconds):
        raise _refused(BUSY, filename)
    try:
        answer = _run_cleaner(data, mime, limits)
    except OSError as error:  # no process could be started: the server's trouble
        logger.error("the file cleaner could not start: %s", type(error).__name__)
        answer = FAILED
    finally:
        _CLEANERS.release()
    if isinstance(answer, str):
        raise _refused(answer, filename)
    head, _, body = answer.partition(b"\n")
    try:
        reply = json.loads(head)
    except ValueError:
        reply = {}
    if reply.get("ok") is True:
        return body
    template = reply.get("refused")
    params = reply.get("params")
    if template not in _CHILD_REFUSALS or not isinstance(params, dict):
        raise _refused(DAMAGED, filename)
    # Only numbers come back with a refusal: the child words nothing itself.
    shown = {key: str(value) for key, value in params.items() if isinstance(value, int)}
    raise _refused(template, filename, **shown)


def _run_cleaner(data: bytes, mime: str, limits: Limits) -> bytes | str:
    """The child's answer, or the refusal template when it failed without one."""
    argv = [
        sys.executable,
        "-I",  # no PYTHON* variables, no user site, no script folder on the path
        "-B",  # writes no bytecode (and may not write files at all)
        str(Path(__file__).resolve()),
        mime,
        str(limits.pixels),
        str(limits.memory),
        str(math.ceil(limits.seconds)),
    ]
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # a traceback could quote what it was reading
        env={},
        cwd="/",
        close_fds=True,
    )
    try:
        out, _ = child.communicate(data, timeout=limits.seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        return TOO_DEMANDING
    if child.returncode == 0:
        return out
    if child.returncode < 0 or child.returncode == _EXIT_MEMORY:
        return TOO_DEMANDING  # killed (CPU limit, a decoder's abort) or out of memory
    logger.error("the file cleaner failed with exit status %s", child.returncode)
    return FAILED


def _cleaner_main(argv: list[str]) -> int:
    """The child: confine itself, read one file from standard input, answer on standard output."""
    mime, pixels, memory, seconds = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    _confine(memory, seconds)
    Image.MAX_IMAGE_PIXELS = pixels  # Pillow's own check, behind ours
    try:
        data = sys.stdin.buffer.read()
        try:
            cleaned = strip(data, mime, max_pixels=pixels)
        except AttachmentRefused as refused:
            params = {key: int(value) for key, value in refused.params.items() if key != "name"}
            answer = json.dumps({"refused": refused.template, "params": params}).encode()
            sys.stdout.buffer.write(answer + b"\n")
            return 0
        sys.stdout.buffer.write(b'{"ok": true}\n')
        sys.stdout.buffer.write(cleaned)
        sys.stdout.buffer.flush()
    except MemoryError:
        return _EXIT_MEMORY
    return 0


def _confine(memory: int, seconds: int) -> None:
    import ctypes
    import resource

    def lower(kind: int, soft: int, hard: int | None = None) -> None:
        _, current = resource.getrlimit(kind)
        hard = soft if hard is None else hard
        if current != resource.RLIM_INFINITY:
            soft, hard = min(soft, current), min(hard, current)
        resource.setrlimit(kind, (soft, hard))

    lower(resource.RLIMIT_AS, memory)
    lower(resource.RLIMIT_CPU, seconds, seconds + 1)  # SIGXCPU, then SIGKILL
    lower(resource.RLIMIT_FSIZE, 0)  # no file can be written, temporary or not
    lower(resource.RLIMIT_CORE, 0)
    # Not dumpable: no core file even through a core_pattern pipe, and no other
    # process of the same user may attach to read its memory.
    pr_set_dumpable = 4
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_dumpable, 0, 0, 0, 0)


def strip(data: bytes, mime: str, *, filename: str = "", max_pixels: int = MAX_PIXELS) -> bytes:
    """A copy of `data` without its metadata, made in this process: the child's work.

    A web process calls `clean` instead, which runs this in a confined child.
    `mime` is what `sniff` answered; `filename` only words a refusal.
    """
    if mime in (JPEG, PNG):
        return _strip_image(data, mime, filename, max_pixels)
    if mime == PDF:
        return _strip_pdf(data, filename, max_pixels)
    if mime == TEXT:
        return data
    raise ValueError(f"not an accepted type: {mime!r}")


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    # RTF is text on the wire but carries the author and the editing times in
    # its \info group, which we would pass on untouched.
    return not text.lstrip("\ufeff").startswith("{\\rtf")


def _strip_image(data: bytes, mime: str, filename: str, max_pixels: int) -> bytes:
    try:
        with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS[mime]) as opened:
            if opened.format not in _PILLOW_FORMATS[mime]:
                raise _damaged(filename)
            width, height = opened.size  # read from the header: nothing is decoded yet
            if width * height > max_pixels:
                raise _too_large(filename)
            ImageOps.exif_transpose(opened, in_place=True)
            # Each step may make a new copy: the one before is freed at once, so
            # that no more than two copies of the pixels are ever held.
            pixels = _then(opened, _to_srgb(opened))
            pixels = _then(pixels, _for_jpeg(pixels) if mime == JPEG else _for_png(pixels))
            # A fresh image holds the pixels and nothing else: whatever the
            # opened file carried in .info (EXIF, XMP, ICC, comments, text
            # chunks) stays behind, whichever of it a Pillow version would
            # otherwise write back by default.
            clean = Image.new(pixels.mode, pixels.size)
            clean.paste(pixels)
            pixels.close()
            out = io.BytesIO()
            if mime == JPEG:
                clean.save(out, format="JPEG", quality=JPEG_QUALITY)
            else:
                clean.save(out, format="PNG")
            return out.getvalue()
    except (AttachmentRefused, MemoryError):
        raise
    except Image.DecompressionBombError as error:
        raise _too_large(filename) from error
    # Pillow's decoders fail on hostile or damaged input with many kinds of
    # exception (OSError, SyntaxError, ValueError, struct.error, ...).
    except Exception as error:
        raise _damaged(filename) from error


def _then(before: Image.Image, after: Image.Image) -> Image.Image:
    if after is not before:
        before.close()  # frees its pixels now, not when the file is done
    return after


def _to_srgb(image: Image.Image) -> Image.Image:
    """The pixels converted to sRGB, so that dropping the ICC profile keeps the colours."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        converted = ImageCms.profileToProfile(
            image,
            ImageCms.ImageCmsProfile(io.BytesIO(profile)),
            ImageCms.createProfile("sRGB"),
            outputMode="RGBA" if image.mode == "RGBA" else "RGB",
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a profile we cannot use: the pixels as they are
    return converted if converted is not None else image


def _for_jpeg(image: Image.Image) -> Image.Image:
    return image if image.mode in ("L", "RGB") else image.convert("RGB")


def _for_png(image: Image.Image) -> Image.Image:
    # A palette or a transparent colour (tRNS) lives beside the pixels, not in
    # them: turn it into real colours and alpha before the pixels are copied.
    if image.mode in ("P", "PA") or "transparency" in image.info:
        has_alpha = image.mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")
    return image if image.mode in _PNG_MODES else image.convert("RGBA")


def _strip_pdf(data: bytes, filename: str, max_pixels: int) -> bytes:
    """A new PDF holding one picture per page, rendered from the original, and nothing else."""
    import pikepdf
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if error.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise _refused(PASSWORD, filename) from error
        raise _damaged(filename) from error
    try:
        pages = len(document)
        if pages == 0:
            raise _damaged(filename)
        if pages > PDF_PAGES_MAX:
            raise _refused(TOO_MANY_PAGES, filename, pages=str(pages), limit=str(PDF_PAGES_MAX))
        document.init_forms()  # so that filled-in form fields are drawn
        copy = pikepdf.new()
        for index in range(pages):
            page = document[index]
            try:
                _check_pictures(page, max_pixels, filename)
                _add_page(copy, page)
            finally:
                page.close()
        out = io.BytesIO()
        # The copy never had an information dictionary or XMP: nothing may add one.
        copy.save(out, fix_metadata_version=False, deterministic_id=True)
        return out.getvalue()
    except (AttachmentRefused, MemoryError):
        raise
    # PDFium reports failures as PdfiumError; a broken page can surface as a
    # value or type error too.
    except Exception as error:
        raise _damaged(filename) from error
    finally:
        document.close()


def _check_pictures(page: pdfium.PdfPage, max_pixels: int, filename: str) -> None:
    """Refuse a page whose pictures (in forms too) exceed the pixel limit, before any is decoded."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    for picture in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)):
        try:
            width, height = picture.get_px_size()
        except pdfium.PdfiumError:
            continue  # a picture PDFium cannot size, it does not draw either
        if width * height > max_pixels:
            raise _refused(PICTURE_IN_PDF_TOO_LARGE, filename)


def _add_page(copy: pikepdf.Pdf, page: pdfium.PdfPage) -> None:
    import pikepdf

    width, height = page.get_size()  # in points, turned as the page is shown
    if not (width > 0 and height > 0):
        raise ValueError("a page without a size")
    scale = PAGE_DPI / 72
    if width * height * scale * scale > PAGE_PIXELS_MAX:
        scale = math.sqrt(PAGE_PIXELS_MAX / (width * height))
    # A bitmap of PDFium's own allocation, kept alive by the picture made from it.
    picture = page.render(scale=scale, may_draw_forms=True, draw_annots=True).to_pil()
    image = _page_picture(copy, picture)
    content = f"q {width:.4f} 0 0 {height:.4f} 0 0 cm /P Do Q".encode()
    copy.pages.append(
        pikepdf.Page(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Page,
                MediaBox=[0, 0, width, height],
                Contents=copy.make_stream(content),
                Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(P=image)),
            )
        )
    )


def _page_picture(copy: pikepdf.Pdf, picture: Image.Image) -> pikepdf.Stream:
    """The rendered page as an image XObject: grey or few colours losslessly (text stays
    sharp and small), photographs as JPEG."""
    import pikepdf

    common = {
        "Type": pikepdf.Name.XObject,
        "Subtype": pikepdf.Name.Image,
        "Width": picture.width,
        "Height": picture.height,
        "BitsPerComponent": 8,
    }
    picture = picture.convert("RGB")
    red, green, blue = picture.split()
    if (
        not ImageChops.difference(red, green).getbbox()
        and not ImageChops.difference(green, blue).getbbox()
    ):
        return copy.make_stream(
            zlib.compress(red.tobytes()),
            Filter=pikepdf.Name.FlateDecode,
            ColorSpace=pikepdf.Name.DeviceGray,
            **common,
        )
    colours = picture.getcolors(256)
    if colours is not None:
        indexed = picture.convert("P", palette=Image.Palette.ADAPTIVE, colors=len(colours))
        palette = bytes(indexed.getpalette() or [])[: 3 * len(colours)]
        return copy.make_stream(
            zlib.compress(indexed.tobytes()),
            Filter=pikepdf.Name.FlateDecode,
            ColorSpace=pikepdf.Array(
                [pikepdf.Name.Indexed, pikepdf.Name.DeviceRGB, len(colours) - 1, palette]
            ),
            **common,
        )
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=PAGE_JPEG_QUALITY)
    return copy.make_stream(
        out.getvalue(),
        Filter=pikepdf.Name.DCTDecode,
        ColorSpace=pikepdf.Name.DeviceRGB,
        **common,
    )


def _refused(template: str, filename: str, **params: str) -> AttachmentRefused:
    return AttachmentRefused(template, name=_called(filename), **params)


def _damaged(filename: str) -> AttachmentRefused:
    return _refused(DAMAGED, filename)


def _too_large(filename: str) -> AttachmentRefused:
    return _refused(TOO_LARGE, filename)


def _called(filename: str) -> str:
    """How a refusal names the file: its display name in quotes, or "The file"."""
    name = _display_name(filename)
    return f"\u201c{name}\u201d" if name else "The file"


def _amount(size: int, *, up: bool) -> str:
    """`size` in MB to one decimal (KB under 1 MB), up for a file and down for a limit.

    So a file just over the limit never reads as the limit itself.
    """
    if size < MEGABYTE:
        kilobytes = -(-size // KILOBYTE) if up else size // KILOBYTE
        return f"{kilobytes} KB"
    tenths = -(-size * 10 // MEGABYTE) if up else size * 10 // MEGABYTE
    whole, tenth = divmod(tenths, 10)
    return f"{whole} MB" if tenth == 0 else f"{whole}.{tenth} MB"


def _display_name(filename: str) -> str:
    """The last part of the name, without control or formatting characters, at most NAME_MAX.

    Formatting characters include the right-to-left override that makes
    ``photo\u202egpj.exe`` display as ``photoexe.jpg``.
    """
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    kept: list[str] = []
    for char in name:
        category = unicodedata.category(char)
        if category in ("Zs", "Zl", "Zp"):
            kept.append(" ")
        elif category not in ("Cc", "Cf", "Cs"):
            kept.append(char)
    name = " ".join("".join(kept).split())
    if name.strip(".") == "":
        return ""
    stem, extension = _split(name)
    return _fit(stem, extension)


def _name_for(filename: str, mime: str) -> str:
    """The display name, ending in an extension of the type the content really has."""
    stem, extension = _split(_display_name(filename))
    if extension.lower() in _EXTENSIONS[mime]:
        return _fit(stem, extension)
    return _fit(stem + extension or "attachment", _EXTENSIONS[mime][0])


def _split(name: str) -> tuple[str, str]:
    stem, dot, tail = name.rpartition(".")
    if dot and stem and 0 < len(tail) <= 10 and " " not in tail:
        return stem, "." + tail
    return name, ""


def _fit(stem: str, extension: str) -> str:
    room = NAME_MAX - len(extension)
    if len(stem) > room:
        stem = stem[: room - 1].rstrip() + "\u2026"
    return stem + extension


if __name__ == "__main__":
    raise SystemExit(_cleaner_main(sys.argv[1:]))
