"""Likes, reposts, comments, memberships and profiles on sandbox posts (prefix ``/eng``), in the
shapes of VK's methods so one client reads both (``kosmmos/giveaways/network.py``).

``PUT /eng/_setup`` configures a post ``{posts: {"<owner_id>_<item_id>": {audience, like,
repost, comment, member, word, tag, group_id, partners[], error_rate}}}``: users
``BASE+1 … BASE+audience`` each like, repost, comment and belong to the communities with the
given probabilities, a pure function of the seed (so 200,000 participants cost no state).
``POST /eng/_leave {group_id, user_ids}`` makes users leave a community (a re-check at the draw
finds them out); ``POST /eng/_join`` the reverse.

``GET /eng/method/<name>?access_token=…`` answers ``{"response": …}`` or VK's ``{"error":
{"error_code", "error_msg"}}``: likes.getList (filter likes|copies, count ≤ 1000), wall.getReposts
(count ≤ 1000), wall.getComments (count ≤ 100), groups.isMember (user_ids ≤ 500), users.get
(user_ids ≤ 1000; fields has_photo, is_closed and the sandbox-only ``created``, unix time of
registration, which VK does not give). Over ``RATE`` calls a second per token → error 6 and one
violation counted; ``error_rate`` of calls → error 10 (internal error, transient).

The community's writes — comments under a post, messages to users — are in ``said.py``
(wall.createComment, messages.isMessagesFromGroupAllowed, messages.send, messages.getHistory;
``GET /eng/_said``, ``POST /eng/_allow``); calls may come as a GET query or a POST form.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any
from urllib.parse import parse_qs

from kosmmos.connectors.sandbox.ext import said
from kosmmos.connectors.sandbox.ext.base import Answer, Call, route, state, touch

BASE = 10_000_000
RATE, BURST = 20.0, 20.0
CAPS = {"likes.getList": 1000, "wall.getReposts": 1000, "wall.getComments": 100}
NAMES = ("Анна", "Иван", "Мария", "Олег", "Елена", "Пётр", "Ольга", "Сергей")
FRIENDS = ("[id{friend}|Друг]", "@id{friend}")

_counts: dict[str, Any] = {"calls": 0, "violations": 0, "errors": 0, "by_method": {}}
_buckets: dict[str, list[float]] = {}
_lists: dict[tuple[Any, ...], Any] = {}


def reset_counts() -> None:
    _counts.update(calls=0, violations=0, errors=0, by_method={})
    _buckets.clear()


def counts() -> dict[str, Any]:
    return {**_counts, "by_method": dict(_counts["by_method"])}


def _unit(*parts: object) -> float:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def empty() -> dict[str, Any]:
    return {"posts": {}, "left": {}, "joined": {}}


def _over_limit(key: str) -> bool:
    moment = time.monotonic()
    tokens, stamp = _buckets.get(key, [BURST, moment])
    tokens = min(BURST, tokens + (moment - stamp) * RATE)
    if tokens < 1:
        _buckets[key] = [tokens, moment]
        return True
    _buckets[key] = [tokens - 1, moment]
    return False


def _users(seed: int, key: str, conf: dict[str, Any], what: str) -> list[int]:
    """The users of post ``key`` who did ``what`` (like, repost, comment), by id, cached."""
    cache_key = (seed, key, what, repr(sorted(conf.items())))
    if cache_key not in _lists:
        rate = float(conf.get(what) or 0)
        _lists[cache_key] = [BASE + i for i in range(1, int(conf.get("audience") or 0) + 1)
                             if _unit(seed, what, key, i) < rate]
    found: list[int] = _lists[cache_key]
    return found


def _comment(seed: int, key: str, conf: dict[str, Any], uid: int, n: int) -> dict[str, Any]:
    word = str(conf.get("word") or "")
    text = "Участвую!" if _unit(seed, "w", key, uid) < 0.1 or not word else f"{word}, участвую!"
    if conf.get("tag") and _unit(seed, "t", key, uid) < 0.9:
        friend = BASE + 1 + int(_unit(seed, "f", uid) * 10**6)
        text += " " + FRIENDS[uid % 2].format(friend=friend)
    return {"id": n + 1, "from_id": uid, "date": 1_767_225_600 + n, "text": text}


def member(seed: int, net_state: dict[str, Any], group: str, uid: int) -> bool:
    if str(uid) in net_state["left"].get(group, {}):
        return False
    if str(uid) in net_state["joined"].get(group, {}):
        return True
    for conf in net_state["posts"].values():
        groups = [str(conf.get("group_id") or ""), *map(str, conf.get("partners") or [])]
        if group in groups and BASE < uid <= BASE + int(conf.get("audience") or 0):
            return _unit(seed, "m", group, uid) < float(conf.get("member") or 0)
    return False


def profile(seed: int, uid: int, fields: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": uid, "first_name": NAMES[uid % len(NAMES)], "last_name": f"№{uid - BASE}",
        "is_closed": _unit(seed, "closed", uid) < 0.05, "can_access_closed": True}
    if "has_photo" in fields:
        item["has_photo"] = int(_unit(seed, "photo", uid) >= 0.03)
    if "created" in fields:  # the sandbox tells; VK does not
        item["created"] = int(time.time() - (3 + _unit(seed, "age", uid) * 3000) * 86400)
    return item


def _error(code: int, message: str) -> Answer:
    return 200, {"error": {"error_code": code, "error_msg": message}}, []


def _int(value: str, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def method(call: Call, eng: dict[str, Any], name: str) -> Answer:
    q, seed = call.query, call.net.seed
    if name == "wall.createComment":
        key = f"{q.get('owner_id', '')}_{q.get('post_id', '')}"
        if key not in eng["posts"]:
            return _error(100, "One of the parameters specified was missing or invalid: no post")
        return said.comment(q, eng, key)
    if name.startswith("messages."):
        return said.messages(q, seed, eng, name)
    if name in CAPS:
        key = f"{q.get('owner_id', '')}_{q.get('item_id') or q.get('post_id', '')}"
        conf = eng["posts"].get(key)
        if conf is None:
            return _error(100, "One of the parameters specified was missing or invalid: no post")
        count = min(max(_int(q.get("count", ""), 100), 0), CAPS[name])
        offset = max(_int(q.get("offset", "")), 0)
        if name == "wall.getComments":
            everyone, own = _users(seed, key, conf, "comment"), said.comments_on(eng, key)
            total, desc = len(everyone) + len(own), q.get("sort") == "desc"
            page = []
            for n in range(offset, min(offset + count, total)):
                at = total - 1 - n if desc else n
                page.append(own[at - len(everyone)] if at >= len(everyone)
                            else _comment(seed, key, conf, everyone[at], at))
            return 200, {"response": {"count": total, "items": page}}, []
        what = "repost" if name == "wall.getReposts" or q.get("filter") == "copies" else "like"
        everyone = _users(seed, key, conf, what)
        if name == "wall.getReposts":  # reposts come as the reposting wall posts
            items: list[Any] = [{"id": n + 1, "owner_id": uid, "from_id": uid}
                                for n, uid in enumerate(everyone[offset:offset + count])]
            return 200, {"response": {"count": len(everyone), "items": items}}, []
        return 200, {"response": {"count": len(everyone),
                                  "items": everyone[offset:offset + count]}}, []
    ids = [_int(i) for i in q.get("user_ids", "").split(",") if i.strip()]
    if name == "groups.isMember":
        if not ids or len(ids) > 500:
            return _error(100, "One of the parameters specified was missing or invalid: user_ids")
        group = q.get("group_id", "")
        return 200, {"response": [{"member": int(member(seed, eng, group, uid)), "user_id": uid}
                                  for uid in ids]}, []
    if name == "users.get":
        if len(ids) > 1000:
            return _error(100, "One of the parameters specified was missing or invalid: user_ids")
        return 200, {"response": [profile(seed, uid, q.get("fields", "")) for uid in ids]}, []
    return _error(3, "Unknown method passed")


def _move(eng: dict[str, Any], where: str, body: dict[str, Any]) -> None:
    group = str(body.get("group_id") or "")
    other = "joined" if where == "left" else "left"
    for uid in body.get("user_ids") or []:
        eng[where].setdefault(group, {})[str(uid)] = 1
        eng[other].get(group, {}).pop(str(uid), None)


@route("eng")
async def handle(call: Call) -> Answer:
    eng: dict[str, Any] = state(call.net, "eng", empty)
    parts = call.parts
    if parts == ["_stats"]:
        return 200, counts(), []
    if parts == ["_reset"] and call.method == "POST":
        reset_counts()
        return 200, {"ok": True}, []
    if parts == ["_setup"] and call.method == "PUT":
        body = await call.body()
        for key, conf in (body.get("posts") or {}).items():
            if isinstance(conf, dict):
                eng["posts"][str(key)] = conf
        touch(call.net, "eng")
        return 200, {"ok": True}, []
    if parts == ["_said"]:
        return 200, said.said(eng), []
    if parts == ["_allow"] and call.method == "POST":
        said.set_allowed(eng, await call.body())
        touch(call.net, "eng")
        return 200, {"ok": True}, []
    if parts in (["_leave"], ["_join"]) and call.method == "POST":
        _move(eng, "left" if parts == ["_leave"] else "joined", await call.body())
        touch(call.net, "eng")
        return 200, {"ok": True}, []
    if len(parts) != 2 or parts[0] != "method":
        return 404, {"error": "not_found"}, []
    if call.method == "POST":  # VK takes the parameters as a form too (the token stays out of URLs)
        raw = (await call.raw()).decode(errors="replace")
        call.query = {**call.query, **{k: v[-1] for k, v in parse_qs(raw).items()}}
    token = call.query.get("access_token", "")
    if not token:
        return _error(5, "User authorization failed: no access_token passed.")
    _counts["calls"] += 1
    _counts["by_method"][parts[1]] = _counts["by_method"].get(parts[1], 0) + 1
    if _over_limit(token):
        _counts["violations"] += 1
        return _error(6, "Too many requests per second")
    rate = max((float(c.get("error_rate") or 0) for c in eng["posts"].values()), default=0.0)
    if rate and _unit(call.net.seed, "err", _counts["calls"]) < rate:
        _counts["errors"] += 1
        if parts[1] in said.WRITES:  # done, but the answer is lost: the client must look first
            method(call, eng, parts[1])
            touch(call.net, "eng")
        return _error(10, "Internal server error")
    answer = method(call, eng, parts[1])
    if parts[1] in said.WRITES:
        touch(call.net, "eng")
    return answer
