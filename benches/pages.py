"""``kosmmos bench pages``: the main pages under load at an agency's real size.

Builds (not timed) the demo plus an agency's worth of data (benches/agency_data.py: 30 clients,
90 channels, 20,000 posts, 100,000 inbox items, 500 leads, a year of stats) in a fresh embedded
set-up, starts a real ``kosmmos serve`` (web workers, Celery workers, redirect and sandbox, as
``make run`` does), signs in as the demo owner, and for each main page runs ``wrk`` with
``--connections`` concurrent clients for ``--seconds`` on the same machine. Then it sends
``--mixed`` more requests spread over all the pages and reports the serve tree's PSS.

The API's per-token limit is raised for the run (API_RATE_LIMIT_PER_MIN): the bench measures how
fast the page is served, not the limit, which has its own test. Errors are non-2xx/3xx answers
plus wrk's socket errors (connect, read, write, timeout after 10 s).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from benches.boot import _tree_rss_mb
from benches.common import free_port, kosmmos, wait_healthy, with_root_on_path

MIXED_LUA = """
local paths = {%(paths)s}
local counter, responses = 0, 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
response = function(status, headers, body)
  responses = responses + 1
  if responses >= %(per_thread)d then wrk.thread:stop() end
end
"""


def _pages(ids: dict[str, str]) -> dict[str, str]:
    ws, post = ids["workspace"], ids["post"]
    return {
        "overview": "/", "leads": "/leads/", "inbox_all": "/inbox/",
        "inbox_client": f"/workspaces/{ws}/inbox/", "calendar_month": "/content/",
        "post": f"/content/posts/{post}/", "review_analytics": f"/workspaces/{ws}/inbox/analytics/",
        "links": f"/workspaces/{ws}/money/links/", "pnl": f"/workspaces/{ws}/money/",
        "api_workspaces": "/api/v1/workspaces",
    }


def _sign_in(base: str) -> str:
    """The demo owner's session cookie header, signed in through the login form."""
    import http.cookiejar

    from kosmmos.demo.login import DEMO_EMAIL, DEMO_PASSWORD

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "login page has no CSRF token"
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), "username": DEMO_EMAIL,
                                   "password": DEMO_PASSWORD}).encode()
    opener.open(urllib.request.Request(f"{base}/login/", data=body, headers={"Referer": base}))  # noqa: S310
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, "sign-in failed"
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def _wrk(url: str, headers: list[str], *, connections: int, seconds: float,
         script: str | None = None) -> dict[str, float]:
    """One wrk run: requests/s, p99 in ms, errors, requests."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "--latency"]
    for header in headers:
        args += ["-H", header]
    if script:
        args += ["-s", script]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p99_ms = float(p99.group(1)) * scale[p99.group(2)] if p99 else 0.0
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {"rps": round(rps, 1), "p99_ms": round(p99_ms, 1), "errors": errors, "requests": total}


def run(argv: list[str]) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="kosmmos bench pages")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--mixed", type=int, default=10_000, help="requests after the pages")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the agency's data")
    parser.add_argument("--web-workers", type=int, default=None,
                        help="passed to kosmmos serve (default: its own)")
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument("--data", default="", help="a KOSMMOS_VAR this bench built before "
                        "(with its ids.json) to reuse instead of building the data again")
    opts = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("kosmmos bench pages needs wrk (apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="kosmmos-bench-pages-") as scratch:
        var = opts.data or scratch
        env = with_root_on_path({**os.environ, "KOSMMOS_VAR": var, "LOG_LEVEL": "WARNING",
                                 "API_RATE_LIMIT_PER_MIN": str(10**9)})
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        kosmmos("migrate", "--noinput", env=env)
        saved = Path(var) / "bench-ids.json"
        if not saved.exists():
            kosmmos("demo", env=env)
            saved.write_text(subprocess.run(
                [sys.executable, "-m", "benches.agency_data", str(opts.scale)],
                env={**env, "DJANGO_SETTINGS_MODULE": "kosmmos.settings"}, check=True,
                capture_output=True, text=True).stdout.strip().splitlines()[-1])
        ids = json.loads(saved.read_text())
        port = free_port()
        serve = [sys.executable, "-m", "kosmmos.cli", "serve", "--port", str(port)]
        if opts.web_workers:
            serve += ["--web-workers", str(opts.web_workers)]
        proc = subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(f"{base}/healthz", timeout=120)
            cookie = _sign_in(base)
            pages = _pages(ids)
            wanted = [p for p in opts.only.split(",") if p] or list(pages)
            results = {}
            for name in wanted:
                headers = ([f"Authorization: Bearer {ids['api_token']}"]
                           if name.startswith("api_") else [f"Cookie: {cookie}"])
                results[name] = _wrk(base + pages[name], headers,
                                     connections=opts.connections, seconds=opts.seconds)
            mixed: dict[str, float] = {}
            if opts.mixed:
                script = Path(scratch) / "mixed.lua"
                paths = ", ".join(f'"{p}"' for n, p in pages.items() if not n.startswith("api_"))
                script.write_text(MIXED_LUA % {"paths": paths, "per_thread": opts.mixed // 2})
                mixed = _wrk(base + "/", [f"Cookie: {cookie}"], connections=opts.connections,
                             seconds=600, script=str(script))
            time.sleep(1)
            _rss, pss, _by_kind = _tree_rss_mb(proc.pid)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    return {
        "pages": {n: {k: r[k] for k in ("rps", "p99_ms", "errors")} for n, r in results.items()},
        "min_rps": min(r["rps"] for r in results.values()),
        "max_p99_ms": max(r["p99_ms"] for r in results.values()),
        "errors": sum(int(r["errors"]) for r in results.values()) + int(mixed.get("errors", 0)),
        "pss_after_mb": round(pss, 1),
        "mixed": mixed,
        "connections": opts.connections, "seconds_per_page": opts.seconds,
        "cpus": os.cpu_count(),
    }
