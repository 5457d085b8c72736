"""A webhook receiver for tests, the demo and the bench: ``POST /hooks/<name>`` stores what came,
and checks the signature when the receiver was told the secret (``PUT /hooks/_admin/secret``):
``X-Kosmmos-Signature: sha256=hex(HMAC-SHA256(secret, "<X-Kosmmos-Timestamp>." + body))``.

``fail_rate`` answers 500 before storing anything (the sender retries). ``GET
/hooks/_admin/received?name=`` lists what each receiver got, with ``verified``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from typing import Any

from kosmmos.connectors.sandbox.ext.base import Answer, Call, route, state, touch

NAME = "hooks"
KEEP_BODY = 200


def _new() -> dict[str, Any]:
    return {"received": [], "secrets": {}, "fail_rate": 0.0, "next_id": 1}


@route(NAME)
async def handle(call: Call) -> Answer:
    s = state(call.net, NAME, _new)
    if call.parts[:1] == ["_admin"]:
        return await _admin(call, s)
    if len(call.parts) != 1 or call.method != "POST":
        return 404, {"error": "not_found"}, []
    raw = await call.raw()
    if random.random() < s["fail_rate"]:
        return 500, {"error": "injected"}, []
    name = call.parts[0]
    stamp, given = call.header("X-Kosmmos-Timestamp"), call.header("X-Kosmmos-Signature")
    secret = s["secrets"].get(name)
    verified = None
    if secret is not None:
        expected = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + raw,
                                        hashlib.sha256).hexdigest()
        verified = hmac.compare_digest(expected.encode(), given.encode())
    try:
        event = json.loads(raw).get("id", "")
    except (ValueError, AttributeError):
        event = ""
    item = {"id": s["next_id"], "name": name, "at": time.time(), "verified": verified,
            "delivery": call.header("X-Kosmmos-Delivery"), "event": event,
            "kind": call.header("X-Kosmmos-Event"), "body": raw.decode(errors="replace")}
    s["next_id"] += 1
    s["received"].append(item)
    if len(s["received"]) > KEEP_BODY:
        s["received"][-KEEP_BODY - 1].pop("body", None)
    touch(call.net, NAME)
    return 200, {"ok": True}, []


async def _admin(call: Call, s: dict[str, Any]) -> Answer:
    what = call.parts[1:2]
    if what == ["secret"] and call.method == "PUT":
        body = await call.body()
        s["secrets"][str(body.get("name", ""))] = str(body.get("secret", ""))
        touch(call.net, NAME)
        return 200, {"ok": True}, []
    if what == ["faults"] and call.method == "PUT":
        s["fail_rate"] = float((await call.body()).get("fail_rate", 0.0))
        touch(call.net, NAME)
        return 200, {"fail_rate": s["fail_rate"]}, []
    if what == ["received"]:
        name = call.query.get("name")
        after = int(call.query.get("after", "0") or 0)
        limit = min(20000, int(call.query.get("limit", "1000") or 1000))
        items = [r for r in s["received"] if r["id"] > after
                 and (name is None or r["name"] == name)][:limit]
        return 200, {"items": items, "total": len(s["received"])}, []
    return 404, {"error": "not_found"}, []
