"""``kosmmos bench publish``: the real dispatcher and workers against sandbox channels.

N posts on M sandbox channels, due evenly over one minute except B of them due on the same
second; the sandbox answers in 50–250 ms with 5% transient errors (5xx before acting) and 1%
ambiguous outcomes (the post is stored, the answer lost). One embedded worker is killed with
SIGKILL mid-run and restarted by the ``kosmmos serve`` supervisor; ``--faults`` adds restarts of
Redis and of the database as the workers see them (scale set-up; tests/integration uses both).

Reported (lateness = the sandbox's acceptance time minus ``publish_at``):

- ``lost``: targets never published; ``duplicates``: extra posts with an already posted key,
  counted on the sandbox;
- ``lateness_p50_s`` / ``lateness_p99_s`` / ``burst_lateness_p99_s`` (over the burst) leave out
  only the posts the killed worker held: those whose sweep row (``lease_expired``) carries a
  claim token of the killed process's pid. A post that was late for any other reason (a lost
  message re-sent, a lease that ran out without a kill) stays in. ``lateness_p99_all_s`` is p99
  over every post, the killed worker's too; a post never published counts as infinitely late
  there (then it is null and ``lost`` says how many);
- ``killed_worker_recovery_s``: from the kill to the last of its posts on the network (the
  sandbox's acceptance, as for lateness); ``killed_worker_resolved_s``: until Kosmmos's database
  also says so (a post whose answer was lost is looked up after the connector's timeout);
  ``lease_s`` to compare with.

Embedded by default (a fresh SQLite + file queue under a temporary KOSMMOS_VAR). With
``DATABASE_URL`` and ``REDIS_URL`` set, runs against them (``serve --with-worker`` and a
separate sandbox process) in a fresh organisation.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from benches.common import free_port, stop_all, with_root_on_path

RUN_SECONDS = 60
# When each fault strikes, as a share of the run (the burst is at one half).
FAULTS = {"kill": 1 / 3, "redis": 0.6, "database": 0.8}
ACTIVE = ("scheduled", "queued", "publishing", "reconciling")


def _http(method: str, url: str, body: Any = None, timeout: float = 30) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,  # noqa: S310 (loopback)
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read() or b"null")


def _wait_for(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _http("GET", url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def _finite(value: float | None) -> float | None:
    return None if value is None or value == float("inf") else value


# --- The database, read without Django (the bench process stays light) -------------------------


class Db:
    def __init__(self, env: dict[str, str]) -> None:
        self.url = env.get("DATABASE_URL", "")
        self.path = Path(env["KOSMMOS_VAR"]) / "kosmmos.sqlite3"

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.url:
            import psycopg

            with psycopg.connect(self.url.replace("postgres://", "postgresql://", 1)) as conn:
                return list(conn.execute(sql.replace("?", "%s"), params).fetchall())
        lite = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            return list(lite.execute(sql, params).fetchall())
        finally:
            lite.close()


def _ts(value: Any) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC).timestamp()


def _hex(value: Any) -> str:
    return str(value).replace("-", "")


# --- The run -------------------------------------------------------------------------------------


def run(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="kosmmos bench publish")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--channels", type=int, default=0, help="default: one per post")
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--start-in", type=float, default=30.0, help="seconds to the first post")
    parser.add_argument("--no-kill", action="store_true", help="same as leaving kill out of --faults")
    parser.add_argument("--faults", default="kill",
                        help="comma list: kill (SIGKILL a worker at a third of the run), redis "
                             "(flush the broker's database and drop its connections, as a restart "
                             "of a Redis that keeps nothing on disk, at 60%%), database (terminate "
                             "every PostgreSQL connection, as a restart, at 80%%); '' for none")
    parser.add_argument("--run-seconds", type=float, default=RUN_SECONDS,
                        help="the posts are due over this many seconds")
    parser.add_argument("--keep", action="store_true", help="keep the temporary KOSMMOS_VAR")
    opts = parser.parse_args(argv)
    channels = opts.channels or opts.posts
    faults = {f.strip() for f in opts.faults.split(",") if f.strip()} - (
        {"kill"} if opts.no_kill else set())
    unknown = faults - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults: {', '.join(sorted(unknown))}")
    run_s = opts.run_seconds
    var = tempfile.mkdtemp(prefix="kosmmos-bench-publish-")
    sandbox_port, web_port = free_port(), free_port()
    env = with_root_on_path({**os.environ, "KOSMMOS_VAR": var, "LOG_LEVEL": "WARNING",
                             "SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}"})
    scale = bool(env.get("DATABASE_URL"))
    procs: list[subprocess.Popen[bytes]] = []
    log = open(Path(var) / "bench.log", "wb")  # noqa: SIM115
    try:
        subprocess.run([sys.executable, "-m", "kosmmos.cli", "migrate", "--noinput"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        setup = json.loads(subprocess.run(
            [sys.executable, "-m", "benches.publish", "setup", json.dumps({
                "posts": opts.posts, "channels": channels, "burst": opts.burst,
                "start_in": opts.start_in, "run_seconds": run_s})],
            env=env, check=True, capture_output=True).stdout)
        serve = [sys.executable, "-m", "kosmmos.cli", "serve", "--port", str(web_port),
                 "--no-redirect"]
        if scale:
            serve.append("--with-worker")
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "kosmmos.cli", "sandbox", "--port", str(sandbox_port),
                 "--state", str(Path(var) / "sandbox.sqlite3")],
                env=env, stdout=log, stderr=log, start_new_session=True))
        procs.append(subprocess.Popen(serve, env=env, stdout=log, stderr=log,
                                      start_new_session=True))
        sandbox = f"http://127.0.0.1:{sandbox_port}"
        _wait_for(f"{sandbox}/healthz", 60)
        _http("PUT", f"{sandbox}/_admin/faults", {
            "latency_ms": [50, 250], "error_rate": 0.05, "ambiguous_rate": 0.01,
            "rate_per_s": 100, "burst": 100, "hang_s": 10})
        t0 = setup["t0"]
        killed_at = killed_pid = None
        held_at_kill = 0
        db = Db(env)
        done: list[dict[str, Any]] = []
        for kind in sorted(faults, key=lambda k: FAULTS[k]):
            time.sleep(max(0.0, t0 + run_s * FAULTS[kind] - time.time()))
            at = time.time()
            if kind == "kill":
                killed_pid, killed_at, holding = _kill_a_worker(procs[-1].pid, db, setup["org"])
                at = killed_at
                effect = (f"a worker SIGKILLed holding {holding} posts; the supervisor "
                          "restarts it")
                held_at_kill = holding
            else:
                effect = _break(kind, env) if scale else "skipped: embedded set-up"
            done.append({"fault": kind, "at_s": round(at - t0, 1), "effect": effect})
        deadline = t0 + run_s + 180
        while time.time() < deadline:
            time.sleep(2)
            marks = ",".join("?" * len(ACTIVE))
            left = db.rows(f"SELECT count(*) FROM publishing_posttarget WHERE organisation_id = ?"  # noqa: S608
                           f" AND status IN ({marks})", (setup["org"], *ACTIVE))[0][0]
            if time.time() > t0 + run_s and left == 0:
                break
        report = _report(db, sandbox, setup, (killed_pid, killed_at), opts, channels, scale)
        report["faults"] = done
        report["held_at_kill"] = held_at_kill
        report["cpu_s_by_process"] = _cpu_by_process(procs)
        return report
    finally:
        stop_all(procs, log, var, opts.keep)


def _break(kind: str, env: dict[str, str]) -> str:
    """A restart as the workers see it, on the servers the run uses (its own databases)."""
    if kind == "redis":
        import redis

        client = redis.Redis.from_url(env["REDIS_URL"])
        me = client.client_id()
        db = client.connection_pool.connection_kwargs.get("db", 0)
        queued = client.dbsize()
        client.flushdb()  # a Redis that keeps nothing on disk comes back empty
        dropped = 0
        for peer in client.client_list():
            if int(peer.get("db", -1)) == db and int(peer["id"]) != me:
                dropped += int(bool(client.client_kill_filter(_id=peer["id"])))
        return f"broker emptied ({queued} keys) and {dropped} connections dropped"
    import psycopg

    url = env["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()
    return f"{killed[0] if killed else 0} database connections terminated"


def _cpu_by_process(procs: list[subprocess.Popen[bytes]]) -> dict[str, float]:
    """CPU seconds used so far by each kind of process of the run (a killed worker's are lost)."""
    used: dict[str, float] = {}
    for proc in procs:
        try:
            tree = psutil.Process(proc.pid)
            members = [tree, *tree.children(recursive=True)]
        except psutil.Error:
            continue
        for member in members:
            try:
                line = " ".join(member.cmdline())
                times = member.cpu_times()
            except psutil.Error:
                continue
            kind = ("worker" if "kosmmos.cli worker" in line else "sandbox" if "sandbox" in line
                    else "web" if "kosmmos.wsgi" in line else "other")
            used[kind] = round(used.get(kind, 0.0) + times.user + times.system, 1)
    return used


def _kill_a_worker(serve_pid: int, db: Db, org: str, wait_s: float = 10.0
                   ) -> tuple[int, float, int]:
    """SIGKILL a worker child of the serve process (the supervisor starts it again) while it
    holds posts: the first one found with rows *publishing* under its claim token, waiting up to
    ``wait_s`` for one (then the first worker, holding none). Returns its pid, the moment, and
    how many posts it held then."""
    deadline = time.monotonic() + wait_s
    while True:
        workers = [c for c in psutil.Process(serve_pid).children() if "worker" in c.cmdline()]
        if not workers:
            raise RuntimeError("no worker child to kill")
        holding: dict[int, int] = {}
        for token, count in db.rows(
                "SELECT lease_owner, count(*) FROM publishing_posttarget WHERE organisation_id = ?"
                " AND status = 'publishing' GROUP BY lease_owner", (org,)):
            pid = token_pid(token)
            if pid is not None:
                holding[pid] = holding.get(pid, 0) + int(count)
        victim = next((w for w in workers if holding.get(w.pid)), None)
        if victim is not None or time.monotonic() >= deadline:
            victim = victim or workers[0]
            victim.send_signal(signal.SIGKILL)
            return victim.pid, time.time(), holding.get(victim.pid, 0)
        time.sleep(0.05)


def token_pid(token: str) -> int | None:
    """The pid in a claim token (``host:pid:space:random``, kosmmos/publishing/leases.py)."""
    parts = str(token).rsplit(":", 3)
    return int(parts[1]) if len(parts) == 4 and parts[1].isdigit() else None


def held_by(rows: list[tuple[Any, Any]], pid: int | None) -> set[str]:
    """Targets whose sweep row names a claim token of ``pid``: the killed worker's posts."""
    if pid is None:
        return set()
    return {_hex(target) for target, token in rows if token_pid(token) == pid}


def _report(db: Db, sandbox: str, setup: dict[str, Any], killed: tuple[int | None, float | None],
            opts: argparse.Namespace, channels: int, scale: bool) -> dict[str, Any]:
    accepted: dict[str, float] = {}
    copies: dict[str, int] = {}
    after = 0
    while True:
        page = _http("GET", f"{sandbox}/_admin/posts?after={after}&limit=20000")
        for _pid, _cid, key, at in page["items"]:
            accepted.setdefault(key, at)
            copies[key] = copies.get(key, 0) + 1
        if page["last"] <= after:
            break
        after = page["last"]
    org = setup["org"]
    targets = db.rows("SELECT id, publish_at, status FROM publishing_posttarget "
                      "WHERE organisation_id = ?", (org,))
    killed_pid, killed_at = killed
    swept = db.rows(
        "SELECT a.target_id, a.worker FROM publishing_publishattempt a JOIN publishing_posttarget t"
        " ON t.id = a.target_id WHERE t.organisation_id = ? AND a.outcome = 'lease_expired'",
        (org,))
    held = held_by(swept, killed_pid)
    resolved = {_hex(t): _ts(s) + ms / 1000 for t, s, ms in db.rows(
        "SELECT a.target_id, a.started_at, a.duration_ms FROM publishing_publishattempt a JOIN "
        "publishing_posttarget t ON t.id = a.target_id WHERE t.organisation_id = ? AND "
        "a.outcome IN ('published', 'reconciled')", (org,))}
    burst_at = setup["burst_at"]
    lease_s = float(os.environ.get("PUBLISH_LEASE_SECONDS", "10"))
    lateness, burst, every = [], [], []
    published = 0
    statuses: dict[str, int] = {}
    for tid, publish_at, status in targets:
        key = _hex(tid)
        statuses[status] = statuses.get(status, 0) + 1
        published += status == "published"
        late = accepted[key] - _ts(publish_at) if key in accepted else float("inf")
        every.append(late)
        if key in held or key not in accepted:
            continue
        lateness.append(late)
        if abs(_ts(publish_at) - burst_at) < 0.001:
            burst.append(late)
    keys = {_hex(t) for t, _, _ in targets}
    recovery = resolved_in = None
    if killed_at is not None and held:
        # Published = on the network (the sandbox's acceptance, as for lateness); some were
        # already out before the kill. Resolved = Kosmmos's database knows it too.
        recovery = round(max(max(0.0, accepted.get(k, time.time()) - killed_at)
                             for k in held), 2)
        resolved_in = round(max(resolved.get(k, time.time()) for k in held) - killed_at, 2)
    return {
        "posts": len(targets), "published": published,
        "lost": sum(1 for k in keys if k not in accepted),
        "duplicates": sum(copies.get(k, 0) - 1 for k in keys if copies.get(k, 0) > 1),
        "lateness_p50_s": _pct(lateness, 0.5), "lateness_p99_s": _pct(lateness, 0.99),
        "burst_lateness_p99_s": _pct(burst, 0.99),
        "lateness_p99_all_s": _finite(_pct(every, 0.99)),
        "lease_expired_not_killed": len({_hex(t) for t, _ in swept} - held),
        "killed_worker_recovery_s": recovery, "killed_worker_resolved_s": resolved_in,
        "lease_s": lease_s,
        "held_by_killed_worker": len(held), "early": sum(1 for x in lateness if x < 0),
        "lateness_max_s": _pct(lateness, 1.0), "statuses": statuses,
        "channels": channels, "burst": opts.burst,
        "database": "postgresql+redis" if scale else "sqlite+filesystem queue",
    }


# --- Set-up, run in a child process with Django ----------------------------------------------------


def setup(spec: dict[str, Any]) -> dict[str, Any]:
    import django

    django.setup()
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from kosmmos.accounts.models import Organisation, Workspace
    from kosmmos.channels.models import Channel
    from kosmmos.content.models import Post, PostTarget
    from kosmmos.lib import crypto

    now = timezone.now()
    stamp = int(time.time())
    org = Organisation.objects.create(name=f"Bench {stamp}", contact_email="bench@bench.test")
    ws = Workspace.objects.create(organisation=org, name="Bench")
    creds = crypto.encrypt_json({"token": "bench-token"})
    n, m, b = spec["posts"], spec["channels"], min(spec["burst"], spec["posts"])
    # Followers are read daily, spread over the day (not all in this minute).
    chans = Channel.objects.bulk_create([
        Channel(organisation=org, workspace=ws, network="sandbox", name=f"Bench {i}",
                external_id=f"b{stamp}-{i}", credentials_encrypted=creds,
                next_stats_at=now + timedelta(hours=1, seconds=i * 86400 / m))
        for i in range(m)], batch_size=1000)
    t0 = now + timedelta(seconds=spec["start_in"])
    run_s = float(spec.get("run_seconds", RUN_SECONDS))
    burst_at = t0 + timedelta(seconds=int(run_s // 2))
    spread = n - b
    dues = [t0 + timedelta(seconds=i * run_s / max(1, spread)) for i in range(spread)]
    dues += [burst_at] * b
    posts = Post.objects.bulk_create([
        Post(organisation=org, workspace=ws, text=f"Bench post {i}", status="scheduled",
             publish_at=due) for i, due in enumerate(dues)], batch_size=1000)
    PostTarget.objects.bulk_create([
        PostTarget(organisation=org, post=post, channel=chans[i % m], status="scheduled",
                   publish_at=post.publish_at, next_attempt_at=post.publish_at)
        for i, post in enumerate(posts)], batch_size=1000)
    # SQLite stores UUIDs as 32 hex digits, PostgreSQL as uuid.
    return {"org": str(org.pk) if settings.IS_POSTGRES else org.pk.hex,
            "t0": t0.timestamp(), "burst_at": burst_at.timestamp()}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kosmmos.settings")
    if sys.argv[1:2] == ["setup"]:
        print(json.dumps(setup(json.loads(sys.argv[2]))))
