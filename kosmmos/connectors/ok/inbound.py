"""OK inbound: the comments of our recent group topics, polled; replies as the group.

``discussions.getComments(discussionId=<topic>, discussionType=GROUP_TOPIC)`` for each recent
topic (B: the method is listed in OK's method index; response fields
``comments[{id, text, author_id, author_name, date, reply_to_comment_id}]`` are taken from
client libraries, not a verified doc).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from kosmmos.connectors.base import (
    COMMENT,
    ConnectorError,
    Drop,
    Inbound,
    Incoming,
    Polled,
    ReplyTo,
)
from kosmmos.connectors.ok.client import OkClient
from kosmmos.connectors.payload import attachments, mapping, missing, string, text, when

PAGE = 100
MAX_PAGES = 20  # per topic and poll: 2,000 comments; the next poll goes on from the start


class OkInbound(Inbound):
    code = "ok"
    polls_by_post = True
    replies = True

    def mode(self, credentials: dict[str, Any]) -> str:
        return "poll"

    def parse(self, payload: Any, context: str = "") -> list[Incoming]:
        """A comment of the topic ``context``."""
        data = mapping(payload, "comment")
        said, cut = text(data.get("text"))
        at = data.get("date")
        received = None
        if isinstance(at, str) and len(at) >= 19:  # "yyyy-MM-dd HH:mm:ss" (B), Moscow time
            try:
                received = datetime.fromisoformat(at[:19] + "+03:00")
            except ValueError:
                raise Drop("time_invalid", "bad date") from None
        return [Incoming(action="new", kind=COMMENT,
                         external_id=string(data.get("id")) or missing("id"), post_ref=context,
                         parent_ref=string(data.get("reply_to_comment_id")),
                         author_ref=string(data.get("author_id")),
                         author_name=string(data.get("author_name")), text=said, text_cut=cut,
                         # (B) shape as VK's, [{type}]; OK's "movie" is a video
                         attachments=attachments(data.get("attachments"), {"movie": "video"}),
                         received_at=received or when(None), raw=data)]

    def poll(self, credentials: dict[str, Any], cursor: dict[str, Any],
             posts: list[str]) -> Polled:
        client = _client(credentials)
        polled = Polled()
        for topic in posts:
            anchor = ""
            for _page in range(MAX_PAGES):
                # https://apiok.ru/dev/methods/rest/discussions/discussions.getComments — pages
                # of up to 100, continued from the ``anchor`` the previous page returned.
                params: dict[str, Any] = {"discussionId": topic,
                                          "discussionType": "GROUP_TOPIC", "count": PAGE}
                if anchor:
                    params["anchor"] = anchor
                body = client.call("discussions.getComments", params)
                comments = body.get("comments") if isinstance(body, dict) else None
                if not isinstance(comments, list):
                    break
                polled.payloads += [(c, topic) for c in comments]
                anchor = str(body.get("anchor") or "")
                if len(comments) < PAGE or not anchor or body.get("has_more") is False:
                    break
        return polled

    def reply(self, credentials: dict[str, Any], to: ReplyTo, text: str, *, random_id: int,
              key: str) -> str:
        if not to.post_ref:
            raise ConnectorError(_("This OK comment is not linked to a topic, so it cannot be "
                                   "answered from Kosmmos."), permanent=True)
        # https://apiok.ru/dev/methods/rest/discussions/discussions.addDiscussionComment (the
        # same page as apiok/documentation docs/method/ru/discussions/
        # discussions.addDiscussionComment.md @37d3158) — the group topic's discussion,
        # answering the comment, written as the group. The page lists the parameters only;
        # the answer's shape is not shown there. What it does say: ``frmt`` is "the format of
        # the comment in the answer" and ``fields``/``fieldset`` pick its fields, so the answer
        # carries the new comment — read by ``_comment_id``.
        sent = _client(credentials).call("discussions.addDiscussionComment", {
            "entityId": to.post_ref, "entityType": "GROUP_TOPIC", "comment": text,
            "reply_to_comment_id": to.external_id, "as_admin": "true",
        }, publishing=True)
        return _comment_id(sent)


def _comment_id(sent: Any) -> str:
    """The new comment's id from an addDiscussionComment answer: the comment (an object with
    ``id``, as ``frmt``/``fields`` imply, or wrapped as ``{"comment": {...}}``) or a bare id.
    An answer without one is still a success (OK said ok): the reply went out, its id unknown."""
    if isinstance(sent, dict):
        inner = sent.get("comment")
        if isinstance(inner, dict):
            sent = inner
        sent = sent.get("id") or sent.get("comment_id") or ""
    return str(sent) if isinstance(sent, str | int) and not isinstance(sent, bool) else ""


def _client(credentials: dict[str, Any]) -> OkClient:
    return OkClient(str(credentials.get("application_key") or ""),
                    str(credentials.get("application_secret_key") or ""),
                    str(credentials.get("access_token") or ""))
