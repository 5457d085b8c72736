"""The sandbox network: a local social network that misbehaves like the real ones.

A raw ASGI app (no framework, no Django) served by granian: ``kosmmos sandbox --port 8002``.
State lives in memory and is written to its own SQLite file every half second (``SANDBOX_STATE``,
``$KOSMMOS_VAR/sandbox.sqlite3`` under ``kosmmos sandbox``; empty = memory only), so it serves
thousands of posts a minute and survives a restart. The API is documented in README.md.

What it simulates, per channel config merged over the global switch (``PUT /_admin/faults``):
latency, 429 with ``retry_after`` (a token bucket and injected), 5xx *before acting* (a 5xx here
always means "not posted"), ambiguous outcomes (the post is stored, then the response hangs past
any sane client timeout or the connection is cut mid-body), revoked tokens (401), and — on
published posts — views, reactions and comments arriving over time and followers growing daily,
all deterministic for a seed.

The channel itself can comment on its posts (our replies from the inbox): those comments are
stored, carry ``from_channel: true`` and are posted once per idempotency ``key``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import random
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import parse_qs

from kosmmos.connectors.sandbox.ext import base as ext

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

DEFAULTS: dict[str, Any] = {
    "latency_ms": [50, 250],
    "error_rate": 0.0,  # 503 before acting
    "ambiguous_rate": 0.0,  # acted, then no usable answer
    "rate_limit_rate": 0.0,  # injected 429
    "rate_per_s": 5.0,  # token bucket per channel for writes
    "burst": 10,
    "retry_after": 1.0,
    "hang_s": 10.0,  # how long an ambiguous answer hangs
    "revoked": False,  # the token was revoked: 401 on everything
}
COMMENTS = (
    "Класс!", "Спасибо, полезно", "А где купить?", "Сколько стоит?", "Отлично 🔥",
    "Жду продолжения", "Не согласен", "Подскажите размеры", "Супер!", "Очень красиво",
)
DAY = 86400.0
COMMENT_MAX = 4096  # characters in one comment (Telegram's message limit; VK allows more)
KEY_MAX = 100


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) for these parts (the seed is one of them)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class Network:
    """All channels and posts of the sandbox, in memory; ``flush()`` persists what changed."""

    def __init__(self, path: str = "", seed: int = 1, public_url: str = "") -> None:
        self.path = path
        self.seed = seed
        self.public_url = public_url.rstrip("/")
        self.rng = random.Random(seed)
        self.faults: dict[str, Any] = {"enabled": True}
        self.channels: dict[str, dict[str, Any]] = {}
        self.posts: dict[int, dict[str, Any]] = {}
        self.by_channel: dict[str, list[int]] = {}
        self.by_key: dict[tuple[str, str], list[int]] = {}
        # Comments written by the channel itself, per post; (post, key) → comment for idempotency.
        self.own_comments: dict[int, list[dict[str, Any]]] = {}
        self.comment_keys: dict[tuple[int, str], dict[str, Any]] = {}
        self.comment_seq = 0
        self._dirty_comments: list[dict[str, Any]] = []
        self.buckets: dict[str, tuple[float, float]] = {}
        self.seq = 0
        self._dirty_posts: set[int] = set()
        self._dirty_channels: set[str] = set()
        # Extensions' state (``ext/base.py``): decoded on first use, written when touched.
        self.ext: dict[str, Any] = {}
        self.ext_raw: dict[str, str] = {}
        self.ext_dirty: set[str] = set()
        self._lock = threading.RLock()
        if path:
            self._load()

    # --- persistence --------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS channels (id TEXT PRIMARY KEY, config TEXT, "
                   "created_at REAL)")
        db.execute("CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY, channel TEXT, "
                   "key TEXT, text TEXT, media TEXT, accepted_at REAL, edited_at REAL, "
                   "deleted_at REAL, edits INTEGER)")
        db.execute("CREATE TABLE IF NOT EXISTS comments (seq INTEGER PRIMARY KEY, post INTEGER, "
                   "key TEXT, text TEXT, reply_to TEXT, at REAL)")
        db.execute("CREATE TABLE IF NOT EXISTS scripted_comments (post INTEGER, n INTEGER, "
                   "author TEXT, text TEXT, at REAL, PRIMARY KEY (post, n))")
        db.execute("CREATE TABLE IF NOT EXISTS ext (name TEXT PRIMARY KEY, data TEXT)")
        return db

    def _load(self) -> None:
        db = self._db()
        try:
            for cid, config, created in db.execute("SELECT id, config, created_at FROM channels"):
                self.channels[cid] = {"config": json.loads(config), "created_at": created}
            rows = db.execute("SELECT id, channel, key, text, media, accepted_at, edited_at, "
                              "deleted_at, edits FROM posts ORDER BY id")
            for pid, cid, key, text, media, acc, edited, deleted, edits in rows:
                self._index({"id": pid, "channel": cid, "key": key, "text": text,
                             "media": json.loads(media), "accepted_at": acc,
                             "edited_at": edited, "deleted_at": deleted, "edits": edits})
                self.seq = max(self.seq, pid)
            rows = db.execute("SELECT post, author, text, at FROM scripted_comments "
                              "ORDER BY post, n")
            for pid, author, text, at in rows:
                if pid in self.posts:
                    self.posts[pid].setdefault("scripted", []).append(
                        {"author": author, "text": text, "at": at})
            rows = db.execute("SELECT seq, post, key, text, reply_to, at FROM comments ORDER BY seq")
            for seq, pid, key, text, reply_to, at in rows:
                if pid in self.posts:
                    self._index_comment(self.posts[pid], seq, key, text, reply_to, at)
            self.ext_raw = dict(db.execute("SELECT name, data FROM ext"))
        finally:
            db.close()

    def flush(self) -> int:
        """Write changed channels and posts; returns how many rows. Safe from another thread."""
        if not self.path:
            return 0
        with self._lock:
            posts = [dict(self.posts[p]) for p in self._dirty_posts if p in self.posts]
            channels = [(c, dict(self.channels[c])) for c in self._dirty_channels]
            comments, self._dirty_comments = self._dirty_comments, []
            self._dirty_posts.clear()
            self._dirty_channels.clear()
            states = [(name, json.dumps(self.ext[name])) for name in self.ext_dirty]
            self.ext_dirty.clear()
        if not posts and not channels and not comments and not states:
            return 0
        db = self._db()
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO channels VALUES (?, ?, ?)", [
                    (c, json.dumps(d["config"]), d["created_at"]) for c, d in channels])
                db.executemany("INSERT OR REPLACE INTO posts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                    (p["id"], p["channel"], p["key"], p["text"], json.dumps(p["media"]),
                     p["accepted_at"], p["edited_at"], p["deleted_at"], p["edits"])
                    for p in posts])
                db.executemany("INSERT OR REPLACE INTO comments VALUES (?, ?, ?, ?, ?, ?)", [
                    (c["seq"], c["post"], c["key"], c["text"], c["reply_to"], c["at"])
                    for c in comments])
                db.executemany("INSERT OR REPLACE INTO scripted_comments VALUES (?, ?, ?, ?, ?)", [
                    (p["id"], n, c["author"], c["text"], c["at"])
                    for p in posts for n, c in enumerate(p.get("scripted", ()))])
                db.executemany("INSERT OR REPLACE INTO ext VALUES (?, ?)", states)
        finally:
            db.close()
        return len(posts) + len(channels) + len(comments) + len(states)

    # --- channels -----------------------------------------------------------------------------

    def channel(self, cid: str) -> dict[str, Any]:
        """Channels exist as soon as they are used (like a community we were made admin of)."""
        found = self.channels.get(cid)
        if found is None:
            found = {"config": {}, "created_at": time.time()}
            with self._lock:
                self.channels[cid] = found
                self._dirty_channels.add(cid)
        return found

    def config(self, cid: str) -> dict[str, Any]:
        merged = {**DEFAULTS, **{k: v for k, v in self.faults.items() if k in DEFAULTS},
                  **self.channel(cid)["config"]}
        if not self.faults.get("enabled", True):
            merged.update(latency_ms=[0, 0], error_rate=0.0, ambiguous_rate=0.0,
                          rate_limit_rate=0.0)
        return merged

    def set_config(self, cid: str, values: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            chan = self.channel(cid)
            chan["config"] = {**chan["config"], **{k: v for k, v in values.items()
                                                   if k in DEFAULTS}}
            self._dirty_channels.add(cid)
        return self.config(cid)

    def take_token(self, cid: str, config: dict[str, Any]) -> float:
        """Token bucket for writes: 0 when allowed, else seconds to wait."""
        rate, burst = float(config["rate_per_s"]), float(config["burst"])
        now = time.monotonic()
        tokens, last = self.buckets.get(cid, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens < 1:
            self.buckets[cid] = (tokens, now)
            return (1 - tokens) / rate if rate > 0 else 1.0
        self.buckets[cid] = (tokens - 1, now)
        return 0.0

    def followers(self, cid: str, at: float | None = None) -> int:
        """Grows every day from a per-channel base; the same for the same seed and day."""
        at = time.time() if at is None else at
        created = self.channel(cid)["created_at"]
        base = 300 + int(_unit(self.seed, "base", cid) * 20000)
        growth = base * (0.002 + 0.01 * _unit(self.seed, "growth", cid))
        day = math.floor(at / DAY)
        days = day - math.floor(created / DAY)
        noise = int((_unit(self.seed, "noise", cid, day) - 0.3) * growth)
        return max(0, base + int(growth * days) + noise)

    # --- posts --------------------------------------------------------------------------------

    def _index(self, post: dict[str, Any]) -> None:
        self.posts[post["id"]] = post
        self.by_channel.setdefault(post["channel"], []).append(post["id"])
        self.by_key.setdefault((post["channel"], post["key"]), []).append(post["id"])

    def add_post(self, cid: str, key: str, text: str, media: list[Any], *,
                 accepted_at: float | None = None,
                 scripted: list[dict[str, Any]] | None = None,
                 answers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """A new post. ``accepted_at`` in the past, ``scripted`` customer comments
        (``{author, text, at}``, which then replace the generated ones) and the channel's
        ``answers`` to them (``{text, at, reply_to}``, ``reply_to`` the number of a scripted
        comment) are for the admin API only: a post with a history, such as the demo's."""
        with self._lock:
            self.seq += 1
            post = {"id": self.seq, "channel": cid, "key": key, "text": text, "media": media,
                    "accepted_at": time.time() if accepted_at is None else accepted_at,
                    "edited_at": None, "deleted_at": None, "edits": 0}
            if scripted:
                post["scripted"] = sorted(scripted, key=lambda c: c["at"])
            self._index(post)
            self._dirty_posts.add(self.seq)
            for answer in answers or ():
                # Stored like the channel's replies from the comment API (persisted the same).
                self.comment_seq += 1
                reply_to = f"{post['id']}_{answer['reply_to']}"
                self._index_comment(post, self.comment_seq, "", answer["text"], reply_to,
                                    answer["at"])
                self._dirty_comments.append({"seq": self.comment_seq, "post": post["id"],
                                             "key": "", "text": answer["text"],
                                             "reply_to": reply_to, "at": answer["at"]})
        return post

    def touch(self, post: dict[str, Any]) -> None:
        with self._lock:
            self._dirty_posts.add(post["id"])

    def stats(self, post: dict[str, Any], now: float | None = None) -> dict[str, int]:
        """Views, reach, likes, reposts and comments of a post at ``now``: they rise quickly in
        the first hours and level off; some posts do far better than others."""
        now = time.time() if now is None else now
        u = [_unit(self.seed, "post", post["id"], i) for i in range(7)]
        hours = max(0.0, now - post["accepted_at"]) / 3600
        potential = self.followers(post["channel"], post["accepted_at"]) * (0.2 + 0.6 * u[0]) + 50
        potential *= 1 + 4 * u[1] ** 4
        views = int(potential * (1 - math.exp(-hours / (1 + 8 * u[2]))))
        return {
            "views": views, "reach": int(views * (0.7 + 0.25 * u[3])),
            "likes": int(views * (0.02 + 0.06 * u[4])),
            "reposts": int(views * (0.002 + 0.01 * u[5])),
            "comments": len(self.comments(post, now)),
        }

    def comments(self, post: dict[str, Any], now: float | None = None) -> list[dict[str, Any]]:
        now = time.time() if now is None else now
        # A post seeded with its history (admin API) has exactly its scripted comments.
        found = [{"id": f"{post['id']}_{n}", "at": c["at"], "author": c["author"],
                  "text": c["text"]} for n, c in enumerate(post.get("scripted", ()))
                 if c["at"] <= now]
        total = 0 if "scripted" in post else int(5 + 40 * _unit(self.seed, "comments", post["id"]))
        for i in range(total):
            # Exponential arrival times with a mean of three hours after the post.
            wait = -math.log(1 - _unit(self.seed, "c", post["id"], i)) * 3 * 3600
            at = post["accepted_at"] + wait
            if at <= now:
                found.append({"id": f"{post['id']}_{i}", "at": at,
                              "author": f"user{int(_unit(self.seed, 'a', post['id'], i) * 9999)}",
                              "text": COMMENTS[int(_unit(self.seed, "t", post["id"], i) * 10)]})
        found += [c for c in self.own_comments.get(post["id"], ()) if c["at"] <= now]
        return sorted(found, key=lambda c: c["at"])

    def _index_comment(self, post: dict[str, Any], seq: int, key: str, text: str,
                       reply_to: str, at: float) -> dict[str, Any]:
        comment = {"id": f"{post['id']}_r{seq}", "at": at, "author": post["channel"],
                   "text": text, "reply_to": reply_to, "from_channel": True, "key": key}
        self.own_comments.setdefault(post["id"], []).append(comment)
        if key:
            self.comment_keys[(post["id"], key)] = comment
        self.comment_seq = max(self.comment_seq, seq)
        return comment

    def add_comment(self, post: dict[str, Any], text: str, reply_to: str,
                    key: str) -> tuple[dict[str, Any], bool]:
        """A comment by the channel itself; ``(comment, created)``. A key seen before on this
        post returns the comment it created (so a client may resend after a lost answer)."""
        with self._lock:
            if key and (found := self.comment_keys.get((post["id"], key))) is not None:
                return found, False
            self.comment_seq += 1
            comment = self._index_comment(post, self.comment_seq, key, text, reply_to,
                                          time.time())
            self._dirty_comments.append({"seq": self.comment_seq, "post": post["id"],
                                         "key": key, "text": text, "reply_to": reply_to,
                                         "at": comment["at"]})
        return comment, True

    def public(self, post: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(post["id"]), "key": post["key"], "text": post["text"],
            "media": post["media"], "accepted_at": post["accepted_at"],
            "edited_at": post["edited_at"], "deleted": post["deleted_at"] is not None,
            # The public page a person can read (``ext/public.py``), as a network's post link is.
            "url": f"{self.public_url}/p/{post['channel']}/{post['id']}",
        }


# --- HTTP ----------------------------------------------------------------------------------------


class Reply(Exception):
    def __init__(self, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or []


async def _body(receive: Receive) -> dict[str, Any]:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    raw = b"".join(chunks)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise Reply(400, {"error": "bad_json"}) from None
    if not isinstance(data, dict):
        raise Reply(400, {"error": "bad_json"})
    return data


async def _send(send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]]) -> None:
    payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(payload)).encode()), *headers]})
    await send({"type": "http.response.body", "body": payload})


class SandboxApp:
    """The ASGI application. One process owns the state (granian ``--workers 1``)."""

    def __init__(self, network: Network | None = None, flush_every: float = 0.5) -> None:
        self.network = network
        self.flush_every = flush_every
        self._flusher: threading.Thread | None = None
        self._stop = threading.Event()

    def net(self) -> Network:
        if self.network is None:
            self.network = Network(
                path=os.environ.get("SANDBOX_STATE", ""),
                seed=int(os.environ.get("SANDBOX_SEED", "1")),
                public_url=os.environ.get("SANDBOX_PUBLIC_URL", "http://127.0.0.1:8002"),
            )
        if self.network.path and self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_loop, daemon=True,
                                             name="sandbox-flush")
            self._flusher.start()
        return self.network

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.flush_every):
            try:
                self.network.flush()  # type: ignore[union-attr]
            except sqlite3.Error as exc:  # keep serving; the next flush writes it again
                print(f"sandbox: flush failed: {exc}", flush=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.net()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self._stop.set()
                    if self.network is not None:
                        self.network.flush()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        try:
            status, body, headers = await self.route(scope, receive, send)
        except Reply as reply:
            status, body, headers = reply.status, reply.body, reply.headers
        if status:
            await _send(send, status, body, headers)

    async def route(self, scope: Scope, receive: Receive, send: Send) -> tuple[int, Any, list[Any]]:
        net = self.net()
        method = scope["method"]
        parts = [p for p in scope["path"].split("/") if p]
        query = {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        if parts[:1] == ["_admin"]:
            return await self.admin(net, method, parts[1:], query, receive)
        if parts == ["healthz"]:
            return 200, {"ok": True}, []
        handler = ext.ROUTES.get(parts[0]) if parts else None
        if handler is not None:
            return await handler(ext.Call(self, net, scope, method, parts[1:], query, receive,
                                          send, partial(_body, receive)))
        if len(parts) < 2 or parts[0] != "channels":
            raise Reply(404, {"error": "not_found"})
        cid = parts[1]
        config = net.config(cid)
        rest = parts[2:]
        if rest == ["config"] and method == "PUT":
            return 200, net.set_config(cid, await _body(receive)), []
        if rest == ["config"] and method == "GET":
            return 200, config, []
        if not _bearer(scope) and method == "GET" and _wants_html(scope):
            # A person following an API address (links stored before the public pages) is
            # sent to the page of the same channel or post.
            page = "/p/" + "/".join([cid, *rest[1:2]] if rest[:1] == ["posts"] else [cid])
            return 302, None, [(b"location", page.encode())]
        if config["revoked"] or not _bearer(scope):
            raise Reply(401, {"error": "auth_revoked", "message": "The access token was revoked."})
        if not rest and method == "GET":
            return 200, {"id": cid, "title": f"Sandbox {cid}", "can_post": True,
                         "followers": net.followers(cid)}, []
        if rest == ["followers"] and method == "GET":
            days = min(365, max(1, int(query.get("days", "30"))))
            now = time.time()
            history = [{"day": time.strftime("%Y-%m-%d", time.gmtime(now - d * DAY)),
                        "followers": net.followers(cid, now - d * DAY)} for d in range(days)]
            return 200, {"followers": net.followers(cid), "history": history[::-1]}, []
        if rest == ["stats"] and method == "GET":
            ids = [i for i in query.get("ids", "").split(",") if i.isdigit()][:100]
            found = {i: net.stats(net.posts[int(i)]) for i in ids
                     if int(i) in net.posts and net.posts[int(i)]["channel"] == cid}
            return 200, {"items": found}, []
        if rest == ["posts"] and method == "GET":
            return 200, {"items": _listing(net, cid, query)}, []
        if rest == ["posts"] and method == "POST":
            return await self.create(net, cid, config, receive, send)
        if len(rest) >= 2 and rest[0] == "posts":
            post = net.posts.get(int(rest[1])) if rest[1].isdigit() else None
            if post is None or post["channel"] != cid:
                raise Reply(404, {"error": "not_found"})
            return await self.one_post(net, post, config, method, rest[2:], query, receive,
                                       send)
        raise Reply(404, {"error": "not_found"})

    async def create(self, net: Network, cid: str, config: dict[str, Any], receive: Receive,
                     send: Send) -> tuple[int, Any, list[Any]]:
        data = await _body(receive)
        key, text = str(data.get("key", "")), str(data.get("text", ""))
        media = data.get("media") or []
        if not key or not (text or media):
            raise Reply(400, {"error": "invalid", "message": "key and text or media required"})
        if len(text) > 10000:
            raise Reply(400, {"error": "invalid", "message": "text longer than 10000"})
        await self.guard(net, cid, config, write=True)
        post = net.add_post(cid, key, text, media)
        await self.maybe_lose_answer(net, config, send)
        return 201, net.public(post), []

    async def maybe_lose_answer(self, net: Network, config: dict[str, Any], send: Send) -> None:
        """Called after a write was stored: with ``ambiguous_rate``, the answer is lost. Half
        hang past any client timeout (then answer late), half start the answer and cut the
        connection."""
        if net.rng.random() >= float(config["ambiguous_rate"]):
            return
        if net.rng.random() < 0.5:
            await asyncio.sleep(float(config["hang_s"]))
            return
        await send({"type": "http.response.start", "status": 201,
                    "headers": [(b"content-length", b"1000")]})
        await send({"type": "http.response.body", "body": b'{"id":', "more_body": True})
        raise ConnectionAbortedError("sandbox: connection cut on purpose")

    async def comment(self, net: Network, post: dict[str, Any], config: dict[str, Any],
                      receive: Receive, send: Send) -> tuple[int, Any, list[Any]]:
        """The channel answers on its post: validated before anything else, then the same
        latency, 429 and 503 as every write; a ``key`` posts once (200 with the first one)."""
        text, reply_to, key = _comment_fields(await _body(receive))
        if reply_to and reply_to not in {c["id"] for c in net.comments(post)}:
            raise Reply(400, {"error": "invalid",
                              "message": f"reply_to: no comment {reply_to} on this post"})
        await self.guard(net, post["channel"], config, write=True)
        if post["deleted_at"] is not None:
            raise Reply(404, {"error": "deleted", "message": "The post was deleted."})
        comment, created = net.add_comment(post, text, reply_to, key)
        if not created:
            return 200, comment, []
        await self.maybe_lose_answer(net, config, send)
        return 201, comment, []

    async def guard(self, net: Network, cid: str, config: dict[str, Any], write: bool) -> None:
        """Latency, then the errors that mean "nothing happened": 429 and 503."""
        low, high = config["latency_ms"]
        if high > 0:
            await asyncio.sleep(net.rng.uniform(float(low), float(high)) / 1000)
        if write:
            wait = net.take_token(cid, config)
            if not wait and net.rng.random() < float(config["rate_limit_rate"]):
                wait = float(config["retry_after"])
            if wait:
                wait = round(max(wait, 0.05), 2)
                raise Reply(429, {"error": "rate_limited", "retry_after": wait},
                            [(b"retry-after", str(math.ceil(wait)).encode())])
        if net.rng.random() < float(config["error_rate"]):
            raise Reply(503, {"error": "unavailable", "message": "Try again later (not posted)."})

    async def one_post(self, net: Network, post: dict[str, Any], config: dict[str, Any],
                       method: str, rest: list[str], query: dict[str, str], receive: Receive,
                       send: Send) -> tuple[int, Any, list[Any]]:
        if rest == ["comments"] and method == "GET":
            return 200, {"items": _comment_listing(net, post, query)}, []
        if rest == ["comments"] and method == "POST":
            return await self.comment(net, post, config, receive, send)
        if rest:
            raise Reply(404, {"error": "not_found"})
        if method == "GET":
            return 200, {**net.public(post), "stats": net.stats(post)}, []
        if method == "PATCH":
            data = await _body(receive)
            await self.guard(net, post["channel"], config, write=True)
            if post["deleted_at"] is not None:
                raise Reply(404, {"error": "deleted"})
            post.update(text=str(data.get("text", post["text"])), edited_at=time.time(),
                        edits=post["edits"] + 1)
            if "media" in data:
                post["media"] = data["media"] or []
            net.touch(post)
            return 200, net.public(post), []
        if method == "DELETE":
            await self.guard(net, post["channel"], config, write=True)
            if post["deleted_at"] is None:
                post["deleted_at"] = time.time()
                net.touch(post)
            return 204, None, []
        raise Reply(405, {"error": "method_not_allowed"})

    async def admin(self, net: Network, method: str, parts: list[str], query: dict[str, str],
                    receive: Receive) -> tuple[int, Any, list[Any]]:
        """Test and bench controls; a real network has none of this."""
        if parts == ["faults"] and method == "PUT":
            net.faults = {**net.faults, **await _body(receive)}
            return 200, net.faults, []
        if parts == ["faults"] and method == "GET":
            return 200, net.faults, []
        if parts == ["posts"] and method == "GET":
            after, limit = int(query.get("after", "0")), min(20000, int(query.get("limit", "5000")))
            items = [[p["id"], p["channel"], p["key"], p["accepted_at"]]
                     for pid in range(after + 1, min(net.seq, after + limit) + 1)
                     if (p := net.posts.get(pid))]
            return 200, {"items": items, "last": min(net.seq, after + limit)}, []
        if parts == ["summary"] and method == "GET":
            dupes = sum(1 for ids in net.by_key.values() if len(ids) > 1)
            return 200, {"posts": len(net.posts), "keys": len(net.by_key),
                         "duplicate_keys": dupes, "channels": len(net.channels),
                         "own_comments": sum(map(len, net.own_comments.values()))}, []
        if parts == ["flush"] and method == "POST":
            return 200, {"written": net.flush()}, []
        if len(parts) == 3 and parts[0] == "channels" and parts[2] == "posts" and method == "POST":
            post = net.add_post(parts[1], **history_fields(await _body(receive)))
            return 201, net.public(post), []
        raise Reply(404, {"error": "not_found"})


def _bearer(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value.startswith(b"Bearer "):
            return value[7:].decode(errors="replace").strip()
    return ""


def _wants_html(scope: Scope) -> bool:
    return any(name == b"accept" and b"text/html" in value
               for name, value in scope.get("headers", []))


def _listing(net: Network, cid: str, query: dict[str, str]) -> list[dict[str, Any]]:
    if "key" in query:
        ids = net.by_key.get((cid, query["key"]), [])
    else:
        limit = min(100, max(1, int(query.get("limit", "50")))) if query.get(
            "limit", "50").isdigit() else 50
        ids = net.by_channel.get(cid, [])[-limit:][::-1]
    return [{**net.public(net.posts[i]), "stats": net.stats(net.posts[i])} for i in ids]


def _comment_listing(net: Network, post: dict[str, Any],
                     query: dict[str, str]) -> list[dict[str, Any]]:
    """The post's comments so far; ``?key=K`` looks up the channel's own comment by its key
    (how a client reconciles a lost answer)."""
    if "key" in query:
        found = net.comment_keys.get((post["id"], query["key"]))
        return [found] if found is not None else []
    return net.comments(post)


def history_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A post with a history (``POST /_admin/channels/{id}/posts``): ``key``, ``text``,
    ``media``, ``accepted_at`` (not in the future) and ``comments`` ``[{author, text, at}]``
    (each at or after ``accepted_at``; later than now means it arrives then); else a 400."""
    key, text, media = data.get("key"), data.get("text"), data.get("media") or []
    accepted = data.get("accepted_at", time.time())
    if not isinstance(key, str) or not key or not isinstance(text, str) or not text.strip():
        raise Reply(400, {"error": "invalid", "message": "key and text required"})
    if isinstance(accepted, bool) or not isinstance(accepted, (int, float)) or (
            accepted > time.time() + 1):
        raise Reply(400, {"error": "invalid", "message": "accepted_at must be a past time"})
    given = data.get("comments") or []
    scripted: list[tuple[int, dict[str, Any]]] = []
    answers: list[tuple[int, dict[str, Any]]] = []
    for index, comment in enumerate(given):
        own = isinstance(comment, dict) and comment.get("from_channel") is True
        author = "channel" if own else comment.get("author") if isinstance(comment, dict) else None
        body = comment.get("text") if isinstance(comment, dict) else None
        at = comment.get("at") if isinstance(comment, dict) else None
        if not isinstance(author, str) or not author.strip() or not isinstance(body, str) or (
                not body.strip() or len(body) > COMMENT_MAX):
            raise Reply(400, {"error": "invalid", "message": "each comment needs author and text"})
        if isinstance(at, bool) or not isinstance(at, (int, float)) or at < accepted:
            raise Reply(400, {"error": "invalid",
                              "message": "each comment needs an at not before accepted_at"})
        if own:
            answers.append((index, {"text": body, "at": float(at),
                                    "reply_to": comment.get("reply_to")}))
        else:
            scripted.append((index, {"author": author, "text": body, "at": float(at)}))
    # Customers' comments are numbered in time order; an answer names its comment by its place
    # in the request's list, which becomes that comment's number here.
    scripted.sort(key=lambda pair: pair[1]["at"])
    number = {index: n for n, (index, _c) in enumerate(scripted)}
    replies = []
    for _index, answer in answers:
        target = answer.pop("reply_to")
        if isinstance(target, bool) or not isinstance(target, int) or target not in number or (
                answer["at"] < scripted[number[target]][1]["at"]):
            raise Reply(400, {"error": "invalid", "message": "an answer (from_channel) needs "
                              "reply_to: the index of an earlier customer comment"})
        replies.append({**answer, "reply_to": number[target]})
    return {"key": key, "text": text, "media": media if isinstance(media, list) else [],
            "accepted_at": float(accepted), "scripted": [c for _i, c in scripted],
            "answers": replies}


def _comment_fields(data: dict[str, Any]) -> tuple[str, str, str]:
    """``(text, reply_to, key)`` of a new comment, or a 400 that says what is wrong."""
    text, reply_to, key = data.get("text"), data.get("reply_to"), data.get("key")
    if not isinstance(text, str) or not text.strip():
        raise Reply(400, {"error": "invalid", "message": "text required"})
    if len(text) > COMMENT_MAX:
        raise Reply(400, {"error": "invalid",
                          "message": f"text longer than {COMMENT_MAX} characters"})
    if reply_to is not None and (isinstance(reply_to, bool)
                                 or not isinstance(reply_to, (str, int))):
        raise Reply(400, {"error": "invalid", "message": "reply_to must be a comment id"})
    if key is not None and (not isinstance(key, str) or len(key) > KEY_MAX):
        raise Reply(400, {"error": "invalid",
                          "message": f"key must be a string of at most {KEY_MAX} characters"})
    return text, str(reply_to or ""), key or ""


app = SandboxApp()
