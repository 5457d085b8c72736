"""Hostile comments in a real Chromium: the inbox shows them as text and nothing runs.

Items are put straight into the instance's database (as the pipeline stores them: as-is), then
the demo owner opens the inbox list and each item. No dialog may open, and none of the markup in
the payloads may become an element.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, Instance, sign_in

pytestmark = pytest.mark.browser

DEMO_EMAIL = "demo@kosmmos.local"

SEED = r'''
from kosmmos.accounts.models import Organisation
from kosmmos.inbox.testing import make_channel, make_item
org = Organisation.objects.filter(memberships__user__email="demo@kosmmos.local").first()
ws = org.workspaces.order_by("name").first()
channel = make_channel(ws, "vk", "990099", name="Hostile VK")
payloads = [
    '<script>alert("xss")</script>',
    '<img src=x onerror="alert(1)" id="injected-img">',
    '<a id="injected-link" href="javascript:alert(2)">click</a>',
    'javascript:alert(3)',
    '"><svg id="injected-svg" onload=alert(4)>',
    '<iframe id="injected-frame" src="javascript:alert(5)"></iframe>',
    '\u202eelgoog.com\u202c \u200b\u200b zero width',
    '<div hx-get="/logout/" hx-trigger="load" id="injected-htmx">htmx</div>',
    'Очень длинно ' * 20000,
]
ids = []
for i, text in enumerate(payloads):
    item = make_item(channel, text, sentiment="negative", external_id=f"h{i}",
                     author_name='<b id="injected-name" onmouseover="alert(6)">Mallory</b>')
    ids.append(str(item.pk))
print("ITEMS=" + ",".join(ids))
'''

INJECTED = ("#injected-img", "#injected-link", "#injected-svg", "#injected-frame",
            "#injected-htmx", "#injected-name", "iframe", "img[src=x]")


def test_inbox_with_hostile_items_stays_inert(page, kosmmos_instance: Instance) -> None:
    out = kosmmos_instance.kosmmos("shell", "--no-imports", "-c", SEED)
    match = re.search(r"^ITEMS=(\S+)$", out, re.MULTILINE)
    assert match, out
    item_ids = match.group(1).split(",")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    base = kosmmos_instance.base_url

    sign_in(page, base, DEMO_EMAIL)

    for url in [f"{base}/inbox/?sentiment=negative", *(f"{base}/inbox/items/{i}/" for i in item_ids)]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.mouse.move(300, 300)
        page.mouse.move(600, 400)
        for selector in INJECTED:
            assert page.locator(selector).count() == 0, f"{selector} became an element on {url}"
        scripts = page.evaluate("Array.from(document.scripts).map(s => s.src)")
        assert all(src.startswith(f"{base}/static/") for src in scripts), scripts
        assert page.url.startswith(base) and "/login/" not in page.url  # still signed in
    page.goto(f"{base}/inbox/?sentiment=negative")
    assert page.get_by_text('<script>alert("xss")</script>').count() >= 1  # shown as text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inbox-hostile.png"), full_page=False)
    assert dialogs == []
