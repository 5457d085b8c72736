"""The redirect service in-process (httpx.ASGITransport), the spool, the flusher and rollups."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from kosmmos.conftest import World
from kosmmos.links import actions, clickids
from kosmmos.links.events import SQLiteEventStore, get_store
from kosmmos.links.flusher import drain_once
from kosmmos.links.redirect import RedirectApp
from kosmmos.links.rollups import rollup_all
from kosmmos.links.spool import SpoolWriter, format_line, segments
from kosmmos.links.tests.conftest import visit

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[3]


def _link(world: World, target: str = "https://shop.example/sale?x=1#buy") -> Any:
    return actions.create_link(world.alpha.client_workspace, target_url=target, network="vk",
                               post_ref="post-7")


def test_it_redirects_to_the_stored_target_with_a_click_id(world: World, redirect_app: RedirectApp,
                                                            settings: Any) -> None:
    link = _link(world)
    response = visit(redirect_app, f"/{link.code}", referer="https://vk.com/wall-1_2")
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "shop.example", "/sale")
    assert location.fragment == "buy"
    query = parse_qs(location.query)
    assert query["utm_source"] == ["vk"] and query["utm_content"] == ["post-7"] and query["x"] == ["1"]
    kid = query["kid"][0]
    parsed = clickids.parse(kid)
    assert parsed is not None and parsed.code == link.code
    assert response.headers["cache-control"] == "private, no-store"
    # Nothing was written to a database in the request: the click is in the spool only.
    assert get_store().count_raw(world.alpha.client_workspace.pk) == 0
    assert drain_once(get_store(), settings.LINKS_SPOOL_DIR) == 1
    stored = get_store().clicks(world.alpha.client_workspace.pk, 0, 2**62)
    assert [(c.click_id, c.link_id, c.referrer, c.device, c.is_bot) for c in stored] == [
        (kid, link.pk, "vk.com", "mobile", False)
    ]


def test_it_lets_nothing_in_the_request_choose_the_target(world: World, redirect_app: RedirectApp) -> None:
    link = _link(world)
    for path in (f"/{link.code}?url=https://evil.example", f"/{link.code}/https://evil.example",
                 f"/{link.code}?next=javascript:alert(1)", "//evil.example", "/https://evil.example",
                 f"/{link.code}%0d%0aLocation:%20https://evil.example"):
        response = visit(redirect_app, path)
        location = response.headers.get("location", "")
        assert "evil.example" not in location and "javascript" not in location, path
        if response.status_code == 302:
            assert location.startswith("https://shop.example/sale?")


def test_it_never_redirects_to_a_script_even_if_the_row_was_tampered_with(
    world: World, redirect_app: RedirectApp,
) -> None:
    link = _link(world)
    type(link).objects.filter(pk=link.pk).update(target_url="javascript:alert(1)")
    redirect_app.load_all()
    response = visit(redirect_app, f"/{link.code}")
    assert response.status_code == 404
    assert "location" not in response.headers


def test_it_answers_unknown_codes_with_a_friendly_page(world: World, redirect_app: RedirectApp) -> None:
    response = visit(redirect_app, "/zzzzzzzz")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Ссылка не найдена" in body and "Link not found" in body
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_it_serves_a_link_created_after_start_up_and_drops_a_disabled_one(
    world: World, redirect_app: RedirectApp,
) -> None:
    redirect_app.load_all()
    link = _link(world)
    assert visit(redirect_app, f"/{link.code}").status_code == 302  # looked up on a miss
    link.is_active = False
    link.save(update_fields=["is_active", "updated_at"])
    found, _ = redirect_app.source.load(redirect_app.since)
    redirect_app.apply(found)
    assert visit(redirect_app, f"/{link.code}").status_code == 404


def test_it_flags_bots_and_leaves_them_out_of_counts(world: World, redirect_app: RedirectApp,
                                                      settings: Any) -> None:
    link = _link(world)
    visit(redirect_app, f"/{link.code}")
    visit(redirect_app, f"/{link.code}", ua="TelegramBot (like TwitterBot)")
    visit(redirect_app, f"/{link.code}", ua="Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)")
    visit(redirect_app, f"/{link.code}", ua="")
    visit(redirect_app, f"/{link.code}", method="HEAD")  # unfurlers: redirected, not recorded
    drain_once(get_store(), settings.LINKS_SPOOL_DIR)
    rollup_all()
    ws = world.alpha.client_workspace.pk
    totals = get_store().link_totals(ws, 0, 2**62)[link.pk]
    assert (totals.clicks, totals.bot_clicks) == (1, 3)
    assert len(get_store().clicks(ws, 0, 2**62)) == 1
    assert len(get_store().clicks(ws, 0, 2**62, include_bots=True)) == 4


def test_it_rolls_up_idempotently_with_two_tickers(world: World, redirect_app: RedirectApp,
                                                    settings: Any) -> None:
    link = _link(world)
    for _ in range(3):
        visit(redirect_app, f"/{link.code}")
    drain_once(get_store(), settings.LINKS_SPOOL_DIR)
    assert rollup_all() == 1 and rollup_all() == 0
    visit(redirect_app, f"/{link.code}")
    drain_once(get_store(), settings.LINKS_SPOOL_DIR)
    # A second ticker finding nothing to claim, then the first: still exact counts.
    get_store().rollup_dirty(10)
    get_store().rollup_dirty(10)
    hours = get_store().hourly_totals(world.alpha.client_workspace.pk, 0, 2**62)
    assert sum(c for _, c, _ in hours) == 4


def test_it_neither_loses_nor_duplicates_when_flushing_twice(world: World, settings: Any) -> None:
    ws, link = uuid.uuid4(), uuid.uuid4()
    writer = SpoolWriter(settings.LINKS_SPOOL_DIR)
    for i in range(10):
        writer.write(format_line(1_700_000_000_000 + i, f"kid{i}", f"{ws.hex}\t{link.hex}", "", "chrome\tmobile\t0"))
    writer.write("garbage line\n")
    store = get_store()
    assert drain_once(store, settings.LINKS_SPOOL_DIR) == 10
    assert drain_once(store, settings.LINKS_SPOOL_DIR) == 0
    writer.close()
    assert drain_once(store, settings.LINKS_SPOOL_DIR) == 0
    assert segments(settings.LINKS_SPOOL_DIR) == []  # sealed and fully read: deleted
    assert store.count_raw(ws) == 10


def _flusher(tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KOSMMOS_VAR": str(tmp_path / "var"), "LINKS_EVENTS_BACKEND": "sqlite",
           "LINKS_EVENTS_PATH": str(tmp_path / "flushed.sqlite3"), "LINKS_SPOOL_DIR": str(tmp_path / "spool")}
    env.pop("DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "kosmmos.links.flusher"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _write(tmp_path: Path, ws: uuid.UUID, n: int, start: int = 0) -> SpoolWriter:
    writer = SpoolWriter(tmp_path / "spool")
    for i in range(start, start + n):
        ids = f"{ws.hex}\t{uuid.UUID(int=7).hex}"
        writer.write(format_line(1_700_000_000_000 + i, f"k{i}", ids, "", "x\tdesktop\t0"))
    return writer


def test_it_drains_the_spool_on_a_graceful_stop(tmp_path: Path) -> None:
    ws = uuid.uuid4()
    proc = _flusher(tmp_path)
    try:
        time.sleep(1.5)  # running and idle
        writer = _write(tmp_path, ws, 30_000)
        proc.send_signal(signal.SIGTERM)  # at once: most of it is still unread
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    writer.close()
    assert SQLiteEventStore(tmp_path / "flushed.sqlite3").count_raw(ws) == 30_000


def test_it_loses_nothing_when_the_flusher_is_killed(tmp_path: Path) -> None:
    ws = uuid.uuid4()
    writer = _write(tmp_path, ws, 50_000)
    proc = _flusher(tmp_path)
    time.sleep(2.0)
    proc.send_signal(signal.SIGKILL)  # possibly in the middle of a batch
    proc.wait(timeout=10)
    _write(tmp_path, ws, 1_000, start=50_000).close()
    writer.close()
    proc = _flusher(tmp_path)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert SQLiteEventStore(tmp_path / "flushed.sqlite3").count_raw(ws) == 51_000
