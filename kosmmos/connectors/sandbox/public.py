"""Public reads against the sandbox's public communities (``ext/public_communities.py``).

``GET /pub/communities/<handle>`` → ``{id, handle, name, followers, posts[]}`` (newest first,
at most 100) and ``GET /pub/search?q=&since=`` → ``{items[]}``, with any key as a Bearer token
(the organisation's sandbox key, else "sandbox"); over 20 calls a second per key → 429.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from kosmmos.connectors import public
from kosmmos.connectors.base import ConnectorError, RateLimited
from kosmmos.lib import http


def _key(keys: Mapping[str, str]) -> str:
    return keys.get("sandbox_key") or "sandbox"


def _get(path: str, keys: Mapping[str, str], params: dict[str, Any] | None = None) -> Any:
    key = _key(keys)
    public.take_slot("sandbox", key)
    url = f"{settings.SANDBOX_URL}/pub/{path}"
    try:
        response = http.get(url, params=params, headers={"Authorization": f"Bearer {key}"})
    except http.HttpError as exc:
        raise ConnectorError(f"sandbox {path}: {exc}") from exc
    if response.status_code == 429:
        try:
            wait = float(response.json().get("retry_after") or 1)
        except (ValueError, AttributeError):
            wait = 1.0
        raise RateLimited(f"sandbox {path}: HTTP 429", retry_after=wait)
    if response.status_code == 404:
        raise ConnectorError(f"The sandbox has no public community {path}.", permanent=True)
    if response.status_code != 200:
        raise ConnectorError(f"sandbox {path}: HTTP {response.status_code}",
                             permanent=400 <= response.status_code < 500)
    try:
        return response.json()
    except ValueError as exc:
        raise ConnectorError(f"sandbox {path}: not JSON") from exc


def read(handle: str, keys: Mapping[str, str]) -> public.Snapshot:
    body = _get(f"communities/{handle}", keys)
    posts = [public.PublicPost(
        external_id=str(p["id"]), published_at=datetime.fromtimestamp(int(p["date"]), tz=UTC),
        text=str(p.get("text") or ""), url=f"sandbox:{handle}/{p['id']}",
        format=str(p.get("format") or public.TEXT) if p.get("format") in public.FORMATS
        else public.OTHER,
        likes=int(p.get("likes") or 0), comments=int(p.get("comments") or 0),
        reposts=int(p.get("reposts") or 0), views=int(p.get("views") or 0),
        marked_ad=bool(p.get("ad"))) for p in body.get("posts", [])
        if isinstance(p, dict) and "id" in p and "date" in p]
    return public.Snapshot(external_id=str(body.get("id") or handle),
                           name=str(body.get("name") or handle), url=f"sandbox:{handle}",
                           followers=int(body["followers"]) if "followers" in body else None,
                           posts=posts)


def can_search(keys: Mapping[str, str]) -> bool:
    return True


def search(query: str, keys: Mapping[str, str], since: datetime) -> list[public.Found]:
    body = _get("search", keys, {"q": query, "since": int(since.timestamp())})
    return [public.Found(
        network="sandbox", external_id=str(item["id"]),
        published_at=datetime.fromtimestamp(int(item["date"]), tz=UTC),
        text=str(item.get("text") or ""), url=str(item.get("url") or ""),
        author=str(item.get("author") or "")) for item in body.get("items", [])
        if isinstance(item, dict) and "id" in item and "date" in item]
