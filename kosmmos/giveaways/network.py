"""Who did what on a giveaway's post, read through VK's methods (or the sandbox's copy of them,
``connectors/sandbox/ext/engagement.py``, which answers in the same shapes).

Each call's documentation is above it; the shapes are in ``shared/docs/api-facts-2.md`` §6.
Calls are paced below the network's limit (VK: 3 a second for user and service tokens); a
transient error (VK 6, 9, 10, a timeout) is retried here a few times with backoff, so 5 % of
failed calls cost seconds, not the collection.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from kosmmos.connectors import ratelimit
from kosmmos.connectors.base import ConnectorError, RateLimited
from kosmmos.connectors.vk.client import API, VERSION, api_error
from kosmmos.lib import http

RATES = {"vk": 3.0, "sandbox": 15.0}
TRIES = 6
MEMBER_BATCH = 500  # groups.isMember user_ids: 500 per the facts, which mark the cap unverified
PROFILE_BATCH = 1000


@dataclass
class Reader:
    network: str
    token: str
    calls: int = 0
    retries: int = 0
    sleep: Any = field(default=time.sleep, repr=False)

    @property
    def base(self) -> str:
        return f"{settings.SANDBOX_URL}/eng/method/" if self.network == "sandbox" else API

    def call(self, method: str, params: dict[str, Any]) -> Any:
        """One method, ``response`` out; transient failures retried, the rest raised."""
        rate = RATES[self.network]
        bucket = ratelimit.key_for(f"give-{self.network}", self.token)
        query = {k: str(v) for k, v in params.items()}
        query.update(access_token=self.token, v=VERSION)
        last: ConnectorError | None = None
        for attempt in range(TRIES):
            ratelimit.acquire(bucket, rate, rate, max_wait=30.0)
            self.calls += 1
            try:
                response = http.get(self.base + method, params=query)
                body = response.json() if response.status_code == 200 else None
            except http.HttpError as exc:
                last = ConnectorError(f"{method}: {exc}")
            except ValueError:
                last = ConnectorError(f"{method}: not JSON")
            else:
                if body is None:
                    last = ConnectorError(f"{method}: HTTP {response.status_code}",
                                          permanent=400 <= response.status_code < 500
                                          and response.status_code != 429)
                elif "error" in body:
                    last = api_error(method, body["error"], publishing=False)
                else:
                    return body.get("response")
            if last.permanent:
                raise last
            self.retries += 1
            wait = last.retry_after if isinstance(last, RateLimited) else 0.2 * 2 ** attempt
            self.sleep(min(wait, 5.0))
        assert last is not None
        raise last

    def _pages(self, method: str, params: dict[str, Any], cap: int) -> Iterator[list[Any]]:
        offset = 0
        while True:
            page = self.call(method, {**params, "offset": offset, "count": cap})
            items = list(page.get("items") or [])
            if items:
                yield items
            offset += cap
            if not items or offset >= int(page.get("count") or 0):
                return

    # https://dev.vk.com/method/likes.getList — type=post, owner_id, item_id, filter likes|copies,
    # count ≤ 1000, offset → {count, items[user ids]}
    def likers(self, owner_id: str, item_id: str) -> set[int]:
        found: set[int] = set()
        for items in self._pages("likes.getList", {"type": "post", "owner_id": owner_id,
                                                   "item_id": item_id, "filter": "likes"}, 1000):
            found.update(int(i) for i in items if isinstance(i, int | str) and str(i).isdigit())
        return found

    # https://dev.vk.com/method/likes.getList with filter=copies: the users who reposted.
    # (wall.getReposts, count ≤ 1000, answers the reposting wall posts; the copies filter gives
    # the same people as bare ids, in the pages likes.getList already reads.)
    def reposters(self, owner_id: str, item_id: str) -> set[int]:
        found: set[int] = set()
        for items in self._pages("likes.getList", {"type": "post", "owner_id": owner_id,
                                                   "item_id": item_id, "filter": "copies"}, 1000):
            found.update(int(i) for i in items if isinstance(i, int | str) and str(i).isdigit())
        return found

    # https://dev.vk.com/method/wall.getComments — owner_id, post_id, count ≤ 100, offset →
    # {count, items[{id, from_id, text, …}]}
    def comments(self, owner_id: str, item_id: str) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for items in self._pages("wall.getComments", {"owner_id": owner_id, "post_id": item_id},
                                 100):
            for c in items:
                if isinstance(c, dict) and int(c.get("from_id") or 0) > 0:
                    found.setdefault(int(c["from_id"]), []).append(str(c.get("text") or ""))
        return found

    # https://dev.vk.com/method/groups.isMember — group_id, user_ids[] → [{member, user_id}]
    def members(self, group_id: str, user_ids: list[int]) -> set[int]:
        found: set[int] = set()
        for start in range(0, len(user_ids), MEMBER_BATCH):
            batch = user_ids[start:start + MEMBER_BATCH]
            answer = self.call("groups.isMember", {
                "group_id": group_id, "user_ids": ",".join(map(str, batch))})
            found.update(int(a["user_id"]) for a in answer or []
                         if isinstance(a, dict) and a.get("member"))
        return found

    # https://dev.vk.com/method/users.get — user_ids (≤ 1000), fields has_photo → [{id,
    # first_name, last_name, is_closed, has_photo}]; the sandbox adds ``created`` (VK has no
    # registration date, so "created in the last N days" works only where the network tells).
    def profiles(self, user_ids: list[int]) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(user_ids), PROFILE_BATCH):
            batch = user_ids[start:start + PROFILE_BATCH]
            answer = self.call("users.get", {"user_ids": ",".join(map(str, batch)),
                                             "fields": "has_photo,created"})
            for p in answer or []:
                if isinstance(p, dict) and "id" in p:
                    found[int(p["id"])] = p
        return found
