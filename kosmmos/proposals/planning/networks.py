"""Which networks and activities a plan uses, and why — in words a client can read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kosmmos.briefs.choices import FLAGGED_NETWORKS, Goal, Network
from kosmmos.proposals.planning.benchmarks import Benchmarks
from kosmmos.proposals.planning.geo import Place
from kosmmos.proposals.planning.model import Activity, Note

# Russian networks first: the order of choices.Network is the order of the brief form.
NETWORK_ORDER = {code: index for index, code in enumerate(Network.values)}

# What always runs where we keep a community, and what each goal adds (relative weights).
BASE_ACTIVITIES: dict[str, int] = {Activity.DESIGN: 1, Activity.CONTENT: 2, Activity.MODERATION: 1}
GOAL_ACTIVITIES: dict[str, dict[str, int]] = {
    Goal.SALES: {Activity.TARGETED_ADS: 4, Activity.SEEDING: 2, Activity.CONTESTS: 1},
    Goal.TRAFFIC: {Activity.TARGETED_ADS: 4, Activity.SEEDING: 2, Activity.CONTENT: 1},
    Goal.PROMOTIONS: {Activity.TARGETED_ADS: 3, Activity.CONTESTS: 2, Activity.SEEDING: 2},
    Goal.SEARCH: {Activity.CONTENT: 3},
    Goal.REACH: {Activity.TARGETED_ADS: 3, Activity.SEEDING: 3, Activity.CONTENT: 2},
    Goal.VALUES: {Activity.CONTENT: 3, Activity.SEEDING: 1},
    Goal.REPUTATION: {Activity.CONTENT: 2, Activity.MODERATION: 2, Activity.SEEDING: 1},
    Goal.NEGATIVE: {Activity.MODERATION: 4},
    Goal.REVIEW_ANALYTICS: {Activity.MODERATION: 3},
    Goal.CROSS_MARKETING: {Activity.CONTESTS: 3, Activity.SEEDING: 2},
    Goal.COMPETITORS: {Activity.MODERATION: 1, Activity.CONTENT: 1},
    Goal.RECRUITING: {Activity.TARGETED_ADS: 3, Activity.CONTENT: 2},
}
# Paid promotion on the flagged networks is advertising on an extremist-designated resource.
PAID_ACTIVITIES = frozenset({Activity.TARGETED_ADS, Activity.SEEDING, Activity.CONTESTS})

AUDIENCE: dict[str, Promise] = {
    Network.VK: _("The largest Russian network: every age group, detailed ad targeting."),
    Network.OK: _("Strong in the regions and among people over 35."),
    Network.TELEGRAM: _("Channels people trust; buying posts in channels works well."),
    Network.DZEN: _("Articles and posts indexed by Yandex; good for expert content."),
    Network.RUTUBE: _("A Russian video platform with a growing audience and few competitors."),
    Network.VK_VIDEO: _("Video and clips inside VK; clips reach beyond the subscribers."),
    Network.YOUTUBE: _("A large video audience, but ads are not sold in Russia and it is slowed."),
    Network.TIKTOK: _("Short videos for a young audience; uploads from Russia are restricted."),
    Network.INSTAGRAM: _("Blocked in Russia and used through a VPN; no paid promotion possible."),
    Network.FACEBOOK: _("Blocked in Russia with a small remaining audience; no paid promotion."),
}
HOME_ONLY = frozenset({Network.VK, Network.OK, Network.DZEN, Network.RUTUBE, Network.VK_VIDEO})


def ordered(codes: Sequence[str]) -> tuple[str, ...]:
    """Codes without repeats, Russian networks first."""
    return tuple(sorted(dict.fromkeys(codes), key=lambda code: NETWORK_ORDER.get(code, 99)))


def network_weight(table: Benchmarks, network: str, goals: Sequence[str]) -> Fraction:
    """Base weight times how well the network serves the goals (so a zero fit still counts)."""
    profile = table.networks[network]
    fit = sum(_fit(profile.goal_fit, goal) for goal in goals)
    return Fraction(profile.weight) * (1 + fit)


def default_activities(table: Benchmarks, network: str, goals: Sequence[str]) -> dict[str, int]:
    """Activity → weight for ``network``: the basics plus what the goals call for, limited to
    what the table knows for the network and never paid promotion on a flagged network."""
    chosen: dict[str, int] = {}
    for activity in table.activities_for(network):
        if network in FLAGGED_NETWORKS and activity in PAID_ACTIVITIES:
            continue
        weight = BASE_ACTIVITIES.get(activity, 0)
        weight += sum(GOAL_ACTIVITIES.get(goal, {}).get(activity, 0) for goal in goals)
        if weight > 0:
            chosen[activity] = weight
    return chosen


# A goal the benchmark table has no fit figures for is judged as the goal it buys like.
FIT_AS: dict[str, str] = {Goal.SALES: Goal.TRAFFIC}


def _fit(fit: Mapping[str, int], goal: str) -> int:
    return fit.get(goal, fit.get(FIT_AS.get(goal, goal), 0))


def reasons(
    table: Benchmarks, network: str, goals: Sequence[str], place: Place, requested: bool
) -> tuple[Note, ...]:
    """Why this network is in the plan: the request, the goals, the audience, the geography."""
    notes = []
    if requested:
        notes.append(Note("requested", gettext("The client asked for this network.")))
    fit = table.networks[network].goal_fit
    good = [goal for goal in goals if _fit(fit, goal) >= 2]
    if len(good) == 1:
        label = str(Goal(good[0]).label)
        notes.append(Note("goal_fit", gettext("Works for the goal: %(goal)s.") % {"goal": label},
                          {"goal": good[0]}))
    elif good:  # one line for all of them, not one "works for the goal" line per goal
        labels = "; ".join(str(Goal(goal).label).lower() for goal in good)
        notes.append(Note("goal_fit", gettext("Works for the goals: %(goals)s.") % {
            "goals": labels}, {"goals": good}))
    if goals and not good and requested:
        notes.append(
            Note(
                "weak_fit",
                gettext("A weak fit for the chosen goals; kept because the client asked for it."),
            )
        )
    notes.append(Note("audience", str(AUDIENCE[network])))
    geo = geography_note(network, place)
    if geo is not None:
        notes.append(geo)
    return tuple(notes)


def geography_note(network: str, place: Place) -> Note | None:
    if not place.home:
        if network in HOME_ONLY:
            return Note(
                "geo_weak_abroad", gettext("Mostly a Russian audience; weak outside Russia.")
            )
        return Note("geo_abroad", gettext("Reaches Russian speakers outside Russia too."))
    if place.local and network == Network.OK:
        return Note("geo_regions", gettext("Odnoklassniki is strong in regional cities."))
    if place.local:
        return Note("geo_local", gettext("Ads and seeding can be limited to the chosen places."))
    return Note("geo_national", gettext("Covers the whole of Russia."))


def suggestions(
    table: Benchmarks, requested: Sequence[str], goals: Sequence[str], place: Place
) -> list[tuple[str, Note]]:
    """Networks the client did not ask for but that clearly fit; never a flagged network.

    Kept deliberately short: a suggestion that needs arguing is not a clear fit.
    """
    wanted = set(goals)
    rules = [
        (
            Network.DZEN,
            Goal.SEARCH in wanted,
            _("Not in the brief, but Dzen articles are indexed by Yandex and help search."),
        ),
        (
            Network.VK,
            place.home and bool(wanted & {Goal.REACH, Goal.TRAFFIC, Goal.PROMOTIONS}),
            _("Not in the brief, but VK is the largest Russian network and sells targeted ads."),
        ),
        (
            Network.OK,
            place.local and bool(wanted & {Goal.REACH, Goal.PROMOTIONS}),
            _("Not in the brief, but Odnoklassniki is strong in the regions the client named."),
        ),
        (
            Network.TELEGRAM,
            not place.home,
            _("Not in the brief, but Telegram reaches Russian speakers outside Russia."),
        ),
    ]
    found = []
    for network, applies, why in rules:
        if applies and network not in requested and network in table.networks:
            found.append((str(network), Note("suggested", str(why))))
    return found
