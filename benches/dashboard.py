"""``kosmmos bench dashboard``: the money dashboards' queries over 10M clicks.

Loads (not timed) 10,000,000 clicks and 100,000 conversions across 50 workspaces (200 links
each) into a fresh embedded set-up: clicks straight into the SQLite event store, generated with
numpy (each link is posted on some day of the last 180 and clicked mostly in the following
hours, as post links are; 3% bots); conversions and costs with bulk inserts into the app
database; then the hourly rollups are built. Then it times what the P&L and Links pages compute
(``stats.pnl`` + ``stats.links_table``, the default six months and the last month) for random
workspaces and reports the p95.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from benches.common import with_root_on_path


def run(argv: list[str]) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="kosmmos bench dashboard")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--conversions", type=int, default=100_000)
    parser.add_argument("--workspaces", type=int, default=50)
    parser.add_argument("--samples", type=int, default=200)
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kosmmos-bench-dashboard-") as var:
        env = with_root_on_path({
            **os.environ, "KOSMMOS_VAR": var, "DJANGO_SETTINGS_MODULE": "kosmmos.settings",
            "LINKS_EVENTS_BACKEND": "sqlite", "LOG_LEVEL": "WARNING"})
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        subprocess.run([sys.executable, "-m", "kosmmos.cli", "migrate", "--noinput"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        out = subprocess.run(
            [sys.executable, "-m", "benches.dashboard", json.dumps(vars(opts))],
            env=env, check=True, capture_output=True, text=True,
        ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _inner(opts: dict[str, int]) -> dict[str, object]:
    import random
    import statistics
    from datetime import UTC, date, datetime, timedelta
    from decimal import Decimal

    import django

    django.setup()
    import numpy as np

    from kosmmos.accounts.models import Organisation, Workspace
    from kosmmos.links import stats
    from kosmmos.links.events import get_store
    from kosmmos.links.models import Conversion, CostEntry, TrackedLink

    rng = np.random.default_rng(42)
    org = Organisation.objects.create(name="Bench agency")
    workspaces = Workspace.objects.bulk_create(
        [Workspace(organisation=org, name=f"Client {i}") for i in range(opts["workspaces"])])
    per_ws = 200
    links = TrackedLink.objects.bulk_create([
        TrackedLink(organisation=org, workspace=ws, network="vk", post_ref=f"p{i}",
                    target_url=f"https://shop.example/{ws.pk.hex[:6]}/{i}")
        for ws in workspaces for i in range(per_ws)
    ], batch_size=2000)
    now_ms = int(time.time() * 1000)
    day = 86_400_000
    n_links = len(links)
    started = time.monotonic()
    # Clicks per link: skewed (a few posts take most clicks), summing to the target.
    weights = rng.pareto(1.5, n_links) + 0.1
    counts = np.floor(weights / weights.sum() * opts["clicks"]).astype(np.int64)
    counts[: opts["clicks"] - int(counts.sum())] += 1
    posted = now_ms - rng.integers(0, 180, n_links) * day - rng.integers(0, day, n_links)
    store = get_store()
    conn = store._conn()  # bulk path: straight SQL, no per-click Python objects beyond tuples
    conn.execute("PRAGMA synchronous=OFF")
    by_ws: dict[int, list[int]] = {}
    for index in range(n_links):
        by_ws.setdefault(index // per_ws, []).append(index)
    sql = ("INSERT INTO links_click (workspace_id, ts, click_id, link_id, referrer, ua_class, device, is_bot) "
           "VALUES (?, ?, ?, ?, 'vk.com', 'chrome', 'mobile', ?)")
    serial = 0
    for w, indexes in by_ws.items():
        ws_bytes = workspaces[w].pk.bytes
        parts_ts, parts_link = [], []
        for i in indexes:
            n = int(counts[i])
            if n == 0:
                continue
            delay = np.minimum(rng.exponential(12 * 3_600_000, n), 14 * day).astype(np.int64)
            parts_ts.append(np.minimum(posted[i] + delay, now_ms - 1000))
            parts_link.append(np.full(n, i, dtype=np.int64))
        ts = np.concatenate(parts_ts)
        link_index = np.concatenate(parts_link)
        order = np.argsort(ts, kind="stable")
        ts, link_index = ts[order].tolist(), link_index[order].tolist()
        bots = (rng.random(len(ts)) < 0.03).astype(np.int64).tolist()
        link_bytes = [links[i].pk.bytes for i in range(n_links)]
        conn.execute("BEGIN")
        conn.executemany(sql, ((ws_bytes, t, f"b{serial + k:x}", link_bytes[li], b)
                               for k, (t, li, b) in enumerate(zip(ts, link_index, bots, strict=True))))
        conn.execute("COMMIT")
        serial += len(ts)
    load_clicks_s = time.monotonic() - started
    started = time.monotonic()
    rollup_rows = store.rebuild_rollups()
    rollup_s = time.monotonic() - started
    # Conversions: last click within 30 days of a random click time.
    per_conv = opts["conversions"] // len(workspaces)
    convs = []
    for w, ws in enumerate(workspaces):
        chosen = rng.integers(0, per_ws, per_conv)
        for k, li in enumerate(chosen.tolist()):
            link = links[w * per_ws + li]
            when = datetime.fromtimestamp((int(posted[w * per_ws + li]) + int(rng.integers(0, 3 * day))) / 1000, UTC)
            convs.append(Conversion(
                organisation=org, workspace=ws, event_id=f"o{w}-{k}", kind="purchase",
                amount=Decimal(int(rng.integers(500, 20000))), occurred_at=min(when, datetime.now(UTC)),
                source="postback", link=link if k % 3 else None))
    Conversion.objects.bulk_create(convs, batch_size=5000)
    today = date.today().replace(day=1)
    CostEntry.objects.bulk_create([
        CostEntry(organisation=org, workspace=ws, month=date(today.year if today.month > m else today.year - 1,
                                                              (today.month - m - 1) % 12 + 1, 1),
                  category=cat, amount=Decimal(10000 + m * 1000))
        for ws in workspaces for m in range(6) for cat in ("ad_spend", "content", "agency_fee")
    ])
    timings = []
    sample = random.Random(7)
    qd = __import__("django.http", fromlist=["QueryDict"]).QueryDict
    last_month = (today - timedelta(days=1)).replace(day=1).strftime("%Y-%m")
    for _ in range(opts["samples"]):
        ws = sample.choice(workspaces)
        query = qd("") if sample.random() < 0.5 else qd(f"from={last_month}&to={last_month}")
        period = stats.Period.from_query(query, "Europe/Moscow")
        t0 = time.perf_counter()
        figures = stats.pnl(ws, period)
        stats.links_table(ws, period)
        timings.append((time.perf_counter() - t0) * 1000)
        assert figures.months
    timings.sort()
    return {
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "p50_ms": round(statistics.median(timings), 1),
        "rows": serial, "conversions": len(convs), "rollup_rows": rollup_rows,
        "load_clicks_s": round(load_clicks_s, 1), "rollup_build_s": round(rollup_s, 1),
        "store": "sqlite (separate file) + hourly rollups", "samples": len(timings),
    }


if __name__ == "__main__":
    print(json.dumps(_inner(json.loads(sys.argv[1]))))
