"""The KPI targets an accepted proposal left on a workspace, as a month × metric table."""

from __future__ import annotations

from django import template

from kosmmos.accounts.models import Workspace
from kosmmos.proposals.models import TargetMetric, WorkspaceTarget

register = template.Library()


@register.simple_tag
def workspace_targets(workspace: Workspace) -> dict[str, object]:
    rows = WorkspaceTarget.objects.filter(
        organisation_id=workspace.organisation_id, workspace=workspace
    )
    months: dict[object, dict[str, object]] = {}
    metrics: list[str] = []
    for row in rows:
        months.setdefault(row.month, {})[row.metric] = row.value
        if row.metric not in metrics:
            metrics.append(row.metric)
    ordered = [m for m in TargetMetric.values if m in metrics]
    return {
        "metrics": [(m, TargetMetric(m).label) for m in ordered],
        "months": [
            (month, [values.get(m) for m in ordered]) for month, values in sorted(months.items())
        ],
    }
