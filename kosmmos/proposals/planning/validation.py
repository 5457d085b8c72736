"""Reject briefs and overrides that cannot make a plan, with a machine code and a message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from kosmmos.briefs.choices import FLAGGED_NETWORKS, Goal, Network, Niche, ProductType
from kosmmos.proposals.planning.benchmarks import Benchmarks
from kosmmos.proposals.planning.errors import PlanError
from kosmmos.proposals.planning.model import Activity, BriefInput
from kosmmos.proposals.planning.networks import PAID_ACTIVITIES

MAX_PERIOD_MONTHS = 36


def check_brief(brief: BriefInput) -> None:
    period = brief.period_months
    if (
        isinstance(period, bool)
        or not isinstance(period, int)
        or not (1 <= period <= MAX_PERIOD_MONTHS)
    ):
        raise PlanError(
            "bad_period",
            _("The period must be from %(minimum)d to %(maximum)d months."),
            minimum=1,
            maximum=MAX_PERIOD_MONTHS,
        )
    budget = brief.budget_per_month
    if not (isinstance(budget, Decimal) and budget.is_finite() and budget > 0):
        raise PlanError("bad_budget", _("The monthly budget must be a positive amount in RUB."))
    try:
        whole_kopecks = budget == budget.quantize(Decimal("0.01"))
    except ArithmeticError:  # more digits than Decimal's precision: not a real budget
        whole_kopecks = False
    if not whole_kopecks:
        raise PlanError("bad_budget", _("The monthly budget cannot have fractions of a kopeck."))
    if not brief.networks:
        raise PlanError("no_networks", _("Choose at least one network."))
    check_networks(brief.networks)
    for goal in brief.goals:
        if goal not in Goal.values:
            raise PlanError("unknown_goal", _("Unknown goal: %(goal)s."), goal=goal)
    if brief.product_type not in ProductType.values:
        raise PlanError(
            "unknown_product_type",
            _("Unknown product type: %(product_type)s."),
            product_type=brief.product_type,
        )
    if brief.niche not in ("", *Niche.values):
        raise PlanError("unknown_niche", _("Unknown niche: %(niche)s."), niche=brief.niche)
    if brief.start_month is not None and not isinstance(brief.start_month, date):
        raise PlanError("bad_start_month", _("The start month must be a date."))


def check_networks(networks: Sequence[str]) -> None:
    for network in networks:
        if network not in Network.values:
            raise PlanError("unknown_network", _("Unknown network: %(network)s."), network=network)


def check_funded(networks: Sequence[str], requested: Sequence[str], table: Benchmarks) -> None:
    """Flagged networks only when the client asked; every network needs a table profile."""
    check_networks(networks)
    if not networks:
        raise PlanError("no_networks", _("Choose at least one network."))
    for network in networks:
        if network in FLAGGED_NETWORKS and network not in requested:
            raise PlanError(
                "flagged_not_requested",
                _("%(network)s can be in a plan only when the client asks for it."),
                network=str(Network(network).label),
            )
        if network not in table.networks:
            raise PlanError(
                "no_benchmarks",
                _("The benchmark table has no figures for %(network)s."),
                network=network,
            )


def check_activities(network: str, activities: Sequence[str], table: Benchmarks) -> None:
    if not activities:
        raise PlanError(
            "bad_override", _("Choose at least one activity for %(network)s."), network=network
        )
    available = table.activities_for(network)
    for activity in activities:
        if activity not in Activity.values:
            raise PlanError(
                "unknown_activity", _("Unknown activity: %(activity)s."), activity=activity
            )
        flagged_paid = network in FLAGGED_NETWORKS and activity in PAID_ACTIVITIES
        if activity not in available or flagged_paid:
            raise PlanError(
                "activity_unavailable",
                _("%(activity)s is not available on %(network)s."),
                activity=str(Activity(activity).label),
                network=str(Network(network).label),
            )


def shares(
    weights: Mapping[str, Decimal | None], expected: Sequence[str], what: str
) -> dict[str, Fraction]:
    """Manager weights → exact shares; they must name exactly ``expected`` and not all be 0."""
    if set(weights) != set(expected):
        raise PlanError(
            "bad_override",
            _("Shares for %(what)s must name exactly: %(expected)s."),
            what=what,
            expected=", ".join(expected),
        )
    result = {}
    for key in expected:
        value = weights[key]
        if value is None or not value.is_finite() or value < 0:
            raise PlanError(
                "bad_override", _("The share of %(name)s must be zero or more."), name=key
            )
        result[key] = Fraction(value)
    total = sum(result.values(), Fraction(0))
    if total == 0:
        raise PlanError("bad_override", _("The shares for %(what)s add up to zero."), what=what)
    return {key: value / total for key, value in result.items()}


def check_objectives(
    objectives: Mapping[str, Mapping[str, Decimal | None]] | None, table: Benchmarks
) -> None:
    """Every split the manager fixed names a row of the table."""
    for network, acts in (objectives or {}).items():
        for activity in acts:
            if table.row(network, activity) is None:
                raise PlanError(
                    "bad_override",
                    _("There is no benchmark row for %(network)s / %(activity)s."),
                    network=network,
                    activity=activity,
                )
