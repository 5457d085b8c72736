"""The first hour, walked end to end in a real Chromium: brief → proposal → post → the client's
one-click approval → publish → open on the network → inbox reply → link click → P&L → the
client's home. Each page is checked for horizontal overflow, console errors and a bare error
page, then visited again at the other widths and in English; screenshots go to
``test-artifacts/journey/`` (`make screenshots` regenerates them).
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import ARTIFACTS, Instance, sign_in
from tests.browser.test_layouts import UUID, WIDTHS, wait_for_inbox

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "journey"
BRIEF_CODE = """
from kosmmos.accounts.models import Organisation
org = Organisation.objects.get(name__icontains='демо')
print('CODE=' + org.brief_code)
print('TZ=' + org.timezone)
"""


class Walk:
    """The pages of the walk, each checked where it is met and kept to be seen again."""

    def __init__(self, page, base: str) -> None:
        self.page, self.base = page, base
        self.errors: list[str] = []
        self.problems: list[str] = []
        self.seen: list[tuple[str, str, str]] = []  # (name, path, who)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def check(self, name: str, who: str, lang: str = "ru", width: int = 1366,
              page=None) -> None:
        page = page or self.page
        wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if wide[0] > wide[1]:
            self.problems.append(f"{name} {lang} {width}: {wide[0]} > {wide[1]} px")
        if not page.locator("nav.navbar").count():
            self.problems.append(f"{name} {lang} {width}: a bare page")
        self.problems += [f"{name} {lang} {width}: console: {e}" for e in self.errors]
        self.errors.clear()
        page.screenshot(path=str(SHOTS / f"{lang}-{width}-{name}.png"), full_page=True)
        if lang == "ru" and width == 1366:
            self.seen.append((name, page.url.removeprefix(self.base), who))


def test_the_first_hour_from_brief_to_the_clients_home(chromium_browser,
                                                        kosmmos_instance: Instance) -> None:
    base = kosmmos_instance.base_url
    SHOTS.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(3)
    out = kosmmos_instance.kosmmos("shell", "--no-imports", "-c", BRIEF_CODE)
    code = re.search(r"^CODE=(\S+)$", out, re.MULTILINE).group(1)
    zone = ZoneInfo(re.search(r"^TZ=(\S+)$", out, re.MULTILINE).group(1))
    context = chromium_browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    walk = Walk(page, base)

    # 1. A prospect sends a brief with the seed's aims: sales and brand popularity.
    page.goto(f"{base}/brief/{code}/")
    form = page.locator("#brief-form")
    form.locator("input[name=networks][value=vk]").check()
    form.locator("input[name=goals][value=sales]").check()
    form.locator("input[name=goals][value=reach]").check()
    form.locator("input[name=product_type][value=permanent]").check()
    form.locator("input[name=budget_rub]").fill("150000")
    form.locator("input[name=period_months]").fill("3")
    form.locator("textarea[name=kpis]").fill("250 продаж в месяц")
    form.locator("input[name=contact_name]").fill("Ольга Путь")
    form.locator("input[name=company]").fill(f"Путь {token}")
    form.locator("input[name=email]").fill(f"olga.{token}@example.ru")
    form.locator("input[name=consent]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/brief/{re.escape(code)}/thanks/"))

    # 2. The manager opens the drafted proposal: the KPI check is at the top.
    _as(page, base, "demo@kosmmos.local")
    for _ in range(60):
        page.goto(f"{base}/proposals/")
        found = page.locator("a[href^='/proposals/']", has_text=token)
        if found.count():
            break
        page.wait_for_timeout(500)
    else:
        raise AssertionError(f"no proposal drafted\n{kosmmos_instance.log_tail()}")
    found.first.click()
    page.wait_for_load_state("load")
    walk.check("proposal", "demo@kosmmos.local")

    # 3. A post for the client's workspace, sent for review.
    ws = _first_workspace(page, base, "client@kosmmos.local")
    _as(page, base, "demo@kosmmos.local")
    page.goto(f"{base}{ws}content/new/")
    text = f"Новая коллекция {token}: пять средств для зимы"
    page.locator("textarea[name=text]").fill(text)
    page.locator("input[name=channels]").first.check()
    when = datetime.now(zone) + timedelta(minutes=2)
    page.locator("input[name=publish_at]").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#checks").get_by_text(text).first.wait_for()
    walk.check("post-editor", "demo@kosmmos.local")
    with page.expect_navigation():
        page.locator("button[name=then][value=review]").click()
    post_url = page.url
    assert re.search(rf"/content/posts/{UUID}/$", post_url)

    # 4. The client approves it from their home in one click.
    _as(page, base, "client@kosmmos.local")
    page.goto(f"{base}/")
    walk.check("client-home-waiting", "client@kosmmos.local")
    row = page.locator("#client-waiting div.d-flex", has_text=token)
    with page.expect_navigation():
        row.locator("button.btn-success").click()
    assert token not in page.locator("#client-waiting").inner_text()

    # 5. The manager schedules it; it publishes at its minute and opens on the network.
    _as(page, base, "demo@kosmmos.local")
    page.goto(post_url)
    with page.expect_navigation():
        page.locator("form[action$='/schedule/'] button").click()
    network_link = page.locator("a[target=_blank][href*='/p/']")
    deadline = time.monotonic() + 240
    while not network_link.count():  # the state polls itself; no reload needed
        assert time.monotonic() < deadline, kosmmos_instance.log_tail()
        page.wait_for_timeout(1000)
    walk.check("post-published", "demo@kosmmos.local")
    with page.expect_popup() as popup:
        network_link.first.click()
    network = popup.value
    network.wait_for_load_state("load")
    assert token in network.locator("article").inner_text()
    network.screenshot(path=str(SHOTS / "sandbox-post.png"), full_page=True)
    network.close()

    # 6. An inbox reply: its delivery state changes on the page without a reload.
    page.goto(base + wait_for_inbox(page, base))
    page.locator("form[action$='/reply/'] textarea[name=text]").fill(f"Спасибо за вопрос! {token}")
    with page.expect_navigation():
        page.locator("form[action$='/reply/'] button.btn-primary").click()
    page.locator("[id^=reply-] .text-bg-success").first.wait_for(timeout=60_000)
    walk.check("inbox-reply", "demo@kosmmos.local")

    # 7. A tracked link is clicked (the short-link service redirects), then the P&L.
    page.goto(f"{base}{ws}money/links/")
    walk.check("links", "demo@kosmmos.local")
    short = page.eval_on_selector_all(
        "a[href]", "els => els.map(e => e.href).filter(h => /\\/[A-Za-z0-9]{4,}$/.test(h) "
        "&& !h.startsWith(location.origin))")
    if short:
        answer = page.request.get(short[0], max_redirects=0)
        assert answer.status in (301, 302, 307), (short[0], answer.status)
    page.goto(f"{base}{ws}money/")
    walk.check("pnl", "demo@kosmmos.local")

    # 8. The client's home again.
    _as(page, base, "client@kosmmos.local")
    page.goto(f"{base}/")
    walk.check("client-home", "client@kosmmos.local")
    context.close()

    # The same pages at the other widths and in English.
    for lang in ("ru", "en"):
        for width in WIDTHS:
            if (lang, width) == ("ru", 1366):
                continue
            for who in ("demo@kosmmos.local", "client@kosmmos.local"):
                ctx = chromium_browser.new_context(viewport={"width": width, "height": 900})
                again = ctx.new_page()
                walk_again = Walk(again, base)
                sign_in(again, base, who)
                _language(again, lang)
                for name, path, owner in walk.seen:
                    if owner == who:
                        again.goto(base + path)
                        walk_again.check(name, who, lang, width)
                walk.problems += walk_again.problems
                ctx.close()
    assert not walk.problems, "\n".join(walk.problems)


def _as(page, base: str, who: str) -> None:
    page.context.clear_cookies()
    sign_in(page, base, who)


def _first_workspace(page, base: str, who: str) -> str:
    _as(page, base, who)
    page.goto(f"{base}/workspaces/")
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    return next(h for h in hrefs if re.fullmatch(rf"/workspaces/{UUID}/", h or ""))


def _language(page, lang: str) -> None:
    button = f"button[name=language][value={lang}]"
    if page.locator(button).count():
        with page.expect_navigation():
            page.evaluate(f"document.querySelector('{button}').click()")
