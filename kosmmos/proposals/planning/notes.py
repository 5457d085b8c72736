"""The proposal's words: when results come, what the plan assumes and what may go wrong."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.translation import gettext

from kosmmos.briefs.choices import EXTREMIST_NOTE, FLAGGED_NETWORKS, Network, Niche, ProductType
from kosmmos.lib.money import format_amount
from kosmmos.proposals.planning.benchmarks import Benchmarks, FunnelRates
from kosmmos.proposals.planning.geo import Place
from kosmmos.proposals.planning.model import (
    Activity,
    ActivityPlan,
    BriefInput,
    Note,
    ResultTiming,
)

# Above this multiple of the minimum a budget has room to test and scale.
COMFORTABLE_BUDGET = Decimal("1.2")


def timing(
    product_type: str, multipliers: Sequence[Decimal], full_ramp: Sequence[Decimal]
) -> ResultTiming:
    """The seed's rule: one-off, limited and seasonal offers sell from the first showing;
    mass-market goods are saved "for later" and sell after weeks or months."""
    full = next((i for i, v in enumerate(full_ramp, start=1) if v >= 1), len(full_ramp))
    if product_type == ProductType.PERMANENT:
        text = gettext(
            "Mass-market goods are rarely bought at first sight: people save the offer and "
            "come back later. Expect sales to build up over %(months)d months."
        )
    elif product_type == ProductType.SEASONAL:
        text = gettext(
            "Seasonal offers sell from the first showing, so the campaign must start before the season."
        )
    else:
        text = gettext(
            "One-off and limited offers sell from the first showing: expect leads in the first weeks."
        )
    return ResultTiming(
        product_type,
        str(ProductType(product_type).label),
        text % {"months": full},
        full,
        tuple(multipliers),
    )


def assumptions(
    table: Benchmarks, place: Place, brief: BriefInput, activities: Sequence[ActivityPlan]
) -> tuple[Note, ...]:
    goals, period = brief.goals, brief.period_months
    rates = table.funnel
    notes = [
        Note(
            "benchmarks",
            gettext(
                "Figures come from the benchmark table %(version)s; each row names its source and date."
            )
            % {"version": table.version},
            {"version": table.version},
        ),
        Note("money", gettext("Amounts are in RUB per month; taxes are not separated.")),
        _lead_to_sale(rates, brief.niche),
        Note(
            "ad_levy",
            gettext(
                "Ad and paid-post prices include the %(levy)s%% levy on internet advertising and the 2025 price rises."
            )
            % {"levy": _percent(table.costs.ad_levy)},
            {"levy": str(table.costs.ad_levy)},
        ),
        Note(
            "one_outcome",
            gettext(
                "Each rouble buys one outcome: the money of an activity is split between "
                "subscribers and clicks as shown, never counted for both."
            ),
        ),
        Note(
            "band",
            gettext(
                "Every forecast figure has a band from the pessimistic to the optimistic end of "
                "the prices and rates; results are judged against the band."
            ),
        ),
        Note(
            "target_share",
            gettext("The target audience is %(rate)s%% of the users in the chosen geography.")
            % {"rate": _percent(rates.target_share)},
            {"rate": str(rates.target_share)},
        ),
        Note(
            "overlap",
            gettext(
                "Audiences of different networks overlap; the pyramid counts a person "
                "once and caps each level by the one above."
            ),
        ),
    ]
    notes.extend(_retention(table, activities))
    if period > 1:
        notes.append(
            Note(
                "reach_sum",
                gettext(
                    "Reach for the period sums the months; a person reached in two months counts twice."
                ),
            )
        )
    if not goals:
        notes.append(
            Note(
                "no_goals",
                gettext("No goals were given, so the split follows the networks' base weights."),
            )
        )
    if not place.home:
        notes.append(Note("abroad", gettext("Outside Russia the audience is a rough estimate.")))
    if place.unknown_places:
        places = ", ".join(place.unknown_places)
        notes.append(
            Note(
                "unknown_places",
                gettext("Places not in the table were counted at a default share: %(places)s.")
                % {"places": places},
                {"places": places},
            )
        )
    return tuple(notes)


def risks(
    networks: Sequence[str],
    activities: Sequence[ActivityPlan],
    budget: Decimal,
    minimum: Decimal,
    product_type: str,
    period: int,
    full_effect_month: int,
) -> list[Note]:
    notes = []
    for network in networks:
        label = str(Network(network).label)
        if network in FLAGGED_NETWORKS:
            text = gettext(
                "%(network)s is blocked in Russia and advertising there is banned; the plan "
                "has no paid promotion on it."
            ) % {"network": label}
            notes.append(Note("flagged_network", f"{text} {EXTREMIST_NOTE}", {"network": network}))
        elif network == Network.YOUTUBE:
            notes.append(
                Note(
                    "youtube_slowed",
                    gettext(
                        "YouTube is slowed down in Russia and sells no ads there; reach may fall further."
                    ),
                )
            )
        elif network == Network.TIKTOK:
            notes.append(
                Note(
                    "tiktok_uploads",
                    gettext(
                        "TikTok restricts uploads from Russia; check that the account can publish."
                    ),
                )
            )
    funded = {item.activity for item in activities if item.amount > 0}
    if funded & {Activity.TARGETED_ADS, Activity.SEEDING}:
        notes.append(
            Note(
                "ad_labelling",
                gettext(
                    "Ads and paid posts must be labelled and registered with an advertising data operator (erid)."
                ),
            )
        )
    if Activity.CONTESTS in funded:
        notes.append(
            Note(
                "contest_churn",
                gettext(
                    "Many giveaway subscribers leave after the draw; judge contests by those who stay."
                ),
            )
        )
    if budget < minimum * COMFORTABLE_BUDGET:
        params: dict[str, object] = {"minimum": str(minimum)}
        notes.append(
            Note(
                "budget_tight",
                gettext(
                    "The budget is close to the %(minimum)s RUB minimum; there is little room to test."
                )
                % {"minimum": format_amount(minimum)},
                params,
            )
        )
    for item in activities:
        if item.amount < item.minimum:
            params = {
                "network": item.network,
                "activity": item.activity,
                "amount": str(item.amount),
                "minimum": str(item.minimum),
            }
            shown = {**params, "network": str(Network(item.network).label), "activity": item.label,
                     "amount": format_amount(item.amount), "minimum": format_amount(item.minimum)}
            notes.append(
                Note(
                    "below_minimum",
                    gettext(
                        "%(network)s, %(activity)s: %(amount)s RUB is below the %(minimum)s RUB that works."
                    )
                    % shown,
                    params,
                )
            )
    if product_type == ProductType.PERMANENT and period < full_effect_month:
        params = {"months": full_effect_month}
        notes.append(
            Note(
                "short_period",
                gettext(
                    "Mass-market goods need about %(months)d months to reach full effect; the period is shorter."
                )
                % params,
                params,
            )
        )
    if product_type == ProductType.SEASONAL:
        notes.append(Note("season", gettext("The forecast assumes the campaign runs in season.")))
    return notes


def _lead_to_sale(rates: FunnelRates, niche: str) -> Note:
    label = str(Niche(niche).label) if niche in Niche.values else str(Niche.OTHER.label)
    low = rates.lead_to_sale_low if rates.lead_to_sale_low is not None else rates.lead_to_sale
    high = rates.lead_to_sale_high if rates.lead_to_sale_high is not None else rates.lead_to_sale
    params = {
        "rate": _percent(rates.lead_to_sale),
        "low": _percent(min(low, rates.lead_to_sale)),
        "high": _percent(max(high, rates.lead_to_sale)),
        "niche": label,
    }
    text = gettext(
        "%(rate)s%% of leads become sales (%(low)s–%(high)s%% in the niche «%(niche)s»); "
        "this depends on the client's sales team."
    )
    return Note("lead_to_sale", text % params, params)


def _retention(table: Benchmarks, activities: Sequence[ActivityPlan]) -> list[Note]:
    """One sentence per network whose giveaways are in the plan: how many of their
    subscribers stay."""
    notes = []
    for item in activities:
        row = table.row(item.network, item.activity)
        if row is None or item.amount <= 0 or row.retention >= 1:
            continue
        params = {
            "network": str(Network(item.network).label),
            "activity": item.label,
            "rate": _percent(row.retention),
        }
        text = gettext(
            "%(network)s, %(activity)s: %(rate)s%% of the subscribers bought are counted; the "
            "rest leave after the draw (editable in the benchmark table)."
        )
        notes.append(Note("retention", text % params, params))
    return notes


def first_payments(table: Benchmarks, activities: Sequence[ActivityPlan]) -> list[Note]:
    """Where a reseller's first top-up is more than the plan's month for the activity."""
    notes = []
    for item in activities:
        row = table.row(item.network, item.activity)
        if row is None or row.first_payment is None or item.amount >= row.first_payment:
            continue
        params = {
            "network": str(Network(item.network).label),
            "activity": item.label,
            "first": str(row.first_payment.quantize(Decimal(1))),
            "amount": str(item.amount),
        }
        text = gettext(
            "%(network)s, %(activity)s: the first top-up through a reseller is about %(first)s "
            "RUB, more than the plan's %(amount)s RUB a month; the first month needs the larger "
            "payment, the rest carries over."
        )
        shown = {**params, "first": format_amount(row.first_payment), "amount": format_amount(item.amount)}
        notes.append(Note("first_payment", text % shown, params))
    return notes


def _percent(rate: Decimal) -> str:
    return format((rate * 100).normalize(), "f")
