from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation, User


class Retention(models.Model):
    """How long an organisation keeps leads and inbox items before they are anonymised.

    The ticker's dispatcher (``kosmmos.privacy.dispatch``) claims due rows with a conditional
    update on ``next_run_at``, so two workers never run the same organisation's job at once.
    """

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        related_name="retention", primary_key=True)
    months = models.PositiveSmallIntegerField(
        _("keep personal data, months"), null=True, blank=True,
        help_text=_("Leads and inbox items older than this are anonymised. Empty: kept."))
    next_run_at = models.DateTimeField(default=timezone.now)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_result = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("retention")
        indexes = [models.Index(fields=["next_run_at"], name="privacy_retention_due")]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.months}"


class OrganisationExport(models.Model):
    """Everything an organisation holds, as one archive an owner downloads; made by a job
    (``kosmmos.privacy.export``) that counts its progress in ``done`` of ``total`` parts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=500, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    last_error = models.TextField(blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "enqueued_at"], name="privacy_export_status")]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.status}"

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.DONE else int(100 * self.done / self.total) if self.total else 0


class OrganisationDeletion(models.Model):
    """An organisation's deletion, asked for by an owner: cancellable until ``delete_after``,
    then carried out by the ticker (``kosmmos.privacy.dispatch.run_deletions``), which keeps an
    audit row with no organisation. ``claimed_at``: the ticker that won the row."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        related_name="deletion", primary_key=True)
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    delete_after = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["delete_after"], name="privacy_deletion_due")]

    def __str__(self) -> str:
        return f"{self.organisation_id} after {self.delete_after:%Y-%m-%d}"
