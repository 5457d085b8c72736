"""OK inbound: the comments of our recent group topics, polled; no replies yet.

``discussions.getComments(discussionId=<topic>, discussionType=GROUP_TOPIC)`` for each recent
topic (B: the method is listed in OK's method index; response fields
``comments[{id, text, author_id, author_name, date, reply_to_comment_id}]`` are taken from
client libraries, not a verified doc).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosmmos.connectors.base import COMMENT, ConnectorError, Drop, Inbound, Incoming, Polled, ReplyTo
from kosmmos.connectors.ok.client import OkClient
from kosmmos.connectors.payload import attachments, mapping, missing, string, text, when


class OkInbound(Inbound):
    code = "ok"
    polls_by_post = True
    no_reply_note = gettext_lazy("Replies to OK comments are not supported yet: answer in OK "
                                 "itself.")

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
        client = OkClient(str(credentials.get("application_key") or ""),
                          str(credentials.get("application_secret_key") or ""),
                          str(credentials.get("access_token") or ""))
        polled = Polled()
        for topic in posts:
            body = client.call("discussions.getComments", {
                "discussionId": topic, "discussionType": "GROUP_TOPIC", "count": 100,
            })
            comments = body.get("comments") if isinstance(body, dict) else None
            polled.payloads += [(c, topic) for c in comments or []]
        return polled

    def reply(self, credentials: dict[str, Any], to: ReplyTo, text: str, *, random_id: int,
              key: str) -> str:
        # No method to answer a group topic comment is documented in a source we could verify:
        # refuse clearly rather than guess.
        raise ConnectorError(_("Replies to OK comments are not supported yet: answer in OK "
                               "itself. (No documented API method was verified.)"),
                             permanent=True)
