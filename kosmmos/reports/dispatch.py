"""Hand due report drafts to the workers, and put back what a lost message or a dead worker
left; the schedule's step that makes the drafts."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from kosmmos.jobs.queue import RowQueue
from kosmmos.reports.models import Report, ReportStatus

drafts = RowQueue(model=Report, task="kosmmos.reports.tasks:render_report",
                  running=ReportStatus.RENDERING, batch=50,
                  requeue_after=timedelta(seconds=settings.REPORTS_REQUEUE_SECONDS))
enqueue = drafts.enqueue
dispatch_due = drafts.dispatch_due
sweep_stuck = drafts.sweep_stuck


def dispatch_schedules() -> int:
    from kosmmos.reports.actions import dispatch_schedules as run

    return run()
