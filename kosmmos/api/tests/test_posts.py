"""Creating and moving posts through the API: the editor's checks, the content app's rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from kosmmos.accounts.models import Workspace
from kosmmos.api.models import IdempotentResponse
from kosmmos.api.tests.conftest import Api, api_as
from kosmmos.channels.models import Channel
from kosmmos.conftest import World
from kosmmos.content.models import MediaItem, Post, PostEvent, PostStatus, TargetStatus
from kosmmos.content.validation import Draft, MediaInfo, check_content


def _channel(workspace: Workspace, network: str) -> Channel:
    return Channel.objects.create(organisation=workspace.organisation, workspace=workspace,
                                  network=network, name=f"Alpha {network}",
                                  external_id=f"{network}-alpha")


def _photo(workspace: Workspace) -> MediaItem:
    return MediaItem.objects.create(organisation=workspace.organisation, workspace=workspace,
                                    file="media/none.png", kind="photo", mime="image/png",
                                    name="photo.png", size=1000)


@pytest.fixture
def ws(world: World) -> Workspace:
    return world.alpha.client_workspace


@pytest.fixture
def api(world: World) -> Api:
    return api_as(world.alpha.manager, world.alpha.org)


def _later(days: int = 3) -> str:
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0).isoformat()


def test_it_creates_a_draft_post_with_variants_channels_and_media(api: Api, ws: Workspace) -> None:
    vk, tg = _channel(ws, "vk"), _channel(ws, "telegram")
    photo = _photo(ws)
    response = api.post(f"/workspaces/{ws.pk}/posts", {
        "title": "Осень", "text": "Осенняя коллекция", "variants": {"telegram": "Коротко"},
        "channels": [str(vk.pk), str(tg.pk)], "media": [str(photo.pk)], "publish_at": _later(),
        "hashtags": "осень скидки"})
    assert response.status_code == 201, response.content
    body = response.json()
    post = Post.objects.get(pk=body["id"])
    assert (post.status, post.text, post.author) == (PostStatus.DRAFT, "Осенняя коллекция",
                                                     api_user(api))
    assert body["variants"] == {"telegram": "Коротко"}
    assert body["media"] == [str(photo.pk)]
    assert body["hashtags"] == "#осень #скидки"
    assert sorted(t["channel"]["network"] for t in body["targets"]) == ["telegram", "vk"]
    assert all(t["status"] == TargetStatus.DRAFT for t in body["targets"])
    assert body["warnings"] == []
    assert PostEvent.objects.filter(post=post, kind="created").exists()


def api_user(api: Api) -> Any:
    from kosmmos.api.models import ApiToken

    prefix = api.headers["Authorization"].split("_")[1]
    return ApiToken.objects.get(prefix=prefix).user


@pytest.mark.parametrize("language", ["ru", "en"])
def test_it_refuses_a_too_long_telegram_caption_with_the_editors_message(
        world: World, ws: Workspace, language: str) -> None:
    tg = _channel(ws, "telegram")
    photo = _photo(ws)
    api = api_as(world.alpha.manager, world.alpha.org, language=language)
    response = api.post(f"/workspaces/{ws.pk}/posts", {
        "text": "a" * 1250, "channels": [str(tg.pk)], "media": [str(photo.pk)]})
    assert response.status_code == 400
    error = response.json()["error"]
    with translation.override(language):
        expected = [p.message for p in check_content(Draft(
            text="a" * 1250, media=[MediaInfo("photo", 1000)], networks=["telegram"]))]
    assert error["code"] == "validation_failed"
    assert error["fields"] == {"networks.telegram": expected}
    assert error["message"] == expected[0]
    if language == "en":
        assert expected == ["The Telegram caption is 1,250 characters; the limit with media is 1,024."]
    else:
        assert "Telegram" in expected[0] and "1 024" in expected[0].replace("\xa0", " ")
    assert response["Content-Language"] == language
    assert not Post.objects.exists()


def test_it_refuses_an_ad_post_without_advertiser(world: World, ws: Workspace) -> None:
    vk = _channel(ws, "vk")
    api = api_as(world.alpha.manager, world.alpha.org, language="en")
    response = api.post(f"/workspaces/{ws.pk}/posts", {
        "text": "Скидка 20%", "channels": [str(vk.pk)], "is_ad": True, "erid": "2VtzqvABC"})
    assert response.status_code == 400
    # The editor's rule, from the same form: the advertiser field names what is missing (the
    # erid may come from the ORD at approval; scheduling asks for it).
    assert response.json()["error"]["fields"] == {"advertiser": [
        "An advertising post must name the advertiser."]}
    ok = api.post(f"/workspaces/{ws.pk}/posts", {
        "text": "Скидка 20%", "channels": [str(vk.pk)], "is_ad": True,
        "advertiser": "ООО «Ромашка»", "erid": "2VtzqvABC"})
    assert ok.status_code == 201
    assert ok.json()["erid"] == "2VtzqvABC"


def test_it_reports_field_errors_like_the_form(world: World, ws: Workspace) -> None:
    other = _channel(world.beta.client_workspace, "vk")  # another agency's channel
    api = api_as(world.alpha.manager, world.alpha.org, language="en")
    response = api.post(f"/workspaces/{ws.pk}/posts", {
        "text": "x", "title": "t" * 300, "channels": [str(other.pk)], "variants": {"ok": "x"},
        "publish_at": "tomorrow"})
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields == {"publish_at": [
        "Expected a date and time in ISO 8601, e.g. 2026-12-01T10:00:00+03:00."]}
    response = api.post(f"/workspaces/{ws.pk}/posts", {
        "text": "x", "title": "t" * 300, "channels": [str(other.pk)], "variants": {"ok": "x"},
        "colour": "red"})
    fields = response.json()["error"]["fields"]
    assert fields == {"colour": ["Unknown field."]}
    response = api.post(f"/workspaces/{ws.pk}/posts", {
        "text": "x", "title": "t" * 300, "channels": [str(other.pk)], "variants": {"ok": "x"}})
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"title", "channels", "variants.ok"}
    assert "not one of the available choices" in fields["channels"][0]
    assert not Post.objects.exists()


def test_it_refuses_a_body_that_is_not_json(api: Api, ws: Workspace) -> None:
    response = api.client.post(f"/api/v1/workspaces/{ws.pk}/posts", "text=x",
                               content_type="application/x-www-form-urlencoded",
                               headers=api.headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_it_replays_a_write_with_the_same_idempotency_key(api: Api, ws: Workspace) -> None:
    body = {"text": "Один раз"}
    first = api.post(f"/workspaces/{ws.pk}/posts", body, key="crm-42")
    second = api.post(f"/workspaces/{ws.pk}/posts", body, key="crm-42")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Post.objects.count() == 1
    # The same key for a different request is refused, not replayed.
    other = api.post(f"/workspaces/{ws.pk}/posts", {"text": "Другой"}, key="crm-42")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    # Without a key, or with another one, it is a new post.
    assert api.post(f"/workspaces/{ws.pk}/posts", body, key="crm-43").status_code == 201
    assert Post.objects.count() == 2


def test_it_keys_idempotency_per_token(world: World, ws: Workspace) -> None:
    one = api_as(world.alpha.manager, world.alpha.org)
    two = api_as(world.alpha.owner, world.alpha.org)
    assert one.post(f"/workspaces/{ws.pk}/posts", {"text": "x"}, key="k").status_code == 201
    assert two.post(f"/workspaces/{ws.pk}/posts", {"text": "x"}, key="k").status_code == 201
    assert Post.objects.count() == 2


def test_it_does_not_store_a_refused_write(api: Api, ws: Workspace) -> None:
    bad = api.post(f"/workspaces/{ws.pk}/posts", {"text": ""}, key="fix-and-resend")
    assert bad.status_code == 400
    assert not IdempotentResponse.objects.exists()
    good = api.post(f"/workspaces/{ws.pk}/posts", {"text": "Исправлено"}, key="fix-and-resend")
    assert good.status_code == 201


def test_it_schedules_only_an_approved_post_and_unschedules_it(world: World, ws: Workspace) -> None:
    sandbox = _channel(ws, "sandbox")
    manager = api_as(world.alpha.manager, world.alpha.org, language="en")
    created = manager.post(f"/workspaces/{ws.pk}/posts", {
        "text": "Скоро", "channels": [str(sandbox.pk)], "publish_at": _later()}).json()
    path = f"/posts/{created['id']}"
    refused = manager.post(f"{path}/schedule")
    assert refused.status_code == 409
    assert refused.json()["error"] == {"code": "conflict", "fields": {},
                                       "message": "Only an approved post can be scheduled."}
    assert manager.post(f"{path}/review").json()["status"] == PostStatus.IN_REVIEW
    assert manager.post(f"{path}/approve").json()["status"] == PostStatus.APPROVED
    scheduled = manager.post(f"{path}/schedule", key="schedule-1")
    assert scheduled.status_code == 200
    assert scheduled.json()["status"] == PostStatus.SCHEDULED
    assert scheduled.json()["targets"][0]["status"] == TargetStatus.SCHEDULED
    assert manager.post(f"{path}/schedule", key="schedule-1").json() == scheduled.json()
    detail = manager.get(path).json()
    assert detail["targets"][0] | {"publish_at": None} == {
        "id": detail["targets"][0]["id"],
        "channel": {"id": str(sandbox.pk), "network": "sandbox", "name": "Alpha sandbox"},
        "status": "scheduled", "publish_at": None, "attempts": 0, "last_error": "",
        "external_id": "", "url": "", "published_at": None}
    unscheduled = manager.post(f"{path}/unschedule")
    assert unscheduled.json()["status"] == PostStatus.APPROVED
    kinds = list(PostEvent.objects.filter(post_id=created["id"]).values_list("kind", flat=True))
    assert {"sent_for_review", "approved", "scheduled", "unscheduled"} <= set(kinds)


def test_it_refuses_to_schedule_a_post_whose_time_has_passed(world: World, ws: Workspace) -> None:
    sandbox = _channel(ws, "sandbox")
    post = Post.objects.create(organisation=ws.organisation, workspace=ws, text="Поздно",
                               status=PostStatus.APPROVED,
                               publish_at=timezone.now() - timedelta(hours=1))
    post.targets.create(organisation=ws.organisation, channel=sandbox)
    api = api_as(world.alpha.owner, world.alpha.org, language="en")
    response = api.post(f"/posts/{post.pk}/schedule")
    assert response.status_code == 409
    assert "The publication time has passed" in response.json()["error"]["message"]


def test_it_shows_attempts_and_the_last_error_of_a_failed_target(world: World, ws: Workspace) -> None:
    tg = _channel(ws, "telegram")
    post = Post.objects.create(organisation=ws.organisation, workspace=ws, text="Упало",
                               status=PostStatus.FAILED, publish_at=timezone.now())
    post.targets.create(organisation=ws.organisation, channel=tg, status=TargetStatus.FAILED,
                        attempts=3, last_error="Telegram 400: chat not found")
    target = api_as(world.alpha.analyst, world.alpha.org).get(f"/posts/{post.pk}").json()["targets"][0]
    assert (target["status"], target["attempts"], target["last_error"]) == (
        "failed", 3, "Telegram 400: chat not found")


def test_it_forgets_an_idempotency_key_after_a_day(api: Api, ws: Workspace) -> None:
    assert api.post(f"/workspaces/{ws.pk}/posts", {"text": "x"}, key="old").status_code == 201
    IdempotentResponse.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = api.post(f"/workspaces/{ws.pk}/posts", {"text": "x"}, key="old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Post.objects.count() == 2 and IdempotentResponse.objects.count() == 1


def test_it_replays_when_a_concurrent_call_stored_the_key_first(api: Api, ws: Workspace,
                                                                monkeypatch: Any) -> None:
    """Two calls with one key in flight: the second's insert hits the unique key, its post rolls
    back with it, and it answers with the first call's stored response."""
    from kosmmos.api import idempotency

    first = api.post(f"/workspaces/{ws.pk}/posts", {"text": "x"}, key="race").json()
    real_filter = IdempotentResponse.objects.filter
    calls = {"n": 0}

    def blind_first_lookup(*args: Any, **kwargs: Any) -> Any:
        # The racing call's first look happens before the other one committed: it sees nothing.
        if kwargs.get("key") == "race" and calls["n"] == 0:
            calls["n"] += 1
            return IdempotentResponse.objects.none()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(idempotency.IdempotentResponse.objects, "filter", blind_first_lookup)
    second = api.post(f"/workspaces/{ws.pk}/posts", {"text": "x"}, key="race")
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first
    assert Post.objects.count() == 1


def test_it_refuses_a_publication_time_out_of_range_with_400_not_500(
        world: World, ws: Workspace) -> None:
    api = api_as(world.alpha.manager, world.alpha.org, language="en")
    api.client.raise_request_exception = False
    for moment in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00",
                   "0001-01-01T00:00:00"):  # naive: in the agency's zone, Moscow, ahead of UTC
        response = api.post(f"/workspaces/{ws.pk}/posts", {"text": "x", "publish_at": moment})
        assert response.status_code == 400, moment
        assert list(response.json()["error"]["fields"]) == ["publish_at"]
    assert not Post.objects.exists()
