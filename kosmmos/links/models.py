"""Tracked links, conversions, costs and the Metrica upload job — the money side of a workspace.

Clicks are not here: they are events, kept apart from app data in the event store
(``kosmmos/links/events.py``). What lives here is what people create and edit, plus conversions
(few, valuable, each with an amount that must be auditable).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation, Workspace
from kosmmos.channels.models import Network as ChannelNetwork
from kosmmos.lib.ids import short_code, token

# Short codes are fixed-width: the click id embeds one (see clickids.py). 31**8 ≈ 8.5e11 codes.
CODE_LENGTH = 8


def link_code() -> str:
    return short_code(CODE_LENGTH)


def public_key() -> str:
    return short_code(16)


# ``utm_source`` values are the channel network codes (network-api-facts.md: lower case).
Network = ChannelNetwork


class Medium(models.TextChoices):
    SOCIAL = "social", _("Organic post (social)")
    CPC = "cpc", _("Paid, per click (cpc)")
    CPM = "cpm", _("Paid, per impression (cpm)")


class Campaign(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("campaign"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="campaign_name_per_workspace")
        ]

    def __str__(self) -> str:
        return self.name


class TrackedLink(models.Model):
    """A short link: ``LINKS_BASE_URL/<code>`` redirects to ``destination()``.

    The target is validated once when saved (actions.create_link) and never fetched per click;
    the redirect service reads only what is stored here.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="links")
    code = models.CharField(max_length=16, unique=True, default=link_code)
    title = models.CharField(_("title"), max_length=200, blank=True)
    target_url = models.CharField(_("target URL"), max_length=2000)
    network = models.CharField(_("network (utm_source)"), max_length=16, choices=Network.choices)
    medium = models.CharField(
        _("medium (utm_medium)"), max_length=16, choices=Medium.choices, default=Medium.SOCIAL
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="links",
        verbose_name=_("campaign"),
    )
    # utm_content: the post this link was placed in (per-post attribution).
    post_ref = models.CharField(_("post (utm_content)"), max_length=100, blank=True)
    tags = models.CharField(_("tags"), max_length=200, blank=True, help_text=_("Comma-separated."))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The redirect service polls rows changed since its last look.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # wrap_links() is idempotent per (workspace, target, network, post).
            models.UniqueConstraint(
                fields=["workspace", "target_url", "network", "post_ref"],
                condition=~Q(post_ref=""), name="one_link_per_post_target",
            )
        ]

    def __str__(self) -> str:
        return self.title or self.code

    @property
    def short_url(self) -> str:
        return f"{settings.LINKS_BASE_URL}/{self.code}"

    def utm(self) -> dict[str, str]:
        params = {"utm_source": self.network, "utm_medium": self.medium}
        if self.campaign:
            params["utm_campaign"] = _utm_value(self.campaign.name)
        if self.post_ref:
            params["utm_content"] = _utm_value(self.post_ref)
        return params

    def destination(self) -> str:
        """The target with the UTM tags set (ours replace any the target already had)."""
        parts = urlsplit(self.target_url)
        utm = self.utm()
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in utm]
        query += list(utm.items())
        return urlunsplit(parts._replace(query=urlencode(query)))

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]


def _utm_value(text: str) -> str:
    return "-".join(text.strip().lower().split())[:100]


class MoneySettings(models.Model):
    """Per-workspace keys and knobs: postback secret, collect key, attribution window, Metrica."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="money")
    # Public: names the workspace in postback and collect URLs (not a secret).
    public_key = models.CharField(max_length=32, unique=True, default=public_key)
    postback_secret = models.CharField(max_length=100, default=token)
    attribution_days = models.PositiveSmallIntegerField(
        _("attribution window, days"), default=30,
        help_text=_("A conversion is credited to the last click at most this many days before it."),
    )
    allowed_origins = models.TextField(
        _("sites allowed to report events"), blank=True,
        help_text=_("One origin per line, e.g. https://shop.example. Empty: any site."),
    )
    metrica_counter = models.CharField(_("Yandex.Metrica counter id"), max_length=20, blank=True)
    metrica_goal = models.CharField(
        _("Metrica goal identifier (Target)"), max_length=100, blank=True, default="purchase"
    )
    metrica_token_encrypted = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"money settings of {self.workspace_id}"

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.attribution_days)

    def origins(self) -> list[str]:
        return [o.strip().rstrip("/").lower() for o in self.allowed_origins.splitlines() if o.strip()]

    def metrica_token(self) -> str:
        from kosmmos.lib.crypto import decrypt

        return decrypt(self.metrica_token_encrypted) if self.metrica_token_encrypted else ""

    def set_metrica_token(self, value: str) -> None:
        from kosmmos.lib.crypto import encrypt

        self.metrica_token_encrypted = encrypt(value) if value else ""


class ConversionKind(models.TextChoices):
    REGISTRATION = "registration", _("Registration")
    PURCHASE = "purchase", _("Purchase")
    CUSTOM = "custom", _("Custom event")


class ConversionSource(models.TextChoices):
    POSTBACK = "postback", _("Server postback")
    SITE = "site", _("Site snippet")
    CSV = "csv", _("CSV import")


class Conversion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="conversions")
    # The sender's id of the event: the replay guard and the CSV de-duplicator.
    event_id = models.CharField(_("event id"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ConversionKind.choices)
    name = models.CharField(_("event name"), max_length=64, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=Decimal(0))
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    occurred_at = models.DateTimeField(_("when"))
    source = models.CharField(_("source"), max_length=16, choices=ConversionSource.choices)
    click_id = models.CharField(max_length=40, blank=True)
    # Last click within the workspace's window; empty when none (the revenue still counts).
    link = models.ForeignKey(
        TrackedLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversions"
    )
    clicked_at = models.DateTimeField(null=True, blank=True)
    ym_client_id = models.CharField(max_length=40, blank=True)
    # The buyer's numeric VK id when the shop knows it (postback/collect/CSV ``vk_id``): the
    # "bought" and "clicked" remarketing segments (kosmmos/audiences/segments.py).
    vk_id = models.CharField(max_length=20, blank=True)
    metrica_upload = models.ForeignKey(
        "MetricaUpload", null=True, blank=True, on_delete=models.SET_NULL, related_name="rows"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "event_id"], name="one_event_id_per_workspace")
        ]
        indexes = [models.Index(fields=["workspace", "occurred_at"], name="conv_ws_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency}"


class CostCategory(models.TextChoices):
    AD_SPEND = "ad_spend", _("Ad spend")
    CONTENT = "content", _("Content production")
    AGENCY_FEE = "agency_fee", _("Agency fee")
    PRIZES = "prizes", _("Giveaway prizes")
    OTHER = "other", _("Other")


class CostSource(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    VK_ADS = "vk_ads", _("VK Ads (imported)")


class CostEntry(models.Model):
    """A month's cost. ``source`` says where it came from: a person (manual, editable) or an
    import (``vk_ads``: one row per cabinet and month, ``source_ref`` the cabinet, rewritten by
    every import of its statistics — kosmmos/ads/costs.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="costs")
    month = models.DateField(_("month"), help_text=_("Any day of the month; stored as its first day."))
    category = models.CharField(_("category"), max_length=16, choices=CostCategory.choices)
    network = models.CharField(_("network"), max_length=16, choices=Network.choices, blank=True)
    amount = models.DecimalField(_("amount, ₽"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=CostSource.choices,
                              default=CostSource.MANUAL)
    source_ref = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "category"]
        indexes = [models.Index(fields=["workspace", "month"], name="cost_ws_month")]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "source", "source_ref", "month"],
                                    condition=~Q(source="manual"), name="one_imported_cost_month")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.category} {self.amount}"

    @property
    def is_manual(self) -> bool:
        return self.source == CostSource.MANUAL


class UploadStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Uploading")
    DONE = "done", _("Uploaded")
    FAILED = "failed", _("Failed")


MAX_UPLOAD_ATTEMPTS = 5


class MetricaUpload(models.Model):
    """One CSV of offline conversions sent to Yandex.Metrica: a job row (see jobs/claims.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="metrica_uploads")
    status = models.CharField(max_length=16, choices=UploadStatus.choices, default=UploadStatus.PENDING)
    csv_text = models.TextField()
    row_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    uploading_id = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Metrica upload {self.pk} ({self.status})"


class MetricaAttempt(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    upload = models.ForeignKey(MetricaUpload, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.upload_id}"
