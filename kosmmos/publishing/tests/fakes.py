"""A scripted fake network for the engine's tests: it remembers what was posted, and each call
takes the next behaviour from the script of its idempotency key (or the default)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kosmmos.connectors.base import (
    AmbiguousOutcome,
    AuthRevoked,
    ChannelInfo,
    ConnectorError,
    Limits,
    PostStats,
    PublishedPost,
    PublishRequest,
    RateLimited,
)


@dataclass
class FakeNetwork:
    # key → behaviours for publish(): ok, transient, permanent, auth, rate:<seconds>,
    # ambiguous_posted (stored, then the answer is lost), ambiguous_lost (not stored), slow:<s>
    script: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # key → behaviours for find(): ok (look it up), cannot_tell, transient
    find_script: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    posts: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    calls: list[tuple[str, str, float]] = field(default_factory=list)
    edits: list[tuple[str, str]] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    followers: int = 1200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self, script: dict[str, list[str]], key: str) -> str:
        with self.lock:
            steps = script.get(key) or script.get("*") or []
            return steps.pop(0) if steps else "ok"

    def store(self, request: PublishRequest) -> PublishedPost:
        with self.lock:
            number = sum(len(v) for v in self.posts.values()) + 1
            self.posts[request.key].append({"id": str(number), "text": request.text,
                                            "at": time.time()})
        return PublishedPost(external_id=str(number), url=f"https://fake.test/p/{number}",
                             published_at=datetime.now(UTC))

    def count(self, key: str) -> int:
        return len(self.posts.get(key, []))


NETWORK = FakeNetwork()


class FakeConnector:
    code = "sandbox"
    limits = Limits(text_max=4096)

    def __init__(self, credentials: dict[str, Any], config: dict[str, Any]) -> None:
        self.net = NETWORK

    def check(self) -> ChannelInfo:
        return ChannelInfo(title="Fake", can_post=True, followers=self.net.followers)

    def publish(self, request: PublishRequest) -> PublishedPost:
        step = self.net.next(self.net.script, request.key)
        with self.net.lock:
            self.net.calls.append(("publish", request.key, time.time()))
        if step.startswith("slow:"):
            time.sleep(float(step.split(":")[1]))
            step = "ok"
        if step == "transient":
            raise ConnectorError("fake: HTTP 503")
        if step == "permanent":
            raise ConnectorError("fake: text too long", permanent=True)
        if step == "auth":
            raise AuthRevoked("fake: token revoked")
        if step.startswith("rate:"):
            raise RateLimited("fake: too many", retry_after=float(step.split(":")[1]))
        if step == "ambiguous_posted":
            self.net.store(request)
            raise AmbiguousOutcome("fake: read timeout")
        if step == "ambiguous_lost":
            raise AmbiguousOutcome("fake: read timeout")
        return self.net.store(request)

    def find(self, request: PublishRequest) -> PublishedPost | None:
        step = self.net.next(self.net.find_script, request.key)
        with self.net.lock:
            self.net.calls.append(("find", request.key, time.time()))
        if step == "cannot_tell":
            raise AmbiguousOutcome("fake: the Bot API cannot list channel posts")
        if step == "transient":
            raise ConnectorError("fake: HTTP 502")
        found = self.net.posts.get(request.key)
        if not found:
            return None
        return PublishedPost(external_id=found[0]["id"], url=f"https://fake.test/p/{found[0]['id']}")

    def edit(self, external_id: str, request: PublishRequest) -> None:
        self.net.edits.append((external_id, request.text))

    def delete(self, external_id: str) -> None:
        self.net.deletes.append(external_id)

    def post_stats(self, external_ids: list[str]) -> dict[str, PostStats]:
        return {i: PostStats(views=100 * int(i), likes=7, comments=2, reposts=1, reach=90)
                for i in external_ids}

    def followers(self) -> int | None:
        return self.net.followers
