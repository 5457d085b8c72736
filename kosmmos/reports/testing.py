"""For other apps' tests: a sent report of a workspace, without rendering anything."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from kosmmos.accounts.models import Workspace
from kosmmos.reports.actions import template_for
from kosmmos.reports.models import DEFAULT_SECTIONS, Report, ReportStatus, ReportVersion


def make_sent_report(workspace: Workspace, start: date = date(2026, 10, 1),
                     end: date = date(2026, 10, 31)) -> Report:
    """The period's report (made once: the period's key is unique), sent."""
    report, created = Report.objects.get_or_create(
        workspace=workspace, template=template_for(workspace), period_start=start,
        period_end=end, defaults={"organisation_id": workspace.organisation_id,
                                  "status": ReportStatus.SENT, "sent_at": timezone.now()})
    if not created:
        return report
    report.version = ReportVersion.objects.create(
        report=report, number=1, sections=list(DEFAULT_SECTIONS), figures={},
        summary=f"{workspace.name} report summary")
    report.save(update_fields=["version"])
    return report
