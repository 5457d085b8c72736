"""The KPI drift alert: once a month's first week is over, a target metric whose projection is
below 80 % of its target raises one event per workspace, metric and month (the dedupe key
decides between concurrent tickers). The notifications dispatcher fans it out (in-app, email).

Registered in the ticker (jobs/ticker.py). A check costs a results computation per workspace with
targets this month, so a process runs it at most every ``EVERY`` seconds.
"""

from __future__ import annotations

import time
import zoneinfo
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kosmmos.accounts.models import Workspace
from kosmmos.lib.events import emit
from kosmmos.proposals.models import TargetMetric, WorkspaceTarget
from kosmmos.results.figures import collect
from kosmmos.results.forecast import DRIFT_AFTER_DAY, NEUTRAL
from kosmmos.results.periods import Span

EVERY = 15 * 60
_last_run = 0.0


def dispatch_due() -> int:
    """The ticker's entry: check at most every ``EVERY`` seconds in this process."""
    global _last_run
    if time.monotonic() - _last_run < EVERY and _last_run:
        return 0
    _last_run = time.monotonic()
    return check_drift()


def check_drift(now: datetime | None = None) -> int:
    """Raise the alerts due now; returns how many new events were recorded."""
    raised = 0
    ids = WorkspaceTarget.objects.exclude(metric__in=NEUTRAL).values_list(
        "workspace_id", flat=True).distinct()
    for workspace in Workspace.objects.filter(pk__in=ids).select_related("organisation"):
        tz = zoneinfo.ZoneInfo(workspace.organisation.timezone)
        today = (now or datetime.now(tz)).astimezone(tz).date()
        if today.day <= DRIFT_AFTER_DAY:
            continue
        raised += check_workspace(workspace, today)
    return raised


def check_workspace(workspace: Workspace, today: date) -> int:
    month = Span.month_of(today, zoneinfo.ZoneInfo(workspace.organisation.timezone))
    if not WorkspaceTarget.objects.filter(workspace=workspace, month=month.start).exists():
        return 0
    results = collect(workspace, month.start, month.end, compare=False, detail=False, today=today)
    raised = 0
    url = f"{settings.SITE_URL}{reverse('results:workspace', args=[workspace.pk])}?{month.query()}"
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        for row in results.forecast.behind():
            label = str(TargetMetric(row.metric).label)
            title = _("%(metric)s behind target: %(workspace)s") % {
                "metric": label, "workspace": workspace.name}
            body = _("Projection for %(month)s: %(projection)s of %(target)s (%(pace)d %%). "
                     "Source: %(source)s.") % {
                "month": f"{row.month:%m.%Y}", "projection": f"{row.projection:,.0f}",
                "target": f"{row.target:,.0f}", "pace": round((row.pace or 0) * 100),
                "source": row.source}
            event = emit("results.kpi_drift", organisation=workspace.organisation,
                         workspace=workspace, title=title, body=body, url=url,
                         dedupe_key=f"{workspace.id}:{row.metric}:{row.month:%Y-%m}",
                         payload={"metric": row.metric, "month": f"{row.month:%Y-%m}",
                                  "target": str(row.target), "actual": str(row.actual),
                                  "projection": str(row.projection),
                                  "pace": row.pace})
            raised += event is not None
    return raised
