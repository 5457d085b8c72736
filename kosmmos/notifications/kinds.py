"""The catalogue of event kinds: one line per kind, what a user sees in their preferences.

A feature that raises something a person should hear about adds its kind here and calls
``kosmmos.notifications.events.emit``; the dispatcher fans it out to the channels each user chose.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    code: str
    label: str | Promise
    urgent: bool = False  # may override quiet hours
    client: bool = False  # a client user gets it by default


KINDS: dict[str, Kind] = {k.code: k for k in (
    Kind("post.published", _("Post published")),
    Kind("post.failed", _("Post failed"), urgent=True),
    Kind("post.needs_check", _("Post needs a check"), urgent=True),
    Kind("comment.overdue", _("Comment waiting past its SLA")),
    Kind("comment.negative", _("Negative comment")),
    Kind("inbox.negative_surge", _("Surge of negative comments"), urgent=True),
    Kind("lead.created", _("New lead")),
    Kind("proposal.accepted", _("Proposal accepted")),
    Kind("post.awaiting_approval", _("Post awaiting approval"), client=True),
    Kind("report.ready", _("Report ready")),
    Kind("report.sent", _("Report sent"), client=True),
    Kind("channel.token_expiring", _("Channel token expiring")),
    Kind("channel.reconnect", _("Channel needs reconnection"), urgent=True),
    Kind("results.kpi_drift", _("KPI behind its target")),
    Kind("ord.deadline", _("ORD report due")),
    Kind("ord.rejected", _("ORD rejected an object"), urgent=True),
    Kind("competitors.key_move", _("Competitor's key move")),
    Kind("mentions.spike", _("Spike in brand mentions")),
    Kind("giveaway.ended", _("Giveaway ended")),
    Kind("giveaway.reserve_promoted", _("Giveaway prize handed to a reserve winner")),
    Kind("ads.import_failed", _("Ad statistics import failed")),
)}


def get(code: str) -> Kind:
    """The kind for a code; an unknown code is a programming error, raised loudly."""
    return KINDS[code]
