"""The ORD's alerts, through the one door (``notifications.events.emit``), each deduplicated:
a month's report due within five days and not sent, an object ЕРИР rejected, a job the ORD
refused."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kosmmos.lib.events import emit
from kosmmos.ord.models import Job, OrdObject, Report

WARN_DAYS = 5


def warn_due_reports(today: date | None = None) -> int:
    today = today or timezone.localdate()
    raised = 0
    due = Report.objects.filter(status__in=[Report.Status.OPEN, Report.Status.SENDING],
                                due_on__lte=today + timedelta(days=WARN_DAYS))
    for report in due.select_related("organisation"):
        with transaction.atomic():
            event = emit(
                "ord.deadline", organisation=report.organisation,
                title=_("ORD report for %(month)s is due on %(day)s and not sent") % {
                    "month": report.month.strftime("%m.%Y"),
                    "day": report.due_on.strftime("%d.%m.%Y")},
                url=f"/ord/reports/{report.pk}/", dedupe_key=f"ord.deadline:{report.pk}",
                payload={"month": report.month.isoformat(), "due_on": report.due_on.isoformat()})
        raised += int(event is not None)
    return raised


def rejected(obj: OrdObject, message: str) -> None:
    """Inside the caller's transaction: ЕРИР said ``bad`` about ``obj``."""
    emit("ord.rejected", organisation=obj.organisation_id,
         title=_("The ORD rejected %(what)s") % {"what": str(obj)[:200]}, body=message,
         url="/ord/", dedupe_key=f"ord.rejected:{obj.pk}:{obj.sent_hash[:12]}",
         payload={"external_id": obj.external_id, "kind": obj.KIND})


def job_failed(job: Job, error: str) -> None:
    if job.kind == Job.Kind.STATUS:
        return
    emit("ord.rejected", organisation=job.organisation_id,
         title=_("The ORD refused: %(what)s") % {"what": job.get_kind_display()}, body=error,
         url="/ord/", dedupe_key=f"ord.job:{job.pk}:{job.attempts}",
         payload={"job": str(job.pk), "kind": job.kind})
