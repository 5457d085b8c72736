"""A report version as a document: the branding, the sections in the template's order and the
charts, all from the version's stored figures. The page, the public link and the PDF show this
one fragment, so they cannot disagree."""

from __future__ import annotations

import base64
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kosmmos.accounts.models import Organisation
from kosmmos.inbox.analytics import DaySeries
from kosmmos.inbox.charts import sentiment_chart
from kosmmos.lib.charts import time_lines
from kosmmos.links.charts import pnl_chart
from kosmmos.links.stats import MonthRow
from kosmmos.proposals.models import ProposalSettings, TargetMetric
from kosmmos.reports.models import SECTION_LABELS, Report, ReportSettings, ReportVersion

PRODUCT = "Kosmmos"


def settings_for(organisation: Organisation) -> ReportSettings:
    """The organisation's report settings; the defaults (unsaved) until someone saves them, so
    reading them never writes."""
    found = ReportSettings.objects.filter(organisation=organisation).first()
    return found or ReportSettings(organisation=organisation)


def branding(organisation: Organisation) -> dict[str, Any]:
    """The agency's name, colour, logo and contacts; the product only when the agency opted in.
    The logo is the one the agency uploaded for its proposals (one logo per agency)."""
    prefs = ProposalSettings.objects.filter(organisation=organisation).first()
    logo = ""
    if prefs is not None and prefs.logo:
        logo = f"data:{prefs.logo_mimetype};base64,{base64.b64encode(bytes(prefs.logo)).decode()}"
    report_prefs = settings_for(organisation)
    return {"name": organisation.name, "colour": organisation.brand_color, "logo": logo,
            "website": organisation.website, "phone": organisation.phone,
            "email": report_prefs.reply_to or organisation.contact_email,
            "product": PRODUCT if report_prefs.show_product else ""}


def period_label(start: date, end: date) -> str:
    if start.day == 1 and (end.month != start.month or end.day >= 28) and \
            start.replace(day=1) == end.replace(day=1):
        return date_format(start, "F Y")
    return f"{date_format(start, 'j E Y')} — {date_format(end, 'j E Y')}"


def _pnl(money: dict[str, Any], colour: str) -> SafeString:
    rows = [MonthRow(date.fromisoformat(r["month"]), Decimal(r["revenue"]), Decimal(r["costs"]))
            for r in money.get("months", [])]
    return pnl_chart(rows, _("Revenue, costs and profit"),
                     (_("Revenue"), _("Costs"), _("Profit")), lambda r: "", lambda r: "")


def _followers(audience: dict[str, Any]) -> SafeString:
    points = [(datetime.combine(date.fromisoformat(day), time(12)), float(n))
              for day, n in audience.get("days", [])]
    return time_lines([(_("Followers"), points)], _("Followers"))


def _sentiment(reviews: dict[str, Any]) -> SafeString:
    days = reviews.get("days", [])
    series = DaySeries([date.fromisoformat(d[0]) for d in days], [d[1] for d in days],
                       [d[2] for d in days], [d[3] for d in days])
    return sentiment_chart(series, _("Reviews by day"))


METRIC_LABELS = dict(TargetMetric.choices)


def context(report: Report, version: ReportVersion) -> dict[str, Any]:
    """Everything ``reports/_document.html`` needs (call inside the version's language)."""
    brand = branding(report.organisation)
    figures = version.figures
    charts: dict[str, SafeString] = {}
    if "money" in figures:
        charts["money"] = _pnl(figures["money"], brand["colour"])
    if "audience" in figures and figures["audience"].get("days"):
        charts["audience"] = _followers(figures["audience"])
    if "reviews" in figures and figures["reviews"].get("days"):
        charts["reviews"] = _sentiment(figures["reviews"])
    forecast = [{**row, "label": METRIC_LABELS.get(row["metric"], row["metric"])}
                for row in figures.get("forecast", {}).get("rows", [])]
    sections = [{"code": code, "label": str(SECTION_LABELS[code]),
                 "text": getattr(version, code, "") if code in ("summary", "done", "next") else "",
                 "figures": figures.get(code), "chart": charts.get(code)}
                for code in version.sections if code in SECTION_LABELS
                # A figure section without stored figures (none were collected) is left out.
                and (code in ("summary", "done", "next") or figures.get(code) is not None)]
    return {"report": report, "version": version, "brand": brand, "sections": sections,
            "forecast": forecast, "workspace": report.workspace,
            "period": period_label(report.period_start, report.period_end)}


def style(brand: dict[str, Any]) -> str:
    return render_to_string("reports/_document_style.html", {"brand": brand})


def render_fragment(report: Report, version: ReportVersion) -> SafeString:
    with translation.override(version.language):
        return SafeString(render_to_string("reports/_document.html", context(report, version)))
