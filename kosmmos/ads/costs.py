"""Spend into the P&L: one ``CostEntry`` per cabinet and month (source ``vk_ads``), rewritten
from the stored campaign rows after every import — the cabinet's campaign totals are the one
source, so the P&L equals the cabinet to the kopeck and a re-import changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from kosmmos.ads.models import Cabinet, DailyStat, Level
from kosmmos.channels.models import Network
from kosmmos.links.models import CostCategory, CostEntry, CostSource


def months(start: date, end: date) -> list[date]:
    found, day = [], start.replace(day=1)
    while day <= end:
        found.append(day)
        day = _next_month(day)
    return found


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def sync_months(cabinet: Cabinet, start: date, end: date) -> None:
    for month in months(start, end):
        spent = DailyStat.objects.filter(
            cabinet=cabinet, level=Level.PLAN, day__gte=month, day__lt=_next_month(month),
        ).aggregate(total=Sum("spent_kopecks"))["total"] or 0
        amount = Decimal(spent) / 100
        with transaction.atomic():
            changed = CostEntry.objects.filter(
                workspace_id=cabinet.workspace_id, source=CostSource.VK_ADS,
                source_ref=str(cabinet.pk), month=month).update(amount=amount)
            if not changed and spent:
                CostEntry.objects.create(
                    organisation_id=cabinet.organisation_id, workspace_id=cabinet.workspace_id,
                    month=month, category=CostCategory.AD_SPEND, network=Network.VK,
                    amount=amount, note=f"VK Ads: {cabinet.name}"[:200],
                    source=CostSource.VK_ADS, source_ref=str(cabinet.pk))
