"""A worker seen dead hands its posts over at once — but never before a call of its could land."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from kosmmos.content.models import PostTarget, TargetStatus
from kosmmos.publishing import dispatch, leases, tries
from kosmmos.publishing.models import PublishAttempt
from kosmmos.publishing.tests import fakes
from kosmmos.publishing.tests.fakes import FakeNetwork

Outcome = PublishAttempt.Outcome
GRACE = 2.0

pytestmark = pytest.mark.skipif(not leases.process_space(), reason="needs Linux /proc")


@pytest.fixture(autouse=True)
def grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fakes.FakeConnector, "max_call_seconds", GRACE, raising=False)


def token_of(pid: int, space: str | None = None) -> str:
    return f"{leases.socket.gethostname()}:{pid}:{space or leases.process_space()}:abc123"


@pytest.fixture
def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: the pid no longer exists
    return child.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield child.pid
    child.kill()
    child.wait()


def held_by(target: PostTarget, token: str, status: str = TargetStatus.PUBLISHING) -> None:
    """A worker claimed the target; its lease has ten minutes to go."""
    PostTarget.objects.filter(pk=target.pk).update(
        status=status, lease_owner=token, lease_until=timezone.now() + timedelta(minutes=10),
        next_attempt_at=timezone.now() + timedelta(minutes=10))


@pytest.mark.django_db
def test_it_hands_a_gone_workers_post_to_reconciliation_after_the_call_grace(
        scheduled, net: FakeNetwork, dead_pid: int) -> None:
    _post, target = scheduled
    token = token_of(dead_pid)
    held_by(target, token)
    before = timezone.now()
    assert dispatch.sweep_stuck() == 1
    target.refresh_from_db()
    assert target.status == TargetStatus.RECONCILING and target.lease_owner == ""
    # Not at once: a call the worker made just before dying may still land on the network.
    wait = (target.next_attempt_at - before).total_seconds()
    assert GRACE <= wait < GRACE + 1
    assert dispatch.dispatch_reconcile() == 0
    swept = PublishAttempt.objects.get(target=target)
    assert (swept.outcome, swept.worker) == (Outcome.LEASE_EXPIRED, token[:100])
    # After the grace: looked up, absent, published once.
    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=timezone.now())
    dispatch.dispatch_reconcile()
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED and net.count(target.key) == 1
    assert [c[0] for c in net.calls] == ["find", "publish"]


@pytest.mark.django_db
def test_it_finds_instead_of_resending_what_a_gone_worker_sent(
        scheduled, net: FakeNetwork, dead_pid: int) -> None:
    _post, target = scheduled
    net.store(tries.build_request(PostTarget.objects.select_related("post", "channel")
                                   .get(pk=target.pk)))  # it got the post out before dying
    held_by(target, token_of(dead_pid))
    dispatch.sweep_stuck()
    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=timezone.now())
    dispatch.dispatch_reconcile()
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED and net.count(target.key) == 1
    assert [c[0] for c in net.calls] == ["find"]


@pytest.mark.django_db
def test_it_leaves_the_lease_of_a_live_or_unknown_worker(
        scheduled, net: FakeNetwork, live_pid: int, dead_pid: int) -> None:
    _post, target = scheduled
    for token in (token_of(live_pid),  # alive
                  token_of(dead_pid, space="ffffffff"),  # another machine or container
                  f"other-host:{dead_pid}:abc123",  # a token from before liveness
                  token_of(leases.os.getpid())):  # ourselves
        held_by(target, token)
        assert not leases.owner_is_gone(token)
        assert dispatch.sweep_stuck() == 0, token
        target.refresh_from_db()
        assert target.status == TargetStatus.PUBLISHING and target.lease_owner == token
    assert net.calls == []


@pytest.mark.django_db
def test_it_sees_a_killed_but_unreaped_worker_as_gone(scheduled, net: FakeNetwork) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    child.kill()
    try:
        # Until its parent (the supervisor) reaps it, a killed child is a zombie, not gone.
        import psutil

        for _ in range(100):
            if psutil.Process(child.pid).status() == psutil.STATUS_ZOMBIE:
                break
            import time

            time.sleep(0.01)
        assert leases.owner_is_gone(token_of(child.pid))
    finally:
        child.wait()


@pytest.mark.django_db
def test_it_restarts_the_lookups_of_a_gone_reconciler_at_once(
        scheduled, net: FakeNetwork, dead_pid: int) -> None:
    _post, target = scheduled
    held_by(target, token_of(dead_pid), status=TargetStatus.RECONCILING)
    dispatch.sweep_stuck()
    target.refresh_from_db()
    assert target.lease_owner == "" and target.next_attempt_at <= timezone.now()
    dispatch.dispatch_reconcile()
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED and net.count(target.key) == 1


def test_it_stamps_claims_with_the_process_and_its_pid_space() -> None:
    host, pid, space, rest = leases.new_token().rsplit(":", 3)
    assert pid == str(leases.os.getpid()) and space == leases.process_space() and rest
    assert host == leases.socket.gethostname()[-len(host):]


def test_it_leaves_a_live_worker_alone_when_proc_hides_it(
        live_pid: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc mounted with hidepid=2 (or systemd's ProtectProc=invisible) hides another user's
    processes: psutil then says "no such process" of a worker that is alive and sending."""
    import psutil

    def hidden(pid: int) -> None:
        raise psutil.NoSuchProcess(pid)

    monkeypatch.setattr(leases.psutil, "Process", hidden)
    assert not leases.owner_is_gone(token_of(live_pid))


def test_it_takes_a_zombie_looking_process_with_live_threads_for_alive(
        live_pid: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process whose main thread ended while others run shows as a zombie with threads."""
    import psutil

    class Looks:
        threads = 3

        def __init__(self, pid: int) -> None:
            self.pid = pid

        def status(self) -> str:
            return psutil.STATUS_ZOMBIE

        def num_threads(self) -> int:
            return Looks.threads

    monkeypatch.setattr(leases.psutil, "Process", Looks)
    assert not leases.owner_is_gone(token_of(live_pid))
    Looks.threads = 1  # exited, not yet reaped
    assert leases.owner_is_gone(token_of(live_pid))


@pytest.mark.django_db
def test_it_never_shortens_a_lease_when_it_keeps_one_fresh(scheduled) -> None:
    _post, target = scheduled
    ahead = timezone.now() + timedelta(minutes=10)  # a batch claimed well ahead
    PostTarget.objects.filter(pk=target.pk).update(status=TargetStatus.PUBLISHING,
                                                   lease_owner="tok", lease_until=ahead)
    box = leases.Lease(ahead)
    leases.extend("tok", TargetStatus.PUBLISHING, box)
    target.refresh_from_db()
    assert target.lease_until == ahead and box.until == ahead.timestamp()
    soon = timezone.now() + timedelta(seconds=1)
    PostTarget.objects.filter(pk=target.pk).update(lease_until=soon)
    leases.extend("tok", TargetStatus.PUBLISHING, leases.Lease(soon))
    target.refresh_from_db()
    assert target.lease_until > soon + timedelta(seconds=5)  # kept fresh: a lease ahead
