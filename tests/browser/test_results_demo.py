"""The demo's results in a real Chromium: from the overview to a client's results, the KPI behind
its target in red, and the rows behind it — in Russian, then in English."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, Instance, sign_in

pytestmark = pytest.mark.browser


def _behind_kpi_to_its_rows(page, base: str, *, heading: str, behind: str) -> None:
    page.goto(f"{base}/")
    # The demo's client behind its target (the overview's order moves as the workers run).
    link = page.locator("tr", has_text="Сеул Бьюти").locator("a.results-link").first
    with page.expect_navigation():
        link.click()
    assert "/results/" in page.url
    assert page.locator("h2#forecast", has_text=heading).is_visible()
    red = page.locator("#forecast-table tr.kpi-red")
    assert red.count() >= 1, page.content()[:2000]
    row = red.first
    assert row.locator(".badge", has_text=behind).is_visible()
    cell = row.locator("td.text-danger")
    colour = cell.evaluate("el => getComputedStyle(el).color")
    r, g, b = (int(v) for v in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3])
    assert r > 150 and g < 100 and b < 100, colour  # red, as a person sees it
    with page.expect_navigation():
        row.locator("a.kpi-drill").click()
    rows = page.locator("#drill-rows tbody tr")
    assert rows.count() >= 1 and "—" not in rows.first.inner_text()[:1]


def test_results_from_the_overview_to_a_kpi_behind_and_its_rows(page, kosmmos_instance: Instance
                                                                ) -> None:
    base = kosmmos_instance.base_url
    sign_in(page, base, "demo@kosmmos.local")
    _behind_kpi_to_its_rows(page, base, heading="Прогноз и факт", behind="отстаёт")
    ARTIFACTS.mkdir(exist_ok=True)
    page.go_back()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the page still reads
    page.screenshot(path=str(ARTIFACTS / "results-ru-390.png"), full_page=True)
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 392)
        .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1, wide
    page.set_viewport_size({"width": 1280, "height": 900})

    page.context.add_cookies([{"name": "kosmmos_language", "value": "en", "url": base}])
    _behind_kpi_to_its_rows(page, base, heading="Forecast vs actual", behind="behind")
    page.go_back()
    page.screenshot(path=str(ARTIFACTS / "results-en.png"), full_page=True)
