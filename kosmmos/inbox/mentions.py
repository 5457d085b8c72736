"""Brand mentions into the inbox: the pipeline's steps for posts found by search.

A mention belongs to a workspace, not to one of our channels (``Item.channel`` is None, kind
``mention``). The steps are the pipeline's (``pipeline.py``): parse (the same ``admit`` cleaning
of text and times), dedupe (a mention already stored for the workspace — the network's id,
``<network>:<id>`` — is dropped as ``duplicate_item``, so overlapping polls store it once),
classify (sentiment with the workspace's own model when it has one), store (the unique
constraint keeps a racing duplicate out), notify (drop counters). The caller (competitors)
finds the posts and raises the spike alerts.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from kosmmos.accounts.models import Workspace
from kosmmos.connectors.base import Incoming
from kosmmos.connectors.public import Found
from kosmmos.inbox.models import Item, ItemStatus, Kind
from kosmmos.inbox.pipeline import Parsed, Run, admit, count_drops, insert_items, model_specs

log = logging.getLogger(__name__)


def ingest_mentions(workspace: Workspace, found: Sequence[Found]) -> Run:
    run = Run()
    now = timezone.now()
    scope = f"mentions:{workspace.pk}"
    items: list[tuple[Found, Parsed]] = []
    for post in found:
        run.received += 1
        record = Incoming(action="new", kind=Kind.MENTION, external_id=f"{post.network}:{post.external_id}",
                          text=post.text, author_name=post.author, received_at=post.published_at,
                          raw={"url": post.url, **post.raw})
        parsed = Parsed(channel=None, **vars(record))  # type: ignore[arg-type]  # no channel
        refused = admit(parsed, now=now)
        if refused:
            run.drops[(scope, "parse", workspace.organisation_id, refused, "")] += 1
            continue
        items.append((post, parsed))
    with transaction.atomic():
        fresh = _dedupe(workspace, items, run, scope)
        _classify(workspace, [p for _f, p in fresh])
        rows = [_row(workspace, post, parsed, now) for post, parsed in fresh]
        insert_items(rows)
        run.stored += len(rows)
    count_drops(run.drops)
    return run


def _dedupe(workspace: Workspace, items: list[tuple[Found, Parsed]], run: Run,
            scope: str) -> list[tuple[Found, Parsed]]:
    ids = sorted({p.external_id for _f, p in items})
    mine = Item.objects.filter(workspace=workspace, kind=Kind.MENTION, channel__isnull=True)
    stored: set[str] = set()
    for start in range(0, len(ids), 900):
        stored.update(mine.filter(external_id__in=ids[start:start + 900])
                      .values_list("external_id", flat=True))
    out = []
    for post, parsed in items:
        if parsed.external_id in stored:
            run.drops[(scope, "dedupe", workspace.organisation_id, "duplicate_item", "")] += 1
            continue
        stored.add(parsed.external_id)
        out.append((post, parsed))
    return out


def _classify(workspace: Workspace, items: list[Parsed]) -> None:
    from kosmmos.inbox.sentiment import classify as predict

    todo = [i for i in items if i.text.strip()]
    if not todo:
        return
    try:
        predictions = predict([i.text for i in todo], model_specs({workspace.pk}).get(workspace.pk))
    except Exception:
        log.exception("sentiment failed for %s mentions; stored unlabelled", len(todo))
        return
    for item, prediction in zip(todo, predictions, strict=True):
        item.sentiment = prediction.label
        item.scores = {k: round(v, 4) for k, v in prediction.scores.items()}


def _row(workspace: Workspace, post: Found, item: Parsed, now: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(), "organisation_id": workspace.organisation_id,
        "workspace_id": workspace.pk, "channel_id": None, "network": post.network[:16],
        "kind": Kind.MENTION, "external_id": item.external_id[:120], "post_ref": "",
        "target_id": None, "post_id": None, "parent_ref": "", "chat_ref": "", "author_ref": "",
        "author_name": item.author_name[:300], "text": item.text, "text_cut": item.text_cut,
        "text_length": item.text_length, "attachments": [], "sentiment": item.sentiment,
        "scores": item.scores, "sentiment_manual": False, "status": ItemStatus.OPEN,
        "needs_response": False, "assignee_id": None, "received_at": item.received_at or now,
        "created_at": now, "first_response_at": None, "first_responder_id": None,
        "closed_at": None, "edited_at": None, "deleted_at": None, "raw": item.raw,
    }
