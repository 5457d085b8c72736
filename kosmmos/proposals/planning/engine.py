"""``plan()``: a brief, the benchmark table and a manager's overrides in, a media plan out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from kosmmos.briefs.choices import EXTREMIST_NOTE, FLAGGED_NETWORKS, Network
from kosmmos.proposals.planning import (
    forecast,
    kpis,
    networks,
    notes,
    objectives,
    pricing,
    sanity,
    validation,
)
from kosmmos.proposals.planning.activities import describe
from kosmmos.proposals.planning.allocation import Cell, ideal_split, round_split, rub
from kosmmos.proposals.planning.benchmarks import BenchmarkRow, Benchmarks
from kosmmos.proposals.planning.errors import PlanError
from kosmmos.proposals.planning.geo import Place, resolve
from kosmmos.proposals.planning.model import (
    BriefInput,
    MediaPlan,
    MonthForecast,
    NetworkRecommendation,
    Overrides,
)


def plan(
    brief: BriefInput, benchmarks: Benchmarks, overrides: Overrides | None = None
) -> MediaPlan:
    """Build the media plan for ``brief``. Pure and deterministic: the same arguments give an
    equal plan (the texts are rendered in the active language). Raises ``PlanError``."""
    validation.check_brief(brief)
    fixed = overrides or Overrides()
    table = pricing.for_niche(benchmarks, brief.niche).with_overrides(
        fixed.benchmarks, fixed.funnel
    )
    place = resolve(brief.geography, table.geography)
    funded = networks.ordered(fixed.networks if fixed.networks is not None else brief.networks)
    validation.check_funded(funded, brief.networks, table)

    chosen = {net: _activity_weights(table, net, brief.goals, fixed) for net in funded}
    cells: list[Cell] = [(net, act) for net in funded for act in chosen[net]]
    validation.check_objectives(fixed.objectives, table)
    shares = {
        cell: objectives.share_for(_row(table, cell), brief.goals, fixed.objectives)
        for cell in cells
    }
    minimums = {cell: rub(_row(table, cell).min_monthly) for cell in cells}
    minimum = _check_budget(brief.budget_per_month, funded, minimums)

    weights = _cell_weights(table, funded, brief.goals, chosen, fixed)
    use_minimums = not (fixed.network_shares or fixed.activity_shares)

    def months_for(budget: Decimal, at: Benchmarks) -> tuple[MonthForecast, ...]:
        ideal = ideal_split(budget, cells, weights, minimums, use_minimums)
        amounts = round_split(budget, ideal)
        per_net = {
            net: sum((v for (n, _a), v in amounts.items() if n == net), Decimal("0.00"))
            for net in funded
        }
        return forecast.forecast_months(
            at, ideal, shares, per_net, budget, ramp, place, brief.start_month
        )

    ideal = ideal_split(brief.budget_per_month, cells, weights, minimums, use_minimums)
    amounts = round_split(brief.budget_per_month, ideal)
    activities = tuple(
        describe(table, net, act, amounts[(net, act)], brief.budget_per_month, shares[(net, act)])
        for net, act in cells
    )
    per_network = {
        net: sum((a.amount for a in activities if a.network == net), Decimal("0.00"))
        for net in funded
    }

    full_ramp = table.ramp.multipliers.get(brief.product_type, (Decimal(1),))
    ramp = forecast.ramp_for(table, brief.product_type, brief.period_months)
    low_table, high_table = pricing.scenario(table, False), pricing.scenario(table, True)
    expected = months_for(brief.budget_per_month, table)
    low = months_for(brief.budget_per_month, low_table)
    high = months_for(brief.budget_per_month, high_table)
    months = forecast.with_band(expected, low, high)
    period = forecast.period_figures(months, brief.budget_per_month)
    band = (
        forecast.period_figures(low, brief.budget_per_month),
        forecast.period_figures(high, brief.budget_per_month),
    )
    timing = notes.timing(brief.product_type, ramp, full_ramp)

    def budget_for(metric: str, wanted: Decimal) -> Decimal | None:
        return sanity.budget_to_reach(
            lambda budget: kpis.expected_value(metric, months_for(budget, table)),
            brief.budget_per_month,
            wanted,
        )

    kpi_targets, kpi_risks, checks = kpis.targets(
        brief.kpis, months, band, brief.budget_per_month, budget_for
    )
    risks = notes.risks(
        funded,
        activities,
        brief.budget_per_month,
        minimum,
        brief.product_type,
        brief.period_months,
        timing.full_effect_month,
    )
    risks += notes.first_payments(table, activities)

    return MediaPlan(
        brief=brief,
        benchmarks_version=table.version,
        budget_per_month=rub(brief.budget_per_month),
        period_months=brief.period_months,
        networks=_recommendations(table, brief, funded, place, per_network, minimums),
        activities=activities,
        forecast=months,
        period=period,
        funnel=forecast.funnel(table, funded, place, period),
        timing=timing,
        kpis=kpi_targets,
        assumptions=notes.assumptions(table, place, brief, activities),
        risks=tuple(risks + kpi_risks),
        overrides=overrides,
        period_low=band[0],
        period_high=band[1],
        checks=tuple(checks),
    )


def _activity_weights(
    table: Benchmarks, network: str, goals: Sequence[str], fixed: Overrides
) -> dict[str, int]:
    """The activities run on ``network`` (the manager's list wins) with their default weights."""
    defaults = networks.default_activities(table, network, goals)
    if fixed.activities is None or network not in fixed.activities:
        return defaults
    wanted = list(dict.fromkeys(fixed.activities[network]))
    validation.check_activities(network, wanted, table)
    # An activity the goals did not call for still gets a weight, or it would get nothing.
    return {act: defaults.get(act, 1) for act in table.activities_for(network) if act in wanted}


def _check_budget(
    budget: Decimal, funded: Sequence[str], minimums: Mapping[Cell, Decimal]
) -> Decimal:
    """The least monthly budget that runs every chosen activity; raise when the brief's is less."""
    per_network = {
        net: sum((m for (n, _a), m in minimums.items() if n == net), Decimal(0)) for net in funded
    }
    minimum = rub(sum(per_network.values(), Decimal(0)))
    if budget < minimum:
        raise PlanError(
            "budget_too_small",
            _(
                "A budget of %(budget)s RUB a month is below the %(minimum)s RUB the chosen "
                "networks and activities need."
            ),
            budget=budget,
            minimum=minimum,
            per_network={net: str(value) for net, value in per_network.items()},
        )
    return minimum


def _cell_weights(
    table: Benchmarks,
    funded: Sequence[str],
    goals: Sequence[str],
    chosen: Mapping[str, Mapping[str, int]],
    fixed: Overrides,
) -> dict[Cell, Fraction]:
    """Share of the budget (after minimums) per (network, activity): network × activity share."""
    if fixed.network_shares:
        net_shares = validation.shares(fixed.network_shares, funded, "networks")
    else:
        raw = {net: networks.network_weight(table, net, goals) for net in funded}
        net_shares = {net: weight / sum(raw.values()) for net, weight in raw.items()}
    weights: dict[Cell, Fraction] = {}
    for net in funded:
        manual = (fixed.activity_shares or {}).get(net)
        if manual:
            act_shares = validation.shares(manual, list(chosen[net]), net)
        else:
            total = sum(chosen[net].values())
            act_shares = {act: Fraction(w, total) for act, w in chosen[net].items()}
        for act, share in act_shares.items():
            weights[(net, act)] = net_shares[net] * share
    return weights


def _recommendations(
    table: Benchmarks,
    brief: BriefInput,
    funded: Sequence[str],
    place: Place,
    per_network: Mapping[str, Decimal],
    minimums: Mapping[Cell, Decimal],
) -> tuple[NetworkRecommendation, ...]:
    """Funded networks with their money, then unfunded suggestions, each in Russian-first order."""
    items = []
    for net in funded:
        requested = net in brief.networks
        net_minimum = sum((m for (n, _a), m in minimums.items() if n == net), Decimal("0.00"))
        items.append(
            NetworkRecommendation(
                network=net,
                label=str(Network(net).label),
                requested=requested,
                funded=True,
                reasons=networks.reasons(table, net, brief.goals, place, requested),
                legal_note=str(EXTREMIST_NOTE) if net in FLAGGED_NETWORKS else "",
                monthly_budget=per_network[net],
                minimum_budget=net_minimum,
            )
        )
    for net, why in networks.suggestions(table, funded, brief.goals, place):
        reasons = (why, *networks.reasons(table, net, brief.goals, place, requested=False))
        items.append(
            NetworkRecommendation(
                network=net,
                label=str(Network(net).label),
                requested=False,
                funded=False,
                reasons=reasons,
                minimum_budget=_suggested_minimum(table, net, brief.goals),
            )
        )
    return tuple(items)


def _suggested_minimum(table: Benchmarks, network: str, goals: Sequence[str]) -> Decimal:
    """What adding a suggested network would cost at least, with its default activities."""
    acts = networks.default_activities(table, network, goals)
    rows = (table.row(network, act) for act in acts)
    return rub(sum((row.min_monthly for row in rows if row is not None), Decimal(0)))


def _row(table: Benchmarks, cell: Cell) -> BenchmarkRow:
    row = table.row(*cell)
    assert row is not None  # activities are chosen from the table's rows
    return row
