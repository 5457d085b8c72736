"""Coarse user-agent classes for clicks: browser family, device, and whether it is a bot.

Link-preview fetchers (VK, Telegram, OK, messengers) and crawlers are bots: their requests are
stored with ``is_bot`` and left out of every count. Deliberately coarse: we do not keep the user
agent itself (less personal data, smaller rows).
"""

from __future__ import annotations

import re

_BOT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|vkshare|telegrambot|facebookexternalhit|whatsapp|"
    r"skypeuripreview|slackbot|discordbot|odklbot|yandex(?!browser)|googlebot|bingbot|"
    r"headless|phantomjs|curl/|wget/|python-|httpx|go-http-client|java/|okhttp|libwww|"
    r"scrapy|axios|node-fetch|apache-httpclient|monitor|uptime|lighthouse",
    re.IGNORECASE,
)
_FAMILIES = (
    ("yabrowser", "yandex"), ("edg/", "edge"), ("opr/", "opera"), ("firefox/", "firefox"),
    ("chrome/", "chrome"), ("safari/", "safari"),
)

_cache: dict[str, str] = {}


def classify(user_agent: str) -> str:
    """``"class\\tdevice\\tbot"`` — the spool's three UA columns, cached per distinct UA."""
    found = _cache.get(user_agent)
    if found is not None:
        return found
    if len(_cache) > 20_000:
        _cache.clear()
    value = _classify(user_agent)
    _cache[user_agent] = value
    return value


def _classify(ua: str) -> str:
    if not ua.strip():
        return "none\tunknown\t1"
    low = ua.lower()
    if _BOT.search(low):
        return "bot\tbot\t1"
    family = next((name for needle, name in _FAMILIES if needle in low), "other")
    if "ipad" in low or "tablet" in low:
        device = "tablet"
    elif "mobi" in low or "android" in low or "iphone" in low:
        device = "mobile"
    else:
        device = "desktop"
    return f"{family}\t{device}\t0"
