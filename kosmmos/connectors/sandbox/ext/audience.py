"""Audience demographics of sandbox channels (prefix ``/aud``), in VK's ``stats.get`` shape so
the sandbox connector reads them with VK's own parser (``connectors/demographics.py``).

``GET /aud/method/stats.get?group_id=<channel>&timestamp_from=&timestamp_to=`` with a bearer
token answers ``{"response": [{period_from, period_to, visitors: {views, visitors, sex[], age[],
sex_age[], cities[]}}]}``: the channel's visitors (a share of its followers) split by sex, age
band and city, a pure function of the seed and the channel (the same answer for the same day).
A channel whose token is revoked gets VK's error 5; ``_fail`` makes the next ``n`` calls answer
error 10 (internal error, transient), to show a failed reading and its retry.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from kosmmos.connectors.sandbox.ext.base import Answer, Call, route

AGES = ("12-18", "18-21", "21-24", "24-27", "27-30", "30-35", "35-45", "45-100")
CITIES = ((1, "Москва"), (2, "Санкт-Петербург"), (49, "Екатеринбург"), (99, "Новосибирск"),
          (60, "Казань"), (95, "Нижний Новгород"), (72, "Краснодар"), (123, "Самара"))
_failures: dict[str, int] = {"left": 0}


def _unit(*parts: object) -> float:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _split(total: int, weights: list[float]) -> list[int]:
    whole = sum(weights) or 1.0
    return [int(total * w / whole) for w in weights]


def visitors(seed: int, cid: str, followers: int, start: int, end: int) -> dict[str, Any]:
    """One period's ``visitors`` block for channel ``cid``."""
    people = max(1, int(followers * (0.3 + 0.4 * _unit(seed, "aud", cid))))
    female = 0.35 + 0.4 * _unit(seed, "sex", cid)
    by_sex = {"f": int(people * female), "m": people - int(people * female)}
    peak = _unit(seed, "peak", cid) * (len(AGES) - 1)
    weights = [1.0 / (1.0 + (i - peak) ** 2) for i in range(len(AGES))]
    sex_age: list[dict[str, Any]] = []
    by_age = dict.fromkeys(AGES, 0)
    for sex, n in by_sex.items():
        for band, count in zip(AGES, _split(n, weights), strict=True):
            sex_age.append({"value": f"{sex};{band}", "count": count})
            by_age[band] += count
    age = [{"value": band, "count": n} for band, n in by_age.items()]
    city_weights = [(0.2 + _unit(seed, "city", cid, code)) / (1 + k)
                    for k, (code, _name) in enumerate(CITIES)]
    cities = [{"value": code, "name": name, "count": count} for (code, name), count in zip(
        CITIES, _split(int(people * 0.8), city_weights), strict=True)]
    return {"views": people * 3, "visitors": people,
            "sex": [{"value": k, "count": v} for k, v in by_sex.items()],
            "age": age, "sex_age": sex_age, "cities": cities}


def _error(code: int, message: str) -> Answer:
    return 200, {"error": {"error_code": code, "error_msg": message}}, []


@route("aud")
async def handle(call: Call) -> Answer:
    if call.parts == ["_fail"] and call.method == "POST":
        body = await call.body()
        _failures["left"] = int(body.get("n") or 1)
        return 200, {"ok": True}, []
    if call.parts != ["method", "stats.get"]:
        return 404, {"error": "not_found"}, []
    if not call.header("authorization").startswith("Bearer "):
        return _error(5, "User authorization failed: no access_token passed.")
    cid = call.query.get("group_id", "")
    if not cid:
        return _error(100, "One of the parameters specified was missing or invalid: group_id")
    if call.net.config(cid)["revoked"]:
        return _error(5, "User authorization failed: the access token was revoked.")
    if _failures["left"] > 0:
        _failures["left"] -= 1
        return _error(10, "Internal server error")
    now = int(time.time())
    try:
        end = min(now, int(call.query.get("timestamp_to") or now))
        start = int(call.query.get("timestamp_from") or end - 30 * 86400)
    except ValueError:
        return _error(100, "One of the parameters specified was missing or invalid: timestamp")
    block = visitors(call.net.seed, cid, call.net.followers(cid), start, end)
    return 200, {"response": [{"period_from": start, "period_to": end, "visitors": block}]}, []
