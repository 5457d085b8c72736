"""The demo's inbox in a real Chromium, the way a manager meets it on the first morning.

From the overview's "today by client" table to the overdue comments, a possible complaint the
model was unsure about, a complaint the community answered on the network (the answer shown in
the thread), and the review analytics with their three charts.
"""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import ARTIFACTS, Instance, sign_in

pytestmark = pytest.mark.browser


def test_demo_inbox_from_the_overview_to_the_analytics(page, kosmmos_instance: Instance) -> None:
    base = kosmmos_instance.base_url
    sign_in(page, base, "demo@kosmmos.local")

    # The demo's comments come in with the first poll of the sandbox, seconds after serving.
    overdue = page.locator("a[href*='inbox/?overdue=1']")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page.goto(f"{base}/")
        if overdue.count():
            break
        time.sleep(1)
    assert overdue.count() >= 1, kosmmos_instance.log_tail()
    assert page.get_by_text("Сегодня по клиентам").is_visible()

    with page.expect_navigation():
        overdue.first.click()
    assert "overdue=1" in page.url
    assert page.locator("#f-od").is_checked()  # the filter the figure stands for is on
    assert page.locator("a.inbox-row").count() >= 1

    page.goto(f"{base}/inbox/")
    assert page.locator("a.inbox-row", has_text="возможно, жалоба").count() >= 1
    answered = page.locator("a.inbox-row", has_text="забивает поры")
    with page.expect_navigation():
        answered.first.click()
    thread = page.locator(".thread-item", has_text="наш ответ в соцсети")
    assert thread.count() == 1 and "оформим возврат" in thread.inner_text()
    assert page.get_by_text("ответ в соцсети", exact=False).count() >= 2  # header + thread

    page.goto(_analytics_url(page, base))
    assert page.locator("h2", has_text="Доля негатива по неделям").is_visible()
    charts = page.locator("svg[role=img]")
    assert charts.count() == 3
    for i in range(3):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
    assert page.locator("svg[role=img] rect").count() > 10  # bars were drawn
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inbox-analytics.png"), full_page=True)


def _analytics_url(page, base: str) -> str:
    """The first client's analytics page, found from the overview's table."""
    page.goto(f"{base}/")
    href = page.locator("a[href*='/inbox/?waiting=1']").first.get_attribute("href") or ""
    return f"{base}{href.split('/inbox/')[0]}/inbox/analytics/"
