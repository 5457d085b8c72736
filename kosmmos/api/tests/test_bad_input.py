"""Hostile bodies and parameters: every answer a 4xx in the API's error shape, never a 5xx,
nothing stored from a refused request; a 413 and a 500 in the same shape."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from kosmmos.accounts.models import Workspace
from kosmmos.api.tests.conftest import Api, api_as
from kosmmos.channels.models import Channel
from kosmmos.conftest import World
from kosmmos.connectors.registry import CONNECTORS, connector_class
from kosmmos.content.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def ws(world: World) -> Workspace:
    return world.alpha.client_workspace


@pytest.fixture
def api(world: World) -> Api:
    return api_as(world.alpha.manager, world.alpha.org)


def raw_post(api: Api, path: str, body: bytes) -> Any:
    return api.client.post(f"/api/v1{path}", body, content_type="application/json",
                           headers=api.headers)


def error(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("body", [
    b"[" * 20_000, b'{"text": ' + b"[" * 5_000 + b"]" * 5_000 + b"}", b'{"a":' * 3_000,
    b'{"title": "x", "is_ad": ' + b"9" * 5_000 + b"}", b'{"title": 1e400}', b'{"title": NaN}',
    b"\xff\xfe{",
])
def test_it_refuses_a_body_it_cannot_read_with_400_and_stores_nothing(
    api: Api, ws: Workspace, body: bytes,
) -> None:
    response = raw_post(api, f"/workspaces/{ws.pk}/posts", body)
    assert response.status_code == 400
    assert error(response)["code"] in {"invalid_json", "validation_failed"}
    assert not Post.objects.exists()


def test_it_keeps_a_post_whose_text_has_lone_surrogates_and_nul_as_replacement_characters(
    api: Api, ws: Workspace,
) -> None:
    body = json.dumps({"title": "A\ud800", "text": "Текст\x00 \udfff"}).encode()
    response = raw_post(api, f"/workspaces/{ws.pk}/posts", body)
    assert response.status_code == 201, response.content
    post = Post.objects.get()
    assert (post.title, post.text) == ("A\ufffd", "Текст \ufffd")


@pytest.mark.parametrize("cursor", [
    base64.urlsafe_b64encode(b"[" * 5_000).decode(),
    base64.urlsafe_b64encode(json.dumps(["\ud800", "x"]).encode()).decode(),
    base64.urlsafe_b64encode(b'["2026-01-01T00:00:00", ' + b"9" * 5_000 + b"]").decode(),
    "%%%", "\ufffd", "A" * 5_000,
])
def test_it_refuses_a_hostile_cursor_with_400(api: Api, ws: Workspace, cursor: str) -> None:
    response = api.get(f"/workspaces/{ws.pk}/posts", cursor=cursor)
    assert response.status_code == 400
    assert error(response)["fields"] == {"cursor": ["The cursor is not valid."]} or error(
        response)["code"] == "invalid_parameter"


def test_it_refuses_a_5000_digit_from_with_400(api: Api, ws: Workspace) -> None:
    for name in ("from", "to"):
        response = api.get(f"/workspaces/{ws.pk}/posts", **{name: "9" * 5_000})
        assert response.status_code == 400
        assert error(response)["code"] == "invalid_parameter"
        assert name in error(response)["fields"]
    assert api.get(f"/workspaces/{ws.pk}/inbox", since="1" * 5_000).status_code == 400


def test_it_refuses_a_5_mb_post_text_against_the_networks_limits(api: Api, ws: Workspace) -> None:
    longest = max(connector_class(n).limits.text_max for n in CONNECTORS)
    huge = "Ы" * (5 * 2**20 // 2)
    for body in ({"text": huge}, {"text": "ok", "variants": {"vk": huge}}):
        response = api.post(f"/workspaces/{ws.pk}/posts", body)
        assert response.status_code in (400, 413)
        found = error(response)
        assert found["code"] in {"validation_failed", "too_large"}
    assert not Post.objects.exists()
    # The largest text any network takes is accepted (channels decide the rest).
    response = api.post(f"/workspaces/{ws.pk}/posts", {"text": "a" * longest})
    assert response.status_code == 201, response.content
    response = api.post(f"/workspaces/{ws.pk}/posts", {"text": "a" * (longest + 1)})
    assert response.status_code == 400
    assert "text" in error(response)["fields"]


def test_it_checks_a_text_against_the_chosen_channels_network(api: Api, ws: Workspace) -> None:
    channel = Channel.objects.create(organisation=ws.organisation, workspace=ws, network="telegram",
                                     name="TG", external_id="tg-alpha")
    limit = connector_class("telegram").limits.text_max
    response = api.post(f"/workspaces/{ws.pk}/posts",
                        {"text": "a" * (limit + 1), "channels": [str(channel.pk)]})
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_it_answers_a_body_over_the_upload_limit_with_413_in_the_error_shape(
    api: Api, ws: Workspace, settings: Any,
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post(f"/workspaces/{ws.pk}/posts", {"text": "a" * 2000})
    assert response.status_code == 413
    assert error(response)["code"] == "too_large"
    assert not Post.objects.exists()


def test_it_answers_a_failure_with_500_in_the_error_shape(
    world: World, ws: Workspace, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kosmmos.api import endpoints

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(endpoints, "workspace_for", broken)
    client = Client(raise_request_exception=False)
    api = api_as(world.alpha.manager, world.alpha.org)
    response = client.get(f"/api/v1/workspaces/{ws.pk}/posts", headers=api.headers)
    assert response.status_code == 500
    assert error(response)["code"] == "server_error"
    assert "boom" not in response.content.decode()



def test_it_refuses_a_publication_time_with_an_offset_no_zone_has(api: Api, ws: Workspace) -> None:
    # PostgreSQL refuses offsets past ±16 h: schemathesis found it there as a 500.
    body = json.dumps({"title": "Пост", "text": "Текст", "publish_at": "2027-01-10T06:25:43-17:11"})
    response = raw_post(api, f"/workspaces/{ws.pk}/posts", body.encode())
    assert response.status_code == 400, response.content
    assert "publish_at" in error(response)["fields"]
    assert not Post.objects.exists()
