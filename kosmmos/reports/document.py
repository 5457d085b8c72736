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
from kosmmos.lib.charts import Key, Plot, count_axis, thin, time_lines
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


# The inbox's sentiment colours (``inbox.charts``): the results page draws the same bars.
SENTIMENT = (("negative", "#ef4444"), ("neutral", "#94a3b8"), ("positive", "#10b981"))


def _sentiment(reviews: dict[str, Any]) -> SafeString:
    """Stacked bars per day, negative at the bottom, as the results page's reviews chart; drawn
    here from the stored figures (reports sits beside inbox and does not import it)."""
    days = reviews.get("days", [])
    labels = [f"{date.fromisoformat(d[0]):%d.%m}" for d in days]
    counts = {"positive": [d[1] for d in days], "neutral": [d[2] for d in days],
              "negative": [d[3] for d in days]}
    names = {"negative": _("Negative"), "neutral": _("Neutral"), "positive": _("Positive")}
    plot = Plot(960, 250, (30, 12, 34, 40), count_axis(max((sum(d[1:]) for d in days),
                                                            default=0)), slots=len(days))
    plot.grid(size=10, fmt=lambda v: f"{v:g}")
    plot.stack([(counts[key], colour) for key, colour in SENTIMENT], tips=[
        f"{label}: " + ", ".join(f"{names[key].lower()} {counts[key][i]}"
                                 for key, _colour in SENTIMENT)
        for i, label in enumerate(labels)])
    plot.x_labels(thin(labels, len(labels) // 10), size=10)
    plot.legend([Key(names[key], colour) for key, colour in SENTIMENT], plot.left, 16, size=11)
    return plot.svg(_("Reviews by day"), fill=True)


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
    money = figures.get("money") or {}
    # Versions stored before the figures came from the results page lack these keys.
    money_months = (None if money.get("whole_months", True) or not money.get("months_start")
                    else (date.fromisoformat(money["months_start"]),
                          date.fromisoformat(money["months_end"])))
    # A projection column only when it says something the actual does not (a month not over).
    projection = any(r.get("projection") not in (None, r.get("actual")) for r in forecast)
    sections = [{"code": code, "label": str(SECTION_LABELS[code]),
                 "text": getattr(version, code, "") if code in ("summary", "done", "next") else "",
                 "figures": figures.get(code), "chart": charts.get(code)}
                for code in version.sections if code in SECTION_LABELS
                # A figure section without stored figures (none were collected) is left out.
                and (code in ("summary", "done", "next") or figures.get(code) is not None)]
    return {"report": report, "version": version, "brand": brand, "sections": sections,
            "forecast": forecast, "forecast_projection": projection,
            "money_months": money_months, "workspace": report.workspace,
            "period": period_label(report.period_start, report.period_end)}


def style(brand: dict[str, Any]) -> str:
    return render_to_string("reports/_document_style.html", {"brand": brand})


def render_fragment(report: Report, version: ReportVersion) -> SafeString:
    with translation.override(version.language):
        return SafeString(render_to_string("reports/_document.html", context(report, version)))
