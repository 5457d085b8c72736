"""Public reads of other communities with a service token, at the HTTP seam (respx), every
request and answer checked against VK's schema (``spec_checked``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from kosmmos.connectors import public
from kosmmos.connectors.base import ConnectorError
from kosmmos.connectors.testing import load

HERE = Path(__file__).parent
API = "https://api.vk.com/method/"
KEYS = {"vk_service_token": "service-token-1"}


def form(route: respx.Route, call: int = -1) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(route.calls[call].request.content.decode()).items()}


@respx.mock
def test_it_reads_a_community_and_its_wall_with_the_service_token() -> None:
    group = respx.post(API + "groups.getById").mock(
        return_value=httpx.Response(200, json=load(HERE, "groups_getById.json")))
    wall = respx.post(API + "wall.get").mock(
        return_value=httpx.Response(200, json=load(HERE, "wall_get.json")))
    snapshot = public.read("vk", "kbeauty_shop", KEYS)
    assert form(group)["group_ids"] == "kbeauty_shop"
    assert form(group)["fields"] == "members_count"
    assert form(wall)["owner_id"] == "-123456" and form(wall)["count"] == "100"
    assert form(wall)["access_token"] == "service-token-1"
    assert snapshot.followers == 15320 and snapshot.url == "https://vk.com/kbeauty_shop"
    first = snapshot.posts[0]
    assert (first.external_id, first.likes, first.comments, first.reposts, first.views) == (
        "4322", 41, 3, 5, 1200)
    assert first.url == "https://vk.com/wall-123456_4322"
    assert snapshot.posts[1].format == public.PHOTO


def test_it_needs_the_service_token() -> None:
    with pytest.raises(ConnectorError) as caught:
        public.read("vk", "kbeauty_shop", {})
    assert caught.value.permanent


@respx.mock
def test_it_searches_mentions_with_newsfeed_search() -> None:
    route = respx.post(API + "newsfeed.search").mock(
        return_value=httpx.Response(200, json=load(HERE, "newsfeed_search.json")))
    since = datetime(2024, 6, 16, tzinfo=UTC)
    found = public.search("vk", "Корейская косметика", KEYS, since)
    assert form(route)["q"] == "Корейская косметика"
    assert form(route)["start_time"] == str(int(since.timestamp()))
    assert form(route)["count"] == "200"
    assert [(f.external_id, f.url) for f in found] == [("-555_77", "https://vk.com/wall-555_77")]
    assert public.search("vk", "x", {}, since) == []
