"""Hostile bodies and parameters fired at the API beside the schemathesis run (which keeps to
the document's types): no 5xx, every answer in the error shape, nothing stored from a refused
request, a good post still created. Bounded: a fixed number of examples."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kosmmos.api.tests.conftest import api_as
from kosmmos.conftest import World
from kosmmos.content.models import Post
from kosmmos.links.tests.test_fuzz_doors import BOUNDED, _dump, huge_text, raw_bodies, text, values

pytestmark = pytest.mark.django_db

POST_FIELDS = ["title", "text", "variants", "hashtags", "channels", "media", "publish_at", "is_ad",
               "advertiser", "erid", "rubric"]
bodies = st.one_of(
    st.dictionaries(st.sampled_from(POST_FIELDS), values, max_size=4).map(_dump), raw_bodies)
parameters = st.one_of(text, huge_text, st.sampled_from(["9" * 5_000, "1" * 5_000, "%%", "[" * 3_000]))


def _is_error(response: Any) -> None:
    assert response.status_code < 500
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json")
        assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_it_survives_hostile_post_bodies(world: World) -> None:
    api = api_as(world.alpha.manager, world.alpha.org)
    ws = world.alpha.client_workspace
    url = f"/api/v1/workspaces/{ws.pk}/posts"

    @BOUNDED
    @given(bodies)
    def fire(body: bytes) -> None:
        before = Post.objects.count()
        response = api.client.post(url, body, content_type="application/json", headers=api.headers)
        _is_error(response)
        if response.status_code >= 400:
            assert Post.objects.count() == before

    fire()
    assert api.post(f"/workspaces/{ws.pk}/posts", {"title": "После", "text": "Текст"}).status_code == 201
    assert Post.objects.filter(title="После").count() == 1


def test_it_survives_hostile_list_parameters(world: World) -> None:
    api = api_as(world.alpha.manager, world.alpha.org)
    ws = world.alpha.client_workspace

    @BOUNDED
    @given(st.sampled_from([("posts", "cursor"), ("posts", "from"), ("posts", "to"),
                            ("inbox", "since"), ("inbox", "cursor"), ("posts", "limit")]),
           parameters)
    def fire(where: tuple[str, str], value: str) -> None:
        path, name = where
        _is_error(api.get(f"/workspaces/{ws.pk}/{path}", **{name: value}))

    fire()
