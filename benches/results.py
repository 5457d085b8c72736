"""``kosmmos bench results``: the results page's figures (``results.figures.collect``, with the
previous period and the year before, as the page asks) for one month and for twelve months.

Loads (not timed) into a fresh embedded set-up, with bulk inserts: workspaces with channels,
a year of daily follower counts per channel, posts over twelve months each with a published
target and several statistics snapshots, tracked links with clicks straight into the SQLite
event store (then the hourly rollups), conversions, costs, inbox comments and a year of
targets. Then it times ``collect`` for random workspaces: this month and the last twelve.

The default size runs in a few minutes here; ``--full`` is the issue's size (50 workspaces,
20 channels and 5,000 posts each with snapshots, 10M clicks). Prints ``month_p95_ms``,
``year_p95_ms``, ``snapshot_rows`` and ``clicks``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from benches.common import with_root_on_path

FULL = {"workspaces": 50, "channels": 20, "posts": 5000, "snapshots": 8, "clicks": 10_000_000}


def run(argv: list[str]) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="kosmmos bench results")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--full", action="store_true", help="the issue's size (takes long)")
    parser.add_argument("--workspaces", type=int, default=6)
    parser.add_argument("--channels", type=int, default=4)
    parser.add_argument("--posts", type=int, default=800, help="per workspace, over 12 months")
    parser.add_argument("--snapshots", type=int, default=4, help="per post")
    parser.add_argument("--clicks", type=int, default=300_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="cProfile one month's call")
    opts = vars(parser.parse_args(argv))
    if opts.pop("full"):
        opts.update(FULL)
    with tempfile.TemporaryDirectory(prefix="kosmmos-bench-results-") as var:
        env = with_root_on_path({
            **os.environ, "KOSMMOS_VAR": var, "DJANGO_SETTINGS_MODULE": "kosmmos.settings",
            "LINKS_EVENTS_BACKEND": "sqlite", "LOG_LEVEL": "WARNING"})
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        subprocess.run([sys.executable, "-m", "kosmmos.cli", "migrate", "--noinput"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        done = subprocess.run([sys.executable, "-m", "benches.results", json.dumps(opts)],
                              env=env, check=True, capture_output=True, text=True)
        if opts["profile"]:
            print(done.stderr, file=sys.stderr)
        out = done.stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _inner(opts: dict[str, int]) -> dict[str, object]:
    import random
    import time
    import zoneinfo
    from datetime import datetime, timedelta
    from decimal import Decimal

    import django

    django.setup()
    from django.db import connection

    from kosmmos.accounts.models import Organisation, Workspace
    from kosmmos.channels.models import Channel, ChannelStatsSnapshot
    from kosmmos.content.models import Post, PostStatus, PostTarget, TargetStatus
    from kosmmos.inbox.models import Item, ItemStatus
    from kosmmos.links.events import get_store
    from kosmmos.links.models import Conversion, CostEntry, TrackedLink
    from kosmmos.proposals.models import WorkspaceTarget
    from kosmmos.publishing.models import PostStatsSnapshot
    from kosmmos.results.figures import collect
    from kosmmos.results.periods import add_months, month_end

    rng = random.Random(14)
    tz = zoneinfo.ZoneInfo("Europe/Moscow")
    now = datetime.now(tz)
    today = now.date()
    year_ago = today - timedelta(days=365)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")
    org = Organisation.objects.create(name="Bench agency")
    workspaces = Workspace.objects.bulk_create(
        [Workspace(organisation=org, name=f"Client {i:02d}") for i in range(opts["workspaces"])])
    months = [add_months(today.replace(day=1), -k) for k in range(12)]
    snapshot_rows = 0
    links_by_ws: dict[int, list[TrackedLink]] = {}
    for w, ws in enumerate(workspaces):
        channels = Channel.objects.bulk_create([
            Channel(organisation=org, workspace=ws, network=rng.choice(["vk", "ok", "telegram"]),
                    name=f"Channel {c}", external_id=f"{w}-{c}")
            for c in range(opts["channels"])])
        ChannelStatsSnapshot.objects.bulk_create([
            ChannelStatsSnapshot(organisation=org, channel=ch, day=year_ago + timedelta(days=d),
                                 followers=1000 + 3 * d + rng.randint(0, 20))
            for ch in channels for d in range(366)], batch_size=5000)
        posts, targets, snaps = [], [], []
        for _p in range(opts["posts"]):
            published = now - timedelta(seconds=rng.randint(3600, 365 * 86400))
            post = Post(organisation=org, workspace=ws, title="Post", text="text",
                        status=PostStatus.PUBLISHED, publish_at=published)
            posts.append(post)
            target = PostTarget(organisation=org, post=post, channel=rng.choice(channels),
                                status=TargetStatus.PUBLISHED, published_at=published,
                                publish_at=published, external_id=f"x{rng.getrandbits(40)}")
            targets.append(target)
            reach = rng.randint(200, 20000)
            for s in range(opts["snapshots"]):
                part = (s + 1) / opts["snapshots"]
                snaps.append(PostStatsSnapshot(
                    organisation=org, target=target,
                    taken_at=(published + timedelta(hours=4 ** s)).replace(minute=0, second=0,
                                                                           microsecond=0),
                    views=int(reach * 1.4 * part), reach=int(reach * part),
                    likes=int(reach * 0.04 * part), comments=int(reach * 0.01 * part),
                    reposts=int(reach * 0.003 * part)))
        Post.objects.bulk_create(posts, batch_size=5000)
        PostTarget.objects.bulk_create(targets, batch_size=5000)
        PostStatsSnapshot.objects.bulk_create(snaps, batch_size=5000, ignore_conflicts=True)
        snapshot_rows += len(snaps)
        links_by_ws[w] = TrackedLink.objects.bulk_create([
            TrackedLink(organisation=org, workspace=ws, network="vk", post_ref=str(p.pk),
                        target_url=f"https://shop.example/{w}/{i}")
            for i, p in enumerate(posts[:200])])
        Conversion.objects.bulk_create([
            Conversion(organisation=org, workspace=ws, event_id=f"o{w}-{k}",
                       kind=rng.choice(["purchase", "registration"]),
                       amount=Decimal(rng.randint(500, 9000)), source="postback",
                       occurred_at=now - timedelta(seconds=rng.randint(60, 365 * 86400)),
                       link=rng.choice(links_by_ws[w])) for k in range(1000)], batch_size=5000)
        CostEntry.objects.bulk_create([
            CostEntry(organisation=org, workspace=ws, month=m, category=cat,
                      amount=Decimal(20000)) for m in months
            for cat in ("ad_spend", "content", "agency_fee")])
        Item.objects.bulk_create([
            Item(organisation=org, workspace=ws, channel=rng.choice(channels), network="vk",
                 kind="comment", external_id=f"i{w}-{k}", author_ref=f"a{k % 300}",
                 sentiment=rng.choice(["positive", "neutral", "negative"]),
                 status=ItemStatus.CLOSED,
                 received_at=now - timedelta(seconds=rng.randint(60, 365 * 86400)))
            for k in range(2000)], batch_size=5000)
        WorkspaceTarget.objects.bulk_create([
            WorkspaceTarget(organisation=org, workspace=ws, month=m, metric=metric,
                            value=Decimal(value))
            for m in months for metric, value in (("reach", 300000), ("subscribers", 500),
                                                  ("clicks", 2000), ("leads", 80),
                                                  ("sales", 20), ("budget", 60000))])
    # Clicks: straight into the event store, spread over the year and the workspaces' links.
    store = get_store()
    conn = store._conn()  # the bulk path, as the dashboard bench loads it
    conn.execute("PRAGMA synchronous=OFF")
    sql = ("INSERT INTO links_click (workspace_id, ts, click_id, link_id, referrer, ua_class, "
           "device, is_bot) VALUES (?, ?, ?, ?, 'vk.com', 'chrome', 'mobile', 0)")
    start_ms = int((now - timedelta(days=365)).timestamp() * 1000)
    span_ms = 365 * 86_400_000
    per_ws = opts["clicks"] // len(workspaces)
    serial = 0
    for w, ws in enumerate(workspaces):
        link_ids = [lk.pk.bytes for lk in links_by_ws[w]]
        conn.execute("BEGIN")
        conn.executemany(sql, ((ws.pk.bytes, start_ms + rng.randrange(span_ms), f"b{serial + k:x}",
                                rng.choice(link_ids)) for k in range(per_ws)))
        conn.execute("COMMIT")
        serial += per_ws
    store.rebuild_rollups()

    def p95(values: list[float]) -> float:
        values = sorted(values)
        return round(values[max(0, int(len(values) * 0.95) - 1)], 1)

    month_ms, year_ms = [], []
    first = add_months(today.replace(day=1), -11)
    if opts.get("profile"):
        import cProfile
        import pstats

        collect(workspaces[0], today.replace(day=1), month_end(today))
        profile = cProfile.Profile()
        profile.enable()
        collect(workspaces[0], today.replace(day=1), month_end(today))
        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    for _ in range(opts["samples"]):
        ws = rng.choice(workspaces)
        t0 = time.perf_counter()
        collect(ws, today.replace(day=1), month_end(today))
        month_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        collect(ws, first, month_end(today))
        year_ms.append((time.perf_counter() - t0) * 1000)
    return {"month_p95_ms": p95(month_ms), "year_p95_ms": p95(year_ms),
            "snapshot_rows": snapshot_rows, "clicks": serial}


if __name__ == "__main__":
    print(json.dumps(_inner(json.loads(sys.argv[1]))))
