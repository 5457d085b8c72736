"""The proposal as a PDF: the page's own document fragment, laid out by WeasyPrint.

WeasyPrint (https://doc.courtbouillon.org/weasyprint/stable/) draws the inline SVG charts itself,
so the PDF needs no browser. It is imported on first use: it loads Pango and takes a second.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kosmmos.proposals import document
from kosmmos.proposals.models import Proposal, ProposalVersion


def render_pdf(proposal: Proposal, version: ProposalVersion) -> bytes:
    """The version as PDF bytes, in the proposal's language."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fragment = document.render_fragment(proposal, version)
    with translation.override(version.language):
        style = render_to_string(
            "proposals/_document_style.html", {"brand": proposal.organisation.brand_color}
        )
        html = render_to_string("proposals/pdf.html", {
            "language": version.language, "fragment": fragment, "style": SafeString(style),
            "title": f"{_('Commercial proposal')} — {proposal.lead.title} v{version.number}",
        })
    # Everything (the logo included) is inline as data: URIs; refusing other schemes means a
    # proposal can never make the server fetch a URL or read a file.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


def pdf_for(proposal: Proposal, version: ProposalVersion) -> bytes:
    """The stored PDF of a version, rendered and kept on first use (versions never change)."""
    if version.pdf:
        return bytes(version.pdf)
    data = render_pdf(proposal, version)
    version.pdf = data
    version.save(update_fields=["pdf"])
    return data


def filename(proposal: Proposal, version: ProposalVersion) -> str:
    return f"proposal-v{version.number}.pdf"
