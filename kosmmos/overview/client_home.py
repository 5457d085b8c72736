"""The client's home: what waits for them, and this month in brief.

A client sees the posts waiting for their approval (approved in one click), the month so far
per workspace — posts published, comments received, clicks, conversions and revenue — and
where reports will be. The agency's costs (ad spend, fees) and ROMI are on it only when the
agency shows costs to clients (``Organisation.show_costs_to_clients``).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from kosmmos.accounts.models import Organisation, Workspace
from kosmmos.content.models import Post, PostStatus
from kosmmos.inbox.models import Item
from kosmmos.links import stats

WAITING_LIMIT = 10


@dataclass
class Month:
    workspace: Workspace
    published: int
    comments: int
    clicks: int
    conversions: int
    revenue: Decimal
    costs: Decimal
    romi: float | None


def context(workspaces: list[Workspace], organisation: Organisation) -> dict[str, Any]:
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    today = datetime.now(tz).date()
    first = today.replace(day=1)
    period = stats.Period(first, first, tz)
    start, end = period.bounds()
    waiting = list(Post.objects.filter(workspace__in=workspaces, status=PostStatus.IN_REVIEW,
                                       deleted_at__isnull=True)
                   .select_related("workspace").order_by("publish_at", "created_at")
                   [:WAITING_LIMIT])
    months = []
    for workspace in workspaces:
        figures = stats.pnl(workspace, period)
        months.append(Month(
            workspace=workspace,
            published=Post.objects.filter(workspace=workspace, status=PostStatus.PUBLISHED,
                                          publish_at__gte=start, publish_at__lt=end).count(),
            comments=Item.objects.filter(workspace=workspace, received_at__gte=start,
                                         received_at__lt=end).count(),
            clicks=figures.clicks, conversions=figures.conversions, revenue=figures.revenue,
            costs=figures.costs, romi=figures.romi))
    return {"waiting": waiting, "months": months, "month_start": first,
            "show_costs": organisation.show_costs_to_clients}
