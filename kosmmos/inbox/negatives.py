"""A negative comment is news: ``comment.negative``, raised in the transaction that stores it.

The pipeline's store step calls ``raise_negatives`` with the rows it has just inserted, once the
classify step has given them their sentiment. Only comments this very transaction stored count
(a racing duplicate that the unique key kept out raises nothing), and only those received in the
last day: a channel's first poll of its history is not news.

A flood is grouped at the source: more than ``SINGLE_MAX`` negatives of one channel in one batch
make one event that counts them; what arrives over several batches the senders group into one
message per slot ("12 × Negative comment in the last 5 min"). Each event's dedupe key names its
comments (the network's ids), so processing them again never raises it twice.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kosmmos.channels.models import Channel
from kosmmos.inbox.models import Item, Kind, Sentiment
from kosmmos.lib.events import emit

SINGLE_MAX = 3  # negatives of one channel in one batch raised one by one; more: one event
RECENT = timedelta(days=1)
LISTED = 5  # comments quoted in a grouped event's body
CHUNK = 900  # ids per IN (SQLite's bound parameters)


def raise_negatives(rows: list[dict[str, Any]], channels: dict[Any, Channel],
                    now: datetime) -> int:
    """Raise ``comment.negative`` for the stored negative comments among ``rows`` (the store
    step's column values); returns how many events were raised."""
    fresh = [r for r in rows if r["sentiment"] == Sentiment.NEGATIVE
             and r["kind"] == Kind.COMMENT and r["received_at"] >= now - RECENT]
    if not fresh:
        return 0
    ids = [r["id"] for r in fresh]
    stored: set[Any] = set()
    for start in range(0, len(ids), CHUNK):
        stored |= set(Item.objects.filter(pk__in=ids[start:start + CHUNK])
                      .values_list("pk", flat=True))
    by_channel: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in fresh:
        if r["id"] in stored:
            by_channel[r["channel_id"]].append(r)
    raised = 0
    with translation.override(settings.LANGUAGE_CODE):
        for channel_id, group in by_channel.items():
            channel = channels[channel_id]
            if len(group) <= SINGLE_MAX:
                raised += sum(_single(channel, r) for r in group)
            else:
                raised += _grouped(channel, group)
    return raised


def _single(channel: Channel, row: dict[str, Any]) -> bool:
    title = _("Negative comment: %(channel)s") % {"channel": channel.name}
    return emit("comment.negative", organisation=channel.organisation_id,
                workspace=channel.workspace_id, title=title, body=row["text"][:300],
                url=reverse("inbox:item", args=[row["id"]]),
                dedupe_key=f"negative:{channel.pk}:{row['external_id']}",
                payload={"items": [str(row["id"])], "channel": str(channel.pk),
                         "count": 1}) is not None


def _grouped(channel: Channel, group: list[dict[str, Any]]) -> bool:
    count = len(group)
    title = ngettext("%(count)s negative comment: %(channel)s",
                     "%(count)s negative comments: %(channel)s", count) % {
        "count": count, "channel": channel.name}
    body = "\n".join(f"• {r['text'][:200]}" for r in group[:LISTED])
    names = "\n".join(sorted(r["external_id"] for r in group))
    digest = hashlib.sha256(names.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return emit("comment.negative", organisation=channel.organisation_id,
                workspace=channel.workspace_id, title=title, body=body,
                url=f"{reverse('inbox:list')}?channel={channel.pk}&sentiment=negative",
                dedupe_key=f"negatives:{channel.pk}:{digest}",
                payload={"items": [str(r["id"]) for r in group[:100]],
                         "channel": str(channel.pk),
                         "count": count}) is not None
