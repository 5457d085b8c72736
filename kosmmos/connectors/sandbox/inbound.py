"""Sandbox inbound: the comments of our recent posts, polled; replies as the channel's comments.

``GET /channels/<id>/posts/<post>/comments`` → ``{items: [{id, at, author, text}]}``; the
channel's own comments (our replies) come back marked ``from_channel`` and are dropped.
``GET /channels/<id>/posts`` lists the channel's newest posts: the new ones go to the inbox as
the channel's posts (ours are recognised by id; one put there by someone else — the demo's, or
``POST /_admin/channels/<id>/posts`` — is a post published outside Kosmmos).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kosmmos.connectors.base import (
    COMMENT,
    POST,
    ConnectorError,
    Drop,
    Inbound,
    Incoming,
    Polled,
    ReplyTo,
)
from kosmmos.connectors.payload import answer, attachments, mapping, missing, string, text, when
from kosmmos.connectors.sandbox.connector import SandboxConnector


class SandboxInbound(Inbound):
    code = "sandbox"
    polls_by_post = True
    replies = True

    def mode(self, credentials: dict[str, Any]) -> str:
        return "poll"

    def parse(self, payload: Any, context: str = "") -> list[Incoming]:
        """A comment on our post ``context``. One the channel wrote itself (our reply from the
        inbox, or one typed on the network) is ours, not a customer's: dropped as
        ``own_message``, the way VK's and Telegram's are; the inbox shows it as the reply it
        came from."""
        data = mapping(payload, "comment")
        if "post" in data:
            return [_post(mapping(data["post"], "post"))]
        channel_id = self.external_id
        if data.get("from_channel") is True or (channel_id and string(data.get("author")) == channel_id):
            raise Drop("own_message", "written as the channel",
                       answered=answer(string(data.get("id")), string(data.get("reply_to")),
                                       when(data.get("at")), data.get("text")))
        said, cut = text(data.get("text"))
        author = string(data.get("author"))
        return [Incoming(action="new", kind=COMMENT,
                         external_id=string(data.get("id")) or missing("id"), post_ref=context,
                         event_key=string(data.get("event_id")), author_ref=author,
                         author_name=author, parent_ref=string(data.get("reply_to")), text=said,
                         text_cut=cut, received_at=when(data.get("at")),
                         attachments=attachments(data.get("attachments")), raw=data)]

    def poll(self, credentials: dict[str, Any], cursor: dict[str, Any],
             posts: list[str]) -> Polled:
        """Comments of our recent posts, through the sandbox connector (its error mapping: 429
        → RateLimited with the sandbox's wait, 401 → AuthRevoked; a post deleted there has
        none).

        The sandbox lists every comment of a post on every call, and a comment appears only once
        its time has come, so the newest ``at`` seen per post (``cursor["seen_at"]``) splits new
        from old: only the new go through the pipeline — the old would each be counted again as
        a drop (duplicate or our own reply) every poll. Posts that left the recent window leave
        the cursor too."""
        connector = SandboxConnector(credentials, self.config)
        seen_at = cursor.get("seen_at")
        seen: dict[str, Any] = seen_at if isinstance(seen_at, dict) else {}
        polled = Polled()
        latest: dict[str, float] = {}
        for ref in posts:
            since = _number(seen.get(ref)) or 0.0
            comments = connector.comments(ref)
            polled.payloads += [(c, ref) for c in comments if (_at(c) or since + 1) > since]
            latest[ref] = max([since, *(_at(c) or 0.0 for c in comments)])
        polled.advance["seen_at"] = latest
        # The channel's posts newer than the newest seen (``posts_at``).
        posts_at = _number(cursor.get("posts_at")) or 0.0
        newest = posts_at
        for post in connector.list_posts():
            at = post["accepted_at"].timestamp() if post.get("accepted_at") else None
            if at is None or at <= posts_at or post.get("deleted"):
                continue
            newest = max(newest, at)
            polled.payloads.append(({"post": {"id": str(post.get("id", "")), "at": at,
                                              "text": post.get("text", ""),
                                              "url": post.get("url", "")}}, ""))
        if newest > posts_at:
            polled.advance["posts_at"] = newest
        return polled

    def reply(self, credentials: dict[str, Any], to: ReplyTo, text: str, *, random_id: int,
              key: str) -> str:
        """A comment by the channel under the customer's comment (``reply_to``). The reply's
        ``key`` makes the sandbox post it once, so after a lost answer ``find_reply`` looks it up
        and, when it is not there, a resend is safe."""
        if not to.post_ref:
            raise ConnectorError(
                _("This sandbox item belongs to no post, so it cannot be answered."),
                permanent=True)
        connector = SandboxConnector(credentials, self.config)
        return str(connector.comment(to.post_ref, text, reply_to=to.external_id, key=key))

    def find_reply(self, credentials: dict[str, Any], to: ReplyTo, key: str) -> str | None:
        return SandboxConnector(credentials, self.config).find_comment(to.post_ref, key)


def _post(data: dict[str, Any]) -> Incoming:
    post_id = string(data.get("id")) or missing("id")
    said, cut = text(data.get("text"))
    return Incoming(action="new", kind=POST, external_id=post_id, post_ref=post_id, text=said,
                    text_cut=cut, url=string(data.get("url")), received_at=when(data.get("at")),
                    raw=data)


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
