"""Date fields on a Russian page show their value with the month's name in Russian, whatever
the browser's own locale (the test's Chromium is en-US, which draws them as 12/05/2026)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Instance, sign_in

pytestmark = pytest.mark.browser


def test_date_fields_name_the_month_in_russian_on_a_russian_page(page, kosmmos_instance: Instance
                                                                ) -> None:
    base = kosmmos_instance.base_url
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, base, "demo@kosmmos.local")
    page.goto(f"{base}/settings/audit/?since=2026-12-05")
    shown = page.locator("#f-since-text")
    assert shown.inner_text().startswith("5 декабря 2026"), shown.inner_text()
    page.locator("#f-until").fill("2027-01-31")
    assert page.locator("#f-until-text").inner_text().startswith("31 января 2027")
    # A month field too (the P&L's period).
    page.goto(f"{base}/workspaces/")
    found = re.search(r"/workspaces/([0-9a-f-]{36})/", page.content())
    assert found is not None
    workspace = found.group(1)
    page.goto(f"{base}/workspaces/{workspace}/money/?from=2026-03&to=2026-05")
    texts = page.locator(".km-date-text").all_inner_texts()
    assert any(t.startswith("март 2026") for t in texts), texts
    # An English page keeps the browser's own rendering: no second line.
    page.context.add_cookies([{"name": "kosmmos_language", "value": "en", "url": base}])
    page.goto(f"{base}/settings/audit/?since=2026-12-05")
    assert page.locator(".km-date-text").count() == 0
    assert not errors, errors
