"""What several benches share: a free port, ``kosmmos`` commands as child processes, and the
path a child needs to import ``benches`` itself."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

# The checkout holding this folder: a child process that imports ``benches`` needs it on its path.
ROOT = Path(__file__).resolve().parents[1]


def with_root_on_path(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the checkout first on PYTHONPATH, for children that import ``benches``."""
    paths = [str(ROOT), *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p)]
    return {**env, "PYTHONPATH": os.pathsep.join(paths)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kosmmos(*args: str, env: dict[str, str]) -> None:
    """``kosmmos <args>`` to completion, its output dropped; raises if it fails."""
    subprocess.run([sys.executable, "-m", "kosmmos.cli", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def wait_healthy(url: str, timeout: float) -> float:
    """Polls ``url`` until it answers 200; returns that moment (time.monotonic)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return time.monotonic()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer 200 within {timeout} s")


def stop_all(procs: list[subprocess.Popen[Any]], log: IO[Any], var: str, keep: bool) -> None:
    """A bench's clean-up: every process group it started stopped (newest first, SIGKILL after
    30 s), its log closed, its var/ removed unless ``--keep``."""
    for proc in reversed(procs):
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    log.close()
    if not keep:
        shutil.rmtree(var, ignore_errors=True)
