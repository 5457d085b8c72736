"""KPI targets: what the client wrote in the brief, matched to what the forecast supports."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

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
                wishes[metric] = Wish(metric, match.group().strip(), number, percent)
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


def forecast_target(
    metric: str, period: Figures, last: MonthForecast
) -> tuple[Decimal | None, str, str]:
    """(target, per, unit) the forecast supports; reach is a monthly figure, not a sum."""
    if metric == KpiMetric.REACH:
        return Decimal(last.figures.reach), "month", "count"
    if metric == KpiMetric.CONVERSIONS:
        return Decimal(period.leads), "period", "count"
    if metric in (KpiMetric.COST_PER_SUBSCRIBER, KpiMetric.CPL):
        return getattr(period, str(metric)), "period", "rub"
    if metric in (
        KpiMetric.IMPRESSIONS,
        KpiMetric.CLICKS,
        KpiMetric.SUBSCRIBERS,
        KpiMetric.LEADS,
        KpiMetric.SALES,
    ):
        return Decimal(getattr(period, str(metric))), "period", "count"
    return None, "period", "percent" if metric == KpiMetric.ROMI else "count"


def targets(
    text: str, period: Figures, months: Sequence[MonthForecast]
) -> tuple[tuple[KpiTarget, ...], list[Note]]:
    """The brief's KPIs first, then the core forecast KPIs; plus risks where a number the client
    wrote is beyond what the forecast supports."""
    last = months[-1]
    found: list[KpiTarget] = []
    risks: list[Note] = []
    for wish in parse(text):
        target, per, unit = forecast_target(wish.metric, period, last)
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
            )
        )
        risk = _beyond_forecast(wish, target, unit)
        if risk is not None:
            risks.append(risk)
    named = {kpi.metric for kpi in found}
    for metric in CORE:
        if metric not in named:
            target, per, unit = forecast_target(metric, period, last)
            found.append(KpiTarget(metric, str(metric.label), False, per, target, unit))
    return tuple(found), risks


def _beyond_forecast(wish: Wish, target: Decimal | None, unit: str) -> Note | None:
    if wish.requested is None or target is None or unit == "percent":
        return None
    label = str(KpiMetric(wish.metric).label)
    params = {"metric": label, "requested": str(wish.requested), "forecast": str(target)}
    if unit == "rub" and wish.requested < target:
        text = (
            gettext(
                "The client wants %(metric)s of %(requested)s RUB; the forecast is "
                "%(forecast)s RUB."
            )
            % params
        )
        return Note("kpi_cost_below_forecast", text, params)
    if unit == "count" and wish.requested > target:
        text = (
            gettext("The client wants %(requested)s for %(metric)s; the forecast is %(forecast)s.")
            % params
        )
        return Note("kpi_above_forecast", text, params)
    return None
