"""The report as a PDF: the page's own document fragment laid out by WeasyPrint on A4, with a
cover, page numbers and tables that break between rows (the proposals' machinery: inline SVG
charts, data: URIs only).

A worker draws hundreds of reports in a row (a schedule's run), so what does not change between
them is made once per worker thread and kept: the font configuration (Pango's font map and
WeasyPrint's font caches), the parsed stylesheet (one per distinct text: per brand colour) and
the decoded images (the agency's logo). Per thread, because Pango objects are not meant to be
shared between threads, and a stylesheet is tied to the font configuration it was parsed with.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from kosmmos.reports import document
from kosmmos.reports.models import Report, ReportVersion

# Bounds on what a thread keeps: stylesheets (one per brand colour) and decoded images (logos).
KEEP_STYLESHEETS = 16
KEEP_IMAGES = 32

_kept = threading.local()


def _fonts() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_kept, "fonts", None) is None:
        _kept.fonts = FontConfiguration()
        _kept.sheets = {}
        _kept.images = {}
    return _kept.fonts


def stylesheet_text(brand: dict[str, Any]) -> str:
    """The document's style (as on the page) and the print rules after it."""
    page_style = document.style(brand).replace("<style>", "").replace("</style>", "")
    return render_to_string("reports/pdf.css", {"document_style": page_style})


def _stylesheet(text: str) -> Any:
    """The parsed stylesheet for ``text``, parsed on this thread's first use of it."""
    from weasyprint import CSS

    fonts = _fonts()
    sheets: dict[str, Any] = _kept.sheets
    if text not in sheets:
        if len(sheets) >= KEEP_STYLESHEETS:
            sheets.clear()
        sheets[text] = CSS(string=text, font_config=fonts)
    return sheets[text]


def _images() -> dict[str, Any]:
    _fonts()
    if len(_kept.images) >= KEEP_IMAGES:
        _kept.images.clear()
    return _kept.images


def render_pdf(report: Report, version: ReportVersion) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fragment = document.render_fragment(report, version)
    with translation.override(version.language):
        brand = document.branding(report.organisation)
        html = render_to_string("reports/pdf.html", {
            "language": version.language, "fragment": fragment,
            "title": f"{report.workspace.name} — {document.period_label(*report.period)}",
        })
    # Nothing is fetched: the logo and the charts are inline.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[_stylesheet(stylesheet_text(brand))], font_config=_fonts(),
        cache=_images())


def pdf_for(report: Report, version: ReportVersion) -> bytes:
    """The version's PDF, rendered and stored on first use; the time it took is kept."""
    if version.pdf:
        return bytes(version.pdf)
    started = time.monotonic()
    data = render_pdf(report, version)
    version.pdf = data
    version.render_ms = int((time.monotonic() - started) * 1000)
    version.save(update_fields=["pdf", "render_ms"])
    return data


def filename(report: Report, version: ReportVersion) -> str:
    return f"report-{report.period_start:%Y-%m-%d}-v{version.number}.pdf"
