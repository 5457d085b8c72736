"""The history of the targets a manager changed (the targets themselves are the proposals app's
``WorkspaceTarget`` rows): who changed which month's metric from what to what, and when."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from kosmmos.accounts.models import Organisation, Workspace
from kosmmos.proposals.models import TargetMetric


class TargetEdit(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month
    metric = models.CharField(max_length=20, choices=TargetMetric.choices)
    before = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    after = models.DecimalField(max_digits=16, decimal_places=2)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["organisation", "workspace", "month"])]

    def __str__(self) -> str:
        return f"{self.metric} {self.month:%Y-%m}: {self.before} → {self.after}"
