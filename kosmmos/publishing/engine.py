"""The publishing engine: claim a batch of targets, call the networks, record every try.

A Celery message carries a batch of target ids (dispatch.py). The task that gets it:

1. **claims** the rows still ``queued`` → ``publishing`` in one conditional UPDATE that stamps a
   fresh claim token in ``lease_owner``, then reads back the rows carrying the token: exactly the
   ones it won. A duplicated or redelivered message wins nothing and does nothing.
2. **waits** for each target's exact ``publish_at`` (the dispatcher looks a tick or two ahead;
   this is a short in-process wait bounded by that look-ahead, never a Celery ETA), and hands the
   network call to a thread pool (calls wait on the network, not on the CPU).
3. **keeps the lease** fresh while calls are in flight, and refuses to *send* on a lease about to
   run out: once the sweep has moved a row to ``reconciling`` nobody may send it again.
4. **records** all outcomes in one transaction: a PublishAttempt row per try, the target moved
   per the state machine in models.py (every UPDATE conditional on ``publishing`` + our token), a
   channel whose token was revoked marked ``needs_reauth``, and the posts' statuses rolled up (content/targets.py).

Reconciliation (after an unknown outcome or a lost worker) works the same way with
``connector.find()``: found → published (never re-sent), absent → scheduled, cannot tell →
needs_check.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from kosmmos.channels.models import Channel, ChannelStatus
from kosmmos.connectors.base import (
    AmbiguousOutcome,
    AuthRevoked,
    ConnectorError,
    Media,
    PublishedPost,
    PublishRequest,
    RateLimited,
)
from kosmmos.content.labels import text_for
from kosmmos.content.models import Post, PostEvent, PostMedia, PostTarget, PostVariant, TargetStatus
from kosmmos.content.targets import roll_up
from kosmmos.publishing.models import PublishAttempt

log = logging.getLogger(__name__)
Outcome = PublishAttempt.Outcome

# Tries within one claim: a 5xx from a network that promises "not acted" and short 429s are
# retried at once (the p99 lateness budget is a second), longer waits go back to the database.
TRIES = 3
PAUSES = (0.1, 0.4)
SHORT_RATE_LIMIT = 1.0
MAX_ATTEMPTS = 13
MAX_CHECKS = 6
# Never start a send with less lease than this left: the call must end before the sweep may
# declare us dead and someone else may look the post up.
SEND_MARGIN = 3.0
HEARTBEAT = 2.0
# After a timeout the network may need a moment before the post shows in its listings.
RECONCILE_DELAY = timedelta(seconds=1)
STATS_FIRST = timedelta(minutes=10)
# A connector that does not say how long its calls may take: connect + write + read timeouts of
# lib/http.py's default, with room for an upload chain's last step.
DEFAULT_CALL_SECONDS = 30.0

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@functools.cache
def process_space() -> str:
    """Which processes can see each other's pids: the same boot of the same kernel and the same
    pid namespace (containers on one host share the boot but not the namespace). "" where we
    cannot tell — then leases only end by running out."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        space = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return hashlib.blake2b(f"{boot}|{space}".encode(), digest_size=4).hexdigest()


def new_token() -> str:
    """``host:pid:space:random`` — whose claim this is, and whether we could see it die."""
    return f"{worker_name()}:{process_space() or '-'}:{uuid.uuid4().hex[:10]}"[-100:]


def owner_is_gone(token: str) -> bool:
    """True only when the token's process shared our pid space and no longer runs: a worker
    killed mid-batch need not wait for its lease to run out. Anything uncertain (another
    machine, an unreadable token, an old token format) answers False, leaving the lease."""
    parts = token.rsplit(":", 3)
    if len(parts) != 4 or not parts[1].isdigit() or not process_space() or (
            parts[2] != process_space()):
        return False
    pid = int(parts[1])
    if pid in (0, os.getpid()):  # kill(0, …) would ask about our process group instead
        return False
    try:
        # Signal 0 sends nothing: the kernel only says whether the pid exists. Unlike /proc
        # (psutil), it is not fooled by a /proc that hides other users' processes (hidepid).
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: another user's process, alive
        return False
    try:
        process = psutil.Process(pid)
        # Exited, not yet reaped. A process whose main thread ended while others run also
        # shows as a zombie — but with more than one thread; it is alive.
        return process.status() == psutil.STATUS_ZOMBIE and process.num_threads() <= 1
    except psutil.Error:  # hidden from our /proc, or reaped meanwhile: the lease decides
        return False


def call_grace(network: str) -> timedelta:
    """How long a call sent by a worker that died may still land on the network: its connector's
    longest call. Reconciling sooner could miss a post still on its way and send it twice."""
    from kosmmos.connectors.registry import connector_class

    return timedelta(seconds=float(getattr(connector_class(network), "max_call_seconds",
                                           DEFAULT_CALL_SECONDS)))


def lease() -> timedelta:
    return timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)


def pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(settings.PUBLISH_THREADS, thread_name_prefix="publish")
        return _pool


def backoff(attempts: int) -> timedelta:
    """2 s after the first round of tries (three 5xx in a row are mostly a blip, and a post is
    due now), then 10 s, doubling, at most an hour; with MAX_ATTEMPTS about a minute and a
    quarter of patience in all."""
    rounds = max(0, attempts // TRIES - 1)
    seconds = 2 if rounds == 0 else min(3600, 10 * 2 ** (rounds - 1))
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


# --- Claims ----------------------------------------------------------------------------------


def claim(
    queryset: models.QuerySet[PostTarget], from_status: str, limit: int,
    order: Sequence[str] = ("next_attempt_at",), **updates: Any,
) -> tuple[str, list[uuid.UUID]]:
    """Claim up to ``limit`` rows in ``from_status`` in order; returns (token, ids won).

    Like jobs/claims.py claim_batch (SKIP LOCKED on PostgreSQL; SQLite's IMMEDIATE transactions
    serialise writers), plus an order — the most overdue first — and one UPDATE for the batch.
    The token stamped in ``lease_owner`` makes the result exact on any database.
    """
    token = new_token()
    with transaction.atomic():
        pick = queryset.filter(status=from_status).order_by(*order).values_list("pk", flat=True)
        if settings.IS_POSTGRES:
            pick = pick.select_for_update(skip_locked=True)
        ids = list(pick[:limit])
        if not ids:
            return token, []
        PostTarget.objects.filter(pk__in=ids, status=from_status).update(
            lease_owner=token, **updates
        )
    won = PostTarget.objects.filter(pk__in=ids, lease_owner=token).values_list("pk", flat=True)
    return token, list(won)


# --- What one try looks like -------------------------------------------------------------------


@dataclass
class Try:
    number: int
    started_at: datetime
    duration_ms: int
    outcome: str
    error: str = ""
    post: PublishedPost | None = None
    retry_after: float = 0.0


@dataclass
class Job:
    """One target in a batch: what to send, to whom, and what happened."""

    target: PostTarget
    request: PublishRequest | None = None
    connector: Any = None
    problem: tuple[str, str] | None = None  # (outcome, error) found before any call
    tries: list[Try] = field(default_factory=list)
    due: float = 0.0  # when to make the call (epoch seconds); 0 = at once


class Lease:
    """The batch's lease, shared by the pool threads; the task thread keeps it fresh."""

    def __init__(self, until: datetime) -> None:
        self.until = until.timestamp()

    def left(self) -> float:
        return self.until - time.time()


def _describe(exc: BaseException) -> str:
    text = getattr(exc, "message", "") or str(exc) or type(exc).__name__
    return text[:2000]


def call_with_tries(job: Job, lease: Lease, action: Callable[[], Any], *, first: int,
                    tries: int = TRIES) -> None:
    """Run ``action`` (a network call) with the in-claim retries; appends a Try per call.

    Retried here only when the network promises it did not act (a plain transient
    ConnectorError, a short 429). An unknown outcome is never retried: it is reconciled.
    """
    for n in range(tries):
        number = first + len(job.tries)
        if lease.left() < SEND_MARGIN:
            job.tries.append(Try(number, timezone.now(), 0, Outcome.NOT_SENT,
                                 "The lease was about to run out; not sent."))
            return
        started, clock = timezone.now(), time.monotonic()

        def done(outcome: str, error: str = "", *, number: int = number, started: datetime = started,
                 clock: float = clock, **extra: Any) -> None:
            ms = int((time.monotonic() - clock) * 1000)
            job.tries.append(Try(number, started, ms, outcome, error, **extra))

        try:
            result = action()
        except RateLimited as exc:
            done(Outcome.RATE_LIMITED, _describe(exc), retry_after=float(exc.retry_after))
            if exc.retry_after > SHORT_RATE_LIMIT or n == tries - 1:
                return
            time.sleep(max(0.05, float(exc.retry_after)))
            continue
        except AuthRevoked as exc:
            done(Outcome.AUTH, _describe(exc))
            return
        except AmbiguousOutcome as exc:
            done(Outcome.AMBIGUOUS, _describe(exc))
            return
        except ConnectorError as exc:
            if exc.permanent:
                done(Outcome.PERMANENT, _describe(exc))
                return
            done(Outcome.TRANSIENT, _describe(exc))
            if n < tries - 1:
                time.sleep(PAUSES[min(n, len(PAUSES) - 1)] * random.uniform(0.8, 1.2))
            continue
        except Exception as exc:  # a bug or an unexpected answer: it may have been sent
            log.exception("connector call failed unexpectedly")
            done(Outcome.AMBIGUOUS, f"{type(exc).__name__}: {_describe(exc)}")
            return
        done(Outcome.PUBLISHED, post=result if isinstance(result, PublishedPost) else None)
        return


def run_in_pool(jobs: list[Job], work: Callable[[Job], None], lease: Lease,
                heartbeat: Callable[[], None]) -> None:
    """Start each job at its due time (in order), then wait for all, keeping the lease fresh."""
    futures: list[Future[None]] = []
    executor = pool()
    for job in sorted(jobs, key=lambda j: j.due):
        delay = job.due - time.time()
        if delay > 0:
            # Bounded by the dispatcher's look-ahead: the batch was claimed just before.
            time.sleep(min(delay, settings.PUBLISH_LOOKAHEAD_SECONDS + 1))
        futures.append(executor.submit(work, job))
    pending = set(futures)
    while pending:
        _, pending = wait(pending, timeout=HEARTBEAT)
        if pending:
            heartbeat()
    for future in futures:
        future.result()  # work() records failures itself; this surfaces bugs


# --- Building the request ----------------------------------------------------------------------


def load(token: str, status: str) -> list[PostTarget]:
    """The rows this claim won, with their posts, channels, variants and media."""
    targets = list(
        PostTarget.objects.filter(lease_owner=token, status=status)
        .select_related("post", "post__workspace", "channel")
    )
    post_ids = {t.post_id for t in targets}
    variants: dict[uuid.UUID, dict[str, str]] = {pid: {} for pid in post_ids}
    for v in PostVariant.objects.filter(post_id__in=post_ids).only("post_id", "network", "text"):
        variants[v.post_id][v.network] = v.text
    media: dict[uuid.UUID, list[Media]] = {pid: [] for pid in post_ids}
    for pm in (PostMedia.objects.filter(post_id__in=post_ids).select_related("media")
               .order_by("post_id", "position")):
        item = pm.media
        media[pm.post_id].append(Media(kind=item.kind, path=item.file.path, mime=item.mime,
                                       name=item.name))
    for t in targets:
        t.post.variant_texts = variants[t.post_id]  # type: ignore[attr-defined]
        t.post.media_list = media[t.post_id]  # type: ignore[attr-defined]
    return targets


def build_request(target: PostTarget, text: str | None = None) -> PublishRequest:
    post = target.post
    if text is None:
        text = tracked_text(post, target.channel.network)
    return PublishRequest(
        key=target.key,
        text=text,
        media=tuple(getattr(post, "media_list", ())),
        is_ad=post.is_ad, erid=post.erid, advertiser=post.advertiser,
        publish_at=target.publish_at,
    )


def tracked_text(post: Post, network: str) -> str:
    """What is sent: the network's text with every link wrapped in a tracked short link, so each
    click is attributed to this post, channel and network (idempotent: a retry sends the same)."""
    from kosmmos.links.actions import wrap_links

    return wrap_links(text_for(post, network), workspace=post.workspace, network=network,
                      post_ref=str(post.pk))


def prepare(target: PostTarget, text: str | None = None) -> Job:
    job = Job(target=target)
    if target.channel.status != ChannelStatus.ACTIVE:
        job.problem = (Outcome.AUTH, target.channel.last_error
                       or f"The channel is {target.channel.get_status_display().lower()}.")
        return job
    try:
        job.request = build_request(target, text)
        job.connector = target.channel.connector()
    except AuthRevoked as exc:
        job.problem = (Outcome.AUTH, _describe(exc))
    except Exception as exc:  # missing credentials, a key that no longer decrypts, …
        job.problem = (Outcome.PERMANENT, f"{type(exc).__name__}: {_describe(exc)}")
    return job


# --- Publishing ----------------------------------------------------------------------------------


def _go(jobs: list[Job], work: Callable[[Job], None], box: Lease, record: Callable[[], None],
        heartbeat: Callable[[], None], inline: bool) -> int:
    """Run the batch here (tests, eager tasks) or hand it to the worker's runner (runner.py)."""
    if inline:
        run_in_pool(jobs, work, box, heartbeat)
        record()
    else:
        from kosmmos.publishing.runner import Batch, runner

        runner().submit(Batch(jobs=list(jobs), work=work, record=record, heartbeat=heartbeat))
    return len(jobs)


def publish_batch(ids: Iterable[Any], *, inline: bool = True) -> int:
    """Publish the targets of one message; returns how many this call won."""
    ids = [uuid.UUID(str(i)) for i in ids]
    token = new_token()
    now = timezone.now()
    due = PostTarget.objects.filter(pk__in=ids, status=TargetStatus.QUEUED).values_list(
        "next_attempt_at", flat=True)
    latest = max([d for d in due if d] or [now])
    won = PostTarget.objects.filter(pk__in=ids, status=TargetStatus.QUEUED).update(
        status=TargetStatus.PUBLISHING, lease_owner=token,
        lease_until=max(now, latest) + lease(),
    )
    if not won:
        return 0  # a duplicate message, or the rows moved on (unscheduled, swept)
    jobs = [prepare(t) for t in load(token, TargetStatus.PUBLISHING)]
    for job in jobs:
        # Claimed up to a look-ahead early: the call waits for the post's exact second.
        at = job.target.next_attempt_at
        job.due = at.timestamp() if at else 0.0
    lease_box = Lease(max(now, latest) + lease())

    def work(job: Job) -> None:
        if job.problem:
            outcome, error = job.problem
            job.tries.append(Try(job.target.attempts + 1, timezone.now(), 0, outcome, error))
            return
        assert job.request is not None
        call_with_tries(job, lease_box, lambda: job.connector.publish(job.request),
                        first=job.target.attempts + 1)

    return _go(jobs, work, lease_box, lambda: record_publish(token, jobs),
               lambda: _extend(token, lease_box), inline)


def _extend(token: str, box: Lease) -> None:
    """Keep the lease of calls in flight; never shortens one (a batch claimed ahead)."""
    until = timezone.now() + lease()
    PostTarget.objects.filter(lease_owner=token, status=TargetStatus.PUBLISHING,
                              lease_until__lt=until).update(lease_until=until)
    box.until = max(box.until, until.timestamp())


def record_publish(token: str, jobs: list[Job]) -> None:
    now = timezone.now()
    worker = worker_name()
    with transaction.atomic():
        rows, events, reauth = [], [], {}
        for job in jobs:
            t = job.target
            rows += _attempt_rows(t, job.tries, "publish", worker)
            last = job.tries[-1]
            attempts = min(32000, t.attempts + sum(1 for x in job.tries
                                                   if x.outcome != Outcome.NOT_SENT))
            sent = job.request.text if job.request else ""
            mine = PostTarget.objects.filter(pk=t.pk, status=TargetStatus.PUBLISHING,
                                             lease_owner=token)
            common: dict[str, Any] = {"lease_owner": "", "lease_until": None,
                                      "attempts": attempts, "sent_text": sent}
            if last.outcome == Outcome.PUBLISHED and last.post is not None:
                if mine.update(**common, **_published_fields(last.post, now)):
                    events.append(_event(t, "published", last.post.url))
            elif last.outcome == Outcome.AMBIGUOUS:
                mine.update(**common, status=TargetStatus.RECONCILING, last_error=last.error,
                            next_attempt_at=now + RECONCILE_DELAY, checks=0)
            elif last.outcome == Outcome.RATE_LIMITED:
                mine.update(**common, status=TargetStatus.SCHEDULED, last_error=last.error,
                            next_attempt_at=now + timedelta(seconds=last.retry_after))
            elif last.outcome == Outcome.NOT_SENT:
                mine.update(**common, status=TargetStatus.SCHEDULED, next_attempt_at=now)
            elif last.outcome == Outcome.TRANSIENT and attempts < MAX_ATTEMPTS:
                mine.update(**common, status=TargetStatus.SCHEDULED, last_error=last.error,
                            next_attempt_at=now + backoff(attempts))
            else:  # permanent, auth, or out of attempts
                if mine.update(**common, status=TargetStatus.FAILED, last_error=last.error):
                    events.append(_event(t, "publish_failed", last.error))
                if last.outcome == Outcome.AUTH:
                    reauth[t.channel_id] = last.error
        PublishAttempt.objects.bulk_create(rows)
        PostEvent.objects.bulk_create(events)
        mark_needs_reauth(reauth)
        roll_up({job.target.post_id for job in jobs})


def _published_fields(post: PublishedPost, now: datetime) -> dict[str, Any]:
    return {
        "status": TargetStatus.PUBLISHED, "external_id": post.external_id[:100],
        "url": post.url[:500], "published_at": post.published_at or now, "last_error": "",
        "next_stats_at": now + STATS_FIRST,
    }


def _attempt_rows(t: PostTarget, tries: list[Try], action: str, worker: str) -> list[Any]:
    return [PublishAttempt(target_id=t.pk, number=x.number, action=action,
                           started_at=x.started_at, duration_ms=x.duration_ms,
                           outcome=x.outcome, error=x.error, worker=worker[:100])
            for x in tries]


def _event(t: PostTarget, kind: str, text: str) -> PostEvent:
    return PostEvent(post_id=t.post_id, kind=kind, text=f"{t.channel.name}: {text}"[:2000])


def mark_needs_reauth(channels: dict[Any, str]) -> None:
    """A revoked token: the channel waits for a person (STYLE §3); conditional, so a channel a
    person has just reconnected is not flipped back by an old failure."""
    for channel_id, error in channels.items():
        Channel.objects.filter(pk=channel_id, status=ChannelStatus.ACTIVE).update(
            status=ChannelStatus.NEEDS_REAUTH, last_error=error)


# --- Reconciliation ------------------------------------------------------------------------------


def reconcile_batch(ids: Iterable[Any], dispatch_token: str, *, inline: bool = True) -> int:
    """Look up the targets the dispatcher claimed for reconciliation with ``dispatch_token``.

    The task takes them over with its own token first, so a duplicated message finds nothing.
    """
    token = new_token()
    if not PostTarget.objects.filter(
        pk__in=[uuid.UUID(str(i)) for i in ids], status=TargetStatus.RECONCILING,
        lease_owner=dispatch_token,
    ).update(lease_owner=token):
        return 0
    targets = load(token, TargetStatus.RECONCILING)
    if not targets:
        return 0
    jobs = [prepare(t, text=t.sent_text or None) for t in targets]
    box = Lease(timezone.now() + lease())

    def work(job: Job) -> None:
        if job.problem:
            outcome, error = job.problem
            job.tries.append(Try(job.target.attempts, timezone.now(), 0, outcome, error))
            return
        started, clock = timezone.now(), time.monotonic()
        try:
            found = job.connector.find(job.request)
            outcome, error, post = (Outcome.RECONCILED, "", found) if found else (
                Outcome.ABSENT, "", None)
        except AmbiguousOutcome as exc:  # the network cannot tell (Telegram Bot API)
            outcome, error, post = Outcome.AMBIGUOUS, _describe(exc), None
        except RateLimited as exc:
            outcome, error, post = Outcome.RATE_LIMITED, _describe(exc), None
        except AuthRevoked as exc:
            outcome, error, post = Outcome.AUTH, _describe(exc), None
        except ConnectorError as exc:
            outcome = Outcome.PERMANENT if exc.permanent else Outcome.TRANSIENT
            error, post = _describe(exc), None
        except Exception as exc:
            log.exception("find() failed unexpectedly")
            outcome, error, post = Outcome.TRANSIENT, f"{type(exc).__name__}: {_describe(exc)}", None
        job.tries.append(Try(job.target.attempts, started,
                             int((time.monotonic() - clock) * 1000), outcome, error, post))

    return _go(jobs, work, box, lambda: record_reconcile(token, jobs), lambda: None, inline)


def _kick() -> None:
    from kosmmos.publishing.dispatch import kick

    kick()


def record_reconcile(token: str, jobs: list[Job]) -> None:
    now = timezone.now()
    worker = worker_name()
    again = 0
    with transaction.atomic():
        rows, events, reauth = [], [], {}
        for job in jobs:
            t = job.target
            rows += _attempt_rows(t, job.tries, "find", worker)
            last = job.tries[-1]
            mine = PostTarget.objects.filter(pk=t.pk, status=TargetStatus.RECONCILING,
                                             lease_owner=token)
            common = {"lease_owner": "", "checks": t.checks + 1}
            if last.outcome == Outcome.RECONCILED and last.post is not None:
                if mine.update(**common, **_published_fields(last.post, now)):
                    events.append(_event(t, "published", last.post.url))
            elif last.outcome == Outcome.ABSENT:
                # Surely not there: publishing again cannot double it — at once.
                again += mine.update(**common, status=TargetStatus.SCHEDULED,
                                     next_attempt_at=now)
            elif last.outcome in (Outcome.TRANSIENT, Outcome.RATE_LIMITED) and (
                    t.checks + 1 < MAX_CHECKS):
                wait_for = max(timedelta(seconds=last.retry_after), backoff(TRIES * (t.checks + 1)))
                mine.update(**common, last_error=last.error, next_attempt_at=now + wait_for)
            else:  # cannot tell, gave up, or cannot ask: a person decides
                error = last.error or "The network could not say whether the post is there."
                if mine.update(**common, status=TargetStatus.NEEDS_CHECK, last_error=error):
                    events.append(_event(t, "needs_check", error))
                if last.outcome == Outcome.AUTH:
                    reauth[t.channel_id] = last.error
        PublishAttempt.objects.bulk_create(rows)
        PostEvent.objects.bulk_create(events)
        mark_needs_reauth(reauth)
        roll_up({job.target.post_id for job in jobs})
        if again:
            transaction.on_commit(_kick)
