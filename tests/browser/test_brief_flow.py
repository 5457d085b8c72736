"""A prospect sends a brief in a real Chromium; the agency sees the lead and gets the email.

Runs against a real `kosmmos serve` (web + worker) and a real SMTP server; see conftest.py.
Screenshots for humans land in test-artifacts/.
"""

from __future__ import annotations

import re
import secrets

import pytest

from tests.browser.conftest import ARTIFACTS, Instance, Received, SmtpServer

pytestmark = pytest.mark.browser

DEMO_EMAIL = "demo@kosmmos.local"
DEMO_PASSWORD = "kosmmos-demo"

BRIEF_CODE_SNIPPET = (
    "from kosmmos.accounts.models import Organisation\n"
    f"org = Organisation.objects.filter(memberships__user__email={DEMO_EMAIL!r}).first()\n"
    "print('BRIEF_CODE=' + org.brief_code)\n"
)


def demo_brief_code(instance: Instance) -> str:
    out = instance.kosmmos("shell", "--no-imports", "-c", BRIEF_CODE_SNIPPET)
    match = re.search(r"^BRIEF_CODE=(\S+)$", out, re.MULTILINE)
    assert match, f"no brief code in the shell's output: {out!r}"
    return match.group(1)


def test_brief_to_lead_to_email(page, kosmmos_instance: Instance, smtp_server: SmtpServer) -> None:
    base = kosmmos_instance.base_url
    token = secrets.token_hex(3)
    company = f"Браузерный тест {token}"
    kpis = f"+500 подписчиков в месяц, 40 заявок ({token})"
    contact_name = "Ольга Проверкина"
    phone = "+7 916 555-01-23"
    good_email = f"olga.{token}@example.ru"
    code = demo_brief_code(kosmmos_instance)

    # --- 1. The public form, with an invalid email -------------------------------------------
    page.goto(f"{base}/brief/{code}/")
    form = page.locator("#brief-form")
    form.locator("input[name=networks][value=vk]").check()
    form.locator("input[name=networks][value=telegram]").check()
    form.locator("input[name=country]").fill("Россия")
    form.locator("input[name=regions]").fill("Московская область")
    form.locator("input[name=cities]").fill("Москва")
    form.locator("input[name=goals][value=traffic]").check()
    form.locator("input[name=product_type][value=seasonal]").check()
    form.locator("input[name=budget_rub]").fill("150000")
    form.locator("input[name=period_months]").fill("6")
    form.locator("textarea[name=kpis]").fill(kpis)
    form.locator("input[name=contact_name]").fill(contact_name)
    form.locator("input[name=company]").fill(company)
    form.locator("input[name=phone]").fill(phone)
    form.locator("input[name=email]").fill("olga-at-example")
    form.locator("input[name=website]").fill("https://browser-test.example")
    form.locator("select[name=messenger]").select_option("telegram")
    form.locator("input[name=messenger_handle]").fill("@olga_test")
    form.locator("input[name=consent]").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    email_error = page.locator(".field-email .invalid-feedback")
    email_error.wait_for(state="visible")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert re.search(rf"/brief/{re.escape(code)}/$", page.url), page.url
    assert email_error.inner_text().strip(), "the email error is empty"
    assert "is-invalid" in (form.locator("input[name=email]").get_attribute("class") or "")
    # Only the email is wrong: no other field shows an error.
    assert page.locator("#brief-form .invalid-feedback").count() == 1
    assert page.locator("#form-errors").is_visible()
    # Everything else the prospect typed is kept.
    assert form.locator("input[name=company]").input_value() == company
    assert form.locator("textarea[name=kpis]").input_value() == kpis
    assert form.locator("input[name=contact_name]").input_value() == contact_name
    assert form.locator("input[name=phone]").input_value() == phone
    assert form.locator("input[name=networks][value=vk]").is_checked()
    assert form.locator("input[name=networks][value=telegram]").is_checked()
    assert not form.locator("input[name=networks][value=ok]").is_checked()
    assert form.locator("input[name=goals][value=traffic]").is_checked()
    assert form.locator("input[name=product_type][value=seasonal]").is_checked()
    assert form.locator("select[name=messenger]").input_value() == "telegram"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "brief-form-errors.png"), full_page=True)

    # --- 2. Fixed and sent --------------------------------------------------------------------
    form.locator("input[name=email]").fill(good_email)
    if not form.locator("input[name=consent]").is_checked():
        form.locator("input[name=consent]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/brief/{re.escape(code)}/thanks/"))
    assert page.locator("html").get_attribute("lang") == "ru"

    # --- 3. The agency signs in and finds the lead ----------------------------------------------
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill(DEMO_EMAIL)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button").click()
    assert "/login/" not in page.url, "the demo login was refused"
    page.locator("a.nav-link[href='/leads/']").click()
    page.wait_for_url(re.compile(r"/leads/$"))
    card_link = page.locator(".lead-card a", has_text=company)
    if card_link.count() == 0:  # a long board: use its search
        page.locator("input[name=q]").fill(company)
        page.locator("input[name=q]").press("Enter")
        page.wait_for_url(re.compile(r"/leads/\?"))
    card_link.first.click()
    page.wait_for_url(re.compile(r"/leads/[0-9a-f-]{36}/$"))
    lead_url = page.url
    assert page.locator("h1").inner_text().strip() == company
    details = page.locator("main").inner_text()
    for expected in (kpis, contact_name, phone, good_email, "https://browser-test.example"):
        assert expected in details, f"{expected!r} is not on the lead page"
    # Network labels may be translated (VK → ВКонтакте): accept either spelling.
    assert re.search(r"VK|ВК", details) and re.search(r"Telegram|Телеграм", details), details
    page.screenshot(path=str(ARTIFACTS / "brief-lead.png"), full_page=True)

    # --- 4. The new-lead email reached the SMTP server ----------------------------------------
    def is_new_lead(received: Received) -> bool:
        return company in received.subject

    try:
        mail = smtp_server.wait_for(is_new_lead, timeout=20)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- server log ---\n{kosmmos_instance.log_tail()}") from None
    assert DEMO_EMAIL in mail.rcpt_tos, mail.rcpt_tos
    assert DEMO_EMAIL in str(mail.message["To"])
    assert good_email in str(mail.message["Reply-To"] or "")
    assert lead_url in mail.body, f"{lead_url} not in the email body:\n{mail.body}"
    assert kpis in mail.body
