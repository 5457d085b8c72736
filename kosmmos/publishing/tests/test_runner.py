"""The in-process runner puts due calls first and spreads a burst over the workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from kosmmos.content.models import PostTarget, TargetStatus
from kosmmos.publishing import engine, runner, tasks


def job(due: float) -> Any:
    return SimpleNamespace(due=due)


@pytest.fixture
def small_runner(settings, monkeypatch) -> Iterator[runner.Runner]:
    """A runner with two threads, installed as this process's runner."""
    from concurrent.futures import ThreadPoolExecutor

    settings.PUBLISH_THREADS = 2
    executor = ThreadPoolExecutor(2)
    monkeypatch.setattr(runner, "_pool", executor)
    made = runner.Runner()
    monkeypatch.setattr(runner, "_runner", made)
    yield made
    # The scheduler first: a call still waiting for its second must not reach a closed pool.
    made.stop(timeout=10)


def test_it_counts_calls_not_started_and_knows_when_it_is_behind(small_runner) -> None:
    release = threading.Event()
    finished: list[int] = []

    def work(_job: Any) -> None:
        release.wait(5)

    batch = runner.Batch(jobs=[job(time.time()) for _ in range(3)], work=work,
                         record=lambda: finished.append(1))
    small_runner.submit(batch)
    later = runner.Batch(jobs=[job(time.time() + 60)], work=work, record=lambda: None)
    small_runner.submit(later)
    deadline = time.monotonic() + 5
    while small_runner.backlog() != 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    # Two threads busy: one due call waits for a thread, one waits for its second.
    assert small_runner.backlog() == 2
    assert small_runner.behind()
    started = time.monotonic()
    runner.yield_to_publishing(0.2)  # gives up after at most 0.2 s
    assert 0.15 <= time.monotonic() - started < 1.0
    release.set()
    while small_runner.behind() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not small_runner.behind() and small_runner.backlog() == 1
    started = time.monotonic()
    runner.yield_to_publishing(5)  # nothing due: returns at once
    assert time.monotonic() - started < 0.1
    while not finished and time.monotonic() < deadline:
        time.sleep(0.01)
    assert finished == [1]


def test_it_yields_to_nothing_outside_a_publishing_worker(monkeypatch) -> None:
    monkeypatch.setattr(runner, "_runner", None)
    started = time.monotonic()
    runner.yield_to_publishing(5)
    assert time.monotonic() - started < 0.05
    assert runner.should_pass_on(["x"]) is False


@pytest.mark.django_db
def test_it_passes_on_a_batch_only_when_far_behind_and_the_batch_is_not_due(
        scheduled, small_runner, monkeypatch) -> None:
    _post, target = scheduled
    soon = timezone.now() + timedelta(seconds=5)
    PostTarget.objects.filter(pk=target.pk).update(status=TargetStatus.QUEUED,
                                                   next_attempt_at=soon)
    ids = [str(target.pk)]
    assert not runner.should_pass_on(ids)  # not behind
    monkeypatch.setattr(small_runner, "backlog", lambda: 2)  # a round of its 2 threads
    assert not runner.should_pass_on(ids)
    monkeypatch.setattr(small_runner, "backlog", lambda: 3)  # more than a round
    assert runner.should_pass_on(ids)
    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=timezone.now())
    assert not runner.should_pass_on(ids)  # due now: a hop would only make it later


@pytest.mark.django_db
def test_it_hops_a_batch_once_then_keeps_it(monkeypatch) -> None:
    sent: list[dict[str, Any]] = []
    published: list[list[str]] = []
    monkeypatch.setattr(runner, "should_pass_on", lambda ids: True)
    monkeypatch.setattr(tasks.publish_targets, "apply_async",
                        lambda args, kwargs: sent.append({"args": args, **kwargs}))
    monkeypatch.setattr(engine, "publish_batch", lambda ids, inline: published.append(ids))
    tasks.publish_targets(["a", "b"])
    assert sent == [{"args": [["a", "b"]], "hops": 1}] and published == []
    tasks.publish_targets(["a", "b"], hops=1)  # the other worker is behind too: it stays
    assert published == [["a", "b"]] and len(sent) == 1


def test_it_stops_the_scheduler_before_the_pool_and_hands_back_what_never_started(
        small_runner, monkeypatch) -> None:
    errors: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", errors.append)
    ran: list[int] = []
    handed: list[list[Any]] = []
    recorded: list[int] = []
    first, later = job(time.time()), job(time.time() + 60)
    batch = runner.Batch(jobs=[first, later], work=lambda j: ran.append(1),
                         record=lambda: recorded.append(1), hand_back=handed.append)
    small_runner.submit(batch)
    deadline = time.monotonic() + 5
    while not ran and time.monotonic() < deadline:
        time.sleep(0.01)
    assert small_runner.stop(timeout=10) == 1
    assert handed == [[later]] and ran == [1]
    assert recorded == [1]  # the call that ran is recorded before the runner ends
    assert not small_runner._scheduler.is_alive() and not small_runner._recording.is_alive()
    # A batch arriving while the worker stops goes straight back.
    late = runner.Batch(jobs=[job(time.time())], work=lambda j: ran.append(2),
                        record=lambda: recorded.append(2), hand_back=handed.append)
    small_runner.submit(late)
    assert handed[-1] == late.jobs and ran == [1] and recorded == [1]
    assert errors == []


@pytest.mark.django_db
def test_it_releases_a_stopping_workers_unstarted_posts_for_the_next_claim(
        scheduled, small_runner, net) -> None:
    from kosmmos.publishing import dispatch

    _post, target = scheduled
    soon = timezone.now() + timedelta(seconds=30)
    PostTarget.objects.filter(pk=target.pk).update(status=TargetStatus.QUEUED,
                                                   next_attempt_at=soon)
    assert engine.publish_batch([target.pk], inline=False) == 1
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHING and target.lease_owner
    assert small_runner.stop(timeout=10) == 1
    target.refresh_from_db()
    assert (target.status, target.lease_owner, target.lease_until) == (
        TargetStatus.SCHEDULED, "", None)
    assert target.next_attempt_at == soon  # still due at its second
    assert net.calls == [] and not any(net.posts.values())
    assert not target.attempt_rows.exists()  # nothing was tried, nothing recorded
    # Another worker's dispatcher claims it again at once (within the look-ahead).
    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=timezone.now())
    assert dispatch.dispatch_due() == 1


@pytest.mark.django_db
def test_it_hands_back_only_the_rows_its_claim_holds(world, channel, net) -> None:
    from kosmmos.publishing.leases import release
    from kosmmos.publishing.tests.conftest import make_post

    _p1, mine = make_post(world, channel, text="mine")
    _p2, theirs = make_post(world, channel, text="theirs")
    until = timezone.now() + timedelta(seconds=30)
    PostTarget.objects.filter(pk=mine.pk).update(status=TargetStatus.PUBLISHING,
                                                 lease_owner="me", lease_until=until)
    PostTarget.objects.filter(pk=theirs.pk).update(status=TargetStatus.PUBLISHING,
                                                   lease_owner="other", lease_until=until)
    assert release("me", TargetStatus.PUBLISHING, [mine.pk, theirs.pk],
                   status=TargetStatus.SCHEDULED) == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, mine.lease_owner) == (TargetStatus.SCHEDULED, "")
    assert (theirs.status, theirs.lease_owner) == (TargetStatus.PUBLISHING, "other")
