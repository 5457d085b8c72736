"""``kosmmos bench redirect``: redirects per second of the raw ASGI service vs a Django view.

Set-up (not timed): a temporary ``KOSMMOS_VAR`` (SQLite), one workspace with 10,000 links. Then:

1. ``kosmmos redirect`` (granian, raw ASGI, click capture on: spool + flusher process) pinned to
   CPU 1; ``wrk`` pinned to CPU 0 requests random codes among the 10,000 (Lua) with a browser
   User-Agent. Max rps at 64 connections.
2. p99 at about half the max: Debian's wrk has no fixed-rate mode (-R is wrk2), so the
   connection count whose rps is closest to half the max is used (said in the result).
3. The same redirects through a plain Django view on granian WSGI (see below).
4. A graceful stop (SIGTERM) of the redirect service; every click wrk got a 302 for must be in
   the event store (clicks_sent = sum of wrk's responses, clicks_stored = rows stored).
5. The SIGKILL loss: load, then SIGKILL of the web server and flusher mid-load, a fresh flusher
   drains the spool. wrk writes down the click id (``kid``) of every 302 it got; ``lost_by_id``
   = answered click ids not in the store (a surplus of stored clicks — requests in flight at the
   kill, stored but never answered — cannot hide a loss); ``lost`` (answered − stored) is kept
   beside it for comparison.

The Django baseline is the honest "same product as a Django view": the product's settings with
its full middleware list (``django_view_rps``); ``django_default_middleware_rps`` is the same
view with the middleware of a fresh ``startproject`` instead.

Needs wrk (``apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from benches.common import free_port, with_root_on_path

LUA = r"""
local codes = {}
for line in io.lines(os.getenv("KOSMMOS_CODES")) do codes[#codes + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/" .. codes[math.random(#codes)], {["User-Agent"] =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('KOSMMOS {"requests": %d, "status_errors": %d, "socket_errors": %d, ' ..
    '"duration_us": %d, "p50_us": %d, "p99_us": %d}\n', summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout, summary.duration, latency:percentile(50),
    latency:percentile(99)))
end
"""

SETUP = """
import django; django.setup()
from kosmmos.accounts.models import Organisation, Workspace
from kosmmos.links.models import TrackedLink, link_code
org = Organisation.objects.create(name="Bench")
ws = Workspace.objects.create(organisation=org, name="Bench shop")
links = [TrackedLink(organisation=org, workspace=ws, code=link_code(), network="vk",
                     target_url=f"https://shop.example/p/{i}?ref=bench", post_ref=f"post-{i}")
         for i in range(N)]
TrackedLink.objects.bulk_create(links, batch_size=2000)
open(OUT, "w").write("\\n".join(link.code for link in links))
print(ws.pk.hex)
"""

# The SIGKILL round also writes down each answered click id (one per line).
KIDS_LUA = r"""
local kids = io.open(os.getenv("KOSMMOS_KIDS"), "a")
kids:setvbuf("line")
response = function(status, headers, body)
  if status == 302 then
    local location = headers["location"] or headers["Location"] or ""
    local kid = string.match(location, "[?&]kid=([^&#]+)")
    if kid then kids:write(kid, "\n") end
  end
end
"""


def _wait(url: str, timeout: float = 60) -> None:
    """Until the server answers anything (a redirect is not followed)."""
    parts = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(parts.netloc, timeout=1)
            conn.request("GET", parts.path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _pin(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def _wrk(url: str, *, connections: int, seconds: float, env: dict[str, str], lua: Path) -> dict[str, float]:
    out = subprocess.run(
        [*_pin(0), "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "-s", str(lua), url],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("KOSMMOS "))
    data = json.loads(line[len("KOSMMOS "):])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def _start(cmd: list[str], env: dict[str, str], cpu: int = 1) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*_pin(cpu), *cmd], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 60) -> None:
    os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _stored(var: Path, workspace_hex: str) -> int:
    conn = sqlite3.connect(var / "events.sqlite3")
    try:
        return int(conn.execute("SELECT COUNT(*) FROM links_click WHERE workspace_id = ?",
                                [bytes.fromhex(workspace_hex)]).fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def _one_round(env: dict[str, str], var: Path, ws: str, lua: Path, seconds: float) -> dict[str, float]:
    port = free_port()
    server = _start([sys.executable, "-m", "kosmmos.cli", "redirect", "--port", str(port)], env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{base}/-/health")
        warm = _wrk(base, connections=16, seconds=2, env=env, lua=lua)  # warm-up: clicks too
        max_run = _wrk(base, connections=64, seconds=seconds, env=env, lua=lua)
        probes = {}
        for c in (1, 2, 4, 8):
            probes[c] = _wrk(base, connections=c, seconds=max(3.0, seconds / 2), env=env, lua=lua)
        half = max_run["rps"] / 2
        chosen = min(probes, key=lambda c: abs(probes[c]["rps"] - half))
        runs = [warm, max_run, *probes.values()]
    finally:
        _stop(server)  # graceful: web first, then the flusher drains
    stored = _stored(var, ws)
    sent = sum(r["requests"] - r["status_errors"] for r in runs)
    return {"rps": max_run["rps"], "p99_ms_at_half_load": probes[chosen]["p99_us"] / 1000,
            "half_load_connections": chosen, "half_load_rps": probes[chosen]["rps"],
            "p99_ms_at_max": max_run["p99_us"] / 1000, "sent": sent, "stored_total": stored}


def _django_round(env: dict[str, str], lua: Path, seconds: float, var: Path,
                  settings: str = "benches.redirect_settings") -> float:
    port = free_port()
    denv = {**env, "DJANGO_SETTINGS_MODULE": settings,
            "LINKS_SPOOL_DIR": str(var / "django-spool")}
    server = _start([sys.executable, "-m", "granian", "--interface", "wsgi", "kosmmos.wsgi:application",
                     "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-ws",
                     "--log-level", "warning"], denv)
    base = f"http://127.0.0.1:{port}"
    try:
        code = Path(env["KOSMMOS_CODES"]).read_text().split("\n", 1)[0]
        _wait(f"{base}/{code}")
        _wrk(base, connections=16, seconds=2, env=env, lua=lua)
        return _wrk(base, connections=64, seconds=seconds, env=env, lua=lua)["rps"]
    finally:
        _stop(server)


def _stored_ids(var: Path, workspace_hex: str) -> set[str]:
    conn = sqlite3.connect(var / "events.sqlite3")
    try:
        return {row[0] for row in conn.execute(
            "SELECT click_id FROM links_click WHERE workspace_id = ?", [bytes.fromhex(workspace_hex)])}
    except sqlite3.OperationalError:
        return set()
    finally:
        conn.close()


def lost_by_id(answered: list[str], stored: set[str]) -> int:
    """Answered click ids missing from the store (each answered id counts once)."""
    return len(set(answered) - stored)


def _sigkill_round(env: dict[str, str], var: Path, ws: str, lua: Path) -> dict[str, int]:
    before = _stored(var, ws)
    kids_file = var / "answered-kids.txt"
    kids_file.unlink(missing_ok=True)
    kill_lua = var / "bench-kill.lua"
    kill_lua.write_text(lua.read_text() + KIDS_LUA)
    env = {**env, "KOSMMOS_KIDS": str(kids_file)}
    port = free_port()
    server = _start([sys.executable, "-m", "kosmmos.cli", "redirect", "--port", str(port)], env)
    base = f"http://127.0.0.1:{port}"
    _wait(f"{base}/-/health")
    wrk = subprocess.Popen([*_pin(0), "wrk", "-t1", "-c16", "-d4s", "-s", str(kill_lua), base], env=env,
                           stdout=subprocess.PIPE, text=True)
    time.sleep(2.0)
    # SIGKILL the supervisor, granian and the flusher at once, mid-load.
    for proc in _tree(server.pid):
        os.kill(proc, signal.SIGKILL)
    out, _ = wrk.communicate()
    line = next(x for x in out.splitlines() if x.startswith("KOSMMOS "))
    data = json.loads(line[len("KOSMMOS "):])
    answered = data["requests"] - data["status_errors"]
    # A fresh flusher picks the spool up where the killed one stopped.
    flusher = _start([sys.executable, "-m", "kosmmos.links.flusher"], env)
    time.sleep(3.0)
    _stop(flusher)
    stored = _stored(var, ws) - before
    kids = kids_file.read_text().split() if kids_file.exists() else []
    return {"answered": answered, "answered_ids": len(kids), "stored": stored,
            "lost": max(0, answered - stored),
            "lost_by_id": lost_by_id(kids, _stored_ids(var, ws))}


def _tree(pid: int) -> list[int]:
    import psutil

    root = psutil.Process(pid)
    return [root.pid, *(p.pid for p in root.children(recursive=True))]


def run(argv: list[str]) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="kosmmos bench redirect")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--links", type=int, default=10_000)
    opts = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        return {"error": "wrk is not installed: apt-get install -y wrk"}
    with tempfile.TemporaryDirectory(prefix="kosmmos-bench-redirect-") as tmp:
        var = Path(tmp)
        env = with_root_on_path({
            **os.environ, "KOSMMOS_VAR": str(var), "KOSMMOS_CODES": str(var / "codes.txt"),
            "DJANGO_SETTINGS_MODULE": "kosmmos.settings", "LOG_LEVEL": "WARNING",
            "LINKS_EVENTS_BACKEND": "sqlite"})
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        subprocess.run([sys.executable, "-m", "kosmmos.cli", "migrate", "--noinput"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        ws = subprocess.run(
            [sys.executable, "-c", SETUP.replace("N)", f"{opts.links})").replace("OUT", repr(env["KOSMMOS_CODES"]))],
            env=env, check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        lua = var / "bench.lua"
        lua.write_text(LUA)
        rounds, django_rps, default_rps = [], [], []
        for _ in range(opts.runs):
            before = _stored(var, ws)
            result = _one_round(env, var, ws, lua, opts.seconds)
            result["stored"] = result.pop("stored_total") - before
            rounds.append(result)
            django_rps.append(_django_round(env, lua, opts.seconds, var))
            default_rps.append(_django_round(env, lua, opts.seconds, var,
                                             "benches.redirect_settings_default"))
        kill = _sigkill_round(env, var, ws, lua)
    rps = statistics.median(r["rps"] for r in rounds)
    drps = statistics.median(django_rps)
    return {
        "rps": round(rps),
        "django_view_rps": round(drps),
        "django_view": "the product's settings and full middleware list",
        "django_default_middleware_rps": round(statistics.median(default_rps)),
        "ratio": round(rps / drps, 2),
        "p99_ms_at_half_load": round(statistics.median(r["p99_ms_at_half_load"] for r in rounds), 2),
        "half_load": "wrk has no fixed rate (-R is wrk2): the connection count whose rps is closest "
                     "to half the max",
        "half_load_rps": round(statistics.median(r["half_load_rps"] for r in rounds)),
        "p99_ms_at_max": round(statistics.median(r["p99_ms_at_max"] for r in rounds), 2),
        "clicks_sent": int(sum(r["sent"] for r in rounds)),
        "clicks_stored": int(sum(r["stored"] for r in rounds)),
        "sigkill": kill,
        "links": opts.links,
        "runs": opts.runs,
    }
