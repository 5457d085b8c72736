"""The funnel's "target audience" step from real data, for the results page (which sits above
this package and calls it)."""

from __future__ import annotations

from datetime import date

from django.db.models import Sum

from kosmmos.accounts.models import Workspace
from kosmmos.ads.models import DailyStat, Level


def reach(workspace: Workspace, start: date, end: date) -> int | None:
    """The campaigns' reach from ``start`` to ``end`` inclusive: the sum of each campaign's
    daily reach (a person reached on two days counts twice — VK Ads' day rows carry no
    de-duplicated reach across days). ``None`` when the workspace has no imported rows in the
    period (no cabinet, or nothing imported yet): the page then says "no data", not zero."""
    rows = DailyStat.objects.filter(organisation_id=workspace.organisation_id,
                                    workspace=workspace, level=Level.PLAN,
                                    day__gte=start, day__lte=end)
    total = rows.aggregate(total=Sum("reach"))["total"]
    return int(total) if total is not None else None
