"""A post for a sandbox channel → review → the client approves by link → scheduled → published.

Real `kosmmos serve` (web + worker), real SMTP server, real Chromium, and a real sandbox network
(`kosmmos sandbox`) on a port of its own, named in the channel's config; see conftest.py.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zoneinfo
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.browser.conftest import (
    ARTIFACTS,
    REPO,
    Instance,
    Received,
    SmtpServer,
    _stop_group,
    free_port,
    sign_in,
)

pytestmark = pytest.mark.browser

MANAGER_EMAIL = "manager@kosmmos.local"

SETUP = """
from kosmmos.accounts.models import Membership
from kosmmos.channels.models import Channel
m = Membership.objects.filter(user__email='client@kosmmos.local').select_related('organisation').first()
ws = m.workspaces.first()
ch = Channel(organisation=ws.organisation, workspace=ws, network='sandbox', name='Песочница {token}',
             external_id='browser-{token}', config={{'base_url': '{sandbox}'}})
ch.credentials = {{'token': 'browser-test'}}
ch.save()
print('WORKSPACE=' + str(ws.pk))
print('TZ=' + ws.organisation.timezone)
"""


@pytest.fixture
def sandbox_url(kosmmos_instance: Instance, tmp_path: Path) -> Iterator[str]:
    """The sandbox network on a free port (memory only), stopped afterwards."""
    port = free_port()
    log = (ARTIFACTS / "content-flow-sandbox.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kosmmos.cli", "sandbox", "--port", str(port), "--state", ""],
        cwd=REPO, env=kosmmos_instance.env, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers: the status does not matter
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("the sandbox network did not start; see content-flow-sandbox.log")
                time.sleep(0.2)
        yield url
    finally:
        _stop_group(proc)
        log.close()


def english(page, base: str) -> None:
    page.context.add_cookies([{"name": "kosmmos_language", "value": "en", "url": base}])


def test_post_review_approval_by_link_schedule_and_publish(
    page, kosmmos_instance: Instance, smtp_server: SmtpServer, sandbox_url: str,
) -> None:
    base = kosmmos_instance.base_url
    token = secrets.token_hex(3)
    out = kosmmos_instance.kosmmos("shell", "--no-imports", "-c",
                                   SETUP.format(token=token, sandbox=sandbox_url))
    workspace = re.search(r"^WORKSPACE=(\S+)$", out, re.MULTILINE).group(1)
    zone = zoneinfo.ZoneInfo(re.search(r"^TZ=(\S+)$", out, re.MULTILINE).group(1))
    text = f"Осенняя подборка {token}: пять средств для ухода"
    client_email = f"approver.{token}@example.ru"

    # The manager writes the post for the sandbox channel and sends it for review.
    english(page, base)
    sign_in(page, base, MANAGER_EMAIL)
    page.goto(f"{base}/workspaces/{workspace}/content/new/")
    page.locator("textarea[name=text]").fill(text)
    page.locator("label", has_text=f"Песочница {token}").click()
    tomorrow = datetime.now(zone) + timedelta(days=1)
    page.locator("input[name=publish_at]").fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#checks").get_by_text(text).first.wait_for()  # the live preview shows it
    with page.expect_navigation():
        page.locator("button[name=then][value=review]").click()
    page.wait_for_url(re.compile(r"/content/posts/[0-9a-f-]{36}/$"))
    post_url = page.url
    assert "In review" in page.locator("#post-status").inner_text()

    # An approval link for the month goes to the client by email.
    page.goto(f"{base}/workspaces/{workspace}/content/approval-links/")
    today = datetime.now(zone).date()
    page.locator("input[name=date_from]").fill(today.isoformat())
    page.locator("input[name=date_to]").fill((today + timedelta(days=30)).isoformat())
    page.locator("input[name=email]").fill(client_email)
    with page.expect_navigation():
        page.get_by_role("button", name="Create the link").click()

    def is_link(received: Received) -> bool:
        return client_email in received.rcpt_tos and "/approve/" in received.body

    mail = smtp_server.wait_for(is_link, timeout=30)
    approval_url = re.search(r"https?://\S+/approve/[\w-]+/", mail.body).group(0)

    # The client opens it without an account and approves.
    page.context.clear_cookies()
    english(page, base)
    page.goto(approval_url)
    card = page.locator(".public-post", has_text=text)
    card.locator("input[name$=author_name]").fill("Ирина Клиентова")
    card.locator("textarea[name$=comment]").fill("Всё отлично")
    with page.expect_navigation():
        card.get_by_role("button", name="Approve").click()
    assert "Approved. Thank you!" in page.locator("main").inner_text()
    page.screenshot(path=str(ARTIFACTS / "content-approved-by-link.png"), full_page=True)

    # The manager hears about it, moves the post a few seconds ahead and schedules it.
    smtp_server.wait_for(lambda r: "/content/posts/" in r.body and "Ирина Клиентова" in r.body, timeout=30)
    sign_in(page, base, MANAGER_EMAIL)
    page.goto(post_url)
    assert page.locator("#post-status").count(), f"{page.url}\n{page.locator('body').inner_text()[:2000]}"
    assert "Approved" in page.locator("#post-status").inner_text()
    assert "Ирина Клиентова" in page.locator(".timeline").inner_text()
    soon = datetime.now(zone) + timedelta(seconds=12)
    page.locator("form[action$='/reschedule/'] input[name=publish_at]").fill(soon.strftime("%Y-%m-%dT%H:%M:%S"))
    with page.expect_navigation():
        page.locator("form[action$='/reschedule/'] button").click()
    with page.expect_navigation():
        page.locator("form[action$='/schedule/'] button").click()
    assert "Scheduled" in page.locator("#post-status").inner_text(), page.locator("main").inner_text()

    # At its time the engine publishes it to the sandbox; the page says so.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page.goto(post_url)
        status = page.locator("#post-status").inner_text()
        if "Published" in status:
            break
        assert "Failed" not in status, page.locator("main").inner_text()
        page.wait_for_timeout(1000)
    else:
        raise AssertionError(f"not published within 60 s\n{kosmmos_instance.log_tail()}")
    assert page.locator(".target-row[data-status=published]").count() == 1
    page.screenshot(path=str(ARTIFACTS / "content-published.png"), full_page=True)
