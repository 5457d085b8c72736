"""Publishing state: one PostTarget per (post, channel) is the unit the engine schedules.

Target states (the database is the truth; Celery only carries ids):

    draft ──schedule──> scheduled ──dispatcher claim (publish_at due)──> queued
    queued ──task claim (lease)──> publishing ──> published
                                     │  ├─ transient / rate limited ──> scheduled (next_attempt_at)
                                     │  ├─ permanent / auth revoked ───> failed
                                     │  └─ ambiguous (timeout after send) ──> reconciling
    reconciling ──find() says posted──> published;  ──says absent──> scheduled (retry);
                ──cannot tell (Telegram)──> needs_check (a person decides)
    publishing with an expired lease (worker died) ──sweep──> reconciling (never a blind resend)
    failed / needs_check ──retry (needs_check: "I checked, it is not there")──> scheduled
    published ──delete propagated──> deleted

Edits and deletes of a published post are jobs too: ``pending_action`` says what is owed to the
network, ``action_due_at`` when to try, ``action_version`` which edit is the latest (an edit made
while an older one is in flight is not lost). Every try of anything is a PublishAttempt row.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation
from kosmmos.channels.models import Channel
from kosmmos.content.models import Post


class TargetStatus(models.TextChoices):
    DRAFT = "draft", _("Not scheduled")
    SCHEDULED = "scheduled", _("Scheduled")
    QUEUED = "queued", _("Queued")
    PUBLISHING = "publishing", _("Publishing")
    RECONCILING = "reconciling", _("Checking the network")
    PUBLISHED = "published", _("Published")
    NEEDS_CHECK = "needs_check", _("Needs a manual check")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    DELETED = "deleted", _("Deleted from the network")


# Where the engine has the target; the content editor must not change these posts' schedule.
IN_FLIGHT = (TargetStatus.QUEUED, TargetStatus.PUBLISHING, TargetStatus.RECONCILING)


class PendingAction(models.TextChoices):
    NONE = "", _("Nothing")
    EDIT = "edit", _("Edit on the network")
    DELETE = "delete", _("Delete from the network")


class PostTarget(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="targets")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="targets")
    status = models.CharField(max_length=16, choices=TargetStatus.choices, default=TargetStatus.DRAFT)
    publish_at = models.DateTimeField(null=True, blank=True)
    # When the next try is due (publish_at at first, later the backoff or retry_after).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The claim token of whoever holds the row ("worker name:random"): a claim sets it and then
    # reads back the rows carrying it, so a batch claim knows exactly which rows it won.
    lease_owner = models.CharField(max_length=100, blank=True)
    # Lookups on the network after an unknown outcome (reconciliation), for the give-up limit.
    checks = models.PositiveSmallIntegerField(default=0)
    external_id = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The exact text and media sent, so edits and reconciliation compare like with like.
    sent_text = models.TextField(blank=True)
    next_stats_at = models.DateTimeField(null=True, blank=True)
    # An edit or delete owed to the network for a published target (see the module docstring).
    pending_action = models.CharField(
        max_length=8, choices=PendingAction.choices, default=PendingAction.NONE, blank=True
    )
    action_due_at = models.DateTimeField(null=True, blank=True)
    action_version = models.PositiveIntegerField(default=0)
    action_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "channel"], name="one_target_per_channel")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["status", "enqueued_at"]),
            models.Index(fields=["status", "lease_until"]),
            models.Index(fields=["lease_owner"]),
            models.Index(fields=["status", "next_stats_at"]),
            models.Index(fields=["pending_action", "action_due_at"]),
            models.Index(fields=["organisation", "channel", "published_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} → {self.channel_id} ({self.status})"

    @property
    def key(self) -> str:
        """The idempotency key sent to the network (VK guid) and used to reconcile."""
        return self.id.hex


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
