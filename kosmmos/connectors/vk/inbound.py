"""VK inbound: Callback API webhook, Bots Long Poll, comment and message replies.

Events arrive by the Callback API webhook when a secret is set (credentials ``vk_secret``; the
confirmation string VK shows the admin is config ``vk_confirmation``), else by Bots Long Poll
with the community token: ``groups.getLongPollServer`` once, then
``{server}?act=a_check&key=&ts=&wait=25``
(https://dev.vk.com/ru/api/bots-long-poll/getting-started); ``ts`` is stored after every answer,
so a restart resumes where it stopped. Both deliver the same event shape
``{type, group_id, event_id, v, object, secret}``
(https://dev.vk.com/ru/api/community-events/json-schema).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from django.conf import settings
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosmmos.connectors.base import (
    COMMENT,
    JOIN,
    LEAVE,
    MESSAGE,
    REPOST,
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
from kosmmos.connectors.payload import answer, attachments, mapping, missing, string, text, when
from kosmmos.connectors.vk.client import COMMUNITY_RATE, USER_RATE, VkClient
from kosmmos.lib import http

HANDLED = {"wall_reply_new", "wall_reply_edit", "wall_reply_delete", "message_new",
           "wall_repost", "group_join", "group_leave"}

# https://dev.vk.com/ru/reference/objects/attachments-message (types beyond ours)
KINDS = {"doc": "document", "audio_message": "voice", "graffiti": "photo"}

ANSWERS = {"ok": HookAnswer(200, "ok"), "retry": HookAnswer(503, "retry"),
           "unknown": HookAnswer(404, "unknown"), "bad_payload": HookAnswer(400, "bad request"),
           "wrong_channel": HookAnswer(400, "wrong group"),
           "bad_secret": HookAnswer(403, "forbidden")}


class VkInbound(Inbound):
    code = "vk"
    webhook = True
    replies = True
    settings = (
        Setting("vk_confirmation", gettext_lazy("VK confirmation string"),
                gettext_lazy("VK shows it in the community's Callback API settings."), 64),
        Setting("vk_secret", gettext_lazy("VK secret key"),
                gettext_lazy("The same secret you enter in VK (up to 50 characters). Empty keeps "
                             "the current one."), 50, secret=True),
    )
    setup_help = gettext_lazy(
        "In VK: community → Manage → API usage → Callback API. Enter the URL above, the same "
        "secret key as here, API version 5.199, and tick: new comments, comment edits and "
        "deletions, incoming messages, reposts, joins and leaves. Without a secret, Kosmmos "
        "reads events with Bots Long Poll using the community token.")

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.group = self.external_id.lstrip("-")  # digits, no minus

    def mode(self, credentials: dict[str, Any]) -> str:
        if credentials.get("vk_secret"):
            return "webhook"
        return "poll" if credentials.get("community_token") else "off"

    # --- the Callback API ------------------------------------------------------------------

    @classmethod
    def hook_answer(cls, outcome: str) -> HookAnswer:
        return ANSWERS[outcome]

    def receive(self, payload: Any, headers: Mapping[str, str],
                credentials: dict[str, Any]) -> Received:
        """https://dev.vk.com/ru/api/callback/getting-started"""
        if not isinstance(payload, dict):
            return _refuse("parse", "bad_payload", "not a JSON object")
        if str(payload.get("group_id", "")).lstrip("-") != self.group:
            return _refuse("webhook", "wrong_channel")
        expected = str(credentials.get("vk_secret") or "")
        given = payload.get("secret")
        if payload.get("type") == "confirmation":
            # VK asks once, when the server is added; the answer is the code VK showed the admin.
            # It reveals nothing private (it only proves we own this URL), so a request without
            # a secret is answered; one with a wrong secret is not.
            code = str(self.config.get("vk_confirmation") or "")
            if not code or (given is not None and not constant_time_compare(str(given), expected)):
                return _refuse("webhook", "bad_secret", "confirmation")
            return Received(answer=HookAnswer(200, code))
        if not expected or not isinstance(given, str) or not constant_time_compare(given, expected):
            return _refuse("webhook", "bad_secret")
        return Received(payload=payload)

    # --- parsing ---------------------------------------------------------------------------

    def parse(self, payload: Any, context: str = "") -> list[Incoming]:
        """A Callback API / Long Poll event of our community."""
        data = mapping(payload, "the event")
        kind = string(data.get("type"))
        if not kind:
            raise Drop("bad_payload", "no type")
        if string(data.get("group_id")).lstrip("-") != self.group:
            raise Drop("wrong_channel", f"group_id {data.get('group_id')!r}")
        if kind not in HANDLED:
            raise Drop("unsupported_type", kind)
        event_key = string(data.get("event_id"))
        obj = mapping(data.get("object"), "object")
        own = f"-{self.group}"
        if kind in {"wall_reply_new", "wall_reply_edit"}:
            author = string(obj.get("from_id"))
            if author == own:
                if kind == "wall_reply_edit":  # the thread shows the new text; the time stays
                    body, _cut = text(obj.get("text"))
                    raise Drop("own_message", answered=Incoming(
                        action="answer_edit", external_id=string(obj.get("id")), text=body))
                raise Drop("own_message", answered=answer(
                    string(obj.get("id")), string(obj.get("reply_to_comment")),
                    when(obj.get("date")), obj.get("text")))
            said, cut = text(obj.get("text"))
            return [Incoming(
                action="new" if kind == "wall_reply_new" else "edit", kind=COMMENT,
                external_id=string(obj.get("id")) or missing("id"), event_key=event_key,
                post_ref=string(obj.get("post_id")), parent_ref=string(obj.get("reply_to_comment")),
                author_ref=author, text=said, text_cut=cut, received_at=when(obj.get("date")),
                attachments=attachments(obj.get("attachments"), KINDS), raw=data,
            )]
        if kind == "wall_reply_delete":
            return [Incoming(action="delete", kind=COMMENT,
                             external_id=string(obj.get("id")) or missing("id"),
                             event_key=event_key, post_ref=string(obj.get("post_id")), raw=data)]
        if kind == "message_new":
            message = mapping(obj.get("message", obj), "message")  # API < 5.103 sent it flat
            author = string(message.get("from_id"))
            said, cut = text(message.get("text"))
            return [Incoming(
                action="new", kind=MESSAGE,
                external_id=string(message.get("id"))
                or string(message.get("conversation_message_id")) or missing("id"),
                event_key=event_key, chat_ref=string(message.get("peer_id")) or author,
                author_ref=author, text=said, text_cut=cut,
                attachments=attachments(message.get("attachments"), KINDS),
                received_at=when(message.get("date")), raw=data,
            )]
        if kind == "wall_repost":
            history = obj.get("copy_history") or [{}]
            original = mapping(history[0] if isinstance(history, list) else {}, "copy_history")
            said, cut = text(obj.get("text"))
            return [Incoming(
                action="new", kind=REPOST,
                external_id=f"{string(obj.get('owner_id'))}_{string(obj.get('id')) or missing('id')}",
                event_key=event_key, post_ref=string(original.get("id")),
                author_ref=string(obj.get("from_id") or obj.get("owner_id")), text=said,
                text_cut=cut, received_at=when(obj.get("date")), raw=data,
            )]
        # group_join / group_leave: no id of their own; the event id is one.
        user = string(obj.get("user_id")) or missing("user_id")
        return [Incoming(action="new", kind=JOIN if kind == "group_join" else LEAVE,
                         external_id=event_key or user, event_key=event_key, author_ref=user,
                         raw=data)]

    # --- Bots Long Poll --------------------------------------------------------------------

    def poll(self, credentials: dict[str, Any], cursor: dict[str, Any],
             posts: list[str]) -> Polled:
        client = VkClient(str(credentials.get("community_token") or ""), rate=COMMUNITY_RATE)
        if not cursor.get("server") or not cursor.get("key"):
            # https://dev.vk.com/ru/method/groups.getLongPollServer
            server = client.call("groups.getLongPollServer", {"group_id": self.group})
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
            return Polled()
        if failed in (2, 3):  # key expired (2) or information lost (3): ask for a new key
            cursor.pop("key", None)
            cursor.pop("server", None)
            if failed == 3:
                cursor.pop("ts", None)
            return Polled()
        updates = body.get("updates") or []
        return Polled([(update, "") for update in updates],
                      {"ts": body.get("ts", cursor["ts"])})

    # --- replies ---------------------------------------------------------------------------

    def reply(self, credentials: dict[str, Any], to: ReplyTo, text: str, *, random_id: int,
              key: str) -> str:
        community = str(credentials.get("community_token") or "")
        user = str(credentials.get("user_token") or "")
        if to.kind == MESSAGE:
            if not community:
                raise AuthRevoked(_("Answering VK messages needs a community token. Add one to "
                                    "the channel."))
            # https://dev.vk.com/ru/method/messages.send — random_id makes a resend a no-op.
            sent = VkClient(community, rate=COMMUNITY_RATE).call("messages.send", {
                "peer_id": to.chat_ref or to.author_ref, "random_id": random_id,
                "message": text,
            }, publishing=True)
            return str(sent)
        token, rate = (user, USER_RATE) if user else (community, COMMUNITY_RATE)
        if not token:
            raise AuthRevoked(_("The VK channel has no token to comment with."))
        # https://dev.vk.com/ru/method/wall.createComment — from_group is the community id here.
        sent = VkClient(token, rate=rate).call("wall.createComment", {
            "owner_id": f"-{self.group}", "post_id": to.post_ref, "message": text,
            "reply_to_comment": to.external_id, "from_group": self.group,
        }, publishing=True)
        return str(sent.get("comment_id", "")) if isinstance(sent, dict) else str(sent)


def _refuse(step: str, reason: str, detail: str = "") -> Received:
    return Received(answer=ANSWERS[reason], step=step, reason=reason, detail=detail)
