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
    POST,
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
from kosmmos.connectors.payload import answer, attachments, ident, mapping, missing, stamp, text
from kosmmos.connectors.vk.client import GROUP, USER, VkClient
from kosmmos.lib import http

# Every Callback API event type of API 5.199 (vk-api-schema ``callback_type``, and the events
# with a callback object but missing from that list: like_add/like_remove, message_event,
# donut_*, vkpay_transaction, app_payload), handled or ignored on purpose. Ignored ones are
# dropped with the reason shown in the inbox analytics; a type not listed here is
# "unsupported_type" (a new VK event: decide, then list it).
HANDLED = {"wall_post_new", "wall_reply_new", "wall_reply_edit", "wall_reply_delete",
           "wall_reply_restore", "message_new", "wall_repost", "group_join", "group_leave"}
IGNORED = {
    # Comments outside the wall: their ids are not the wall's, and replies to them would need
    # other methods (photos.createComment, video.createComment, market.createComment,
    # board.createComment) the channel does not use.
    **dict.fromkeys([f"{section}_{change}" for section in ("photo_comment", "video_comment",
                                                          "market_comment")
                     for change in ("new", "edit", "delete", "restore")]
                    + [f"board_post_{change}" for change in ("new", "edit", "delete",
                                                              "restore")],
                    "not_wall_comment"),
    # The state of a conversation, not a customer's message: message_reply is the community's
    # own answer; edits, reads, typing, permissions, reactions and button callbacks.
    **dict.fromkeys(["message_reply", "message_edit", "messages_edit", "message_allow",
                     "message_deny", "message_read", "message_typing_state",
                     "message_reaction_event", "message_event"], "chat_state"),
    # Not published yet; VK sends wall_post_new when a scheduled post goes out.
    **dict.fromkeys(["wall_schedule_post_new", "wall_schedule_post_delete"], "not_published"),
    # Counted by the post statistics (wall.getById likes), not one by one.
    **dict.fromkeys(["like_add", "like_remove", "poll_vote_new"], "counted_by_stats"),
    # Media added to the community's albums (not wall posts).
    **dict.fromkeys(["audio_new", "photo_new", "video_new"], "media_upload"),
    # The community's own administration.
    **dict.fromkeys(["group_change_photo", "group_change_settings", "group_officers_edit",
                     "user_block", "user_unblock"], "community_admin"),
    # Orders, payments, donations, lead forms and mini-app payloads: not conversations.
    **dict.fromkeys(["market_order_new", "market_order_edit", "lead_forms_new",
                     "vkpay_transaction", "app_payload", "donut_subscription_create",
                     "donut_subscription_prolonged", "donut_subscription_expired",
                     "donut_subscription_cancelled", "donut_subscription_price_changed",
                     "donut_money_withdraw", "donut_money_withdraw_error"], "commerce"),
}
# wall_post_new also announces posts that are not on the wall yet: only "post" (and a repost
# to the wall, "copy") is published.
PUBLISHED_TYPES = {"post", "copy"}

# https://dev.vk.com/ru/reference/objects/attachments-message (types beyond ours)
KINDS = {"doc": "document", "audio_message": "voice", "graffiti": "photo"}

ANSWERS = {"ok": HookAnswer(200, "ok"), "retry": HookAnswer(503, "retry"),
           "unknown": HookAnswer(404, "unknown"), "bad_payload": HookAnswer(400, "bad request"),
           "wrong_channel": HookAnswer(400, "wrong group"),
           "bad_secret": HookAnswer(403, "forbidden")}


class VkInbound(Inbound):
    code = "vk"
    webhook = True
    webhook_credential, poll_credential = "vk_secret", "community_token"
    answers = ANSWERS
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
        "secret key as here, API version 5.199, and tick: new comments, comment edits, "
        "deletions and restores, new wall posts, incoming messages, reposts, joins and leaves. "
        "Without a secret, Kosmmos reads events with Bots Long Poll using the community token.")

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.group = self.external_id.lstrip("-")  # digits, no minus

    # --- the Callback API ------------------------------------------------------------------

    def receive(self, payload: Any, headers: Mapping[str, str],
                credentials: dict[str, Any]) -> Received:
        """https://dev.vk.com/ru/api/callback/getting-started

        A request that is not an event at all (not a JSON object, no string ``type``, a
        ``group_id`` that is not an integer as the schema says) is refused with a 400; a
        verified event is always answered ``ok`` — one the parser drops too, with its reason
        counted — since VK redelivers anything else and finally switches the server off."""
        if not isinstance(payload, dict):
            return _refuse("parse", "bad_payload", "not a JSON object")
        group_id = payload.get("group_id")
        if (not isinstance(payload.get("type"), str) or isinstance(group_id, bool)
                or not isinstance(group_id, int)):
            return _refuse("parse", "bad_payload", "type or group_id of the wrong type")
        if str(group_id).lstrip("-") != self.group:
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
        """A Callback API / Long Poll event of our community. Ids and dates must have the
        schema's types (integers; ``event_id`` a string): see ``payload.ident``."""
        data = mapping(payload, "the event")
        kind = data.get("type")
        if not isinstance(kind, str) or not kind:
            raise Drop("bad_payload", "no type")
        if ident(data.get("group_id"), "group_id").lstrip("-") != self.group:
            raise Drop("wrong_channel", f"group_id {data.get('group_id')!r}")
        if kind in IGNORED:
            raise Drop(IGNORED[kind], kind)
        if kind not in HANDLED:
            raise Drop("unsupported_type", kind)
        event_key = data.get("event_id")
        if event_key is not None and not isinstance(event_key, str):
            raise Drop("bad_payload", "event_id is not a string")
        event_key = event_key or ""
        obj = mapping(data.get("object"), "object")
        own = f"-{self.group}"
        if kind in {"wall_reply_new", "wall_reply_edit", "wall_reply_restore"}:
            comment_id = ident(obj.get("id"))
            author = ident(obj.get("from_id"), "from_id")
            parent = ident(obj.get("reply_to_comment"), "reply_to_comment", required=False)
            said_at = stamp(obj.get("date"))
            if author == own:
                if kind == "wall_reply_edit":  # the thread shows the new text; the time stays
                    body, _cut = text(obj.get("text"))
                    raise Drop("own_message", answered=Incoming(
                        action="answer_edit", external_id=comment_id, text=body))
                # New, or restored after a deletion: back in the thread.
                raise Drop("own_message", answered=answer(comment_id, parent, said_at,
                                                          obj.get("text")))
            said, cut = text(obj.get("text"))
            action = {"wall_reply_new": "new", "wall_reply_edit": "edit",
                      "wall_reply_restore": "restore"}[kind]
            return [Incoming(
                action=action, kind=COMMENT, external_id=comment_id, event_key=event_key,
                post_ref=ident(obj.get("post_id"), "post_id", required=False),
                parent_ref=parent, author_ref=author, text=said, text_cut=cut,
                received_at=said_at, attachments=attachments(obj.get("attachments"), KINDS), raw=data,
            )]
        if kind == "wall_reply_delete":
            return [Incoming(action="delete", kind=COMMENT, external_id=ident(obj.get("id")),
                             event_key=event_key,
                             post_ref=ident(obj.get("post_id"), "post_id", required=False),
                             raw=data)]
        if kind == "wall_post_new":
            return [self._post(obj, event_key, data)]
        if kind == "message_new":
            message = mapping(obj.get("message", obj), "message")  # API < 5.103 sent it flat
            author = ident(message.get("from_id"), "from_id")
            said, cut = text(message.get("text"))
            peer = ident(message.get("peer_id"), "peer_id", required=False) or author
            # VK sends id=0 for a message in a group chat; there the conversation_message_id
            # is the id, unique within its conversation (peer).
            message_id = ident(message.get("id"), required=False)
            if message_id in ("", "0"):
                local = ident(message.get("conversation_message_id"), "conversation_message_id",
                              required=False)
                message_id = f"{peer}_{local}" if local not in ("", "0") else missing("id")
            return [Incoming(
                action="new", kind=MESSAGE, external_id=message_id,
                event_key=event_key, chat_ref=peer,
                author_ref=author, text=said, text_cut=cut,
                attachments=attachments(message.get("attachments"), KINDS),
                received_at=stamp(message.get("date")), raw=data,
            )]
        if kind == "wall_repost":
            # The callback schema's object is the repost itself (a wall_wallpost): it
            # guarantees the event is a repost of our community's wall, not which post.
            # copy_history, when VK sends it, names the post: a bonus, used only when it is
            # one of ours.
            history = obj.get("copy_history")
            original = history[0] if isinstance(history, list) and history else {}
            original = mapping(original, "copy_history")
            post = (ident(original.get("id"), required=False)
                    if ident(original.get("owner_id"), "owner_id", required=False) == own
                    else "")
            said, cut = text(obj.get("text"))
            owner = ident(obj.get("owner_id"), "owner_id")
            return [Incoming(
                action="new", kind=REPOST, external_id=f"{owner}_{ident(obj.get('id'))}",
                event_key=event_key, post_ref=post,
                author_ref=ident(obj.get("from_id"), "from_id", required=False) or owner,
                text=said, text_cut=cut, received_at=stamp(obj.get("date")), raw=data,
            )]
        # group_join / group_leave: no id of their own; the event id is one.
        user = ident(obj.get("user_id"), "user_id")
        return [Incoming(action="new", kind=JOIN if kind == "group_join" else LEAVE,
                         external_id=event_key or user, event_key=event_key, author_ref=user,
                         raw=data)]

    def _post(self, obj: dict[str, Any], event_key: str, data: dict[str, Any]) -> Incoming:
        """wall_post_new: a post on our wall — ours coming back (the inbox knows its id) or
        one typed in VK, which the inbox keeps as a post published outside Kosmmos."""
        post_type = obj.get("post_type", "post")
        if post_type not in PUBLISHED_TYPES:  # suggested, postponed: not on the wall yet
            raise Drop("not_published", f"wall_post_new post_type {post_type!r}")
        if ident(obj.get("owner_id"), "owner_id", required=False) not in ("", f"-{self.group}"):
            raise Drop("wrong_channel", "a post on another wall")
        post_id = ident(obj.get("id"))
        said, cut = text(obj.get("text"))
        return Incoming(action="new", kind=POST, external_id=post_id, event_key=event_key,
                        post_ref=post_id, text=said, text_cut=cut, received_at=stamp(obj.get("date")),
                        url=f"https://vk.com/wall-{self.group}_{post_id}", raw=data)

    # --- Bots Long Poll --------------------------------------------------------------------

    def poll(self, credentials: dict[str, Any], cursor: dict[str, Any],
             posts: list[str]) -> Polled:
        client = VkClient(str(credentials.get("community_token") or ""), kind=GROUP)
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
            sent = VkClient(community, kind=GROUP).call("messages.send", {
                "peer_id": to.chat_ref or to.author_ref, "random_id": random_id,
                "message": text,
            }, publishing=True)
            return str(sent)
        token, kind = (user, USER) if user else (community, GROUP)
        if not token:
            raise AuthRevoked(_("The VK channel has no token to comment with."))
        # https://dev.vk.com/ru/method/wall.createComment — from_group is the community id here;
        # guid ("unique identifier to avoid repeated comments") makes a resend after a lost
        # answer a no-op, so it is safe to retry.
        sent = VkClient(token, kind=kind).call("wall.createComment", {
            "owner_id": f"-{self.group}", "post_id": to.post_ref, "message": text,
            "reply_to_comment": to.external_id, "from_group": self.group, "guid": key,
        }, publishing=True)
        return str(sent.get("comment_id", "")) if isinstance(sent, dict) else str(sent)

    def find_reply(self, credentials: dict[str, Any], to: ReplyTo, key: str) -> str | None:
        """VK deduplicates by the keys we send (``guid`` on wall.createComment, ``random_id`` on
        messages.send): a resend with the same key cannot post twice and answers with the
        reply's id, so "not found" is the safe answer that lets the inbox resend."""
        return None


def _refuse(step: str, reason: str, detail: str = "") -> Received:
    return Received(answer=ANSWERS[reason], step=step, reason=reason, detail=detail)
