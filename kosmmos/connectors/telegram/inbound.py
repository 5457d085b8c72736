"""Telegram inbound: the bot's webhook or getUpdates, and replies in the discussion group.

Events arrive by the webhook (https://core.telegram.org/bots/api#setwebhook) when
``webhook_secret`` is set (Telegram sends it back in ``X-Telegram-Bot-Api-Secret-Token``), else
by ``getUpdates`` with the stored ``offset`` (https://core.telegram.org/bots/api#getupdates).
Telegram refuses getUpdates while a webhook is set, so a channel has one or the other.

An ``Update`` (https://core.telegram.org/bots/api#update) brings ``message`` /
``edited_message`` from the channel's linked discussion group (config ``discussion_chat_id``)
or a private chat with the bot, ``channel_post`` and ``message_reaction_count``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import httpx
from django.conf import settings
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosmmos.connectors.base import (
    COMMENT,
    MESSAGE,
    POST,
    AuthRevoked,
    ConnectorError,
    Drop,
    HookAnswer,
    Inbound,
    Incoming,
    Polled,
    Received,
    ReplyTo,
    Setting,
)
from kosmmos.connectors.payload import answer, ident, mapping, stamp, string, text
from kosmmos.connectors.telegram.client import TelegramClient

JSON = "application/json"
# What the inbox reads; setWebhook and getUpdates ask for exactly these (message_reaction_count
# is sent only when asked for: https://core.telegram.org/bots/api#update).
ALLOWED_UPDATES = ("message", "edited_message", "channel_post", "edited_channel_post",
                   "message_reaction_count")
# https://core.telegram.org/bots/api#setwebhook — secret_token: 1-256 characters, only A-Z,
# a-z, 0-9, _ and -.
SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
REFUSED = json.dumps({"ok": False})
# A Message's media fields (https://core.telegram.org/bots/api#message) → attachment kinds.
MEDIA = {"sticker": "sticker", "photo": "photo", "video": "video", "animation": "video",
         "video_note": "video", "audio": "audio", "voice": "voice", "document": "document",
         "poll": "poll", "location": "location", "venue": "location", "contact": "other",
         "dice": "other"}
ANSWERS = {"ok": HookAnswer(200, json.dumps({"ok": True}), JSON),
           "retry": HookAnswer(503, REFUSED, JSON), "unknown": HookAnswer(404, REFUSED, JSON),
           "bad_secret": HookAnswer(403, REFUSED, JSON),
           "bad_payload": HookAnswer(400, REFUSED, JSON)}


class TelegramInbound(Inbound):
    code = "telegram"
    webhook = True
    sets_webhook = True
    webhook_credential, poll_credential = "webhook_secret", "bot_token"
    answers = ANSWERS
    replies = True
    settings = (
        Setting("discussion_chat_id", gettext_lazy("Telegram discussion group id"),
                gettext_lazy("The channel's linked chat (linked_chat_id), e.g. -1001234567890. "
                             "The bot must be a member to see comments."), 40),
        Setting("webhook_secret", gettext_lazy("Telegram webhook secret token"),
                gettext_lazy("Passed to setWebhook as secret_token; Telegram sends it back in "
                             "every request. Empty keeps the current one."), 256, secret=True,
                token_chars=True),
    )
    setup_help = gettext_lazy(
        "With a secret, Kosmmos sets the bot's webhook itself (setWebhook with this secret and "
        "the updates it reads); without one, Kosmmos polls getUpdates. The bot must be a member "
        "of the discussion group and an administrator of the channel.")

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.discussion_chat = str(config.get("discussion_chat_id", "")).strip()

    # --- the webhook -----------------------------------------------------------------------

    def receive(self, payload: Any, headers: Mapping[str, str],
                credentials: dict[str, Any]) -> Received:
        expected = str(credentials.get("webhook_secret") or "")
        given = headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if (not SECRET.fullmatch(expected) or not SECRET.fullmatch(given)
                or not constant_time_compare(given, expected)):
            return Received(answer=ANSWERS["bad_secret"], step="webhook", reason="bad_secret")
        if not isinstance(payload, dict):
            return Received(answer=ANSWERS["bad_payload"], step="parse", reason="bad_payload")
        return Received(payload=payload)

    # --- parsing ---------------------------------------------------------------------------

    def parse(self, payload: Any, context: str = "") -> list[Incoming]:
        """An Update for the bot of our channel, whose comments live in the discussion group
        (the channel's linked_chat_id)."""
        channel_chat, discussion_chat = self.external_id, self.discussion_chat
        data = mapping(payload, "the update")
        update_id = data.get("update_id")
        if isinstance(update_id, bool) or not isinstance(update_id, int):
            raise Drop("bad_payload", "no update_id")
        key = str(update_id)
        if "message_reaction_count" in data:
            body = mapping(data["message_reaction_count"], "message_reaction_count")
            chat = mapping(body.get("chat"), "chat")
            if not _ours(chat, channel_chat):
                raise Drop("foreign_chat")
            counts: dict[str, int] = {}
            reactions = body.get("reactions") or []
            if not isinstance(reactions, list):
                raise Drop("bad_payload", "reactions is not a list")
            for entry in reactions:
                entry = mapping(entry, "reaction")
                rtype = mapping(entry.get("type"), "reaction type")
                label = string(rtype.get("emoji") or rtype.get("custom_emoji_id")
                               or rtype.get("type"))
                total = entry.get("total_count")
                if isinstance(total, bool) or not isinstance(total, int):
                    raise Drop("bad_payload", "total_count is not an integer")
                counts[label[:32]] = total
            return [Incoming(action="reactions", event_key=key,
                             post_ref=ident(body.get("message_id"), "message_id"), counts=counts,
                             raw=data)]
        if "channel_post" in data or "edited_channel_post" in data:
            return [self._post(data, key)]
        edited = "edited_message" in data
        if not edited and "message" not in data:
            raise Drop("unsupported_type", ",".join(sorted(k for k in data if k != "update_id")))
        message = mapping(data["edited_message" if edited else "message"], "message")
        chat = mapping(message.get("chat"), "chat")
        chat_id = ident(chat.get("id"), "chat.id")
        message_id = ident(message.get("message_id"), "message_id")
        if message_id == "0":  # a message Telegram schedules itself: no id yet
            raise Drop("bad_payload", "message_id 0")
        author, name = _author(message)
        said, cut = text(message.get("text") or message.get("caption"))
        common: dict[str, Any] = {"event_key": key, "external_id": f"{chat_id}:{message_id}", "chat_ref": chat_id,
                  "author_ref": author, "author_name": name, "text": said, "text_cut": cut,
                  "attachments": [kind for key, kind in MEDIA.items() if key in message],
                  "received_at": stamp(message.get("edit_date") if edited
                                       else message.get("date")),
                  "raw": data}
        if chat.get("type") == "private":
            return [Incoming(action="edit" if edited else "new", kind=MESSAGE, **common)]
        if not discussion_chat or chat_id != discussion_chat:
            raise Drop("foreign_chat", chat_id)
        if message.get("is_automatic_forward"):
            post = _forwarded_post(message, channel_chat)
            if not post:
                raise Drop("foreign_forward")
            return [Incoming(action="link", event_key=key, thread_ref=message_id, post_ref=post,
                             raw=data)]
        sender = message.get("sender_chat")
        if author == chat_id or (isinstance(sender, dict) and _ours(sender, channel_chat)):
            # as the channel, or as the group (an anonymous admin)
            replied = message.get("reply_to_message")
            answered = None
            if not edited and isinstance(replied, dict) and not replied.get("is_automatic_forward"):
                answered = answer(f"{chat_id}:{message_id}",
                                  f"{chat_id}:{ident(replied.get('message_id'))}",
                                  stamp(message.get("date")),
                                  message.get("text") or message.get("caption"))
            elif edited:
                answered = Incoming(action="answer_edit", external_id=f"{chat_id}:{message_id}",
                                    text=said)
            raise Drop("own_message", "written as the channel", answered=answered)
        parsed = Incoming(action="edit" if edited else "new", kind=COMMENT, **common)
        thread = message.get("message_thread_id")
        if thread is not None:
            parsed.thread_ref = ident(thread, "message_thread_id")
        replied = message.get("reply_to_message")
        if isinstance(replied, dict):
            if replied.get("is_automatic_forward"):
                parsed.post_ref = _forwarded_post(replied, channel_chat)
                parsed.thread_ref = parsed.thread_ref or ident(replied.get("message_id"))
            else:
                parsed.parent_ref = f"{chat_id}:{ident(replied.get('message_id'))}"
        return [parsed]

    def _post(self, data: dict[str, Any], key: str) -> Incoming:
        """A post in our channel (``channel_post``; ``edited_channel_post`` when changed).
        Telegram does not send a bot its own messages, so these were typed in the app; the
        inbox keeps them as posts published outside Kosmmos. An album comes as one update per
        photo sharing ``media_group_id`` (the caption on one of them): they become one post."""
        edited = "edited_channel_post" in data
        message = mapping(data["edited_channel_post" if edited else "channel_post"],
                          "channel_post")
        chat = mapping(message.get("chat"), "chat")
        ident(chat.get("id"), "chat.id")
        if not _ours(chat, self.external_id):
            raise Drop("foreign_chat", "a post in another channel")
        message_id = ident(message.get("message_id"), "message_id")
        if message_id == "0":
            raise Drop("bad_payload", "message_id 0")
        group = message.get("media_group_id")
        if group is not None and not isinstance(group, str):
            raise Drop("bad_payload", "media_group_id is not a string")
        said, cut = text(message.get("text") or message.get("caption"))
        username = string(chat.get("username"))
        chat_id = ident(chat.get("id"), "chat.id")
        url = (f"https://t.me/{username}/{message_id}" if username
               else f"https://t.me/c/{chat_id[4:]}/{message_id}" if chat_id.startswith("-100")
               else "")
        return Incoming(action="edit" if edited else "new", kind=POST, external_id=message_id,
                        event_key=key, post_ref=message_id, group_ref=group or "", text=said,
                        text_cut=cut, url=url, raw=data,
                        received_at=stamp(message.get("date")))

    # --- getUpdates ------------------------------------------------------------------------

    def poll(self, credentials: dict[str, Any], cursor: dict[str, Any],
             posts: list[str]) -> Polled:
        client = TelegramClient(str(credentials.get("bot_token") or ""))
        wait = int(settings.INBOX_LONGPOLL_WAIT)
        # A real long poll: Telegram holds the request up to ``timeout`` seconds until an
        # update comes ("Should be positive, short polling should be used for testing purposes
        # only"); our HTTP timeout waits longer than that.
        params: dict[str, Any] = {"timeout": wait, "limit": 100,
                                  "allowed_updates": list(ALLOWED_UPDATES)}
        if cursor.get("offset"):
            params["offset"] = int(cursor["offset"])
        updates = client.call("getUpdates", params,
                              timeout=httpx.Timeout(wait + 10.0, connect=5.0)) or []
        ids = [u["update_id"] for u in updates if isinstance(u, dict)
               and isinstance(u.get("update_id"), int)]
        # The offset confirms everything up to here to Telegram on the next call; it is stored
        # only after the batch committed, so a crash re-reads the batch.
        return Polled([(update, "") for update in updates],
                      {"offset": max(ids) + 1} if ids else {})

    # --- the webhook, set from Kosmmos -------------------------------------------------------

    def set_webhook(self, credentials: dict[str, Any], url: str) -> None:
        """Point the bot's updates at ``url`` (our hook for this channel), with the channel's
        secret and the updates the inbox reads; getUpdates stops working while it is set."""
        secret = str(credentials.get("webhook_secret") or "")
        if not SECRET.fullmatch(secret):
            raise ConnectorError(_("The webhook secret may hold only letters, digits, _ and -."),
                                 permanent=True)
        client = TelegramClient(str(credentials.get("bot_token") or ""))
        # https://core.telegram.org/bots/api#setwebhook
        client.call("setWebhook", {"url": url, "secret_token": secret,
                                   "allowed_updates": list(ALLOWED_UPDATES)})

    # --- replies ---------------------------------------------------------------------------

    def reply(self, credentials: dict[str, Any], to: ReplyTo, text: str, *, random_id: int,
              key: str) -> str:
        token = str(credentials.get("bot_token") or "")
        if not token:
            raise AuthRevoked(_("The Telegram channel has no bot token."))
        chat, _sep, message_id = to.external_id.partition(":")
        client = TelegramClient(token)
        client.pace(chat)
        # https://core.telegram.org/bots/api#sendmessage — a reply in the discussion group lands
        # in the post's comment thread because it replies to a comment there. Sent without its
        # comment (deleted meanwhile) it would land in the group outside any thread, so
        # Telegram is asked to refuse it instead (allow_sending_without_reply false).
        sent = client.call("sendMessage", {
            "chat_id": to.chat_ref or chat, "text": text,
            "reply_parameters": {"message_id": int(message_id),
                                 "allow_sending_without_reply": False},
        }, publishing=True)
        return f"{chat}:{sent.get('message_id', '')}" if isinstance(sent, dict) else ""


def _ours(chat: dict[str, Any], channel_chat: str) -> bool:
    """Whether a Chat is our channel: by its numeric id; a channel still saved by its
    @username (until the channel check stores the id getChat gives) by the username."""
    if ident(chat.get("id"), "chat.id") == channel_chat:
        return True
    username = string(chat.get("username"))
    return bool(username) and channel_chat.startswith("@") and (
        username.lower() == channel_chat[1:].lower())


def _author(message: dict[str, Any]) -> tuple[str, str]:
    # A message sent on behalf of a chat (the channel, or an anonymous group admin) names that
    # chat in `sender_chat`; `from` then holds a placeholder user (@Channel_Bot,
    # @GroupAnonymousBot) kept for old clients, so `sender_chat` decides.
    chat = message.get("sender_chat")
    if isinstance(chat, dict):
        return ident(chat.get("id"), "sender_chat.id"), string(chat.get("title"))
    sender = message.get("from")
    if isinstance(sender, dict):
        name = " ".join(string(sender.get(k)) for k in ("first_name", "last_name")).strip()
        if sender.get("username"):
            name = f"{name} (@{string(sender.get('username'))})".strip()
        return ident(sender.get("id"), "from.id"), name
    return "", ""


def _forwarded_post(message: dict[str, Any], channel_chat: str) -> str:
    """The channel post id an automatic forward copies ("" when it is not ours)."""
    origin = message.get("forward_origin")
    if isinstance(origin, dict) and origin.get("type") == "channel":
        chat = mapping(origin.get("chat"), "forward_origin.chat")
        if _ours(chat, channel_chat):
            return ident(origin.get("message_id"), "forward_origin.message_id")
        return ""
    # Before Bot API 7.0 the same facts came as forward_from_chat / forward_from_message_id.
    old = message.get("forward_from_chat")
    if isinstance(old, dict) and _ours(old, channel_chat):
        return ident(message.get("forward_from_message_id"), "forward_from_message_id")
    return ""
