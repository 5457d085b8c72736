"""A fake Telegram Bot API (https://core.telegram.org/bots/api) for notifications: ``getMe``,
``sendMessage`` and ``getUpdates`` under ``/botapi/bot<token>/<method>``, answered in the Bot
API's envelope (``{"ok": true, "result": …}`` or ``{"ok": false, "error_code", "description",
"parameters": {"retry_after"}}``).

It counts what the real one would refuse: a message to a chat less than a second after the last
one, and more than 30 messages in any one second overall (``telegram_rate_violations``). Faults:
``fail_rate`` (500 before acting) and ``rate429`` (429 with ``retry_after``). ``/botapi/_admin/…``
lets tests press "Start" in a chat and read what each chat received.
"""

from __future__ import annotations

import random
import time
from collections import deque
from typing import Any

from kosmmos.connectors.sandbox.ext.base import Answer, Call, route, state, touch

NAME = "botapi"
PER_CHAT_S = 1.0
OVERALL_PER_S = 30
KEEP_TEXT = 500  # the newest messages keep their text (the demo and tests read it)
_recent: deque[float] = deque()


def _new() -> dict[str, Any]:
    return {"messages": [], "updates": [], "next_id": 1, "next_update": 1, "last_at": {},
            "violations": 0, "faults": {"fail_rate": 0.0, "rate429": 0.0, "retry_after": 1}}


def _fail(code: int, description: str, **params: Any) -> Answer:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if params:
        body["parameters"] = params
    return code, body, []


def _ok(result: Any) -> Answer:
    return 200, {"ok": True, "result": result}, []


@route(NAME)
async def handle(call: Call) -> Answer:
    s = state(call.net, NAME, _new)
    if call.parts[:1] == ["_admin"]:
        return await _admin(call, s)
    if len(call.parts) != 2 or not call.parts[0].startswith("bot") or len(call.parts[0]) < 5:
        return _fail(404, "Not Found")
    token, method = call.parts[0][3:], call.parts[1]
    if token.startswith("revoked"):
        return _fail(401, "Unauthorized")
    body = await call.body() if call.method == "POST" else dict(call.query)
    if method == "getMe":
        return _ok({"id": 777000, "is_bot": True, "first_name": "Kosmmos",
                    "username": "kosmmos_sandbox_bot"})
    if method == "getUpdates":
        offset = int(body.get("offset") or 0)
        return _ok([u for u in s["updates"] if u["update_id"] >= offset][:100])
    if method != "sendMessage":
        return _fail(404, "Not Found: method not found")
    chat, text = body.get("chat_id"), str(body.get("text") or "")
    if not isinstance(chat, int) or not text:
        return _fail(400, "Bad Request: chat_id and text are required")
    faults = s["faults"]
    roll = random.random()
    if roll < faults["fail_rate"]:
        return _fail(500, "Internal Server Error")
    if roll < faults["fail_rate"] + faults["rate429"]:
        return _fail(429, f"Too Many Requests: retry after {faults['retry_after']}",
                     retry_after=faults["retry_after"])
    now = time.time()
    last = s["last_at"].get(str(chat))
    if last is not None and now - last < PER_CHAT_S:
        s["violations"] += 1
    while _recent and now - _recent[0] >= 1.0:
        _recent.popleft()
    if len(_recent) >= OVERALL_PER_S:
        s["violations"] += 1
    _recent.append(now)
    s["last_at"][str(chat)] = now
    message = {"message_id": s["next_id"], "chat": {"id": chat, "type": "private"},
               "date": int(now), "text": text, "at": now}
    s["next_id"] += 1
    s["messages"].append(message)
    if len(s["messages"]) > KEEP_TEXT:  # older messages keep their ids, not their text
        s["messages"][-KEEP_TEXT - 1].pop("text", None)
    touch(call.net, NAME)
    return _ok({k: v for k, v in message.items() if k != "at"})


async def _admin(call: Call, s: dict[str, Any]) -> Answer:
    what = call.parts[1:2]
    if what == ["start"] and call.method == "POST":
        # A person pressed Start after following t.me/<bot>?start=<code>.
        body = await call.body()
        chat = int(body.get("chat_id") or 0)
        update = {"update_id": s["next_update"], "message": {
            "message_id": s["next_id"], "date": int(time.time()), "text": f"/start {body.get('code', '')}",
            "chat": {"id": chat, "type": "private", "username": str(body.get("username", ""))},
            "from": {"id": chat, "is_bot": False, "first_name": str(body.get("name", "User")),
                     "username": str(body.get("username", ""))}}}
        s["next_update"] += 1
        s["next_id"] += 1
        s["updates"].append(update)
        touch(call.net, NAME)
        return 200, update, []
    if what == ["faults"] and call.method == "PUT":
        body = await call.body()
        s["faults"].update({k: body[k] for k in ("fail_rate", "rate429", "retry_after") if k in body})
        touch(call.net, NAME)
        return 200, s["faults"], []
    if what == ["messages"]:
        wanted = call.query.get("chat_id")
        after = int(call.query.get("after", "0") or 0)
        limit = min(20000, int(call.query.get("limit", "1000") or 1000))
        items = [m for m in s["messages"] if m["message_id"] > after
                 and (wanted is None or str(m["chat"]["id"]) == wanted)][:limit]
        return 200, {"items": items, "violations": s["violations"],
                     "total": len(s["messages"])}, []
    return 404, {"error": "not_found"}, []
