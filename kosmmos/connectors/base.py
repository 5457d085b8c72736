"""The connector contract: what every social network folder implements.

A connector is built from a channel's decrypted credentials and settings and speaks to one
community/group/channel. It never touches the database; the publishing engine decides what to
do with its results and errors:

- ``ConnectorError(permanent=False)``: transient, retry later with backoff (the request did not
  take effect — e.g. connect failure, 5xx *before* sending, flood control answered explicitly).
- ``RateLimited(retry_after)``: the network asked us to wait.
- ``AuthRevoked``: permanent; the channel goes to ``needs_reauth`` and a person must act.
- ``AmbiguousOutcome``: the request may have reached the network (timeout or 5xx after sending).
  The engine must call ``find()`` before any retry — never a blind re-send.
- ``ConnectorError(permanent=True)``: the network will never accept this (validation, rights).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class ConnectorError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, code: str | int | None = None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.code = code


class RateLimited(ConnectorError):
    def __init__(self, message: str, *, retry_after: float, code: str | int | None = None):
        super().__init__(message, permanent=False, code=code)
        self.retry_after = retry_after


class AuthRevoked(ConnectorError):
    def __init__(self, message: str, *, code: str | int | None = None):
        super().__init__(message, permanent=True, code=code)


class AmbiguousOutcome(ConnectorError):
    def __init__(self, message: str, *, code: str | int | None = None):
        super().__init__(message, permanent=False, code=code)


@dataclass(frozen=True)
class Limits:
    """What a network accepts in one post; the content editor validates against these."""

    text_max: int
    caption_max: int | None = None  # text length when media is attached (Telegram: 1024)
    media_max: int = 10
    media_min_group: int = 2  # a media group needs at least this many items
    photo_max_bytes: int = 10 * 2**20
    video_max_bytes: int = 50 * 2**20
    links_max: int | None = None  # VK: at most one external link attachment
    supports_ads_mark: bool = False  # VK mark_as_ads


@dataclass(frozen=True)
class Media:
    kind: str  # "photo" | "video"
    path: str  # a local file (the media library stores uploads on disk)
    mime: str
    name: str = ""


@dataclass(frozen=True)
class PublishRequest:
    """One post for one channel. ``key`` is our idempotency key (the target's id): connectors
    send it where the network accepts one (VK ``guid``) and use it in ``find()``."""

    key: str
    text: str
    media: tuple[Media, ...] = ()
    is_ad: bool = False
    erid: str = ""
    advertiser: str = ""
    publish_at: datetime | None = None


@dataclass(frozen=True)
class PublishedPost:
    external_id: str
    url: str = ""
    published_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PostStats:
    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    reposts: int | None = None
    reach: int | None = None


@dataclass(frozen=True)
class ChannelInfo:
    """What ``check()`` learns: the channel's name, whether we may post, when the token expires."""

    title: str
    can_post: bool
    followers: int | None = None
    token_expires_at: datetime | None = None
    problems: tuple[str, ...] = ()


class Connector(Protocol):
    code: str
    limits: Limits

    def check(self) -> ChannelInfo: ...

    def publish(self, request: PublishRequest) -> PublishedPost: ...

    def find(self, request: PublishRequest) -> PublishedPost | None:
        """Look the post up on the network (reconciliation); None when it is surely not there.
        Raise AmbiguousOutcome when the network cannot tell (Telegram Bot API)."""
        ...

    def edit(self, external_id: str, request: PublishRequest) -> None: ...

    def delete(self, external_id: str) -> None: ...

    def post_stats(self, external_ids: list[str]) -> dict[str, PostStats]: ...

    def followers(self) -> int | None: ...
