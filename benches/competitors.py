"""``kosmmos bench competitors``: the collector over a day of polling on the sandbox.

N public communities on the sandbox (``--communities``, default 200; the issue's 1,000 with
``--communities 1000 --workspaces 200``) followed by W workspaces of W/5 organisations, 30 % of
them by a second workspace (of another organisation, mostly). Each round the sandbox's clock moves
an hour ahead (so the communities post) and every community is due; the real dispatcher claims
them and a pool of worker threads reads them through the real connector path (rate limits in
the shared cache, the sandbox's own bucket counting violations). 24 rounds = one day.

Reported: ``communities``; ``max_fetches_per_round`` (the sandbox's count of reads of one
community within one clock hour); ``lost`` (posts the sandbox published during the day that are
not stored); ``duplicates`` (stored posts beyond one per network id); ``rate_limit_violations``
(429s the sandbox gave); ``page_p95_ms`` (the comparison page, rendered by the real view for a
workspace following its competitors, over ``--samples`` requests).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from benches.common import with_root_on_path


def run(argv: list[str]) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="kosmmos bench competitors")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--communities", type=int, default=200)
    parser.add_argument("--workspaces", type=int, default=40)
    parser.add_argument("--shared", type=float, default=0.3)
    parser.add_argument("--rounds", type=int, default=24)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--details", action="store_true", help="more figures than the issue's")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kosmmos-bench-competitors-") as var:
        env = with_root_on_path({
            **os.environ, "KOSMMOS_VAR": var, "DJANGO_SETTINGS_MODULE": "kosmmos.settings",
            "LOG_LEVEL": "WARNING"})
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        subprocess.run([sys.executable, "-m", "kosmmos.cli", "migrate", "--noinput"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        out = subprocess.run([sys.executable, "-m", "benches.competitors", json.dumps(vars(opts))],
                             env=env, check=True, capture_output=True, text=True).stdout
    result = dict(json.loads(out.strip().splitlines()[-1]))
    if not opts.details:
        keys = ("communities", "max_fetches_per_round", "lost", "duplicates",
                "rate_limit_violations", "page_p95_ms")
        result = {k: result[k] for k in keys}
    return result


def _inner(opts: dict[str, object]) -> dict[str, object]:
    import statistics
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    import django

    django.setup()
    import httpx
    from django.conf import settings
    from django.db import close_old_connections
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from kosmmos.accounts.models import Membership, Organisation, Role, User, Workspace
    from kosmmos.competitors import collect, tasks
    from kosmmos.competitors.actions import save_keys
    from kosmmos.competitors.models import Community, CommunityPost, Follow, Status
    from kosmmos.connectors.sandbox.ext import public_communities as pub
    from kosmmos.connectors.sandbox.server import Network, SandboxApp
    from kosmmos.connectors.sandbox.tests.conftest import Bridge
    from kosmmos.lib import http

    n, w = int(opts["communities"]), int(opts["workspaces"])  # type: ignore[call-overload]
    net = Network(seed=1, public_url="http://sandbox.bench")
    net.faults = {"enabled": True, "latency_ms": [0, 0]}
    bridge = Bridge(SandboxApp(net))
    local = threading.local()

    def client() -> httpx.Client:
        found = getattr(local, "client", None)
        if found is None:
            found = local.client = httpx.Client(transport=bridge)
        return found

    http.client = client  # every request to the in-process sandbox
    settings.SANDBOX_URL = "http://sandbox.bench"
    settings.ALLOWED_HOSTS = ["*"]

    orgs = [Organisation.objects.create(name=f"Bench {i}") for i in range(max(1, w // 5))]
    for i, org in enumerate(orgs):
        save_keys(org, {"sandbox_key": f"bench-key-{i}"})
    workspaces = [Workspace.objects.create(organisation=orgs[i % len(orgs)], name=f"Client {i}")
                  for i in range(w)]
    communities = Community.objects.bulk_create([
        Community(network="sandbox", handle=f"pub-bench-{i}", next_attempt_at=timezone.now())
        for i in range(n)])
    follows = []
    for i, c in enumerate(communities):
        first = workspaces[i % w]
        follows.append(Follow(organisation=first.organisation, workspace=first, community=c))
        if i < n * float(opts["shared"]):  # type: ignore[arg-type]
            second = workspaces[(i * 7 + 1) % w]
            if second.pk != first.pk:
                follows.append(Follow(organisation=second.organisation, workspace=second,
                                      community=c))
    Follow.objects.bulk_create(follows)

    pool = ThreadPoolExecutor(max_workers=int(opts["threads"]))  # type: ignore[call-overload]
    outcomes: dict[str, int] = {}

    def work(pk: str) -> None:
        try:
            result = collect.read_community(pk)
            outcomes[result] = outcomes.get(result, 0) + 1
        finally:
            close_old_connections()

    tasks.read_community.delay = lambda pk: pool.submit(work, pk)
    state = pub.empty()

    def sandbox_now() -> float:
        answer = http.post("http://sandbox.bench/pub/_clock", json={"advance": 0})
        return float(answer.json()["now"])

    start_at = sandbox_now()
    round_seconds = []
    for number in range(int(opts["rounds"])):  # type: ignore[call-overload]
        if number:
            http.post("http://sandbox.bench/pub/_clock", json={"advance": 3600})
        Community.objects.update(next_attempt_at=timezone.now())
        began = time.monotonic()
        while True:
            collect.reads.dispatch_due()
            left = Community.objects.filter(reads__lt=number + 1).exclude(status=Status.FAILED)
            if not left.exists():
                break
            if time.monotonic() - began > 600:
                raise RuntimeError(f"round {number}: {left.count()} communities not read")
            time.sleep(0.05)
        round_seconds.append(time.monotonic() - began)
    pool.shutdown(wait=True)
    end_at = sandbox_now()
    stats = http.get("http://sandbox.bench/pub/_stats").json()

    # Lost: what the sandbox published from the first read to the last, not stored.
    stored: dict[str, set[str]] = {}
    for handle, ext in CommunityPost.objects.values_list("community__handle", "external_id"):
        stored.setdefault(handle, set()).add(ext)
    lost = 0
    for c in communities:
        conf = pub.community(state, 1, c.handle)
        begin = pub.ORIGIN - pub.HISTORY_DAYS * 86400
        published = [p for p in pub.posts(conf, 1, begin, end_at) if p["date"] >= start_at]
        lost += sum(1 for p in published if str(p["id"]) not in stored.get(c.handle, set()))
    duplicates = sum(row["n"] - 1 for row in CommunityPost.objects.values(
        "community_id", "external_id").annotate(n=Count("id")).filter(n__gt=1))

    # The page: an owner of the first organisation opens its clients' comparison.
    owner = User.objects.create_user("bench@kosmmos.test", "bench-pass-1")
    Membership.objects.create(organisation=orgs[0], user=owner, role=Role.OWNER)
    browser = Client()
    browser.force_login(owner)
    mine = [ws for ws in workspaces if ws.organisation_id == orgs[0].pk]
    timings = []
    for i in range(int(opts["samples"])):  # type: ignore[call-overload]
        ws = mine[i % len(mine)]
        t0 = time.perf_counter()
        page = browser.get(f"/competitors/{ws.pk}/?days={(7, 30, 90)[i % 3]}")
        timings.append((time.perf_counter() - t0) * 1000)
        assert page.status_code == 200, page.status_code
    timings.sort()
    bridge.close()
    return {
        "communities": n, "max_fetches_per_round": stats["max_fetches_per_round"],
        "lost": lost, "duplicates": duplicates, "rate_limit_violations": stats["violations"],
        "page_p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
        "page_p50_ms": round(statistics.median(timings), 1), "workspaces": w,
        "follows": len(follows), "rounds": len(round_seconds),
        "round_s_max": round(max(round_seconds), 2),
        "round_s_mean": round(statistics.fmean(round_seconds), 2),
        "posts_stored": CommunityPost.objects.count(), "outcomes": outcomes,
        "sandbox_calls": stats["calls"],
    }


if __name__ == "__main__":
    print(json.dumps(_inner(json.loads(sys.argv[1]))))
