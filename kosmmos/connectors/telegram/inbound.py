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
from collections.abc import Mapping
from typing import Any

from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosmmos.connectors.base import (
    COMMENT,
    MESSAGE,
    AuthRevoked,
    Drop,
    HookAnswer,
    Inbound,
    Incoming,
    Polled,
    Received,
    ReplyTo,
    Setting,
)
from kosmmos.connectors.payload import answer, integer, mapping, missing, string, text, when
from kosmmos.connectors.telegram.client import TelegramClient

JSON = "application/json"
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
        "Set the webhook with setWebhook(url, secret_token, allowed_updates=[message, "
        "edited_message, channel_post, message_reaction_count]). Without a secret, Kosmmos "
        "polls getUpdates. The bot must be a member of the discussion group and an "
        "administrator of the channel.")

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.discussion_chat = str(config.get("discussion_chat_id", "")).strip()

    def mode(self, credentials: dict[str, Any]) -> str:
        if credentials.get("webhook_secret"):
            return "webhook"
        return "poll" if credentials.get("bot_token") else "off"

    # --- the webhook -----------------------------------------------------------------------

    @classmethod
    def hook_answer(cls, outcome: str) -> HookAnswer:
        return ANSWERS[outcome]

    def receive(self, payload: Any, headers: Mapping[str, str],
                credentials: dict[str, Any]) -> Received:
        expected = str(credentials.get("webhook_secret") or "")
        given = headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not expected or not constant_time_compare(given, expected):
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
            if string(chat.get("id")) != channel_chat:
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
                counts[label[:32]] = integer(entry.get("total_count"))
            return [Incoming(action="reactions", event_key=key,
                             post_ref=string(body.get("message_id")), counts=counts, raw=data)]
        if "channel_post" in data or "edited_channel_post" in data:
            raise Drop("own_message", "a post in our own channel")
        edited = "edited_message" in data
        if not edited and "message" not in data:
            raise Drop("unsupported_type", ",".join(sorted(k for k in data if k != "update_id")))
        message = mapping(data["edited_message" if edited else "message"], "message")
        chat = mapping(message.get("chat"), "chat")
        chat_id = string(chat.get("id"))
        message_id = string(message.get("message_id")) or missing("message_id")
        author, name = _author(message)
        said, cut = text(message.get("text") or message.get("caption"))
        common = {"event_key": key, "external_id": f"{chat_id}:{message_id}", "chat_ref": chat_id,
                  "author_ref": author, "author_name": name, "text": said, "text_cut": cut,
                  "attachments": [kind for key, kind in MEDIA.items() if key in message],
                  "received_at": when(message.get("edit_date") if edited else message.get("date")),
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
        if author in {channel_chat, chat_id}:  # as the channel, or as the group (anonymous admin)
            replied = message.get("reply_to_message")
            answered = None
            if not edited and isinstance(replied, dict) and not replied.get("is_automatic_forward"):
                answered = answer(f"{chat_id}:{message_id}",
                                  f"{chat_id}:{string(replied.get('message_id'))}",
                                  when(message.get("date")),
                                  message.get("text") or message.get("caption"))
            elif edited:
                answered = Incoming(action="answer_edit", external_id=f"{chat_id}:{message_id}",
                                    text=said)
            raise Drop("own_message", "written as the channel", answered=answered)
        parsed = Incoming(action="edit" if edited else "new", kind=COMMENT, **common)
        thread = message.get("message_thread_id")
        if thread is not None:
            parsed.thread_ref = string(thread)
        replied = message.get("reply_to_message")
        if isinstance(replied, dict):
            if replied.get("is_automatic_forward"):
                parsed.post_ref = _forwarded_post(replied, channel_chat)
                parsed.thread_ref = parsed.thread_ref or string(replied.get("message_id"))
            else:
                parsed.parent_ref = f"{chat_id}:{string(replied.get('message_id'))}"
        return [parsed]

    # --- getUpdates ------------------------------------------------------------------------

    def poll(self, credentials: dict[str, Any], cursor: dict[str, Any],
             posts: list[str]) -> Polled:
        client = TelegramClient(str(credentials.get("bot_token") or ""))
        params: dict[str, Any] = {
            "timeout": 0, "limit": 100,
            "allowed_updates": ["message", "edited_message", "channel_post",
                                "message_reaction_count"],
        }
        if cursor.get("offset"):
            params["offset"] = int(cursor["offset"])
        updates = client.call("getUpdates", params) or []
        ids = [u["update_id"] for u in updates if isinstance(u, dict)
               and isinstance(u.get("update_id"), int)]
        # The offset confirms everything up to here to Telegram on the next call; it is stored
        # only after the batch committed, so a crash re-reads the batch.
        return Polled([(update, "") for update in updates],
                      {"offset": max(ids) + 1} if ids else {})

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
        # in the post's comment thread; allow_sending_without_reply keeps it if the comment was
        # removed.
        sent = client.call("sendMessage", {
            "chat_id": to.chat_ref or chat, "text": text,
            "reply_parameters": {"message_id": int(message_id),
                                 "allow_sending_without_reply": True},
        }, publishing=True)
        return f"{chat}:{sent.get('message_id', '')}" if isinstance(sent, dict) else ""


def _author(message: dict[str, Any]) -> tuple[str, str]:
    # A message sent on behalf of a chat (the channel, or an anonymous group admin) names that
    # chat in `sender_chat`; `from` then holds a placeholder user (@Channel_Bot,
    # @GroupAnonymousBot) kept for old clients, so `sender_chat` decides.
    chat = message.get("sender_chat")
    if isinstance(chat, dict):
        return string(chat.get("id")), string(chat.get("title"))
    sender = message.get("from")
    if isinstance(sender, dict):
        name = " ".join(string(sender.get(k)) for k in ("first_name", "last_name")).strip()
        if sender.get("username"):
            name = f"{name} (@{string(sender.get('username'))})".strip()
        return string(sender.get("id")), name
    return "", ""


def _forwarded_post(message: dict[str, Any], channel_chat: str) -> str:
    """The channel post id an automatic forward copies ("" when it is not ours)."""
    origin = message.get("forward_origin")
    if isinstance(origin, dict) and origin.get("type") == "channel":
        chat = mapping(origin.get("chat"), "forward_origin.chat")
        if string(chat.get("id")) == channel_chat:
            return string(origin.get("message_id"))
        return ""
    # Before Bot API 7.0 the same facts came as forward_from_chat / forward_from_message_id.
    old = message.get("forward_from_chat")
    if isinstance(old, dict) and string(old.get("id")) == channel_chat:
        return string(message.get("forward_from_message_id"))
    return ""
