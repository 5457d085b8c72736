"""Public communities and a public search on the sandbox network (prefix ``/pub``).

Any handle ``pub-…`` is a community with its own posting pattern, a pure function of the seed,
the handle and the time: a follower base and daily growth, one to eight posts a day at its own
hours, formats and engagement around its own level, now and then an ad («Реклама», erid). A
community configured with ``spike_day`` (days before now) has, on that day, a giveaway post with
ten times its usual engagement and a jump of followers. ``/pub/search`` finds the posts that
mention a query, a steady trickle per query with a surge on the query's ``spike_day``.

The clock is the real time plus ``offset`` seconds (``POST /pub/_clock``), so a bench can replay
a day of polling in minutes. Reads are limited per key (a token bucket of ``RATE`` a second with a
burst of ``BURST``, like a network's); over it → 429 and one ``violations`` counted. Every read of
a community is counted per (community, clock hour) for ``GET /pub/_stats``.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from kosmmos.connectors.sandbox.ext.base import Answer, Call, route, state, touch

PREFIX = "pub-"
RATE, BURST = 20.0, 40.0
HISTORY_DAYS = 42
# A community nobody configured has posted since this moment (2026-01-01 UTC).
ORIGIN = 1_767_225_600.0
WALL = 100
FORMATS = ("text", "photo", "photo", "video", "link", "poll")
TEXTS = (
    "Новая коллекция уже в продаже", "Как выбрать подарок: пять советов",
    "Отвечаем на вопросы подписчиков", "За кулисами: как мы работаем",
    "Подборка товаров недели", "Отзыв покупательницы о нашем сервисе",
)
MENTIONS = (
    ("Купила в {q} — очень довольна, рекомендую", "positive"),
    ("Кто-нибудь пробовал {q}? Стоит своих денег?", "neutral"),
    ("{q} опять задержали доставку, ужасный сервис", "negative"),
    ("Видели новую рекламу {q}?", "neutral"),
    ("{q} — лучший магазин в городе", "positive"),
    ("Больше никогда не закажу в {q}, обман", "negative"),
)


def _unit(*parts: object) -> float:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _state(call: Call) -> dict[str, Any]:
    found: dict[str, Any] = state(call.net, "pub", empty)
    return found


# Counters live in memory only (a bench reads them while the sandbox runs).
_counts: dict[str, Any] = {"fetches": {}, "violations": 0, "calls": 0, "searches": 0}
_buckets: dict[str, list[float]] = {}


def reset_counts() -> None:
    _counts.update(fetches={}, violations=0, calls=0, searches=0)
    _buckets.clear()


def now(pub: dict[str, Any]) -> float:
    return time.time() + float(pub.get("offset") or 0.0)


def _over_limit(key: str) -> float:
    """Take one token of ``key``'s bucket; the wait when it is empty (then nothing is taken)."""
    moment = time.monotonic()
    tokens, stamp = _buckets.get(key, [BURST, moment])
    tokens = min(BURST, tokens + (moment - stamp) * RATE)
    if tokens < 1:
        _buckets[key] = [tokens, moment]
        return (1 - tokens) / RATE
    _buckets[key] = [tokens - 1, moment]
    return 0.0


def community(pub: dict[str, Any], seed: int, handle: str) -> dict[str, Any]:
    conf = dict(pub["communities"].get(handle) or {})
    base = int(conf.get("followers") or 500 + _unit(seed, "f", handle) * 40000)
    return {
        "handle": handle, "id": int(_unit(seed, "id", handle) * 10**9),
        "name": conf.get("name") or f"Сообщество {handle}",
        "followers": base, "growth": base * (0.001 + 0.004 * _unit(seed, "g", handle)),
        "per_day": float(conf.get("per_day") or 1 + int(_unit(seed, "p", handle) * 8)),
        "level": float(conf.get("level") or 0.005 + 0.03 * _unit(seed, "l", handle)),
        "spike_day": conf.get("spike_day"), "created": float(conf.get("created") or 0),
    }


def followers(c: dict[str, Any], at: float, start: float) -> int:
    days = max(0.0, (at - start) / 86400)
    count = c["followers"] + c["growth"] * days
    if c["spike_day"] is not None and at >= _spike_at(c, start):
        count += c["followers"] * 0.15
    return int(count)


def _spike_at(c: dict[str, Any], start: float) -> float:
    # spike_day counts back from the moment the community was configured (start + history).
    return start + (HISTORY_DAYS - float(c["spike_day"])) * 86400 + 12 * 3600


def posts(c: dict[str, Any], seed: int, start: float, until: float) -> list[dict[str, Any]]:
    """Every post from ``start`` to ``until``, oldest first; number n is published at a fixed
    moment, so a post is the same on every read."""
    gap = 86400 / c["per_day"]
    out: list[dict[str, Any]] = []
    first = max(0, int((until - start) / gap) - WALL - 1)
    spike = _spike_at(c, start) if c["spike_day"] is not None else None
    for n in range(first, int((until - start) / gap) + 1):
        at = start + n * gap + _unit(seed, "t", c["handle"], n) * gap * 0.5
        if at > until:
            break
        u = [_unit(seed, "post", c["handle"], n, i) for i in range(5)]
        views = int(c["followers"] * (0.1 + 0.3 * u[0]))
        engaged = views * c["level"] * (0.5 + u[1])
        text = TEXTS[int(u[2] * len(TEXTS))]
        is_spike = spike is not None and spike <= at < spike + gap
        if is_spike:
            engaged, views = engaged * 10, views * 3
            text = "Большой розыгрыш! Подпишитесь и сделайте репост — разыграем подарки"
        ad = u[3] < 0.1
        if ad:
            text = f"Реклама. ООО «Партнёр», erid: 2Vtzq{n}. {text}"
        age = min(1.0, (until - at) / 86400)  # counters grow over the first day
        out.append({
            "id": n + 1, "date": int(at), "text": text, "format": FORMATS[int(u[4] * 6)],
            "likes": int(engaged * 0.8 * age), "comments": int(engaged * 0.1 * age),
            "reposts": int(engaged * 0.1 * age), "views": int(views * age), "ad": ad,
        })
    return out


def _read(call: Call, pub: dict[str, Any], handle: str) -> Answer:
    seed = call.net.seed
    c = community(pub, seed, handle)
    moment = now(pub)
    start = (c["created"] or ORIGIN) - HISTORY_DAYS * 86400
    hour = str(int(moment // 3600))
    per_hour = _counts["fetches"].setdefault(handle, {})
    per_hour[hour] = per_hour.get(hour, 0) + 1
    wall = posts(c, seed, start, moment)[-WALL:]
    return 200, {"id": c["id"], "handle": handle, "name": c["name"],
                 "followers": followers(c, moment, start), "posts": wall[::-1]}, []


def _search(call: Call, pub: dict[str, Any]) -> Answer:
    query = call.query.get("q", "").strip()[:200]
    if not query:
        return 400, {"error": "invalid", "message": "q is required"}, []
    moment = now(pub)
    since = max(float(call.query.get("since") or 0), moment - 7 * 86400)
    conf = pub["queries"].get(query.lower(), {})
    per_hour = float(conf.get("per_hour") or 0.5)
    spike = conf.get("spike_at")
    spike_rate = float(conf.get("spike_per_hour") or per_hour * 8)
    items = []
    hour = int(since // 3600)
    while hour * 3600 <= moment:
        rate = (spike_rate if spike is not None and spike - 3600 < hour * 3600 < spike + 6 * 3600
                else per_hour)
        count = int(rate) + (1 if _unit(call.net.seed, "m", query, hour) < rate % 1 else 0)
        for i in range(count):
            at = hour * 3600 + int(_unit(call.net.seed, "mt", query, hour, i) * 3600)
            if since <= at <= moment and (spike is None or rate == per_hour or at >= spike):
                template, _mood = MENTIONS[int(_unit(call.net.seed, "mx", query, hour, i) * 6)]
                items.append({"id": f"{hour}-{i}", "date": at,
                              "text": template.format(q=query),
                              "author": f"user{int(_unit(call.net.seed, 'a', hour, i) * 10**6)}",
                              "url": f"sandbox:search/{hour}-{i}"})
        hour += 1
    _counts["searches"] += 1
    return 200, {"items": items[-200:][::-1]}, []


def empty() -> dict[str, Any]:
    return {"offset": 0.0, "communities": {}, "queries": {}}


def configure(pub: dict[str, Any], body: dict[str, Any]) -> None:
    """``{communities: {handle: {name, followers, per_day, level, spike_day, created}},
    queries: {q: {per_hour, spike_per_hour, spike_hours_ago}}}``; ``created`` (unix time,
    default now) is when the community's 42 days of history end."""
    moment = now(pub)
    for handle, conf in (body.get("communities") or {}).items():
        if str(handle).startswith(PREFIX) and isinstance(conf, dict):
            pub["communities"][str(handle)] = {**conf, "created": float(
                conf.get("created") or moment)}
    for query, conf in (body.get("queries") or {}).items():
        if isinstance(conf, dict):
            spike = conf.get("spike_hours_ago")
            pub["queries"][str(query).lower()] = {
                "per_hour": conf.get("per_hour"), "spike_per_hour": conf.get("spike_per_hour"),
                "spike_at": None if spike is None else moment - float(spike) * 3600}


@route("pub")
async def handle(call: Call) -> Answer:
    pub = _state(call)
    parts = call.parts
    if parts[:1] == ["_stats"] and call.method == "GET":
        rounds = [n for hours in _counts["fetches"].values() for n in hours.values()]
        return 200, {"communities": len(_counts["fetches"]), "calls": _counts["calls"],
                     "max_fetches_per_round": max(rounds, default=0),
                     "violations": _counts["violations"], "searches": _counts["searches"],
                     "now": now(pub)}, []
    if parts[:1] == ["_reset"] and call.method == "POST":
        reset_counts()
        return 200, {"ok": True}, []
    if parts[:1] == ["_clock"] and call.method == "POST":
        body = await call.body()
        pub["offset"] = float(pub.get("offset") or 0) + float(body.get("advance") or 0)
        touch(call.net, "pub")
        return 200, {"now": now(pub)}, []
    if parts[:1] == ["_setup"] and call.method == "PUT":
        configure(pub, await call.body())
        touch(call.net, "pub")
        return 200, {"ok": True}, []
    if call.method != "GET":
        return 405, {"error": "method_not_allowed"}, []
    key = call.header("authorization").removeprefix("Bearer ").strip()
    if not key:
        return 401, {"error": "auth_required"}, []
    _counts["calls"] += 1
    wait = _over_limit(key)
    if wait:
        _counts["violations"] += 1
        wait = round(max(wait, 0.05), 2)
        return 429, {"error": "rate_limited", "retry_after": wait}, [
            (b"retry-after", str(math.ceil(wait)).encode())]
    if len(parts) == 2 and parts[0] == "communities":
        if not parts[1].startswith(PREFIX) or len(parts[1]) > 64:
            return 404, {"error": "not_found"}, []
        return _read(call, pub, parts[1])
    if parts == ["search"]:
        return _search(call, pub)
    return 404, {"error": "not_found"}, []
