"""Publishing records: every try of a target (``PublishAttempt``) and its stats by the hour.

The targets themselves and their states are in the content app (``content.models.PostTarget``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation
from kosmmos.content.models import PostTarget


class PublishAttempt(models.Model):
    class Outcome(models.TextChoices):
        PUBLISHED = "published", _("Published")
        TRANSIENT = "transient", _("Temporary error")
        RATE_LIMITED = "rate_limited", _("Rate limited")
        PERMANENT = "permanent", _("Rejected")
        AUTH = "auth", _("Authorisation revoked")
        AMBIGUOUS = "ambiguous", _("Outcome unknown")
        RECONCILED = "reconciled", _("Found on the network")
        ABSENT = "absent", _("Not found on the network")
        LEASE_EXPIRED = "lease_expired", _("Worker lost; checking the network")
        REQUEUED = "requeued", _("Message lost; queued again")
        NOT_SENT = "not_sent", _("Not sent (too late to send safely)")
        MANUAL = "manual", _("Resolved by hand")
        DONE = "done", _("Done")

    target = models.ForeignKey(PostTarget, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveSmallIntegerField()
    # publish | find | edit | delete | sweep | manual
    action = models.CharField(max_length=16, default="publish")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["target", "started_at"])]

    def __str__(self) -> str:
        return f"#{self.number} {self.action} {self.outcome}"


class PostStatsSnapshot(models.Model):
    """Stats of one published target at one hour: idempotent upserts, tenant first."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(PostTarget, on_delete=models.CASCADE, related_name="snapshots")
    taken_at = models.DateTimeField()  # truncated to the hour
    views = models.PositiveIntegerField(null=True, blank=True)
    likes = models.PositiveIntegerField(null=True, blank=True)
    comments = models.PositiveIntegerField(null=True, blank=True)
    reposts = models.PositiveIntegerField(null=True, blank=True)
    reach = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["taken_at"]
        constraints = [
            models.UniqueConstraint(fields=["target", "taken_at"], name="one_post_snapshot_per_hour")
        ]
        indexes = [models.Index(fields=["organisation", "target", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.target_id} {self.taken_at:%Y-%m-%d %H}"
