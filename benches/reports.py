"""``kosmmos bench reports``: the monthly client reports of an agency drafted, rendered and
emailed by two real workers on the embedded set-up (SQLite, file queue, file outbox), one of
them SIGKILLed a third of the way through.

Set-up (not timed): a temporary ``KOSMMOS_VAR``, ``migrate``, one agency with ``--workspaces``
client workspaces, each with a year of data (2 channels with daily followers, 10 posts a month
with stats, 20 conversions and 20 reviews a month, costs and three proposal targets a month)
and a client user; report settings on the schedule with «send without review». Then two
``kosmmos worker --concurrency 1`` processes start (one render at a time each: on two shared
cores, more threads only make each render wait for the GIL) and the schedule comes due: their tickers draft last month's
report for every workspace, render it and email it with its PDF. The worker lease and the
requeue wait are cut to 20 s (``REPORTS_LEASE_SECONDS``, ``REPORTS_REQUEUE_SECONDS``) so the
killed worker's reports come back within the run, and four reports are queued ahead
(``REPORTS_QUEUED_AHEAD``) so none waits past the requeue time.

Figures: ``workspaces``; ``reports`` (rows in the database for the month); ``pdfs_sent`` (emails
with a PDF in the file outbox; the run fails if the database's sent report emails differ);
``duplicates`` (a second report row for a workspace and month, or a second email to one
client); ``wall_s`` (the schedule due → the last report email sent); ``render_p95_s`` (the PDF
render time of the versions, p95). ``--workspaces 200`` is the issue's size.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benches.common import kosmmos, with_root_on_path

LEASE_S = "20"
# Reports queued at once: four renders of a few seconds each start within the 20 s requeue time
# even on one worker, so the sweep does not send them again.
AHEAD = "4"


def _python(code: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout.strip()


def seed(workspaces: int) -> None:
    """A year of data for ``workspaces`` client workspaces of one agency (bulk inserts)."""
    import random
    from datetime import date, datetime, timedelta
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from kosmmos.accounts.models import Membership, Organisation, Role, User, Workspace
    from kosmmos.channels.models import Channel, ChannelStatsSnapshot
    from kosmmos.content.models import Post, PostTarget, TargetStatus
    from kosmmos.inbox.models import Item
    from kosmmos.links.models import Conversion, CostEntry
    from kosmmos.proposals.models import WorkspaceTarget
    from kosmmos.publishing.models import PostStatsSnapshot
    from kosmmos.reports.models import ReportSettings

    rng = random.Random(15)
    org = Organisation.objects.create(name="Агентство «Северный ветер»",
                                      contact_email="hello@nordwind.test")
    now = timezone.now()
    today = timezone.localdate()
    first_day = today - timedelta(days=365)
    months = sorted({(first_day + timedelta(days=d)).replace(day=1) for d in range(366)})
    unusable = make_password(None)
    for n in range(workspaces):
        ws = Workspace.objects.create(organisation=org, name=f"Клиент {n + 1:03d}")
        user = User.objects.create(email=f"client{n + 1:03d}@clients.test", password=unusable)
        Membership.objects.create(organisation=org, user=user, role=Role.CLIENT).workspaces.add(ws)
        # No network behind these channels: their own stats collection is not due this year.
        channels = [Channel.objects.create(organisation=org, workspace=ws, network=net,
                                           name=f"{ws.name} {net}", external_id=f"{n}-{net}",
                                           next_stats_at=now + timedelta(days=365))
                    for net in ("vk", "telegram")]
        snapshots, posts, targets, stats, conversions, items = [], [], [], [], [], []
        for channel in channels:
            followers = rng.randint(2000, 20000)
            for d in range(366):
                followers += rng.randint(-5, 15)
                snapshots.append(ChannelStatsSnapshot(organisation=org, channel=channel,
                                                      day=first_day + timedelta(days=d),
                                                      followers=followers))
        for month in months:
            for k in range(10):
                moment = datetime.combine(month + timedelta(days=k * 2),
                                          datetime.min.time()).astimezone() + timedelta(hours=12)
                if moment > now:
                    continue
                post = Post(organisation=org, workspace=ws, title=f"Пост {month:%m}-{k}",
                            text="Текст", publish_at=moment, status="published")
                target = PostTarget(organisation=org, post=post, channel=channels[k % 2],
                                    status=TargetStatus.PUBLISHED, published_at=moment,
                                    external_id=f"{n}-{month:%Y%m}-{k}")
                views = rng.randint(500, 9000)
                posts.append(post)
                targets.append(target)
                stats.append(PostStatsSnapshot(
                    organisation=org, target=target, taken_at=moment + timedelta(days=2),
                    views=views, reach=int(views * 0.8), likes=views // 40, comments=views // 300,
                    reposts=views // 500))
            for k in range(20):
                moment = datetime.combine(month + timedelta(days=k), datetime.min.time()
                                          ).astimezone() + timedelta(hours=15)
                if moment > now:
                    continue
                conversions.append(Conversion(
                    organisation=org, workspace=ws, event_id=f"{n}-{month:%Y%m}-{k}",
                    kind="purchase" if k % 3 else "registration", occurred_at=moment,
                    amount=Decimal(rng.randint(1000, 9000)) if k % 3 else Decimal(0),
                    source="postback"))
                items.append(Item(
                    organisation=org, workspace=ws, channel=channels[0], network="vk",
                    kind="comment", external_id=f"{n}-{month:%Y%m}-{k}", text="Отзыв",
                    sentiment=rng.choice(["positive", "neutral", "negative", "positive"]),
                    received_at=moment, created_at=moment,
                    first_response_at=moment + timedelta(minutes=rng.randint(3, 180))))
            CostEntry.objects.bulk_create([
                CostEntry(organisation=org, workspace=ws, month=month, category="ad_spend",
                          amount=Decimal(rng.randint(20000, 60000))),
                CostEntry(organisation=org, workspace=ws, month=month, category="agency_fee",
                          amount=Decimal(50000))])
            WorkspaceTarget.objects.bulk_create([
                WorkspaceTarget(organisation=org, workspace=ws, month=month, metric=metric,
                                value=Decimal(value))
                for metric, value in (("leads", 7), ("sales", 12), ("reach", 40000))])
        ChannelStatsSnapshot.objects.bulk_create(snapshots, batch_size=2000)
        Post.objects.bulk_create(posts, batch_size=2000)
        PostTarget.objects.bulk_create(targets, batch_size=2000)
        PostStatsSnapshot.objects.bulk_create(stats, batch_size=2000)
        Conversion.objects.bulk_create(conversions, batch_size=2000)
        Item.objects.bulk_create(items, batch_size=2000)
    ReportSettings.objects.create(organisation=org, enabled=False, auto_send=True)
    print(date.today())


_DUE = """
import django; django.setup()
from django.utils import timezone
from kosmmos.reports.models import ReportSettings
ReportSettings.objects.update(enabled=True, next_run_at=timezone.now())
"""

_COUNT = """
import django, json; django.setup()
from django.db.models import Count
from kosmmos.mail.models import Delivery
from kosmmos.reports.models import Report, ReportVersion
reports = Report.objects.all()
mails = Delivery.objects.filter(kind="report")
print(json.dumps({
    "reports": reports.count(),
    "done": reports.filter(status__in=["draft", "sent"]).count(),
    "sent": reports.filter(status="sent").count(),
    "failed": reports.filter(status="failed").count(),
    "mails": mails.count(),
    "mails_sent": mails.filter(status="sent", attachments__isnull=False).distinct().count(),
    "extra_rows": sum(r["n"] - 1 for r in reports.values("workspace", "period_start")
                      .annotate(n=Count("id")) if r["n"] > 1),
    "extra_mails": sum(len(d.to) for d in mails) - len({a for d in mails for a in d.to}),
    "render_ms": list(ReportVersion.objects.exclude(render_ms=0).values_list("render_ms", flat=True)),
}))
"""


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def _outbox_pdfs(var: Path) -> int:
    """PDF attachments in the file outbox. Counted per attachment, not per file: Django's file
    backend names a file by the second and the connection object's id, so two workers sending in
    the same second may append two messages to one file."""
    outbox = var / "outbox"
    if not outbox.exists():
        return 0
    return sum(f.read_bytes().count(b"Content-Type: application/pdf")
               for f in outbox.iterdir() if f.is_file())


def run(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="kosmmos bench reports")
    parser.add_argument("--workspaces", type=int, default=12)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--no-kill", action="store_true", help="keep both workers alive")
    parser.add_argument("--json", action="store_true")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kosmmos-bench-reports-") as tmp:
        var = Path(tmp)
        env = with_root_on_path({
            **os.environ, "KOSMMOS_VAR": str(var), "KOSMMOS_TICK_SECONDS": "0.5",
            "REPORTS_LEASE_SECONDS": LEASE_S, "REPORTS_REQUEUE_SECONDS": LEASE_S,
            "REPORTS_QUEUED_AHEAD": AHEAD,
            "DJANGO_SETTINGS_MODULE": "kosmmos.settings"})
        for name in ("DATABASE_URL", "REDIS_URL", "SMTP_HOST"):
            env.pop(name, None)
        kosmmos("migrate", "--no-input", env=env)
        _python(f"import django; django.setup(); from benches.reports import seed; "
                f"seed({opts.workspaces})", env)
        log = open(var / "workers.log", "wb")  # noqa: SIM115 (closed below)
        workers = [subprocess.Popen([sys.executable, "-m", "kosmmos.cli", "worker",
                                     "--concurrency", "1", "--loglevel", "WARNING"],
                                    env=env, stdout=log, stderr=log, start_new_session=True)
                   for _ in range(2)]
        killed = False
        try:
            time.sleep(3)  # both workers up before the schedule comes due
            started = time.monotonic()
            _python(_DUE, env)
            while True:
                counts = json.loads(_python(_COUNT, env))
                if not killed and not opts.no_kill and counts["done"] >= opts.workspaces / 3:
                    os.killpg(workers[0].pid, signal.SIGKILL)
                    killed = True
                finished = counts["sent"] >= opts.workspaces and \
                    counts["mails_sent"] >= counts["sent"]
                if finished or counts["failed"]:
                    break
                if time.monotonic() - started > opts.timeout:
                    break
                time.sleep(1)
            wall = time.monotonic() - started
        finally:
            for proc in workers:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in workers:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            log.close()
        counts = json.loads(_python(_COUNT, env))
        pdfs = _outbox_pdfs(var)
        p95 = _pct([ms / 1000 for ms in counts["render_ms"]], 0.95)
        result: dict[str, Any] = {
            "workspaces": opts.workspaces, "reports": counts["reports"], "pdfs_sent": pdfs,
            "duplicates": counts["extra_rows"] + counts["extra_mails"],
            "wall_s": round(wall, 1), "render_p95_s": round(p95, 2) if p95 is not None else None,
        }
        if (pdfs != counts["mails_sent"] or counts["reports"] != opts.workspaces
                or pdfs != opts.workspaces or result["duplicates"]):
            print(f"reports bench: database says {counts}", file=sys.stderr)
            result["failed"] = True
        return result
