"""Competitors in a real Chromium, in Russian and in English: a manager adds a competitor by its
link, its posts and stats appear once the collector has read it, and its giveaway shows as a key
move (the alert the managers get)."""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest

from tests.browser.conftest import ARTIFACTS, Instance, sign_in

pytestmark = pytest.mark.browser

TEXTS = {
    "ru": {"add": "Добавить", "moves": "Ключевые ходы", "top": "Лучшие посты",
           "promo": "Розыгрыш или скидка"},
    "en": {"add": "Add", "moves": "Key moves", "top": "Top posts",
           "promo": "A giveaway or a discount announced"},
}


def _setup_sandbox(instance: Instance, handle: str) -> None:
    """The competitor ran a giveaway yesterday (the sandbox's admin API)."""
    body = json.dumps({"communities": {handle: {"name": f"Rival {handle}", "per_day": 4,
                                                "spike_day": 1}}}).encode()
    request = urllib.request.Request(f"{instance.env['SANDBOX_URL']}/pub/_setup", data=body,
                                     method="PUT", headers={"Content-Type": "application/json"})
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                assert answer.status == 200
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_add_a_competitor_by_link_then_its_posts_stats_and_key_move(
        page, kosmmos_instance: Instance, lang: str) -> None:
    base = kosmmos_instance.base_url
    words = TEXTS[lang]
    handle = f"pub-browser-{lang}"
    _setup_sandbox(kosmmos_instance, handle)
    sign_in(page, base, "demo@kosmmos.local")
    if lang == "en":
        with page.expect_navigation():
            page.locator("button[name=language][value=en]").first.click()
    page.goto(f"{base}/workspaces/")
    hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
    client = next(h for h in hrefs if h and re.fullmatch(r"/workspaces/[0-9a-f-]{36}/", h))
    page.goto(base + client)
    with page.expect_navigation():
        page.locator("a[href*='/competitors/']").first.click()
    page.set_viewport_size({"width": 390, "height": 900})
    page.locator("#id_address").fill(f"sandbox:{handle}")
    with page.expect_navigation():
        page.locator("#add-competitor button[type=submit]", has_text=words["add"]).click()

    row = page.locator("#comparison tr", has_text=f"Rival {handle}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not row.count():
        time.sleep(1)
        page.reload()
    assert row.count() == 1, kosmmos_instance.log_tail()
    cells = row.locator("td")
    assert cells.nth(1).inner_text().strip() not in ("", "—")  # followers
    assert float(cells.nth(3).inner_text().replace(",", ".")) > 0  # posts per week
    card = page.locator(".km-card", has_text=words["top"]).filter(has_text=f"Rival {handle}")
    assert card.locator(".top-posts a").count() == 3
    assert card.locator("svg rect").count() >= 7 * 24  # the posting-times heatmap
    moves = page.locator("#moves")
    assert words["moves"] in moves.inner_text()
    move = moves.locator(".key-move", has_text=f"Rival {handle}").filter(has_text=words["promo"])
    assert move.count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"competitors-{lang}.png"), full_page=True)
