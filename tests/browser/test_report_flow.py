"""The monthly client report: the schedule → the ticker drafts → the manager writes the
commentary and sends → the email with the PDF reaches a real SMTP server → the client signs in
and opens it. pdftotext of the PDF carries the page's figures and never the product's name.

Real `kosmmos serve` (web + worker), real SMTP server, real Chromium; see conftest.py. The first
client's report is in Russian (the default); the second client's template is switched to
English and its report goes to an extra address, so both languages travel the whole way.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess

import pytest

from tests.browser.conftest import ARTIFACTS, Instance, Received, SmtpServer, sign_in
from tests.browser.test_brief_flow import DEMO_EMAIL

pytestmark = pytest.mark.browser

CLIENT_EMAIL = "client@kosmmos.local"  # the demo's client user, given the first workspace
PRODUCT = "Kosmmos"  # the product's name; the demo agency's own domains are its business

_WORKSPACES = (
    "import json\n"
    "from kosmmos.accounts.models import Organisation\n"
    f"org = Organisation.objects.get(memberships__user__email={DEMO_EMAIL!r})\n"
    "print('IDS=' + json.dumps([str(w.pk) for w in org.workspaces.order_by('created_at')]))\n"
)
# The clock moves on to the moment the schedule names (the ticker does the rest).
_FAST_FORWARD = (
    "from django.utils import timezone\n"
    "from kosmmos.reports.models import ReportSettings\n"
    f"print(ReportSettings.objects.filter(organisation__memberships__user__email={DEMO_EMAIL!r})"
    ".update(next_run_at=timezone.now()))\n"
)


def _pdftotext(data: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is missing: apt-get install -y poppler-utils")
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True,
                          check=True)
    return _plain(done.stdout.decode())


def _plain(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def _pdf_of(mail: Received) -> bytes:
    pdfs = [p for p in mail.message.walk() if p.get_content_type() == "application/pdf"]
    assert pdfs, "no PDF attached"
    data = pdfs[0].get_payload(decode=True)
    assert data.startswith(b"%PDF")
    return data


def _open_draft(page, base: str, workspace_id: str, instance: Instance) -> None:
    row = page.locator(f"tr[data-workspace='{workspace_id}'][data-status='draft']")
    for _ in range(90):  # the ticker drafts, the worker renders (≤ 45 s)
        page.goto(f"{base}/reports/")
        if row.count():
            break
        page.wait_for_timeout(500)
    else:
        raise AssertionError(f"no draft report\n{page.locator('main').inner_text()}\n"
                             f"{instance.log_tail()}")
    with page.expect_navigation():
        row.locator("a", has_text=re.compile("Open|Открыть")).click()


def test_schedule_to_draft_to_sent_report_opened_by_the_client(
    page, kosmmos_instance: Instance, smtp_server: SmtpServer
) -> None:
    base = kosmmos_instance.base_url
    token = secrets.token_hex(3)
    out = kosmmos_instance.kosmmos("shell", "--no-imports", "-c", _WORKSPACES)
    first, second = json.loads(re.search(r"^IDS=(.+)$", out, re.MULTILINE).group(1))
    boss = f"boss.{token}@example.com"

    # The owner sets the schedule and the sender, and the second client's template.
    sign_in(page, base, DEMO_EMAIL)
    page.goto(f"{base}/settings/reports/")
    page.locator("input[name=enabled]").check()
    page.locator("input[name=day]").fill("3")
    page.locator("input[name=at]").fill("09:00")
    page.locator("input[name=sender_name]").fill(f"Отчёты {token}")
    page.locator("input[name=reply_to]").fill("reports@agency.example")
    with page.expect_navigation():
        page.locator("main form button").click()
    assert re.search(r"(Next run|Следующий запуск): \d\d\.\d\d\.\d{4} 09:00",
                     page.locator("main").inner_text()), page.locator("main").inner_text()
    page.goto(f"{base}/workspaces/{second}/report-template/")
    page.locator("select[name=language]").select_option("en")
    page.locator("textarea[name=extra_recipients]").fill(boss)
    with page.expect_navigation():
        page.locator("main form button.btn-primary").click()

    # The month turns: the schedule comes due and the ticker drafts a report per client.
    assert kosmmos_instance.kosmmos("shell", "--no-imports", "-c", _FAST_FORWARD).strip() == "1"
    _open_draft(page, base, first, kosmmos_instance)
    summary = f"Итоги месяца {token}: продажи выросли"
    page.locator("textarea[name=summary]").fill(summary)
    page.locator("textarea[name=next]").fill("Больше видео и розыгрыш в январе.")
    with page.expect_navigation():
        page.locator("#save-text").click()
    assert summary in page.locator("#report-document").inner_text()
    page.screenshot(path=str(ARTIFACTS / "report-draft.png"), full_page=True)
    report_path = page.url.removeprefix(base)
    with page.expect_navigation():
        page.locator("#send-report").click()
    assert page.locator("#report-status").inner_text().strip() in {"Sent", "Отправлено"}

    _open_draft(page, base, second, kosmmos_instance)
    with page.expect_navigation():
        page.locator("#send-report").click()

    # The emails with the PDFs reach the clients, from the agency, with its reply-to.
    mail = smtp_server.wait_for(lambda r: CLIENT_EMAIL in r.rcpt_tos and "/r/" in r.body,
                                timeout=60)
    assert f"Отчёты {token}" in str(mail.message["From"])
    assert "reports@agency.example" in str(mail.message["Reply-To"])
    assert PRODUCT not in mail.subject + mail.body
    text = _pdftotext(_pdf_of(mail))
    assert summary in text and PRODUCT not in text, text[:2000]
    english = _pdftotext(_pdf_of(smtp_server.wait_for(lambda r: boss in r.rcpt_tos, timeout=60)))
    assert "Money" in english and "Reach and engagement" in english and PRODUCT not in english

    # The client signs in and opens the report: the page's figures are the PDF's.
    page.context.clear_cookies()
    sign_in(page, base, CLIENT_EMAIL)
    page.goto(f"{base}/reports/")
    assert page.locator(f"tr[data-workspace='{second}']").count() == 0  # not their workspace
    # The demo client has an older report too; this one is the month's.
    with page.expect_navigation():
        page.locator(f"tr[data-workspace='{first}'] a[href='{report_path}']").click()
    document = page.locator("#report-document")
    figures = [_plain(f.inner_text()).strip() for f in document.locator("[data-figure]").all()]
    assert len(figures) >= 20, figures
    # pdftotext may glue a short figure to its sign ("0₽" beside "124 116,51 ₽"): a figure counts
    # as present with its spaces or without them.
    squeezed = text.replace(" ", "")
    missing = [f for f in figures if f not in text and f.replace(" ", "") not in squeezed]
    assert not missing, (missing, text[:3000])
    assert PRODUCT not in page.content()
    assert summary in document.inner_text()
    page.screenshot(path=str(ARTIFACTS / "report-client.png"), full_page=True)

    # The emailed link opens it without an account.
    link = re.search(r"https?://\S+/r/[\w-]+/", mail.body).group(0)
    page.context.clear_cookies()
    page.goto(link)
    assert summary in page.locator("#report-document").inner_text()
