"""``kosmmos bench ads``: VK Ads statistics in and a segment out, against the fake cabinet.

C cabinets × N campaigns (one ad group and one banner each) × D days of daily statistics are
imported from the sandbox's fake VK Ads cabinet (``connectors/sandbox/ext/vkads.py``, a real
granian process) by W worker processes running the real import job (``ads/imports.py``: claim,
lease, upserts, costs), while the cabinet answers 3.5 % of calls with 503 and 1.5 % with 429.
One worker is SIGKILLed once a third of the cabinets are in; its cabinet stays "running" until
the lease runs out and the sweep hands it back, and a fresh worker takes over. Then every
cabinet is imported again (the same days).

Reported:

- ``cabinets``; ``stat_rows``: day rows stored (campaign, group and banner levels);
- ``duplicates``: rows beyond the cabinets' own count (a day stored twice), plus rows whose
  figures changed between the first import and the re-import (a re-import that added);
- ``spend_mismatch_kopecks``: |the P&L's imported VK Ads costs − the cabinets' own totals|;
- ``segment_ids_exported``: VK ids in the remarketing lists made for a "bought" segment of S
  buyers (files within the 20 MB limit; the real export job, ``audiences/exports.py``);
- ``import_s``: the first import of all cabinets, wall time, the kill and the retries included.

Default: 5 × 20 × 90, S = 100,000 (a few minutes here). The issue's size is
``--cabinets 50 --days 365 --segment 1000000`` (or ``--full``).
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
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benches.common import free_port, kosmmos, stop_all, wait_healthy, with_root_on_path

LEASE_S = 8.0  # the bench's import lease: a killed worker's cabinet comes back this fast


def _child(role: str, spec: dict[str, Any], env: dict[str, str], **popen: Any
           ) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "benches.ads", role, json.dumps(spec)],
                            env=env, start_new_session=True, **popen)


def _run_child(role: str, spec: dict[str, Any], env: dict[str, str]) -> Any:
    done = subprocess.run([sys.executable, "-m", "benches.ads", role, json.dumps(spec)],
                          env=env, check=True, capture_output=True)
    return json.loads(done.stdout)


def run(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="kosmmos bench ads")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cabinets", type=int, default=5)
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--segment", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--full", action="store_true",
                        help="the issue's size: 50 cabinets × 20 campaigns × 365 days, 1,000,000 ids")
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary KOSMMOS_VAR")
    opts = parser.parse_args(argv)
    if opts.full:
        opts.cabinets, opts.campaigns, opts.days, opts.segment = 50, 20, 365, 1_000_000
    var = tempfile.mkdtemp(prefix="kosmmos-bench-ads-")
    port = free_port()
    sandbox = f"http://127.0.0.1:{port}"
    env = with_root_on_path({**os.environ, "KOSMMOS_VAR": var, "LOG_LEVEL": "WARNING",
                             "SANDBOX_URL": sandbox, "DJANGO_SETTINGS_MODULE": "kosmmos.settings"})
    env.pop("DATABASE_URL", None)  # its own SQLite under the temporary KOSMMOS_VAR
    log = open(Path(var) / "bench.log", "wb")  # noqa: SIM115
    procs: list[subprocess.Popen[bytes]] = []
    try:
        kosmmos("migrate", "--noinput", env=env)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "kosmmos.cli", "sandbox", "--port", str(port), "--state", ""],
            env=env, stdout=log, stderr=log, start_new_session=True))
        wait_healthy(f"{sandbox}/healthz", 60)
        spec = {"cabinets": opts.cabinets, "campaigns": opts.campaigns, "days": opts.days,
                "segment": opts.segment, "sandbox": sandbox}
        setup = _run_child("setup", spec, env)
        started = time.monotonic()
        workers = [_child("worker", {}, env, stdout=log, stderr=log)
                   for _ in range(opts.workers)]
        procs += workers
        killed = False
        while True:
            state = _run_child("progress", {}, env)
            if not killed and not opts.no_kill and state["done"] >= max(1, opts.cabinets // 3) \
                    and state["running"]:
                os.killpg(workers[0].pid, signal.SIGKILL)
                workers[0].wait()
                procs.append(_child("worker", {}, env, stdout=log, stderr=log))
                killed = True
                print(f"bench ads: SIGKILLed worker {workers[0].pid} with {state['done']} "
                      f"cabinets in and {state['running']} running; a fresh worker started",
                      file=sys.stderr, flush=True)
            if state["done"] + state["failed"] >= opts.cabinets:
                break
            time.sleep(0.5)
        import_s = time.monotonic() - started
        first = _run_child("snapshot", {}, env)
        mark = _run_child("reimport", {}, env)["mark"]
        while True:
            state = _run_child("progress", {"since": mark}, env)
            if state["done"] + state["failed"] >= opts.cabinets:
                break
            time.sleep(0.5)
        report = _run_child("report", {**spec, "first": first["digest"],
                                       "totals": setup["totals"], "rows": setup["rows"]}, env)
        return {"cabinets": opts.cabinets, "stat_rows": report["stat_rows"],
                "duplicates": report["duplicates"],
                "spend_mismatch_kopecks": report["spend_mismatch_kopecks"],
                "segment_ids_exported": report["segment_ids_exported"],
                "import_s": round(import_s, 1)}
    finally:
        stop_all(procs, log, var, opts.keep)


# --- the children (Django set up on the temporary database) ------------------------------------


def _http(method: str, url: str, body: Any = None) -> Any:
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,  # noqa: S310 (loopback)
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as response:  # noqa: S310
        return json.loads(response.read() or b"null")


def setup(spec: dict[str, Any]) -> dict[str, Any]:
    from django.utils import timezone

    from kosmmos.accounts.models import Organisation, Workspace
    from kosmmos.ads.models import Cabinet, JobStatus
    from kosmmos.links.models import Conversion

    start = date.today() - timedelta(days=spec["days"])
    end = start + timedelta(days=spec["days"] - 1)
    org = Organisation.objects.create(name="Bench ads", contact_email="bench@bench.test")
    totals, rows = 0, 0
    first_ws = None
    for i in range(spec["cabinets"]):
        ws = Workspace.objects.create(organisation=org, name=f"Client {i}")
        first_ws = first_ws or ws
        made = _http("PUT", f"{spec['sandbox']}/vkads/_admin/cabinets/bench-{i}", {
            "client_secret": "bench", "campaigns": spec["campaigns"], "start": str(start),
            "days": spec["days"], "error_rate": 0.035, "rate_limit_rate": 0.015})
        totals += made["spent_kopecks"]
        rows += made["rows"]
        cabinet = Cabinet(organisation=org, workspace=ws, name=f"Cabinet {i}",
                          client_id=f"bench-{i}", sandbox=True, status=JobStatus.PENDING,
                          import_from=start, import_to=end, next_attempt_at=timezone.now())
        cabinet.secrets = {"client_secret": "bench"}
        cabinet.save()
    assert first_ws is not None
    now = timezone.now()
    batch = []
    for n in range(spec["segment"]):
        batch.append(Conversion(organisation=org, workspace=first_ws, event_id=f"o{n}",
                                kind="purchase", amount=100, source="csv", occurred_at=now,
                                vk_id=str(100_000_000 + n)))
        if len(batch) == 20_000:
            Conversion.objects.bulk_create(batch)
            batch = []
    Conversion.objects.bulk_create(batch)
    return {"totals": totals, "rows": rows}


def worker(_spec: dict[str, Any]) -> None:
    """The real import job without a broker: claim a due cabinet, run it, sweep dead leases."""
    from datetime import timedelta as td

    from django.utils import timezone

    from kosmmos.ads import imports
    from kosmmos.ads.models import Cabinet, JobStatus
    from kosmmos.jobs.claims import claim_batch

    imports.LEASE = td(seconds=LEASE_S)
    while True:
        imports.sweep_stuck()
        due = Cabinet.objects.filter(next_attempt_at__lte=timezone.now())
        ids = claim_batch(due, JobStatus.PENDING, 1, status=JobStatus.QUEUED,
                          enqueued_at=timezone.now())
        if not ids:
            time.sleep(0.2)
            continue
        try:
            imports.run(ids[0])
        except Exception as exc:  # the row stays running; the sweep hands it back at lease end
            print(f"bench worker: {exc!r}", file=sys.stderr, flush=True)


def progress(spec: dict[str, Any]) -> dict[str, int]:
    from kosmmos.ads.models import Cabinet, JobStatus

    rows = Cabinet.objects.all()
    if spec.get("since"):
        rows = rows.filter(last_import_at__gt=spec["since"])
        done = rows.filter(import_from__isnull=True).count()
    else:
        done = rows.filter(last_import_at__isnull=False).count()
    return {"done": done, "failed": Cabinet.objects.filter(status=JobStatus.FAILED).count(),
            "running": Cabinet.objects.filter(status=JobStatus.RUNNING).count()}


def _digest() -> str:
    import hashlib

    from kosmmos.ads.models import DailyStat

    h = hashlib.sha256()
    for row in DailyStat.objects.order_by("cabinet_id", "level", "external_id", "day").values_list(
            "cabinet_id", "level", "external_id", "day", "impressions", "clicks", "spent_kopecks",
            "goals", "reach").iterator(chunk_size=20_000):
        h.update(repr(row).encode())
    return h.hexdigest()


def snapshot(_spec: dict[str, Any]) -> dict[str, str]:
    return {"digest": _digest()}


def reimport(_spec: dict[str, Any]) -> dict[str, str]:
    """The same days again, for every cabinet (due now)."""
    from django.utils import timezone

    from kosmmos.ads.models import Cabinet, DailyStat, JobStatus

    first = DailyStat.objects.order_by("day").values_list("day", flat=True).first()
    last = DailyStat.objects.order_by("-day").values_list("day", flat=True).first()
    mark = timezone.now()
    Cabinet.objects.update(status=JobStatus.PENDING, import_from=first, import_to=last,
                           attempts=0, next_attempt_at=mark)
    return {"mark": mark.isoformat()}


def report(spec: dict[str, Any]) -> dict[str, Any]:
    from django.db.models import Sum

    from kosmmos.ads.models import Cabinet, DailyStat
    from kosmmos.audiences import exports
    from kosmmos.audiences.models import AudienceExport, ExportStatus
    from kosmmos.links.models import CostEntry

    stat_rows = DailyStat.objects.count()
    changed = int(_digest() != spec["first"])
    imported = CostEntry.objects.filter(source="vk_ads").aggregate(s=Sum("amount"))["s"] or 0
    mismatch = abs(round(imported * 100) - spec["totals"])
    cabinet = Cabinet.objects.order_by("name").first()
    assert cabinet is not None
    export = exports.create_export(cabinet, "bought", refresh_days=0)
    AudienceExport.objects.filter(pk=export.pk).update(status=ExportStatus.QUEUED)
    exports.run(export.pk)
    export.refresh_from_db()
    lists = _http("GET", f"{spec['sandbox']}/vkads/_admin/lists")["items"]
    exported = sum(x["entries_count"] for x in lists if str(x["id"]) in map(str, export.list_ids))
    return {"stat_rows": stat_rows,
            "duplicates": max(0, stat_rows - spec["rows"]) + changed,
            "spend_mismatch_kopecks": mismatch, "segment_ids_exported": exported,
            "export_status": export.status, "lists": len(export.list_ids)}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kosmmos.settings")
    import django

    django.setup()
    role, arg = sys.argv[1], json.loads(sys.argv[2])
    result = {"setup": setup, "worker": worker, "progress": progress, "snapshot": snapshot,
              "reimport": reimport, "report": report}[role](arg)
    if result is not None:
        print(json.dumps(result, default=str))
