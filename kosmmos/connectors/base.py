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
- ``NotDeletable``: permanent; the network keeps the post (too old to delete through its API,
  ``Limits.delete_window``). Not a failure: the target is marked as kept, a person deletes it in
  the network itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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


class NotDeletable(ConnectorError):
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
    # How long after publishing the API still deletes a post (Telegram: 48 h); None: always.
    delete_window: timedelta | None = None


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
    # The id the network itself keys the channel by, when it differs from what a person
    # entered (Telegram: the numeric chat id for an @username), and the name shown for it.
    external_id: str = ""
    handle: str = ""


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


# --- The inbound side: events and comments in, replies out ------------------------------------
#
# A network's ``inbound.py`` turns what the network sends (a webhook request, a poll's answer)
# into ``Incoming`` records and posts replies. Like the publishing side it never touches the
# database: the inbox pipeline stores what it returns, and stores the poll cursor it hands back.

TEXT_MAX = 100_000  # the inbox cuts longer texts (and says so); VK and Telegram send far less

# What an incoming record is (the inbox stores these as its item kinds).
COMMENT = "comment"
MESSAGE = "message"
REPOST = "repost"
JOIN = "join"
LEAVE = "leave"
# A post of the channel itself, as the network announced it (VK wall_post_new, Telegram
# channel_post): the inbox keeps one typed outside Kosmmos as a content post and recognises
# our own publications coming back by their external id. Not an inbox item.
POST = "post"

# The kinds of attachment an incoming record names (the inbox shows a placeholder for each when
# there is no text); a network's own types map onto these, anything else is "other".
ATTACHMENTS = ("sticker", "photo", "video", "audio", "voice", "document", "link", "poll",
               "location", "other")


@dataclass
class Incoming:
    """One item (or a change to one) as the network reported it."""

    action: str  # new | edit | delete | restore | link | reactions | answered | answer_edit
    kind: str = COMMENT
    external_id: str = ""
    event_key: str = ""  # the delivery's id (deduplicates redeliveries)
    post_ref: str = ""  # our post it belongs to (the network's id of it)
    parent_ref: str = ""  # the comment it answers
    chat_ref: str = ""
    thread_ref: str = ""  # Telegram message_thread_id in the discussion group
    group_ref: str = ""  # a POST's album: Telegram media_group_id (its parts make one post)
    url: str = ""  # a POST's address on the network
    author_ref: str = ""
    author_name: str = ""
    text: str = ""
    text_cut: bool = False
    # What is attached besides the text, one of ATTACHMENTS each, in order ("sticker", "photo").
    attachments: list[str] = field(default_factory=list)
    received_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


class Drop(Exception):
    """The payload is no item: ``reason`` is a short stable code (the inbox counts it)."""

    def __init__(self, reason: str, detail: str = "", answered: Incoming | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        # Our own reply to a customer's comment, written on the network rather than from
        # Kosmmos: not an item, but it answers one, so the SLA clock of that item stops.
        self.answered = answered


@dataclass(frozen=True)
class HookAnswer:
    """The HTTP answer a network expects from our webhook."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Received:
    """A webhook request as the network's inbound side judged it: a payload to ingest, or an
    answer to give at once (a handshake, or a refusal counted as ``step``/``reason``)."""

    payload: Any = None
    answer: HookAnswer | None = None
    step: str = ""
    reason: str = ""
    detail: str = ""


@dataclass
class Polled:
    """What one poll brought: ``(payload, context)`` pairs for the parse step (the context is
    the post a payload belongs to when it does not say) and the cursor changes to store once
    they are stored (so a crash re-reads the batch; deduplication drops the repeats)."""

    payloads: list[tuple[Any, str]] = field(default_factory=list)
    advance: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplyTo:
    """The item a reply answers, as the network knows it."""

    kind: str
    external_id: str
    post_ref: str = ""
    chat_ref: str = ""
    author_ref: str = ""


@dataclass(frozen=True)
class Setting:
    """One inbound setting entered on the channel's inbox connection page (labels are
    translated strings). A secret is kept with the credentials and is write-only: left empty, the
    stored one stays; any other setting is kept in the channel's config."""

    name: str
    label: Any
    help_text: Any
    max_length: int
    secret: bool = False
    token_chars: bool = False  # only letters, digits, _ and - (a secret sent back in a header)


class Inbound:
    """The inbound side of one channel, built from its ids and settings (``config``, as for
    ``Connector``); the methods that need the channel's secrets take its decrypted
    ``credentials``. Parsing needs none, so the pipeline never decrypts to parse.

    The defaults describe a network the inbox does not read (off, nothing to parse, no
    replies); a network overrides what it does. Every payload is untrusted: a field of the
    wrong type is a ``Drop("bad_payload")``, never another exception.
    """

    code = ""
    # Serves a webhook at hooks/<network code>/<hook code>/ (see ``receive``).
    webhook = False
    # Polled by asking for each recent post's comments (no event stream): ``poll`` gets the
    # posts, and the inbox polls it at the slow interval.
    polls_by_post = False
    # Takes replies (``reply``); when not, ``no_reply_note`` tells a manager why.
    replies = False
    no_reply_note: Any = ""  # a (lazily) translated string
    # What a person enters on the channel's inbox connection page, and how to set it up there.
    settings: tuple[Setting, ...] = ()
    setup_help: Any = ""  # a (lazily) translated string
    # Points the network at our webhook itself (``set_webhook``) when a person saves a secret
    # on the inbox connection page; otherwise the person enters our URL in the network.
    sets_webhook = False
    # The credential whose presence means events come by webhook, and the one that lets us poll.
    webhook_credential = ""
    poll_credential = ""
    # The network's own answers to webhook outcomes ("ok", "retry", "unknown", "bad_payload", …);
    # an outcome not listed gets the plain default of ``hook_answer``.
    answers: Mapping[str, HookAnswer] = {}

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.external_id = str(config.get("external_id", "")).strip()

    def mode(self, credentials: dict[str, Any]) -> str:
        """How events arrive with these credentials: "webhook", "poll" or "off"."""
        if self.webhook_credential and credentials.get(self.webhook_credential):
            return "webhook"
        return "poll" if self.poll_credential and credentials.get(self.poll_credential) else "off"

    def parse(self, payload: Any, context: str = "") -> list[Incoming]:
        """One payload → its records; raise ``Drop`` for one that is not an item."""
        raise Drop("unsupported_network", self.code)

    @classmethod
    def hook_answer(cls, outcome: str) -> HookAnswer:
        """The answer for "ok" (ingested), "retry" (ingesting failed) or "unknown" (no channel
        has this hook code); the network redelivers on anything but a success."""
        if outcome in cls.answers:
            return cls.answers[outcome]
        return HookAnswer({"ok": 200, "retry": 503}.get(outcome, 404), outcome)

    def receive(self, payload: Any, headers: Mapping[str, str],
                credentials: dict[str, Any]) -> Received:
        """Verify one webhook request (``payload`` is its JSON body, None when unreadable)."""
        return Received(answer=self.hook_answer("unknown"), step="webhook",
                        reason="unknown_hook", detail=self.code)

    def set_webhook(self, credentials: dict[str, Any], url: str) -> None:
        """Ask the network to send this channel's events to ``url`` with these credentials'
        secret (``sets_webhook``); a ``ConnectorError`` says why the network refused."""
        raise ConnectorError(f"{self.code}: the webhook is set in the network itself",
                             permanent=True)

    def poll(self, credentials: dict[str, Any], cursor: dict[str, Any],
             posts: list[str]) -> Polled:
        """Fetch what is new since ``cursor`` (this may update the parts of the cursor that are
        safe to keep at once, like a new long-poll key). ``posts``: our recent posts here,
        newest first, for networks that poll by post."""
        return Polled()

    def reply(self, credentials: dict[str, Any], to: ReplyTo, text: str, *, random_id: int,
              key: str) -> str:
        """Post ``text`` as the answer to ``to``; returns the network's id of the reply.
        ``random_id`` and ``key`` are the reply's idempotency keys, the same on every attempt."""
        raise ConnectorError(f"no reply support for {self.code}", permanent=True)

    def find_reply(self, credentials: dict[str, Any], to: ReplyTo, key: str) -> str | None:
        """Our reply sent with ``key`` (after an ambiguous outcome): its id, or None when it is
        surely not there. Raise AmbiguousOutcome when the network cannot tell."""
        raise AmbiguousOutcome(f"{self.code}: a reply cannot be looked up by key")
