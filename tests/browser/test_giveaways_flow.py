"""Giveaways in a real Chromium, in Russian and in English: the demo's drawn giveaway, its
winners and exclusions with reasons, and its public page at 390 px with the hash, the round and
the command that recomputes the winners."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Instance, sign_in

pytestmark = pytest.mark.browser

TEXTS = {
    "ru": {"winners": "Победители", "excluded": "Исключены", "reason": "нет лайка",
           "how": "Как выбираются победители"},
    "en": {"winners": "Winners", "excluded": "Excluded", "reason": "no like",
           "how": "How the winners are chosen"},
}


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_drawn_demo_giveaway_and_its_public_page(page, kosmmos_instance: Instance,
                                                     lang: str) -> None:
    base = kosmmos_instance.base_url
    words = TEXTS[lang]
    sign_in(page, base, "demo@kosmmos.local")
    if lang == "en":
        with page.expect_navigation():
            page.locator("button[name=language][value=en]").first.click()
    page.goto(f"{base}/workspaces/")
    hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
    client = next(h for h in hrefs if h and re.fullmatch(r"/workspaces/[0-9a-f-]{36}/", h))
    page.goto(base + client)
    with page.expect_navigation():
        page.locator("a[href*='/giveaways/']").first.click()
    page.set_viewport_size({"width": 390, "height": 900})
    with page.expect_navigation():
        page.locator("#giveaways a", has_text="Набор уходовой косметики").click()
    assert words["winners"] in page.locator("#winners").inner_text()
    excluded = page.locator("#excluded").inner_text()
    assert words["excluded"] in excluded and words["reason"] in excluded
    digest = page.locator("#proof code").first.inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    public = page.locator("a", has_text=re.compile("Публичная страница|Public page")).first
    page.goto(public.get_attribute("href").replace("http://127.0.0.1:8000", base))
    assert words["how"] in page.content()
    assert digest in page.locator("#proof").inner_text()
    assert "python -m kosmmos.giveaways.verify" in page.locator("#command").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
