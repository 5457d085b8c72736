"""Parse step: one network payload → zero or more ``Parsed`` records, or ``Drop(reason)``.

Pure functions of the payload and the channel's ids: no database, no network. Everything in a
payload is untrusted; a field of the wrong type is a ``bad_payload`` drop, never an exception
that escapes. Shapes follow the docs (see docs/network-api-facts.md and the fixtures in
tests/fixtures/, written from them):

- VK Callback API / Bots Long Poll: ``{type, group_id, event_id, v, object, secret}``
  (https://dev.vk.com/ru/api/community-events/json-schema).
- Telegram ``Update`` (https://core.telegram.org/bots/api#update): ``message`` /
  ``edited_message`` from the channel's linked discussion group or a private chat with the bot,
  ``channel_post``, ``message_reaction_count``.
- OK ``discussions.getComments`` (B: field names from client libraries, not a verified doc).
- The sandbox network: ``GET /channels/<id>/posts/<post>/comments`` → ``{items: [{id, at,
  author, text}]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kosmmos.inbox.models import TEXT_MAX, Kind


class Drop(Exception):
    """The item is dropped at this step for ``reason`` (a short stable code, counted)."""

    def __init__(self, reason: str, detail: str = "", answered: Parsed | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        # Our own reply to a customer's comment, written on the network rather than from
        # Kosmmos: not an item, but it answers one, so the SLA clock of that item stops.
        self.answered = answered


@dataclass
class Parsed:
    """One item (or change to one) as the later steps see it."""

    action: str  # new | edit | delete | link | reactions | answered | answer_edit
    kind: str = Kind.COMMENT
    external_id: str = ""
    event_key: str = ""
    post_ref: str = ""
    parent_ref: str = ""
    chat_ref: str = ""
    thread_ref: str = ""  # Telegram message_thread_id in the discussion group
    author_ref: str = ""
    author_name: str = ""
    text: str = ""
    text_cut: bool = False
    received_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    # Filled by later steps.
    target_id: Any = None
    post_id: Any = None
    sentiment: str = ""
    scores: dict[str, float] = field(default_factory=dict)


def _answer(external_id: str, parent_ref: str, when: datetime, text: Any) -> Parsed | None:
    """The ``answered`` change for our reply ``external_id`` to ``parent_ref`` (None for a
    reply to nothing); the text is shown in the thread and tells which Kosmmos reply, if any,
    it is."""
    if not parent_ref:
        return None
    body, _cut = _text(text) if isinstance(text, str) else ("", False)
    return Parsed(action="answered", external_id=external_id, parent_ref=parent_ref,
                  received_at=when, text=body)


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Drop("bad_payload", f"expected a string or number, got {type(value).__name__}")
    return str(value)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise Drop("bad_payload", "expected an integer")
    try:
        return int(value)
    except ValueError:
        raise Drop("bad_payload", "expected an integer") from None


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Drop("bad_payload", f"{what} is not an object")
    return value


def _text(value: Any) -> tuple[str, bool]:
    text = _str(value)
    if len(text) > TEXT_MAX:
        return text[:TEXT_MAX], True
    return text, False


def _when(value: Any) -> datetime:
    if value in (None, ""):
        return datetime.now(UTC)
    try:
        stamp = float(value)
    except (TypeError, ValueError):
        stamp = -1.0
    if isinstance(value, bool) or not 0 <= stamp < 10**10:
        raise Drop("bad_payload", "bad timestamp")
    return datetime.fromtimestamp(stamp, tz=UTC)


# --- VK --------------------------------------------------------------------------------------

VK_HANDLED = {"wall_reply_new", "wall_reply_edit", "wall_reply_delete", "message_new",
              "wall_repost", "group_join", "group_leave"}


def vk_event(payload: Any, group_id: str) -> list[Parsed]:
    """A Callback API / Long Poll event of the community ``group_id`` (digits, no minus)."""
    data = _dict(payload, "the event")
    kind = _str(data.get("type"))
    if not kind:
        raise Drop("bad_payload", "no type")
    if _str(data.get("group_id")).lstrip("-") != group_id:
        raise Drop("wrong_channel", f"group_id {data.get('group_id')!r}")
    if kind not in VK_HANDLED:
        raise Drop("unsupported_type", kind)
    event_key = _str(data.get("event_id"))
    obj = _dict(data.get("object"), "object")
    own = f"-{group_id}"
    if kind in {"wall_reply_new", "wall_reply_edit"}:
        author = _str(obj.get("from_id"))
        if author == own:
            if kind == "wall_reply_edit":  # the thread shows the new text; the time stays
                body, _cut = _text(obj.get("text"))
                raise Drop("own_message", answered=Parsed(
                    action="answer_edit", external_id=_str(obj.get("id")), text=body))
            raise Drop("own_message", answered=_answer(
                _str(obj.get("id")), _str(obj.get("reply_to_comment")), _when(obj.get("date")),
                obj.get("text")))
        text, cut = _text(obj.get("text"))
        return [Parsed(
            action="new" if kind == "wall_reply_new" else "edit", kind=Kind.COMMENT,
            external_id=_str(obj.get("id")) or _missing("id"), event_key=event_key,
            post_ref=_str(obj.get("post_id")), parent_ref=_str(obj.get("reply_to_comment")),
            author_ref=author, text=text, text_cut=cut, received_at=_when(obj.get("date")),
            raw=data,
        )]
    if kind == "wall_reply_delete":
        return [Parsed(action="delete", kind=Kind.COMMENT,
                       external_id=_str(obj.get("id")) or _missing("id"), event_key=event_key,
                       post_ref=_str(obj.get("post_id")), raw=data)]
    if kind == "message_new":
        message = _dict(obj.get("message", obj), "message")  # API < 5.103 sent it flat
        author = _str(message.get("from_id"))
        text, cut = _text(message.get("text"))
        return [Parsed(
            action="new", kind=Kind.MESSAGE,
            external_id=_str(message.get("id")) or _str(message.get("conversation_message_id"))
            or _missing("id"),
            event_key=event_key, chat_ref=_str(message.get("peer_id")) or author,
            author_ref=author, text=text, text_cut=cut,
            received_at=_when(message.get("date")), raw=data,
        )]
    if kind == "wall_repost":
        history = obj.get("copy_history") or [{}]
        original = _dict(history[0] if isinstance(history, list) else {}, "copy_history")
        text, cut = _text(obj.get("text"))
        return [Parsed(
            action="new", kind=Kind.REPOST,
            external_id=f"{_str(obj.get('owner_id'))}_{_str(obj.get('id')) or _missing('id')}",
            event_key=event_key, post_ref=_str(original.get("id")),
            author_ref=_str(obj.get("from_id") or obj.get("owner_id")), text=text, text_cut=cut,
            received_at=_when(obj.get("date")), raw=data,
        )]
    # group_join / group_leave: no id of their own; the event id is one.
    user = _str(obj.get("user_id")) or _missing("user_id")
    return [Parsed(action="new", kind=Kind.JOIN if kind == "group_join" else Kind.LEAVE,
                   external_id=event_key or user, event_key=event_key, author_ref=user,
                   raw=data)]


def _missing(name: str) -> str:
    raise Drop("bad_payload", f"no {name}")


# --- Telegram --------------------------------------------------------------------------------


def _tg_author(message: dict[str, Any]) -> tuple[str, str]:
    # A message sent on behalf of a chat (the channel, or an anonymous group admin) names that
    # chat in `sender_chat`; `from` then holds a placeholder user (@Channel_Bot,
    # @GroupAnonymousBot) kept for old clients, so `sender_chat` decides.
    chat = message.get("sender_chat")
    if isinstance(chat, dict):
        return _str(chat.get("id")), _str(chat.get("title"))
    sender = message.get("from")
    if isinstance(sender, dict):
        name = " ".join(_str(sender.get(k)) for k in ("first_name", "last_name")).strip()
        if sender.get("username"):
            name = f"{name} (@{_str(sender.get('username'))})".strip()
        return _str(sender.get("id")), name
    return "", ""


def _forwarded_post(message: dict[str, Any], channel_chat: str) -> str:
    """The channel post id an automatic forward copies ("" when it is not ours)."""
    origin = message.get("forward_origin")
    if isinstance(origin, dict) and origin.get("type") == "channel":
        chat = _dict(origin.get("chat"), "forward_origin.chat")
        if _str(chat.get("id")) == channel_chat:
            return _str(origin.get("message_id"))
        return ""
    # Before Bot API 7.0 the same facts came as forward_from_chat / forward_from_message_id.
    old = message.get("forward_from_chat")
    if isinstance(old, dict) and _str(old.get("id")) == channel_chat:
        return _str(message.get("forward_from_message_id"))
    return ""


def telegram_update(payload: Any, channel_chat: str, discussion_chat: str) -> list[Parsed]:
    """An Update for the bot of the channel ``channel_chat`` whose comments live in
    ``discussion_chat`` (the channel's linked_chat_id)."""
    data = _dict(payload, "the update")
    update_id = data.get("update_id")
    if isinstance(update_id, bool) or not isinstance(update_id, int):
        raise Drop("bad_payload", "no update_id")
    key = str(update_id)
    if "message_reaction_count" in data:
        body = _dict(data["message_reaction_count"], "message_reaction_count")
        chat = _dict(body.get("chat"), "chat")
        if _str(chat.get("id")) != channel_chat:
            raise Drop("foreign_chat")
        counts: dict[str, int] = {}
        reactions = body.get("reactions") or []
        if not isinstance(reactions, list):
            raise Drop("bad_payload", "reactions is not a list")
        for entry in reactions:
            entry = _dict(entry, "reaction")
            rtype = _dict(entry.get("type"), "reaction type")
            label = _str(rtype.get("emoji") or rtype.get("custom_emoji_id") or rtype.get("type"))
            counts[label[:32]] = _int(entry.get("total_count"))
        return [Parsed(action="reactions", event_key=key, post_ref=_str(body.get("message_id")),
                       counts=counts, raw=data)]
    if "channel_post" in data or "edited_channel_post" in data:
        raise Drop("own_message", "a post in our own channel")
    edited = "edited_message" in data
    if not edited and "message" not in data:
        raise Drop("unsupported_type", ",".join(sorted(k for k in data if k != "update_id")))
    message = _dict(data["edited_message" if edited else "message"], "message")
    chat = _dict(message.get("chat"), "chat")
    chat_id = _str(chat.get("id"))
    message_id = _str(message.get("message_id")) or _missing("message_id")
    author, name = _tg_author(message)
    text, cut = _text(message.get("text") or message.get("caption"))
    common = {"event_key": key, "external_id": f"{chat_id}:{message_id}", "chat_ref": chat_id,
              "author_ref": author, "author_name": name, "text": text, "text_cut": cut,
              "received_at": _when(message.get("edit_date") if edited else message.get("date")),
              "raw": data}
    if chat.get("type") == "private":
        return [Parsed(action="edit" if edited else "new", kind=Kind.MESSAGE, **common)]
    if not discussion_chat or chat_id != discussion_chat:
        raise Drop("foreign_chat", chat_id)
    if message.get("is_automatic_forward"):
        post = _forwarded_post(message, channel_chat)
        if not post:
            raise Drop("foreign_forward")
        return [Parsed(action="link", event_key=key, thread_ref=message_id, post_ref=post,
                       raw=data)]
    if author in {channel_chat, chat_id}:  # as the channel, or as the group (anonymous admin)
        replied = message.get("reply_to_message")
        answered = None
        if not edited and isinstance(replied, dict) and not replied.get("is_automatic_forward"):
            answered = _answer(f"{chat_id}:{message_id}",
                               f"{chat_id}:{_str(replied.get('message_id'))}",
                               _when(message.get("date")),
                               message.get("text") or message.get("caption"))
        elif edited:
            answered = Parsed(action="answer_edit", external_id=f"{chat_id}:{message_id}",
                              text=text)
        raise Drop("own_message", "written as the channel", answered=answered)
    parsed = Parsed(action="edit" if edited else "new", kind=Kind.COMMENT, **common)
    thread = message.get("message_thread_id")
    if thread is not None:
        parsed.thread_ref = _str(thread)
    replied = message.get("reply_to_message")
    if isinstance(replied, dict):
        if replied.get("is_automatic_forward"):
            parsed.post_ref = _forwarded_post(replied, channel_chat)
            parsed.thread_ref = parsed.thread_ref or _str(replied.get("message_id"))
        else:
            parsed.parent_ref = f"{chat_id}:{_str(replied.get('message_id'))}"
    return [parsed]


# --- OK (B) and the sandbox -------------------------------------------------------------------


def ok_comment(comment: Any, topic_id: str) -> list[Parsed]:
    data = _dict(comment, "comment")
    text, cut = _text(data.get("text"))
    when = data.get("date")
    received = None
    if isinstance(when, str) and len(when) >= 19:  # "yyyy-MM-dd HH:mm:ss" (B), Moscow time
        try:
            received = datetime.fromisoformat(when[:19] + "+03:00")
        except ValueError:
            raise Drop("bad_payload", "bad date") from None
    return [Parsed(action="new", kind=Kind.COMMENT,
                   external_id=_str(data.get("id")) or _missing("id"), post_ref=topic_id,
                   parent_ref=_str(data.get("reply_to_comment_id")),
                   author_ref=_str(data.get("author_id")), author_name=_str(data.get("author_name")),
                   text=text, text_cut=cut, received_at=received or _when(None), raw=data)]


def sandbox_comment(comment: Any, post_id: str, channel_id: str = "") -> list[Parsed]:
    """A comment on our post. One the channel wrote itself (our reply from the inbox, or one
    typed on the network) is ours, not a customer's: dropped as ``own_message``, the way VK's
    and Telegram's are; the inbox shows it as the reply it came from."""
    data = _dict(comment, "comment")
    if data.get("from_channel") is True or (channel_id and _str(data.get("author")) == channel_id):
        raise Drop("own_message", "written as the channel",
                   answered=_answer(_str(data.get("id")), _str(data.get("reply_to")),
                                    _when(data.get("at")), data.get("text")))
    text, cut = _text(data.get("text"))
    author = _str(data.get("author"))
    return [Parsed(action="new", kind=Kind.COMMENT,
                   external_id=_str(data.get("id")) or _missing("id"), post_ref=post_id,
                   event_key=_str(data.get("event_id")), author_ref=author, author_name=author,
                   parent_ref=_str(data.get("reply_to")), text=text, text_cut=cut,
                   received_at=_when(data.get("at")), raw=data)]
