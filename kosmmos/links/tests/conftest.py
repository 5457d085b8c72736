"""Fixtures of the money tests: a private event store and spool per test, no DNS, and the
redirect ASGI app called in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync

from kosmmos.links.redirect import RedirectApp
from kosmmos.links.spool import SpoolWriter

BASE = "http://go.kosmmos.test"
BROWSER_UA = ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0 Mobile Safari/537.36")


@pytest.fixture(autouse=True)
def _links_settings(settings: Any, tmp_path: Path) -> None:
    settings.LINKS_BASE_URL = BASE
    settings.LINKS_SPOOL_DIR = tmp_path / "spool"
    settings.LINKS_EVENTS_PATH = tmp_path / "events.sqlite3"
    settings.KOSMMOS_RESOLVE_URLS = False


@pytest.fixture
def redirect_app(settings: Any) -> Iterator[RedirectApp]:
    app = RedirectApp(threaded=False, spool=SpoolWriter(settings.LINKS_SPOOL_DIR))
    app._setup()
    yield app
    app.spool.close()


def visit(app: RedirectApp, path: str, *, method: str = "GET", ua: str = BROWSER_UA,
          referer: str = "") -> httpx.Response:
    headers = {"User-Agent": ua}
    if referer:
        headers["Referer"] = referer
    if not ua:
        headers = {k: v for k, v in headers.items() if k != "User-Agent"}

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            if not ua:
                client.headers.pop("User-Agent", None)
            return await client.request(method, path, headers=headers, follow_redirects=False)

    # async_to_sync: the app's database calls (sync_to_async) run back in this thread.
    return async_to_sync(go)()
