"""What a community says on sandbox posts and to sandbox users: the write half of ``/eng``
(``engagement.py`` routes the calls here), in the shapes of VK's methods.

``wall.createComment`` (owner_id, post_id, from_group, message, guid → ``{comment_id,
parents_stack}``; a repeated ``guid`` answers the first comment's id, as VK documents);
``wall.getComments`` shows these comments after the generated ones (``sort=desc``: newest
first); ``messages.isMessagesFromGroupAllowed`` (user_id → ``{is_allowed}``: 60 % of users by
the seed, or as ``POST /eng/_allow {user_ids, allowed}`` set); ``messages.send`` (user_id,
random_id, message → the message id; error 901 when not allowed; a repeated ``random_id`` to
the same user answers the first message's id) and ``messages.getHistory`` (user_id, count →
``{count, items}`` newest first, with ``random_id`` and ``out``). ``GET /eng/_said`` shows
everything said. Under ``error_rate`` a write is stored and then answered with error 10 — the
answer lost after the act — so a client must look before it sends again.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

WRITES = ("wall.createComment", "messages.send")
ALLOWED_SHARE = 0.6
FIRST_ID = 900_000


def empty() -> dict[str, Any]:
    return {"comments": {}, "messages": {}, "allow": {}}


def said(eng: dict[str, Any]) -> dict[str, Any]:
    if "said" not in eng:
        eng["said"] = empty()
    found: dict[str, Any] = eng["said"]
    return found


def _unit(*parts: object) -> float:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _error(code: int, message: str) -> tuple[int, Any, list[Any]]:
    return 200, {"error": {"error_code": code, "error_msg": message}}, []


def allowed(seed: int, eng: dict[str, Any], uid: str) -> bool:
    chosen = said(eng)["allow"].get(uid)
    if chosen is not None:
        return bool(chosen)
    return _unit(seed, "msg", uid) < ALLOWED_SHARE


def comments_on(eng: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The community's comments on post ``key`` (VK's comment shape), oldest first."""
    return [{k: c[k] for k in ("id", "from_id", "date", "text")}
            for c in said(eng)["comments"].get(key, [])]


def comment(q: dict[str, str], eng: dict[str, Any], key: str) -> tuple[int, Any, list[Any]]:
    text = q.get("message", "").strip()
    if not text:
        return _error(100, "One of the parameters specified was missing or invalid: message")
    rows = said(eng)["comments"].setdefault(key, [])
    guid = q.get("guid", "")
    for row in rows:
        if guid and row["guid"] == guid:
            return 200, {"response": {"comment_id": row["id"], "parents_stack": []}}, []
    group = q.get("from_group", "")
    author = -int(group) if group.isdigit() else 1
    ident = FIRST_ID + sum(len(v) for v in said(eng)["comments"].values()) + 1
    rows.append({"id": ident, "from_id": author, "date": int(time.time()), "text": text,
                 "guid": guid})
    return 200, {"response": {"comment_id": ident, "parents_stack": []}}, []


def messages(q: dict[str, str], seed: int, eng: dict[str, Any],
             name: str) -> tuple[int, Any, list[Any]]:
    uid = q.get("user_id", "")
    if not uid.isdigit():
        return _error(100, "One of the parameters specified was missing or invalid: user_id")
    box = said(eng)["messages"].get(uid, [])
    if name == "messages.isMessagesFromGroupAllowed":
        return 200, {"response": {"is_allowed": int(allowed(seed, eng, uid))}}, []
    if name == "messages.getHistory":
        count = min(int(q.get("count") or 20), 200)
        items = list(reversed(box))[:count]
        return 200, {"response": {"count": len(box), "items": items}}, []
    if not allowed(seed, eng, uid):
        return _error(901, "Can't send messages for users without permission")
    random_id = int(q.get("random_id") or 0)
    for row in box:
        if random_id and row["random_id"] == random_id:
            return 200, {"response": row["id"]}, []
    ident = len(box) + 1
    said(eng)["messages"][uid] = box
    box.append({"id": ident, "date": int(time.time()), "from_id": -1, "peer_id": int(uid),
                "out": 1, "random_id": random_id, "text": q.get("message", "")})
    return 200, {"response": ident}, []


def set_allowed(eng: dict[str, Any], body: dict[str, Any]) -> None:
    for uid in body.get("user_ids") or []:
        said(eng)["allow"][str(uid)] = bool(body.get("allowed"))
