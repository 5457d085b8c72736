"""The proposal planner: exact money, monotonic forecasts, honest warnings, stable JSON."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import random
import re
from datetime import date
from decimal import Decimal

import django
import pytest
from django.conf import settings

# The project settings module is written in parallel; the planner needs only gettext.
if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
    settings.configure(USE_I18N=True, LANGUAGE_CODE="en")
    django.setup()

from kosmmos.briefs.choices import (
    EXTREMIST_NOTE,
    FLAGGED_NETWORKS,
    Goal,
    Network,
    ProductType,
)
from kosmmos.lib.money import format_amount
from kosmmos.proposals.planning import (
    Benchmarks,
    BriefInput,
    FunnelStage,
    Geography,
    MediaPlan,
    Overrides,
    PlanError,
    load_default_benchmarks,
    plan,
)
from kosmmos.proposals.planning.allocation import largest_remainder
from kosmmos.proposals.planning.kpis import parse
from kosmmos.proposals.planning.networks import PAID_ACTIVITIES

TABLE = load_default_benchmarks()
COUNTS = ("impressions", "reach", "clicks", "subscribers", "leads", "sales")


def make_brief(**changes: object) -> BriefInput:
    values: dict[str, object] = {
        "networks": ("vk", "telegram"),
        "goals": ("traffic", "reach"),
        "product_type": "one_off",
        "budget_per_month": Decimal("200000"),
        "period_months": 6,
        "kpis": "",
        "start_month": date(2026, 3, 1),
    }
    values.update(changes)
    return BriefInput(**values)


def random_brief(rng: random.Random) -> BriefInput:
    """A valid brief with a budget at or above its minimum (found by asking the planner)."""
    networks = rng.sample(Network.values, rng.randint(1, 4))
    goals = rng.sample(Goal.values, rng.randint(0, 4))
    cities = rng.choice([(), ("Москва",), ("Казань", "Тверь")])
    country = rng.choice(["Россия", "Россия", "Казахстан"])
    brief = make_brief(
        networks=networks,
        goals=goals,
        product_type=rng.choice(ProductType.values),
        period_months=rng.randint(1, 12),
        budget_per_month=Decimal(rng.randint(1, 60_000_000)) / 100,
        geography=Geography(country=country, cities=cities),
        start_month=date(2026, rng.randint(1, 12), 1),
    )
    try:
        plan(brief, TABLE)
    except PlanError as error:
        assert error.code == "budget_too_small"
        minimum = Decimal(error.params["minimum"])
        assert minimum > brief.budget_per_month
        extra = Decimal(rng.randint(0, 30_000_000)) / 100
        return dataclasses.replace(brief, budget_per_month=minimum + extra)
    return brief


def briefs(count: int, seed: int = 20260301) -> list[BriefInput]:
    rng = random.Random(seed)
    return [random_brief(rng) for _ in range(count)]


def test_it_splits_the_budget_to_the_kopeck_over_many_briefs() -> None:
    for brief in briefs(200):
        result = plan(brief, TABLE)
        amounts = [item.amount for item in result.activities]
        assert sum(amounts) == brief.budget_per_month
        assert all(amount == amount.quantize(Decimal("0.01")) for amount in amounts)
        assert all(item.amount >= item.minimum for item in result.activities)
        funded = [n for n in result.networks if n.funded]
        assert sum(n.monthly_budget for n in funded) == brief.budget_per_month


def test_it_never_forecasts_less_for_more_budget() -> None:
    rng = random.Random(7)
    for brief in briefs(150, seed=7):
        more = brief.budget_per_month + rng.choice(
            [Decimal("0.01"), Decimal("1"), Decimal(rng.randint(1, 5_000_000)) / 100]
        )
        low = plan(brief, TABLE)
        high = plan(dataclasses.replace(brief, budget_per_month=more), TABLE)
        for a, b in zip(low.forecast, high.forecast, strict=True):
            for name in COUNTS:
                assert getattr(b.figures, name) >= getattr(a.figures, name), (brief, name)


def test_it_forecasts_no_negative_figures() -> None:
    for brief in briefs(150, seed=11):
        result = plan(brief, TABLE)
        assert len(result.forecast) == brief.period_months
        for month in result.forecast:
            rows = [month.figures, *(n.figures for n in month.networks)]
            for figures in rows:
                assert all(getattr(figures, name) >= 0 for name in COUNTS)
                for cost in (figures.cost_per_subscriber, figures.cpl):
                    assert cost is None or cost > 0


def test_it_gives_the_same_plan_for_the_same_brief() -> None:
    brief = make_brief(kpis="5000 подписчиков")
    assert plan(brief, TABLE) == plan(brief, TABLE)
    assert json.dumps(plan(brief, TABLE).to_dict()) == json.dumps(plan(brief, TABLE).to_dict())


def test_it_round_trips_through_json() -> None:
    overrides = Overrides(network_shares={"vk": 2, "telegram": "1"})
    for brief in [*briefs(40, seed=3), make_brief(kpis="ROMI 200%, 300 заявок")]:
        fits = set(brief.networks) == {"vk", "telegram"}
        result = plan(brief, TABLE, overrides if fits else None)
        stored = json.loads(json.dumps(result.to_dict()))
        assert MediaPlan.from_dict(stored) == result
    assert Benchmarks.from_dict(json.loads(json.dumps(TABLE.to_dict()))) == TABLE


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"period_months": 0}, "bad_period"),
        ({"period_months": -3}, "bad_period"),
        ({"period_months": 37}, "bad_period"),
        ({"budget_per_month": Decimal("0")}, "bad_budget"),
        ({"budget_per_month": Decimal("-100")}, "bad_budget"),
        ({"budget_per_month": "not a number"}, "bad_budget"),
        ({"budget_per_month": Decimal("100000.005")}, "bad_budget"),
        ({"networks": ()}, "no_networks"),
        ({"networks": ("vk", "myspace")}, "unknown_network"),
        ({"goals": ("fame",)}, "unknown_goal"),
        ({"product_type": "eternal"}, "unknown_product_type"),
        ({"budget_per_month": Decimal("1000")}, "budget_too_small"),
    ],
)
def test_it_rejects_nonsense_briefs(changes: dict[str, object], code: str) -> None:
    with pytest.raises(PlanError) as caught:
        plan(make_brief(**changes), TABLE)
    assert caught.value.code == code
    assert caught.value.message  # a readable sentence, placeholders filled


def test_it_names_the_minimum_budget_that_works() -> None:
    with pytest.raises(PlanError) as caught:
        plan(make_brief(budget_per_month=Decimal("1000")), TABLE)
    minimum = Decimal(caught.value.params["minimum"])
    assert set(caught.value.params["per_network"]) == {"vk", "telegram"}
    assert format_amount(minimum) in caught.value.message  # '111 000', as money reads
    plan(make_brief(budget_per_month=minimum), TABLE)
    with pytest.raises(PlanError):
        plan(make_brief(budget_per_month=minimum - Decimal("0.01")), TABLE)


def test_it_shows_flagged_networks_only_when_asked_and_always_with_the_note() -> None:
    for brief in briefs(150, seed=5):
        result = plan(brief, TABLE)
        for item in result.networks:
            if item.network in FLAGGED_NETWORKS:
                assert item.network in brief.networks and item.requested and item.funded
                assert item.legal_note == str(EXTREMIST_NOTE)
                assert any(str(EXTREMIST_NOTE) in risk.text for risk in result.risks)
            else:
                assert item.legal_note == ""
        for activity in result.activities:
            if activity.network in FLAGGED_NETWORKS:
                assert activity.activity not in PAID_ACTIVITIES


def test_it_refuses_a_flagged_network_the_client_did_not_ask_for() -> None:
    with pytest.raises(PlanError) as caught:
        plan(make_brief(), TABLE, Overrides(networks=("vk", "instagram")))
    assert caught.value.code == "flagged_not_requested"


def test_it_refuses_paid_promotion_on_a_flagged_network() -> None:
    brief = make_brief(networks=("instagram",), budget_per_month=Decimal("100000"))
    with pytest.raises(PlanError) as caught:
        plan(brief, TABLE, Overrides(activities={"instagram": ("content", "targeted_ads")}))
    assert caught.value.code == "activity_unavailable"


def test_it_ramps_permanent_goods_slower_than_one_off() -> None:
    one_off = plan(make_brief(product_type="one_off"), TABLE)
    permanent = plan(make_brief(product_type="permanent"), TABLE)
    assert permanent.forecast[0].figures.sales < one_off.forecast[0].figures.sales
    for fast, slow in zip(one_off.forecast, permanent.forecast, strict=True):
        assert slow.figures.leads <= fast.figures.leads
        assert slow.figures.reach == fast.figures.reach  # the ramp is about buying, not seeing
    assert list(permanent.timing.multipliers) == sorted(permanent.timing.multipliers)
    assert permanent.timing.full_effect_month > one_off.timing.full_effect_month == 1
    assert permanent.timing.explanation != one_off.timing.explanation
    short = plan(make_brief(product_type="permanent", period_months=2), TABLE)
    assert "short_period" in {risk.code for risk in short.risks}


def test_it_lists_russian_networks_first() -> None:
    brief = make_brief(networks=("instagram", "youtube", "telegram", "vk"))
    result = plan(brief, TABLE)
    assert result.funded_networks == ("vk", "telegram", "youtube", "instagram")


def test_it_suggests_a_fitting_network_without_spending_on_it() -> None:
    result = plan(make_brief(goals=("search",)), TABLE)
    dzen = next(item for item in result.networks if item.network == "dzen")
    assert not dzen.requested and not dzen.funded
    assert dzen.reasons[0].code == "suggested"
    assert dzen.minimum_budget > 0
    assert "dzen" not in {item.network for item in result.activities}


def test_it_gives_each_network_its_reasons() -> None:
    result = plan(make_brief(networks=("ok",), goals=("negative",), budget_per_month=60000), TABLE)
    codes = [note.code for note in result.networks[0].reasons]
    assert codes[0] == "requested"
    assert {"goal_fit", "audience", "geo_national"} <= set(codes)


def test_it_respects_activity_and_share_overrides() -> None:
    overrides = Overrides(
        activities={"vk": ["content", "targeted_ads"]},
        network_shares={"vk": 3, "telegram": 1},
        activity_shares={"vk": {"content": 1, "targeted_ads": 1}},
    )
    result = plan(make_brief(budget_per_month=Decimal("100000.01")), TABLE, overrides)
    vk = {a.activity: a.amount for a in result.activities if a.network == "vk"}
    assert set(vk) == {"content", "targeted_ads"}
    # 3/4 of the budget; each cell is within a kopeck of its exact share.
    assert abs(sum(vk.values()) - Decimal("75000.0075")) < Decimal("0.02")
    assert abs(vk["content"] - vk["targeted_ads"]) <= Decimal("0.01")
    assert sum(a.amount for a in result.activities) == Decimal("100000.01")
    assert result.overrides == overrides


def test_it_warns_when_fixed_shares_starve_an_activity() -> None:
    overrides = Overrides(network_shares={"vk": 99, "telegram": 1})
    result = plan(make_brief(budget_per_month=Decimal("150000")), TABLE, overrides)
    assert "below_minimum" in {risk.code for risk in result.risks}


def test_it_uses_benchmark_overrides() -> None:
    brief = make_brief(networks=("vk",), goals=("traffic",), budget_per_month=Decimal("80000"))
    base = plan(brief, TABLE)
    dear = plan(brief, TABLE, Overrides(benchmarks={"vk": {"targeted_ads": {"cpm": "2800"}}}))
    assert dear.forecast[0].figures.impressions < base.forecast[0].figures.impressions
    sold = plan(brief, TABLE, Overrides(funnel={"lead_to_sale": "1"}))
    assert sold.period.sales == sold.period.leads


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        (Overrides(activities={"vk": ["dancing"]}), "unknown_activity"),
        (Overrides(activities={"telegram": ["design"], "vk": []}), "bad_override"),
        (Overrides(network_shares={"vk": 1}), "bad_override"),
        (Overrides(network_shares={"vk": 0, "telegram": 0}), "bad_override"),
        (Overrides(network_shares={"vk": -1, "telegram": 2}), "bad_override"),
        (Overrides(benchmarks={"vk": {"targeted_ads": {"colour": 1}}}), "bad_override"),
        (Overrides(benchmarks={"vk": {"targeted_ads": {"ctr": 3}}}), "bad_benchmarks"),
        (Overrides(benchmarks={"youtube": {"targeted_ads": {"cpm": 1}}}), "bad_override"),
    ],
)
def test_it_rejects_bad_overrides(overrides: Overrides, code: str) -> None:
    with pytest.raises(PlanError) as caught:
        plan(make_brief(), TABLE, overrides)
    assert caught.value.code == code


def test_it_rejects_activities_a_network_does_not_sell() -> None:
    brief = make_brief(networks=("youtube",), budget_per_month=Decimal("100000"))
    with pytest.raises(PlanError) as caught:
        plan(brief, TABLE, Overrides(activities={"youtube": ["targeted_ads"]}))
    assert caught.value.code == "activity_unavailable"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 000 подписчиков, 500 заявок", {"subscribers": "10000", "leads": "500"}),
        ("охват 1,5 млн; продажи", {"reach": "1500000", "sales": None}),
        ("Переходы на сайт 3к\nотзывы", {"clicks": "3000", "reviews": None}),
        ("стоимость заявки до 400 руб", {"cpl": "400"}),
        ("ROMI 200%, likes and comments", {"romi": "200", "engagement": None}),
        (
            "5000 followers in 3 months, 200 leads, CPL 300",
            {"subscribers": "5000", "leads": "200", "cpl": "300"},
        ),
        ("ROI, клики", {"romi": None, "clicks": None}),
    ],
)
def test_it_reads_kpis_in_russian_and_english(text: str, expected: dict[str, str | None]) -> None:
    found = {w.metric: (str(w.requested) if w.requested is not None else None) for w in parse(text)}
    assert {k: (str(Decimal(v).normalize()) if v else v) for k, v in expected.items()} == {
        k: (str(Decimal(v).normalize()) if v else v) for k, v in found.items()
    }


def test_it_puts_brief_kpis_first_and_always_the_core_ones() -> None:
    result = plan(make_brief(kpis="отзывы; 100 000 подписчиков"), TABLE)
    metrics = [k.metric for k in result.kpis]
    assert metrics[:2] == ["reviews", "subscribers"]
    assert {
        "reach",
        "subscribers",
        "clicks",
        "leads",
        "sales",
        "cpl",
        "cost_per_subscriber",
    } <= set(metrics)
    subscribers = next(k for k in result.kpis if k.metric == "subscribers")
    assert subscribers.target == result.period.subscribers
    assert "kpi_outside_band" in {check.code for check in result.checks}


def test_it_builds_the_funnel_pyramid() -> None:
    for brief in briefs(60, seed=13):
        levels = plan(brief, TABLE).funnel
        assert [level.stage for level in levels] == list(FunnelStage.values)
        counts = [level.count for level in levels]
        assert counts == sorted(counts, reverse=True)
        assert counts[0] > 0


def test_it_narrows_the_audience_to_the_chosen_cities() -> None:
    country = plan(make_brief(), TABLE).funnel[0].count
    moscow = plan(make_brief(geography=Geography(cities=("г. Москва",))), TABLE)
    assert moscow.funnel[0].count < country
    nowhere = plan(make_brief(geography=Geography(cities=("Урюпинск",))), TABLE)
    assert "unknown_places" in {note.code for note in nowhere.assumptions}


def test_it_dates_the_months_from_the_start_month() -> None:
    result = plan(make_brief(period_months=3, start_month=date(2026, 11, 15)), TABLE)
    assert [m.month for m in result.forecast] == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]
    assert result.forecast[-1].cumulative_subscribers == result.period.subscribers
    undated = plan(make_brief(start_month=None), TABLE)
    assert {m.month for m in undated.forecast} == {None}


def test_it_ships_a_default_table_with_honest_sources() -> None:
    assert set(TABLE.networks) == set(Network.values)
    sourced = [*TABLE.rows, *TABLE.networks.values(), *TABLE.niches.values(), TABLE.funnel]
    for item in sourced:
        assert re.fullmatch(r"20\d\d-\d\d", item.date), item
        # A source a person can open, or the plain words that it is the agency's estimate.
        assert "https://" in item.source or "agency estimate" in item.source.lower(), item
    assert "https://" in TABLE.costs.levy_source
    for network in Network.values:
        assert {"design", "content", "moderation"} <= set(TABLE.activities_for(network))


def test_it_rejects_a_broken_benchmark_table() -> None:
    data = copy.deepcopy(TABLE.to_dict())
    data["rows"][0]["frequency"] = "0.5"
    with pytest.raises(PlanError) as caught:
        Benchmarks.from_dict(data)
    assert caught.value.code == "bad_benchmarks"
    del data["funnel"]
    with pytest.raises(PlanError):
        Benchmarks.from_dict(data)


def test_it_rounds_with_the_largest_remainder() -> None:
    from fractions import Fraction

    thirds = [Fraction(100, 3)] * 3
    assert largest_remainder(100, thirds) == [34, 33, 33]
    rng = random.Random(1)
    for _ in range(500):
        weights = [Fraction(rng.randint(0, 1000)) for _ in range(rng.randint(1, 9))]
        if not any(weights):
            continue
        total = rng.randint(0, 10**9)
        ideal = [total * w / sum(weights) for w in weights]
        rounded = largest_remainder(total, ideal)
        assert sum(rounded) == total
        assert all(abs(r - i) < 1 for r, i in zip(rounded, ideal, strict=True))


def test_it_names_all_the_goals_a_network_fits_in_one_line() -> None:
    result = plan(make_brief(networks=("vk",), goals=("sales", "traffic", "reach"),
                             budget_per_month=200000), TABLE)
    fits = [note for note in result.networks[0].reasons if note.code == "goal_fit"]
    assert len(fits) == 1, [n.text for n in fits]
    assert "sales" in fits[0].params["goals"]  # judged as traffic: it buys clicks


def test_it_writes_money_in_the_notes_grouped_without_kopecks() -> None:
    assert format_amount(Decimal("131000.00")) == "131\u202f000"
    assert format_amount(Decimal("1250.5")) == "1\u202f250,50"
    with pytest.raises(PlanError) as small:
        plan(make_brief(networks=("vk",), goals=("traffic",), budget_per_month=3000), TABLE)
    assert not re.search(r"\d{4,}", small.value.message), small.value.message
    result = plan(make_brief(networks=("vk",), goals=("traffic",), budget_per_month=60000), TABLE)
    texts = " ".join(n.text for n in (*result.risks, *result.assumptions))
    assert not re.search(r"\d{4,}\.\d\d\b(?!\.)", texts.replace("2025.12", "")), texts
