"""Reading other people's public communities: the contract the network folders implement.

No credentials of the community's owner are used. What each network needs from the agency
(``keys``, decrypted by the caller): VK an application's service token (``vk_service_token``),
OK the application keys (``ok_application_key``, ``ok_secret_key``), Telegram nothing (the public
preview page) or a TGStat token (``tgstat_token``) for post search; the sandbox takes any key.

``read(network, handle, keys)`` answers a ``Snapshot`` (the community's name, followers and its
newest posts); ``search(network, query, keys, since)`` answers ``Found`` posts that mention a
query. Errors are the connector contract's (``ConnectorError``, ``RateLimited``).

Rate limits are counted across processes (``lib.ratelimit.Window``, per network and key): every
call first takes a slot, waiting up to ``MAX_WAIT`` for the next window, else raises
``RateLimited`` so the job is put back. A window of ``RATES[n]`` calls a second never exceeds a
network's token bucket of that rate with a burst of twice the rate (the sandbox's own rule).
"""

from __future__ import annotations

import hashlib
import importlib
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from kosmmos.connectors.base import ConnectorError, RateLimited
from kosmmos.lib.ratelimit import Window

NETWORKS = ("vk", "ok", "telegram", "sandbox")
# Calls per second per key. VK: 3 req/s for a service token (facts §2, from vk-io); OK publishes
# none (the connector's own pace); t.me has no published limit — one page a second is polite;
# TGStat counts requests per month, not per second; the sandbox enforces 20/s per key.
RATES = {"vk": 3, "ok": 5, "telegram": 1, "tgstat": 5, "sandbox": 20}
MAX_WAIT = 2.0
# Swappable for tests.
sleep: Callable[[float], None] = time.sleep


# Post formats, the same words on every network.
TEXT, PHOTO, VIDEO, LINK, POLL, OTHER = "text", "photo", "video", "link", "poll", "other"
FORMATS = (TEXT, PHOTO, VIDEO, LINK, POLL, OTHER)


@dataclass
class PublicPost:
    external_id: str  # unique within the community
    published_at: datetime
    text: str
    url: str
    format: str = TEXT
    likes: int = 0
    comments: int = 0
    reposts: int = 0
    views: int = 0
    marked_ad: bool = False  # the network's own ad mark (VK marked_as_ads)


@dataclass
class Snapshot:
    external_id: str
    name: str
    url: str
    followers: int | None
    posts: list[PublicPost] = field(default_factory=list)


@dataclass
class Found:
    """A post that mentions the query, anywhere on the network."""

    network: str
    external_id: str  # unique on the network
    published_at: datetime
    text: str
    url: str
    author: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


READERS = {
    "vk": "kosmmos.connectors.vk.public",
    "ok": "kosmmos.connectors.ok.public",
    "telegram": "kosmmos.connectors.telegram.public",
    "sandbox": "kosmmos.connectors.sandbox.public",
}


def _module(network: str) -> Any:
    if network not in READERS:
        raise ConnectorError(f"no public reader for {network}", permanent=True)
    return importlib.import_module(READERS[network])


def read(network: str, handle: str, keys: Mapping[str, str]) -> Snapshot:
    snapshot: Snapshot = _module(network).read(handle, keys)
    return snapshot


def search(network: str, query: str, keys: Mapping[str, str], since: datetime) -> list[Found]:
    """Posts mentioning ``query`` since ``since``; [] for a network that cannot search (or
    lacks the key it needs)."""
    searcher = getattr(_module(network), "search", None)
    return list(searcher(query, keys, since)) if searcher else []


def can_search(network: str, keys: Mapping[str, str]) -> bool:
    checker = getattr(_module(network), "can_search", None)
    return bool(checker and checker(keys))


def take_slot(scope: str, key: str) -> None:
    """One call's slot in ``scope``'s window for ``key``: waits for the next window up to
    MAX_WAIT, else RateLimited."""
    window = Window(f"pub-{scope}", RATES[scope], 1)
    who = hashlib.sha256(key.encode()).hexdigest()[:16]
    waited = 0.0
    while not window.take(who):
        wait = window.retry_after() + 0.01
        if waited + wait > MAX_WAIT:
            raise RateLimited(f"{scope}: our own rate limit, next slot in {wait:.0f} s",
                              retry_after=max(wait, 1.0))
        sleep(wait)
        waited += wait


# --- addresses ---------------------------------------------------------------------------------

HANDLE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
HOSTS = {"vk.com": "vk", "m.vk.com": "vk", "vk.ru": "vk", "m.vk.ru": "vk",
         "ok.ru": "ok", "m.ok.ru": "ok", "t.me": "telegram", "telegram.me": "telegram"}


class BadAddress(ValueError):
    pass


def parse_address(text: str, network: str = "") -> tuple[str, str]:
    """``(network, handle)`` from a link (vk.com/club1, vk.com/name, ok.ru/group/123, t.me/name,
    t.me/s/name, sandbox:pub-1) or an ``@name`` with ``network`` chosen; BadAddress otherwise.
    Handles are canonical: VK clubN/publicN → the digits, lower case for names."""
    raw = text.strip()
    if raw.startswith("sandbox:"):
        network, path = "sandbox", raw[len("sandbox:"):]
    elif raw.startswith("@") or ("/" not in raw and "." not in raw):
        if network not in NETWORKS:
            raise BadAddress("choose the network for a name")
        path = raw.lstrip("@")
    else:
        parts = urlsplit(raw if "://" in raw else f"https://{raw}")
        host = (parts.hostname or "").lower().removeprefix("www.")
        if host not in HOSTS:
            raise BadAddress("not a VK, OK or Telegram address")
        network = HOSTS[host]
        segments = [s for s in parts.path.split("/") if s]
        if network == "telegram" and segments[:1] == ["s"]:
            segments = segments[1:]
        if network == "ok" and segments[:1] == ["group"]:
            segments = segments[1:]
        if not segments:
            raise BadAddress("the address names no community")
        path = segments[0]
    handle = path.strip().lower()
    if network == "vk":
        found = re.fullmatch(r"(?:club|public|event)(\d+)", handle)
        handle = found.group(1) if found else handle
    if not HANDLE.fullmatch(handle):
        raise BadAddress("not a community name")
    return network, handle


def link(network: str, handle: str) -> str:
    """The community's public address."""
    if network == "vk":
        return f"https://vk.com/{'club' + handle if handle.isdigit() else handle}"
    if network == "ok":
        return f"https://ok.ru/group/{handle}" if handle.isdigit() else f"https://ok.ru/{handle}"
    if network == "telegram":
        return f"https://t.me/{handle}"
    return f"sandbox:{handle}"
