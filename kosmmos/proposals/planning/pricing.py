"""The table as it applies to one client: the niche's prices and rates, the advertising levy,
and the pessimistic and optimistic tables that make the confidence band.

Every function returns a new table; the packaged one is never changed. The manager's own
per-proposal overrides are applied after ``for_niche`` (they win over the niche), and the band
is made from the table the manager ended up with.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from kosmmos.proposals.planning.benchmarks import BenchmarkRow, Benchmarks, NicheFactors
from kosmmos.proposals.planning.model import Activity

# Placements sold as advertising: their prices carry the levy and the niche's price multiplier.
ADVERTISING = frozenset({Activity.TARGETED_ADS, Activity.SEEDING})
# Activities whose subscribers are bought (the niche changes what a subscriber costs).
PAID = frozenset({Activity.TARGETED_ADS, Activity.SEEDING, Activity.CONTESTS})
FALLBACK_NICHE = "other"
ONE = Decimal(1)


def niche_factors(table: Benchmarks, niche: str) -> NicheFactors | None:
    return table.niches.get(niche) or table.niches.get(FALLBACK_NICHE)


def for_niche(table: Benchmarks, niche: str) -> Benchmarks:
    """Prices with the levy and the niche applied; the funnel's lead-to-sale from the niche."""
    factors = niche_factors(table, niche)
    levy = ONE + table.costs.ad_levy
    rows = tuple(_priced(row, factors, levy) for row in table.rows)
    funnel = table.funnel
    if factors is not None:
        funnel = dataclasses.replace(
            funnel,
            lead_to_sale=factors.lead_to_sale,
            lead_to_sale_low=factors.lead_to_sale_low,
            lead_to_sale_high=factors.lead_to_sale_high,
            source=factors.source,
            date=factors.date,
        )
    return dataclasses.replace(table, rows=rows, funnel=funnel)


def _priced(row: BenchmarkRow, factors: NicheFactors | None, levy: Decimal) -> BenchmarkRow:
    if row.activity not in PAID:
        return row
    price = levy if row.activity in ADVERTISING else ONE
    subscriber = price
    if factors is not None:
        price *= factors.price
        subscriber *= factors.price * factors.subscriber_cost.get(row.network, ONE)
    return dataclasses.replace(
        row,
        cpm=_times(row.cpm, price),
        cpc=_times(row.cpc, price),
        cost_per_subscriber=_times(row.cost_per_subscriber, subscriber),
    )


def _times(value: Decimal | None, factor: Decimal) -> Decimal | None:
    return None if value is None else value * factor


def scenario(table: Benchmarks, optimistic: bool) -> Benchmarks:
    """Every row at one end of its ``spread``: prices ×(1+spread) and rates ÷(1+spread) for the
    pessimistic table, the reverse (rates capped at 1) for the optimistic one; lead-to-sale at
    the end of its range. Each figure of the forecast is monotonic in each of these values, so
    the band is ordered low ≤ expected ≤ high by construction."""
    rows = []
    for row in table.rows:
        factor = ONE + row.spread
        price, rate = (ONE / factor, factor) if optimistic else (factor, ONE / factor)
        rows.append(
            dataclasses.replace(
                row,
                cpm=_times(row.cpm, price),
                cpc=_times(row.cpc, price),
                cost_per_subscriber=_times(row.cost_per_subscriber, price),
                ctr=None if row.ctr is None else min(row.ctr * rate, ONE),
                click_to_lead=min(row.click_to_lead * rate, ONE),
                retention=min(row.retention * rate, ONE),
            )
        )
    rates = table.funnel
    expected = rates.lead_to_sale
    if optimistic:
        sale = max(rates.lead_to_sale_high or expected, expected)
    else:
        sale = min(rates.lead_to_sale_low or expected, expected)
    funnel = dataclasses.replace(rates, lead_to_sale=sale)
    return dataclasses.replace(table, rows=tuple(rows), funnel=funnel)
