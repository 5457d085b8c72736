"""The proposal document's context: one builder for the web page, the public page and the PDF.

The same fragment (``proposals/_document.html``) is rendered for all three, so the figures in the
PDF are by construction the figures on the page. Render it inside
``translation.override(version.language)``: labels, month names and the "was" notes follow the
proposal's language, not the reader's interface.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kosmmos.lib import charts
from kosmmos.lib.money import format_rub
from kosmmos.proposals import bandchart
from kosmmos.proposals.models import Proposal, ProposalSettings, ProposalVersion
from kosmmos.proposals.planning import Figures, MediaPlan

_MONEY_SUFFIXES = (".budget", ".cost_per_subscriber", ".cpl")


def count(value: int | Decimal | str | None) -> str:
    """1234567 → '1 234 567' with narrow no-break spaces, as Russian typography wants."""
    if value is None or value == "" or value == "None":
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{number:,.0f}".replace(",", "\u202f")


def rub(value: Decimal | str | None) -> str:
    if value is None or value == "" or value == "None":
        return "—"
    return format_rub(value)


def _is_money(key: str) -> bool:
    return key in {"budget_per_month"} or key.startswith(("network.", "activity.")) or \
        key.endswith(_MONEY_SUFFIXES)


@dataclass(frozen=True)
class Cell:
    """A figure that knows whether it changed since the previous version."""

    text: str
    changed: bool = False
    was: str = ""

    def __html__(self) -> SafeString:
        if not self.changed:
            return format_html("{}", self.text)
        note = _("was %(value)s") % {"value": self.was} if self.was else _("new")
        return format_html('<span class="kp-changed" title="{}">{}</span>', note, self.text)

    def __str__(self) -> str:
        # Templates call str() before escaping, so the markup must come from here too.
        return self.__html__()


class Cells:
    """Makes Cells from a version's ``changes`` map."""

    def __init__(self, changes: dict[str, str]) -> None:
        self.changes = changes

    def __call__(self, key: str, value: Any) -> Cell:
        fmt = rub if _is_money(key) else count
        if key in self.changes:
            old = self.changes[key]
            return Cell(fmt(value), True, fmt(old) if old else "")
        return Cell(fmt(value))


def _figures_row(cells: Cells, prefix: str, figures: Figures) -> dict[str, Cell]:
    return {name: cells(f"{prefix}.{name}", getattr(figures, name)) for name in (
        "budget", "impressions", "reach", "clicks", "subscribers", "leads", "sales",
        "cost_per_subscriber", "cpl")}


def _logo_uri(prefs: ProposalSettings | None) -> str:
    if prefs is None or not prefs.logo:
        return ""
    data = base64.b64encode(bytes(prefs.logo)).decode()
    return f"data:{prefs.logo_mimetype};base64,{data}"


def context(proposal: Proposal, version: ProposalVersion) -> dict[str, Any]:
    """Everything ``_document.html`` shows. Call under the proposal's language."""
    media = MediaPlan.from_dict(version.plan)
    cells = Cells(version.changes or {})
    org = proposal.organisation
    brand = org.brand_color
    funded = [n for n in media.networks if n.funded]
    months = [
        {"label": date_format(m.month, "F Y") if m.month else _("Month %(n)s") % {"n": m.index},
         "short": date_format(m.month, "M") if m.month else str(m.index),
         "cells": _figures_row(cells, f"month.{m.index}", m.figures), "forecast": m}
        for m in media.forecast
    ]
    by_activity: dict[str, Decimal] = {}
    for item in media.activities:
        by_activity[item.label] = by_activity.get(item.label, Decimal(0)) + item.amount
    return {
        "org": org,
        "brand": brand,
        "logo": _logo_uri(ProposalSettings.objects.filter(organisation=org).first()),
        "proposal": proposal,
        "version": version,
        "lead": proposal.lead,
        "brief": proposal.lead.brief,
        "plan": media,
        "budget_per_month": cells("budget_per_month", media.budget_per_month),
        "period_budget": cells("period.budget", media.period.budget),
        "period": _figures_row(cells, "period", media.period),
        "networks": [
            {"item": n, "budget": cells(f"network.{n.network}", n.monthly_budget),
             "share": _percent(n.monthly_budget, media.budget_per_month),
             "activities": [
                 {"item": a, "amount": cells(f"activity.{a.network}.{a.activity}", a.amount),
                  "split": _split_text(a.subscriber_share)}
                 for a in media.activities if a.network == n.network
             ]}
            for n in funded
        ],
        "suggestions": [n for n in media.networks if not n.funded],
        "months": months,
        "funnel": [{"item": f, "count": cells(f"funnel.{f.stage}", f.count)} for f in media.funnel],
        "kpis": [{"item": k, "target": _kpi_text(k.target, k.unit),
                  "band": _range(k.low, k.high, k.unit)} for k in media.kpis],
        "checks": media.checks,
        "band": _period_band(media),
        "changed_count": len(version.changes or {}),
        "charts": {
            "networks": charts.donut(
                [charts.Slice(n.label, float(n.monthly_budget)) for n in funded], brand,
                _("Budget by network"), centre=rub(media.budget_per_month)),
            "activities": charts.stacked_bar(
                [charts.Slice(label, float(v)) for label, v in by_activity.items()], brand,
                _("Budget by activity")),
            "months": charts.bars_and_line(
                [str(m["short"]) for m in months],
                [float(m.figures.subscribers) for m in media.forecast],
                [float(m.figures.leads) for m in media.forecast], brand,
                _("Forecast by month"), _("New subscribers"), _("Leads")),
            "band": bandchart.band(
                [str(m["short"]) for m in months],
                [float(m.low.leads if m.low else m.figures.leads) for m in media.forecast],
                [float(m.figures.leads) for m in media.forecast],
                [float(m.high.leads if m.high else m.figures.leads) for m in media.forecast],
                brand, _("Leads by month: the band and the expected forecast"),
                (_("Band"), _("Expected"), _("Requested"))),
            "funnel": charts.pyramid(
                [(f.label, count(f.count)) for f in media.funnel], brand, _("Funnel")),
        },
    }


def _range(low: Decimal | int | None, high: Decimal | int | None, unit: str = "count") -> str:
    if low is None or high is None:
        return ""
    if unit == "percent":
        return ""
    fmt = rub if unit == "rub" else count
    return f"{fmt(Decimal(low))} – {fmt(Decimal(high))}"


def _period_band(media: MediaPlan) -> dict[str, str]:
    """Each period figure's band as text; a cost's low end comes from the optimistic side."""
    low, high = media.period_low, media.period_high
    if low is None or high is None:
        return {}
    band = {name: _range(getattr(low, name), getattr(high, name)) for name in (
        "impressions", "reach", "clicks", "subscribers", "leads", "sales")}
    for name in ("cost_per_subscriber", "cpl"):
        band[name] = _range(getattr(high, name), getattr(low, name), "rub")
    return band


def _split_text(share: Decimal | None) -> str:
    """"Subscribers 33% · clicks 67%" for a cell that buys both, else ""."""
    if share is None or share in (0, 1):
        return ""
    subscribers = round(share * 100)
    return _("subscribers %(s)s%% · clicks %(c)s%%") % {"s": subscribers, "c": 100 - subscribers}


def _percent(part: Decimal, whole: Decimal) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "—"


def _kpi_text(value: Decimal | None, unit: str) -> str:
    if value is None:
        return _("to agree")
    if unit == "rub":
        return rub(value)
    if unit == "percent":
        return f"{value.normalize():f}%"
    return count(value)


def render_fragment(proposal: Proposal, version: ProposalVersion) -> SafeString:
    """The document body in the proposal's language, for pages and the PDF alike."""
    with translation.override(version.language):
        html = render_to_string("proposals/_document.html", context(proposal, version))
    return SafeString(html)
