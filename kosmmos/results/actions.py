"""Writes of the results app: a manager changes a month's target (kept with its history)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from kosmmos.accounts.models import User, Workspace
from kosmmos.proposals.models import WorkspaceTarget
from kosmmos.results.models import TargetEdit


@transaction.atomic
def set_target(workspace: Workspace, month: date, metric: str, value: Decimal, *,
               by: User | None) -> bool:
    """Set the month's target for ``metric`` (creating it when the proposal had none); records
    the change. False when the value is the same (nothing written)."""
    month = month.replace(day=1)
    target = (WorkspaceTarget.objects.select_for_update()
              .filter(workspace=workspace, month=month, metric=metric).first())
    before = target.value if target else None
    if before is not None and before == value:
        return False
    if target is None:
        WorkspaceTarget.objects.create(organisation_id=workspace.organisation_id,
                                       workspace=workspace, month=month, metric=metric,
                                       value=value)
    else:
        target.value = value
        target.save(update_fields=["value"])
    TargetEdit.objects.create(organisation_id=workspace.organisation_id, workspace=workspace,
                              month=month, metric=metric, before=before, after=value, by=by)
    return True
