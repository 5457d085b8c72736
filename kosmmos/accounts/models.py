"""Tenancy: an organisation (the agency) owns client workspaces; members hold roles in it."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosmmos.lib.ids import short_code, token


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person; signs in with their email."""

    username = None  # type: ignore[assignment]  # none: the email signs in
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("email"), unique=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="ru"
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]  # ours is not AbstractUser's UserManager

    def __str__(self) -> str:
        return self.get_full_name() or self.email


def _timezone_choices() -> list[tuple[str, str]]:
    russian = [z for z in sorted(zoneinfo.available_timezones()) if z.startswith(("Europe/", "Asia/"))]
    return [(z, z) for z in russian]


class Organisation(models.Model):
    """The agency (or in-house team): the tenant everything else belongs to."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    # The public brief form lives at /brief/<brief_code>/; rotating it retires old embeds.
    brief_code = models.CharField(max_length=16, unique=True, default=short_code)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Moscow", choices=_timezone_choices
    )
    currency = models.CharField(_("currency"), max_length=3, default="RUB", editable=False)
    notify_email = models.EmailField(
        _("email for new leads"), blank=True,
        help_text=_("New briefs are sent here; empty means every owner and manager."),
    )
    policy_url = models.URLField(
        _("personal data policy URL"), blank=True,
        help_text=_("Linked from the consent checkbox on the public brief form (152-FZ)."),
    )
    website = models.URLField(_("website"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    brand_color = models.CharField(_("brand colour"), max_length=7, default="#4f46e5")
    # Costs (ad spend, fees) are the agency's business: a client role sees them only when the
    # agency chooses so; revenue, clicks and conversions they always see.
    show_costs_to_clients = models.BooleanField(
        _("show costs to clients"), default=False,
        help_text=_("Clients then see costs, profit, CPC, CPA and ROMI on the P&L, the results "
                    "and their home page; off, they see revenue, clicks and conversions only."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def brief_url(self) -> str:
        return f"{settings.SITE_URL}/brief/{self.brief_code}/"

    def lead_recipients(self) -> list[str]:
        """Who hears about a new brief: the configured address, else owners and managers."""
        if self.notify_email:
            return [self.notify_email]
        members = self.memberships.filter(role__in=[Role.OWNER, Role.MANAGER], user__is_active=True)
        return sorted({m.user.email for m in members.select_related("user")})


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("SMM manager")
    ANALYST = "analyst", _("Analyst (read only)")
    CLIENT = "client", _("Client")


# Roles that may change agency data; analysts and clients read.
STAFF_ROLES = frozenset({Role.OWNER, Role.MANAGER})
AGENCY_ROLES = frozenset({Role.OWNER, Role.MANAGER, Role.ANALYST})


class Workspace(models.Model):
    """One client of the agency: its channels, content, inbox and money live here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="workspaces"
    )
    name = models.CharField(_("name"), max_length=200)
    # What customers call the client in replies: the name is often longer ("Brand — what we sell").
    brand = models.CharField(
        _("brand"), max_length=100, blank=True,
        help_text=_("The short name replies use for {brand}. Empty: the workspace name."),
    )
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")

    def __str__(self) -> str:
        return self.name

    @property
    def brand_name(self) -> str:
        """The brand if set, else the workspace name."""
        return self.brand.strip() or self.name


class Membership(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    # Clients see only these; agency roles see every workspace of the organisation.
    workspaces = models.ManyToManyField(Workspace, blank=True, related_name="client_memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_agency(self) -> bool:
        return self.role in AGENCY_ROLES

    @property
    def sees_costs(self) -> bool:
        """Costs and what reveals them (profit, CPC, CPA, ROI/ROMI): the agency always, a
        client only when the organisation shows costs to clients."""
        return self.role != Role.CLIENT or self.organisation.show_costs_to_clients

    def visible_workspaces(self) -> models.QuerySet[Workspace]:
        if self.is_agency:
            return self.organisation.workspaces.all()
        return self.workspaces.filter(organisation=self.organisation)


def _invitation_expiry() -> object:
    return timezone.now() + timedelta(days=settings.INVITATION_DAYS)


class Invitation(models.Model):
    """An emailed, single-use link that makes its holder a member with the given role."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("workspace")
    )
    token = models.CharField(max_length=64, unique=True, default=token)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()

    def url(self) -> str:
        return f"{settings.SITE_URL}/invite/{self.token}/"
