"""Accounts: sign-up, sign-in, invitations, the team, language, organisations, health."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from kosmmos.accounts.middleware import SESSION_KEY
from kosmmos.accounts.models import Invitation, Membership, Organisation, Role, User
from kosmmos.conftest import PASSWORD, World, client_for
from kosmmos.mail.models import Delivery, Status

pytestmark = pytest.mark.django_db

SIGNUP = {
    "name": "Ольга Орлова", "email": "Olga@Orbita.test", "organisation": "Орбита SMM",
    "password1": "Orbita-pass-2024", "password2": "Orbita-pass-2024",
}


def signed_in_user(browser: Client) -> User | None:
    from django.contrib.auth import get_user

    request = type("R", (), {"session": browser.session})()
    user = get_user(request)
    return user if user.is_authenticated else None


# --- Sign-up and sign-in -----------------------------------------------------------------------


def test_it_signs_up_an_agency_and_signs_its_owner_in() -> None:
    browser = Client()
    response = browser.post("/signup/", SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email="olga@orbita.test")
    assert (user.first_name, user.language) == ("Ольга Орлова", "ru")
    assert user.check_password("Orbita-pass-2024")
    [membership] = Membership.objects.filter(user=user)
    assert membership.role == Role.OWNER
    org = membership.organisation
    assert (org.name, org.timezone, org.currency) == ("Орбита SMM", "Europe/Moscow", "RUB")
    assert org.contact_email == "olga@orbita.test"
    assert signed_in_user(browser) == user
    assert "Орбита SMM" in browser.get("/").content.decode()


def test_it_refuses_a_taken_email_and_keeps_what_was_typed(world: World) -> None:
    data = {**SIGNUP, "email": "OWNER@alpha.test"}
    response = client_for(None, language="en").post("/signup/", data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "An account with this email exists already. Sign in or reset the password." in html
    assert 'value="Ольга Орлова"' in html
    assert 'value="Орбита SMM"' in html
    assert 'value="OWNER@alpha.test"' in html
    assert 'value="Orbita-pass-2024"' not in html  # passwords are never echoed
    assert not Organisation.objects.filter(name="Орбита SMM").exists()


def test_it_refuses_differing_passwords(world: World) -> None:
    response = client_for(None, language="en").post(
        "/signup/", {**SIGNUP, "password2": "Something-else-1"}
    )
    assert response.status_code == 400
    assert "The two passwords differ." in response.content.decode()
    assert not User.objects.filter(email="olga@orbita.test").exists()


def test_it_signs_in_with_an_email(world: World) -> None:
    browser = client_for(None, language="en")

    wrong = browser.post("/login/", {"username": "owner@alpha.test", "password": "nope"})
    right = browser.post("/login/", {"username": "owner@alpha.test", "password": PASSWORD})

    assert wrong.status_code == 200
    assert "Wrong email or password." in wrong.content.decode()
    assert right.status_code == 302
    assert right["Location"] == "/"
    assert signed_in_user(browser) == world.alpha.owner


def test_it_sends_anonymous_visitors_to_sign_in(world: World) -> None:
    response = Client().get("/leads/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/leads/"


def test_it_sends_a_user_without_an_agency_to_create_one(db: None) -> None:
    loner = User.objects.create_user("loner@x.test", PASSWORD)
    browser = client_for(loner)

    assert browser.get("/leads/")["Location"] == "/organisations/new/"
    created = browser.post("/organisations/new/", {"organisation": "Одиночка"})

    assert created.status_code == 302
    membership = Membership.objects.get(user=loner)
    assert (membership.organisation.name, membership.role) == ("Одиночка", Role.OWNER)
    assert browser.session[SESSION_KEY] == str(membership.organisation_id)


# --- Invitations -------------------------------------------------------------------------------


def invite(browser: Client, data: dict[str, Any], capture: Any) -> Any:
    with capture(execute=True):
        return browser.post("/team/", data)


def test_it_invites_a_person_who_joins_with_the_role(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    alpha = world.alpha
    response = invite(
        client_for(alpha.manager), {"email": "New.Person@mail.test", "role": "analyst"},
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    invitation = Invitation.objects.get(email="new.person@mail.test")
    assert (invitation.role, invitation.workspace, invitation.invited_by) == (
        Role.ANALYST, None, alpha.manager)
    delivery = Delivery.objects.get(kind="invitation")
    assert (delivery.organisation, delivery.to, delivery.status) == (
        alpha.org, ["new.person@mail.test"], Status.SENT)
    link = f"http://kosmmos.test/invite/{invitation.token}/"
    assert link in delivery.body
    assert "Alpha Manager" in delivery.body

    newcomer = Client()
    page = newcomer.get(f"/invite/{invitation.token}/")
    assert page.status_code == 200
    assert "new.person@mail.test" in page.content.decode()
    joined = newcomer.post(f"/invite/{invitation.token}/", {
        "name": "Новый Аналитик", "password1": "Analyst-pass-77", "password2": "Analyst-pass-77",
    })

    assert joined.status_code == 302
    user = User.objects.get(email="new.person@mail.test")
    assert user.check_password("Analyst-pass-77")
    assert Membership.objects.get(user=user).role == Role.ANALYST
    assert Membership.objects.get(user=user).organisation == alpha.org
    assert signed_in_user(newcomer) == user
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert Client().get(f"/invite/{invitation.token}/").status_code == 410


def test_it_requires_a_workspace_for_a_client_invitation(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    alpha = world.alpha
    browser = client_for(alpha.owner, language="en")

    missing = invite(browser, {"email": "c@shop.test", "role": "client"},
                     django_capture_on_commit_callbacks)
    foreign = invite(
        browser,
        {"email": "c@shop.test", "role": "client", "workspace": world.beta.client_workspace.pk},
        django_capture_on_commit_callbacks,
    )

    assert missing.status_code == 400
    assert "Choose the client&#x27;s workspace." in missing.content.decode()
    assert foreign.status_code == 400
    assert not Invitation.objects.filter(email="c@shop.test").exists()
    assert not Delivery.objects.filter(kind="invitation").exists()

    invite(browser, {"email": "c@shop.test", "role": "client",
                     "workspace": alpha.client_workspace.pk}, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(email="c@shop.test")
    joiner = Client()
    joiner.post(f"/invite/{invitation.token}/", {
        "name": "Клиент", "password1": "Client-pass-909", "password2": "Client-pass-909"})
    membership = Membership.objects.get(user__email="c@shop.test")
    assert membership.role == Role.CLIENT
    assert list(membership.visible_workspaces()) == [alpha.client_workspace]


def test_it_refuses_expired_and_used_invitation_links(world: World) -> None:
    alpha = world.alpha
    expired = Invitation.objects.create(
        organisation=alpha.org, email="late@mail.test", role=Role.MANAGER,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    used = Invitation.objects.create(
        organisation=alpha.org, email="done@mail.test", role=Role.MANAGER,
        accepted_at=timezone.now(),
    )
    browser = client_for(None, language="en")
    form = {"name": "X", "password1": "Some-pass-1234", "password2": "Some-pass-1234"}

    for invitation in (expired, used):
        assert browser.get(f"/invite/{invitation.token}/").status_code == 410
        response = browser.post(f"/invite/{invitation.token}/", form)
        assert response.status_code == 410
        assert "This invitation no longer works" in response.content.decode()
    assert not User.objects.filter(email__in=["late@mail.test", "done@mail.test"]).exists()
    assert Client().get("/invite/not-a-token/").status_code == 404


def test_it_asks_an_existing_user_to_sign_in_before_accepting(world: World) -> None:
    invitation = Invitation.objects.create(
        organisation=world.alpha.org, email="owner@beta.test", role=Role.MANAGER,
    )
    response = Client().get(f"/invite/{invitation.token}/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/invite/{invitation.token}/"

    browser = client_for(world.beta.owner)
    assert browser.post(f"/invite/{invitation.token}/").status_code == 302
    assert Membership.objects.get(user=world.beta.owner, organisation=world.alpha.org).role == (
        Role.MANAGER)
    assert browser.session[SESSION_KEY] == str(world.alpha.org.pk)


def test_it_lets_only_staff_invite(world: World, django_capture_on_commit_callbacks: Any) -> None:
    response = invite(client_for(world.alpha.analyst), {"email": "x@mail.test", "role": "manager"},
                      django_capture_on_commit_callbacks)
    assert response.status_code == 403
    assert not Invitation.objects.filter(email="x@mail.test").exists()


def test_it_revokes_an_invitation(world: World) -> None:
    invitation = world.alpha.invitation
    assert client_for(world.alpha.manager).post(
        f"/team/invitations/{invitation.pk}/revoke/").status_code == 302
    assert not Invitation.objects.filter(pk=invitation.pk).exists()


# --- The team ----------------------------------------------------------------------------------


def test_it_keeps_the_last_owner(world: World) -> None:
    alpha = world.alpha
    me = alpha.memberships["owner"]
    browser = client_for(alpha.owner, language="en")

    demoted = browser.post(f"/team/{me.pk}/role/", {"role": "manager"}, follow=True)
    removed = browser.post(f"/team/{me.pk}/remove/", follow=True)

    me.refresh_from_db()
    assert me.role == Role.OWNER
    assert "The agency must keep at least one owner." in demoted.content.decode()
    assert "The agency must keep at least one owner." in removed.content.decode()


def test_it_changes_roles_once_there_is_another_owner(world: World) -> None:
    alpha = world.alpha
    manager = alpha.memberships["manager"]
    me = alpha.memberships["owner"]
    browser = client_for(alpha.owner)

    browser.post(f"/team/{manager.pk}/role/", {"role": "owner"})
    browser.post(f"/team/{me.pk}/role/", {"role": "analyst"})

    manager.refresh_from_db()
    me.refresh_from_db()
    assert (manager.role, me.role) == (Role.OWNER, Role.ANALYST)


def test_it_removes_a_member(world: World) -> None:
    alpha = world.alpha
    analyst = alpha.memberships["analyst"]
    assert client_for(alpha.owner).post(f"/team/{analyst.pk}/remove/").status_code == 302
    assert not Membership.objects.filter(pk=analyst.pk).exists()
    assert client_for(alpha.analyst).get("/leads/")["Location"] == "/organisations/new/"


def test_it_lets_only_owners_change_the_team(world: World) -> None:
    alpha = world.alpha
    analyst = alpha.memberships["analyst"]
    assert client_for(alpha.manager).post(
        f"/team/{analyst.pk}/role/", {"role": "owner"}).status_code == 403
    assert client_for(alpha.manager).post(f"/team/{analyst.pk}/remove/").status_code == 403
    analyst.refresh_from_db()
    assert analyst.role == Role.ANALYST


# --- Language, organisations, settings ---------------------------------------------------------


def test_it_speaks_russian_by_default(world: World) -> None:
    # Even to a browser that asks for English: the switch is one click away.
    response = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="ru">' in response.content.decode()
    assert response["Content-Language"] == "ru"


def test_it_switches_the_language_in_the_cookie_and_the_profile(world: World) -> None:
    user = world.alpha.manager
    browser = client_for(user)

    response = browser.post("/language/", {"language": "en", "next": "/leads/"})

    assert response.status_code == 302
    assert response["Location"] == "/leads/"
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "en"
    user.refresh_from_db()
    assert user.language == "en"
    assert '<html lang="en">' in browser.get("/leads/").content.decode()
    # Without the cookie (another browser) the profile decides.
    assert '<html lang="en">' in client_for(user).get("/leads/").content.decode()


def test_it_ignores_unknown_languages_and_foreign_redirects(world: World) -> None:
    user = world.alpha.manager
    response = client_for(user).post(
        "/language/", {"language": "de", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    assert django_settings.LANGUAGE_COOKIE_NAME not in response.cookies
    user.refresh_from_db()
    assert user.language == "ru"


def test_it_switches_only_to_an_organisation_of_ones_own(world: World) -> None:
    alpha, beta = world.alpha, world.beta
    Membership.objects.create(organisation=beta.org, user=alpha.manager, role=Role.ANALYST)
    browser = client_for(alpha.manager)
    third = Organisation.objects.create(name="Gamma Agency")

    switched = browser.post(f"/organisations/{beta.org.pk}/switch/")
    refused = browser.post(f"/organisations/{third.pk}/switch/")

    assert switched.status_code == 302
    assert refused.status_code == 404
    assert browser.session[SESSION_KEY] == str(beta.org.pk)
    board = browser.get("/leads/").content.decode()
    assert "Beta Bakery" in board
    assert "Alpha Bakery" not in board


def test_it_keeps_moscow_time_by_default_and_saves_settings(world: World) -> None:
    alpha = world.alpha
    assert alpha.org.timezone == "Europe/Moscow"
    browser = client_for(alpha.owner)
    data = {
        "name": "Alpha Agency", "timezone": "Asia/Yekaterinburg", "notify_email": "",
        "policy_url": "https://alpha.test/privacy", "website": "", "phone": "",
        "contact_email": "hello@alpha.test", "brand_color": "#112233",
    }

    assert browser.post("/settings/", data).status_code == 302
    hijack = client_for(alpha.manager).post("/settings/", {**data, "name": "Hijack"})
    assert hijack.status_code == 403

    alpha.org.refresh_from_db()
    assert (alpha.org.name, alpha.org.timezone, alpha.org.brand_color) == (
        "Alpha Agency", "Asia/Yekaterinburg", "#112233")
    embed = browser.get("/settings/").content.decode()
    assert re.search(rf"/brief/{alpha.org.brief_code}/\?embed=1", embed)


# --- Health ------------------------------------------------------------------------------------


def test_it_reports_health(db: None) -> None:
    response = Client().get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] == ("postgresql" if django_settings.IS_POSTGRES else "sqlite")
    assert body["broker"]["ok"] is True
    assert body["broker"]["kind"] == ("redis" if django_settings.REDIS_URL else "filesystem")


def test_it_reports_an_unreachable_redis_broker(db: None, settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = Client().get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    assert body["broker"]["kind"] == "redis"
    assert body["broker"]["error"].startswith("ConnectionError: ")
    assert "Connection refused" in body["broker"]["error"]


def test_it_reports_a_missing_broker_folder(db: None, settings: Any, tmp_path: Any) -> None:
    settings.REDIS_URL = ""
    settings.BROKER_DIR = tmp_path / "gone"

    response = Client().get("/healthz")

    assert response.status_code == 503
    broker = response.json()["broker"]
    assert broker["ok"] is False
    assert broker["error"] == f"the broker folder {tmp_path / 'gone'} does not exist"


def test_it_refuses_an_invitation_to_a_different_signed_in_account(world: World) -> None:
    invitation = Invitation.objects.create(
        organisation=world.alpha.org, email="someone.else@mail.test", role=Role.MANAGER,
    )
    browser = client_for(world.beta.owner, language="en")
    response = browser.post(f"/invite/{invitation.token}/")
    assert response.status_code == 403
    assert "This invitation is for another account" in response.content.decode()
    assert not Membership.objects.filter(
        user=world.beta.owner, organisation=world.alpha.org
    ).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


@pytest.mark.django_db
def test_it_refuses_a_client_changes_to_the_workspace_they_were_given(world: World) -> None:
    ws = world.alpha.client_workspace
    browser = client_for(world.alpha.client)
    assert browser.get(f"/workspaces/{ws.pk}/").status_code == 200  # they may read it
    response = browser.post(f"/workspaces/{ws.pk}/edit/", {"name": "Pwned", "description": "x"})
    assert response.status_code == 403
    ws.refresh_from_db()
    assert ws.name != "Pwned"
