"""Telegram channel connector (Bot API).

Credentials: ``bot_token``. Config: ``external_id`` = the channel's numeric chat id (``-100…``);
a person may enter the ``@username``, and ``check()`` returns the numeric id ``getChat`` gives
(updates name chats by number only), kept with the username (config ``username``) for display.
The bot must be an administrator of the channel with ``can_post_messages``.

``deleteMessage`` removes only messages sent less than 48 hours ago (its Bot API entry):
``limits.delete_window`` lets the UI warn before the delete is asked for and the content app
mark an older target as not deletable without asking; Telegram's refusal all the same (our clock
is not Telegram's) is ``NotDeletable``, which marks it so too — never a retry, never a failure.

What the Bot API cannot do, and what we do instead:
- **No lookup of a sent message**: ``find()`` raises AmbiguousOutcome("cannot verify; needs a
  manual check"), so after a timeout the engine marks the target "needs check" and a person
  looks at the channel — never a blind re-send.
- **No view counts** (``Message`` has no ``views``): ``post_stats()`` returns empty PostStats
  (every field None). Reactions arrive as ``message_reaction_count`` updates, which belong to the
  inbox/webhook side, not to this pull API.
- **No scheduling**: ``publish_at`` is ignored; the engine publishes at the due time.

Text is sent with ``parse_mode=HTML``: our texts are plain, so ``<``, ``>`` and ``&`` are
escaped and nothing is interpreted as markup. Lengths are counted in UTF-16 code units, the unit
Telegram uses for entities — never fewer than the characters it counts, so a text we accept is
never refused as too long.

``external_id`` of a media group is the comma-joined message ids of its items; edits go to the
first (the one carrying the caption), deletes to all.
"""

from __future__ import annotations

import html
import json
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from kosmmos.connectors.base import (
    AmbiguousOutcome,
    AuthRevoked,
    ChannelInfo,
    ConnectorError,
    Limits,
    Media,
    NotDeletable,
    PostStats,
    PublishedPost,
    PublishRequest,
)
from kosmmos.connectors.telegram.client import TelegramClient
from kosmmos.connectors.text import compose_text

# https://core.telegram.org/bots/api#deletemessage — "A message can only be deleted if it was
# sent less than 48 hours ago." A little margin: our clock and Telegram's need not agree.
DELETE_WINDOW = timedelta(hours=48) - timedelta(minutes=5)


def DELETE_TOO_OLD() -> str:
    return _("Telegram deletes only messages sent less than 48 hours ago; delete this post in "
             "Telegram itself.")


def deletable(sent_at: datetime, now: datetime | None = None) -> bool:
    """Whether the Bot API still deletes a message sent at ``sent_at``."""
    return (now or datetime.now(UTC)) - sent_at < DELETE_WINDOW


SEND_ONE = {"photo": ("sendPhoto", "photo"), "video": ("sendVideo", "video")}


def tg_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def as_html(text: str) -> str:
    """Plain text made safe for parse_mode=HTML (the Bot API asks for &lt; &gt; &amp;)."""
    return html.escape(text, quote=False)


class TelegramConnector:
    code = "telegram"
    limits = Limits(
        text_max=4096,
        caption_max=1024,
        media_max=10,
        media_min_group=2,
        photo_max_bytes=10 * 2**20,
        video_max_bytes=50 * 2**20,
        links_max=None,
        supports_ads_mark=False,
        delete_window=DELETE_WINDOW,
    )

    def __init__(self, credentials: dict[str, Any], config: dict[str, Any]) -> None:
        token = str(credentials.get("bot_token") or "")
        if not token:
            raise AuthRevoked(_("No Telegram bot token is saved for this channel."))
        self.chat_id = str(config.get("external_id", "")).strip()
        if not self.chat_id:
            raise ConnectorError(_("The Telegram channel is not set."), permanent=True)
        self.api = TelegramClient(token)

    # --- Channel ---------------------------------------------------------------------------------

    def check(self) -> ChannelInfo:
        # https://core.telegram.org/bots/api#getme
        me = self.api.call("getMe", {})
        # https://core.telegram.org/bots/api#getchat
        chat = self.api.call("getChat", {"chat_id": self.chat_id})
        # https://core.telegram.org/bots/api#getchatmember
        member = self.api.call("getChatMember", {"chat_id": self.chat_id, "user_id": me["id"]})
        status = member.get("status")
        if chat.get("type") == "channel":
            can_post = status == "creator" or (
                status == "administrator" and bool(member.get("can_post_messages")))
        else:
            can_post = status in ("creator", "administrator", "member") or (
                status == "restricted" and bool(member.get("can_send_messages")))
        problems: list[str] = []
        if not can_post:
            problems.append(_("The bot @%(bot)s is not an administrator of the channel allowed "
                              "to post messages.") % {"bot": me.get("username", "")})
        return ChannelInfo(
            title=str(chat.get("title") or chat.get("username") or self.chat_id),
            can_post=can_post, followers=self.followers(), token_expires_at=None,
            problems=tuple(problems), external_id=str(chat.get("id") or ""),
            handle=str(chat.get("username") or ""),
        )

    def followers(self) -> int | None:
        # https://core.telegram.org/bots/api#getchatmembercount
        count = self.api.call("getChatMemberCount", {"chat_id": self.chat_id})
        return int(count) if count is not None else None

    # --- Messages --------------------------------------------------------------------------------

    def _validate(self, text: str, media: tuple[Media, ...]) -> None:
        if len(media) > self.limits.media_max:
            raise ConnectorError(_("Telegram accepts at most %(max)s photos and videos in a "
                                   "post.") % {"max": self.limits.media_max}, permanent=True)
        if any(m.kind not in SEND_ONE for m in media):
            raise ConnectorError(_("Telegram: unsupported media kind."), permanent=True)
        limit = self.limits.caption_max if media else self.limits.text_max
        assert limit is not None
        if tg_length(text) > limit:
            raise ConnectorError(
                _("The text is %(n)s characters; Telegram accepts at most %(max)s %(what)s.")
                % {"n": tg_length(text), "max": limit,
                   "what": _("in a caption") if media else _("in a message")},
                permanent=True)
        if not media and not text.strip():
            raise ConnectorError(_("Telegram cannot send an empty message."), permanent=True)

    def url(self, chat: dict[str, Any], message_id: int) -> str:
        username = chat.get("username") or (self.chat_id[1:] if self.chat_id.startswith("@")
                                            else "")
        if username:
            return f"https://t.me/{username}/{message_id}"
        chat_id = str(chat.get("id") or self.chat_id)
        if chat_id.startswith("-100"):
            return f"https://t.me/c/{chat_id[4:]}/{message_id}"
        return ""

    def publish(self, request: PublishRequest) -> PublishedPost:
        text = compose_text(request)
        self._validate(text, request.media)
        self.api.pace(self.chat_id, cost=max(1, len(request.media)))
        body = as_html(text)
        with ExitStack() as files:
            def part(item: Media) -> tuple[str, Any, str]:
                try:
                    handle = files.enter_context(open(item.path, "rb"))
                except OSError as exc:
                    raise ConnectorError(f"cannot read the media file {item.path}: {exc}",
                                         permanent=True) from exc
                return (item.name or Path(item.path).name, handle, item.mime)

            if not request.media:
                # https://core.telegram.org/bots/api#sendmessage
                messages = [self.api.call("sendMessage", {
                    "chat_id": self.chat_id, "text": body, "parse_mode": "HTML",
                }, publishing=True)]
            elif len(request.media) == 1:
                item = request.media[0]
                method, field = SEND_ONE[item.kind]
                # https://core.telegram.org/bots/api#sendphoto, #sendvideo
                messages = [self.api.call(method, {
                    "chat_id": self.chat_id, "caption": body or None,
                    "parse_mode": "HTML" if body else None,
                }, files={field: part(item)}, publishing=True)]
            else:
                media: list[dict[str, Any]] = []
                parts: dict[str, tuple[str, Any, str]] = {}
                for index, item in enumerate(request.media):
                    entry: dict[str, Any] = {"type": item.kind, "media": f"attach://file{index}"}
                    if index == 0 and body:
                        entry.update(caption=body, parse_mode="HTML")
                    media.append(entry)
                    parts[f"file{index}"] = part(item)
                # https://core.telegram.org/bots/api#sendmediagroup
                messages = self.api.call("sendMediaGroup", {
                    "chat_id": self.chat_id, "media": json.dumps(media, ensure_ascii=False),
                }, files=parts, publishing=True)
        first = messages[0]
        if any(not isinstance(m.get("message_id"), int) or m["message_id"] <= 0
               for m in messages):
            # A message Telegram schedules itself carries message_id 0: not an id to keep.
            raise AmbiguousOutcome(_("Telegram did not return the message's id; needs a manual "
                                     "check of the channel."))
        ids = ",".join(str(m["message_id"]) for m in messages)
        return PublishedPost(
            external_id=ids, url=self.url(first.get("chat") or {}, first["message_id"]),
            published_at=datetime.fromtimestamp(int(first["date"]), UTC) if first.get("date")
            else datetime.now(UTC),
            raw={"messages": messages},
        )

    def find(self, request: PublishRequest) -> PublishedPost | None:
        raise AmbiguousOutcome(
            _("Telegram's Bot API cannot look a message up, so we cannot verify whether it was "
              "sent; needs a manual check of the channel."))

    def edit(self, external_id: str, request: PublishRequest) -> None:
        text = compose_text(request)
        self._validate(text, request.media)
        message_id = int(external_id.split(",")[0])
        self.api.pace(self.chat_id)
        try:
            if request.media:
                # https://core.telegram.org/bots/api#editmessagecaption
                self.api.call("editMessageCaption", {
                    "chat_id": self.chat_id, "message_id": message_id,
                    "caption": as_html(text), "parse_mode": "HTML",
                })
            else:
                # https://core.telegram.org/bots/api#editmessagetext
                self.api.call("editMessageText", {
                    "chat_id": self.chat_id, "message_id": message_id,
                    "text": as_html(text), "parse_mode": "HTML",
                })
        except ConnectorError as exc:
            if "message is not modified" not in exc.message:
                raise

    def delete(self, external_id: str) -> None:
        for message_id in external_id.split(","):
            self.api.pace(self.chat_id)
            try:
                # https://core.telegram.org/bots/api#deletemessage
                self.api.call("deleteMessage", {"chat_id": self.chat_id,
                                                "message_id": int(message_id)})
            except ConnectorError as exc:
                if "message can't be deleted" in exc.message:
                    raise NotDeletable(DELETE_TOO_OLD(), code=exc.code) from exc
                if "message to delete not found" not in exc.message:
                    raise

    def post_stats(self, external_ids: list[str]) -> dict[str, PostStats]:
        return {external_id: PostStats() for external_id in external_ids}
