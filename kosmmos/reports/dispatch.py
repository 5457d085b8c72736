"""Hand due report drafts to the workers, and put back what a lost message or a dead worker
left; the schedule's step that makes the drafts."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from kosmmos.jobs.claims import claim_batch
from kosmmos.jobs.queue import RowQueue
from kosmmos.reports.models import Report, ReportStatus

drafts = RowQueue(model=Report, task="kosmmos.reports.tasks:render_report",
                  running=ReportStatus.RENDERING, batch=50,
                  requeue_after=timedelta(seconds=settings.REPORTS_REQUEUE_SECONDS))
enqueue = drafts.enqueue
sweep_stuck = drafts.sweep_stuck


def dispatch_due() -> int:
    """Claim due reports, but only enough to keep the workers busy until the next tick
    (``REPORTS_QUEUED_AHEAD`` queued at most); the rest stay pending in the database.

    A report takes seconds to draw, so a schedule's 200 reports claimed at once would wait in
    the broker longer than the requeue time: the sweep would send each of them again every
    ``REPORTS_REQUEUE_SECONDS`` (harmless for the claim, but thousands of messages that every
    worker must read past), and every other job (the report emails) would queue behind them."""
    room = settings.REPORTS_QUEUED_AHEAD - Report.objects.filter(
        status=ReportStatus.QUEUED).count()
    if room <= 0:
        return 0
    now = timezone.now()
    ids = claim_batch(Report.objects.filter(next_attempt_at__lte=now), ReportStatus.PENDING,
                      min(room, drafts.batch), status=ReportStatus.QUEUED, enqueued_at=now)
    for pk in ids:
        enqueue(pk)
    return len(ids)


def dispatch_schedules() -> int:
    from kosmmos.reports.actions import dispatch_schedules as run

    return run()
