"""The public brief form: what it stores, whom it tells, and what it refuses."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from kosmmos.briefs.choices import EXTREMIST_NOTE
from kosmmos.briefs.forms import BriefForm
from kosmmos.briefs.models import Brief, Lead, LeadEvent
from kosmmos.conftest import World, client_for
from kosmmos.mail.models import Delivery, Status

pytestmark = pytest.mark.django_db

VALID: dict[str, Any] = {
    "networks": ["vk", "telegram", "instagram"],
    "country": "Россия",
    "regions": "Московская область, Татарстан",
    "cities": "Москва, Казань",
    "goals": ["traffic", "reputation"],
    "product_type": "seasonal",
    "niche": "services",
    "budget_rub": "150000",
    "period_months": "6",
    "kpis": "Заявки с сайта, CPL до 800 ₽",
    "contact_name": "Ирина Смирнова",
    "company": "ООО «Ромашка»",
    "phone": "+7 900 123-45-67",
    "email": "irina@romashka.ru",
    "website": "https://romashka.ru",
    "messenger": "telegram",
    "messenger_handle": "@irina_romashka",
    "consent": "on",
}


def fresh_ip() -> str:
    """An address nobody used before, so counters in a shared cache (Redis) never collide."""
    n = uuid.uuid4().int
    return f"10.{n % 250 + 1}.{(n >> 8) % 250 + 1}.{(n >> 16) % 250 + 1}"


@pytest.fixture
def ip() -> str:
    return fresh_ip()


def post_brief(
    browser: Client, code: str, data: dict[str, Any], ip: str, query: str = ""
) -> Any:
    return browser.post(f"/brief/{code}/{query}", data, REMOTE_ADDR=ip)


def is_checked(html: str, name: str, value: str | None) -> bool:
    """Whether the input ``name`` (with ``value``, unless None) is rendered checked."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and (value is None or f'value="{value}"' in tag):
            return " checked" in tag
    raise AssertionError(f"no input {name}={value}")


def assert_keeps_typed_values(html: str, data: dict[str, Any]) -> None:
    for name in ("company", "contact_name", "phone", "regions", "cities", "messenger_handle"):
        assert f'value="{escape(data[name])}"' in html, name
    assert escape(data["kpis"]) in html
    assert 'value="150000"' in html
    for code in data["networks"]:
        assert is_checked(html, "networks", code), code
    assert not is_checked(html, "networks", "ok")
    for code in data["goals"]:
        assert is_checked(html, "goals", code), code
    assert not is_checked(html, "goals", "recruiting")
    assert is_checked(html, "product_type", data["product_type"])
    assert re.search(rf'<option value="{data["niche"]}"[^>]*selected', html), "niche"
    assert is_checked(html, "consent", None)


def test_it_stores_the_brief_opens_a_lead_and_tells_the_notify_address(
    world: World, ip: str, django_capture_on_commit_callbacks: Any
) -> None:
    org = world.alpha.org
    org.notify_email = "leads@alpha.test"
    org.policy_url = "https://alpha.test/privacy"
    org.save(update_fields=["notify_email", "policy_url"])

    with django_capture_on_commit_callbacks(execute=True):
        response = post_brief(Client(), org.brief_code, VALID, ip)

    assert response.status_code == 302
    assert response["Location"] == f"/brief/{org.brief_code}/thanks/"
    brief = Brief.objects.get(email="irina@romashka.ru")
    assert brief.organisation == org
    assert brief.networks == ["vk", "telegram", "instagram"]
    assert brief.goals == ["traffic", "reputation"]
    assert brief.budget_rub == Decimal("150000")
    assert (brief.period_months, brief.product_type, brief.niche) == (6, "seasonal", "services")
    assert brief.kpis == VALID["kpis"]
    assert brief.website == "https://romashka.ru"
    assert (brief.ip, brief.language, brief.consent) == (ip, "ru", True)
    assert brief.consent_policy_url == "https://alpha.test/privacy"
    lead = Lead.objects.get(brief=brief)
    assert (lead.organisation, lead.title, lead.status) == (org, "ООО «Ромашка»", "new")
    assert list(LeadEvent.objects.filter(lead=lead).values_list("kind", flat=True)) == ["created"]

    delivery = Delivery.objects.get(kind="new_lead", organisation=org, status=Status.SENT)
    assert delivery.to == ["leads@alpha.test"]
    assert delivery.reply_to == ["irina@romashka.ru"]
    with translation.override("ru"):
        assert delivery.subject == translation.gettext("New brief: %(title)s") % {
            "title": "ООО «Ромашка»"}
    assert f"http://kosmmos.test/leads/{lead.pk}/" in delivery.body
    assert "irina@romashka.ru" in delivery.body
    assert "150\u202f000\u00a0₽" in delivery.body
    [sent] = mail.outbox
    assert (sent.to, sent.subject) == (["leads@alpha.test"], delivery.subject)


def test_it_tells_owners_and_managers_when_no_notify_address_is_set(
    world: World, ip: str, django_capture_on_commit_callbacks: Any
) -> None:
    org = world.alpha.org
    assert org.notify_email == ""
    with django_capture_on_commit_callbacks(execute=True):
        post_brief(Client(), org.brief_code, VALID, ip)

    delivery = Delivery.objects.get(kind="new_lead", status=Status.SENT)
    # Not the analyst, not the client, nobody from Beta.
    assert delivery.to == ["manager@alpha.test", "owner@alpha.test"]
    assert mail.outbox[0].to == ["manager@alpha.test", "owner@alpha.test"]


def test_it_rejects_a_bad_email_and_keeps_everything_typed(world: World, ip: str) -> None:
    code = world.alpha.org.brief_code
    data = {**VALID, "email": "irina@"}

    english = post_brief(client_for(None, language="en"), code, data, ip)
    russian = post_brief(Client(), code, data, ip)

    assert english.status_code == 400
    html = english.content.decode()
    assert "Enter a valid email address, e.g. name@company.ru." in html
    assert 'value="irina@"' in html
    assert_keeps_typed_values(html, data)
    # Russian is the default; the text is whatever the Russian catalogue says.
    assert russian.status_code == 400
    assert '<html lang="ru">' in russian.content.decode()
    with translation.override("ru"):
        expected = str(BriefForm.base_fields["email"].error_messages["invalid"])
    assert escape(expected) in russian.content.decode()
    assert_keeps_typed_values(russian.content.decode(), data)
    assert not Brief.objects.filter(email__startswith="irina").exists()


def test_it_pretends_success_to_a_bot_and_stores_nothing(
    world: World, ip: str, django_capture_on_commit_callbacks: Any
) -> None:
    code = world.alpha.org.brief_code
    deliveries = Delivery.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_brief(Client(), code, {**VALID, "fax_number": "+7 495 000-00-00"}, ip)

    assert response.status_code == 302
    assert response["Location"] == f"/brief/{code}/thanks/"
    assert not Brief.objects.filter(email="irina@romashka.ru").exists()
    assert Delivery.objects.count() == deliveries
    assert callbacks == []
    assert mail.outbox == []


def test_it_limits_briefs_per_address_and_keeps_what_was_typed(
    world: World, ip: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.BRIEF_RATE_LIMIT = 2
    settings.BRIEF_RATE_WINDOW_S = 600

    class FrozenClock:
        """Mid-window, so the test never straddles two windows: 300 s remain."""

        @staticmethod
        def time() -> float:
            return 1_700_000_000 - 1_700_000_000 % 600 + 300

    monkeypatch.setattr("kosmmos.lib.ratelimit.time", FrozenClock)
    code = world.alpha.org.brief_code
    browser = client_for(None, language="en")

    for n in range(2):
        sent = post_brief(browser, code, {**VALID, "email": f"n{n}@romashka.ru"}, ip)
        assert sent.status_code == 302
    # A form with errors does not count against the address.
    assert post_brief(browser, code, {**VALID, "email": "bad"}, ip).status_code == 400
    blocked = post_brief(browser, code, {**VALID, "email": "third@romashka.ru"}, ip)
    other_address = post_brief(browser, code, {**VALID, "email": "other@romashka.ru"}, fresh_ip())

    assert blocked.status_code == 429
    html = blocked.content.decode()
    assert (
        "Too many briefs were sent from your address. Everything you typed is kept: "
        "press “Send” again in 5 min." in html
    )
    assert 'value="third@romashka.ru"' in html
    assert_keeps_typed_values(html, VALID)
    assert not Brief.objects.filter(email="third@romashka.ru").exists()
    stored = Brief.objects.filter(organisation=world.alpha.org, email__endswith="@romashka.ru")
    assert stored.count() == 3
    assert other_address.status_code == 302


def test_it_marks_instagram_and_facebook_as_banned(world: World) -> None:
    browser = client_for(None, language="en")
    html = browser.get(f"/brief/{world.alpha.org.brief_code}/").content.decode()

    assert "Instagram*" in html
    assert "Facebook*" in html
    with translation.override("en"):
        note = str(EXTREMIST_NOTE)
    assert note == (
        "* Recognised as an extremist organisation and banned in the Russian Federation"
    )
    assert f'<p class="small km-muted" id="extremist-note">{note}</p>' in html


def test_it_can_be_framed_in_embed_mode_while_other_pages_cannot(world: World) -> None:
    code = world.alpha.org.brief_code
    browser = Client()

    embedded = browser.get(f"/brief/{code}/?embed=1")
    thanks = browser.get(f"/brief/{code}/thanks/?embed=1")

    assert embedded.status_code == 200
    assert "X-Frame-Options" not in embedded.headers
    assert "X-Frame-Options" not in thanks.headers
    assert '<body class="embed"' in embedded.content.decode()
    assert "<nav" not in embedded.content.decode()
    assert browser.get("/login/").headers["X-Frame-Options"] == "DENY"
    assert client_for(world.alpha.owner).get("/leads/").headers["X-Frame-Options"] == "DENY"


def test_it_keeps_embed_mode_after_sending(world: World, ip: str) -> None:
    code = world.alpha.org.brief_code
    response = post_brief(Client(), code, VALID, ip, query="?embed=1")
    assert response["Location"] == f"/brief/{code}/thanks/?embed=1"


def test_it_answers_404_for_an_unknown_brief_code(world: World, ip: str) -> None:
    browser = Client()
    assert browser.get("/brief/nosuchcode/").status_code == 404
    assert browser.get("/brief/nosuchcode/thanks/").status_code == 404
    assert post_brief(browser, "nosuchcode", VALID, ip).status_code == 404
    assert not Brief.objects.filter(email="irina@romashka.ru").exists()


def test_it_retires_the_old_address_when_the_code_is_rotated(world: World) -> None:
    org = world.alpha.org
    old = org.brief_code
    owner = client_for(world.alpha.owner)
    assert owner.post("/settings/rotate-brief-code/").status_code == 302
    org.refresh_from_db()
    assert org.brief_code != old
    assert Client().get(f"/brief/{old}/").status_code == 404
    assert Client().get(f"/brief/{org.brief_code}/").status_code == 200


def test_it_asks_for_the_niche_and_takes_a_brief_without_one(world: World, ip: str) -> None:
    html = Client().get(f"/brief/{world.alpha.org.brief_code}/").content.decode()
    assert 'name="niche"' in html and 'value="real_estate"' in html
    data = {**VALID, "email": "no-niche@romashka.ru"}
    del data["niche"]
    assert post_brief(Client(), world.alpha.org.brief_code, data, ip).status_code == 302
    assert Brief.objects.get(email="no-niche@romashka.ru").niche == ""
    bad = {**VALID, "email": "bad-niche@romashka.ru", "niche": "casino"}
    response = post_brief(Client(), world.alpha.org.brief_code, bad, fresh_ip())
    assert response.status_code == 400 and not Brief.objects.filter(email=bad["email"]).exists()
