"""VK connector against recorded-shape payloads replayed at the HTTP seam (respx)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from kosmmos.connectors.base import (
    AmbiguousOutcome,
    AuthRevoked,
    ConnectorError,
    Media,
    PublishRequest,
    RateLimited,
    ReplyTo,
)
from kosmmos.connectors.registry import build, inbound
from kosmmos.connectors.testing import FakeClock, load, media_file
from kosmmos.connectors.vk.connector import VkConnector

HERE = Path(__file__).parent
API = "https://api.vk.com/method/"
UPLOAD_PHOTO = load(HERE, "photos_getWallUploadServer.json")["response"]["upload_url"]
UPLOAD_VIDEO = load(HERE, "video_save.json")["response"]["upload_url"]
SENT_AT = datetime.fromtimestamp(1718600000, UTC)
TEXT = "Новая коллекция сывороток уже в продаже!"


def fixture(name: str) -> httpx.Response:
    return httpx.Response(200, json=load(HERE, name))


def vk_error(code: int, message: str = "error") -> httpx.Response:
    return httpx.Response(200, json={"error": {"error_code": code, "error_msg": message,
                                               "request_params": []}})


def form(route: respx.Route, call: int = -1) -> dict[str, str]:
    request = route.calls[call].request
    return {k: v[0] for k, v in parse_qs(request.content.decode(), keep_blank_values=True).items()}


def connector(**credentials: Any) -> VkConnector:
    creds = {"user_token": "vk1.a.user-token", "community_token": "vk1.a.group-token",
             **credentials}
    found = build("vk", creds, {"external_id": "123456"})
    assert isinstance(found, VkConnector)
    return found


def request(**kwargs: Any) -> PublishRequest:
    return PublishRequest(**{"key": "target-7f3a", "text": TEXT, "publish_at": SENT_AT, **kwargs})


def test_it_posts_text_from_the_community_with_our_guid(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(API + "wall.post").mock(return_value=fixture("wall_post.json"))
    post = connector().publish(request())
    assert form(route) == {
        "owner_id": "-123456", "from_group": "1", "message": TEXT, "guid": "target-7f3a",
        "access_token": "vk1.a.user-token", "v": "5.199",
    }
    assert post.external_id == "4321"
    assert post.url == "https://vk.com/wall-123456_4321"


def test_it_uploads_photos_and_videos_then_attaches_them(
    respx_mock: respx.MockRouter, tmp_path: Path
) -> None:
    server = respx_mock.post(API + "photos.getWallUploadServer").mock(
        return_value=fixture("photos_getWallUploadServer.json"))
    upload = respx_mock.post(UPLOAD_PHOTO).mock(return_value=fixture("photo_upload.json"))
    save = respx_mock.post(API + "photos.saveWallPhoto").mock(
        return_value=fixture("photos_saveWallPhoto.json"))
    video = respx_mock.post(API + "video.save").mock(return_value=fixture("video_save.json"))
    video_upload = respx_mock.post(UPLOAD_VIDEO).mock(return_value=fixture("video_upload.json"))
    post = respx_mock.post(API + "wall.post").mock(return_value=fixture("wall_post.json"))

    photo = media_file(tmp_path, "serum.png", b"PNG-BYTES")
    clip = media_file(tmp_path, "clip.mp4", b"MP4-BYTES")
    connector().publish(request(media=(
        Media(kind="photo", path=photo, mime="image/png", name="serum.png"),
        Media(kind="video", path=clip, mime="video/mp4", name="clip.mp4"),
    ), is_ad=True, erid="2VtzqwXyZ1", advertiser="ООО «Ким»"))

    assert form(server) == {"group_id": "123456", "access_token": "vk1.a.user-token",
                            "v": "5.199"}
    body = upload.calls.last.request.content
    assert b'name="photo"; filename="serum.png"' in body and b"PNG-BYTES" in body
    uploaded = load(HERE, "photo_upload.json")
    assert form(save) == {
        "group_id": "123456", "server": str(uploaded["server"]), "photo": uploaded["photo"],
        "hash": uploaded["hash"], "access_token": "vk1.a.user-token", "v": "5.199",
    }
    assert form(video) == {"group_id": "123456", "name": "clip.mp4",
                           "access_token": "vk1.a.user-token", "v": "5.199"}
    body = video_upload.calls.last.request.content
    assert b'name="video_file"; filename="clip.mp4"' in body and b"MP4-BYTES" in body
    assert form(post) == {
        "owner_id": "-123456", "from_group": "1",
        "message": f"{TEXT}\n\nРеклама. ООО «Ким». erid: 2VtzqwXyZ1",
        "guid": "target-7f3a", "attachments": "photo-123456_457239017,video-123456_456239018",
        "mark_as_ads": "1", "access_token": "vk1.a.user-token", "v": "5.199",
    }


def test_it_postpones_a_post_due_later(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(API + "wall.post").mock(return_value=fixture("wall_post.json"))
    later = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    post = connector().publish(request(publish_at=later))
    assert form(route)["publish_date"] == str(int(later.timestamp()))
    assert post.published_at == later


def test_it_refuses_a_photo_vk_did_not_store(respx_mock: respx.MockRouter, tmp_path: Path) -> None:
    respx_mock.post(API + "photos.getWallUploadServer").mock(
        return_value=fixture("photos_getWallUploadServer.json"))
    respx_mock.post(UPLOAD_PHOTO).mock(return_value=fixture("photo_upload_empty.json"))
    post = respx_mock.post(API + "wall.post")
    photo = media_file(tmp_path, "broken.png")
    with pytest.raises(ConnectorError) as caught:
        connector().publish(request(media=(Media("photo", photo, "image/png", "broken.png"),)))
    assert caught.value.permanent and "broken.png" in caught.value.message
    assert not post.called


def test_it_reports_a_read_timeout_on_wall_post_as_ambiguous(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.post(API + "wall.post").mock(side_effect=httpx.ReadTimeout("read timed out"))
    with pytest.raises(AmbiguousOutcome):
        connector().publish(request())


def test_it_reports_a_server_error_on_wall_post_as_ambiguous(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.post(API + "wall.post").mock(return_value=httpx.Response(502, text="Bad Gateway"))
    with pytest.raises(AmbiguousOutcome):
        connector().publish(request())


def test_it_reports_a_connect_failure_as_transient(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "wall.post").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ConnectorError) as caught:
        connector().publish(request())
    assert type(caught.value) is ConnectorError and not caught.value.permanent


def test_it_treats_a_timeout_before_posting_as_transient(
    respx_mock: respx.MockRouter, tmp_path: Path
) -> None:
    respx_mock.post(API + "photos.getWallUploadServer").mock(
        side_effect=httpx.ReadTimeout("read timed out"))
    post = respx_mock.post(API + "wall.post")
    photo = media_file(tmp_path, "a.png")
    with pytest.raises(ConnectorError) as caught:
        connector().publish(request(media=(Media("photo", photo, "image/png"),)))
    assert type(caught.value) is ConnectorError and not caught.value.permanent
    assert not post.called


@pytest.mark.parametrize(("code", "kind", "retry_after"), [
    (5, AuthRevoked, None), (27, AuthRevoked, None),
    (6, RateLimited, 1.0), (9, RateLimited, 600.0), (29, RateLimited, 3600.0),
])
def test_it_maps_auth_and_rate_errors(
    respx_mock: respx.MockRouter, code: int, kind: type, retry_after: float | None
) -> None:
    respx_mock.post(API + "wall.post").mock(return_value=vk_error(code, "VK says no"))
    with pytest.raises(kind) as caught:
        connector().publish(request())
    assert caught.value.code == code
    if retry_after is not None:
        assert caught.value.retry_after == retry_after
    if kind is AuthRevoked:
        assert caught.value.permanent and "Reconnect" in caught.value.message


def test_it_maps_the_documented_auth_error_fixture(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "groups.getById").mock(return_value=fixture("error.json"))
    with pytest.raises(AuthRevoked) as caught:
        connector().check()
    assert "invalid access_token" in caught.value.message


def test_it_treats_internal_error_10_as_ambiguous_on_wall_post_only(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.post(API + "wall.post").mock(return_value=vk_error(10, "Internal server error"))
    respx_mock.post(API + "wall.delete").mock(return_value=vk_error(10, "Internal server error"))
    with pytest.raises(AmbiguousOutcome):
        connector().publish(request())
    with pytest.raises(ConnectorError) as caught:
        connector().delete("4321")
    assert type(caught.value) is ConnectorError and not caught.value.permanent


@pytest.mark.parametrize(("code", "words"), [
    (14, "captcha"), (17, "validated"), (214, "denied posting"), (219, "advertising post"),
    (224, "limit of advertising"), (222, "hyperlinks"), (100, "One of the parameters"),
])
def test_it_maps_permanent_errors_with_a_clear_message(
    respx_mock: respx.MockRouter, code: int, words: str
) -> None:
    respx_mock.post(API + "wall.post").mock(
        return_value=vk_error(code, "One of the parameters specified was missing or invalid"))
    with pytest.raises(ConnectorError) as caught:
        connector().publish(request())
    assert caught.value.permanent and caught.value.code == code
    assert not isinstance(caught.value, (AuthRevoked, AmbiguousOutcome))
    assert words in caught.value.message


def test_it_refuses_too_long_text_and_too_many_media_before_calling(
    respx_mock: respx.MockRouter,
) -> None:
    with pytest.raises(ConnectorError) as caught:
        connector().publish(request(text="я" * 16385))
    assert caught.value.permanent and "16385" in caught.value.message
    media = tuple(Media("photo", f"/nope/{i}.png", "image/png") for i in range(11))
    with pytest.raises(ConnectorError):
        connector().publish(request(media=media))
    assert not respx_mock.calls


def test_it_finds_the_post_it_sent_by_text_attachments_and_time(
    respx_mock: respx.MockRouter,
) -> None:
    route = respx_mock.post(API + "wall.get")
    route.side_effect = [fixture("wall_get.json"), fixture("wall_get_postponed.json")]
    found = connector().find(request(media=(Media("photo", "/x.png", "image/png"),)))
    assert found is not None and found.external_id == "4321"  # not the older 4100
    assert found.url == "https://vk.com/wall-123456_4321"
    assert [form(route, i)["filter"] for i in (0, 1)] == ["owner", "postponed"]
    assert form(route, 0) == {"owner_id": "-123456", "count": "100", "filter": "owner",
                              "access_token": "vk1.a.user-token", "v": "5.199"}


def test_it_finds_a_postponed_post(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "wall.get").side_effect = [
        fixture("wall_get_empty.json"), fixture("wall_get_postponed.json")]
    found = connector().find(request(text="Анонс распродажи"))
    assert found is not None and found.external_id == "4400"


def test_it_finds_nothing_when_the_text_or_media_differ(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "wall.get").side_effect = [
        fixture("wall_get.json"), fixture("wall_get_postponed.json")] * 2
    assert connector().find(request()) is None  # the match has a photo, the request none
    assert connector().find(request(text="Другой текст")) is None


def test_it_edits_the_text_and_keeps_the_attachments(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "wall.getById").mock(return_value=fixture("wall_getById.json"))
    route = respx_mock.post(API + "wall.edit").mock(return_value=fixture("wall_edit.json"))
    connector().edit("4321", request(text="Исправленный текст"))
    assert form(route) == {
        "owner_id": "-123456", "post_id": "4321", "message": "Исправленный текст",
        "attachments": "photo-123456_457239017_8a1b2c3d4e",
        "access_token": "vk1.a.user-token", "v": "5.199",
    }


def test_it_deletes_a_post(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(API + "wall.delete").mock(return_value=fixture("wall_delete.json"))
    connector().delete("4321")
    assert form(route) == {"owner_id": "-123456", "post_id": "4321",
                           "access_token": "vk1.a.user-token", "v": "5.199"}


def test_it_reads_counts_and_reach(respx_mock: respx.MockRouter) -> None:
    by_id = respx_mock.post(API + "wall.getById").mock(return_value=fixture("wall_getById.json"))
    reach = respx_mock.post(API + "stats.getPostReach").mock(
        return_value=fixture("stats_getPostReach.json"))
    stats = connector().post_stats(["4321", "4322"])
    assert form(by_id)["posts"] == "-123456_4321,-123456_4322"
    assert form(reach) == {"owner_id": "-123456", "post_ids": "4321,4322",
                           "access_token": "vk1.a.user-token", "v": "5.199"}
    assert stats["4321"].views == 1200 and stats["4321"].likes == 41
    assert stats["4321"].comments == 3 and stats["4321"].reposts == 5
    assert stats["4321"].reach == 1500 and stats["4322"].reach == 250


def test_it_asks_for_reach_in_chunks_of_thirty(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "wall.getById").mock(return_value=fixture("wall_getById.json"))
    reach = respx_mock.post(API + "stats.getPostReach").mock(
        return_value=httpx.Response(200, json={"response": []}))
    connector().post_stats([str(i) for i in range(1, 45)])
    assert [len(form(reach, i)["post_ids"].split(",")) for i in range(2)] == [30, 14]


def test_it_keeps_counts_without_statistics_access(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "wall.getById").mock(return_value=fixture("wall_getById.json"))
    respx_mock.post(API + "stats.getPostReach").mock(return_value=vk_error(15, "Access denied"))
    stats = connector().post_stats(["4321"])
    assert stats["4321"].likes == 41 and stats["4321"].reach is None


def test_it_checks_the_community_and_the_editor_rights(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(API + "groups.getById").mock(return_value=fixture("groups_getById.json"))
    expires = datetime(2030, 1, 1, tzinfo=UTC)
    info = connector(user_token_expires_at=expires.isoformat()).check()
    assert info.title == "Корейская косметика" and info.can_post and info.followers == 15320
    assert info.token_expires_at == expires and info.problems == ()
    assert form(route, 0) == {"group_id": "123456", "fields": "members_count,can_post",
                              "access_token": "vk1.a.user-token", "v": "5.199"}
    # The community token is asked without group_id: then VK answers with its own community.
    assert form(route, 1) == {"access_token": "vk1.a.group-token", "v": "5.199"}


def test_it_says_when_the_community_token_belongs_to_another_community(
    respx_mock: respx.MockRouter,
) -> None:
    other = load(HERE, "groups_getById.json")
    other["response"]["groups"][0]["id"] = 999
    respx_mock.post(API + "groups.getById").mock(side_effect=[
        fixture("groups_getById.json"), httpx.Response(200, json=other)])
    info = connector().check()
    assert "The community token belongs to another community." in info.problems


def test_it_says_when_the_user_cannot_post(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "groups.getById").mock(
        return_value=fixture("groups_getById_not_admin.json"))
    info = connector(community_token="").check()
    assert not info.can_post
    assert any("not an editor" in p for p in info.problems)
    assert any("No community token" in p for p in info.problems)


def test_it_reads_followers_with_the_community_token(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(API + "groups.getById").mock(return_value=fixture("groups_getById.json"))
    assert connector().followers() == 15320
    assert form(route) == {"group_id": "123456", "fields": "members_count",
                           "access_token": "vk1.a.group-token", "v": "5.199"}


def test_it_paces_a_user_token_at_three_requests_a_second(
    respx_mock: respx.MockRouter, fake_clock: FakeClock
) -> None:
    respx_mock.post(API + "wall.delete").mock(return_value=fixture("wall_delete.json"))
    vk = connector()
    for _ in range(6):
        vk.delete("4321")
    # Three go at once (the burst), the next three wait a third of a second each.
    assert fake_clock.slept == pytest.approx([1 / 3] * 3)


def test_it_refuses_a_channel_without_a_user_token() -> None:
    with pytest.raises(AuthRevoked):
        connector(user_token="")


# --- inbound -----------------------------------------------------------------------------------

def _event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "group_id": 123456, "event_id": "e1", "v": "5.199", "object": obj}


def test_it_ids_a_group_chat_message_by_its_conversation() -> None:
    reader = inbound("vk", {"external_id": "123456"})
    first, second = (reader.parse(_event("message_new", {"message": {
        "id": 0, "date": 1717000100, "from_id": 5, "peer_id": 2000000001, "out": 0,
        "version": 1, "text": text, "conversation_message_id": cmid}}))[0]
        for text, cmid in (("a", 7), ("b", 8)))
    assert (first.external_id, second.external_id) == ("2000000001_7", "2000000001_8")


def test_it_keeps_the_id_of_a_private_message() -> None:
    parsed = inbound("vk", {"external_id": "123456"}).parse(_event("message_new", {"message": {
        "id": 9001, "date": 1717000100, "from_id": 5, "peer_id": 5, "out": 0, "version": 1,
        "text": "a", "conversation_message_id": 7}}))[0]
    assert parsed.external_id == "9001"


def test_it_links_a_repost_only_to_a_post_of_ours() -> None:
    reader = inbound("vk", {"external_id": "123456"})
    repost = {"inner_type": "wall_wallpost", "id": 3001, "owner_id": 42, "from_id": 42,
              "date": 1717000200, "text": ""}
    assert reader.parse(_event("wall_repost", repost))[0].post_ref == ""
    ours = {**repost, "copy_history": [{"id": 77, "owner_id": -123456}]}
    assert reader.parse(_event("wall_repost", ours))[0].post_ref == "77"
    foreign = {**repost, "copy_history": [{"id": 77, "owner_id": -5}]}
    assert reader.parse(_event("wall_repost", foreign))[0].post_ref == ""


def test_it_answers_a_comment_with_a_guid_so_a_resend_is_safe(
    respx_mock: respx.MockRouter,
) -> None:
    route = respx_mock.post(API + "wall.createComment").mock(
        return_value=httpx.Response(200, json={"response": {"comment_id": 611}}))
    sent = inbound("vk", {"external_id": "123456"}).reply(
        {"user_token": "vk1.a.user-token"},
        ReplyTo(kind="comment", external_id="610", post_ref="77"), "Спасибо!",
        random_id=1, key="reply-key-1")
    assert sent == "611"
    assert form(route)["guid"] == "reply-key-1"
    assert inbound("vk", {"external_id": "123456"}).find_reply({}, ReplyTo("comment", "610"),
                                                              "reply-key-1") is None


# --- demographics --------------------------------------------------------------------------------

def test_it_reads_the_visitors_demographics_with_the_user_token(
        respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(API + "stats.get").mock(return_value=fixture("stats_get.json"))
    mix = connector().demographics()
    sent = form(route)
    assert sent["access_token"] == "vk1.a.user-token"  # stats.* refuse community tokens
    assert (sent["group_id"], sent["interval"], sent["stats_groups"]) == ("123456", "all",
                                                                          "visitors")
    assert int(sent["timestamp_to"]) - int(sent["timestamp_from"]) == 30 * 86400
    assert mix is not None
    assert (mix.basis, mix.sex) == ("visitors", {"f": 1130, "m": 610})
    assert mix.age["24-27"] == 420 and mix.sex_age["f;24-27"] == 290
    assert mix.cities == [("Москва", 640), ("Санкт-Петербург", 310), ("Казань", 95)]
    assert (mix.period_from.isoformat(), mix.period_to.isoformat()) == ("2025-11-01",
                                                                        "2025-11-30")


def test_it_maps_a_stats_permission_error_on_demographics(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "stats.get").mock(return_value=vk_error(15, "Access denied"))
    with pytest.raises(ConnectorError):
        connector().demographics()
