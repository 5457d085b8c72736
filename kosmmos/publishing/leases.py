"""Who holds a post target, and until when: claim tokens and leases.

A claim (the dispatcher's, on jobs/queue.py's RowQueue, or a task's taking its batch over)
stamps a fresh token in ``lease_owner`` with a conditional UPDATE; every later write of the
holder is conditional on that token, so a row someone else took over is never written twice.
The token says whose claim it is (``host:pid:space:random``): the sweep (dispatch.py) can tell a
worker on this machine that died and hand its rows on without waiting for the lease to run out.
"""

from __future__ import annotations

import functools
import hashlib
import os
import socket
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from django.conf import settings
from django.utils import timezone

from kosmmos.connectors.registry import connector_class
from kosmmos.content.models import PostTarget

# Never start a send with less lease than this left: the call must end before the sweep may
# declare us dead and someone else may look the post up.
SEND_MARGIN = 3.0
# A connector that does not say how long its calls may take: connect + write + read timeouts of
# lib/http.py's default, with room for an upload chain's last step.
DEFAULT_CALL_SECONDS = 30.0


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
    return timedelta(seconds=float(getattr(connector_class(network), "max_call_seconds",
                                           DEFAULT_CALL_SECONDS)))


def lease() -> timedelta:
    return timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)


class Lease:
    """A batch's lease, shared by the pool threads; the holder keeps it fresh."""

    def __init__(self, until: datetime) -> None:
        self.until = until.timestamp()

    def left(self) -> float:
        return self.until - time.time()


def extend(token: str, status: str, box: Lease) -> None:
    """Keep the lease of calls in flight; never shortens one (a batch claimed ahead)."""
    until = timezone.now() + lease()
    PostTarget.objects.filter(lease_owner=token, status=status,
                              lease_until__lt=until).update(lease_until=until)
    box.until = max(box.until, until.timestamp())



def release(token: str, held_in: str, pks: list[Any], **fields: Any) -> int:
    """Give back rows claimed with ``token`` on which nothing was done (a stopping worker's
    calls not started) in status ``held_in``: the claim and its lease go, ``fields`` are written, and the next claim
    (any worker's) may take them at once. Conditional on the token: rows taken over are kept."""
    return PostTarget.objects.filter(pk__in=pks, lease_owner=token, status=held_in).update(
        lease_owner="", lease_until=None, **fields)
