"""Posting a reply back to the network: one function per network, all HTTP via kosmmos.lib.http
(through the connectors' clients, which map each network's errors to the contract in
connectors/base.py: ConnectorError(permanent), RateLimited, AuthRevoked, AmbiguousOutcome).

Returns the network's id of the reply. Credentials are the channel's (decrypted here, used for
this call only).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kosmmos.connectors.base import AmbiguousOutcome, AuthRevoked, ConnectorError
from kosmmos.inbox.models import Item, Kind


def send(item: Item, text: str, *, random_id: int, key: str = "") -> str:
    """Post ``text`` as the answer to ``item``; ``random_id`` (VK messages) and ``key`` (the
    sandbox) are the reply's idempotency keys, the same on every attempt."""
    channel = item.channel
    network = channel.network
    if network == "vk":
        return _vk(item, text, random_id)
    if network == "telegram":
        return _telegram(item, text)
    if network == "sandbox":
        return _sandbox(item, text, key)
    if network == "ok":
        # No method to answer a group topic comment is documented in a source we could verify
        # (docs/network-api-facts.md lists none): refuse clearly rather than guess.
        raise ConnectorError(_("Replies to OK comments are not supported yet: answer in OK "
                               "itself. (No documented API method was verified.)"),
                             permanent=True)
    raise ConnectorError(f"no reply support for {network}", permanent=True)


def _vk(item: Item, text: str, random_id: int) -> str:
    from kosmmos.connectors.vk.client import COMMUNITY_RATE, USER_RATE, VkClient

    credentials: dict[str, Any] = item.channel.credentials
    group = item.channel.external_id.strip().lstrip("-")
    community = str(credentials.get("community_token") or "")
    user = str(credentials.get("user_token") or "")
    if item.kind == Kind.MESSAGE:
        if not community:
            raise AuthRevoked(_("Answering VK messages needs a community token. Add one to "
                                "the channel."))
        # https://dev.vk.com/ru/method/messages.send — random_id makes a resend a no-op.
        answer = VkClient(community, rate=COMMUNITY_RATE).call("messages.send", {
            "peer_id": item.chat_ref or item.author_ref, "random_id": random_id,
            "message": text,
        }, publishing=True)
        return str(answer)
    token, rate = (user, USER_RATE) if user else (community, COMMUNITY_RATE)
    if not token:
        raise AuthRevoked(_("The VK channel has no token to comment with."))
    # https://dev.vk.com/ru/method/wall.createComment — from_group is the community id here.
    answer = VkClient(token, rate=rate).call("wall.createComment", {
        "owner_id": f"-{group}", "post_id": item.post_ref, "message": text,
        "reply_to_comment": item.external_id, "from_group": group,
    }, publishing=True)
    return str(answer.get("comment_id", "")) if isinstance(answer, dict) else str(answer)


def _telegram(item: Item, text: str) -> str:
    from kosmmos.connectors.telegram.client import TelegramClient

    token = str(item.channel.credentials.get("bot_token") or "")
    if not token:
        raise AuthRevoked(_("The Telegram channel has no bot token."))
    chat, _sep, message_id = item.external_id.partition(":")
    client = TelegramClient(token)
    client.pace(chat)
    # https://core.telegram.org/bots/api#sendmessage — a reply in the discussion group lands in
    # the post's comment thread; allow_sending_without_reply keeps it if the comment was removed.
    answer = client.call("sendMessage", {
        "chat_id": item.chat_ref or chat, "text": text,
        "reply_parameters": {"message_id": int(message_id), "allow_sending_without_reply": True},
    }, publishing=True)
    return f"{chat}:{answer.get('message_id', '')}" if isinstance(answer, dict) else ""


def _sandbox(item: Item, text: str, key: str) -> str:
    """A comment by the channel under the customer's comment (``reply_to``), through the sandbox
    connector. The reply's ``key`` makes the sandbox post it once: after a lost answer we look
    it up by key, and if it is not there a resend is safe, so it is retried like any transient
    error instead of waiting for a person."""
    if not item.post_ref:
        raise ConnectorError(_("This sandbox item belongs to no post, so it cannot be answered."),
                             permanent=True)
    connector = item.channel.connector()
    try:
        return str(connector.comment(item.post_ref, text, reply_to=item.external_id, key=key))
    except AmbiguousOutcome as lost:
        if not key:  # without a key a resend could post twice: a person checks
            raise
        try:
            found = connector.find_comment(item.post_ref, key)
        except ConnectorError as exc:
            raise ConnectorError(f"{lost.message}; lookup by key failed too ({exc.message}); "
                                 "it is sent again with the same key") from exc
        if found:
            return str(found)
        raise ConnectorError(f"{lost.message}; not posted (looked up by key); it is sent again "
                             "with the same key") from lost
