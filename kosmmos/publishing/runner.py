"""The in-process runner: lets a publishing task return at once instead of holding a Celery
thread while it waits for the exact second and for the network.

The task claims its batch (the database now says *publishing*, with a lease) and hands the
batch here. A scheduler thread starts each call at its due time on the worker's thread pool; when
the batch's last call is done, a recorder thread writes the outcomes (one transaction per batch)
and, meanwhile, keeps the leases of batches in flight fresh.

Nothing here is the truth: if the process dies, the rows stay *publishing*, their lease runs
out (or the sweep sees the process gone), and the sweep hands them to reconciliation
(reconcile.py) — looked up, never re-sent blindly.

When the worker stops (``shutdown``, on Celery's worker_shutdown), the scheduler stops first, so
it never hands a call to a pool that is shutting down; calls not started yet go back to the
database at once (each batch's ``hand_back``: lease released, due again) for another worker to
take, calls in flight end, and the batches they finish are recorded before the process exits.

Publishing comes first in a worker: while calls are due and not yet started, the other work of
the process (recording finished batches, other Celery tasks, the slow ticker lane) waits a
moment (``yield_to_publishing``), since under the GIL every thread's Python runs on one core.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from kosmmos.content.models import PostTarget, TargetStatus
from kosmmos.lib import http

log = logging.getLogger(__name__)

# How long other work waits for due calls to start; recording may wait longest (the lease is
# kept fresh meanwhile), Celery tasks and dispatchers less.
RECORD_DEFER = 1.0
# A batch passed to another worker travels through the broker (the file queue polls every
# 0.2 s): only worth it with this much time left before its first call.
PASS_ON_MIN_LEAD = 0.6
# How often a batch run here keeps its lease fresh while its calls are in flight.
HEARTBEAT = 2.0

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def pool() -> ThreadPoolExecutor:
    """The worker's threads for network calls (they wait on the network, not on the CPU)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(settings.PUBLISH_THREADS, thread_name_prefix="publish")
        return _pool


@dataclass
class Batch:
    jobs: list[Any]
    work: Callable[[Any], None]
    record: Callable[[], None]
    heartbeat: Callable[[], None] = lambda: None
    # Given the jobs never started when the worker stops: release their rows (the claim's token
    # and lease) so another worker takes them at once.
    hand_back: Callable[[list[Any]], None] = lambda jobs: None
    left: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Runner:
    def __init__(self) -> None:
        self.pool = pool()
        self._heap: list[tuple[float, int, Any, Batch]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._done: queue.Queue[Batch] = queue.Queue()
        self._flying: set[int] = set()
        self._batches: dict[int, Batch] = {}
        self._guard = threading.Lock()
        self._in_pool = 0  # handed to the pool, not started yet
        self._stopping = False
        self._scheduler = threading.Thread(target=self._schedule, name="publish-scheduler",
                                           daemon=True)
        self._recording = threading.Thread(target=self._recorder, name="publish-recorder",
                                           daemon=True)
        self._scheduler.start()
        self._recording.start()

    def submit(self, batch: Batch) -> None:
        if not batch.jobs:
            return
        batch.left = len(batch.jobs)
        with self._wake:
            stopping = self._stopping
        if stopping:  # the worker is stopping: another one takes it
            _hand_back(batch, list(batch.jobs))
            return
        with self._guard:
            self._batches[id(batch)] = batch
        with self._wake:
            for job in batch.jobs:
                heapq.heappush(self._heap, (job.due, next(self._seq), job, batch))
            self._wake.notify()

    def backlog(self) -> int:
        """Calls accepted and not started yet (waiting for their second or for a thread)."""
        with self._wake:
            return len(self._heap) + self._in_pool

    def behind(self) -> bool:
        """Calls are due now and not started: the threads are busy, or the GIL is."""
        with self._wake:
            return self._in_pool > 0 or bool(self._heap and self._heap[0][0] <= time.time())

    def stop(self, timeout: float = 60.0) -> int:
        """Stop the scheduler, hand the calls not started back, let the calls in flight end on
        the pool, then record what they finished. Returns how many calls were handed back."""
        with self._wake:
            self._stopping = True
            pending, self._heap = self._heap, []
            self._wake.notify_all()
        self._scheduler.join(timeout)
        unstarted: dict[int, tuple[Batch, list[Any]]] = {}
        for _due, _n, job, batch in pending:
            unstarted.setdefault(id(batch), (batch, []))[1].append(job)
        for batch, jobs in unstarted.values():
            _hand_back(batch, jobs)
            with batch.lock:
                batch.left -= len(jobs)
                finished = batch.left == 0 and len(jobs) < len(batch.jobs)
            with self._guard:
                if batch.left == 0 and not finished:
                    self._batches.pop(id(batch), None)  # nothing ran: nothing to record
            if finished:
                self._done.put(batch)
        self.pool.shutdown(wait=True)  # the calls in flight end (bounded by their timeouts)
        self._recording.join(timeout)  # the recorder writes what is left, then ends
        return sum(len(jobs) for _batch, jobs in unstarted.values())

    def _schedule(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and (not self._heap or self._heap[0][0] > time.time()):
                    timeout = self._heap[0][0] - time.time() if self._heap else None
                    self._wake.wait(timeout)
                if self._stopping:
                    return
                _due, _n, job, batch = heapq.heappop(self._heap)
                self._in_pool += 1
            self.pool.submit(self._run, job, batch)

    def _run(self, job: Any, batch: Batch) -> None:
        with self._wake:
            self._in_pool -= 1
        try:
            batch.work(job)
        except Exception:  # work() records failures itself; a bug must not stall the batch
            log.exception("publishing job failed")
        finally:
            with batch.lock:
                batch.left -= 1
                finished = batch.left == 0
            if finished:
                self._done.put(batch)

    def pool_idle(self) -> bool:
        """Stopping, and no batch is waiting for a call: nothing is left to record."""
        with self._guard:
            return not self._batches

    def _recorder(self) -> None:
        last_beat = time.monotonic()
        while True:
            try:
                batch = self._done.get(timeout=1.0)
            except queue.Empty:
                batch = None
                if self._stopping and self.pool_idle():
                    return
            close_old_connections()
            if batch is not None:
                # The outcomes are in memory and the lease is kept below: due calls go first.
                yield_to_publishing(RECORD_DEFER)
                with self._guard:
                    self._batches.pop(id(batch), None)
                try:
                    batch.record()
                except Exception:  # the lease runs out and reconciliation takes over
                    log.exception("could not record a publishing batch")
            if time.monotonic() - last_beat >= HEARTBEAT:
                last_beat = time.monotonic()
                with self._guard:
                    flying = list(self._batches.values())
                for b in flying:
                    try:
                        b.heartbeat()
                    except Exception:
                        log.exception("could not extend a lease")


_runner: Runner | None = None
_lock = threading.Lock()


def _hand_back(batch: Batch, jobs: list[Any]) -> None:
    try:
        batch.hand_back(jobs)
    except Exception:  # their lease runs out and the sweep takes over
        log.exception("could not hand back %d publishing jobs", len(jobs))


def shutdown(timeout: float = 60.0) -> int:
    """The worker stops: stop this process's runner (scheduler first) and then its pool; returns
    how many calls were handed back. Connected to Celery's worker_shutdown (tasks.py)."""
    global _runner, _pool
    with _lock:
        stopping, _runner = _runner, None
    handed = stopping.stop(timeout) if stopping is not None else 0
    with _pool_lock:
        executor, _pool = _pool, None
    if executor is not None:
        executor.shutdown(wait=True)
    return handed


def runner() -> Runner:
    global _runner
    with _lock:
        if _runner is None:
            _runner = Runner()
        return _runner


def run_in_pool(jobs: list[Any], work: Callable[[Any], None],
                heartbeat: Callable[[], None]) -> None:
    """Start each job at its due time (in order) on the pool, then wait for all, keeping the
    lease fresh: a batch run to the end by its caller (tests, eager tasks, edits)."""
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


def start(batch: Batch, *, inline: bool) -> int:
    """Run the batch here and record it (``inline``: tests, eager tasks), or hand it to this
    worker's runner and return at once; returns how many jobs it has."""
    if inline:
        run_in_pool(batch.jobs, batch.work, batch.heartbeat)
        batch.record()
    else:
        runner().submit(batch)
    return len(batch.jobs)


def yield_to_publishing(at_most: float) -> None:
    """Wait (up to ``at_most`` seconds) while this process has due publishing calls not yet
    started. A no-op outside publishing workers (no runner)."""
    if _runner is None:
        return
    deadline = time.monotonic() + at_most
    while _runner.behind() and time.monotonic() < deadline:
        time.sleep(0.01)


def should_pass_on(target_ids: list[str]) -> bool:
    """This worker is more than a round of its threads behind, and the batch's first call is
    still far enough off for another worker to take it (a hop through the broker)."""
    if _runner is None or _runner.backlog() <= settings.PUBLISH_THREADS:
        return False
    first = (PostTarget.objects.filter(pk__in=target_ids, status=TargetStatus.QUEUED)
             .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first())
    return first is not None and (first - timezone.now()).total_seconds() > PASS_ON_MIN_LEAD


def warm_up() -> None:
    """Start the pool's threads and their HTTP clients before the first burst needs them."""
    count = settings.PUBLISH_THREADS
    barrier = threading.Barrier(count + 1)

    def ready() -> None:
        http.client()
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=20)

    for _ in range(count):
        pool().submit(ready)
    try:
        barrier.wait(timeout=20)
    except threading.BrokenBarrierError:
        log.warning("the publishing pool did not warm up in time")
    runner()
