"""A post fails → the bell shows it → the manager's linked Telegram chat (the sandbox's fake Bot
API) received it → the webhook receiver (the sandbox's) got a signature it could verify.
Real `kosmmos serve` (web, worker, sandbox) and a real Chromium, in Russian and in English."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from typing import Any

import pytest

from kosmmos.demo.notifications import DEMO_CHAT_ID, DEMO_HOOK_SECRET
from tests.browser.conftest import ARTIFACTS, Instance, sign_in

pytestmark = pytest.mark.browser

SETUP = """
from django.utils import timezone
from kosmmos.accounts.models import Membership
from kosmmos.channels.models import Channel
from kosmmos.content.models import Post, PostTarget
m = Membership.objects.filter(user__email='client@kosmmos.local').select_related('organisation').first()
ws = m.workspaces.first()
ch = Channel(organisation=ws.organisation, workspace=ws, network='sandbox', name='Песочница сбой',
             external_id='notify-fail')
ch.credentials = {'token': 'browser-test'}
ch.save()
now = timezone.now()
post = Post.objects.create(organisation=ws.organisation, workspace=ws, title='Пост для сбоя',
                           text='Этот пост не выйдет', status='scheduled', publish_at=now)
PostTarget.objects.create(organisation=ws.organisation, post=post, channel=ch, status='scheduled',
                          publish_at=now, next_attempt_at=now)
"""


def _call(method: str, url: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"null")


def _until(what: Any, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(1)
    return None


def test_a_failed_post_reaches_the_bell_telegram_and_a_signed_webhook(
    page, kosmmos_instance: Instance,
) -> None:
    base = kosmmos_instance.base_url
    sandbox = kosmmos_instance.env["SANDBOX_URL"]
    _until(lambda: _call("GET", f"{sandbox}/healthz"), 60)
    # The channel's token is revoked on the network: the post will fail for good.
    _call("PUT", f"{sandbox}/channels/notify-fail/config", {"revoked": True})
    _call("PUT", f"{sandbox}/hooks/_admin/secret", {"name": "demo", "secret": DEMO_HOOK_SECRET})
    kosmmos_instance.kosmmos("shell", "--no-imports", "-c", SETUP)

    sign_in(page, base, "manager@kosmmos.local")
    row = page.locator("#notification-list div[id^=n-]", has_text="Публикация не удалась")

    def in_the_bell() -> bool:
        page.goto(f"{base}/notifications/")
        return row.count() > 0
    assert _until(in_the_bell), kosmmos_instance.log_tail()
    assert "Пост для сбоя" in row.first.inner_text()
    count = page.locator("#notification-count")
    before = int(count.inner_text())
    assert before >= 1

    # Marked read in place (HTMX): the row loses its button, and the bell shows the server's
    # count at that moment — one less, unless the demo's live events (new comments, published
    # posts) brought more in meanwhile: then it equals what the bell's own refresh says.
    target = row.first
    target.get_by_role("button", name="Прочитано").click()
    target.get_by_role("button", name="Прочитано").wait_for(state="detached")

    def shown() -> int:
        return int(page.evaluate(
            "document.getElementById('notification-count')?.innerText || '0'"))

    def bell_count() -> int:
        html = page.request.get(f"{base}/notifications/bell/").text()
        found = re.search(r'id="notification-count">(\d+)<', html)
        return int(found.group(1)) if found else 0

    after = shown()
    assert after == before - 1 or after == bell_count() or _until(
        lambda: shown() == bell_count(), 40), (before, after)
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "notifications-bell.png"), full_page=True)

    def in_telegram() -> list[dict[str, Any]]:
        got = _call("GET", f"{sandbox}/botapi/_admin/messages?chat_id={DEMO_CHAT_ID}")["items"]
        return [m for m in got if "Пост для сбоя" in m.get("text", "")]
    messages = _until(in_telegram)
    assert messages, kosmmos_instance.log_tail()
    # Alone it links to the post; grouped with others (the demo's own events, the channel's
    # reconnection alert) it links to the list.
    assert "Публикация не удалась" in messages[0]["text"]
    assert re.search(r"http://\S+/(content/posts/[0-9a-f-]{36}|notifications)/",
                     messages[0]["text"])

    def at_the_receiver() -> list[dict[str, Any]]:
        got = _call("GET", f"{sandbox}/hooks/_admin/received?name=demo")["items"]
        return [r for r in got if r["kind"] == "post.failed"]
    received = _until(at_the_receiver)
    assert received and received[0]["verified"] is True, received
    body = json.loads(received[0]["body"])
    assert body["kind"] == "post.failed" and "Пост для сбоя" in body["title"]

    # The same list in English.
    page.context.add_cookies([{"name": "kosmmos_language", "value": "en", "url": base}])
    page.goto(f"{base}/notifications/")
    assert page.locator("h1", has_text="Notifications").is_visible()
    page.goto(f"{base}/notifications/settings/")
    assert page.get_by_text("Linked to the chat pavel_smm.").is_visible()
