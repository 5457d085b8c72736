"""What changed between two versions: both media plans flattened to ``key → value`` figures.

Keys are stable across versions (network and activity codes, month numbers, funnel stages), not
list positions, so adding a network does not make every later row look changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FIGURE_FIELDS = (
    "budget", "impressions", "reach", "clicks", "subscribers", "leads", "sales",
    "cost_per_subscriber", "cpl",
)


def figures(plan: Mapping[str, Any]) -> dict[str, str]:
    """Every number a proposal shows, keyed as the document looks them up."""
    out: dict[str, str] = {
        "budget_per_month": str(plan["budget_per_month"]),
        "period_months": str(plan["period_months"]),
    }
    for item in plan["networks"]:
        if item["funded"]:
            out[f"network.{item['network']}"] = str(item["monthly_budget"])
    for item in plan["activities"]:
        out[f"activity.{item['network']}.{item['activity']}"] = str(item["amount"])
    for month in plan["forecast"]:
        for name in FIGURE_FIELDS:
            out[f"month.{month['index']}.{name}"] = str(month["figures"][name])
    for name in FIGURE_FIELDS:
        out[f"period.{name}"] = str(plan["period"][name])
    for level in plan["funnel"]:
        out[f"funnel.{level['stage']}"] = str(level["count"])
    for kpi in plan["kpis"]:
        out[f"kpi.{kpi['metric']}.{kpi['per']}"] = str(kpi["target"])
    return out


def changes(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> dict[str, str]:
    """Figures of ``current`` that differ from ``previous``, mapped to their previous value
    ("" when the figure is new). The first version has no changes."""
    if previous is None:
        return {}
    old, new = figures(previous), figures(current)
    return {key: old.get(key, "") for key, value in new.items() if old.get(key) != value}
