"""Polling jobs: for channels without a webhook, one due row per channel (ChannelInbox).

``mode(channel)`` decides how a channel's events arrive:

- VK: the Callback API webhook when a secret is set (credentials ``vk_secret``), else Bots Long
  Poll with the community token: ``groups.getLongPollServer`` once, then
  ``{server}?act=a_check&key=&ts=&wait=25`` (https://dev.vk.com/ru/api/bots-long-poll/getting-started);
  ``ts`` is stored on the row after every answer, so a restart resumes where it stopped.
- Telegram: the webhook when ``webhook_secret`` is set, else ``getUpdates`` with the stored
  ``offset`` (https://core.telegram.org/bots/api#getupdates). Telegram refuses getUpdates while
  a webhook is set, so a channel has one or the other.
- OK: ``discussions.getComments(discussionId=<topic>, discussionType=GROUP_TOPIC)`` for our
  topics published in the last 14 days (B: the method is listed in OK's method index; response
  fields ``comments[{id, text, author_id, author_name, date, reply_to_comment_id}]`` are taken
  from client libraries, not a verified doc).
- Sandbox: ``GET /channels/<id>/posts/<post>/comments`` for our recent posts there; the
  channel's own comments (our replies) come back marked ``from_channel`` and are dropped.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from kosmmos.channels.models import Channel
from kosmmos.connectors.base import AuthRevoked, ConnectorError, RateLimited
from kosmmos.content.models import PostTarget, TargetStatus
from kosmmos.inbox.models import ChannelInbox, PollStatus
from kosmmos.inbox.pipeline import Envelope, Run, ingest
from kosmmos.lib import http

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
RECENT_POSTS = timedelta(days=14)
POSTS_PER_POLL = 50


def interval(channel: Channel) -> timedelta:
    if channel.network in {"vk", "telegram"}:
        return timedelta(seconds=settings.INBOX_POLL_SECONDS)
    return timedelta(seconds=settings.INBOX_SLOW_POLL_SECONDS)


def mode(channel: Channel) -> str:
    """"webhook", "poll" or "off" for this channel."""
    if channel.status == "disabled":
        return "off"
    credentials = channel.credentials
    if channel.network == "vk":
        if credentials.get("vk_secret"):
            return "webhook"
        return "poll" if credentials.get("community_token") else "off"
    if channel.network == "telegram":
        if credentials.get("webhook_secret"):
            return "webhook"
        return "poll" if credentials.get("bot_token") else "off"
    if channel.network in {"ok", "sandbox"}:
        return "poll"
    return "off"


def poll(inbox_id: Any) -> None:
    """The job: poll one channel if its row is still queued; store the cursor; plan the next."""
    now = timezone.now()
    if not claim_one_poll(inbox_id, now):
        return
    inbox = ChannelInbox.objects.select_related("channel").get(pk=inbox_id)
    channel = inbox.channel
    cursor = dict(inbox.cursor)
    error, delay = "", interval(channel)
    try:
        if mode(channel) == "poll":
            POLLERS[channel.network](channel, cursor)
    except RateLimited as exc:
        error, delay = exc.message, timedelta(seconds=max(exc.retry_after, delay.total_seconds()))
    except AuthRevoked as exc:
        error, delay = exc.message, timedelta(hours=1)
    except ConnectorError as exc:
        error = exc.message
        delay = min(timedelta(minutes=30), delay * 2 ** min(inbox.failures + 1, 6))
    except Exception as exc:  # the row must never stay in "polling"
        log.exception("inbox poll of channel %s failed", channel.pk)
        error, delay = f"{type(exc).__name__}: {exc}", timedelta(minutes=5)
    done = timezone.now()
    ChannelInbox.objects.filter(pk=inbox.pk, poll_status=PollStatus.POLLING).update(
        poll_status=PollStatus.IDLE, cursor=cursor, lease_until=None, last_polled_at=done,
        next_poll_at=done + delay, last_error=error[:2000],
        failures=F("failures") + 1 if error else 0,
    )


def claim_one_poll(inbox_id: Any, now: Any) -> bool:
    return bool(ChannelInbox.objects.filter(pk=inbox_id, poll_status=PollStatus.QUEUED).update(
        poll_status=PollStatus.POLLING, lease_until=now + LEASE))


# --- VK Bots Long Poll -----------------------------------------------------------------------


def poll_vk(channel: Channel, cursor: dict[str, Any]) -> Run | None:
    from kosmmos.connectors.vk.client import COMMUNITY_RATE, VkClient

    token = str(channel.credentials.get("community_token") or "")
    group = channel.external_id.strip().lstrip("-")
    client = VkClient(token, rate=COMMUNITY_RATE)
    if not cursor.get("server") or not cursor.get("key"):
        # https://dev.vk.com/ru/method/groups.getLongPollServer
        server = client.call("groups.getLongPollServer", {"group_id": group})
        cursor.update(server=server["server"], key=server["key"],
                      ts=cursor.get("ts") or server["ts"])
    wait = settings.INBOX_LONGPOLL_WAIT
    try:
        response = http.get(cursor["server"], params={
            "act": "a_check", "key": cursor["key"], "ts": cursor["ts"], "wait": wait,
        }, timeout=httpx.Timeout(wait + 10.0, connect=5.0))
    except http.HttpError as exc:
        raise ConnectorError(f"VK long poll: {exc}") from exc
    if response.status_code >= 400:
        raise ConnectorError(f"VK long poll: HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as exc:
        raise ConnectorError("VK long poll: not JSON") from exc
    failed = body.get("failed")
    if failed == 1:  # history lost or ts too old: continue from the ts VK gives
        cursor["ts"] = body.get("ts", cursor["ts"])
        return None
    if failed in (2, 3):  # key expired (2) or information lost (3): ask for a new key
        cursor.pop("key", None)
        cursor.pop("server", None)
        if failed == 3:
            cursor.pop("ts", None)
        return None
    updates = body.get("updates") or []
    run = ingest([Envelope(channel, update) for update in updates]) if updates else None
    cursor["ts"] = body.get("ts", cursor["ts"])
    return run


# --- Telegram getUpdates ---------------------------------------------------------------------


def poll_telegram(channel: Channel, cursor: dict[str, Any]) -> Run | None:
    from kosmmos.connectors.telegram.client import TelegramClient

    client = TelegramClient(str(channel.credentials.get("bot_token") or ""))
    params: dict[str, Any] = {
        "timeout": 0, "limit": 100,
        "allowed_updates": ["message", "edited_message", "channel_post",
                            "message_reaction_count"],
    }
    if cursor.get("offset"):
        params["offset"] = int(cursor["offset"])
    updates = client.call("getUpdates", params) or []
    run = ingest([Envelope(channel, update) for update in updates]) if updates else None
    ids = [u["update_id"] for u in updates if isinstance(u, dict)
           and isinstance(u.get("update_id"), int)]
    if ids:
        # Confirms everything up to here to Telegram on the next call; it is stored only after
        # the batch committed, so a crash re-reads the batch (and dedupe drops the repeats).
        cursor["offset"] = max(ids) + 1
    return run


# --- OK and the sandbox: comments of our recent posts ---------------------------------------


# Networks whose poll asks for the comments of each recent post (no event stream).
POLLED_BY_POST = {"ok", "sandbox"}


def channels_with_recent_posts(channel_ids: list[Any]) -> set[Any]:
    """Of these channels, those with a post of ours recent enough to poll its comments."""
    if not channel_ids:
        return set()
    since = timezone.now() - RECENT_POSTS
    return set(PostTarget.objects.filter(
        channel_id__in=channel_ids, status=TargetStatus.PUBLISHED, published_at__gte=since,
    ).exclude(external_id="").values_list("channel_id", flat=True).distinct())


def _recent_targets(channel: Channel) -> list[PostTarget]:
    since = timezone.now() - RECENT_POSTS
    return list(PostTarget.objects.filter(
        channel=channel, status=TargetStatus.PUBLISHED, published_at__gte=since,
    ).exclude(external_id="").order_by("-published_at")[:POSTS_PER_POLL])


def poll_ok(channel: Channel, cursor: dict[str, Any]) -> Run | None:
    from kosmmos.connectors.ok.client import OkClient

    credentials = channel.credentials
    client = OkClient(str(credentials.get("application_key") or ""),
                      str(credentials.get("application_secret_key") or ""),
                      str(credentials.get("access_token") or ""))
    envelopes = []
    for target in _recent_targets(channel):
        body = client.call("discussions.getComments", {
            "discussionId": target.external_id, "discussionType": "GROUP_TOPIC", "count": 100,
        })
        comments = body.get("comments") if isinstance(body, dict) else None
        envelopes += [Envelope(channel, c, target.external_id) for c in comments or []]
    return ingest(envelopes) if envelopes else None


def poll_sandbox(channel: Channel, cursor: dict[str, Any]) -> Run | None:
    """Comments of our recent posts, through the sandbox connector (its error mapping: 429 →
    RateLimited with the sandbox's wait, 401 → AuthRevoked; a post deleted there has none).

    The sandbox lists every comment of a post on every call, and a comment appears only once
    its time has come, so the newest ``at`` seen per post (``cursor["seen_at"]``) splits new
    from old: only the new go through the pipeline — the old would each be counted again as a
    drop (duplicate or our own reply) every poll. The cursor moves only after the batch
    committed; posts that left the recent window leave it too."""
    connector = channel.connector()
    seen = cursor.get("seen_at") if isinstance(cursor.get("seen_at"), dict) else {}
    envelopes: list[Envelope] = []
    latest: dict[str, float] = {}
    for target in _recent_targets(channel):
        ref = target.external_id
        since = _number(seen.get(ref)) or 0.0
        comments = connector.comments(ref)
        envelopes += [Envelope(channel, c, ref) for c in comments
                      if (_at(c) or since + 1) > since]
        latest[ref] = max([since, *(_at(c) or 0.0 for c in comments)])
    run = ingest(envelopes) if envelopes else None
    cursor["seen_at"] = latest
    return run


def _at(comment: Any) -> float | None:
    """A comment's time as the sandbox sends it; None when there is none that is a number
    (such a comment is always passed on: the parse step drops it with its reason)."""
    return _number(comment.get("at")) if isinstance(comment, dict) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return float(value)
    except ValueError:
        return None


POLLERS = {"vk": poll_vk, "telegram": poll_telegram, "ok": poll_ok, "sandbox": poll_sandbox}
