"""Money → impressions → reach → clicks → subscribers → leads → sales, month by month.

All arithmetic is exact (``Fraction``) and every figure is a non-decreasing function of each
activity's spend: products and minimums of non-negative increasing terms, then rounding.
That is what makes "more budget never forecasts less" true by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

from kosmmos.proposals.planning.allocation import Cell
from kosmmos.proposals.planning.benchmarks import BenchmarkRow, Benchmarks
from kosmmos.proposals.planning.geo import Place
from kosmmos.proposals.planning.model import (
    Figures,
    FunnelLevel,
    FunnelStage,
    MonthForecast,
    NetworkMonth,
)

ZERO = Fraction(0)


@dataclass(frozen=True)
class Yield:
    """One network's steady monthly result before the product-type ramp."""

    impressions: Fraction
    reach: Fraction
    clicks: Fraction
    subscribers: Fraction
    leads: Fraction


@dataclass(frozen=True)
class CellYield:
    """What one cell's money buys. ``click_spend`` + ``subscriber_spend`` never exceed the
    spend: each rouble buys clicks or subscribers, not both. Impressions and reach are what
    either purchase shows on the way; ``subscribers`` are those still there a month later."""

    impressions: Fraction
    reach: Fraction
    clicks: Fraction
    subscribers: Fraction
    leads: Fraction
    click_spend: Fraction
    subscriber_spend: Fraction


def cell_yield(spend: Fraction, row: BenchmarkRow, share: Fraction | None) -> CellYield:
    """The yield of ``spend`` on ``row`` with ``share`` of it bought as subscribers.

    Clicks are the lesser of what viewers of the click-bought impressions click (CTR) and what
    the click money buys at the CPC, so an optimistic CTR cannot outrun the price of a click.
    """
    cpm, ctr, cpc, per_subscriber = row.cpm, row.ctr, row.cpc, row.cost_per_subscriber
    impressions = spend * 1000 / Fraction(cpm) if cpm else ZERO
    reach = impressions / Fraction(row.frequency)
    subscriber_spend = spend * share if per_subscriber and share else ZERO
    click_spend = spend - subscriber_spend if cpm and (ctr or cpc) else ZERO
    clicks = ZERO
    if cpm and click_spend:
        bought = click_spend * 1000 / Fraction(cpm)
        clicks = bought * Fraction(ctr) if ctr else bought
        if cpc:
            clicks = min(clicks, click_spend / Fraction(cpc))
    subscribers = ZERO
    if per_subscriber and subscriber_spend:
        bought = subscriber_spend / Fraction(per_subscriber)
        subscribers = min(bought * Fraction(row.retention), reach)
    leads = clicks * Fraction(row.click_to_lead)
    return CellYield(impressions, reach, clicks, subscribers, leads, click_spend, subscriber_spend)


def network_yield(
    table: Benchmarks,
    network: str,
    spends: Mapping[str, Fraction],
    shares: Mapping[str, Decimal | None],
    place: Place,
) -> Yield:
    """Sum the activities, capping reach at the network's audience in the chosen geography."""
    totals = [ZERO] * 5
    for activity, spend in spends.items():
        row = table.row(network, activity)
        assert row is not None  # the engine only funds activities that have a row
        share = shares.get(activity)
        got = cell_yield(spend, row, None if share is None else Fraction(share))
        for i, value in enumerate(
            (got.impressions, got.reach, got.clicks, got.subscribers, got.leads)
        ):
            totals[i] += value
    impressions, reach, clicks, subscribers, leads = totals
    audience = table.networks[network].monthly_audience * place.share
    reach = min(reach, audience)
    subscribers = min(subscribers, reach)
    clicks = min(clicks, impressions)
    leads = leads + subscribers * Fraction(table.funnel.subscriber_to_lead)
    return Yield(impressions, reach, clicks, subscribers, min(leads, clicks + subscribers))


def ramp_for(table: Benchmarks, product_type: str, months: int) -> tuple[Decimal, ...]:
    values = table.ramp.multipliers.get(product_type) or (Decimal(1),)
    return tuple(values[min(i, len(values) - 1)] for i in range(months))


def figures(
    budget: Decimal,
    impressions: int,
    reach: int,
    clicks: int,
    subscribers: int,
    leads: int,
    sales: int,
) -> Figures:
    return Figures(
        budget=budget,
        impressions=impressions,
        reach=reach,
        clicks=clicks,
        subscribers=subscribers,
        leads=leads,
        sales=sales,
        cost_per_subscriber=money(Fraction(budget) / subscribers) if subscribers else None,
        cpl=money(Fraction(budget) / leads) if leads else None,
    )


def money(value: Fraction) -> Decimal:
    return (Decimal(round(value * 100)) / 100).quantize(Decimal("0.01"))


def ratio(value: Fraction) -> Decimal:
    return (Decimal(round(value * 10000)) / 10000).quantize(Decimal("0.0001"))


def forecast_months(
    table: Benchmarks,
    ideal: Mapping[Cell, Fraction],
    shares: Mapping[Cell, Decimal | None],
    network_amounts: Mapping[str, Decimal],
    budget: Decimal,
    ramp: Sequence[Decimal],
    place: Place,
    start: date | None,
) -> tuple[MonthForecast, ...]:
    """One row per month; each month's totals are the sums of its rounded network rows."""
    yields = {}
    for network in network_amounts:
        spends = {act: amount for (net, act), amount in ideal.items() if net == network}
        split = {act: share for (net, act), share in shares.items() if net == network}
        yields[network] = network_yield(table, network, spends, split, place)
    lead_to_sale = Fraction(table.funnel.lead_to_sale)
    months = []
    cumulative = 0
    for index, multiplier in enumerate(ramp, start=1):
        rows = []
        for network, y in yields.items():
            leads = y.leads * Fraction(multiplier)
            counts = (y.impressions, y.reach, y.clicks, y.subscribers, leads, leads * lead_to_sale)
            rows.append(
                NetworkMonth(
                    network, figures(network_amounts[network], *(round(c) for c in counts))
                )
            )
        total = figures(budget, *(sum(getattr(r.figures, name) for r in rows) for name in COUNTS))
        cumulative += total.subscribers
        months.append(
            MonthForecast(
                index, add_months(start, index - 1), multiplier, total, tuple(rows), cumulative
            )
        )
    return tuple(months)


COUNTS = ("impressions", "reach", "clicks", "subscribers", "leads", "sales")


def with_band(
    months: Sequence[MonthForecast], low: Sequence[MonthForecast], high: Sequence[MonthForecast]
) -> tuple[MonthForecast, ...]:
    """The expected months carrying the totals of the pessimistic and optimistic forecasts."""
    return tuple(
        replace(month, low=lo.figures, high=hi.figures)
        for month, lo, hi in zip(months, low, high, strict=True)
    )


def period_figures(months: Sequence[MonthForecast], budget: Decimal) -> Figures:
    """Sums over the period (reach too: people reached in two months count twice)."""
    total_budget = budget * len(months)
    return figures(
        total_budget, *(sum(getattr(m.figures, name) for m in months) for name in COUNTS)
    )


def add_months(start: date | None, months: int) -> date | None:
    if start is None:
        return None
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def funnel(
    table: Benchmarks, networks: Sequence[str], place: Place, period: Figures
) -> tuple[FunnelLevel, ...]:
    """The seed's pyramid — all users → target audience → subscribers → loyal → clients.

    Each level is capped by the one above so it stays a pyramid; the uncapped sales are in the
    forecast.
    """
    rates = table.funnel
    everyone = round(people_on(table, networks) * place.share)
    target = round(everyone * Fraction(rates.target_share))
    subscribers = min(period.subscribers, target)
    loyal = min(round(subscribers * Fraction(rates.loyal_share)), subscribers)
    clients = min(period.sales, loyal)
    counts = [everyone, target, subscribers, loyal, clients]
    levels = []
    for i, (stage, count) in enumerate(zip(FunnelStage, counts, strict=True)):
        previous = counts[i - 1] if i else 0
        share = ratio(Fraction(count, previous)) if previous else None
        levels.append(FunnelLevel(stage.value, str(stage.label), count, share))
    return tuple(levels)


def people_on(table: Benchmarks, networks: Sequence[str]) -> Fraction:
    """People using at least one of ``networks`` in a month, counted once.

    Audiences overlap; assuming people pick networks independently, the share of internet
    users on none of them is the product of the shares not on each.
    """
    population = Fraction(table.geography.internet_users)
    missed = Fraction(1)
    for network in networks:
        missed *= 1 - min(table.networks[network].monthly_audience / population, Fraction(1))
    return population * (1 - missed)
