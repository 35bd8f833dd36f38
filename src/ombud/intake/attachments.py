"""A reporter's attachments: what we accept, and a copy without the metadata that gives her away.

A photo or a document can say more than the reporter meant to: a phone writes
the GPS position where a picture was taken, the camera's make, model and serial
number and the time; an office program writes the author's name, the company,
the program and the edit history into a PDF's document information and XMP
metadata. Shown to staff or shared with anyone, that can name the reporter.

What this protects against:

- Metadata leaking through staff views or sharing. `strip` makes the copy that
  staff see and that may be shared: a JPEG or PNG is decoded and re-encoded
  from its pixels alone (so EXIF with GPS and serial numbers, XMP, IPTC, ICC
  profiles, comments and PNG text chunks are all left behind), turned upright
  first so nobody needs the EXIF orientation; a PDF loses its document
  information dictionary, every XMP metadata stream (the document's, the
  pages', the images' and fonts'), private application data (/PieceInfo), the
  authors of its comments and its file identifier, and is rewritten whole, so
  earlier revisions saved after it do not survive either.
- Type confusion. The type is decided from the content (magic bytes), never
  from the file name or the content type the browser sent; only JPEG, PNG, PDF
  and UTF-8 plain text are accepted, and the display name is given the
  extension of the type it really has, so a text file called ``run.bat`` cannot
  be opened as a script by a member of staff who downloads it.
- Decompression bombs: a picture of more than `MAX_PIXELS` pixels is refused
  before it is decoded.

What it does not protect against:

- What the picture or document itself shows or says: a face, a reflection, a
  badge, a name in the text, a printer's tracking dots, a writing style.
- Steganography or watermarks hidden in the pixels or the page content (such
  as a document tracked with a per-recipient mark).
- Metadata written in a plain text file (a signature, an e-mail header): text
  is kept exactly as sent.
- Active content in a PDF (scripts, embedded files, links): it is kept, and
  must be handled by whoever shows the PDF.

The original is kept byte for byte (with its SHA-256) as evidence; only the
stripped copy is for viewing. This module imports no Django and reads no
settings: limits are arguments, and refusals are `AttachmentRefused` with a
sentence a reporter can act on.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from dataclasses import dataclass, field
from typing import Final

import pikepdf
from PIL import Image, ImageCms, ImageOps

JPEG: Final = "image/jpeg"
PNG: Final = "image/png"
PDF: Final = "application/pdf"
TEXT: Final = "text/plain"
ALLOWED: Final = (JPEG, PNG, PDF, TEXT)

# Pillow's own default for Image.MAX_IMAGE_PIXELS, about 9,500 x 9,500: every
# phone camera's normal photo fits, while a picture this size already takes a
# few hundred megabytes to decode.
MAX_PIXELS: Final = 89_478_485
NAME_MAX: Final = 120
KILOBYTE: Final = 1024  # the "KB" and "MB" that Windows shows next to a file
MEGABYTE: Final = 1024 * KILOBYTE
JPEG_QUALITY: Final = 90

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
# Comment-like annotations keep their author in /T; on a form field (/Widget)
# /T is the field's name, which the form needs.
_FORM_FIELD = pikepdf.Name("/Widget")
_PDF_PRIVATE_KEYS: Final = ("/Metadata", "/PieceInfo")


def gettext_noop(text: str) -> str:
    """Marks a message for translation (Django's makemessages finds this name) without
    importing Django: the caller translates ``template`` and fills in ``params``."""
    return text


class AttachmentRefused(Exception):
    """An attachment we do not take; `message` tells the reporter why and what to do.
    ``template`` and ``params`` let the caller show it in the reader's language."""

    def __init__(self, template: str, **params: str) -> None:
        self.template = template
        self.params = params
        self.message = template % params
        super().__init__(self.message)


@dataclass(frozen=True)
class Accepted:
    """An accepted attachment: the original as evidence, the stripped copy for viewing."""

    mime: str
    original: bytes = field(repr=False)
    stripped: bytes = field(repr=False)
    sha256: str
    size: int
    name: str


def accept(data: bytes, filename: str, *, max_bytes: int, max_pixels: int = MAX_PIXELS) -> Accepted:
    """Check the size, decide the type and strip the metadata, or AttachmentRefused."""
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
    stripped = strip(data, mime, filename=filename, max_pixels=max_pixels)
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


def strip(data: bytes, mime: str, *, filename: str = "", max_pixels: int = MAX_PIXELS) -> bytes:
    """A copy of `data` without its metadata, for staff to view and for sharing.

    `mime` is what `sniff` answered; `filename` only words a refusal.
    """
    if mime in (JPEG, PNG):
        return _strip_image(data, mime, filename, max_pixels)
    if mime == PDF:
        return _strip_pdf(data, filename)
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
            width, height = opened.size
            if width * height > max_pixels:
                raise _too_large(filename)
            ImageOps.exif_transpose(opened, in_place=True)
            pixels = _to_srgb(opened)
            pixels = _for_jpeg(pixels) if mime == JPEG else _for_png(pixels)
            # A fresh image holds the pixels and nothing else: whatever the
            # opened file carried in .info (EXIF, XMP, ICC, comments, text
            # chunks) stays behind, whichever of it a Pillow version would
            # otherwise write back by default.
            clean = Image.new(pixels.mode, pixels.size)
            clean.paste(pixels)
            out = io.BytesIO()
            if mime == JPEG:
                clean.save(out, format="JPEG", quality=JPEG_QUALITY)
            else:
                clean.save(out, format="PNG")
            return out.getvalue()
    except AttachmentRefused:
        raise
    except Image.DecompressionBombError as error:
        raise _too_large(filename) from error
    # Pillow's decoders fail on hostile or damaged input with many kinds of
    # exception (OSError, SyntaxError, ValueError, struct.error, ...).
    except Exception as error:
        raise _damaged(filename) from error


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


def _strip_pdf(data: bytes, filename: str) -> bytes:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) == 0:
                raise _damaged(filename)
            _remove_pdf_metadata(pdf)
            out = io.BytesIO()
            pdf.save(
                out,
                # Left True, pikepdf would rewrite the version inside XMP
                # metadata; there is none left, and nothing may add any.
                fix_metadata_version=False,
                # Streams are copied as they are, never inflated: a
                # compression bomb stays compressed.
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                # An owner password (restrictions only) is dropped, so staff
                # can open the copy.
                encryption=False,
            )
            return out.getvalue()
    except AttachmentRefused:
        raise
    except pikepdf.PasswordError as error:
        raise AttachmentRefused(
            gettext_noop("%(name)s is protected by a password: send a copy without the password."),
            name=_called(filename),
        ) from error
    # qpdf reports damage as PdfError, but a broken object can surface as a
    # type or value error when it is read.
    except Exception as error:
        raise _damaged(filename) from error


def _remove_pdf_metadata(pdf: pikepdf.Pdf) -> None:
    for key in ("/Info", "/ID"):  # a fresh /ID is written on save
        if key in pdf.trailer:
            del pdf.trailer[key]
    # Metadata streams may hang off any dictionary (images, fonts, forms), so
    # every object is visited, not only the catalogue and the pages.
    holders: list[pikepdf.Object] = [pdf.Root, *(page.obj for page in pdf.pages)]
    holders.extend(
        obj for obj in pdf.objects if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream))
    )
    for holder in holders:
        for key in _PDF_PRIVATE_KEYS:
            if key in holder:
                del holder[key]
    for page in pdf.pages:
        annotations = page.obj.get("/Annots")
        if not isinstance(annotations, pikepdf.Array):
            continue
        for annotation in annotations:
            if (
                isinstance(annotation, pikepdf.Dictionary)
                and annotation.get("/Subtype") != _FORM_FIELD
                and "/T" in annotation
            ):
                del annotation["/T"]


def _damaged(filename: str) -> AttachmentRefused:
    return AttachmentRefused(
        gettext_noop(
            "%(name)s could not be read: it may be damaged. "
            "Check that it opens on your device, then send it again."
        ),
        name=_called(filename),
    )


def _too_large(filename: str) -> AttachmentRefused:
    return AttachmentRefused(
        gettext_noop(
            "The picture in %(name)s is too large to open: send a copy at a lower resolution."
        ),
        name=_called(filename),
    )


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
