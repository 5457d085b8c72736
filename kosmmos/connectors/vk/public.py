"""Public reads of any VK community with the agency's service token (facts §2–3).

- https://dev.vk.com/ru/method/groups.getById — user, group or service token; ``group_ids``,
  ``fields=members_count`` → ``{groups[], profiles[]}``.
- https://dev.vk.com/ru/method/wall.get — user or service token; ``owner_id=-<id>``,
  ``count`` ≤ 100; each item has ``date``, ``likes/comments/reposts/views.count``,
  ``marked_as_ads``.
- https://dev.vk.com/ru/method/newsfeed.search — user or service token; ``q``, ``count`` ≤ 200,
  ``start_time``; only the first 1000 results are reachable.

``execute`` does not take service tokens, so each community costs two calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kosmmos.connectors import public
from kosmmos.connectors.base import ConnectorError
from kosmmos.connectors.vk.client import SERVICE, VkClient

WALL_COUNT = 100
SEARCH_COUNT = 200


def _client(keys: Mapping[str, str]) -> VkClient:
    token = keys.get("vk_service_token", "")
    if not token:
        raise ConnectorError("No VK service token: set it in the organisation's settings.",
                             permanent=True)
    return VkClient(token, kind=SERVICE)


def _count(item: Mapping[str, Any], name: str) -> int:
    value = item.get(name)
    return int(value.get("count") or 0) if isinstance(value, dict) else 0


def _format(item: Mapping[str, Any]) -> str:
    kinds = [a.get("type") for a in item.get("attachments") or [] if isinstance(a, dict)]
    for kind, label in (("video", public.VIDEO), ("clip", public.VIDEO), ("photo", public.PHOTO),
                        ("poll", public.POLL), ("link", public.LINK)):
        if kind in kinds:
            return label
    return public.OTHER if kinds else public.TEXT


def _post(item: Mapping[str, Any], owner: int) -> public.PublicPost:
    pid = int(item["id"])
    return public.PublicPost(
        external_id=str(pid), published_at=datetime.fromtimestamp(int(item["date"]), tz=UTC),
        text=str(item.get("text") or ""), url=f"https://vk.com/wall{owner}_{pid}",
        format=_format(item), likes=_count(item, "likes"), comments=_count(item, "comments"),
        reposts=_count(item, "reposts"), views=_count(item, "views"),
        marked_ad=bool(item.get("marked_as_ads")))


def read(handle: str, keys: Mapping[str, str]) -> public.Snapshot:
    client = _client(keys)
    public.take_slot("vk", client.token)
    answer = client.call("groups.getById", {"group_ids": handle, "fields": "members_count"})
    groups = answer.get("groups", []) if isinstance(answer, dict) else answer
    if not groups:
        raise ConnectorError(f"VK has no community {handle}", permanent=True)
    group = groups[0]
    gid = int(group["id"])
    if group.get("is_closed"):
        raise ConnectorError(f"The VK community {handle} is closed: its wall is not public.",
                             permanent=True)
    public.take_slot("vk", client.token)
    wall = client.call("wall.get", {"owner_id": -gid, "count": WALL_COUNT, "filter": "owner"})
    members = group.get("members_count")
    return public.Snapshot(
        external_id=str(gid), name=str(group.get("name") or handle),
        url=f"https://vk.com/{group.get('screen_name') or f'club{gid}'}",
        followers=int(members) if members is not None else None,
        posts=[_post(item, -gid) for item in wall.get("items", [])
               if isinstance(item, dict) and "id" in item and "date" in item])


def can_search(keys: Mapping[str, str]) -> bool:
    return bool(keys.get("vk_service_token"))


def search(query: str, keys: Mapping[str, str], since: datetime) -> list[public.Found]:
    if not can_search(keys):
        return []
    client = _client(keys)
    public.take_slot("vk", client.token)
    answer = client.call("newsfeed.search", {"q": query, "count": SEARCH_COUNT,
                                             "start_time": int(since.timestamp())})
    found: list[public.Found] = []
    for item in answer.get("items", []):
        if not isinstance(item, dict) or "id" not in item or "owner_id" not in item:
            continue
        owner, pid = int(item["owner_id"]), int(item["id"])
        found.append(public.Found(
            network="vk", external_id=f"{owner}_{pid}",
            published_at=datetime.fromtimestamp(int(item.get("date") or 0), tz=UTC),
            text=str(item.get("text") or ""), url=f"https://vk.com/wall{owner}_{pid}",
            author=str(item.get("from_id") or owner),
            raw={"likes": _count(item, "likes"), "views": _count(item, "views")}))
    return found
