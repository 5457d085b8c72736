"""Which outcome each activity's money buys: subscribers or clicks, never both from one rouble.

A campaign is optimised for one objective; a cell (network × activity) that can buy both is
split explicitly, and the split is shown in the proposal and editable in the editor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from kosmmos.briefs.choices import Goal
from kosmmos.proposals.planning.benchmarks import BenchmarkRow
from kosmmos.proposals.planning.errors import PlanError
from kosmmos.proposals.planning.model import Activity

# Goals that want people on the client's site, and goals that want a community.
CLICK_GOALS = frozenset({Goal.SALES, Goal.TRAFFIC, Goal.PROMOTIONS, Goal.RECRUITING, Goal.SEARCH})
SUBSCRIBER_GOALS = frozenset(
    {Goal.REACH, Goal.VALUES, Goal.REPUTATION, Goal.CROSS_MARKETING, Goal.COMPETITORS}
)
SHARE_PLACES = Decimal("0.0001")


def buys_subscribers(row: BenchmarkRow) -> bool:
    return row.cost_per_subscriber is not None


def buys_clicks(row: BenchmarkRow) -> bool:
    return row.cpm is not None and (row.ctr is not None or row.cpc is not None)


def default_share(row: BenchmarkRow, goals: Sequence[str]) -> Decimal | None:
    """The share of the cell's money bought as subscribers: by the goals' mix; a giveaway buys
    subscribers only. None when the cell buys neither or one outcome by nature."""
    subscribers, clicks = buys_subscribers(row), buys_clicks(row)
    if not subscribers and not clicks:
        return None
    if not clicks:
        return Decimal(1)
    if not subscribers:
        return Decimal(0)
    if row.activity == Activity.CONTESTS:
        return Decimal(1)
    wanted_clicks = sum(1 for goal in goals if goal in CLICK_GOALS)
    wanted_subscribers = sum(1 for goal in goals if goal in SUBSCRIBER_GOALS)
    if wanted_clicks + wanted_subscribers == 0:
        return Decimal("0.5")
    share = Decimal(wanted_subscribers) / Decimal(wanted_clicks + wanted_subscribers)
    return share.quantize(SHARE_PLACES)


def share_for(
    row: BenchmarkRow,
    goals: Sequence[str],
    fixed: Mapping[str, Mapping[str, Decimal | None]] | None,
) -> Decimal | None:
    """The manager's split wins; a cell that can buy only one outcome keeps it."""
    default = default_share(row, goals)
    value = (fixed or {}).get(row.network, {}).get(row.activity)
    if value is None or default is None:
        return default
    if not (value.is_finite() and 0 <= value <= 1):
        raise PlanError(
            "bad_override",
            _("The subscriber share of %(network)s / %(activity)s must be from 0 to 1."),
            network=row.network,
            activity=row.activity,
        )
    if not buys_clicks(row):
        return Decimal(1)
    if not buys_subscribers(row):
        return Decimal(0)
    return value.quantize(SHARE_PLACES)
