"""Commercial proposals: a lead's proposal, its numbered versions, the job that drafts it, the
organisation's proposal settings (benchmarks, auto-send, logo) and the targets an accepted
proposal leaves on the client's workspace.

Proposal states:

    draft --send--> sent --client accepts--> accepted (final)
                     |  ^
                     |  +--- manager sends a new version
                     +--client asks for changes--> changes_requested
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation, User, Workspace
from kosmmos.briefs.models import Lead
from kosmmos.lib.ids import token

# How long the link in the proposal email lets the lead view, accept or comment.
LINK_DAYS = 30
MAX_JOB_ATTEMPTS = 5


class ProposalSettings(models.Model):
    """Per-organisation knobs. ``benchmark_rows`` patches the packaged table:
    ``{"vk/targeted_ads": {"cpm": "180", "source": "...", "date": "2026-01"}}``."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="proposal_settings"
    )
    auto_send = models.BooleanField(
        _("send drafts without review"), default=False,
        help_text=_("A new brief's proposal is emailed to the lead as soon as it is drafted."),
    )
    benchmark_rows = models.JSONField(default=dict, blank=True)
    benchmarks_updated_at = models.DateTimeField(null=True, blank=True)
    # A small PNG/SVG kept in the row: no media storage to configure for one picture.
    logo = models.BinaryField(null=True, blank=True)
    logo_mimetype = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"proposal settings of {self.organisation}"


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    ACCEPTED = "accepted", _("Accepted")


class Language(models.TextChoices):
    RU = "ru", _("Russian")
    EN = "en", _("English")


def _link_expiry() -> object:
    return timezone.now() + timedelta(days=LINK_DAYS)


class Proposal(models.Model):
    """One lead's commercial proposal. Its numbers live in versions; the public link shows the
    version last sent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="proposals"
    )
    lead = models.OneToOneField(Lead, on_delete=models.CASCADE, related_name="proposal")
    status = models.CharField(
        _("status"), max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.RU
    )
    # Why the last automatic plan failed (budget below minimums, …); empty when it worked.
    plan_error = models.TextField(blank=True)
    token = models.CharField(max_length=64, unique=True, default=token)
    token_expires_at = models.DateTimeField(default=_link_expiry)
    sent_version = models.ForeignKey(
        "ProposalVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_version = models.ForeignKey(
        "ProposalVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.lead.title} ({self.get_status_display()})"

    def latest_version(self) -> ProposalVersion | None:
        return self.versions.order_by("-number").first()

    def public_url(self) -> str:
        return f"{settings.SITE_URL}/p/{self.token}/"

    @property
    def link_expired(self) -> bool:
        return self.token_expires_at <= timezone.now()

    @property
    def is_final(self) -> bool:
        return self.status == ProposalStatus.ACCEPTED


class ProposalVersion(models.Model):
    """An immutable snapshot: the inputs the manager chose and the media plan they gave.
    ``changes`` maps a figure key (see ``diff.figures``) to its value in the previous version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    inputs = models.JSONField(default=dict)  # BriefInput.to_dict()
    overrides = models.JSONField(default=dict)  # Overrides.to_dict()
    plan = models.JSONField(default=dict)  # MediaPlan.to_dict()
    language = models.CharField(max_length=8, default="ru")
    changes = models.JSONField(default=dict, blank=True)
    pdf = models.BinaryField(null=True, blank=True)  # rendered once, when first sent
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "number"], name="one_number_per_proposal")
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DraftJob(models.Model):
    """The due row that makes a lead's first draft (and sends it when auto-send is on).

    pending --dispatcher--> queued --task--> running --> done / pending (retry) / failed
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    lead = models.OneToOneField(Lead, on_delete=models.CASCADE, related_name="draft_job")
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"draft job for {self.lead_id} ({self.status})"


class TargetMetric(models.TextChoices):
    BUDGET = "budget", _("Budget")
    IMPRESSIONS = "impressions", _("Impressions")
    REACH = "reach", _("Reach")
    CLICKS = "clicks", _("Clicks")
    SUBSCRIBERS = "subscribers", _("New subscribers")
    LEADS = "leads", _("Leads")
    SALES = "sales", _("Sales")


class WorkspaceTarget(models.Model):
    """A monthly KPI target from an accepted proposal, for forecast-vs-actual dashboards.
    Tenant first, then workspace and month: the order the dashboards read in."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="targets")
    proposal = models.ForeignKey(
        Proposal, null=True, on_delete=models.SET_NULL, related_name="targets"
    )
    month = models.DateField()  # the first day of the month
    metric = models.CharField(max_length=20, choices=TargetMetric.choices)
    value = models.DecimalField(max_digits=16, decimal_places=2)
    # The forecast's confidence band: "within the band" is what forecast vs actual reports.
    # Null on targets stored before bands existed.
    low = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    high = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["month", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "month", "metric"], name="one_target_per_month_metric"
            )
        ]
        indexes = [models.Index(fields=["organisation", "workspace", "month"])]

    def __str__(self) -> str:
        return f"{self.metric} {self.month:%Y-%m} = {self.value}"

    def within_band(self, actual: int | float | str) -> bool | None:
        """Whether an actual figure lies in the band (None when the target has no band)."""
        if self.low is None or self.high is None:
            return None
        return self.low <= Decimal(str(actual)) <= self.high
