"""Shared fixtures: a two-agency world and the three people of every access test.

Every view is tried by an owner, a teammate and an outsider. ``world`` builds two
organisations, Alpha and Beta, each with an owner, a manager, an analyst, a client who sees one of
the two workspaces, leads with briefs, an invitation and a failed delivery. Every name and address
in it is unique, so a test can search a response for another tenant's data by plain text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from kosmmos.accounts.models import Invitation, Membership, Organisation, Role, User, Workspace
from kosmmos.briefs.models import Brief, Lead, LeadEvent, LeadStatus
from kosmmos.mail.models import Delivery, Status

PASSWORD = "Kosmmos-test-pass-1"  # noqa: S105


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Path) -> None:
    """Nothing leaves the test: files go to a temp dir, sent email to ``mail.outbox``.

    Django's test set-up replaces EMAIL_BACKEND with locmem; put ours back so Django's own email
    (password reset) becomes a Delivery, and make the job's transport locmem instead.
    """
    settings.EMAIL_BACKEND = "kosmmos.mail.backends.QueuedBackend"
    settings.KOSMMOS_EMAIL_TRANSPORT = "django.core.mail.backends.locmem.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    settings.SITE_URL = "http://kosmmos.test"
    settings.BACKUP_EVERY_HOURS = 0  # the schedule's own tests turn it on
    if not settings.REDIS_URL:
        # Rate-limit counters live in the cache: keep the file cache out of the repository's var/.
        settings.CACHES = {"default": {
            "BACKEND": "kosmmos.lib.cache.LockedFileCache",
            "LOCATION": str(tmp_path / "cache"),
        }}
    # PBKDF2 takes ~0.3 s per user; the world has ten of them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_celery() -> Iterator[None]:
    """Tasks run in the caller, so `.delay()` sends the email before it returns."""
    from kosmmos.jobs.app import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


# --- The world ---------------------------------------------------------------------------------


@dataclass
class Tenant:
    """One agency and everything it owns. ``slug`` prefixes every name and address in it."""

    slug: str
    org: Organisation
    owner: User
    manager: User
    analyst: User
    client: User
    memberships: dict[str, Membership]
    client_workspace: Workspace
    other_workspace: Workspace
    leads: list[Lead]
    delivery: Delivery
    invitation: Invitation
    staff_emails: list[str] = field(default_factory=list)

    def private_texts(self) -> list[str]:
        """Text only the agency's own staff may see (what a leak would show)."""
        texts = [
            self.other_workspace.name, self.delivery.subject, self.invitation.email,
            *self.staff_emails,
        ]
        for lead in self.leads:
            texts += [lead.title, lead.brief.email, lead.brief.contact_name]
        return texts


@dataclass
class World:
    alpha: Tenant
    beta: Tenant


def make_user(email: str, name: str = "") -> User:
    return User.objects.create_user(email=email, password=PASSWORD, first_name=name)


def make_lead(
    org: Organisation, title: str, *, status: str = LeadStatus.NEW, email: str = "",
    networks: list[str] | None = None,
) -> Lead:
    """A lead as the public form leaves it, without the email to the agency."""
    brief = Brief.objects.create(
        organisation=org, networks=networks or ["vk", "telegram"], goals=["traffic", "reach"],
        product_type="permanent", budget_rub=Decimal("120000"), period_months=6,
        kpis=f"{title}: 300 leads a month", contact_name=f"{title} contact", company=title,
        email=email or f"{title.lower().replace(' ', '-')}@clients.test", consent=True,
    )
    lead = Lead.objects.create(organisation=org, brief=brief, title=title, status=status)
    LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.CREATED)
    return lead


def make_tenant(slug: str) -> Tenant:
    s = slug.lower()
    org = Organisation.objects.create(name=f"{slug} Agency", contact_email=f"hello@{s}.test")
    people = {
        role: make_user(f"{role}@{s}.test", f"{slug} {role.title()}")
        for role in ("owner", "manager", "analyst", "client")
    }
    memberships = {
        role: Membership.objects.create(organisation=org, user=user, role=role)
        for role, user in people.items()
    }
    client_ws = Workspace.objects.create(organisation=org, name=f"{slug} Client Shop")
    other_ws = Workspace.objects.create(organisation=org, name=f"{slug} Secret Mattresses")
    memberships[Role.CLIENT].workspaces.add(client_ws)
    leads = [
        make_lead(org, f"{slug} Bakery", status=LeadStatus.NEW),
        make_lead(org, f"{slug} Fitness", status=LeadStatus.IN_WORK),
        make_lead(org, f"{slug} Travel", status=LeadStatus.LOST),
    ]
    delivery = Delivery.objects.create(
        organisation=org, kind="new_lead", from_email="noreply@kosmmos.test",
        to=[f"owner@{s}.test"], subject=f"{slug} confidential subject", body="body",
        status=Status.FAILED, attempts=1, last_error="SMTP 550: rejected",
    )
    invitation = Invitation.objects.create(
        organisation=org, email=f"invitee@{s}.test", role=Role.CLIENT, workspace=other_ws,
        invited_by=people["owner"],
    )
    return Tenant(
        slug=slug, org=org, owner=people["owner"], manager=people["manager"],
        analyst=people["analyst"], client=people["client"], memberships=memberships,
        client_workspace=client_ws, other_workspace=other_ws, leads=leads, delivery=delivery,
        invitation=invitation,
        staff_emails=[f"{r}@{s}.test" for r in ("owner", "manager", "analyst")],
    )


def build_world() -> World:
    return World(alpha=make_tenant("Alpha"), beta=make_tenant("Beta"))


@pytest.fixture
def world(db: None) -> World:
    return build_world()


# The three people: an owner, a teammate and an outsider.
@pytest.fixture
def owner(world: World) -> User:
    return world.alpha.owner


@pytest.fixture
def teammate(world: World) -> User:
    return world.alpha.manager


@pytest.fixture
def outsider(world: World) -> User:
    """Owner of Beta: signed in, fully privileged, but in the other agency."""
    return world.beta.owner


def client_for(user: User | None, *, language: str | None = None) -> Client:
    """A test browser signed in as ``user``; ``language`` sets the language cookie."""
    from django.conf import settings

    browser = Client()
    if user is not None:
        browser.force_login(user)
    if language:
        browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return browser
