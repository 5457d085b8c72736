"""The statistics import: a cabinet's objects and daily rows, on the ticker and on demand.

The cabinet row is the job (jobs/queue.py): pending → queued → running → pending again, due
``VKADS_IMPORT_HOURS`` later. A run reads the three object lists, then the daily rows of every
campaign, ad group and banner for the window (``import_from``..``import_to``, default the last
``VKADS_IMPORT_DAYS`` days), and writes them as upserts on (cabinet, level, object, day): a
re-import of a day replaces it, never adds to it. A dead worker's cabinet goes back to pending
(reads are safe to repeat). The months touched are then rewritten in the P&L (costs.py).

Errors: 429 and transient failures are retried with backoff up to ``MAX_ATTEMPTS``; a refused
credential or a permanent error fails the job with its error shown and a retry button.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kosmmos.ads import costs, matching
from kosmmos.ads.cabinets import call
from kosmmos.ads.models import AdObject, Cabinet, DailyStat, JobStatus, Level
from kosmmos.connectors.base import ConnectorError, RateLimited
from kosmmos.connectors.vkads import client as api
from kosmmos.connectors.vkads.client import LEVELS, DayRow, VkAdsClient
from kosmmos.jobs.queue import RowQueue
from kosmmos.lib.events import emit

LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 6
WRITE_BATCH = 2000

queue = RowQueue(
    model=Cabinet, task="kosmmos.ads.tasks:import_cabinet", running=JobStatus.RUNNING,
    batch=50, dead_worker_error="The worker stopped during the import; it runs again.",
)
dispatch_due = queue.dispatch_due
sweep_stuck = queue.sweep_stuck


def request_import(cabinet: Cabinet, start: date | None = None, end: date | None = None) -> bool:
    """On demand: the window to fetch, then the job due now (kicked after commit). False when
    an import is already queued or running (it is not interrupted)."""
    changed = Cabinet.objects.filter(pk=cabinet.pk, status__in=[
        JobStatus.PENDING, JobStatus.FAILED]).update(
        status=JobStatus.PENDING, next_attempt_at=timezone.now(), import_from=start,
        import_to=end, last_error="", attempts=0)
    if changed:
        transaction.on_commit(lambda: queue.kick(cabinet.pk))
    return bool(changed)


def retry(cabinet: Cabinet) -> bool:
    return queue.retry_failed(cabinet.pk, JobStatus.FAILED)


def window(cabinet: Cabinet, today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    end = cabinet.import_to or today
    start = cabinet.import_from or (end - timedelta(days=settings.VKADS_IMPORT_DAYS - 1))
    return min(start, end), end


def run(cabinet_id: uuid.UUID | str) -> None:
    """The task: claim the cabinet, import its window, hand the row back."""
    if not queue.start(cabinet_id, LEASE, attempts=F("attempts") + 1):
        return
    cabinet = Cabinet.objects.select_related("workspace", "organisation").get(pk=cabinet_id)
    start, end = window(cabinet)
    mine = Cabinet.objects.filter(pk=cabinet.pk, status=JobStatus.RUNNING)
    try:
        count = call(cabinet, "import", lambda c: import_window(cabinet, c, start, end),
                     detail=f"{start}..{end}")
    except ConnectorError as exc:
        if not exc.permanent and cabinet.attempts < MAX_ATTEMPTS:
            wait = exc.retry_after if isinstance(exc, RateLimited) else 30 * 2 ** cabinet.attempts
            mine.update(status=JobStatus.PENDING, lease_until=None, last_error=exc.message[:2000],
                        next_attempt_at=timezone.now() + timedelta(seconds=wait))
            return
        with transaction.atomic():
            if mine.update(status=JobStatus.FAILED, lease_until=None,
                           last_error=exc.message[:2000]):
                emit("ads.import_failed", organisation=cabinet.organisation,
                     workspace=cabinet.workspace, title=f"VK Ads: {cabinet.name}",
                     body=exc.message[:500], url=f"/workspaces/{cabinet.workspace_id}/ads/",
                     dedupe_key=f"ads-import:{cabinet.pk}:{timezone.now():%Y-%m-%d}")
        return
    mine.update(status=JobStatus.PENDING, lease_until=None, last_error="", attempts=0,
                import_from=None, import_to=None, last_import_at=timezone.now(),
                next_attempt_at=timezone.now() + timedelta(hours=settings.VKADS_IMPORT_HOURS))
    del count  # the rows written; the Attempt row of the call is the log


def import_window(cabinet: Cabinet, client: VkAdsClient, start: date, end: date) -> int:
    """Fetch and store the window; returns the day rows written."""
    ids: dict[str, list[str]] = {}
    for level in LEVELS:
        found = client.objects(level)
        store_objects(cabinet, level, found)
        ids[level] = [o.id for o in found]
    written = 0
    for level in LEVELS:
        if ids[level]:
            written += store_rows(cabinet, client.day_stats(level, ids[level], start, end))
    costs.sync_months(cabinet, start, end)
    return written


def store_objects(cabinet: Cabinet, level: str, found: list[api.AdObject]) -> None:
    rows = [AdObject(organisation_id=cabinet.organisation_id, cabinet=cabinet, level=level,
                     external_id=o.id, parent_id=o.parent_id, name=o.name, url=o.url,
                     link=matching.link_for(cabinet.workspace, o.url) if o.url else None)
            for o in found]
    for i in range(0, len(rows), WRITE_BATCH):
        AdObject.objects.bulk_create(
            rows[i:i + WRITE_BATCH], update_conflicts=True,
            unique_fields=["cabinet", "level", "external_id"],
            update_fields=["parent_id", "name", "url", "link"])


def store_rows(cabinet: Cabinet, rows: list[DayRow]) -> int:
    """Upsert day rows: the unique key (cabinet, level, object, day) makes a second import of a
    day overwrite the first."""
    now = timezone.now()
    objs = [DailyStat(organisation_id=cabinet.organisation_id, workspace_id=cabinet.workspace_id,
                      cabinet=cabinet, level=r.level, external_id=r.id, day=r.day,
                      impressions=r.shows, clicks=r.clicks, spent_kopecks=r.spent_kopecks,
                      goals=r.goals, reach=r.reach, imported_at=now) for r in rows]
    for i in range(0, len(objs), WRITE_BATCH):
        with transaction.atomic():
            DailyStat.objects.bulk_create(
                objs[i:i + WRITE_BATCH], update_conflicts=True,
                unique_fields=["cabinet", "level", "external_id", "day"],
                update_fields=["impressions", "clicks", "spent_kopecks", "goals", "reach",
                               "imported_at"])
    return len(objs)


__all__ = ["Level", "dispatch_due", "request_import", "retry", "run", "sweep_stuck"]
