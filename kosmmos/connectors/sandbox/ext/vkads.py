"""A fake VK Ads cabinet under ``/vkads``: the API paths of ``connectors/vkads/client.py``.

Cabinets are made by the tests, the demo and the bench (``PUT /vkads/_admin/cabinets/{client_id}``
with ``{client_secret, campaigns, groups, banners, start, days, error_rate, rate_limit_rate,
url}``). Campaigns (ad_plans), ad groups and banners have ids derived from the cabinet's number;
a banner's daily statistics are a deterministic function of (cabinet, banner, day), a group's the
sum of its banners', a campaign's the sum of its groups' — so a cabinet's total spend is known to
the kopeck (``GET /vkads/_admin/cabinets/{client_id}`` answers it). ``error_rate`` answers 503 and
``rate_limit_rate`` 429 with ``Retry-After`` before any work, on any API call. Remarketing lists
keep their name, type, size and a few ids, never the whole file.

Rehearsal: a client id the sandbox does not know, asked for a token with the secret
``sandbox``, becomes a cabinet of three campaigns over the last 30 days on the spot (as the
sandbox's channels appear on first use) — what the demo and a person trying Kosmmos connect.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import secrets
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs

from kosmmos.connectors.sandbox.ext.base import Answer, Call, route, state, touch

NAME = "vkads"
REHEARSAL_SECRET = "sandbox"  # noqa: S105 (the sandbox's published rehearsal secret)
TOKEN_S = 86400
FILE_MAX_BYTES = 20 * 2**20


def _fresh() -> dict[str, Any]:
    return {"cabinets": {}, "tokens": {}, "refresh": {}, "lists": {}, "seq": 0, "list_seq": 0}


def _unit(*parts: object) -> float:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _error(status: int, code: str, message: str = "") -> Answer:
    return status, {"error": {"code": code, "message": message or code}}, []


# --- the cabinet's objects and statistics --------------------------------------------------------


def _plans(cab: dict[str, Any]) -> list[int]:
    return [cab["n"] * 10_000_000 + c for c in range(1, cab["campaigns"] + 1)]


def _groups(cab: dict[str, Any], plan: int) -> list[int]:
    c = plan % 10_000_000
    return [cab["n"] * 10_000_000 + 1_000_000 + c * 100 + g for g in range(cab["groups"])]


def _banners(cab: dict[str, Any], group: int) -> list[int]:
    g = group % 1_000_000
    return [cab["n"] * 10_000_000 + 5_000_000 + g * 10 + b for b in range(cab["banners"])]


def _banner_day(cab: dict[str, Any], banner: int, day: date) -> tuple[int, int, int, int, int]:
    start = date.fromisoformat(cab["start"])
    if not start <= day < start + timedelta(days=cab["days"]):
        return 0, 0, 0, 0, 0
    u = _unit(cab["n"], banner, day.isoformat())
    shows = 300 + int(u * 2000)
    clicks = int(shows * (0.004 + 0.02 * _unit("c", banner, day.isoformat())))
    spent = shows * (10_000 + int(20_000 * _unit("p", banner))) // 1000  # kopecks, CPM 100–300 ₽
    return shows, clicks, spent, clicks // 20, int(shows * 0.7)


def _stats(cab: dict[str, Any], level: str, oid: int, day: date) -> tuple[int, ...]:
    if level == "banners":
        return _banner_day(cab, oid, day)
    children = ([(b, "banners") for b in _banners(cab, oid)] if level == "ad_groups"
                else [(g, "ad_groups") for g in _groups(cab, oid)])
    total = [0, 0, 0, 0, 0]
    for child, child_level in children:
        for i, value in enumerate(_stats(cab, child_level, child, day)):
            total[i] += value
    return tuple(total)


def _owner(cab: dict[str, Any], level: str, oid: int) -> bool:
    if oid // 10_000_000 != cab["n"]:
        return False
    rest = oid % 10_000_000
    if level == "ad_plans":
        return 1 <= rest <= cab["campaigns"]
    if level == "ad_groups":
        return 1_000_000 <= rest < 5_000_000 and 1 <= (rest - 1_000_000) // 100 <= cab["campaigns"]
    return rest >= 5_000_000


def _objects(cab: dict[str, Any], level: str) -> list[dict[str, Any]]:
    plans = _plans(cab)
    if level == "ad_plans":
        return [{"id": p, "name": f"Кампания {p % 10_000_000}"} for p in plans]
    groups = [(g, p) for p in plans for g in _groups(cab, p)]
    if level == "ad_groups":
        return [{"id": g, "name": f"Группа {g % 1_000_000}", "ad_plan_id": p} for g, p in groups]
    return [{"id": b, "name": f"Объявление {b % 5_000_000}", "ad_group_id": g,
             "urls": {"primary": {"id": b, "url": cab.get("url") or "https://example.com/"}}}
            for g, _p in groups for b in _banners(cab, g)]


def _money(kopecks: int) -> str:
    return f"{kopecks // 100}.{kopecks % 100:02d}"


def cabinet_total(cab: dict[str, Any]) -> tuple[int, int]:
    """(spent in kopecks over every campaign and day, day rows at the three levels)."""
    start = date.fromisoformat(cab["start"])
    spent = rows = 0
    for plan in _plans(cab):
        for d in range(cab["days"]):
            spent += _stats(cab, "ad_plans", plan, start + timedelta(days=d))[2]
    per_day = cab["campaigns"] * (1 + cab["groups"] + cab["groups"] * cab["banners"])
    rows = per_day * cab["days"]
    return spent, rows


# --- the routes ------------------------------------------------------------------------------


@route(NAME)
async def handle(call: Call) -> Answer:
    data = state(call.net, NAME, _fresh)
    parts = call.parts
    if parts[:1] == ["_admin"]:
        return await _admin(call, data, parts[1:])
    path = "/" + "/".join(parts)
    if path == "/api/v2/oauth2/token.json" and call.method == "POST":
        return await _token(call, data)
    token = call.header("authorization").removeprefix("Bearer ").strip()
    held = data["tokens"].get(token)
    if held is None or held[1] < time.time():
        return _error(401, "invalid_token", "The access token is invalid or expired.")
    cab = data["cabinets"].get(held[0])
    if cab is None:
        return _error(401, "invalid_token")
    if call.net.rng.random() < float(cab.get("rate_limit_rate", 0)):
        return 429, {"error": {"code": "too_many_requests"}}, [(b"retry-after", b"1")]
    if call.net.rng.random() < float(cab.get("error_rate", 0)):
        return _error(503, "unavailable", "Try again later.")
    if call.method == "GET" and path in ("/api/v2/ad_plans.json", "/api/v2/ad_groups.json",
                                         "/api/v2/banners.json"):
        items = _objects(cab, parts[2].removesuffix(".json"))
        offset, limit = _int(call.query.get("offset"), 0), _int(call.query.get("limit"), 20)
        return 200, {"count": len(items), "offset": offset,
                     "items": items[offset:offset + min(limit, 250)]}, []
    if call.method == "GET" and len(parts) == 5 and parts[:3] == ["api", "v2", "statistics"]:
        return _statistics(call, cab, parts[3], parts[4])
    if parts[:4] == ["api", "v3", "remarketing", "users_lists.json"]:
        if call.method == "GET":
            mine = [v for v in data["lists"].values() if v["client_id"] == held[0]]
            offset, limit = _int(call.query.get("offset"), 0), _int(call.query.get("limit"), 20)
            return 200, {"count": len(mine), "items": mine[offset:offset + limit]}, []
        if call.method == "POST":
            return await _create_list(call, data, held[0])
    if (len(parts) == 5 and parts[:4] == ["api", "v3", "remarketing", "users_lists"]
            and call.method == "DELETE"):
        list_id = parts[4].removesuffix(".json")
        found = data["lists"].get(list_id)
        if found is None or found["client_id"] != held[0]:
            return _error(404, "not_found")
        del data["lists"][list_id]
        touch(call.net, NAME)
        return 204, None, []
    return _error(404, "not_found")


def _int(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() and len(value) < 9 else default


async def _token(call: Call, data: dict[str, Any]) -> Answer:
    form = {k: v[-1] for k, v in parse_qs((await call.raw()).decode(errors="replace")).items()}
    grant = form.get("grant_type", "")
    if grant == "refresh_token":
        client_id = data["refresh"].get(form.get("refresh_token", ""))
        if client_id is None:
            return _error(401, "invalid_grant", "Unknown refresh token.")
    else:
        client_id = form.get("client_id", "")
        cab = data["cabinets"].get(client_id)
        if (cab is None and form.get("client_secret") == REHEARSAL_SECRET and client_id
                and len(client_id) <= 100):
            cab = _new_cabinet(data, client_id, {"client_secret": REHEARSAL_SECRET})
        if cab is None or not secrets.compare_digest(cab["secret"], form.get("client_secret", "")):
            return _error(401, "invalid_client", "Wrong client id or secret.")
        if grant == "agency_client_credentials":
            if not form.get("agency_client_id") and not form.get("agency_client_name"):
                return _error(400, "invalid_request", "agency_client_id is required.")
        elif grant != "client_credentials":
            return _error(400, "unsupported_grant_type")
    access, refresh = secrets.token_hex(16), secrets.token_hex(16)
    data["tokens"][access] = [client_id, time.time() + TOKEN_S]
    data["refresh"][refresh] = client_id
    touch(call.net, NAME)
    return 200, {"access_token": access, "token_type": "Bearer", "expires_in": TOKEN_S,
                 "refresh_token": refresh}, []


def _statistics(call: Call, cab: dict[str, Any], level: str, period: str) -> Answer:
    if level not in ("ad_plans", "ad_groups", "banners") or period != "day.json":
        return _error(404, "not_found")
    try:
        first = date.fromisoformat(call.query.get("date_from", ""))
        last = date.fromisoformat(call.query.get("date_to", ""))
    except ValueError:
        return _error(400, "invalid_date")
    ids = [int(i) for i in call.query.get("id", "").split(",") if i.isdigit() and len(i) < 12]
    if not ids or len(ids) > 200 or last < first or (last - first).days >= 92:
        return _error(400, "invalid_request", "1–200 ids and at most 92 days.")
    items = []
    for oid in ids:
        if not _owner(cab, level, oid):
            continue
        rows, total = [], [0, 0, 0, 0, 0]
        day = first
        while day <= last:
            shows, clicks, spent, goals, reach = _stats(cab, level, oid, day)
            for i, v in enumerate((shows, clicks, spent, goals, reach)):
                total[i] += v
            rows.append({"date": day.isoformat(),
                         "base": {"shows": shows, "clicks": clicks, "spent": _money(spent),
                                  "goals": goals},
                         "uniques": {"reach": reach}})
            day += timedelta(days=1)
        items.append({"id": oid, "rows": rows, "total": {
            "base": {"shows": total[0], "clicks": total[1], "spent": _money(total[2]),
                     "goals": total[3]}}})
    return 200, {"items": items}, []


async def _create_list(call: Call, data: dict[str, Any], client_id: str) -> Answer:
    raw = await call.raw()
    if len(raw) > FILE_MAX_BYTES + 4096:
        return _error(413, "file_too_large", "The file is over 20 MB.")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + call.header("content-type").encode() + b"\r\n\r\n" + raw)
    fields: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str):
            fields[name] = payload if isinstance(payload, bytes) else b""
    content, name = fields.get("file", b""), fields.get("name", b"").decode(errors="replace")
    kind = fields.get("type", b"").decode(errors="replace")
    lines = content.decode(errors="replace").splitlines()
    if not lines or lines[0].strip() != "id" or not name or kind != "vk":
        return _error(400, "invalid_request", "name, type=vk and a CSV with an id header.")
    ids = [line.strip() for line in lines[1:] if line.strip()]
    if not all(i.isdigit() for i in ids):
        return _error(400, "invalid_file", "VK ids are digits.")
    data["list_seq"] += 1
    list_id = str(data["list_seq"])
    data["lists"][list_id] = {"id": int(list_id), "name": name[:200], "type": kind,
                              "entries_count": len(ids), "client_id": client_id,
                              "sample": ids[:5], "created": time.time()}
    touch(call.net, NAME)
    return 200, {"id": int(list_id), "name": name[:200], "type": kind,
                 "entries_count": len(ids)}, []


def _new_cabinet(data: dict[str, Any], client_id: str, body: dict[str, Any]) -> dict[str, Any]:
    old = data["cabinets"].get(client_id)
    if old is None:
        data["seq"] += 1
    cab = {"n": old["n"] if old else data["seq"],
           "secret": str(body.get("client_secret") or "secret"),
           "campaigns": max(1, min(int(body.get("campaigns", 3)), 500)),
           "groups": max(1, min(int(body.get("groups", 1)), 20)),
           "banners": max(1, min(int(body.get("banners", 1)), 9)),
           "start": str(body.get("start") or (date.today() - timedelta(days=29)).isoformat()),
           "days": max(1, min(int(body.get("days", 30)), 800)),
           "error_rate": float(body.get("error_rate", 0)),
           "rate_limit_rate": float(body.get("rate_limit_rate", 0)),
           "url": str(body.get("url") or "")}
    data["cabinets"][client_id] = cab
    return cab


async def _admin(call: Call, data: dict[str, Any], parts: list[str]) -> Answer:
    """Test, demo and bench controls; the real cabinet has none of this."""
    if len(parts) == 2 and parts[0] == "cabinets" and call.method == "PUT":
        try:
            cab = _new_cabinet(data, parts[1], await call.body())
        except (TypeError, ValueError):
            return _error(400, "invalid_request", "numbers expected")
        touch(call.net, NAME)
        spent, rows = cabinet_total(cab)
        return 200, {**cab, "spent_kopecks": spent, "rows": rows}, []
    if len(parts) == 2 and parts[0] == "cabinets" and call.method == "GET":
        cab = data["cabinets"].get(parts[1])
        if cab is None:
            return _error(404, "not_found")
        spent, rows = cabinet_total(cab)
        return 200, {**cab, "spent_kopecks": spent, "rows": rows}, []
    if parts == ["lists"] and call.method == "GET":
        return 200, {"items": list(data["lists"].values())}, []
    return _error(404, "not_found")
