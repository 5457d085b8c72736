"""Ingestion as a pipeline of named steps: parse → dedupe → match → classify → store → notify.
The store step also raises ``comment.negative`` for the negative comments it stored, in the same
transaction (``inbox/negatives.py``).

Every entry point (the VK and Telegram webhooks, the pollers, the benchmark) hands a batch of
``Envelope``s to ``ingest()``. Each step may drop an item with a stated reason; every drop is
counted in ``DropCount`` (per channel, day, step, reason) and the run returns its counters.

Nothing good is lost: dedupe only reads, and everything a batch writes — the delivery ids it has
seen and the items — commits in one transaction, so a crash before the commit leaves the event
unseen and the network's redelivery (or the next poll) brings it in. The unique constraints on
``SeenEvent`` and ``Item`` make a duplicate that races past dedupe harmless: stored once.

The parse step is also the one place where text and times enter the inbox (``admit``), for
every network alike:

- every text and id goes through ``lib.untrusted.clean_text`` (a lone surrogate becomes U+FFFD,
  NUL is removed) and so does every string of the raw payload: the item is kept;
- a text longer than ``connectors.base.TEXT_MAX`` (100,000 characters) is cut there with the
  visible marker ``lib.untrusted.TRUNCATED``; the item keeps ``text_cut`` and the original
  ``text_length``;
- a delivery id longer than ``SeenEvent.key`` keeps is replaced by its SHA-256 (two different
  ids never collide, as a cut would make them);
- times: a network's time a little ahead of ours (up to ``FUTURE_SKEW``) is clamped to now; one
  further ahead, or before ``lib.dates.FIRST_YEAR`` (a date in milliseconds, year 10000), is
  refused and counted as ``parse/time_invalid`` — the parsers refuse numbers that are not unix
  seconds with the same reason.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone

from kosmmos.channels.models import Channel
from kosmmos.connectors.base import ATTACHMENTS, POST, TEXT_MAX, Drop, Inbound, Incoming
from kosmmos.connectors.registry import inbound
from kosmmos.content.models import PostTarget
from kosmmos.inbox.models import (
    CONVERSATION_KINDS,
    ChannelInbox,
    DropCount,
    InboxProfile,
    Item,
    ItemStatus,
    Kind,
    NetworkAnswer,
    PostPart,
    ReactionCount,
    Reply,
    ReplyStatus,
    SeenEvent,
    ThreadLink,
)
from kosmmos.inbox.negatives import raise_negatives
from kosmmos.inbox.posts import keep_posts
from kosmmos.lib.dates import FIRST_YEAR
from kosmmos.lib.untrusted import clean_text, clean_value, cut_text

log = logging.getLogger(__name__)

STEPS = ("parse", "dedupe", "match", "classify", "store", "notify")
CLASSIFY_BATCH = 1000
# How far ahead of our clock a network's time may be and still be taken (as now).
FUTURE_SKEW = timedelta(days=1)
EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
KEY_MAX = 100  # SeenEvent.key


@dataclass
class Envelope:
    """One payload from a network for one of our channels. ``context`` is what the payload does
    not say itself (the post id for polled OK/sandbox comments)."""

    channel: Channel
    payload: Any
    context: str = ""


@dataclass(kw_only=True)
class Parsed(Incoming):
    """An ``Incoming`` record on its way through the steps: its channel, and what the later
    steps find out (our post it belongs to, its sentiment)."""

    channel: Channel
    target_id: Any = None
    post_id: Any = None
    sentiment: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    text_length: int = 0


def inbound_for(channel: Channel) -> Inbound:
    """The inbound side of ``channel``'s network (``kosmmos/connectors/registry.py``)."""
    return inbound(channel.network, {"external_id": channel.external_id, **channel.config})


@dataclass
class Run:
    """What one pass did: counters per (step, reason), items stored and updated."""

    drops: Counter[tuple[str, str, Any, str, str]] = field(default_factory=Counter)
    stored: int = 0
    updated: int = 0
    linked: int = 0
    received: int = 0

    def drop(self, channel: Channel | None, step: str, reason: str, detail: str = "") -> None:
        scope = str(channel.pk) if channel is not None else ""
        org = channel.organisation_id if channel is not None else None
        self.drops[(scope, step, org, reason, "")] += 1
        log.debug("inbox drop %s/%s channel=%s %s", step, reason, scope or "-", detail[:200])

    def dropped_by_reason(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for (_scope, step, _org, reason, _), n in self.drops.items():
            out[f"{step}:{reason}"] += n
        return dict(out)


# --- the steps -------------------------------------------------------------------------------


def parse(envelopes: Iterable[Envelope], run: Run) -> list[Parsed]:
    """Each payload through its network's inbound side (``Inbound.parse``)."""
    out: list[Parsed] = []
    readers: dict[Any, Inbound] = {}
    for env in envelopes:
        run.received += 1
        channel = env.channel
        reader = readers.get(channel.pk)
        if reader is None:
            reader = readers[channel.pk] = inbound_for(channel)
        try:
            found = reader.parse(env.payload, env.context)
        except Drop as drop:
            run.drop(channel, "parse", drop.reason, drop.detail)
            if drop.answered is not None:
                found = [drop.answered]
            else:
                continue
        for record in found:
            parsed = Parsed(channel=channel, **vars(record))
            refused = admit(parsed, now=timezone.now())
            if refused:
                run.drop(channel, "parse", refused, parsed.external_id)
            else:
                out.append(parsed)
    return out


def admit(item: Parsed, *, now: datetime) -> str:
    """Clean ``item`` in place as the store keeps it (see the module's docstring); returns the
    reason it is refused, or "" when it is taken."""
    if item.received_at is not None:
        if item.received_at < EARLIEST or item.received_at > now + FUTURE_SKEW:
            return "time_invalid"
        item.received_at = min(item.received_at, now)
    for name in ("external_id", "post_ref", "parent_ref", "chat_ref", "thread_ref", "author_ref",
                 "author_name"):
        setattr(item, name, clean_text(getattr(item, name)))
    if len(item.event_key) > KEY_MAX:
        item.event_key = "sha256:" + hashlib.sha256(
            item.event_key.encode("utf-8", "surrogatepass")).hexdigest()
    else:
        item.event_key = clean_text(item.event_key)
    item.text, item.text_length = cut_text(clean_text(item.text), TEXT_MAX)
    item.text_cut = item.text_cut or item.text_length > TEXT_MAX
    item.attachments = [k for k in item.attachments if k in ATTACHMENTS][:50]
    item.raw = clean_value(item.raw) or {}
    item.counts = {clean_text(k): v for k, v in item.counts.items()}
    return ""


def dedupe(items: list[Parsed], run: Run) -> list[Parsed]:
    """Drop deliveries seen before (event ids) and items already stored (comment ids)."""
    keys: dict[Any, set[str]] = defaultdict(set)
    ids: dict[tuple[Any, str], set[str]] = defaultdict(set)
    for item in items:
        if item.event_key:
            keys[_cid(item)].add(item.event_key)
        if item.action == "new":
            ids[(_cid(item), item.kind)].add(item.external_id)
    seen_keys = {(c, k) for c, batch in keys.items()
                 for k in _chunked_in(SeenEvent.objects.filter(channel_id=c), "key", batch)}
    stored = {(c, kind, e) for (c, kind), batch in ids.items()
              for e in _chunked_in(Item.objects.filter(channel_id=c, kind=kind),
                                   "external_id", batch)}
    out: list[Parsed] = []
    for item in items:
        cid = _cid(item)
        if item.event_key:
            if (cid, item.event_key) in seen_keys:
                run.drop(item.channel, "dedupe", "duplicate_event")
                continue
            seen_keys.add((cid, item.event_key))
        if item.action == "new":
            ident = (cid, item.kind, item.external_id)
            if ident in stored:
                run.drop(item.channel, "dedupe", "duplicate_item")
                continue
            stored.add(ident)
        out.append(item)
    return out


def match(items: list[Parsed], run: Run) -> list[Parsed]:
    """Tie items to our published posts (PostTarget.external_id) and edits to stored items."""
    by_channel: dict[Any, list[Parsed]] = defaultdict(list)
    for item in items:
        by_channel[_cid(item)].append(item)
    out: list[Parsed] = []
    for cid, group in by_channel.items():
        # Telegram: comments name the thread (the group's copy of our post), not the post.
        threads = {i.thread_ref for i in group if i.thread_ref and not i.post_ref}
        links = dict(ThreadLink.objects.filter(channel_id=cid, group_message_id__in=threads)
                     .values_list("group_message_id", "post_ref")) if threads else {}
        links.update({i.thread_ref: i.post_ref for i in group if i.action == "link"})
        parents = {i.parent_ref for i in group if i.parent_ref and not i.post_ref}
        parent_posts = dict(Item.objects.filter(channel_id=cid, external_id__in=parents)
                            .values_list("external_id", "post_ref")) if parents else {}
        parent_posts.update({i.external_id: i.post_ref for i in group if i.post_ref})
        for item in group:
            if item.action in {"new", "edit"} and not item.post_ref:
                item.post_ref = links.get(item.thread_ref, "") or parent_posts.get(
                    item.parent_ref, "")
        refs = {i.post_ref for i in group if i.post_ref}
        targets = {ext: (pk, post) for ext, pk, post in PostTarget.objects.filter(
            channel_id=cid, external_id__in=refs).values_list("external_id", "id", "post_id")
        } if refs else {}
        # A post made outside Kosmmos is also found by any of its messages (a Telegram album).
        if refs - set(targets):
            targets.update({ref: (pk, post) for ref, pk, post in PostPart.objects.filter(
                channel_id=cid, ref__in=refs - set(targets)).values_list(
                "ref", "target_id", "target__post_id")})
        changes = {i.external_id for i in group
                   if i.action in {"edit", "delete", "restore"} and i.kind != POST}
        existing = set(Item.objects.filter(channel_id=cid, external_id__in=changes)
                       .values_list("external_id", flat=True)) if changes else set()
        # A deleted comment that is not an item may be one of our answers (VK's delete event
        # does not say who wrote it): it leaves the thread.
        gone = changes - existing
        answers = set(NetworkAnswer.objects.filter(channel_id=cid, external_id__in=gone)
                      .values_list("external_id", flat=True)) if gone else set()
        for item in group:
            if item.post_ref in targets:
                item.target_id, item.post_id = targets[item.post_ref]
            if item.action == "delete" and item.external_id in answers:
                item.action = "answer_delete"
            elif item.action == "delete" and item.external_id not in existing:
                run.drop(item.channel, "match", "unknown_item")
                continue
            if (item.action in {"edit", "restore"} and item.kind != POST
                    and item.external_id not in existing):
                item.action = "new"  # an edit of a comment we never saw: keep it as new
            out.append(item)
    return out


def classify(items: list[Parsed], run: Run) -> list[Parsed]:
    """Sentiment per text, with the workspace's own model when it has one. A classifier failure
    leaves the item unlabelled — it is still stored."""
    from kosmmos.inbox.sentiment import classify as predict

    todo = [i for i in items if i.action in {"new", "edit"} and i.text.strip()
            and i.kind in CONVERSATION_KINDS]
    by_spec: dict[str | None, list[Parsed]] = defaultdict(list)
    specs = model_specs({i.channel.workspace_id for i in todo})
    for item in todo:
        by_spec[specs.get(item.channel.workspace_id)].append(item)
    for spec, group in by_spec.items():
        for start in range(0, len(group), CLASSIFY_BATCH):
            chunk = group[start:start + CLASSIFY_BATCH]
            try:
                predictions = predict([i.text for i in chunk], spec)
            except Exception:
                log.exception("sentiment failed for %s items (spec %s); stored unlabelled",
                              len(chunk), spec)
                continue
            for item, prediction in zip(chunk, predictions, strict=True):
                item.sentiment = prediction.label
                item.scores = {k: round(v, 4) for k, v in prediction.scores.items()}
    return items


def store(items: list[Parsed], run: Run) -> list[Parsed]:
    now = timezone.now()
    seen = [SeenEvent(channel_id=_cid(i), key=i.event_key, received_at=now)
            for i in items if i.event_key]
    SeenEvent.objects.bulk_create(seen, ignore_conflicts=True, batch_size=500)
    keep_posts([i for i in items if i.kind == POST], run)
    new = [_new_item(i, now) for i in items if i.action == "new" and i.kind != POST]
    insert_items(new)
    run.stored += len(new)
    raise_negatives(new, {_cid(i): i.channel for i in items}, now)
    _keep_answers([i for i in items if i.action == "answered"], now)
    run.updated += _apply_early_answers(new, now)
    for item in items:
        if item.kind == POST:
            continue
        if item.action == "edit":
            updates: dict[str, Any] = {"text": item.text, "text_cut": item.text_cut,
                                       "text_length": item.text_length,
                                       "attachments": item.attachments,
                                       "edited_at": item.received_at or now}
            found = Item.objects.filter(channel_id=_cid(item), external_id=item.external_id)
            found.update(**updates)
            if item.sentiment:
                found.filter(sentiment_manual=False).update(sentiment=item.sentiment,
                                                            scores=item.scores)
            run.updated += 1
        elif item.action == "delete":
            run.updated += Item.objects.filter(
                channel_id=_cid(item), external_id=item.external_id, deleted_at__isnull=True
            ).update(deleted_at=now)
        elif item.action == "restore":  # deleted on the network, then restored there
            run.updated += Item.objects.filter(
                channel_id=_cid(item), external_id=item.external_id, deleted_at__isnull=False
            ).update(deleted_at=None)
        elif item.action == "link":
            ThreadLink.objects.bulk_create([ThreadLink(
                channel_id=_cid(item), group_message_id=item.thread_ref, post_ref=item.post_ref
            )], ignore_conflicts=True)
            run.linked += 1
        elif item.action == "answered":
            run.updated += _answered(_cid(item), item.parent_ref, item.received_at or now,
                                     item.text)
        elif item.action in {"answer_edit", "answer_delete"}:
            # The thread shows what the answer says now; the clock it stopped stays stopped.
            ours = NetworkAnswer.objects.filter(channel_id=_cid(item), external_id=item.external_id)
            run.updated += (ours.update(text=item.text) if item.action == "answer_edit"
                            else ours.delete()[0])
        elif item.action == "reactions":
            ReactionCount.objects.update_or_create(
                channel_id=_cid(item), post_ref=item.post_ref,
                defaults={"counts": item.counts, "updated_at": now})
            run.updated += 1
    return items


def notify(items: list[Parsed], run: Run) -> list[Parsed]:
    """Mark the channels as alive (shown in the UI) and persist the drop counters."""
    now = timezone.now()
    channels = {_cid(i) for i in items}
    if channels:
        ChannelInbox.objects.filter(channel_id__in=channels).update(last_event_at=now)
    count_drops(run.drops)
    if run.received:
        log.info("inbox: %s received, %s stored, %s updated, dropped %s", run.received,
                 run.stored, run.updated, run.dropped_by_reason() or "none")
    return items


def ingest(envelopes: list[Envelope]) -> Run:
    """Run the whole pipeline over one batch; one transaction for everything it stores."""
    run = Run()
    items = parse(envelopes, run)
    with transaction.atomic():
        items = dedupe(items, run)
        items = match(items, run)
        items = classify(items, run)
        items = store(items, run)
    notify(items, run)
    return run


# --- helpers ---------------------------------------------------------------------------------


def _cid(item: Parsed) -> Any:
    return item.channel.pk


def _chunked_in(qs: Any, field_name: str, values: set[str], size: int = 900) -> list[str]:
    found: list[str] = []
    ordered = sorted(values)
    for start in range(0, len(ordered), size):
        found += list(qs.filter(**{f"{field_name}__in": ordered[start:start + size]})
                      .values_list(field_name, flat=True))
    return found


def _answered(channel_id: Any, parent_ref: str, when: Any, text: str) -> int:
    """Stop the SLA clock of the comment our own reply answers. The first answer counts,
    from Kosmmos or typed on the network. A reply sent from Kosmmos can come back from the
    network before its job has recorded it (or after an ambiguous send): then it is that
    reply — same text, else one being sent or sent — and its author is the responder;
    otherwise it was typed on the network and nobody in Kosmmos is."""
    updated = 0
    # Comments only: a community's comment ids and message ids are separate series.
    waiting = Item.objects.filter(channel_id=channel_id, kind=Kind.COMMENT,
                                  external_id=parent_ref, first_response_at__isnull=True,
                                  received_at__lte=when)
    for pk in waiting.values_list("pk", flat=True):
        replies = Reply.objects.filter(item_id=pk).order_by("created_at")
        author = (replies.filter(text=text.strip()).values_list("author_id", flat=True)
                  .first() if text.strip() else None) or (
            replies.filter(status__in=[ReplyStatus.SENDING, ReplyStatus.SENT])
            .values_list("author_id", flat=True).first())
        updated += Item.objects.filter(pk=pk, first_response_at__isnull=True).update(
            first_response_at=when, first_responder_id=author)
    return updated


# How long an answer waits for a comment the network has not delivered yet.
EARLY_ANSWER_WINDOW = timedelta(days=7)


def _keep_answers(answers: list[Parsed], now: Any) -> None:
    """Our answers, for the threads (once each: the network's id of the answer is unique)."""
    NetworkAnswer.objects.bulk_create([NetworkAnswer(
        channel_id=_cid(a), external_id=a.external_id[:120], parent_ref=a.parent_ref[:120],
        text=a.text, answered_at=a.received_at or now, created_at=now,
    ) for a in answers], ignore_conflicts=True, batch_size=500)


def _apply_early_answers(rows: list[dict[str, Any]], now: Any) -> int:
    """Comments just stored whose answer came first get that answer's time (and author)."""
    comments: dict[Any, set[str]] = defaultdict(set)
    for r in rows:
        if r["kind"] == Kind.COMMENT:
            comments[r["channel_id"]].add(r["external_id"])
    if not comments:
        return 0
    recent = NetworkAnswer.objects.filter(created_at__gte=now - EARLY_ANSWER_WINDOW)
    # One query when no channel of the batch has recent answers (the common case).
    answering = set(recent.filter(channel_id__in=comments).order_by()
                    .values_list("channel_id", flat=True).distinct())
    updated = 0
    for cid in answering:
        refs = sorted(comments[cid])
        for start in range(0, len(refs), 900):
            for early in recent.filter(channel_id=cid, parent_ref__in=refs[start:start + 900]):
                updated += _answered(cid, early.parent_ref, early.answered_at, early.text)
    return updated


def _new_item(item: Parsed, now: Any) -> dict[str, Any]:
    """One items row as column values (the fast insert below takes these)."""
    channel = item.channel
    conversation = item.kind in CONVERSATION_KINDS
    return {
        "id": uuid.uuid4(), "organisation_id": channel.organisation_id,
        "workspace_id": channel.workspace_id, "channel_id": channel.pk,
        "network": channel.network, "kind": item.kind, "external_id": item.external_id[:120],
        "post_ref": item.post_ref[:100], "target_id": item.target_id, "post_id": item.post_id,
        "parent_ref": item.parent_ref[:120], "chat_ref": item.chat_ref[:100],
        "author_ref": item.author_ref[:100], "author_name": item.author_name[:300],
        "text": item.text, "text_cut": item.text_cut, "text_length": item.text_length,
        "attachments": item.attachments, "sentiment": item.sentiment,
        "scores": item.scores, "sentiment_manual": False,
        "status": ItemStatus.OPEN if conversation else ItemStatus.CLOSED,
        "needs_response": conversation, "assignee_id": None,
        "received_at": item.received_at or now, "created_at": now, "first_response_at": None,
        "first_responder_id": None, "closed_at": None, "edited_at": None, "deleted_at": None,
        "raw": item.raw,
    }


def insert_items(rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING in one executemany: the unique (channel, kind,
    external_id) constraint keeps a racing duplicate out. Django's bulk_create spent most of the
    pipeline's time preparing values field by field; here each column has one converter."""
    if not rows:
        return
    fields = Item._meta.concrete_fields
    ops = connection.ops

    def converter(field: Any) -> Any:
        if isinstance(field, models.JSONField):
            return lambda v: ops.adapt_json_value(v, field.encoder)
        if isinstance(field, models.DateTimeField):
            return ops.adapt_datetimefield_value
        if isinstance(field, models.UUIDField) or (
                field.is_relation and isinstance(field.target_field, models.UUIDField)):
            if connection.features.has_native_uuid_field:
                return lambda v: v
            return lambda v: None if v is None else (v.hex if isinstance(v, uuid.UUID)
                                                     else uuid.UUID(str(v)).hex)
        return lambda v: v

    convert = [(f.attname, converter(f)) for f in fields]
    table = ops.quote_name(Item._meta.db_table)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    # Table and column names come from our model, quoted; every value is a parameter.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [tuple(fn(row[name]) for name, fn in convert) for row in rows])


def model_specs(workspace_ids: set[Any]) -> dict[Any, str | None]:
    """The sentiment model spec per workspace: its own trained model, else the default."""
    if not workspace_ids:
        return {}
    return {ws: f"linear:{path}" for ws, path in InboxProfile.objects.filter(
        workspace_id__in=workspace_ids).exclude(model_path="").values_list(
        "workspace_id", "model_path")}


def count_drops(drops: Counter[tuple[str, str, Any, str, str]], day: date | None = None) -> None:
    """Add the counters to today's DropCount rows (an increment, safe under concurrency)."""
    day = day or timezone.localdate()
    for (scope, step, org, reason, _), n in drops.items():
        rows = DropCount.objects.filter(scope=scope, day=day, step=step, reason=reason)
        if rows.update(count=F("count") + n):
            continue
        try:
            with transaction.atomic():
                DropCount.objects.create(scope=scope, organisation_id=org, day=day, step=step,
                                         reason=reason, count=n)
        except IntegrityError:  # another process created it first
            rows.update(count=F("count") + n)


def drop_unattributed(step: str, reason: str, detail: str = "") -> None:
    """Count a request no channel vouched for (unknown code, bad secret, unreadable body)."""
    log.warning("inbox webhook refused: %s/%s %s", step, reason, detail[:300])
    count_drops(Counter({("", step, None, reason, ""): 1}))


def count_channel_drop(channel: Channel, step: str, reason: str) -> None:
    """Count one event of ``channel`` that could not go through (outside a pipeline run)."""
    count_drops(Counter({(str(channel.pk), step, channel.organisation_id, reason, ""): 1}))
