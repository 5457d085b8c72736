"""VK Ads in a real Chromium, in Russian then English: connect the sandbox's fake cabinet, see
its spend in the P&L, export the "complained" segment from the audiences page and find it in the
fake cabinet, then delete it from there."""

from __future__ import annotations

import json
import re
import secrets
import time
import urllib.request

import pytest

from tests.browser.conftest import ARTIFACTS, Instance, sign_in

pytestmark = pytest.mark.browser

# The demo's second client, and three complaints from numeric VK ids in it (one from a
# community, which is no person and stays out), plus one in the first client (never exported
# from the second).
SETUP = """
from kosmmos.accounts.models import Workspace
from kosmmos.channels.models import Channel
from kosmmos.inbox.models import Item
wss = list(Workspace.objects.filter(organisation__memberships__user__email='demo@kosmmos.local')
           .order_by('created_at'))
for ws, ids in ((wss[1], ['{a}1', '{a}2', '{a}3', '-5']), (wss[0], ['{a}9'])):
    ch = Channel.objects.create(organisation=ws.organisation, workspace=ws, network='vk',
                                name='VK {a}', external_id='club{a}-' + str(ws.pk)[:4])
    for n, ref in enumerate(ids):
        Item.objects.create(organisation=ws.organisation, workspace=ws, channel=ch, network='vk',
                            kind='comment', external_id='{a}-' + str(ws.pk)[:4] + str(n),
                            author_ref=ref, text='Ужасно, верните деньги', sentiment='negative')
print('WORKSPACE=' + str(wss[1].pk))
"""


def _wait_for(page, url: str, text: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.goto(url)
        if text in page.content():
            return
        time.sleep(1)
    raise AssertionError(f"{text!r} never appeared on {url}:\n{page.locator('main').inner_text()}")


def test_connect_spend_in_the_pnl_and_export_complaints(page, kosmmos_instance: Instance) -> None:
    base = kosmmos_instance.base_url
    tag = str(secrets.randbelow(9000) + 1000)
    out = kosmmos_instance.kosmmos("shell", "--no-imports", "-c", SETUP.format(a=tag))
    workspace = re.search(r"^WORKSPACE=(\S+)$", out, re.MULTILINE).group(1)
    ads = f"{base}/workspaces/{workspace}/ads/"
    audiences = f"{base}/workspaces/{workspace}/audiences/"
    sign_in(page, base, "demo@kosmmos.local")

    # Russian first: connect the fake cabinet (the sandbox's rehearsal secret).
    page.goto(ads)
    assert page.locator("h1", has_text="VK Реклама").is_visible()
    page.locator("input[name=name]").fill("Кабинет клиента")
    page.locator("input[name=client_id]").fill(f"browser-{tag}")
    page.locator("input[name=client_secret]").fill("sandbox")
    page.locator("input[name=sandbox]").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Подключить", exact=True).click()
    assert page.get_by_text("Кабинет подключён").is_visible(), kosmmos_instance.log_tail()
    _wait_for(page, ads, "Кампания 1")  # the first import is in
    assert page.locator(".ads-cabinet .badge", has_text="Подключён").is_visible()

    # The spend is the P&L's imported ad cost, marked as imported.
    page.goto(f"{base}/workspaces/{workspace}/money/costs/")
    assert page.locator("td", has_text="VK Реклама (загружено)").count() >= 1
    page.goto(f"{base}/workspaces/{workspace}/money/")
    costs = page.locator("table tbody tr td:nth-child(5)").all_inner_texts()
    assert any(re.search(r"[1-9]", cell) for cell in costs), costs  # the demo client had none

    # Export the complaints from the audiences page (the VK Ads page links to it); the list
    # appears in the fake cabinet with this client's 3 people.
    page.goto(ads)
    with page.expect_navigation():
        page.locator(".ads-audiences a").click()
    assert page.url == audiences
    assert page.locator("h1", has_text="Аудитории").is_visible()
    page.locator("select[name=cabinet]").select_option(label="Кабинет клиента")
    page.locator("select[name=kind]").select_option("complained")
    with page.expect_navigation():
        page.get_by_role("button", name="Выгрузить", exact=True).click()
    _wait_for(page, audiences, "В кабинете")
    sandbox = kosmmos_instance.env["SANDBOX_URL"]
    with urllib.request.urlopen(f"{sandbox}/vkads/_admin/lists", timeout=10) as response:
        lists = json.loads(response.read())["items"]
    mine = [x for x in lists if x["name"].startswith("Kosmmos complained")
            and any(i.startswith(tag) for i in x["sample"])]
    assert len(mine) == 1 and mine[0]["entries_count"] == 3
    assert sorted(mine[0]["sample"]) == [f"{tag}1", f"{tag}2", f"{tag}3"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ads-ru.png"), full_page=True)

    # English: the same page reads in English; the export can be deleted from the cabinet.
    page.context.add_cookies([{"name": "kosmmos_language", "value": "en", "url": base}])
    page.goto(audiences)
    assert page.locator("h2", has_text="Audience exports").is_visible()
    assert page.get_by_text("In the cabinet").count() >= 1
    with page.expect_navigation():
        page.get_by_role("button", name="Delete from the cabinet").first.click()
    _wait_for(page, audiences, "Deleted")
    with urllib.request.urlopen(f"{sandbox}/vkads/_admin/lists", timeout=10) as response:
        left = json.loads(response.read())["items"]
    assert not [x for x in left if x["id"] == mine[0]["id"]]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(audiences)
    page.screenshot(path=str(ARTIFACTS / "audiences-en-390.png"), full_page=True)
    page.goto(ads)
    page.screenshot(path=str(ARTIFACTS / "ads-en-390.png"), full_page=True)
