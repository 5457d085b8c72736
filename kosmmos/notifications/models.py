"""Events: every notable thing, written in the same transaction as the change that caused it."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation, Workspace


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    URGENT = "urgent", _("Urgent")


class Event(models.Model):
    """One notable thing. ``dedupe_key`` (when given) makes raising it again a no-op: "one KPI
    alert per metric and month" is the key ``<workspace>:<metric>:<month>``, and the unique
    constraint, not a read-then-write, is what keeps two workers from raising it twice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="+")
    kind = models.CharField(max_length=48)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.INFO)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set once the dispatcher wrote its deliveries; the sweep fans out events whose kick was lost.
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "dedupe_key"],
                condition=~models.Q(dedupe_key=""), name="one_event_per_dedupe_key",
            )
        ]
        indexes = [models.Index(fields=["organisation", "-created_at"]),
                   models.Index(fields=["fanned_out_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"


class Channel(models.TextChoices):
    INAPP = "inapp", _("In the app")
    EMAIL = "email", _("Email")
    TELEGRAM = "telegram", _("Telegram")


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Subscriber(models.Model):
    """One member's notification settings in one organisation, and their channels' pacing.

    ``choices`` maps a workspace id (or ``"*"`` for every workspace) to ``{kind: [channels]}``;
    a kind not listed takes its role default (``prefs.defaults``). The ``*_free_at`` columns are
    the claims that pace a channel: a sender takes the slot with a conditional UPDATE.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    choices = models.JSONField(default=dict, blank=True)
    email_digest = models.BooleanField(_("daily digest instead of immediate emails"),
                                       default=False)
    quiet_from = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_to = models.TimeField(_("quiet hours to"), null=True, blank=True)
    telegram_chat_id = models.BigIntegerField(null=True, blank=True)
    telegram_name = models.CharField(max_length=100, blank=True)
    link_code = models.CharField(max_length=40, blank=True, db_index=True)
    link_code_expires_at = models.DateTimeField(null=True, blank=True)
    telegram_free_at = models.DateTimeField(null=True, blank=True)
    email_free_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user"],
                                               name="one_subscriber_per_member")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.organisation_id}"


class Delivery(models.Model):
    """One event for one user on one channel. The unique key is what makes it exactly once:
    any number of fan-outs of the same event insert the row once; sending claims it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    batch = models.CharField(max_length=64, blank=True, db_index=True)  # the claim mark
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    external_id = models.CharField(max_length=64, blank=True)  # Telegram message id
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["event", "user", "channel"],
                                               name="one_delivery_per_event_user_channel")]
        indexes = [
            models.Index(fields=["user", "organisation", "channel", "read_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["user", "channel", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.event_id} → {self.user_id}: {self.status}"


class TelegramBot(models.Model):
    """The agency's bot, connected once; its token encrypted at rest."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        primary_key=True, related_name="+")
    token_encrypted = models.TextField()
    username = models.CharField(max_length=64)
    api_url = models.CharField(max_length=200, blank=True)  # empty: settings.NOTIFY_TELEGRAM_API
    update_offset = models.BigIntegerField(default=0)
    connected_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"@{self.username}"


class Webhook(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    url = models.CharField(_("URL"), max_length=500)
    kinds = models.JSONField(default=list, blank=True)  # empty: every kind
    secret_encrypted = models.TextField()
    active = models.BooleanField(default=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url

    def wants(self, kind: str) -> bool:
        return self.active and (not self.kinds or kind in self.kinds)


class WebhookDelivery(models.Model):
    """One event for one webhook; its id is the ``X-Kosmmos-Delivery`` header receivers dedupe on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["webhook", "event"],
                                               name="one_webhook_delivery_per_event")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.webhook_id}: {self.status}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE,
                                 related_name="attempts_made")
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error[:40]}"
