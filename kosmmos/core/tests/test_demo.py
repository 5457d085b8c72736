"""`kosmmos demo`: the agency a new install opens with."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from kosmmos.accounts.models import Membership, Organisation, User, Workspace
from kosmmos.briefs.models import Brief, Lead, LeadEvent
from kosmmos.core.demo import DEMO_EMAIL, DEMO_ORG, DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Organisation, Membership, Workspace, Brief, Lead, LeadEvent)
    }


def test_it_creates_the_demo_agency_from_the_seed_portfolio() -> None:
    output = run_demo()

    org = Organisation.objects.get(name=DEMO_ORG)
    names = list(Workspace.objects.filter(organisation=org).values_list("name", flat=True))
    assert len(names) == 2
    assert any("корейской косметики" in name for name in names)
    assert any("ортопедические матрасы" in name for name in names)
    brands = set(Workspace.objects.filter(organisation=org).values_list("brand", flat=True))
    assert brands == {"Сеул Бьюти", "Сон и Спина"}  # what {brand} says in canned replies
    statuses = set(Lead.objects.filter(organisation=org).values_list("status", flat=True))
    assert statuses == {"new", "in_work", "proposal_sent", "lost"}
    assert "Demo agency created." in output
    assert f"{DEMO_EMAIL} / {DEMO_PASSWORD}" in output


def test_it_is_idempotent_and_keeps_the_login_working() -> None:
    run_demo()
    before = counts()
    user = User.objects.get(email=DEMO_EMAIL)
    user.set_password("changed-by-someone")
    user.save(update_fields=["password"])

    output = run_demo()

    assert counts() == before
    assert "Demo agency already there." in output
    assert f"{DEMO_EMAIL} / {DEMO_PASSWORD}" in output
    browser = Client()
    assert browser.login(email=DEMO_EMAIL, password=DEMO_PASSWORD)
    board = browser.get("/leads/")
    assert board.status_code == 200
    assert board.context["total"] == 4


def test_it_gives_the_demo_client_one_workspace_only() -> None:
    run_demo()
    browser = Client()
    assert browser.login(email="client@kosmmos.local", password=DEMO_PASSWORD)

    listing = browser.get("/workspaces/").content.decode()

    assert "корейской косметики" in listing
    assert "ортопедические матрасы" not in listing
    assert browser.get("/leads/").status_code == 404


@pytest.mark.django_db
def test_it_gives_the_demo_a_content_plan_on_sandbox_channels_and_costs() -> None:
    from kosmmos.channels.models import Channel
    from kosmmos.content.models import Post, PostStatus
    from kosmmos.links.models import CostEntry
    from kosmmos.publishing.models import PostTarget, TargetStatus

    call_command("demo", stdout=StringIO())
    assert Channel.objects.filter(network="sandbox").count() == 2
    statuses = set(Post.objects.values_list("status", flat=True))
    assert {PostStatus.SCHEDULED, PostStatus.IN_REVIEW, PostStatus.DRAFT} <= statuses
    soon = PostTarget.objects.filter(status=TargetStatus.SCHEDULED).order_by("publish_at").first()
    assert soon is not None  # the first posts publish minutes after `make run`
    assert CostEntry.objects.count() == 6
