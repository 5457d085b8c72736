"""The editable benchmark table behind every forecast number.

Each row says where its figures come from (``source``) and when (``date``). The packaged
default (``kosmmos/proposals/data/benchmarks.json``) holds rounded agency estimates, not
measurements: an agency is expected to replace it with its own results.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, cached_property
from importlib import resources
from typing import Any, Self

from django.utils.translation import gettext_lazy as _

from kosmmos.proposals.planning.codec import from_jsonable, to_jsonable
from kosmmos.proposals.planning.errors import PlanError

OVERRIDE_SOURCE = "manager override"


@dataclass(frozen=True)
class BenchmarkRow:
    """What one rouble buys for one activity on one network, per month.

    ``cpm`` is RUB per 1000 impressions (for content: production cost per 1000 organic views);
    ``None`` means the activity brings no impressions of its own (design, moderation).
    ``cpc`` and ``cost_per_subscriber`` in RUB; ``ctr`` and ``click_to_lead`` are fractions;
    ``frequency`` is impressions per person reached. ``min_monthly`` is the least spend that
    is worth running; ``unit_cost`` prices one ``unit`` (a placement, a contest…).
    ``retention`` is the share of the subscribers bought who are still there a month later
    (giveaway subscribers leave after the draw); ``spread`` is how far the prices and rates may
    be off either way (0.25: prices up to 1.25× or down to 1/1.25), which makes the confidence
    band; ``first_payment`` is the least first top-up a reseller takes (Telegram Ads), if any.
    Prices are before the niche multipliers and the advertising levy (see ``Costs``).
    """

    network: str
    activity: str
    cpm: Decimal | None
    ctr: Decimal | None
    cpc: Decimal | None
    cost_per_subscriber: Decimal | None
    click_to_lead: Decimal
    frequency: Decimal
    min_monthly: Decimal
    unit_cost: Decimal | None
    unit: str
    source: str
    date: str
    retention: Decimal = Decimal(1)
    spread: Decimal = Decimal("0.25")
    first_payment: Decimal | None = None


@dataclass(frozen=True)
class NetworkProfile:
    """A network's monthly audience in Russia, its base weight in a split, how well it serves
    each goal (0–3) and its content format mix (relative counts of posts)."""

    network: str
    monthly_audience: int
    weight: Decimal
    goal_fit: Mapping[str, int]
    formats: Mapping[str, int]
    source: str
    date: str


@dataclass(frozen=True)
class FormatCost:
    cost: Decimal
    source: str
    date: str


@dataclass(frozen=True)
class FunnelRates:
    """Shares down the pyramid and the rates that are the client's rather than a network's."""

    target_share: Decimal
    loyal_share: Decimal
    subscriber_to_lead: Decimal
    lead_to_sale: Decimal
    source: str
    date: str
    lead_to_sale_low: Decimal | None = None
    lead_to_sale_high: Decimal | None = None


@dataclass(frozen=True)
class NicheFactors:
    """What the client's niche changes: how many leads become sales (a range and its middle),
    a multiplier on paid media prices (CPM, CPC) and, per network, on the cost per subscriber.
    An empty ``subscriber_cost`` entry means 1."""

    niche: str
    lead_to_sale: Decimal
    lead_to_sale_low: Decimal
    lead_to_sale_high: Decimal
    price: Decimal
    subscriber_cost: Mapping[str, Decimal]
    source: str
    date: str


@dataclass(frozen=True)
class Costs:
    """What every paid placement costs on top of its price: the levy on internet advertising
    (a fraction, passed on by platforms and resellers) and the year's price rise already in the
    table's prices (a fraction, stated so a reader knows the prices are current)."""

    ad_levy: Decimal
    levy_source: str
    price_rise: Decimal
    price_rise_source: str
    date: str


@dataclass(frozen=True)
class Ramp:
    """Month multipliers of leads and sales per product type; the last value repeats."""

    multipliers: Mapping[str, tuple[Decimal, ...]]
    source: str
    date: str


@dataclass(frozen=True)
class GeoFactors:
    """Shares of a network's Russian audience living in a place (roughly population shares),
    and the monthly internet audience of Russia, which bounds the audiences of all networks."""

    home_country: tuple[str, ...]
    internet_users: int
    abroad: Decimal
    default_region: Decimal
    default_city: Decimal
    places: Mapping[str, Decimal]
    source: str
    date: str


_RATE_FIELDS = ("ctr", "click_to_lead")
_PRICE_FIELDS = ("cpm", "cpc", "cost_per_subscriber", "unit_cost")


@dataclass(frozen=True)
class Benchmarks:
    """The whole table. Build it with ``from_dict`` / ``load_default_benchmarks``; both check it."""

    version: str
    currency: str
    about: str
    networks: Mapping[str, NetworkProfile]
    rows: tuple[BenchmarkRow, ...]
    formats: Mapping[str, FormatCost]
    funnel: FunnelRates
    ramp: Ramp
    geography: GeoFactors
    niches: Mapping[str, NicheFactors]
    costs: Costs

    @cached_property
    def _index(self) -> dict[tuple[str, str], BenchmarkRow]:
        return {(row.network, row.activity): row for row in self.rows}

    def row(self, network: str, activity: str) -> BenchmarkRow | None:
        return self._index.get((network, activity))

    def activities_for(self, network: str) -> tuple[str, ...]:
        """Activities the table knows for ``network``, in table order; others are unavailable."""
        return tuple(row.activity for row in self.rows if row.network == network)

    def with_overrides(
        self,
        rows: Mapping[str, Mapping[str, Mapping[str, Decimal | None]]] | None,
        funnel: Mapping[str, Decimal | None] | None,
    ) -> Benchmarks:
        """A copy with single values replaced; touched rows get ``source`` = manager override."""
        table = self
        if rows:
            patched = []
            for row in self.rows:
                values = rows.get(row.network, {}).get(row.activity)
                patched.append(_patch(row, values) if values else row)
            for network, acts in rows.items():
                for activity in acts:
                    if self.row(network, activity) is None:
                        raise PlanError(
                            "bad_override",
                            _("There is no benchmark row for %(network)s / %(activity)s."),
                            network=network,
                            activity=activity,
                        )
            table = dataclasses.replace(table, rows=tuple(patched))
        if funnel:
            table = dataclasses.replace(table, funnel=_patch(table.funnel, funnel))
        table.check()
        return table

    def check(self) -> None:
        """Raise ``PlanError('bad_benchmarks')`` on a value no forecast can use."""
        for row in self.rows:
            where = f"{row.network}/{row.activity}"
            for name in _PRICE_FIELDS:
                value = getattr(row, name)
                if value is not None and not (value.is_finite() and value > 0):
                    _bad_table(where, name)
            for name in _RATE_FIELDS:
                value = getattr(row, name)
                if value is not None and not (value.is_finite() and 0 <= value <= 1):
                    _bad_table(where, name)
            if not (row.frequency.is_finite() and row.frequency >= 1):
                _bad_table(where, "frequency")
            if not (row.min_monthly.is_finite() and row.min_monthly >= 0):
                _bad_table(where, "min_monthly")
            if not (row.retention.is_finite() and 0 < row.retention <= 1):
                _bad_table(where, "retention")
            if not (row.spread.is_finite() and 0 <= row.spread <= 3):
                _bad_table(where, "spread")
            if row.network not in self.networks:
                _bad_table(where, "network")
        for name in ("target_share", "loyal_share", "subscriber_to_lead", "lead_to_sale"):
            value = getattr(self.funnel, name)
            if not (value.is_finite() and 0 <= value <= 1):
                _bad_table("funnel", name)
        low, high = self.funnel.lead_to_sale_low, self.funnel.lead_to_sale_high
        for name, value in (("lead_to_sale_low", low), ("lead_to_sale_high", high)):
            if value is not None and not (value.is_finite() and 0 <= value <= 1):
                _bad_table("funnel", name)
        for code, niche in self.niches.items():
            rates = (niche.lead_to_sale_low, niche.lead_to_sale, niche.lead_to_sale_high)
            if not all(r.is_finite() and 0 <= r <= 1 for r in rates) or sorted(rates) != list(
                rates
            ):
                _bad_table(f"niche/{code}", "lead_to_sale")
            factors = (niche.price, *niche.subscriber_cost.values())
            if not all(f.is_finite() and f > 0 for f in factors):
                _bad_table(f"niche/{code}", "price")
        if not (self.costs.ad_levy.is_finite() and 0 <= self.costs.ad_levy < 1):
            _bad_table("costs", "ad_levy")
        for product, values in self.ramp.multipliers.items():
            if not values or any(not (v.is_finite() and 0 <= v <= 1) for v in values):
                _bad_table("ramp", product)

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        try:
            table = from_jsonable(cls, data)
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            raise PlanError(
                "bad_benchmarks",
                _("The benchmark table cannot be read: %(problem)s."),
                problem=repr(error),
            ) from error
        table.check()
        return table


# The numbers a manager may patch; the optional ones may be cleared with None.
_OPTIONAL_NUMBERS = frozenset(
    {"cpm", "ctr", "cpc", "cost_per_subscriber", "unit_cost", "first_payment"}
)
_REQUIRED_NUMBERS = frozenset(
    {"click_to_lead", "frequency", "min_monthly", "retention", "spread"}
    | {"target_share", "loyal_share", "subscriber_to_lead", "lead_to_sale"}
)


def _patch(item: Any, values: Mapping[str, Decimal | None]) -> Any:
    names = {f.name for f in dataclasses.fields(item)}
    for name, value in values.items():
        optional = name in _OPTIONAL_NUMBERS
        if name not in names or not (optional or name in _REQUIRED_NUMBERS):
            raise PlanError("bad_override", _("Unknown benchmark field: %(field)s."), field=name)
        if value is None and not optional:
            raise PlanError(
                "bad_override", _("The benchmark field %(field)s needs a value."), field=name
            )
    return dataclasses.replace(item, **values, source=OVERRIDE_SOURCE)


def _bad_table(where: str, name: str) -> None:
    raise PlanError(
        "bad_benchmarks",
        _("The benchmark value %(field)s in %(row)s is out of range."),
        field=name,
        row=where,
    )


@cache
def load_default_benchmarks() -> Benchmarks:
    """The packaged table. Cached: the result is immutable."""
    text = resources.files("kosmmos.proposals").joinpath("data/benchmarks.json").read_text("utf-8")
    return Benchmarks.from_dict(json.loads(text))
