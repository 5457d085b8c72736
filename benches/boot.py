"""``kosmmos bench boot``: seconds from `kosmmos serve` to the first 200 from /healthz, and the
resident memory of the serve process tree after 100 page requests.

Runs against a fresh instance (a temporary ``KOSMMOS_VAR`` with the demo loaded; with
``DATABASE_URL`` set, that database is migrated and the demo loaded into it first). The set-up is
not timed. Repeats the boot ``--runs`` times and reports the median.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import psutil

from benches.common import free_port, kosmmos, wait_healthy

PAGES = ["/", "/leads/", "/workspaces/", "/team/", "/settings/", "/outbox/"]


KINDS = (("kosmmos.cli serve", "supervisor"), ("kosmmos.cli web", "web"),
         ("kosmmos.cli worker", "worker"), ("kosmmos.cli redirect", "redirect"),
         ("links.redirect", "redirect"), ("links.flusher", "flusher"),
         ("sandbox", "sandbox"))


def _kind(proc: psutil.Process) -> str:
    line = " ".join(proc.cmdline())
    return next((kind for needle, kind in KINDS if needle in line), "other")


def _tree_rss_mb(pid: int) -> tuple[float, float, dict[str, float]]:
    """Resident memory of the serve tree: the sum of RSS (counts shared pages once per process),
    the sum of PSS (shared pages split between the processes that map them), and PSS by kind of
    process."""
    root = psutil.Process(pid)
    procs = [root, *root.children(recursive=True)]
    rss = pss = 0
    by_kind: dict[str, float] = {}
    for proc in procs:
        try:
            info = proc.memory_full_info()
            kind = _kind(proc)
        except psutil.NoSuchProcess:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
        by_kind[kind] = by_kind.get(kind, 0) + getattr(info, "pss", info.rss) / 2**20
    return rss / 2**20, pss / 2**20, by_kind


def _processes(pid: int) -> str:
    """What the tree runs, e.g. "supervisor, web ×3, worker, redirect ×3, flusher, sandbox ×2"."""
    root = psutil.Process(pid)
    counts: dict[str, int] = {}
    for proc in [root, *root.children(recursive=True)]:
        try:
            kind = _kind(proc)
        except psutil.NoSuchProcess:
            continue
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(k if n == 1 else f"{k} ×{n}" for k, n in counts.items())


def _browse(base: str, count: int) -> int:
    """Sign in as the demo owner and request pages; returns how many answered 200."""
    from kosmmos.demo.login import DEMO_EMAIL, DEMO_PASSWORD

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "login page has no CSRF token"
    body = urllib.parse.urlencode({
        "csrfmiddlewaretoken": token.group(1), "username": DEMO_EMAIL, "password": DEMO_PASSWORD,
    }).encode()
    opener.open(urllib.request.Request(f"{base}/login/", data=body, headers={"Referer": base}))  # noqa: S310
    ok = 0
    for i in range(count):
        with opener.open(f"{base}{PAGES[i % len(PAGES)]}") as response:
            ok += response.status == 200
    return ok


def _one_boot(env: dict[str, str], pages: int
              ) -> tuple[float, tuple[float, float, dict[str, float]], int, str]:
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kosmmos.cli", "serve", "--port", str(port),
         *(["--with-worker"] if env.get("REDIS_URL") else [])],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        ready = wait_healthy(f"http://127.0.0.1:{port}/healthz", timeout=60)
        boot = ready - started
        ok = _browse(f"http://127.0.0.1:{port}", pages)
        time.sleep(0.5)
        rss = _tree_rss_mb(proc.pid)
        processes = _processes(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    return boot, rss, ok, processes


def run(argv: list[str]) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="kosmmos bench boot")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", type=int, default=100)
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kosmmos-bench-") as var:
        env = {**os.environ, "KOSMMOS_VAR": var}
        kosmmos("migrate", "--noinput", env=env)
        kosmmos("demo", env=env)
        results = [_one_boot(env, opts.pages) for _ in range(opts.runs)]
    boots = [r[0] for r in results]
    return {
        "boot_s": round(statistics.median(boots), 2),
        "rss_mb": round(statistics.median(r[1][0] for r in results), 1),
        "pss_mb": round(statistics.median(r[1][1] for r in results), 1),
        "processes": results[-1][3],
        "pss_mb_by_process": {kind: round(statistics.median(r[1][2].get(kind, 0) for r in results), 1)
                              for kind in results[-1][1][2]},
        "boot_s_runs": [round(b, 2) for b in boots],
        "pages_ok": min(r[2] for r in results),
        "pages": opts.pages,
        "database": "postgresql" if env.get("DATABASE_URL") else "sqlite",
    }
