"""The forecast an SMM manager would sign: one outcome per rouble, niches, churn, bands and
sanity checks that name the budget."""

from __future__ import annotations

import dataclasses
import os
from datetime import date
from decimal import Decimal
from fractions import Fraction

import django
import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
    settings.configure(USE_I18N=True, LANGUAGE_CODE="en")
    django.setup()

from kosmmos.briefs.choices import Goal, Niche, ProductType
from kosmmos.proposals.planning import (
    BriefInput,
    MediaPlan,
    Overrides,
    PlanError,
    load_default_benchmarks,
    plan,
)
from kosmmos.proposals.planning.forecast import cell_yield
from kosmmos.proposals.planning.pricing import for_niche

TABLE = load_default_benchmarks()
COUNTS = ("impressions", "reach", "clicks", "subscribers", "leads", "sales")
RUSSIAN = ("vk", "ok", "telegram", "dzen", "rutube", "vk_video")
PROPERTY = hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def make_brief(**changes: object) -> BriefInput:
    values: dict[str, object] = {
        "networks": ("vk", "telegram"),
        "goals": ("traffic", "reach", "promotions"),
        "product_type": "limited",
        "budget_per_month": Decimal("150000"),
        "period_months": 3,
        "start_month": date(2026, 1, 1),
        "niche": "ecommerce",
    }
    values.update(changes)
    return BriefInput(**values)  # type: ignore[arg-type]


briefs = st.builds(
    make_brief,
    networks=st.lists(st.sampled_from(RUSSIAN), min_size=1, max_size=3, unique=True),
    goals=st.lists(st.sampled_from(Goal.values), max_size=4, unique=True),
    product_type=st.sampled_from(ProductType.values),
    period_months=st.integers(1, 12),
    niche=st.sampled_from(Niche.values),
    budget_per_month=st.integers(300_000, 60_000_000).map(lambda k: Decimal(k) / 100),
)


def planned(brief: BriefInput, overrides: Overrides | None = None) -> MediaPlan | None:
    try:
        return plan(brief, TABLE, overrides)
    except PlanError as error:
        assert error.code == "budget_too_small"
        return None


@PROPERTY
@given(
    spend=st.integers(1, 10**8).map(lambda k: Fraction(k, 100)),
    share=st.fractions(0, 1),
    index=st.integers(0, len(TABLE.rows) - 1),
    niche=st.sampled_from(Niche.values),
)
def test_it_never_buys_two_outcomes_with_one_rouble(
    spend: Fraction, share: Fraction, index: int, niche: str
) -> None:
    row = for_niche(TABLE, niche).rows[index]
    got = cell_yield(spend, row, share)
    assert got.click_spend + got.subscriber_spend <= spend
    # What the clicks and the subscribers cost at the row's prices fits in the spend, once.
    paid = Fraction(0)
    if got.clicks:
        assert row.cpm is not None
        per_click = Fraction(row.cpc) if row.cpc else Fraction(0)
        if row.ctr:
            per_click = max(per_click, Fraction(row.cpm) / 1000 / Fraction(row.ctr))
        paid += got.clicks * per_click
    if got.subscribers:
        assert row.cost_per_subscriber is not None
        paid += got.subscribers / Fraction(row.retention) * Fraction(row.cost_per_subscriber)
    assert paid <= spend


@PROPERTY
@given(brief=briefs)
def test_it_counts_clicks_or_subscribers_from_a_cell_as_the_split_says(brief: BriefInput) -> None:
    result = planned(brief)
    if result is None:
        return
    everything = {
        net: {a.activity: Decimal(1) for a in result.activities if a.network == net}
        for net in result.funded_networks
    }
    nothing = {net: dict.fromkeys(acts, Decimal(0)) for net, acts in everything.items()}
    all_subscribers = plan(brief, TABLE, Overrides(objectives=everything))
    all_clicks = plan(brief, TABLE, Overrides(objectives=nothing))
    assert all_subscribers.period.clicks == 0
    assert all_clicks.period.subscribers == 0
    # The default split sits between the two ends for each outcome.
    assert result.period.clicks <= all_clicks.period.clicks
    assert result.period.subscribers <= all_subscribers.period.subscribers


@PROPERTY
@given(
    brief=briefs,
    more=st.integers(1, 5_000_000).map(lambda k: Decimal(k) / 100),
    share=st.sampled_from([Decimal(0), Decimal("0.25"), Decimal("0.5"), Decimal(1)]),
)
def test_it_is_monotonic_in_budget_per_objective(
    brief: BriefInput, more: Decimal, share: Decimal
) -> None:
    base = planned(brief)
    if base is None:
        return
    split = Overrides(
        objectives={
            net: {a.activity: share for a in base.activities if a.network == net}
            for net in base.funded_networks
        }
    )
    low = plan(brief, TABLE, split)
    high = plan(
        dataclasses.replace(brief, budget_per_month=brief.budget_per_month + more), TABLE, split
    )
    for name in COUNTS:
        assert getattr(high.period, name) >= getattr(low.period, name), name
        assert getattr(high.period_high, name) >= getattr(low.period_high, name), name
        assert getattr(high.period_low, name) >= getattr(low.period_low, name), name


@PROPERTY
@given(brief=briefs)
def test_it_orders_every_band_low_expected_high(brief: BriefInput) -> None:
    result = planned(brief)
    if result is None:
        return
    assert result.period_low is not None and result.period_high is not None
    for month in result.forecast:
        assert month.low is not None and month.high is not None
        for name in COUNTS:
            assert getattr(month.low, name) <= getattr(month.figures, name), name
            assert getattr(month.figures, name) <= getattr(month.high, name), name
    for name in COUNTS:
        assert getattr(result.period_low, name) <= getattr(result.period, name)
        assert getattr(result.period, name) <= getattr(result.period_high, name)
    for kpi in result.kpis:
        if kpi.target is not None and kpi.low is not None and kpi.high is not None:
            assert kpi.low <= kpi.target <= kpi.high, kpi


def test_it_sells_by_the_niche() -> None:
    sales = {}
    for niche in ("real_estate", "services", "food"):
        result = plan(make_brief(niche=niche), TABLE)
        sales[niche] = result.period.sales
        note = next(n for n in result.assumptions if n.code == "lead_to_sale")
        assert str(Niche(niche).label) in note.text
    assert sales["real_estate"] < sales["services"] < sales["food"]
    assert TABLE.niches["b2b"].lead_to_sale <= Decimal("0.03")


def test_it_makes_telegram_subscribers_dearer_in_finance() -> None:
    brief = make_brief(networks=("telegram",), goals=("reach",))
    retail, finance = plan(brief, TABLE), plan(dataclasses.replace(brief, niche="finance"), TABLE)
    assert finance.period.subscribers * 2 < retail.period.subscribers


def test_it_lets_a_manager_override_win_over_the_niche() -> None:
    fixed = Overrides(
        benchmarks={"telegram": {"seeding": {"cost_per_subscriber": "100"}}},
        funnel={"lead_to_sale": "0.5"},
    )
    row = lambda niche: for_niche(TABLE, niche).with_overrides(fixed.benchmarks, fixed.funnel)  # noqa: E731
    for niche in ("finance", "food"):
        table = row(niche)
        assert table.row("telegram", "seeding").cost_per_subscriber == Decimal("100")  # type: ignore[union-attr]
        assert table.funnel.lead_to_sale == Decimal("0.5")


def test_it_keeps_giveaway_subscribers_by_their_retention() -> None:
    brief = make_brief(networks=("vk",), goals=("cross_marketing",))
    only = Overrides(activities={"vk": ["contests"]}, network_shares=None)
    kept = plan(brief, TABLE, only)
    everyone = plan(
        brief,
        TABLE,
        Overrides(
            activities={"vk": ["contests"]},
            benchmarks={"vk": {"contests": {"retention": "1"}}},
        ),
    )
    assert kept.period.subscribers < everyone.period.subscribers * Decimal("0.45")
    assert "retention" in {n.code for n in kept.assumptions}


def test_it_keeps_cpc_consistent_with_cpm_and_ctr() -> None:
    for row in TABLE.rows:
        if row.cpc is not None and row.cpm is not None and row.ctr:
            implied = row.cpm / 1000 / row.ctr
            assert abs(row.cpc - implied) <= implied * Decimal("0.1"), row
    vk = TABLE.row("vk", "targeted_ads")
    assert vk is not None and vk.ctr is not None and vk.ctr <= Decimal("0.0055")


def test_it_asks_a_first_telegram_ads_payment_of_about_fifty_thousand() -> None:
    row = TABLE.row("telegram", "targeted_ads")
    assert row is not None and row.first_payment == Decimal("50000")
    result = plan(make_brief(), TABLE)
    assert "first_payment" in {n.code for n in result.risks}


def test_it_says_at_the_top_which_budget_reaches_a_kpi_outside_the_band() -> None:
    result = plan(make_brief(kpis="150 заявок в месяц"), TABLE)
    (check,) = result.checks
    assert check.code == "kpi_outside_band"
    needed = Decimal(check.params["needed"])
    assert needed > result.budget_per_month and needed % 1000 == 0
    at = plan(make_brief(budget_per_month=needed), TABLE)
    below = plan(make_brief(budget_per_month=needed - 1000), TABLE)
    assert at.period.leads >= 450 > below.period.leads
    assert "150" in check.text and f"{int(needed):,}".replace(",", "\u202f") in check.text


def test_it_says_when_no_budget_reaches_a_kpi() -> None:
    result = plan(make_brief(kpis="охват 500 млн в месяц"), TABLE)
    (check,) = result.checks
    assert check.params["needed"] == ""


def test_it_keeps_a_reachable_kpi_off_the_top() -> None:
    result = plan(make_brief(kpis="20 заявок в месяц"), TABLE)
    assert result.checks == ()


def test_it_rejects_an_unknown_niche_and_a_split_out_of_range() -> None:
    with pytest.raises(PlanError) as caught:
        plan(make_brief(niche="casino"), TABLE)
    assert caught.value.code == "unknown_niche"
    with pytest.raises(PlanError) as caught:
        plan(make_brief(), TABLE, Overrides(objectives={"vk": {"targeted_ads": "2"}}))
    assert caught.value.code == "bad_override"


def test_it_round_trips_bands_and_checks_through_json() -> None:
    result = plan(make_brief(kpis="150 заявок в месяц"), TABLE)
    assert MediaPlan.from_dict(result.to_dict()) == result
