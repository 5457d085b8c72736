"""The sandbox connector: the connector contract against the local sandbox network (server.py).

Credentials: ``token`` (any non-empty string; the sandbox answers 401 once the channel's config
says ``revoked``). Config: ``external_id`` = the channel id on the sandbox, optional ``base_url``
(default settings.SANDBOX_URL). The sandbox records the idempotency key we send, so ``find()``
is an exact lookup — the way VK's ``guid`` is meant to work.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
from django.conf import settings

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
from kosmmos.connectors.demographics import Demographics, from_vk_stats
from kosmmos.connectors.text import compose_text
from kosmmos.lib import http

# Short: the sandbox answers within 250 ms when it answers at all. A read timeout is an unknown
# outcome (the post may be stored), so it must stay well inside the publishing lease.
TIMEOUT = httpx.Timeout(3.0, connect=1.0)
STATS_CHUNK = 100


def _time(value: Any) -> datetime | None:
    return datetime.fromtimestamp(float(value), tz=UTC) if value else None


class SandboxConnector:
    code = "sandbox"
    limits = Limits(text_max=10000, caption_max=None, media_max=10, media_min_group=1)
    # The longest a call can take (TIMEOUT's connect + read): a dead worker's post is looked up
    # only after this (publishing/dispatch.py sweep_stuck).
    max_call_seconds = 4.0

    def __init__(self, credentials: dict[str, Any], config: dict[str, Any]) -> None:
        self.channel = str(config.get("external_id", "")).strip()
        if not self.channel:
            raise ConnectorError("The sandbox channel has no id.", permanent=True)
        self.base = str(config.get("base_url") or settings.SANDBOX_URL).rstrip("/")
        self.headers = {"Authorization": f"Bearer {credentials.get('token', '')}"}

    # --- the calls ----------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, write: bool = False, **kwargs: Any) -> Any:
        """One request; maps the sandbox's answers to the contract's errors (see base.py)."""
        url = f"{self.base}/channels/{self.channel}{path}"
        try:
            response = http.request(method, url, headers=self.headers, timeout=TIMEOUT, **kwargs)
        except http.HttpError as exc:
            if exc.maybe_sent and write:
                raise AmbiguousOutcome(f"sandbox: {exc}") from exc
            raise ConnectorError(f"sandbox: {exc}") from exc
        if response.status_code == 429:
            body = _json(response)
            retry = body.get("retry_after") or response.headers.get("retry-after") or 1
            raise RateLimited("sandbox: rate limited", retry_after=float(retry), code=429)
        if response.status_code == 401:
            raise AuthRevoked(f"sandbox: {_json(response).get('message', 'unauthorised')}",
                              code=401)
        if response.status_code >= 500:
            # The sandbox promises a 5xx is answered before acting: safe to retry.
            raise ConnectorError(f"sandbox: HTTP {response.status_code}",
                                 code=response.status_code)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            message = _json(response).get("message") or f"HTTP {response.status_code}"
            raise ConnectorError(f"sandbox: {message}", permanent=True,
                                 code=response.status_code)
        return _json(response) if response.content else {}

    def check(self) -> ChannelInfo:
        # GET /channels/{id}
        info = self._call("GET", "") or {}
        return ChannelInfo(title=str(info.get("title", self.channel)),
                           can_post=bool(info.get("can_post")), followers=info.get("followers"))

    def publish(self, request: PublishRequest) -> PublishedPost:
        # POST /channels/{id}/posts  {key, text, media}
        body = {"key": request.key, "text": compose_text(request),
                "media": [{"kind": m.kind, "name": m.name or m.path.rsplit("/", 1)[-1],
                           "mime": m.mime} for m in request.media]}
        data = self._call("POST", "/posts", write=True, json=body)
        if not data or "id" not in data:
            raise AmbiguousOutcome("sandbox: the answer had no post id")
        return _published(data)

    def find(self, request: PublishRequest) -> PublishedPost | None:
        # GET /channels/{id}/posts?key=…
        data = self._call("GET", "/posts", params={"key": request.key}) or {}
        items = data.get("items", [])
        return _published(items[0]) if items else None

    def edit(self, external_id: str, request: PublishRequest) -> None:
        # PATCH /channels/{id}/posts/{post_id}  {text}
        if self._call("PATCH", f"/posts/{external_id}", write=True,
                      json={"text": compose_text(request)}) is None:
            raise ConnectorError("sandbox: the post is gone", permanent=True, code=404)

    def delete(self, external_id: str) -> None:
        # DELETE /channels/{id}/posts/{post_id}; a post already gone counts as deleted.
        self._call("DELETE", f"/posts/{external_id}", write=True)

    def post_stats(self, external_ids: list[str]) -> dict[str, PostStats]:
        # GET /channels/{id}/stats?ids=1,2,3
        found: dict[str, PostStats] = {}
        for start in range(0, len(external_ids), STATS_CHUNK):
            chunk = external_ids[start:start + STATS_CHUNK]
            data = self._call("GET", "/stats", params={"ids": ",".join(chunk)}) or {}
            for pid, s in data.get("items", {}).items():
                found[str(pid)] = PostStats(views=s.get("views"), likes=s.get("likes"),
                                            comments=s.get("comments"), reposts=s.get("reposts"),
                                            reach=s.get("reach"))
        return found

    def followers(self) -> int | None:
        # GET /channels/{id}/followers
        data = self._call("GET", "/followers", params={"days": 1}) or {}
        value = data.get("followers")
        return int(value) if value is not None else None

    def followers_history(self, days: int) -> list[tuple[date, int]]:
        """Followers at the end of each of the last ``days`` days, oldest first (optional in the
        contract: a channel's chart starts with the month before it was connected)."""
        # GET /channels/{id}/followers?days=N → {"history": [{"day": "YYYY-MM-DD", "followers"}]}
        data = self._call("GET", "/followers", params={"days": days}) or {}
        found = []
        for row in data.get("history") or []:
            try:
                found.append((date.fromisoformat(str(row["day"])), int(row["followers"])))
            except (KeyError, TypeError, ValueError):
                continue  # a row we cannot read is skipped, not fatal
        return found

    def demographics(self, days: int = 30) -> Demographics | None:
        """The channel's visitors by sex, age and city, from the sandbox's stats extension in
        VK's ``stats.get`` shape (ext/audience.py), read with VK's own parser."""
        now = datetime.now(UTC)
        # GET /aud/method/stats.get?group_id=<channel>&timestamp_from=&timestamp_to=
        url = f"{self.base}/aud/method/stats.get"
        params = {"group_id": self.channel, "interval": "all",
                  "timestamp_from": int(now.timestamp()) - days * 86400,
                  "timestamp_to": int(now.timestamp())}
        try:
            response = http.request("GET", url, headers=self.headers, timeout=TIMEOUT,
                                    params=params)
        except http.HttpError as exc:
            raise ConnectorError(f"sandbox: {exc}") from exc
        if response.status_code == 401:
            raise AuthRevoked("sandbox: unauthorised", code=401)
        if response.status_code >= 400:
            raise ConnectorError(f"sandbox: HTTP {response.status_code}",
                                 code=response.status_code)
        body = _json(response)
        if "error" in body:
            error = body["error"] if isinstance(body["error"], dict) else {}
            if error.get("error_code") == 5:  # VK's "user authorization failed"
                raise AuthRevoked(f"sandbox: {error.get('error_msg', '')}", code=5)
            raise ConnectorError(f"sandbox: {error.get('error_msg', 'stats.get failed')}",
                                 code=error.get("error_code"))
        return from_vk_stats(body.get("response"), now.date())

    def comments(self, post_id: str) -> list[dict[str, Any]]:
        """The post's comments so far, ours (``from_channel``) included; [] if the post is gone."""
        # GET /channels/{id}/posts/{post_id}/comments
        data = self._call("GET", f"/posts/{post_id}/comments") or {}
        items = data.get("items")
        return items if isinstance(items, list) else []

    def comment(self, post_id: str, text: str, *, reply_to: str = "", key: str = "") -> str:
        """Comment as the channel; returns the comment id. The sandbox posts a ``key`` once, so
        resending after an ambiguous outcome cannot duplicate the comment."""
        # POST /channels/{id}/posts/{post_id}/comments  {text, reply_to, key}
        body = {"text": text, "reply_to": reply_to or None, "key": key or None}
        data = self._call("POST", f"/posts/{post_id}/comments", write=True, json=body)
        if data is None:
            raise ConnectorError("sandbox: the post is gone", permanent=True, code=404)
        if not data.get("id"):
            raise AmbiguousOutcome("sandbox: the answer had no comment id")
        return str(data["id"])

    def find_comment(self, post_id: str, key: str) -> str | None:
        """The id of our comment sent with ``key``, or None when the sandbox has none."""
        # GET /channels/{id}/posts/{post_id}/comments?key=…
        data = self._call("GET", f"/posts/{post_id}/comments", params={"key": key}) or {}
        items = data.get("items") or []
        return str(items[0]["id"]) if items and isinstance(items[0], dict) else None

    def list_posts(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest posts with their stats (the sandbox's own page in the UI)."""
        data = self._call("GET", "/posts", params={"limit": limit}) or {}
        return [{**item, "accepted_at": _time(item.get("accepted_at")),
                 "edited_at": _time(item.get("edited_at"))} for item in data.get("items", [])]


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _published(item: dict[str, Any]) -> PublishedPost:
    return PublishedPost(external_id=str(item["id"]), url=str(item.get("url", "")),
                         published_at=_time(item.get("accepted_at")), raw=item)
