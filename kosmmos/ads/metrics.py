"""CPM, CPC, CTR and CPA per campaign for a period, beside the accepted proposal's plan for VK.

Actual figures come from the campaigns' day rows; "our" conversions are those attributed (last
click) to a tracked link one of the campaign's banners points to (matching.py). The plan is the
accepted proposal's forecast for the VK network over its months (its budget, impressions,
clicks and leads), the same numbers the client agreed to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from kosmmos.accounts.models import Workspace
from kosmmos.ads.models import AdObject, DailyStat, Level
from kosmmos.channels.models import Network
from kosmmos.links.models import Conversion


def _div(a: Decimal | int, b: Decimal | int, scale: int = 1) -> Decimal | None:
    return (Decimal(a) * scale / Decimal(b)).quantize(Decimal("0.01")) if b else None


@dataclass(frozen=True)
class Figures:
    impressions: int
    clicks: int
    spent: Decimal  # roubles
    goals: int
    conversions: int = 0

    @property
    def cpm(self) -> Decimal | None:
        return _div(self.spent, self.impressions, 1000)

    @property
    def cpc(self) -> Decimal | None:
        return _div(self.spent, self.clicks)

    @property
    def ctr(self) -> Decimal | None:  # percent
        return _div(self.clicks, self.impressions, 100)

    @property
    def cpa(self) -> Decimal | None:
        """Per VK goal; per our own conversion when the campaign has no goals."""
        return _div(self.spent, self.goals or self.conversions)


@dataclass(frozen=True)
class CampaignRow:
    cabinet: str
    external_id: str
    name: str
    figures: Figures
    reach: int


def campaigns(workspace: Workspace, start: date, end: date) -> list[CampaignRow]:
    sums = (DailyStat.objects.filter(organisation_id=workspace.organisation_id,
                                     workspace=workspace, level=Level.PLAN,
                                     day__gte=start, day__lte=end)
            .values("cabinet_id", "cabinet__name", "external_id")
            .annotate(shows=Sum("impressions"), clicks=Sum("clicks"), spent=Sum("spent_kopecks"),
                      goals=Sum("goals"), reach=Sum("reach"))
            .order_by("cabinet__name", "external_id"))
    objects = AdObject.objects.filter(cabinet__workspace=workspace)
    names = {(o.cabinet_id, o.level, o.external_id): o.name for o in objects}
    ours = _conversions_by_plan(workspace, objects, start, end)
    return [CampaignRow(
        cabinet=row["cabinet__name"], external_id=row["external_id"],
        name=names.get((row["cabinet_id"], Level.PLAN, row["external_id"]), row["external_id"]),
        figures=Figures(impressions=int(row["shows"] or 0), clicks=int(row["clicks"] or 0),
                        spent=Decimal(int(row["spent"] or 0)) / 100, goals=int(row["goals"] or 0),
                        conversions=ours.get((row["cabinet_id"], row["external_id"]), 0)),
        reach=int(row["reach"] or 0)) for row in sums]


def _conversions_by_plan(workspace: Workspace, objects: object, start: date, end: date
                         ) -> dict[tuple[object, str], int]:
    """Our conversions in the period per (cabinet, campaign), through the banners' links."""
    banners = list(AdObject.objects.filter(cabinet__workspace=workspace, level=Level.BANNER,
                                           link__isnull=False)
                   .values_list("cabinet_id", "parent_id", "link_id"))
    if not banners:
        return {}
    groups = dict(AdObject.objects.filter(cabinet__workspace=workspace, level=Level.GROUP)
                  .values_list("external_id", "parent_id"))
    tz = timezone.get_current_timezone()
    counts = dict(Conversion.objects.filter(
        workspace=workspace, link_id__in={b[2] for b in banners},
        occurred_at__gte=datetime.combine(start, time.min, tz),
        occurred_at__lte=datetime.combine(end, time.max, tz),
    ).values("link_id").annotate(n=Count("id")).values_list("link_id", "n"))
    found: dict[tuple[object, str], int] = {}
    seen: set[tuple[object, str, object]] = set()
    for cabinet_id, group_id, link_id in banners:
        plan = groups.get(group_id, "")
        if (cabinet_id, plan, link_id) in seen:
            continue  # two banners of one campaign with the same link count its sales once
        seen.add((cabinet_id, plan, link_id))
        found[(cabinet_id, plan)] = found.get((cabinet_id, plan), 0) + counts.get(link_id, 0)
    return found


def total(rows: list[CampaignRow]) -> Figures:
    return Figures(impressions=sum(r.figures.impressions for r in rows),
                   clicks=sum(r.figures.clicks for r in rows),
                   spent=sum((r.figures.spent for r in rows), Decimal(0)),
                   goals=sum(r.figures.goals for r in rows),
                   conversions=sum(r.figures.conversions for r in rows))


def planned(workspace: Workspace) -> Figures | None:
    """The accepted proposal's VK figures over its plan (None: no accepted proposal)."""
    from kosmmos.proposals.models import WorkspaceTarget
    from kosmmos.proposals.planning.model import MediaPlan

    target = (WorkspaceTarget.objects.filter(workspace=workspace, proposal__isnull=False)
              .select_related("proposal__accepted_version").order_by("-month").first())
    version = target.proposal.accepted_version if target and target.proposal else None
    if version is None:
        return None
    try:
        plan = MediaPlan.from_dict(version.plan)
    except (KeyError, TypeError, ValueError):
        return None
    budget, shows, clicks, leads = Decimal(0), 0, 0, 0
    for month in plan.forecast:
        for line in month.networks:
            if line.network == Network.VK:
                budget += line.figures.budget
                shows += line.figures.impressions
                clicks += line.figures.clicks
                leads += line.figures.leads
    if not shows:
        return None
    return Figures(impressions=shows, clicks=clicks, spent=budget, goals=leads)
