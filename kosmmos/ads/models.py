"""VK Ads per workspace: cabinets, their objects, daily statistics, attempts.

- ``Cabinet``: the agency's client credentials and the client's cabinet id (encrypted at rest),
  its health (like a channel's) and its import job (the row says what is due: jobs/queue.py).
- ``AdObject``: a campaign (ad_plan), ad group or banner, with the banner's URL and the tracked
  link it was matched to (our short link or our UTM tags), so conversions attribute to the ad.
- ``DailyStat``: one row per (cabinet, level, object, day), unique: a re-import of a day
  replaces it. Tenant first then day, as statistics are everywhere here.
- ``Attempt``: every call to the cabinet that can fail, with its error (retry buttons sit on the
  rows that own them); audience exports (kosmmos/audiences) log theirs here too, by ``ref``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kosmmos.accounts.models import Organisation, User, Workspace
from kosmmos.lib.crypto import decrypt_json, encrypt_json
from kosmmos.links.models import TrackedLink


class CabinetStatus(models.TextChoices):
    ACTIVE = "active", _("Connected")
    NEEDS_REAUTH = "needs_reauth", _("Needs reconnection")
    ERROR = "error", _("Error")


class JobStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("ads job", "Due")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    FAILED = "failed", _("Failed")


class Cabinet(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="ad_cabinets")
    name = models.CharField(_("name"), max_length=100)
    # The client's cabinet: its id in the agency (agency_client_id), empty for an own cabinet.
    account_id = models.CharField(_("client cabinet id"), max_length=64, blank=True)
    client_id = models.CharField(_("client id"), max_length=100)
    # A rehearsal cabinet: the sandbox network's fake VK Ads (connectors/sandbox/ext/vkads.py).
    sandbox = models.BooleanField(_("rehearsal cabinet (sandbox)"), default=False)
    # {"client_secret"} and, once obtained, {"access", "refresh", "expires_at"}.
    secrets_encrypted = models.TextField(blank=True)
    health = models.CharField(max_length=16, choices=CabinetStatus.choices,
                              default=CabinetStatus.ACTIVE)
    last_error = models.TextField(blank=True)
    last_import_at = models.DateTimeField(null=True, blank=True)
    # The import job (RowQueue): due at next_attempt_at; the days it will fetch.
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.PENDING)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    import_from = models.DateField(null=True, blank=True)
    import_to = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "client_id", "account_id"],
                                               name="one_cabinet_per_workspace_account")]

    def __str__(self) -> str:
        return self.name

    @property
    def secrets(self) -> dict[str, Any]:
        return decrypt_json(self.secrets_encrypted)

    @secrets.setter
    def secrets(self, value: dict[str, Any]) -> None:
        self.secrets_encrypted = encrypt_json(value)


class Level(models.TextChoices):
    PLAN = "ad_plans", _("Campaign")
    GROUP = "ad_groups", _("Ad group")
    BANNER = "banners", _("Banner")


class AdObject(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    cabinet = models.ForeignKey(Cabinet, on_delete=models.CASCADE, related_name="ad_objects")
    level = models.CharField(max_length=10, choices=Level.choices)
    external_id = models.CharField(max_length=40)
    parent_id = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=200, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    link = models.ForeignKey(TrackedLink, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="ad_objects")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cabinet", "level", "external_id"],
                                               name="one_ad_object")]

    def __str__(self) -> str:
        return f"{self.level} {self.external_id}"


class DailyStat(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    cabinet = models.ForeignKey(Cabinet, on_delete=models.CASCADE, related_name="stats")
    level = models.CharField(max_length=10, choices=Level.choices)
    external_id = models.CharField(max_length=40)
    day = models.DateField()
    impressions = models.BigIntegerField(default=0)
    clicks = models.BigIntegerField(default=0)
    spent_kopecks = models.BigIntegerField(default=0)
    goals = models.BigIntegerField(default=0)
    reach = models.BigIntegerField(default=0)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cabinet", "level", "external_id", "day"],
                                               name="one_stat_per_object_day")]
        indexes = [models.Index(fields=["organisation", "workspace", "level", "day"],
                                name="ads_stat_tenant_day")]

    def __str__(self) -> str:
        return f"{self.level} {self.external_id} {self.day}"


class Attempt(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    cabinet = models.ForeignKey(Cabinet, on_delete=models.CASCADE, related_name="tries")
    # What the call was for when a package above ads made it ("export:<uuid>" from audiences):
    # every call to the cabinet stays in one log, and its owner finds its own.
    ref = models.CharField(max_length=60, blank=True, db_index=True)
    operation = models.CharField(max_length=16)  # connect, import, upload, delete
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["cabinet", "started_at"], name="ads_attempt_time")]

    def __str__(self) -> str:
        return f"{self.operation} {'ok' if self.ok else 'failed'}"
