"""What each activity's monthly money buys, in units a client understands."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kosmmos.proposals.planning.allocation import rub
from kosmmos.proposals.planning.benchmarks import Benchmarks
from kosmmos.proposals.planning.model import Activity, ActivityPlan, ContentFormat, ContentLine

WEEKS_PER_MONTH = Fraction(52, 12)

DESCRIPTIONS: dict[str, Promise] = {
    Activity.DESIGN: _("Avatar, cover, menu and post templates, kept up to date."),
    Activity.CONTENT: _("Posts by the content plan: %(posts)d a month in the formats listed."),
    Activity.TARGETED_ADS: _("Paid ads to the target audience by interests, age and place."),
    Activity.SEEDING: _(
        "Paid posts in communities, channels and with bloggers: about %(units)d a month."
    ),
    Activity.CONTESTS: _(
        "Giveaways with prizes that bring subscribers fast: about %(units)d a month."
    ),
    Activity.MODERATION: _(
        "Replies to comments and messages, spam removal and work with negative reviews: about %(units)d hours a month."
    ),
}


def content_lines(table: Benchmarks, network: str, amount: Decimal) -> tuple[ContentLine, ...]:
    """Posts per format: the money buys whole 'bundles' of the network's format mix."""
    mix = {
        fmt: count
        for fmt, count in table.networks[network].formats.items()
        if count > 0 and fmt in table.formats
    }
    bundle = sum(
        (Fraction(table.formats[fmt].cost) * count for fmt, count in mix.items()), Fraction(0)
    )
    if not bundle:
        return ()
    bundles = Fraction(amount) / bundle
    lines = []
    for fmt in ContentFormat.values:
        if fmt in mix:
            per_month = int(bundles * mix[fmt])  # whole posts only: never promise a fraction
            per_week = Decimal(round(per_month / WEEKS_PER_MONTH * 10)) / 10
            lines.append(ContentLine(fmt, str(ContentFormat(fmt).label), per_week, per_month))
    return tuple(lines)


def describe(
    table: Benchmarks,
    network: str,
    activity: str,
    amount: Decimal,
    budget: Decimal,
    subscriber_share: Decimal | None = None,
) -> ActivityPlan:
    row = table.row(network, activity)
    assert row is not None
    units = int(amount / row.unit_cost) if row.unit_cost else 0
    content = content_lines(table, network, amount) if activity == Activity.CONTENT else ()
    posts = sum(line.posts_per_month for line in content)
    text = str(DESCRIPTIONS[activity]) % {"units": units, "posts": posts}
    share = (amount / budget).quantize(Decimal("0.0001"))
    return ActivityPlan(
        network,
        activity,
        str(Activity(activity).label),
        amount,
        share,
        rub(row.min_monthly),
        text,
        units,
        row.unit,
        content,
        subscriber_share,
    )
