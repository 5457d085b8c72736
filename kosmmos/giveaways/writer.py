"""What a giveaway says on the network: comments under its post and messages to winners, through
VK's methods (or the sandbox's copy of them, ``connectors/sandbox/ext/engagement.py``, which
answers in the same shapes).

A write is made once per attempt, never looped here: a failure after the request may have left
(a timeout, a dropped connection, HTTP 5xx, VK error 1 or 10) comes out as ``AmbiguousOutcome``,
and the job (``outreach.py``) looks the comment or message up before it tries again. The keys
VK documents for deduplication are sent as well (``guid`` on wall.createComment, ``random_id``
on messages.send), but the look-up does not rely on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from kosmmos.channels.models import Channel
from kosmmos.connectors import ratelimit
from kosmmos.connectors.vk.client import API, VERSION, transport_error, unwrap
from kosmmos.giveaways.models import Giveaway
from kosmmos.lib import http

# Calls a second: VK allows 3 for a user token and 20 for a community token (facts, B); the
# sandbox 20 per token.
RATES = {"user": 3.0, "group": 20.0, "sandbox": 15.0}
FIND_PAGES = 10  # the latest 1,000 comments are searched for ours before a resend
HISTORY = 20  # the latest messages with the winner searched for ours


class CannotSay(Exception):
    """The network gives no way to say it with what we hold; ``reason`` is for a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Writer:
    network: str
    group: str  # the community's id, digits
    owner_id: str
    post_id: str
    comment_token: str = ""  # a user token of a community admin, else the community token
    comment_kind: str = "group"
    message_token: str = ""  # a community token: only the community writes as itself
    calls: int = 0

    @property
    def base(self) -> str:
        return f"{settings.SANDBOX_URL}/eng/method/" if self.network == "sandbox" else API

    def _call(self, method: str, params: dict[str, Any], token: str, kind: str, *,
              writes: bool) -> Any:
        rate = RATES["sandbox" if self.network == "sandbox" else kind]
        ratelimit.acquire(ratelimit.key_for(f"give-{self.network}-{kind}", token), rate, rate,
                          max_wait=30.0)
        data = {k: str(v) for k, v in params.items()}
        data.update(access_token=token, v=VERSION)
        self.calls += 1
        try:
            response = http.post(self.base + method, data=data)
        except http.HttpError as exc:
            raise transport_error(f"VK {method}", exc, publishing=writes) from exc
        return unwrap(method, response, publishing=writes)

    # https://dev.vk.com/method/wall.createComment — owner_id, post_id, from_group (the
    # community's id: the comment is the community's), message, guid → {comment_id,
    # parents_stack}. A user token of an admin or the community token.
    def comment(self, text: str, guid: str) -> str:
        if not self.comment_token:
            raise CannotSay(_("No token that may comment on the community's wall: connect the "
                              "VK channel with a user or community token."))
        answer = self._call("wall.createComment", {
            "owner_id": self.owner_id, "post_id": self.post_id, "from_group": self.group,
            "message": text, "guid": guid}, self.comment_token, self.comment_kind, writes=True)
        return str(answer.get("comment_id", "")) if isinstance(answer, dict) else str(answer)

    # https://dev.vk.com/method/wall.getComments — owner_id, post_id, sort=desc (newest first),
    # count ≤ 100, offset → {count, items[{id, from_id, text, …}]}
    def find_comment(self, text: str) -> str | None:
        """Our comment (the community's, with exactly this text) among the newest ones."""
        author = -int(self.group)
        for page in range(FIND_PAGES):
            answer = self._call("wall.getComments", {
                "owner_id": self.owner_id, "post_id": self.post_id, "sort": "desc",
                "count": 100, "offset": page * 100}, self.comment_token, self.comment_kind,
                writes=False) or {}
            items = answer.get("items") or []
            for item in items:
                if (isinstance(item, dict) and int(item.get("from_id") or 0) == author
                        and str(item.get("text") or "").strip() == text.strip()):
                    return str(item.get("id", ""))
            if len(items) < 100:
                return None
        return None

    # https://dev.vk.com/method/messages.isMessagesFromGroupAllowed — group_id, user_id →
    # {is_allowed: 0|1}: whether the person allowed messages from the community. Community token.
    def messages_allowed(self, user_id: str) -> bool:
        answer = self._call("messages.isMessagesFromGroupAllowed", {
            "group_id": self.group, "user_id": user_id}, self.message_token, "group",
            writes=False)
        return bool(isinstance(answer, dict) and int(answer.get("is_allowed") or 0))

    # https://dev.vk.com/method/messages.send — user_id, random_id (unique per message: VK
    # drops a repeat), message → the message's id. Community token; error 901 when the person
    # has not allowed messages from the community, 902 when their privacy settings forbid it.
    def message(self, user_id: str, text: str, random_id: int) -> str:
        answer = self._call("messages.send", {
            "user_id": user_id, "random_id": random_id, "message": text},
            self.message_token, "group", writes=True)
        return str(answer)

    # https://dev.vk.com/method/messages.getHistory — user_id, count ≤ 200 → {count,
    # items[{id, from_id, out, random_id, text, …}]}, newest first. Community token.
    def find_message(self, user_id: str, random_id: int) -> str | None:
        answer = self._call("messages.getHistory", {"user_id": user_id, "count": HISTORY},
                            self.message_token, "group", writes=False) or {}
        for item in answer.get("items") or []:
            if isinstance(item, dict) and int(item.get("random_id") or 0) == random_id:
                return str(item.get("id", ""))
        return None


def writer_for(giveaway: Giveaway) -> Writer:
    """The giveaway's voice: on the sandbox its token; on VK the tokens of the workspace's VK
    channel for the post's community (the giveaway's own token only reads)."""
    group = (giveaway.group_id or giveaway.owner_id).lstrip("-")
    writer = Writer(network=giveaway.network, group=group, owner_id=giveaway.owner_id,
                    post_id=giveaway.item_id)
    if giveaway.network == "sandbox":
        writer.comment_token = writer.message_token = giveaway.token()
        return writer
    channel = Channel.objects.filter(workspace_id=giveaway.workspace_id, network="vk",
                                     external_id__in=[group, f"-{group}"]).first()
    credentials = channel.credentials if channel is not None else {}
    user, community = (str(credentials.get("user_token") or ""),
                       str(credentials.get("community_token") or ""))
    writer.comment_token, writer.comment_kind = (user, "user") if user else (community, "group")
    writer.message_token = community
    return writer
