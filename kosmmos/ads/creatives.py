"""Ad spend per creative (banner) — the one source for the P&L and the ORD statistics: the
ORD package (above this one) calls ``spend_by_creative``; nothing here knows the ORD."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum

from kosmmos.accounts.models import Workspace
from kosmmos.ads.models import AdObject, DailyStat, Level


@dataclass(frozen=True)
class CreativeSpend:
    cabinet_id: str
    banner_id: str
    name: str
    url: str
    impressions: int
    clicks: int
    spent_kopecks: int


def spend_by_creative(workspace: Workspace, start: date, end: date) -> list[CreativeSpend]:
    """Each banner's impressions, clicks and spend (kopecks) from ``start`` to ``end``
    inclusive, in the workspace's cabinets; banners without rows in the period are left out."""
    sums = (DailyStat.objects.filter(organisation_id=workspace.organisation_id,
                                     workspace=workspace, level=Level.BANNER,
                                     day__gte=start, day__lte=end)
            .values("cabinet_id", "external_id")
            .annotate(shows=Sum("impressions"), clicks=Sum("clicks"), spent=Sum("spent_kopecks"))
            .order_by("cabinet_id", "external_id"))
    names = {(str(o.cabinet_id), o.external_id): o for o in AdObject.objects.filter(
        cabinet__workspace=workspace, level=Level.BANNER)}
    found = []
    for row in sums:
        obj = names.get((str(row["cabinet_id"]), row["external_id"]))
        found.append(CreativeSpend(
            cabinet_id=str(row["cabinet_id"]), banner_id=row["external_id"],
            name=obj.name if obj else "", url=obj.url if obj else "",
            impressions=int(row["shows"] or 0), clicks=int(row["clicks"] or 0),
            spent_kopecks=int(row["spent"] or 0)))
    return found
