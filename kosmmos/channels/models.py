"""A channel: one VK community, OK group, Telegram channel or sandbox channel of a workspace."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation, Workspace
from kosmmos.lib import crypto


class Network(models.TextChoices):
    VK = "vk", _("VK")
    OK = "ok", _("Odnoklassniki")
    TELEGRAM = "telegram", _("Telegram")
    SANDBOX = "sandbox", _("Sandbox (rehearsal)")


class ChannelStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    NEEDS_REAUTH = "needs_reauth", _("Needs reconnection")
    ERROR = "error", _("Error")
    DISABLED = "disabled", _("Disabled")


class Channel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    name = models.CharField(_("name"), max_length=200)
    # The community/group/chat id on the network (VK group id, OK gid, Telegram chat id).
    external_id = models.CharField(_("id on the network"), max_length=100)
    # Non-secret settings (e.g. the Telegram discussion group id, the VK API version).
    config = models.JSONField(default=dict, blank=True)
    # Tokens and keys, encrypted at rest (kosmmos.lib.crypto); never shown back in the UI.
    credentials_encrypted = models.TextField(blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ChannelStatus.choices, default=ChannelStatus.ACTIVE
    )
    last_error = models.TextField(blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    followers = models.PositiveIntegerField(null=True, blank=True)
    next_stats_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace", "network", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "external_id"], name="one_channel_per_network_id"
            )
        ]
        indexes = [models.Index(fields=["organisation", "workspace"])]

    def __str__(self) -> str:
        return f"{self.get_network_display()}: {self.name}"

    @property
    def credentials(self) -> dict[str, Any]:
        return crypto.decrypt_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict[str, Any]) -> None:
        self.credentials_encrypted = crypto.encrypt_json(value)

    def connector(self) -> Any:
        from kosmmos.connectors.registry import build

        return build(self.network, self.credentials, {"external_id": self.external_id, **self.config})


class ChannelStatsSnapshot(models.Model):
    """Followers per channel per day: idempotent, one row per (channel, day)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="daily_stats")
    day = models.DateField()
    followers = models.PositiveIntegerField()

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "day"], name="one_channel_snapshot_per_day")
        ]
        indexes = [models.Index(fields=["organisation", "channel", "day"])]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.day}: {self.followers}"


class ChannelDemographics(models.Model):
    """A channel's audience by sex, age and city as the network gave it for a period (VK: the
    visitors of ``period_from``..``period_to``; OK: all members on the day). One row per channel
    and period end, upserted, so a repeated reading changes nothing."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="demographics")
    period_from = models.DateField()
    period_to = models.DateField()
    basis = models.CharField(max_length=16)  # visitors | members (connectors/demographics.py)
    sex = models.JSONField(default=dict)  # {"f": n, "m": n}
    age = models.JSONField(default=dict)  # {"18-21": n, …}
    sex_age = models.JSONField(default=dict)  # {"f;18-21": n, …}
    cities = models.JSONField(default=list)  # [[name, n], …], biggest first
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_to"]
        constraints = [models.UniqueConstraint(fields=["channel", "period_to"],
                                               name="one_demographics_per_channel_day")]
        indexes = [models.Index(fields=["organisation", "channel", "period_to"])]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.period_from}..{self.period_to}"


class DemographicsAttempt(models.Model):
    """Every reading of a channel's demographics: what came back or why it failed (the results
    page shows the last failure with a retry button)."""

    class Outcome(models.TextChoices):
        DONE = "done", _("Demographics read")
        EMPTY = "empty", _("The network gave no demographics")
        FAILED = "failed", _("Failed")
        AUTH = "auth", _("Authorisation revoked")
        REQUESTED = "requested", _("Retry requested")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE,
                                related_name="demographics_attempts")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["channel", "started_at"])]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"


class AlertKind(models.TextChoices):
    TOKEN_EXPIRING = "token_expiring", _("Token expires soon")
    NEEDS_REAUTH = "needs_reauth", _("Needs reconnection")


class ChannelAlert(models.Model):
    """A condition on a channel a person must act on, raised once while it lasts.

    At most one *open* alert per (channel, kind): the partial unique constraint is what makes two
    tickers racing on the same channel raise it — and email about it — only once. An alert is
    resolved when its condition clears; if it comes back, a new alert is raised.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "kind"], condition=models.Q(resolved_at__isnull=True),
                name="one_open_alert_per_channel_kind",
            )
        ]
        indexes = [models.Index(fields=["organisation", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.channel_id}"
