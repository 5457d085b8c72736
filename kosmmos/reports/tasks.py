from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from kosmmos.jobs.app import app
from kosmmos.mail.models import backoff
from kosmmos.reports.dispatch import drafts
from kosmmos.reports.models import MAX_ATTEMPTS, Report, ReportStatus

log = logging.getLogger(__name__)

# Figures and a PDF take seconds; after this the sweep assumes the worker died.
LEASE = timedelta(seconds=settings.REPORTS_LEASE_SECONDS)


@app.task(name="reports.render_report", ignore_result=True)
def render_report(report_id: str) -> None:
    """Draft one report; safe to run twice for the same id (only one run claims it)."""
    run(uuid.UUID(str(report_id)))


def run(report_id: uuid.UUID) -> None:
    from kosmmos.reports.actions import render_draft

    if not drafts.start(report_id, LEASE, attempts=F("attempts") + 1):
        return
    report = Report.objects.select_related("workspace__organisation", "organisation",
                                           "template").get(pk=report_id)
    try:
        render_draft(report)
    except Exception as exc:  # recorded on the row; the job is retried with backoff
        error = f"{type(exc).__name__}: {exc}"
        log.exception("report %s attempt %s failed", report_id, report.attempts)
        mine = Report.objects.filter(pk=report_id, status=ReportStatus.RENDERING)
        if report.attempts >= MAX_ATTEMPTS:
            mine.update(status=ReportStatus.FAILED, lease_until=None, last_error=error)
        else:
            mine.update(status=ReportStatus.PENDING, lease_until=None, last_error=error,
                        next_attempt_at=timezone.now() + backoff(report.attempts))
