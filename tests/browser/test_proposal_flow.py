"""Brief → draft proposal → the manager sends it → the lead opens the emailed link and accepts.

Real `kosmmos serve` (web + worker), real SMTP server, real Chromium; see conftest.py.
"""

from __future__ import annotations

import re
import secrets

import pytest

from tests.browser.conftest import ARTIFACTS, Instance, Received, SmtpServer
from tests.browser.test_brief_flow import DEMO_EMAIL, DEMO_PASSWORD, demo_brief_code

pytestmark = pytest.mark.browser


def test_brief_to_sent_proposal_to_acceptance(
    page, kosmmos_instance: Instance, smtp_server: SmtpServer
) -> None:
    base = kosmmos_instance.base_url
    token = secrets.token_hex(3)
    company = f"КП-тест {token}"
    client_email = f"kp.{token}@example.ru"
    code = demo_brief_code(kosmmos_instance)

    # The prospect sends a brief.
    page.goto(f"{base}/brief/{code}/")
    form = page.locator("#brief-form")
    form.locator("input[name=networks][value=vk]").check()
    form.locator("input[name=networks][value=telegram]").check()
    form.locator("input[name=goals][value=traffic]").check()
    form.locator("input[name=product_type][value=limited]").check()
    form.locator("input[name=budget_rub]").fill("200000")
    form.locator("input[name=period_months]").fill("3")
    form.locator("textarea[name=kpis]").fill("1000 подписчиков, 50 заявок")
    form.locator("input[name=contact_name]").fill("Пётр Клиентов")
    form.locator("input[name=company]").fill(company)
    form.locator("input[name=email]").fill(client_email)
    form.locator("input[name=consent]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/brief/{re.escape(code)}/thanks/"))

    # The manager signs in, opens the lead's proposal (drafted by a job) and sends it.
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill(DEMO_EMAIL)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button").click()
    page.goto(f"{base}/leads/?q={token}")
    page.locator(".lead-card a", has_text=company).first.click()
    page.wait_for_url(re.compile(r"/leads/[0-9a-f-]{36}/$"))
    lead_url = page.url
    send = page.locator("form[action$='/send/'] button")
    for _ in range(40):  # the draft is a job: wait for it (≤ 20 s)
        page.goto(lead_url)
        opener = page.locator("#lead-proposal a[href^='/proposals/']")
        if opener.count():
            opener.first.click()
            page.wait_for_load_state()
            if send.count():
                break
        page.wait_for_timeout(500)
    else:
        raise AssertionError(f"no draft proposal to send\n{kosmmos_instance.log_tail()}")
    page.screenshot(path=str(ARTIFACTS / "proposal-draft.png"), full_page=True)
    with page.expect_navigation():
        send.click()

    # The email with the PDF reaches the prospect; it carries the public link.
    def is_proposal(received: Received) -> bool:
        return client_email in received.rcpt_tos and "/p/" in received.body

    mail = smtp_server.wait_for(is_proposal, timeout=30)
    pdfs = [p for p in mail.message.walk() if p.get_content_type() == "application/pdf"]
    assert pdfs and pdfs[0].get_payload(decode=True).startswith(b"%PDF"), "no PDF attached"
    public_url = re.search(r"https?://\S+/p/[\w-]+/", mail.body).group(0)

    # The prospect opens the link (no account) and accepts.
    page.context.clear_cookies()
    page.goto(public_url)
    assert company in page.locator("main").inner_text()
    with page.expect_navigation():
        page.locator("form[action$='/accept/'] button").click()
    page.screenshot(path=str(ARTIFACTS / "proposal-accepted.png"), full_page=True)

    # Back in the agency: the lead is won and has a client workspace.
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill(DEMO_EMAIL)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button").click()
    page.goto(lead_url)
    # Not any link to /workspaces/ (the menu has those): the lead's own status and the button to
    # its own workspace, shown once the lead has one, leading to a workspace named after it.
    main = page.locator("main")
    title = main.locator("h1").first.inner_text().strip()
    assert company in title, title
    assert main.locator("h1 + .badge").first.inner_text().strip() in {"Won", "Выигран"}, (
        main.inner_text())
    own = main.locator("a.btn-success[href^='/workspaces/']")
    assert own.count() == 1, main.inner_text()
    with page.expect_navigation():
        own.click()
    assert re.search(r"/workspaces/[0-9a-f-]{36}/$", page.url), page.url
    assert title in page.locator("main h1").first.inner_text(), page.locator("main").inner_text()
