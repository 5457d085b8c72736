"""The bell, the list, mark read, settings, the Telegram link and webhooks, tried by outsiders
and with hostile input."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import respx

from kosmmos.conftest import World, client_for
from kosmmos.lib.events import emit
from kosmmos.notifications.fanout import fan_out
from kosmmos.notifications.models import Delivery, Subscriber, TelegramBot, Webhook


def _notify(world: World, title: str = "Пост не вышел в VK") -> Delivery:
    event = emit("post.failed", organisation=world.alpha.org, title=title,
                 workspace=world.alpha.client_workspace, url="/content/")
    fan_out(event.pk)
    return Delivery.objects.get(event=event, user=world.alpha.manager, channel="inapp")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ru", "en"])
def test_it_shows_the_bell_with_the_unread_count(world: World, language: str) -> None:
    _notify(world)
    _notify(world, "Второе")
    page = client_for(world.alpha.manager, language=language).get("/notifications/")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="notification-count">2<' in html
    assert "Пост не вышел в VK" in html
    assert ("Уведомления" if language == "ru" else "Notifications") in html


@pytest.mark.django_db
def test_it_marks_one_read_over_htmx_and_updates_the_bell(world: World) -> None:
    row = _notify(world)
    _notify(world, "Второе")
    browser = client_for(world.alpha.manager)
    answer = browser.post(f"/notifications/{row.pk}/read/", HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 200 and 'hx-swap-oob="true"' in html
    assert 'id="notification-count">1<' in html
    row.refresh_from_db()
    assert row.read_at is not None
    browser.post("/notifications/read-all/")
    assert not Delivery.objects.filter(user=world.alpha.manager, read_at__isnull=True,
                                       channel="inapp").exists()


@pytest.mark.django_db
def test_it_never_shows_or_marks_another_persons_notifications(world: World) -> None:
    row = _notify(world)
    for who in (world.beta.owner, world.alpha.owner):
        browser = client_for(who)
        assert browser.post(f"/notifications/{row.pk}/read/").status_code == 404
        assert "Пост не вышел в VK" not in browser.get("/notifications/").content.decode() \
            or who == world.alpha.owner
    row.refresh_from_db()
    assert row.read_at is None
    assert client_for(None).get("/notifications/").status_code == 302


@pytest.mark.django_db
def test_it_saves_preferences_per_workspace_and_refuses_a_foreign_one(world: World) -> None:
    a = world.alpha
    browser = client_for(a.manager)
    ws = str(a.client_workspace.pk)
    answer = browser.post(f"/notifications/settings/?workspace={ws}", {
        "scope": ws, "post.failed:inapp": "on", "post.failed:telegram": "on",
        "quiet_from": "22:00", "quiet_to": "08:00"})
    assert answer.status_code == 302
    sub = Subscriber.objects.get(user=a.manager)
    assert sub.choices[ws]["post.failed"] == ["inapp", "telegram"]
    assert sub.choices[ws]["lead.created"] == [] and str(sub.quiet_from) == "22:00:00"
    foreign = str(world.beta.client_workspace.pk)
    assert browser.get(f"/notifications/settings/?workspace={foreign}").status_code == 404
    assert browser.get("/notifications/settings/?workspace=../../x").status_code == 404
    bad = browser.post("/notifications/settings/", {"scope": "*", "quiet_from": "25:99"})
    assert bad.status_code == 200
    sub.refresh_from_db()
    assert str(sub.quiet_from) == "22:00:00"


@pytest.mark.django_db
def test_it_shows_a_client_only_their_kinds(world: World) -> None:
    html = client_for(world.alpha.client).get("/notifications/settings/").content.decode()
    assert "post.awaiting_approval:inapp" in html and "post.failed:inapp" not in html


@pytest.mark.django_db
def test_it_lets_only_an_owner_connect_a_bot_and_add_webhooks(world: World, settings: Any) -> None:
    settings.NOTIFY_TELEGRAM_API = "http://tg.test"
    manager = client_for(world.alpha.manager)
    assert manager.post("/notifications/telegram/bot/", {"token": "1:abc"}).status_code == 404
    assert manager.post("/notifications/webhooks/", {"url": "https://x.example"}).status_code == 404
    owner = client_for(world.alpha.owner)
    with respx.mock() as net:
        net.post("http://tg.test/bot123:AAA-b_c/getMe").respond(200, json={
            "ok": True, "result": {"id": 1, "is_bot": True, "username": "alpha_bot"}})
        owner.post("/notifications/telegram/bot/", {"token": "123:AAA-b_c"})
    bot = TelegramBot.objects.get(organisation=world.alpha.org)
    assert bot.username == "alpha_bot" and "123:AAA" not in bot.token_encrypted
    for token in ("", "x" * 500, "abc", "1:\u0000", "12:ab cd", "12:абв"):
        assert owner.post("/notifications/telegram/bot/", {"token": token}).status_code == 302
    assert TelegramBot.objects.count() == 1
    for url in ("http://127.0.0.1/x", "nope", "http://10.1.1.1/", "\u0000", "x" * 600):
        assert owner.post("/notifications/webhooks/", {"url": url}).status_code == 302
    assert not Webhook.objects.exists()
    ok = owner.post("/notifications/webhooks/", {"url": "http://93.184.216.34/hook",
                                                  "kinds": ["post.failed", "no.such"]})
    assert ok.status_code == 302 and not Webhook.objects.exists()  # an unknown kind: refused
    owner.post("/notifications/webhooks/", {"url": "http://93.184.216.34/hook",
                                             "kinds": ["post.failed"]})
    hook = Webhook.objects.get()
    assert hook.kinds == ["post.failed"]
    assert client_for(world.beta.owner).post(
        f"/notifications/webhooks/{hook.pk}/action/", {"action": "delete"}).status_code == 404
    assert owner.post(f"/notifications/webhooks/{hook.pk}/action/",
                      {"action": "retry", "delivery": "junk"}).status_code == 404
    assert owner.post(f"/notifications/webhooks/{hook.pk}/action/",
                      {"action": "retry", "delivery": str(uuid.uuid4())}).status_code == 404
    assert owner.get(f"/notifications/webhooks/{hook.pk}/").status_code == 200


@pytest.mark.django_db
def test_it_links_telegram_from_the_settings_page(world: World) -> None:
    TelegramBot.objects.create(organisation=world.alpha.org, username="alpha_bot",
                               token_encrypted="x")
    browser = client_for(world.alpha.manager)
    browser.post("/notifications/telegram/link/")
    code = Subscriber.objects.get(user=world.alpha.manager).link_code
    html = browser.get("/notifications/settings/").content.decode()
    assert len(code) >= 20 and f"https://t.me/alpha_bot?start={code}" in html
