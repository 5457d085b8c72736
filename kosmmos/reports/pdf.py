"""The report as a PDF: the page's own document fragment laid out by WeasyPrint on A4, with a
cover, page numbers and tables that break between rows (the proposals' machinery: inline SVG
charts, data: URIs only)."""

from __future__ import annotations

import time

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString

from kosmmos.reports import document
from kosmmos.reports.models import Report, ReportVersion


def render_pdf(report: Report, version: ReportVersion) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fragment = document.render_fragment(report, version)
    with translation.override(version.language):
        brand = document.branding(report.organisation)
        html = render_to_string("reports/pdf.html", {
            "language": version.language, "fragment": fragment, "brand": brand,
            "style": SafeString(document.style(brand)),
            "title": f"{report.workspace.name} — {document.period_label(*report.period)}",
        })
    # Nothing is fetched: the logo and the charts are inline.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


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
