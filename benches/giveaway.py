"""``kosmmos bench giveaway``: a giveaway's collection and draw on the sandbox.

A post on the in-process sandbox with ``--participants`` people (default 20,000; the issue's
200,000 with ``--participants 200000``, a few minutes more) who liked it, most of whom also
reposted, commented with the word and belong to the community; 5 % of the network's answers are
transient errors (VK error 10). The real path reads it: likes (1,000 a page), reposts, comments
(100 a page), membership re-checks (500 ids a call) and profiles, paced by our limiter under
the sandbox's 20 calls a second per token; then the list is frozen and hashed, the round fetched
from the sandbox's beacon and the winners drawn.

Reported: ``participants`` (candidates collected: everyone who acted on the post);
``collect_s`` (the whole collection with re-checks, stored); ``draw_s`` (freeze, hash, fetch the
round, pick, store, draft the results post); ``winners_match`` (``python -m
kosmmos.giveaways.verify draw.json --offline``, run as a separate process on the published
document, recomputes the same winners; offline because the beacon lives inside this process —
the signature it checks is the one the beacon served); ``rate_limit_violations`` (calls the
sandbox refused as over its rate limit).

With ``--details``, what the giveaway then says on the sandbox (the hash comment, the winners
told, with the same share of lost answers): ``said`` (rows by status), ``said_tries`` (tries by
outcome: ``unsure`` a lost answer, ``found`` the look-up that found it), ``said_twice`` (comments
or messages the sandbox holds twice: 0 is the point) and ``said_s``.
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
    parser = argparse.ArgumentParser(prog="kosmmos bench giveaway")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--participants", type=int, default=20_000)
    parser.add_argument("--error-rate", type=float, default=0.05)
    parser.add_argument("--winners", type=int, default=5)
    parser.add_argument("--details", action="store_true", help="more figures than the issue's")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kosmmos-bench-giveaway-") as var:
        env = with_root_on_path({
            **os.environ, "KOSMMOS_VAR": var, "DJANGO_SETTINGS_MODULE": "kosmmos.settings",
            "LOG_LEVEL": "WARNING"})
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        subprocess.run([sys.executable, "-m", "kosmmos.cli", "migrate", "--noinput"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        done = subprocess.run([sys.executable, "-m", "benches.giveaway", json.dumps(vars(opts)),
                               var], env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"the bench failed:\n{done.stderr[-3000:]}")
        out = done.stdout
    result = dict(json.loads(out.strip().splitlines()[-1]))
    if not opts.details:
        keys = ("participants", "collect_s", "draw_s", "winners_match", "rate_limit_violations")
        result = {k: result[k] for k in keys}
    return result


def _inner(opts: dict[str, object], var: str) -> dict[str, object]:
    import time
    from datetime import timedelta
    from pathlib import Path

    import django

    django.setup()
    from collections import Counter

    import httpx
    from django.conf import settings
    from django.utils import timezone

    from kosmmos.accounts.models import Organisation, Workspace
    from kosmmos.connectors.sandbox.ext import drand, engagement
    from kosmmos.connectors.sandbox.server import Network, SandboxApp
    from kosmmos.connectors.sandbox.tests.conftest import Bridge
    from kosmmos.giveaways import actions, beacon, outreach
    from kosmmos.giveaways.collect import collect
    from kosmmos.giveaways.models import Outreach, Participant
    from kosmmos.jobs.queue import RowQueue
    from kosmmos.lib import http

    net = Network(seed=1, public_url="http://sandbox.bench")
    net.faults = {"enabled": True, "latency_ms": [0, 0]}
    bridge = Bridge(SandboxApp(net))
    client = httpx.Client(transport=bridge)
    http.client = lambda: client  # every request goes to the in-process sandbox
    settings.SANDBOX_URL = "http://sandbox.bench"
    # No worker runs here: the bench itself is the ticker and the worker for what the giveaway
    # says (below), so a kick's message to the broker would only pile up in var/broker (and its
    # first connection would be timed inside the draw).
    RowQueue.enqueue = lambda self, pk: None  # type: ignore[method-assign]
    n = int(opts["participants"])  # type: ignore[call-overload]
    answer = http.request("PUT", "http://sandbox.bench/eng/_setup", json={"posts": {"-9_1": {
        "audience": n, "like": 1.0, "repost": 0.9, "comment": 0.9, "member": 0.95,
        "word": "хочу", "group_id": "9", "error_rate": opts["error_rate"]}}})
    assert answer.status_code == 200, answer.text
    org = Organisation.objects.create(name="Bench agency")
    ws = Workspace.objects.create(organisation=org, name="Bench client")
    now = timezone.now()
    giveaway = actions.create_giveaway(ws, actions.GiveawayData(
        title="Bench", network="sandbox", owner_id="-9", item_id="1", group_id="9",
        starts_at=now - timedelta(days=7), ends_at=now,
        conditions={"like": True, "repost": True, "comment": True, "word": "хочу",
                    "member": True},
        rules={"min_age_days": 30, "no_avatar": True, "closed": False},
        winners_count=int(opts["winners"]), reserves_count=3))  # type: ignore[call-overload]

    t0 = time.perf_counter()
    entries, reader, _seconds = collect(giveaway)
    collect_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    actions.freeze(giveaway)
    # The round comes out a few minutes later; the fake beacon's clock is moved there.
    drand.clock = lambda: time.time() + 3600
    found = beacon.fetch(giveaway.beacon_url, giveaway.drand_round or 0)
    winners = actions.draw(giveaway, found)
    draw_s = time.perf_counter() - t0

    # What the giveaway says on the network: the hash comment (queued at the freeze) and each
    # winner told (at the draw), through the same 5 % of lost answers — a write the sandbox
    # made but answered with error 10 is looked up before any resend. Each round is what the
    # ticker and a worker do with the due rows.
    t0 = time.perf_counter()
    outcomes: list[str] = []
    for _round in range(10):
        due = list(Outreach.objects.filter(giveaway=giveaway, status__in=["pending", "queued"])
                   .values_list("pk", flat=True))
        if not due:
            break
        for pk in due:
            Outreach.objects.filter(pk=pk).update(status="queued")
            outcomes.append(outreach.deliver(pk))
    said_s = time.perf_counter() - t0
    said = http.request("GET", "http://sandbox.bench/eng/_said").json()
    texts = [c["text"] for c in said["comments"].get("-9_1", [])]
    sent_ids = [m["random_id"] for box in said["messages"].values() for m in box]
    said_twice = (len(texts) - len(set(texts))) + (len(sent_ids) - len(set(sent_ids)))

    path = Path(var) / "draw.json"
    path.write_text(json.dumps(actions.draw_document(giveaway)), encoding="utf-8")
    check = subprocess.run([sys.executable, "-m", "kosmmos.giveaways.verify", str(path),
                            "--offline"], capture_output=True, text=True)
    stats = engagement.counts()
    bridge.close()
    return {
        "participants": Participant.objects.filter(giveaway=giveaway).count(),
        "collect_s": round(collect_s, 1), "draw_s": round(draw_s, 2),
        "winners_match": check.returncode == 0 and all(w in check.stdout for w in winners),
        "rate_limit_violations": stats["violations"],
        "eligible": entries, "frozen": giveaway.frozen_count, "calls": reader.calls,
        "retries": reader.retries, "sandbox_errors": stats["errors"],
        "by_method": stats["by_method"],
        "said_s": round(said_s, 2), "said": dict(sorted(Counter(
            Outreach.objects.filter(giveaway=giveaway).values_list("status", flat=True)).items())),
        "said_tries": dict(sorted(Counter(outcomes).items())), "said_twice": said_twice,
    }


if __name__ == "__main__":
    print(json.dumps(_inner(json.loads(sys.argv[1]), sys.argv[2])))
