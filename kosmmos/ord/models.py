"""Ad marking (38-FZ art. 18.1) per organisation: the parties, contracts, platforms (pads),
creatives, monthly statistics and acts an ORD must hold, each with the ORD's status; the jobs
that send them and every call kept for audit.

External ids are ours and stable (``kos-<kind>-<uuid>``): every ORD write is an upsert by them,
so a repeated or duplicated call changes the same object.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation, Workspace
from kosmmos.channels.models import Channel
from kosmmos.content.models import Post
from kosmmos.lib import crypto


class LegalForm(models.TextChoices):
    JURIDICAL = "juridical", _("Company (ООО, АО…)")
    IP = "ip", _("Sole trader (ИП)")
    PHYSICAL = "physical", _("Individual")
    FOREIGN = "foreign_juridical", _("Foreign company")


class Role(models.TextChoices):
    ADVERTISER = "advertiser", _("Advertiser")
    AGENCY = "agency", _("Agency")
    PUBLISHER = "publisher", _("Platform owner")


class ContractType(models.TextChoices):
    SERVICE = "service", _("Service contract")
    MEDIATION = "mediation", _("Mediation contract")
    ADDITIONAL = "additional", _("Additional agreement")


class SubjectType(models.TextChoices):
    REPRESENTATION = "representation", _("Representation")
    ORG_DISTRIBUTION = "org_distribution", _("Organising distribution")
    MEDIATION = "mediation", _("Mediation")
    DISTRIBUTION = "distribution", _("Distribution")
    OTHER = "other", _("Other")


class Form(models.TextChoices):
    TEXT_GRAPHIC = "text_graphic_block", _("Text and image")
    TEXT = "text_block", _("Text")
    BANNER = "banner", _("Banner")
    VIDEO = "video", _("Video")


class ErirStatus(models.TextChoices):
    NONE = "", _("Not sent")
    PROCESSING = "processing", _("Processing")
    VERIFIED = "verified", _("Verified")
    BAD = "bad", _("Rejected")


class OrdObject(models.Model):
    """What every object sent to the ORD carries: our external id, what was sent, the ORD's word."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    # A hash of the payload last accepted by the ORD: unchanged objects are not sent again.
    sent_hash = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    erir_status = models.CharField(_("ORD status"), max_length=16, choices=ErirStatus.choices,
                                   blank=True, default="")
    erir_message = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    PREFIX = "obj"
    KIND = ""  # the ORD's name for it (person, contract, pad, creative, invoice)

    class Meta:
        abstract = True

    @property
    def external_id(self) -> str:
        return f"kos-{self.PREFIX}-{self.pk.hex}"


class Account(models.Model):
    """The organisation's key to its ORD (one per organisation)."""

    class Host(models.TextChoices):
        SANDBOX = "sandbox", _("Kosmmos sandbox (rehearsal)")
        VK_SANDBOX = "vk_sandbox", _("VK ORD sandbox (not sent to ЕРИР)")
        VK = "vk", _("VK ORD")

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="+")
    ord = models.CharField(max_length=16, default="vkord")
    host = models.CharField(_("ORD"), max_length=16, choices=Host.choices, default=Host.SANDBOX)
    token_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.host}"

    @property
    def token(self) -> str:
        return crypto.decrypt(self.token_encrypted) if self.token_encrypted else ""

    @token.setter
    def token(self, value: str) -> None:
        self.token_encrypted = crypto.encrypt(value)


class Party(OrdObject):
    """A person or company the ORD knows: the agency, an advertiser, a platform's owner."""

    PREFIX, KIND = "p", "person"
    name = models.CharField(_("name"), max_length=300)
    legal_form = models.CharField(_("legal form"), max_length=20, choices=LegalForm.choices)
    inn = models.CharField(_("INN"), max_length=12, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    roles = models.JSONField(_("roles"), default=list)
    is_agency = models.BooleanField(_("our agency"), default=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(
            fields=["organisation", "inn"], condition=~models.Q(inn=""), name="ord_party_inn_once")]

    def __str__(self) -> str:
        return self.name


class Contract(OrdObject):
    PREFIX, KIND = "c", "contract"
    number = models.CharField(_("number"), max_length=100)
    type = models.CharField(_("type"), max_length=16, choices=ContractType.choices,
                            default=ContractType.SERVICE)
    subject_type = models.CharField(_("subject"), max_length=20, choices=SubjectType.choices,
                                    default=SubjectType.DISTRIBUTION)
    client = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("client (customer)"))
    contractor = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("contractor"))
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount, ₽ with VAT"), max_digits=14, decimal_places=2,
                                 null=True, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("parent contract"))

    class Meta:
        ordering = ["-date", "number"]

    def __str__(self) -> str:
        return f"№ {self.number} {self.date:%d.%m.%Y}"


class Link(models.Model):
    """A client workspace's contract and what its creatives default to."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="links",
                                 verbose_name=_("contract"))
    kktu = models.CharField(_("KKTU code"), max_length=100, default="30.10.1",
                            help_text=_("The product's code in the catalogue, e.g. 30.10.1; "
                                        "several separated by commas for a co-branded ad."))
    form = models.CharField(_("form"), max_length=24, choices=Form.choices,
                            default=Form.TEXT_GRAPHIC)

    def __str__(self) -> str:
        return f"{self.workspace_id} → {self.contract_id}"

    def kktus(self) -> list[str]:
        return [k.strip() for k in self.kktu.split(",") if k.strip()]


class Pad(OrdObject):
    """A connected channel as the ORD's platform."""

    PREFIX, KIND = "pad", "pad"
    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=300)
    url = models.URLField(max_length=500)

    def __str__(self) -> str:
        return self.name


class Creative(OrdObject):
    """An ad post as the ORD's creative; ``erid`` is what its label prints."""

    PREFIX, KIND = "cr", "creative"
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="+")
    contract = models.ForeignKey(Contract, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    erid = models.CharField(max_length=100, blank=True)
    # The erid came from another ORD, typed by the manager: we register nothing for it.
    manual = models.BooleanField(default=False)
    # Set when the post's ad content differs from what the ORD holds; cleared by a successful PUT.
    stale = models.BooleanField(default=True)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.erid or self.external_id


class Report(models.Model):
    """One organisation's month: its statistics (and acts) for the ORD, and the deadline."""

    class Status(models.TextChoices):
        OPEN = "open", _("Not sent")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    due_on = models.DateField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["organisation", "month"],
                                               name="ord_report_once_a_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class Statistic(OrdObject):
    """Impressions of one creative on one platform in one month (a row of the ORD's statistics)."""

    PREFIX, KIND = "st", "statistics"
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="rows")
    creative = models.ForeignKey(Creative, on_delete=models.CASCADE, related_name="+")
    pad = models.ForeignKey(Pad, on_delete=models.CASCADE, related_name="+")
    date_start = models.DateField()
    date_end = models.DateField()
    shows = models.PositiveIntegerField(_("impressions"), null=True, blank=True)
    # Typed by the manager because the network gives no views for this post.
    manual = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "creative", "pad"],
                                               name="ord_statistic_once")]

    def __str__(self) -> str:
        return f"{self.creative_id}@{self.pad_id}: {self.shows}"


class Invoice(OrdObject):
    """The month's act under one contract, drafted from its placements for the manager."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        SENT = "sent", _("Sent")

    PREFIX, KIND = "inv", "invoice"
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="invoices")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("act number"), max_length=100)
    date = models.DateField(_("act date"))
    amount = models.DecimalField(_("amount, ₽ with VAT"), max_digits=14, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "contract"],
                                               name="ord_invoice_once")]

    def __str__(self) -> str:
        return self.number


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """One thing to tell the ORD (a creative, a month's statistics, an act, a status check), on
    the shared RowQueue; one row per (kind, ref), reopened when there is more to say."""

    class Kind(models.TextChoices):
        CREATIVE = "creative", _("Creative")
        REPORT = "report", _("Month's statistics")
        INVOICE = "invoice", _("Act")
        STATUS = "status", _("Status check")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    ref = models.UUIDField()
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.PENDING)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "ref"], name="ord_job_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="ord_job_due"),
                   models.Index(fields=["organisation", "status"], name="ord_job_org")]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref} {self.status}"


class Call(models.Model):
    """Every request to the ORD and its answer, the key redacted (audit)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="calls")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    request = models.JSONField(null=True, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    answer = models.TextField(blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "created_at"], name="ord_call_org_time")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"


def month_start(day: date) -> date:
    return day.replace(day=1)
