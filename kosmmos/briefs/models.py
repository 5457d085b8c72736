"""The public brief and the lead it becomes."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation, User, Workspace
from kosmmos.briefs.choices import Goal, Messenger, Network, Niche, ProductType


class ConsentText(models.Model):
    """One version of the consent the agency's brief form asks for (152-FZ: which text the
    person agreed to). Versions are never edited: a new text, or a new policy address, is a new
    version; each brief points at the one it was agreed under. ``default``: Kosmmos's own
    wording (the form shows it in the visitor's language), made on the first brief."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="consent_texts")
    version = models.PositiveIntegerField()
    text = models.TextField(_("consent text"))
    policy_url = models.URLField(blank=True)
    default = models.BooleanField(default=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["organisation", "version"],
                                               name="one_consent_version")]

    def __str__(self) -> str:
        return f"v{self.version}"


class Brief(models.Model):
    """What a prospective client told us on the public form, kept exactly as submitted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="briefs")
    networks = models.JSONField(_("networks"), default=list)
    country = models.CharField(_("country"), max_length=100, default="Россия")
    regions = models.CharField(_("regions"), max_length=500, blank=True)
    cities = models.CharField(_("cities"), max_length=500, blank=True)
    goals = models.JSONField(_("goals"), default=list)
    product_type = models.CharField(_("product type"), max_length=16, choices=ProductType.choices)
    niche = models.CharField(_("niche"), max_length=16, choices=Niche.choices, blank=True)
    budget_rub = models.DecimalField(_("budget per month, RUB"), max_digits=12, decimal_places=2)
    period_months = models.PositiveSmallIntegerField(_("period, months"))
    kpis = models.TextField(_("KPIs that will confirm success"), blank=True)
    contact_name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"))
    website = models.URLField(_("website"), blank=True)
    messenger = models.CharField(
        _("messenger"), max_length=16, choices=Messenger.choices, blank=True
    )
    messenger_handle = models.CharField(_("messenger contact"), max_length=100, blank=True)
    consent = models.BooleanField(_("consent to personal data processing"))
    consent_policy_url = models.URLField(blank=True)  # the policy the person agreed to
    # The consent text version agreed to, and when (None on briefs from before versions).
    consent_text = models.ForeignKey(ConsentText, null=True, blank=True,
                                     on_delete=models.RESTRICT, related_name="+")
    consented_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    language = models.CharField(max_length=8, default="ru")
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.company or self.contact_name} ({self.submitted_at:%Y-%m-%d})"

    def network_labels(self) -> list[str]:
        return [str(Network(code).label) for code in self.networks if code in Network.values]

    def goal_labels(self) -> list[str]:
        return [str(Goal(code).label) for code in self.goals if code in Goal.values]

    def has_flagged_network(self) -> bool:
        from kosmmos.briefs.choices import FLAGGED_NETWORKS

        return any(code in FLAGGED_NETWORKS for code in self.networks)


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_WORK = "in_work", _("In work")
    PROPOSAL_SENT = "proposal_sent", _("Proposal sent")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Lead(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="leads")
    brief = models.OneToOneField(Brief, on_delete=models.CASCADE, related_name="lead")
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    assignee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_leads",
        verbose_name=_("assignee"),
    )
    workspace = models.OneToOneField(
        Workspace, null=True, blank=True, on_delete=models.SET_NULL, related_name="lead"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "status", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class LeadEvent(models.Model):
    """The lead's history: notes people write and changes the system records."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        STATUS = "status", _("Status changed")
        ASSIGN = "assign", _("Assigned")
        CONVERTED = "converted", _("Converted to a workspace")
        CREATED = "created", _("Brief received")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"
