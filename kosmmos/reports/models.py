"""Client reports: the organisation's schedule and branding, a template per workspace, and the
reports themselves with their numbered versions.

A report is unique on (workspace, template, period): the ticker, any number of workers, a
restart or a re-run can only ever find the one row. Its states:

    pending --dispatcher--> queued --task--> rendering --> draft --send--> sent (frozen)
                                                 |           |  ^
                                                 |           |  +-- regenerate: a new version
                                                 +-> pending (retry with backoff) / failed

A sent report keeps the version it sent, figures and PDF included: a late correction of the
data never rewrites what the client received.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kosmmos.accounts.models import Organisation, Role, User, Workspace
from kosmmos.lib.ids import token

# How long the link in the report email opens the report without an account.
LINK_DAYS = 30
MAX_ATTEMPTS = 5

# Every section a report can hold, in the default order. The three text sections are the
# manager's own words; the others are figures (kosmmos/reports/figures.py).
TEXT_SECTIONS = ("summary", "done", "next")
FIGURE_SECTIONS = ("money", "audience", "engagement", "content", "reviews", "forecast", "plan")
DEFAULT_SECTIONS = ["summary", "money", "audience", "engagement", "content", "reviews",
                    "forecast", "done", "plan", "next"]
SECTION_LABELS = {
    "summary": _("Month summary"),
    "money": _("Money"),
    "audience": _("Audience"),
    "engagement": _("Reach and engagement"),
    "content": _("Content and top posts"),
    "reviews": _("Reviews and response times"),
    "forecast": _("Forecast vs actual"),
    "done": _("What we did"),
    "plan": _("Content plan for next month"),
    "next": _("Plan for next month"),
}


class Cadence(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    WEEKLY = "weekly", _("Weekly")


class ReportSettings(models.Model):
    """The organisation's schedule and white-label: who the email is from, where replies go and
    whether the product may be named at all (it is not unless the agency opts in)."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="report_settings")
    enabled = models.BooleanField(_("draft reports on a schedule"), default=False)
    cadence = models.CharField(_("how often"), max_length=8, choices=Cadence.choices,
                               default=Cadence.MONTHLY)
    day = models.PositiveSmallIntegerField(
        _("day of the month"), default=3,
        help_text=_("1–28; weekly reports are drafted on Mondays."))
    at = models.TimeField(pgettext_lazy("report schedule time", "at"), default=time(9, 0))
    auto_send = models.BooleanField(
        _("send without review"), default=False,
        help_text=_("A drafted report is emailed to the client at once."))
    sender_name = models.CharField(_("sender name"), max_length=100, blank=True,
                                   help_text=_("Empty: the agency's name."))
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    show_product = models.BooleanField(_("mention the service the report is made with"),
                                       default=False)
    # When the ticker next drafts; moved forward by the claim that wins the run.
    next_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"report settings of {self.organisation}"

    def schedule_next(self, now: datetime | None = None) -> datetime:
        """The next run after ``now`` in the organisation's time zone."""
        tz = ZoneInfo(self.organisation.timezone)
        local = (now or timezone.now()).astimezone(tz)
        if self.cadence == Cadence.WEEKLY:
            monday = local.date() - timedelta(days=local.weekday())
            moment = datetime.combine(monday, self.at, tz)
            return moment if moment > local else moment + timedelta(days=7)
        day = min(max(self.day, 1), 28)
        moment = datetime.combine(local.date().replace(day=day), self.at, tz)
        if moment > local:
            return moment
        month = local.date().replace(day=1) + timedelta(days=32)
        return datetime.combine(month.replace(day=day), self.at, tz)


class ReportLanguage(models.TextChoices):
    RU = "ru", _("Russian")
    EN = "en", _("English")


class ReportTemplate(models.Model):
    """What a workspace's report holds and in which order; made with the defaults on first use,
    so a report works without any setup."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE,
                                     related_name="report_template")
    sections = models.JSONField(default=list)  # codes from DEFAULT_SECTIONS, in order
    language = models.CharField(_("language"), max_length=2, choices=ReportLanguage.choices,
                                default=ReportLanguage.RU)
    # Starting text of the manager's three fields in each new report.
    summary = models.TextField(_("Month summary"), blank=True)
    done = models.TextField(_("What we did"), blank=True)
    next = models.TextField(_("Plan for next month"), blank=True)
    extra_recipients = models.TextField(
        _("also send to"), blank=True,
        help_text=_("Addresses besides the workspace's client users, one a line."))

    def __str__(self) -> str:
        return f"report template of {self.workspace}"

    def section_list(self) -> list[str]:
        known = [s for s in self.sections if s in DEFAULT_SECTIONS]
        return known or list(DEFAULT_SECTIONS)

    def recipients(self) -> list[str]:
        """The workspace's client users and the extra addresses, each once, sorted."""
        clients = User.objects.filter(
            memberships__organisation_id=self.organisation_id, memberships__role=Role.CLIENT,
            memberships__workspaces=self.workspace_id, is_active=True,
        ).values_list("email", flat=True)
        extra = [line.strip() for line in self.extra_recipients.splitlines() if line.strip()]
        return sorted({*clients, *extra})


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    QUEUED = "queued", _("Queued")
    RENDERING = "rendering", _("Preparing")
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


def _link_expiry() -> datetime:
    return timezone.now() + timedelta(days=LINK_DAYS)


class Report(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="reports")
    template = models.ForeignKey(ReportTemplate, on_delete=models.CASCADE, related_name="reports")
    period_start = models.DateField()
    period_end = models.DateField()  # inclusive
    status = models.CharField(max_length=10, choices=ReportStatus.choices,
                              default=ReportStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    version = models.ForeignKey("ReportVersion", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    token = models.CharField(max_length=64, unique=True, default=token)
    token_expires_at = models.DateTimeField(default=_link_expiry)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "workspace__name"]
        constraints = [models.UniqueConstraint(
            fields=["workspace", "template", "period_start", "period_end"],
            name="one_report_per_workspace_template_period")]
        indexes = [models.Index(fields=["status", "next_attempt_at"]),
                   models.Index(fields=["organisation", "workspace", "-period_start"])]

    def __str__(self) -> str:
        return f"{self.workspace} {self.period_start}–{self.period_end}"

    def public_url(self) -> str:
        return f"{settings.SITE_URL}/r/{self.token}/"

    @property
    def link_expired(self) -> bool:
        return self.token_expires_at <= timezone.now()

    @property
    def is_frozen(self) -> bool:
        return self.status == ReportStatus.SENT

    @property
    def period(self) -> tuple[date, date]:
        return self.period_start, self.period_end


class ReportVersion(models.Model):
    """One rendering of a report: its figures as JSON, the manager's text, the PDF. A sent
    version never changes again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    sections = models.JSONField(default=list)
    language = models.CharField(max_length=2, default="ru")
    figures = models.JSONField(default=dict)
    summary = models.TextField(_("Month summary"), blank=True)
    done = models.TextField(_("What we did"), blank=True)
    next = models.TextField(_("Plan for next month"), blank=True)
    pdf = models.BinaryField(null=True, blank=True)
    render_ms = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"],
                                               name="one_number_per_report")]

    def __str__(self) -> str:
        return f"v{self.number}"
