"""KPI targets: what the client wrote in the brief, matched to what the forecast supports."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kosmmos.lib.money import format_amount
from kosmmos.proposals.planning.forecast import period_figures
from kosmmos.proposals.planning.model import Figures, KpiMetric, KpiTarget, MonthForecast, Note

# Most specific first: a matched phrase is blanked out, so "cost per lead" is not also "leads".
PATTERNS: tuple[tuple[str, str], ...] = (
    (KpiMetric.CPL, r"\bcpl\b|стоимост\w*\s+(?:заяв|лид|обращени)\w*|cost\s+per\s+lead\w*"),
    (
        KpiMetric.COST_PER_SUBSCRIBER,
        r"стоимост\w*\s+подписчик\w*|цен\w*\s+подписчик\w*|cost\s+per\s+(?:subscriber|follower)\w*",
    ),
    (KpiMetric.ROMI, r"\brom?i\b|окупаем\w*|return\s+on\s+\w+"),
    (KpiMetric.SUBSCRIBERS, r"подписчик\w*|подписк\w*|фолловер\w*|subscri\w*|follower\w*"),
    (KpiMetric.REACH, r"охват\w*|\breach\w*|просмотр\w*|\bviews?\b"),
    (KpiMetric.IMPRESSIONS, r"показ\w*|impression\w*"),
    (KpiMetric.SALES, r"продаж\w*|покуп\w*|заказ\w*|\bsales?\b|purchase\w*|orders?\b"),
    (KpiMetric.LEADS, r"заяв\w*|\bлид\w*|обращени\w*|\bleads?\b|inquir\w*|enquir\w*"),
    (KpiMetric.CLICKS, r"переход\w*|клик\w*|трафик\w*|\bclicks?\b|traffic"),
    (KpiMetric.REVIEWS, r"отзыв\w*|review\w*"),
    (
        KpiMetric.ENGAGEMENT,
        r"лайк\w*|коммент\w*|репост\w*|вовлеч\w*|\blikes?\b|comments?\b|reposts?\b|shares\b"
        r"|engagement|\ber\b",
    ),
    (KpiMetric.MENTIONS, r"упоминани\w*|mentions?\b"),
    (
        KpiMetric.CONVERSIONS,
        r"конверси\w*|регистрац\w*|conversions?\b|registration\w*|sign-?ups?\b",
    ),
)
_NUMBER = re.compile(
    r"(\d[\d\s\u00a0]*(?:[.,]\d+)?)\s*(%|тыс\.?|млн|k\b|к\b|m\b|м\b)?", re.IGNORECASE
)
_SCALE = {"тыс": 1000, "тыс.": 1000, "k": 1000, "к": 1000, "млн": 10**6, "m": 10**6, "м": 10**6}

NO_TARGET_NOTES: dict[str, Promise] = {
    KpiMetric.ROMI: _("Needs the average check and margin; agree the target with the client."),
    KpiMetric.REVIEWS: _("Count new reviews monthly, positive and negative apart."),
    KpiMetric.ENGAGEMENT: _("Track likes, comments and reposts per post against month one."),
    KpiMetric.MENTIONS: _("Track brand mentions monthly with a monitoring service."),
}


@dataclass(frozen=True)
class Wish:
    metric: str
    keyword: str
    requested: Decimal | None
    percent: bool
    monthly: bool = False  # "150 заявок в месяц": the number is per month


_MONTHLY = re.compile(
    r"в\s+месяц|ежемесячн\w*|/\s*мес\w*|в\s+мес\b|per\s+month|a\s+month|monthly|/\s*month"
)


def parse(text: str) -> list[Wish]:
    """KPIs named in the brief's free text, in the order written, each metric once.

    The text is read clause by clause; the largest number in a clause is taken as the
    client's target ("за 3 месяца 10 000 подписчиков" → 10000).
    """
    wishes: dict[str, Wish] = {}
    for clause in re.split(r"[;\n]|[.,](?=\s|$)|\s[-–—]\s", text.lower()):
        for metric, pattern in PATTERNS:
            match = re.search(pattern, clause)
            if match is None:
                continue
            clause = clause[: match.start()] + " " * len(match.group()) + clause[match.end() :]
            if metric not in wishes:
                number, percent = _largest_number(clause)
                monthly = _MONTHLY.search(clause) is not None
                wishes[metric] = Wish(metric, match.group().strip(), number, percent, monthly)
    return list(wishes.values())


def _largest_number(clause: str) -> tuple[Decimal | None, bool]:
    best: tuple[Decimal, bool] | None = None
    for match in _NUMBER.finditer(clause):
        digits = re.sub(r"[\s\u00a0]", "", match.group(1)).replace(",", ".")
        suffix = (match.group(2) or "").lower()
        value = Decimal(digits) * _SCALE.get(suffix, 1)
        if best is None or value > best[0]:
            best = (value, suffix == "%")
    return best if best is not None else (None, False)


CORE = (
    KpiMetric.REACH,
    KpiMetric.SUBSCRIBERS,
    KpiMetric.CLICKS,
    KpiMetric.LEADS,
    KpiMetric.SALES,
    KpiMetric.COST_PER_SUBSCRIBER,
    KpiMetric.CPL,
)


Band = tuple[Figures, Figures]  # the period's figures at the pessimistic and optimistic ends
BudgetFor = Callable[[str, Decimal], Decimal | None]
COUNTED = (
    KpiMetric.IMPRESSIONS,
    KpiMetric.CLICKS,
    KpiMetric.SUBSCRIBERS,
    KpiMetric.LEADS,
    KpiMetric.SALES,
)


def forecast_target(metric: str, period: Figures, last: Figures) -> tuple[Decimal | None, str, str]:
    """(target, per, unit) the forecast supports; reach is a monthly figure, not a sum."""
    if metric == KpiMetric.REACH:
        return Decimal(last.reach), "month", "count"
    if metric == KpiMetric.CONVERSIONS:
        return Decimal(period.leads), "period", "count"
    if metric in (KpiMetric.COST_PER_SUBSCRIBER, KpiMetric.CPL):
        return getattr(period, str(metric)), "period", "rub"
    if metric in COUNTED:
        return Decimal(getattr(period, str(metric))), "period", "count"
    return None, "period", "percent" if metric == KpiMetric.ROMI else "count"


def expected_value(metric: str, months: Sequence[MonthForecast]) -> Decimal | None:
    """The expected figure for ``metric`` over ``months`` (as the KPI table counts it)."""
    period = period_figures(months, months[0].figures.budget)
    return forecast_target(metric, period, months[-1].figures)[0]


def _band(metric: str, band: Band, months: Sequence[MonthForecast]) -> tuple[Decimal | None, ...]:
    """(low, high) of the metric; a cost's low end comes from the optimistic forecast."""
    last = months[-1]
    low_last, high_last = last.low or last.figures, last.high or last.figures
    low = forecast_target(metric, band[0], low_last)[0]
    high = forecast_target(metric, band[1], high_last)[0]
    if metric in (KpiMetric.COST_PER_SUBSCRIBER, KpiMetric.CPL):
        low, high = high, low
    return low, high


def targets(
    text: str,
    months: Sequence[MonthForecast],
    band: Band,
    budget: Decimal,
    budget_for: BudgetFor | None = None,
) -> tuple[tuple[KpiTarget, ...], list[Note], list[Note]]:
    """The brief's KPIs first, then the core forecast KPIs, each with its band; plus risks where
    a number the client wrote is above the expected figure but inside the band, and checks
    (for the top of the proposal) where it is outside the band."""
    last = months[-1]
    period = period_figures(months, budget)
    found: list[KpiTarget] = []
    risks: list[Note] = []
    checks: list[Note] = []
    for wish in parse(text):
        target, per, unit = forecast_target(wish.metric, period, last.figures)
        low, high = _band(wish.metric, band, months) if target is not None else (None, None)
        if wish.percent:
            unit = "percent"
        note = NO_TARGET_NOTES.get(wish.metric)
        if wish.metric == KpiMetric.CONVERSIONS:
            note = _("Counted as leads in the forecast.")
        found.append(
            KpiTarget(
                wish.metric,
                str(KpiMetric(wish.metric).label),
                True,
                per,
                target,
                unit,
                wish.requested,
                wish.keyword,
                str(note or ""),
                low,
                high,
            )
        )
        wanted = _wanted(wish, per, len(months))
        if wanted is None or target is None or unit == "percent":
            continue
        check = _outside_band(wish, wanted, low, high, unit, budget, budget_for)
        if check is not None:
            checks.append(check)
            continue
        risk = _beyond_forecast(wish, wanted, target, unit)
        if risk is not None:
            risks.append(risk)
    named = {kpi.metric for kpi in found}
    for metric in CORE:
        if metric not in named:
            target, per, unit = forecast_target(metric, period, last.figures)
            low, high = _band(metric, band, months) if target is not None else (None, None)
            found.append(
                KpiTarget(metric, str(metric.label), False, per, target, unit, low=low, high=high)
            )
    return tuple(found), risks, checks


def _wanted(wish: Wish, per: str, months: int) -> Decimal | None:
    """The client's number on the forecast's footing: a monthly wish over the period."""
    if wish.requested is None:
        return None
    if (
        wish.monthly
        and per == "period"
        and wish.metric
        not in (
            KpiMetric.COST_PER_SUBSCRIBER,
            KpiMetric.CPL,
        )
    ):
        return wish.requested * months
    return wish.requested


def _outside_band(
    wish: Wish,
    wanted: Decimal,
    low: Decimal | None,
    high: Decimal | None,
    unit: str,
    budget: Decimal,
    budget_for: BudgetFor | None,
) -> Note | None:
    label = str(KpiMetric(wish.metric).label)
    requested = _plain(wish.requested)
    if wish.monthly and wish.metric != KpiMetric.REACH:
        requested = gettext("%(n)s a month") % {"n": requested}
    params: dict[str, Any] = {
        "metric": label,
        "requested": requested,
        "low": _plain(low),
        "high": _plain(high),
        "budget": _plain(budget),
    }
    shown = {**params, **{key: _grouped(params[key]) for key in ("low", "high", "budget")}}
    if unit == "rub" and low is not None and wanted < low:
        text = (
            gettext(
                "The client wants %(metric)s of %(requested)s RUB; with %(budget)s RUB a month the "
                "forecast band is %(low)s–%(high)s RUB. A larger budget does not make a lead or a "
                "subscriber cheaper: agree the target or change the activities."
            )
            % shown
        )
        return Note("kpi_cost_outside_band", text, params)
    if unit != "count" or high is None or wanted <= high:
        return None
    needed = budget_for(wish.metric, wanted) if budget_for is not None else None
    params["needed"] = _plain(needed)
    shown["needed"] = _grouped(params["needed"])
    if needed is None:
        text = (
            gettext(
                "The client wants %(requested)s for %(metric)s; with %(budget)s RUB a month the "
                "forecast band is %(low)s–%(high)s, and the audience of the chosen networks and "
                "places does not allow it at any budget: add networks or places, or agree the target."
            )
            % shown
        )
    else:
        text = (
            gettext(
                "The client wants %(requested)s for %(metric)s; with %(budget)s RUB a month the "
                "forecast band is %(low)s–%(high)s. The expected forecast reaches it at about "
                "%(needed)s RUB a month."
            )
            % shown
        )
    return Note("kpi_outside_band", text, params)


def _grouped(text: str) -> str:
    """'1759000' → '1 759 000' (narrow no-break spaces, as Russian typography wants)."""
    if not text.isdigit():
        return text
    return f"{int(text):,}".replace(",", "\u202f")


def _plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def _beyond_forecast(wish: Wish, wanted: Decimal, target: Decimal, unit: str) -> Note | None:
    label = str(KpiMetric(wish.metric).label)
    params = {"metric": label, "requested": str(wish.requested), "forecast": str(target)}
    if unit == "rub" and wanted < target:
        text = (
            gettext(
                "The client wants %(metric)s of %(requested)s RUB; the forecast is %(forecast)s RUB."
            )
            % {**params, "requested": format_amount(wish.requested or wanted),
                 "forecast": format_amount(target)}
        )
        return Note("kpi_cost_below_forecast", text, params)
    if unit == "count" and wanted > target:
        text = (
            gettext("The client wants %(requested)s for %(metric)s; the forecast is %(forecast)s.")
            % params
        )
        return Note("kpi_above_forecast", text, params)
    return None
