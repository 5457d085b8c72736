"""The API's objects as ninja schemas: what answers carry and what calls may send.

Answers are read from the rows (``from_attributes``), with a resolver where a field is computed.
Public ids only (UUIDs, link codes); never channel credentials. Money travels as a decimal
string: JSON numbers would lose kopecks in some clients.

Inputs are checked by pydantic; each checker raises the message a person reads (translated when
the call is answered), and ``errors.from_validation`` turns them into the API's error shape.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, StrictBool, WithJsonSchema, field_validator

from kosmmos.api.text import gettext_lazy
from kosmmos.channels.models import ChannelStatus, Network
from kosmmos.connectors.registry import CONNECTORS, connector_class
from kosmmos.content.models import Post as PostRow
from kosmmos.content.models import PostStatus, TargetStatus
from kosmmos.inbox.models import ItemStatus, Kind, Sentiment
from kosmmos.links.stats import Figures, LinkRow


def storable(moment: datetime) -> bool:
    """An aware date-time whose UTC time is within years 1-9999: the database adapters convert
    to UTC first, and a time past either end raises OverflowError there (a 500)."""
    if moment.tzinfo is None:
        return False
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return False
    return True


def choice(values: list[str]) -> Any:
    return Literal[tuple(values)]


Money = Annotated[str | None, Field(pattern=r"^-?\d+\.\d{2}$")]


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# --- Answers ------------------------------------------------------------------------------------


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class Error(Schema):
    error: ErrorBody


class Workspace(Schema):
    id: uuid.UUID
    name: str
    description: str
    website: str
    created_at: datetime | None


class Channel(Schema):
    id: uuid.UUID
    network: choice(Network.values)  # type: ignore[valid-type]  # a type built at run time
    name: str
    external_id: str
    status: choice(ChannelStatus.values)  # type: ignore[valid-type]  # a type built at run time
    last_error: str
    last_checked_at: datetime | None
    token_expires_at: datetime | None
    followers: int | None


class ChannelList(Schema):
    results: list[Channel]


class TargetChannel(Schema):
    id: uuid.UUID
    network: str
    name: str


class PostTarget(Schema):
    id: uuid.UUID
    channel: TargetChannel
    status: choice(TargetStatus.values)  # type: ignore[valid-type]  # a type built at run time
    publish_at: datetime | None
    attempts: int
    last_error: str
    external_id: str
    url: str
    published_at: datetime | None


class Post(Schema):
    id: uuid.UUID
    workspace_id: uuid.UUID
    title: str
    text: str
    variants: dict[str, str]
    hashtags: str
    status: choice(PostStatus.values)  # type: ignore[valid-type]  # a type built at run time
    publish_at: datetime | None
    is_ad: bool
    advertiser: str
    erid: str
    media: list[uuid.UUID]
    changes_requested: bool
    targets: list[PostTarget]
    created_at: datetime | None
    updated_at: datetime | None

    @staticmethod
    def resolve_variants(post: PostRow) -> dict[str, str]:
        return {v.network: v.text for v in post.variants.all()}

    @staticmethod
    def resolve_media(post: PostRow) -> list[uuid.UUID]:
        return [pm.media_id for pm in post.post_media.all()]

    @staticmethod
    def resolve_targets(post: PostRow) -> list[Any]:
        return sorted(post.targets.all(), key=lambda t: (t.channel.network, t.channel.name))


class PostCreated(Post):
    warnings: list[str]


class InboxItem(Schema):
    id: uuid.UUID
    channel_id: uuid.UUID | None  # None for a mention (found by search, on no channel of ours)
    network: str
    kind: choice(Kind.values)  # type: ignore[valid-type]  # a type built at run time
    post_id: uuid.UUID | None
    author_name: str
    text: str
    sentiment: choice(Sentiment.values) | None  # type: ignore[valid-type]  # a type built at run time
    sentiment_manual: bool
    maybe_complaint: bool
    status: choice(ItemStatus.values)  # type: ignore[valid-type]  # a type built at run time
    needs_response: bool
    received_at: datetime | None
    first_response_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_sentiment(item: Any) -> str | None:
        return item.sentiment or None


class Link(Schema):
    id: uuid.UUID
    code: str
    short_url: str
    title: str
    target_url: str
    network: str
    medium: str
    campaign: str | None
    post_ref: str
    tags: list[str]
    is_active: bool
    created_at: datetime | None
    clicks: int
    bot_clicks: int
    conversions: int
    revenue: Money

    @classmethod
    def of(cls, row: LinkRow) -> Link:
        lk = row.link
        return cls(
            id=lk.pk, code=lk.code, short_url=lk.short_url, title=lk.title,
            target_url=lk.target_url, network=lk.network, medium=lk.medium,
            campaign=lk.campaign.name if lk.campaign else None, post_ref=lk.post_ref,
            tags=lk.tag_list(), is_active=lk.is_active, created_at=lk.created_at,
            clicks=row.clicks, bot_clicks=row.bot_clicks, conversions=row.conversions,
            revenue=_money(row.revenue))


class PnlMonth(Schema):
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    revenue: Money
    costs: Money
    profit: Money
    clicks: int
    conversions: int
    purchases: int


class Pnl(Schema):
    model_config = ConfigDict(populate_by_name=True)

    period_from: str = Field(alias="from")
    period_to: str = Field(alias="to")
    currency: str
    revenue: Money
    costs: Money
    profit: Money
    ad_spend: Money
    clicks: int
    bot_clicks: int
    conversions: int
    purchases: int
    conversion_rate: float | None
    cpc: Money
    cpa: Money
    average_check: Money
    roi: float | None
    romi: float | None
    profit_per_check: float | None
    months: list[PnlMonth]

    @classmethod
    def of(cls, figures: Figures, start: str, end: str) -> Pnl:
        f = figures
        return cls(  # type: ignore[call-arg]  # populate_by_name: the names work beside the aliases
            period_from=start, period_to=end, currency="RUB",
            revenue=_money(f.revenue), costs=_money(f.costs), profit=_money(f.profit),
            ad_spend=_money(f.ad_spend), clicks=f.clicks, bot_clicks=f.bot_clicks,
            conversions=f.conversions, purchases=f.purchases,
            conversion_rate=_ratio(f.conversion_rate), cpc=_money(f.cpc), cpa=_money(f.cpa),
            average_check=_money(f.average_check), roi=_ratio(f.roi), romi=_ratio(f.romi),
            profit_per_check=_ratio(f.profit_per_check),
            months=[PnlMonth(month=f"{m.month:%Y-%m}", revenue=_money(m.revenue),
                             costs=_money(m.costs), profit=_money(m.profit), clicks=m.clicks,
                             conversions=m.conversions, purchases=m.purchases)
                    for m in f.months])

    def without_costs(self) -> Pnl:
        """The figures a client sees when the agency keeps its costs to itself: costs and every
        figure that reveals them (profit, ad spend, CPC, CPA, ROI, ROMI, profit ÷ check) null."""
        hidden = dict.fromkeys(COST_FIELDS)
        return self.model_copy(update={**hidden, "months": [
            m.model_copy(update={"costs": None, "profit": None}) for m in self.months]})


COST_FIELDS = ("costs", "profit", "ad_spend", "cpc", "cpa", "roi", "romi", "profit_per_check")


class Report(Schema):
    id: uuid.UUID
    workspace_id: uuid.UUID
    period_from: date
    period_to: date
    status: str
    version: int | None
    sent_at: datetime | None
    pdf_url: str | None = Field(description=gettext_lazy("The PDF through the API (a report with a version)."))
    figures: dict[str, Any] | None = Field(description=gettext_lazy(
        "The figures of the current version by section (a sent report's as sent)."))

    @classmethod
    def of(cls, report: Any) -> Report:
        version = report.version
        return cls(id=report.pk, workspace_id=report.workspace_id, period_from=report.period_start,
                   period_to=report.period_end, status=report.status,
                   version=version.number if version else None, sent_at=report.sent_at,
                   pdf_url=f"/api/v1/reports/{report.pk}/pdf" if version else None,
                   figures=version.figures if version else None)


# --- Query parameters ---------------------------------------------------------------------------


def _one_of(values: list[str]) -> Any:
    """A choice from ``values``; empty means "not given", as in the pages' filters."""

    def check(value: Any) -> str | None:
        if value in ("", None):
            return None
        if value not in values:
            raise ValueError(_("Unknown value «%(value)s»; expected one of: %(values)s.")
                             % {"value": value, "values": ", ".join(values)})
        return str(value)

    return Annotated[str | None, BeforeValidator(check),
                     # The empty string is in the enum because it is accepted (as "not given").
                     WithJsonSchema({"type": "string", "enum": ["", *values]})]


def _moment(*, end_of_day: bool) -> Any:
    """An ISO 8601 date-time, or a date (its start, or its end for an upper bound) in the
    agency's zone (the one active during the call)."""

    def parse(raw: Any) -> datetime | None:
        if raw in ("", None):
            return None
        moment = _parsed(parse_datetime, raw)
        if moment is None and (day := _parsed(parse_date, raw)) is not None:
            moment = datetime.combine(day, time.max if end_of_day else time.min)
        if moment is not None and timezone.is_naive(moment):
            moment = moment.replace(tzinfo=timezone.get_current_timezone())
        # storable: a real date may still be beyond what the database takes (year 1-9999 UTC).
        if moment is None or not storable(moment):
            raise ValueError(_("Expected a date (2026-12-01) or a date and time "
                               "(2026-12-01T10:00:00+03:00)."))
        return moment

    return Annotated[datetime | None, BeforeValidator(parse), WithJsonSchema(
        {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}, {"maxLength": 0}]})]


# A date or date-time as the API documents it: ISO 8601 with the year first, at most as long as
# "2026-12-01T10:00:00.123456+03:00" and a little. Python also reads some digit strings as times
# ("1" * 5000 is 1111-11-11 11:11:11.111111): those are refused.
ISO_START = re.compile(r"^\d{4}-\d{2}-\d{2}")
MOMENT_MAX = 40


def _parsed(parse: Any, raw: Any) -> Any:
    """Django's parsers return None for a malformed value but raise for an impossible one
    (month 13); both are the caller's mistake here."""
    text = str(raw)
    if len(text) > MOMENT_MAX or not ISO_START.match(text):
        return None
    try:
        return parse(text)
    except ValueError:
        return None


# Months whose period (up to 35 months before a month, the month after it: links/stats.py) stays
# within years 1-9999; months at either end of the calendar are refused, not a 500.
FIRST_MONTH, LAST_MONTH = "0004-01", "9999-11"


def _month(raw: Any) -> str | None:
    if raw in ("", None):
        return None
    raw = str(raw)
    if len(raw) != 7 or _parsed(parse_date, f"{raw}-01") is None or not FIRST_MONTH <= raw <= LAST_MONTH:
        raise ValueError(_("Expected a month, e.g. 2026-11."))
    return raw


Month = Annotated[str | None, BeforeValidator(_month), WithJsonSchema(
    {"type": "string", "pattern": r"^((?!9999-12)[1-9]\d{3}-(0[1-9]|1[0-2]))?$"})]


class PostFilters(Schema):
    status: _one_of(PostStatus.values) = Field(  # type: ignore[valid-type]  # a type built at run time
        default=None, description=gettext_lazy("Only posts in this status."))
    start: _moment(end_of_day=False) = Field(  # type: ignore[valid-type]  # a type built at run time
        default=None, alias="from", description=gettext_lazy("Publication time from (date or date-time)."))
    end: _moment(end_of_day=True) = Field(  # type: ignore[valid-type]  # a type built at run time
        default=None, alias="to", description=gettext_lazy("Publication time up to (date or date-time)."))


class InboxFilters(Schema):
    network: _one_of(Network.values) = Field(  # type: ignore[valid-type]  # a type built at run time
        default=None, description=gettext_lazy("Only this network."))
    sentiment: _one_of(Sentiment.values) = Field(  # type: ignore[valid-type]  # a type built at run time
        default=None, description=gettext_lazy("Only this sentiment."))
    status: _one_of(ItemStatus.values) = Field(  # type: ignore[valid-type]  # a type built at run time
        default=None, description=gettext_lazy("Only open or closed items."))
    kind: _one_of(Kind.values) = Field(  # type: ignore[valid-type]  # a type built at run time
        default=None, description=gettext_lazy("Only this kind."))
    since: _moment(end_of_day=False) = Field(  # type: ignore[valid-type]  # a type built at run time
        default=None, description=gettext_lazy("Received at or after (date or date-time)."))


class Months(Schema):
    start: Month = Field(default=None, alias="from", description=gettext_lazy(
        "First month, YYYY-MM (default: five months before “to”)."))
    end: Month = Field(default=None, alias="to", description=gettext_lazy(
        "Last month, YYYY-MM (default: this month)."))

    def query(self) -> dict[str, str]:
        """As the pages' query string, for ``links.stats.Period.from_query``."""
        return {name: value for name, value in (("from", self.start), ("to", self.end)) if value}


# --- Bodies -------------------------------------------------------------------------------------


class ReportDraftIn(Schema):
    month: Month = Field(default=None, description=gettext_lazy(
        "The month to report on, YYYY-MM (default: last month)."))


MAX_UTC_OFFSET = timedelta(hours=14)


def _publish_at(value: Any) -> datetime | None:
    """As the editor reads it: ISO 8601, a naive time in the agency's zone."""
    if value is None:
        return None
    parsed = _parsed(parse_datetime, value) if isinstance(value, str) else None
    # Real zones lie within UTC−12…+14; PostgreSQL refuses an offset past ±16 h (a 500 before).
    offset = parsed.utcoffset() if parsed is not None else None
    if parsed is None or (offset is not None and abs(offset) > MAX_UTC_OFFSET) or not storable(
            parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=timezone.get_current_timezone())):
        raise ValueError(_("Expected a date and time in ISO 8601, e.g. 2026-12-01T10:00:00+03:00."))
    return parsed


Id = Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"})]


class PostIn(Schema):
    """A new post, as the editor's form takes it. Limits (title length, known channels, each
    network's text rules) are the form's and ``content.validation``'s, so they are reported
    together with the editor's messages."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, json_schema_extra={"maxLength": 200})
    text: str | None = None
    variants: dict[str, str] = Field(default_factory=dict, description=(
        "network code → text for that network (vk, ok, telegram, sandbox)"))
    hashtags: str | None = Field(default=None, json_schema_extra={"maxLength": 500})
    rubric: Id | None = None
    channels: list[Id] = Field(default_factory=list)
    media: list[Id] = Field(default_factory=list, description="media library ids, in order")
    publish_at: Annotated[datetime | None, BeforeValidator(_publish_at)] = None
    is_ad: StrictBool = False
    advertiser: str | None = Field(default=None, json_schema_extra={"maxLength": 300})
    erid: str | None = Field(default=None, json_schema_extra={"maxLength": 100})

    @field_validator("text")
    @classmethod
    def _text_fits_a_network(cls, value: str | None) -> str | None:
        """No network takes a longer text (each chosen channel's own limit is checked later,
        with the editor's checks): refused before anything else looks at it."""
        longest = max(text_limits().values())
        if value is not None and len(value) > longest:
            raise ValueError(_("The text has %(n)s characters; no network accepts more than "
                               "%(limit)s.") % {"n": len(value), "limit": longest})
        return value

    @field_validator("variants")
    @classmethod
    def _variants_fit_their_network(cls, value: dict[str, str]) -> dict[str, str]:
        limits = text_limits()
        for network, text in value.items():
            limit = limits.get(network, max(limits.values()))
            if len(text) > limit:
                raise ValueError(_("The %(network)s text has %(n)s characters; %(network)s "
                                   "accepts at most %(limit)s.")
                                 % {"network": network, "n": len(text), "limit": limit})
        return value


def text_limits() -> dict[str, int]:
    """The longest post text each network accepts (its connector's ``limits``)."""
    return {network: connector_class(network).limits.text_max for network in CONNECTORS}


# What a field of a body expects, for the type errors pydantic finds (its own words are English).
EXPECTED = {
    "title": gettext_lazy("Expected a string."), "text": gettext_lazy("Expected a string."),
    "hashtags": gettext_lazy("Expected a string."), "advertiser": gettext_lazy("Expected a string."),
    "erid": gettext_lazy("Expected a string."), "rubric": gettext_lazy("Expected a string."),
    "channels": gettext_lazy("Expected a list of ids."), "media": gettext_lazy("Expected a list of ids."),
    "is_ad": gettext_lazy("Expected true or false."),
    "variants": gettext_lazy("Expected an object of network → text."),
}


# --- Competitors and mentions -------------------------------------------------------------------


class TopPost(Schema):
    url: str
    text: str
    engagement: int
    views: int


class CompetitorStats(Schema):
    follow_id: uuid.UUID
    community_id: uuid.UUID
    network: str
    handle: str
    name: str
    url: str
    own: bool = Field(description=gettext_lazy("The client's own community, not a competitor."))
    status: str
    last_error: str
    last_read_at: datetime | None
    followers: int | None
    growth: int | None = Field(description=gettext_lazy("Followers gained in the period."))
    posts: int
    posts_per_week: float
    likes: float = Field(description=gettext_lazy("Average per post in the period."))
    comments: float
    reposts: float
    views: float
    er: float | None = Field(description=gettext_lazy(
        "(likes + comments + reposts) per post ÷ followers × 100."))
    err: float | None = Field(description=gettext_lazy(
        "(likes + comments + reposts) per post ÷ views per post × 100."))
    ad_share: float = Field(description=gettext_lazy(
        "Share of posts marked as ads (the network's mark, erid or «Реклама»), 0–1."))
    formats: dict[str, int]
    top_posts: list[TopPost]


class CompetitorList(Schema):
    days: int
    results: list[CompetitorStats]


class KeyMove(Schema):
    community_id: uuid.UUID
    community: str
    kind: str
    detail: str
    post_url: str
    found_at: datetime


class Period(Schema):
    days: int = Field(default=30, json_schema_extra={"enum": [7, 30, 90]},
                      description=gettext_lazy("The period in days: 7, 30 or 90."))

    @field_validator("days")
    @classmethod
    def _known(cls, value: int) -> int:
        if value not in (7, 30, 90):
            raise ValueError(_("Choose 7, 30 or 90 days."))
        return value


class Mention(Schema):
    id: uuid.UUID
    network: str
    text: str
    author_name: str
    url: str
    sentiment: choice(Sentiment.values) | None  # type: ignore[valid-type]  # a type built at run time
    received_at: datetime | None

    @staticmethod
    def resolve_url(item: Any) -> str:
        return str((item.raw or {}).get("url") or "")

    @staticmethod
    def resolve_sentiment(item: Any) -> str | None:
        return item.sentiment or None
