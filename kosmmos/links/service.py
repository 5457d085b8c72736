"""``kosmmos redirect``: the redirect server (granian, ASGI, raw app) and its flusher process.

Stop order matters for "nothing lost on a graceful stop": on SIGTERM/SIGINT the web server stops
first (granian finishes in-flight requests; the app seals its spool file), then the flusher is
told to stop, drains every spool file to the end and exits. A child that dies is restarted.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time


def commands(host: str, port: int) -> dict[str, list[str]]:
    return {
        "redirect-web": [
            sys.executable, "-m", "granian", "--interface", "asgi", "kosmmos.links.redirect:app",
            "--host", host, "--port", str(port), "--workers", "1", "--no-ws", "--http", "1",
            "--log-level", "warning",
        ],
        "flusher": [sys.executable, "-m", "kosmmos.links.flusher"],
    }


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kosmmos redirect")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=8001)
    opts = parser.parse_args(argv)
    cmds = commands(opts.host, opts.port)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    def start(name: str) -> subprocess.Popen[bytes]:
        # Own sessions: a Ctrl-C reaches only us, and we stop the children in order.
        return subprocess.Popen(cmds[name], start_new_session=True)

    for name in ("flusher", "redirect-web"):
        procs[name] = start(name)
    print(f"Kosmmos short links at http://{opts.host}:{opts.port}/<code>", flush=True)
    while not stopping:
        time.sleep(0.3)
        for name, proc in list(procs.items()):
            if proc.poll() is not None and not stopping:
                print(f"kosmmos redirect: {name} exited ({proc.returncode}); restarting",
                      file=sys.stderr, flush=True)
                time.sleep(1.0)
                procs[name] = start(name)
    for name in ("redirect-web", "flusher"):
        proc = procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0
