"""``kosmmos bench ord``: ad posts registered with the fake ORD, published, and their month sent.

N ad posts across W client workspaces (one contract and one sandbox channel each) are approved;
each approval registers a creative with the fake ORD of the sandbox network, which answers 5 % of
writes with a 500 (nothing stored), loses 1 % of answers after storing (half cut, half late) and
is slow (20–150 ms). A worker is SIGKILLed while the creatives are being registered (the `serve`
supervisor restarts it; its jobs come back to the queue when their lease runs out). Once every
post has its erid the posts are scheduled and published through the real dispatcher, their stats
collected as the stats job does, the month closed and its statistics sent.

Reported: ``ad_posts``; ``creatives_registered`` (creatives the ORD holds); ``posts_with_own_erid``
(published posts whose text on the sandbox carries the erid the ORD issued for that post's own
creative); ``statistics_rows`` (rows the ORD holds; one per placement is right);
``duplicates_at_ord`` (creatives registered twice for one post text plus statistics periods sent
under two ids). Embedded set-up (SQLite, file queue) in a temporary KOSMMOS_VAR.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from benches.common import free_port, stop_all, with_root_on_path
from benches.publish import Db, _http, _wait_for

FIELDS = ("ad_posts", "creatives_registered", "posts_with_own_erid", "statistics_rows",
          "duplicates_at_ord")


def _step(name: str, spec: dict[str, Any], env: dict[str, str]) -> Any:
    run = subprocess.run([sys.executable, "-m", "benches.ord", name, json.dumps(spec)], env=env,
                         check=False, capture_output=True)
    if run.returncode:
        raise RuntimeError(f"step {name} failed:\n{run.stderr.decode()[-3000:]}")
    return json.loads(run.stdout.decode().strip().splitlines()[-1])


def _until(check: Any, timeout: float, every: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return False


def _kill_a_worker(serve_pid: int) -> int | None:
    workers = [c for c in psutil.Process(serve_pid).children() if "worker" in c.cmdline()]
    if not workers:
        return None
    workers[0].send_signal(signal.SIGKILL)
    return int(workers[0].pid)


def run(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="kosmmos bench ord")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--workspaces", type=int, default=50)
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary KOSMMOS_VAR")
    opts = parser.parse_args(argv)
    var = tempfile.mkdtemp(prefix="kosmmos-bench-ord-")
    sandbox_port, web_port = free_port(), free_port()
    env = with_root_on_path({
        **os.environ, "KOSMMOS_VAR": var, "LOG_LEVEL": "WARNING",
        "SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}", "ORD_JOB_LEASE_S": "20",
        "ORD_STATUS_FIRST_CHECK_S": "3"})
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    procs: list[subprocess.Popen[bytes]] = []
    log = open(Path(var) / "bench.log", "wb")  # noqa: SIM115
    started = time.monotonic()
    timings: dict[str, float] = {}
    try:
        subprocess.run([sys.executable, "-m", "kosmmos.cli", "migrate", "--noinput"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        setup = _step("setup", {"posts": opts.posts, "workspaces": opts.workspaces}, env)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "kosmmos.cli", "serve", "--port", str(web_port),
             "--no-redirect"], env=env, stdout=log, stderr=log, start_new_session=True))
        sandbox = f"http://127.0.0.1:{sandbox_port}"
        _wait_for(f"{sandbox}/healthz", 60)
        _http("PUT", f"{sandbox}/ord/_config", {
            "latency_ms": [20, 150], "error_rate": 0.05, "lost_rate": 0.01, "hang_s": 1,
            "verify_after_s": 2})
        _http("PUT", f"{sandbox}/_admin/faults", {"latency_ms": [10, 50], "error_rate": 0.0,
                                                   "ambiguous_rate": 0.0, "rate_per_s": 1000,
                                                   "burst": 1000})
        db = Db(env)
        org = setup["org"]
        t = time.monotonic()
        _step("approve", {"org": org}, env)
        killed = None
        if not opts.no_kill:
            _until(lambda: db.rows("SELECT count(*) FROM ord_creative WHERE organisation_id = ?"
                                   " AND erid != ''", (org,))[0][0] >= opts.posts // 4, 300, 0.2)
            killed = _kill_a_worker(procs[0].pid)
        registered = _until(lambda: db.rows(
            "SELECT count(*) FROM content_post WHERE organisation_id = ? AND is_ad AND erid != ''",
            (org,))[0][0] >= opts.posts, 900)
        timings["register_s"] = round(time.monotonic() - t, 1)
        t = time.monotonic()
        _step("schedule", {"org": org}, env)
        _until(lambda: db.rows(
            "SELECT count(*) FROM publishing_posttarget WHERE organisation_id = ? AND status IN "
            "('scheduled', 'queued', 'publishing', 'reconciling')", (org,))[0][0] == 0, 900)
        timings["publish_s"] = round(time.monotonic() - t, 1)
        t = time.monotonic()
        report = _step("month", {"org": org}, env)
        _until(lambda: db.rows("SELECT status FROM ord_report WHERE organisation_id = ?",
                               (org,))[0][0] == "sent", 900)
        timings["statistics_s"] = round(time.monotonic() - t, 1)
        summary = _http("GET", f"{sandbox}/ord/_summary")
        own = _step("measure", {"org": org, "sandbox": sandbox}, env)
        result = {
            "ad_posts": opts.posts,
            "creatives_registered": summary["creative"],
            "posts_with_own_erid": own["posts_with_own_erid"],
            "statistics_rows": summary["statistics"],
            "duplicates_at_ord": summary["duplicate_creatives"] + summary["duplicate_statistics"],
        }
        if not opts.json:
            result.update({
                "placements": report["rows"], "all_registered_in_time": registered,
                "killed_worker_pid": killed, "ord_writes": summary["writes"],
                "ord_calls_kept": own["calls"], "failed_jobs": own["failed_jobs"],
                "seconds": round(time.monotonic() - started, 1), **timings})
        return result
    finally:
        stop_all(procs, log, var, opts.keep)


# --- Steps run in a child process with Django set up ---------------------------------------------


def setup(spec: dict[str, Any]) -> dict[str, Any]:
    from datetime import date, timedelta
    from decimal import Decimal

    from django.conf import settings
    from django.utils import timezone

    from kosmmos.accounts.models import Organisation, Workspace
    from kosmmos.channels.models import Channel
    from kosmmos.content.models import Post, PostStatus, PostTarget
    from kosmmos.lib import crypto
    from kosmmos.ord.inn import with_control
    from kosmmos.ord.models import Account, Contract, Link, Party

    stamp = int(time.time())
    org = Organisation.objects.create(name=f"ORD bench {stamp}", contact_email="b@bench.test")
    account = Account(organisation=org, host=Account.Host.SANDBOX)
    account.token = "bench-ord-key"  # noqa: S105 (the sandbox ORD takes any key)
    account.save()
    agency = Party.objects.create(organisation=org, name="ООО «Бенч Медиа»", legal_form="juridical",
                                  inn=with_control("770000001"), roles=["agency"], is_agency=True)
    creds = crypto.encrypt_json({"token": "bench-token"})
    n, w = spec["posts"], spec["workspaces"]
    later = timezone.now() + timedelta(days=1)
    for i in range(w):
        ws = Workspace.objects.create(organisation=org, name=f"Клиент {i}")
        client = Party.objects.create(organisation=org, name=f"ООО «Клиент {i}»",
                                      legal_form="juridical",
                                      inn=with_control(str(500000000 + i)), roles=["advertiser"])
        contract = Contract.objects.create(organisation=org, number=f"B-{i}", client=client,
                                           contractor=agency, date=date(2026, 1, 1),
                                           amount=Decimal("10000"))
        Link.objects.create(workspace=ws, organisation=org, contract=contract)
        channel = Channel.objects.create(organisation=org, workspace=ws, network="sandbox",
                                         name=f"Bench {i}", external_id=f"ord{stamp}-{i}",
                                         credentials_encrypted=creds, next_stats_at=later)
        posts = Post.objects.bulk_create([
            Post(organisation=org, workspace=ws, is_ad=True, advertiser=client.name,
                 text=f"Реклама {i}-{j}: скидка {j}% https://shop{i}.test/{j}",
                 status=PostStatus.IN_REVIEW, publish_at=later)
            for j in range(i, n, w)])
        PostTarget.objects.bulk_create([
            PostTarget(organisation=org, post=p, channel=channel, publish_at=later)
            for p in posts])
    return {"org": str(org.pk) if settings.IS_POSTGRES else org.pk.hex}


def approve(spec: dict[str, Any]) -> dict[str, Any]:
    from kosmmos.content import actions
    from kosmmos.content.models import Post

    count = 0
    for post in Post.objects.filter(organisation_id=spec["org"]).order_by("created_at"):
        actions.approve_post(post, author_name="Bench client")  # through the approval link
        count += 1
    return {"approved": count}


def schedule(spec: dict[str, Any]) -> dict[str, Any]:
    from datetime import timedelta

    from django.utils import timezone

    from kosmmos.accounts.models import User
    from kosmmos.content import actions
    from kosmmos.content.models import Post, PostTarget

    user = User.objects.create_user(email=f"bench{time.time_ns()}@bench.test", password=None)
    posts = list(Post.objects.filter(organisation_id=spec["org"]).order_by("created_at"))
    for i, post in enumerate(posts):  # due over about 30 s, each a few seconds after it is set
        at = timezone.now() + timedelta(seconds=5 + 30 * i / max(1, len(posts)))
        Post.objects.filter(pk=post.pk).update(publish_at=at)
        PostTarget.objects.filter(post=post).update(publish_at=at)
        actions.schedule(Post.objects.get(pk=post.pk), by=user)
    return {"scheduled": len(posts)}


def month(spec: dict[str, Any]) -> dict[str, Any]:
    from django.utils import timezone

    from kosmmos.accounts.models import Organisation
    from kosmmos.content.models import PostTarget
    from kosmmos.ord import actions
    from kosmmos.ord.models import Statistic
    from kosmmos.publishing.stats import collect_post_stats

    ids = list(PostTarget.objects.filter(organisation_id=spec["org"]).values_list("pk", flat=True))
    collect_post_stats(ids)
    org = Organisation.objects.get(pk=spec["org"])
    report = actions.close_month(org, timezone.localdate())
    actions.send_report(report)
    return {"rows": Statistic.objects.filter(report=report).count()}


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    import urllib.parse
    import urllib.request

    from kosmmos.content.models import PostTarget
    from kosmmos.ord.models import Call, Creative, Job, JobStatus

    erids = dict(Creative.objects.filter(organisation_id=spec["org"]).values_list("post_id",
                                                                                  "erid"))
    own = 0
    by_channel: dict[str, dict[str, str]] = {}
    for target in PostTarget.objects.filter(organisation_id=spec["org"]).select_related("channel"):
        by_channel.setdefault(target.channel.external_id, {})[target.external_id] = erids.get(
            target.post_id, "")
    for cid, wanted in by_channel.items():
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{spec['sandbox']}/channels/{urllib.parse.quote(cid)}/posts?limit=100",
            headers={"Authorization": "Bearer bench-token"})
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            items = json.loads(answer.read())["items"]
        for item in items:
            erid = wanted.get(str(item["id"]))
            if erid and f"erid: {erid}" in item["text"]:
                own += 1
    return {"posts_with_own_erid": own,
            "calls": Call.objects.filter(organisation_id=spec["org"]).count(),
            "failed_jobs": Job.objects.filter(organisation_id=spec["org"],
                                              status=JobStatus.FAILED).count()}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kosmmos.settings")
    import django

    django.setup()
    steps = {"setup": setup, "approve": approve, "schedule": schedule, "month": month,
             "measure": measure}
    print(json.dumps(steps[sys.argv[1]](json.loads(sys.argv[2]))))
