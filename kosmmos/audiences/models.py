"""Audiences out: segments of a workspace's people sent to its VK Ads cabinets.

- ``SegmentKind``: who a segment holds (segments.py says how each is found).
- ``AudienceExport``: one segment sent as remarketing lists to one cabinet (a job row; its list
  ids, size and bytes are its log), refreshed on a schedule, deletable from the cabinet. Its
  calls are the cabinet's ``ads.Attempt`` rows with ``ref`` = ``export:<id>``.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kosmmos.accounts.models import Organisation, User, Workspace
from kosmmos.ads.models import Cabinet


class SegmentKind(models.TextChoices):
    COMMENTED = "commented", _("Commented on the posts")
    COMPLAINED = "complained", _("Complained (negative or possible complaint)")
    MESSAGED = "messaged", _("Wrote a private message")
    CLICKED = "clicked", _("Clicked a tracked link")
    BOUGHT = "bought", _("Bought")


class ExportStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("ads job", "Due")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Sending")
    DONE = "done", _("In the cabinet")
    FAILED = "failed", _("Failed")
    DELETED = "deleted", _("Deleted")


class AudienceExport(models.Model):
    """One segment as remarketing lists in one cabinet. ``list_ids`` are the cabinet's lists
    (a segment over one file's limit is several); a refresh uploads a new export and deletes the
    lists of the one it replaces."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    cabinet = models.ForeignKey(Cabinet, on_delete=models.CASCADE, related_name="audience_exports")
    kind = models.CharField(_("segment"), max_length=12, choices=SegmentKind.choices)
    refresh_days = models.PositiveSmallIntegerField(_("refresh every, days"), default=7)
    status = models.CharField(max_length=8, choices=ExportStatus.choices,
                              default=ExportStatus.PENDING)
    # What to do when the job runs: upload the segment, or delete its lists.
    delete_requested = models.BooleanField(default=False)
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    list_ids = models.JSONField(default=list, blank=True)
    size = models.PositiveIntegerField(default=0)
    bytes = models.PositiveBigIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    refreshed = models.BooleanField(default=False)  # a successor was made for the schedule
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "workspace", "created_at"],
                                name="audience_export_tenant")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.cabinet_id} ({self.status})"

    def list_name(self, part: int, parts: int) -> str:
        """Unique per export and part: the look-up key after an upload's unknown outcome."""
        suffix = f" ({part}/{parts})" if parts > 1 else ""
        return f"Kosmmos {self.kind} {str(self.pk)[:8]}{suffix}"

    @property
    def ref(self) -> str:
        """The ``ref`` of this export's calls in the cabinet's attempt log."""
        return f"export:{self.pk}"
