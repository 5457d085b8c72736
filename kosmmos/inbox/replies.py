"""Posting a reply back to the network, through the network's inbound side
(``Inbound.reply`` in ``kosmmos/connectors/<network>/inbound.py``), whose errors follow the
contract in ``kosmmos/connectors/base.py``: ConnectorError(permanent), RateLimited,
AuthRevoked, AmbiguousOutcome.

Returns the network's id of the reply. Credentials are the channel's (decrypted here, used for
this call only).
"""

from __future__ import annotations

from kosmmos.connectors.base import AmbiguousOutcome, ConnectorError, ReplyTo
from kosmmos.inbox.models import Item
from kosmmos.inbox.pipeline import inbound_for


def send(item: Item, text: str, *, random_id: int, key: str = "") -> str:
    """Post ``text`` as the answer to ``item``; ``random_id`` (VK messages) and ``key`` are the
    reply's idempotency keys, the same on every attempt.

    When the answer is lost (AmbiguousOutcome) and the network can look a reply up by ``key``,
    it is looked up: found, the reply is sent; surely not there, a resend with the same key is
    safe, so it is reported as a transient error (the backoff resends it) instead of waiting
    for a person. A network that cannot tell keeps the AmbiguousOutcome: a person checks.
    """
    channel = item.channel
    if channel is None:  # a mention: nothing of ours to answer from
        raise ConnectorError("A mention cannot be answered from Kosmmos.", permanent=True)
    reader = inbound_for(channel)
    credentials = channel.credentials
    to = ReplyTo(kind=item.kind, external_id=item.external_id, post_ref=item.post_ref,
                 chat_ref=item.chat_ref, author_ref=item.author_ref)
    try:
        return reader.reply(credentials, to, text, random_id=random_id, key=key)
    except AmbiguousOutcome as lost:
        if not key:  # without a key a resend could post twice: a person checks
            raise
        try:
            found = reader.find_reply(credentials, to, key)
        except AmbiguousOutcome:
            raise lost from None
        except ConnectorError as exc:
            raise ConnectorError(f"{lost.message}; lookup by key failed too ({exc.message}); "
                                 "it is sent again with the same key") from exc
        if found:
            return str(found)
        raise ConnectorError(f"{lost.message}; not posted (looked up by key); it is sent again "
                             "with the same key") from lost
