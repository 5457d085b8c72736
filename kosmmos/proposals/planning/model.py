"""The planner's input (a brief plus manager overrides) and output (the media plan).

Everything is a frozen dataclass: a plan is a value, stored as JSON through ``to_dict`` and
rebuilt with ``from_dict``. Money is ``Decimal`` RUB with kopecks; counts are ``int``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Self

from django.db import models
from django.utils.translation import gettext_lazy as _

from kosmmos.proposals.planning.codec import from_jsonable, to_jsonable

SCHEMA_VERSION = 1


class Activity(models.TextChoices):
    DESIGN = "design", _("Community design")
    CONTENT = "content", _("Content")
    TARGETED_ADS = "targeted_ads", _("Targeted ads")
    SEEDING = "seeding", _("Seeding and influencer posts")
    CONTESTS = "contests", _("Contests and giveaways")
    MODERATION = "moderation", _("Moderation and replies")


class ContentFormat(models.TextChoices):
    TEXT_PHOTO = "text_photo", _("Text and photo")
    CLIPS = "clips", _("Clips and short video")
    VIDEO = "video", _("Video")
    STORIES = "stories", _("Stories")
    LONGREAD = "longread", _("Long-read")


class KpiMetric(models.TextChoices):
    IMPRESSIONS = "impressions", _("Impressions")
    REACH = "reach", _("Reach")
    CLICKS = "clicks", _("Clicks to the website")
    SUBSCRIBERS = "subscribers", _("New subscribers")
    LEADS = "leads", _("Leads")
    SALES = "sales", _("Sales")
    COST_PER_SUBSCRIBER = "cost_per_subscriber", _("Cost per subscriber")
    CPL = "cpl", _("Cost per lead")
    ROMI = "romi", _("ROMI")
    REVIEWS = "reviews", _("Reviews")
    ENGAGEMENT = "engagement", _("Likes, comments and reposts")
    MENTIONS = "mentions", _("Brand mentions")
    CONVERSIONS = "conversions", _("Conversions on the website")


class FunnelStage(models.TextChoices):
    ALL_USERS = "all_users", _("All users")
    TARGET_AUDIENCE = "target_audience", _("Target audience")
    SUBSCRIBERS = "subscribers", _("Subscribers")
    LOYAL = "loyal", _("Loyal subscribers")
    CLIENTS = "clients", _("Clients")


def _tuple(values: Iterable[str] | str) -> tuple[str, ...]:
    # A bare string is a single value, not a sequence of characters.
    if isinstance(values, str):
        values = [values]
    return tuple(str(value) for value in values)


def _decimals(values: Mapping[str, Any]) -> dict[str, Decimal | None]:
    """Numbers as exact Decimals; None stays None (it clears an optional table value)."""
    return {key: None if value is None else to_decimal(value) for key, value in values.items()}


def to_decimal(value: Any) -> Decimal:
    """An exact Decimal from a Decimal, int, float or string; NaN when it is not a number."""
    if isinstance(value, Decimal):
        return value
    try:
        # str() first: a float like 0.1 must become Decimal("0.1"), not its binary value.
        return Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
    except ArithmeticError:
        return Decimal("NaN")


@dataclass(frozen=True)
class Geography:
    """Where the client wants to be promoted; free text as the client typed it."""

    country: str = "Россия"
    regions: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "regions", _tuple(self.regions))
        object.__setattr__(self, "cities", _tuple(self.cities))

    @staticmethod
    def split(text: str) -> tuple[str, ...]:
        """Split a comma/semicolon/newline separated field of the brief form into places."""
        parts = text.replace(";", ",").replace("\n", ",").split(",")
        return tuple(part.strip() for part in parts if part.strip())


@dataclass(frozen=True)
class BriefInput:
    """What the client asked for. Codes are those of ``kosmmos.briefs.choices``.

    ``start_month`` dates the forecast (its day is ignored); the planner never reads the clock.
    Lists are accepted and stored as tuples so the brief stays hashable and immutable.
    """

    networks: tuple[str, ...]
    goals: tuple[str, ...]
    product_type: str
    budget_per_month: Decimal
    period_months: int
    geography: Geography = field(default_factory=Geography)
    kpis: str = ""
    start_month: date | None = None
    niche: str = "other"

    def __post_init__(self) -> None:
        object.__setattr__(self, "networks", _tuple(self.networks))
        object.__setattr__(self, "goals", _tuple(self.goals))
        object.__setattr__(self, "budget_per_month", to_decimal(self.budget_per_month))

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        return from_jsonable(cls, data)


@dataclass(frozen=True)
class Overrides:
    """What a manager fixed by hand; everything else comes from the brief and the table.

    - ``networks``: the funded networks, replacing the brief's (flagged ones only if asked for);
    - ``activities``: network → activity codes to run there;
    - ``network_shares`` / ``activity_shares``: weights (any non-negative numbers, normalised);
      when any share is fixed, amounts follow the shares exactly and minimums become warnings;
    - ``benchmarks``: network → activity → field → value, patching single table rows;
    - ``funnel``: field → value, patching the table's funnel rates;
    - ``objectives``: network → activity → the share of the activity's money bought as
      subscribers (0–1); the rest buys clicks. A rouble buys one outcome, never both.
    """

    networks: tuple[str, ...] | None = None
    activities: Mapping[str, tuple[str, ...]] | None = None
    network_shares: Mapping[str, Decimal] | None = None
    activity_shares: Mapping[str, Mapping[str, Decimal]] | None = None
    benchmarks: Mapping[str, Mapping[str, Mapping[str, Decimal | None]]] | None = None
    funnel: Mapping[str, Decimal] | None = None
    objectives: Mapping[str, Mapping[str, Decimal]] | None = None

    def __post_init__(self) -> None:
        # Normalise what a manager or a form hands us, so a plan round-trips through JSON equal.
        if self.networks is not None:
            object.__setattr__(self, "networks", _tuple(self.networks))
        if self.activities is not None:
            activities = {net: _tuple(codes) for net, codes in self.activities.items()}
            object.__setattr__(self, "activities", activities)
        if self.network_shares is not None:
            object.__setattr__(self, "network_shares", _decimals(self.network_shares))
        if self.activity_shares is not None:
            shares = {net: _decimals(inner) for net, inner in self.activity_shares.items()}
            object.__setattr__(self, "activity_shares", shares)
        if self.benchmarks is not None:
            rows = {
                net: {act: _decimals(values) for act, values in acts.items()}
                for net, acts in self.benchmarks.items()
            }
            object.__setattr__(self, "benchmarks", rows)
        if self.funnel is not None:
            object.__setattr__(self, "funnel", _decimals(self.funnel))
        if self.objectives is not None:
            split = {net: _decimals(inner) for net, inner in self.objectives.items()}
            object.__setattr__(self, "objectives", split)

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        return from_jsonable(cls, data)


@dataclass(frozen=True)
class Note:
    """A sentence for the proposal: ``text`` is rendered, ``code`` + ``params`` re-render it."""

    code: str
    text: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NetworkRecommendation:
    """One network in the plan. ``funded`` ones get budget; others are suggestions only."""

    network: str
    label: str
    requested: bool
    funded: bool
    reasons: tuple[Note, ...]
    legal_note: str = ""
    monthly_budget: Decimal = Decimal("0.00")
    minimum_budget: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class ContentLine:
    format: str
    label: str
    posts_per_week: Decimal  # one decimal place: 0.5 means a post every other week
    posts_per_month: int


@dataclass(frozen=True)
class ActivityPlan:
    """One activity on one network with its monthly money and what the money buys.

    ``subscriber_share`` is the part of ``amount`` bought as subscribers, the rest as clicks;
    None when the activity buys at most one of them (design, moderation)."""

    network: str
    activity: str
    label: str
    amount: Decimal
    share: Decimal
    minimum: Decimal
    description: str
    units_per_month: int = 0
    unit: str = ""
    content: tuple[ContentLine, ...] = ()
    subscriber_share: Decimal | None = None


@dataclass(frozen=True)
class Figures:
    """Forecast figures for one month (or a period): counts and the costs derived from them.

    Cost fields are ``None`` when nothing was forecast to divide by.
    """

    budget: Decimal
    impressions: int
    reach: int
    clicks: int
    subscribers: int
    leads: int
    sales: int
    cost_per_subscriber: Decimal | None
    cpl: Decimal | None


@dataclass(frozen=True)
class NetworkMonth:
    network: str
    figures: Figures


@dataclass(frozen=True)
class MonthForecast:
    """Month ``index`` (1-based); ``month`` is its first day when the brief has a start.
    ``low`` and ``high`` are the month's totals with every price and rate at the pessimistic
    and the optimistic end of its range: the confidence band around ``figures``."""

    index: int
    month: date | None
    ramp: Decimal
    figures: Figures
    networks: tuple[NetworkMonth, ...]
    cumulative_subscribers: int
    low: Figures | None = None
    high: Figures | None = None


@dataclass(frozen=True)
class FunnelLevel:
    stage: str
    label: str
    count: int
    share_of_previous: Decimal | None


@dataclass(frozen=True)
class ResultTiming:
    """When results come for this product type, in words and as month multipliers."""

    product_type: str
    label: str
    explanation: str
    full_effect_month: int
    multipliers: tuple[Decimal, ...]


@dataclass(frozen=True)
class KpiTarget:
    """A KPI for the proposal. ``target`` is what the forecast supports (None: agree it later);
    ``requested`` is the number the client wrote next to the KPI, if any."""

    metric: str
    label: str
    from_brief: bool
    per: str  # "month" or "period"
    target: Decimal | None
    unit: str  # "count", "rub" or "percent"
    requested: Decimal | None = None
    keyword: str = ""
    note: str = ""
    low: Decimal | None = None
    high: Decimal | None = None


@dataclass(frozen=True)
class MediaPlan:
    """The commercial proposal's numbers. ``period`` sums the monthly figures (reach is the sum
    of monthly reach, people may repeat between months); ``period_low`` / ``period_high`` are
    its confidence band. ``checks`` are the sanity checks shown at the top: a KPI the client
    asked for that lies outside the band, with the budget that would reach it."""

    brief: BriefInput
    benchmarks_version: str
    budget_per_month: Decimal
    period_months: int
    networks: tuple[NetworkRecommendation, ...]
    activities: tuple[ActivityPlan, ...]
    forecast: tuple[MonthForecast, ...]
    period: Figures
    funnel: tuple[FunnelLevel, ...]
    timing: ResultTiming
    kpis: tuple[KpiTarget, ...]
    assumptions: tuple[Note, ...]
    risks: tuple[Note, ...]
    overrides: Overrides | None = None
    period_low: Figures | None = None
    period_high: Figures | None = None
    checks: tuple[Note, ...] = ()
    currency: str = "RUB"
    schema_version: int = SCHEMA_VERSION

    @property
    def funded_networks(self) -> tuple[str, ...]:
        return tuple(item.network for item in self.networks if item.funded)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (Decimals as strings, dates as ISO strings)."""
        return to_jsonable(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The inverse of ``to_dict``: ``MediaPlan.from_dict(p.to_dict()) == p``."""
        return from_jsonable(cls, data)
