"""The redirect service: a raw ASGI callable, no framework (performance-anchors.md: raw ASGI on
granian serves ~3x Starlette and ~10x Django).

``GET /<code>`` → 302 to the stored link's destination with ``kid=<click id>`` appended. The
target comes only from the database row (validated when saved); nothing in the request can
change it, and a last check refuses anything but http(s). Unknown or inactive code → a small
404 page in Russian and English.

Links are served from an in-process dict filled at start-up and refreshed every
``LINKS_CACHE_REFRESH_S`` (rows changed since the last look, through the Django ORM in a thread);
a code not in the dict is looked up once in the database (in a thread) and a miss is remembered
for a few seconds, so a scanner cannot turn into database load.

Each redirect appends one line to the click spool (``spool.py``): no database write in the
request path. The flusher process moves the lines into the event store.

Served by granian: ``kosmmos redirect --port 8001`` (see ``service.py``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from kosmmos.links.classify import classify
from kosmmos.links.spool import format_line

log = logging.getLogger("kosmmos.links.redirect")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

NOT_FOUND_HTML = """<!doctype html><html lang="ru"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>Ссылка не найдена / Link not found</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1rem;color:#1f2937}
h1{font-size:1.4rem}p{color:#4b5563}hr{border:0;border-top:1px solid #e5e7eb;margin:1.5rem 0}</style></head>
<body><h1>Ссылка не найдена</h1>
<p>Возможно, ссылка устарела или в ней опечатка. Проверьте адрес или вернитесь к посту, из которого пришли.</p>
<hr><h1 lang="en">Link not found</h1>
<p lang="en">This link has expired or contains a typo. Check the address or go back to the post you came from.</p>
</body></html>""".encode()

NOT_FOUND_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"content-length", str(len(NOT_FOUND_HTML)).encode()),
    (b"cache-control", b"no-store"),
    (b"x-robots-tag", b"noindex"),
]
MISS_TTL_S = 5.0
MAX_MISSES = 100_000
FULL_RELOAD_S = 300.0
OVERLAP = timedelta(seconds=5)


@dataclass(frozen=True)
class Entry:
    """What a redirect needs, precomputed: Location = ``before`` + kid + ``fragment``."""

    code: str
    before: str
    fragment: str
    ids: str  # "workspace hex\tlink hex" for the spool line


def make_entry(code: str, destination: str, workspace_hex: str, link_hex: str) -> Entry | None:
    from kosmmos.links.targets import is_safe_location

    if not is_safe_location(destination):
        return None  # never javascript:, data:, or a header-splitting value
    url, _, fragment = destination.partition("#")
    before = url + ("&" if urlsplit(url).query else ("" if url.endswith("?") else "?")) + "kid="
    return Entry(code, before, f"#{fragment}" if fragment else "", f"{workspace_hex}\t{link_hex}")


class LinkSource:
    """Reads links from the database (Django ORM; call from a thread, never the event loop)."""

    def load(self, since: datetime | None = None) -> tuple[dict[str, Entry | None], datetime]:
        """Active links (full load) or every link changed since ``since`` (None = disabled).

        Returns the watermark for the next call: the start of this read less an overlap, so a
        row committed late with an earlier ``updated_at`` is still seen (the full reload every
        few minutes covers the rest).
        """
        from django.utils import timezone

        from kosmmos.links.models import TrackedLink

        watermark = timezone.now() - OVERLAP
        rows = TrackedLink.objects.select_related("campaign")
        # A full load takes active links; a refresh also takes disabled ones (to drop them).
        rows = rows.filter(updated_at__gte=since) if since is not None else rows.filter(is_active=True)
        found: dict[str, Entry | None] = {}
        for link in rows.iterator(chunk_size=2000):
            found[link.code] = self._entry(link) if link.is_active else None
        return found, watermark

    def one(self, code: str) -> Entry | None:
        from kosmmos.links.models import TrackedLink

        link = TrackedLink.objects.select_related("campaign").filter(code=code, is_active=True).first()
        return self._entry(link) if link else None

    @staticmethod
    def _entry(link: Any) -> Entry | None:
        return make_entry(link.code, link.destination(), link.workspace_id.hex, link.pk.hex)


class RedirectApp:
    def __init__(self, source: LinkSource | None = None, spool: Any = None, *,
                 threaded: bool = True) -> None:
        self.source = source or LinkSource()
        self._spool = spool
        # Tests run the app through async_to_sync: database calls go back to the test's thread.
        self.threaded = threaded
        self.links: dict[str, Entry] = {}
        self.misses: dict[str, float] = {}
        self.loaded = False
        self.since: datetime | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._kids: Any = None
        self._loading: asyncio.Lock | None = None
        self.served = 0

    # --- set-up ---------------------------------------------------------------------------------
    def _setup(self) -> None:
        from django.conf import settings

        from kosmmos.links.clickids import KidMaker
        from kosmmos.links.spool import SpoolWriter

        if self._spool is None:
            self._spool = SpoolWriter(settings.LINKS_SPOOL_DIR)
        self._kids = KidMaker()

    @property
    def spool(self) -> Any:
        return self._spool

    async def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.threaded:
            return await asyncio.get_running_loop().run_in_executor(None, _fresh, fn, *args)
        # Tests: back in the caller's thread (async_to_sync), inside its transaction.
        from asgiref.sync import sync_to_async

        return await sync_to_async(fn, thread_sensitive=True)(*args)

    def load_all(self) -> None:
        """Fill the cache (synchronously; start-up and tests)."""
        if self._kids is None:
            self._setup()
        found, newest = self.source.load()
        self.links = {code: entry for code, entry in found.items() if entry is not None}
        self.since = newest
        self.loaded = True
        # The cache and Django's modules are long-lived: move them out of the collector's
        # generations so a full collection does not walk them mid-request (tail latency).
        gc.collect()
        gc.freeze()

    def apply(self, found: dict[str, Entry | None]) -> None:
        for code, entry in found.items():
            if entry is None:
                self.links.pop(code, None)
            else:
                self.links[code] = entry
                self.misses.pop(code, None)

    async def refresh_forever(self) -> None:
        from django.conf import settings

        last_full = time.monotonic()
        while True:
            await asyncio.sleep(settings.LINKS_CACHE_REFRESH_S)
            try:
                if time.monotonic() - last_full > FULL_RELOAD_S:
                    await self._call(self.load_all)
                    last_full = time.monotonic()
                    continue
                found, self.since = await self._call(self.source.load, self.since)
                self.apply(found)
            except Exception:
                log.exception("link refresh failed; serving the cached links")

    # --- ASGI -----------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, send)
        elif kind == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._call(self.load_all)
                    self._refresher = asyncio.ensure_future(self.refresh_forever())
                except Exception as exc:
                    log.exception("redirect start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._refresher:
                    self._refresher.cancel()
                if self._spool is not None:
                    self._spool.close()  # seal: the flusher may delete it once read
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope: Scope, send: Send) -> None:
        if not self.loaded:
            await self._first_load()
        method = scope["method"]
        path: str = scope["path"]
        code = path[1:].rstrip("/")
        if code == "-/health":
            await _plain(send, 200, b"ok")
            return
        if method not in ("GET", "HEAD"):
            await _plain(send, 405, b"method not allowed")
            return
        entry = self.links.get(code)
        if entry is None:
            entry = await self._miss(code)
            if entry is None:
                await send({"type": "http.response.start", "status": 404, "headers": NOT_FOUND_HEADERS})
                await send({"type": "http.response.body", "body": NOT_FOUND_HTML if method == "GET" else b""})
                return
        now = time.time()
        kid = self._kids.make(code, now)
        if method == "GET":
            # HEAD is what link unfurlers send: redirect them, count nothing.
            self._record(scope, entry, kid, now)
        await send({"type": "http.response.start", "status": 302, "headers": [
            (b"location", (entry.before + kid + entry.fragment).encode()),
            (b"cache-control", b"private, no-store"),
            (b"content-length", b"0"),
        ]})
        await send({"type": "http.response.body", "body": b""})

    async def _first_load(self) -> None:
        """Servers without lifespan events: the first requests wait for one load, not many."""
        if self._loading is None:
            self._loading = asyncio.Lock()
        async with self._loading:
            if not self.loaded:
                await self._call(self.load_all)

    async def _miss(self, code: str) -> Entry | None:
        from kosmmos.links.models import CODE_LENGTH

        if len(code) != CODE_LENGTH or not code.isalnum():
            return None
        now = time.monotonic()
        if self.misses.get(code, 0) > now:
            return None
        entry = await self._call(self.source.one, code)
        if entry is None:
            if len(self.misses) > MAX_MISSES:
                self.misses.clear()
            self.misses[code] = now + MISS_TTL_S
            return None
        self.links[code] = entry
        return entry

    def _record(self, scope: Scope, entry: Entry, kid: str, now: float) -> None:
        ua = referrer = b""
        for name, value in scope["headers"]:
            if name == b"user-agent":
                ua = value
            elif name == b"referer":
                referrer = value
        ref = ""
        if referrer:
            try:
                host = urlsplit(referrer.decode("latin-1")).hostname or ""
            except ValueError:  # "http://[x": the click counts, its referrer is unknown
                host = ""
            ref = "".join(c for c in host if c.isalnum() or c in ".-")[:100]
        self._spool.write(format_line(int(now * 1000), kid, entry.ids, ref,
                                      classify(ua.decode("latin-1")[:512])))
        self.served += 1


def _fresh(fn: Callable[..., Any], *args: Any) -> Any:
    """Run in an executor thread with a usable database connection (a dropped one is replaced)."""
    from django.db import close_old_connections

    close_old_connections()
    return fn(*args)


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
    ]})
    await send({"type": "http.response.body", "body": body})


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kosmmos.settings")
    import django

    django.setup()


class _Lazy:
    """The module-level ``app`` for granian: Django is set up when the worker imports it."""

    def __init__(self) -> None:
        self.inner: RedirectApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.inner is None:
            _django()
            self.inner = RedirectApp()
            self.inner._setup()
        await self.inner(scope, receive, send)


app = _Lazy()
