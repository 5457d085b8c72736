"""The demo's client reports: the schedule on (monthly, the 3rd at 09:00) and one report already
sent to the demo client, two months back, so their archive is not empty on `make run` (last
month's is left for the schedule to draft)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kosmmos.accounts.models import Organisation, User, Workspace
from kosmmos.reports import actions
from kosmmos.reports.models import Report, ReportSettings, ReportStatus


def seed_reports(org: Organisation, manager: User, workspace: Workspace) -> None:
    prefs = ReportSettings(organisation=org, enabled=True, day=3)
    prefs.next_run_at = prefs.schedule_next()
    prefs.save()
    end = timezone.localdate().replace(day=1) - timedelta(days=1)
    end = end.replace(day=1) - timedelta(days=1)
    report, _ = actions.request_draft(workspace, end.replace(day=1), end)
    version = actions.build_version(report, manager)
    version.summary = "Подписчиков стало больше, отзывы — в основном положительные."
    version.save(update_fields=["summary"])
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.SENT, sent_at=timezone.now(),
                                               sent_by=manager)
