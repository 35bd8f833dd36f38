"""PDFs the investigation hands out (WeasyPrint on Debian's pango): made from our
own templates alone, fetching nothing, in the active language."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import get_language


def _no_fetching(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    """Nothing is fetched: no text can leave in a URL, no outside resource can slow
    the PDF down."""
    raise ValueError(f"Ombud's PDFs fetch nothing ({url[:40]})")


def pdf_from(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, {**context, "language": get_language()})
    pdf: bytes = HTML(string=html, url_fetcher=_no_fetching).write_pdf()
    return pdf


def document_pdf(title: str, subtitle: str, text: str) -> bytes:
    """A titled plain text as an A4 PDF."""
    return pdf_from(
        "investigation/document_pdf.html", {"title": title, "subtitle": subtitle, "text": text}
    )
