"""OK.ru connector against payloads shaped as OK documents them, replayed with respx."""

from __future__ import annotations

import json
from datetime import UTC, datetime
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
from kosmmos.connectors.ok.client import signature
from kosmmos.connectors.ok.connector import OkConnector
from kosmmos.connectors.registry import build, inbound
from kosmmos.connectors.testing import load, media_file

HERE = Path(__file__).parent
API = "https://api.ok.ru/fb.do"
UPLOAD = load(HERE, "photosV2_getUploadUrl.json")["upload_url"]
TEXT = "Матрасы со скидкой 20% до воскресенья"
SENT_AT = datetime.fromtimestamp(1718600000, UTC)
CREDENTIALS = {"application_key": "CBAFJIICABABABABA", "application_secret_key": "s3cr3t",
               "access_token": "tkn1"}


class FakeOk:
    """fb.do answers by the ``method`` form field; every request is kept for assertions."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.answers: dict[str, Any] = {}
        self.sent: list[dict[str, str]] = []
        self.route = router.post(API).mock(side_effect=self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.sent.append(form)
        answer = self.answers[form["method"]]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer)

    def fixture(self, method: str, name: str) -> None:
        self.answers[method] = load(HERE, name)

    def of(self, method: str) -> dict[str, str]:
        return next(f for f in reversed(self.sent) if f["method"] == method)


@pytest.fixture
def ok(respx_mock: respx.MockRouter) -> FakeOk:
    return FakeOk(respx_mock)


def connector(**credentials: Any) -> OkConnector:
    found = build("ok", {**CREDENTIALS, **credentials}, {"external_id": "57812345"})
    assert isinstance(found, OkConnector)
    return found


def request(**kwargs: Any) -> PublishRequest:
    return PublishRequest(**{"key": "target-1", "text": TEXT, "publish_at": SENT_AT, **kwargs})


def test_it_signs_exactly_as_ok_documents() -> None:
    """By hand: md5("tkn1" + "s3cr3t") = 6ba618f3108d41798df5fbf5d7ce75c0, then md5 of
    "application_key=CBAFJIICABABABABAfields=name,members_countformat=jsonmethod=group.getInfo"
    "uids=57812345" + that = 39ab59dba4aa94276ded8c89943b4e5e. access_token is not signed."""
    params = {"method": "group.getInfo", "uids": "57812345", "fields": "name,members_count",
              "application_key": "CBAFJIICABABABABA", "format": "json", "access_token": "tkn1",
              "session_key": "ignored"}
    assert signature(params, "tkn1", "s3cr3t") == "39ab59dba4aa94276ded8c89943b4e5e"


def test_it_sends_the_signed_parameters(ok: FakeOk) -> None:
    ok.fixture("group.getInfo", "group_getInfo.json")
    assert connector().followers() == 8421
    assert ok.sent[-1] == {
        "uids": "57812345", "fields": "members_count", "application_key": "CBAFJIICABABABABA",
        "format": "json", "method": "group.getInfo", "access_token": "tkn1",
        "sig": signature({**ok.sent[-1]}, "tkn1", "s3cr3t"),
    }
    assert len(ok.sent[-1]["sig"]) == 32 and ok.sent[-1]["sig"].islower()


def test_it_posts_a_group_topic_on_behalf_of_the_group(ok: FakeOk) -> None:
    ok.fixture("mediatopic.post", "mediatopic_post.json")
    post = connector().publish(request())
    sent = ok.of("mediatopic.post")
    assert {k: v for k, v in sent.items() if k not in {"sig", "attachment"}} == {
        "type": "GROUP_THEME", "gid": "57812345", "application_key": "CBAFJIICABABABABA",
        "format": "json", "method": "mediatopic.post", "access_token": "tkn1",
    }
    assert json.loads(sent["attachment"]) == {
        "media": [{"type": "text", "text": TEXT}], "onBehalfOfGroup": "true"}
    assert post.external_id == "66069930048583"
    assert post.url == "https://ok.ru/group/57812345/topic/66069930048583"


def test_it_uploads_photos_and_attaches_their_tokens(ok: FakeOk, respx_mock: respx.MockRouter,
                                                     tmp_path: Path) -> None:
    ok.fixture("photosV2.getUploadUrl", "photosV2_getUploadUrl.json")
    ok.fixture("mediatopic.post", "mediatopic_post.json")
    upload = respx_mock.post(UPLOAD).mock(
        return_value=httpx.Response(200, json=load(HERE, "photo_upload.json")))
    one = media_file(tmp_path, "one.jpg", b"JPEG-ONE")
    two = media_file(tmp_path, "two.jpg", b"JPEG-TWO")
    connector().publish(request(media=(Media("photo", one, "image/jpeg", "one.jpg"),
                                       Media("photo", two, "image/jpeg", "two.jpg"))))
    slot = ok.of("photosV2.getUploadUrl")
    assert (slot["gid"], slot["count"]) == ("57812345", "2")
    body = upload.calls.last.request.content
    assert b'name="pic1"; filename="one.jpg"' in body and b"JPEG-ONE" in body
    assert b'name="pic2"; filename="two.jpg"' in body and b"JPEG-TWO" in body
    assert json.loads(ok.of("mediatopic.post")["attachment"]) == {
        "media": [{"type": "text", "text": TEXT},
                  {"type": "photo", "list": [{"id": "tokenOne+/="}, {"id": "tokenTwo+/="}]}],
        "onBehalfOfGroup": "true",
    }


def test_it_refuses_video_before_calling(ok: FakeOk) -> None:
    with pytest.raises(ConnectorError) as caught:
        connector().publish(request(media=(Media("video", "/x.mp4", "video/mp4"),)))
    assert caught.value.permanent and ok.sent == []


def test_it_reports_a_timeout_on_mediatopic_post_as_ambiguous(ok: FakeOk) -> None:
    ok.answers["mediatopic.post"] = httpx.ReadTimeout("read timed out")
    with pytest.raises(AmbiguousOutcome):
        connector().publish(request())


def test_it_reports_a_connect_failure_as_transient(ok: FakeOk) -> None:
    ok.answers["mediatopic.post"] = httpx.ConnectError("refused")
    with pytest.raises(ConnectorError) as caught:
        connector().publish(request())
    assert type(caught.value) is ConnectorError and not caught.value.permanent


def test_it_maps_the_documented_session_expired_error(ok: FakeOk) -> None:
    ok.fixture("mediatopic.post", "error_session_expired.json")
    with pytest.raises(AuthRevoked) as caught:
        connector().publish(request())
    assert caught.value.code == 102 and "Session expired" in caught.value.message


@pytest.mark.parametrize(("code", "kind", "permanent", "words"), [
    (8, RateLimited, False, ""), (11, RateLimited, False, ""),
    (2, ConnectorError, False, ""),
    (100, ConnectorError, True, "parameter"),
    (104, ConnectorError, True, "signature"),
    (200, ConnectorError, True, "permission"),
])
def test_it_maps_error_codes(ok: FakeOk, code: int, kind: type, permanent: bool,
                             words: str) -> None:
    ok.answers["mediatopic.deleteTopic"] = {"error_code": code, "error_msg": "OK says no",
                                            "error_data": None}
    with pytest.raises(kind) as caught:
        connector().delete("66069930048583")
    assert type(caught.value) is kind
    assert caught.value.permanent is permanent and caught.value.code == code
    assert words in caught.value.message


def test_it_deletes_a_topic(ok: FakeOk) -> None:
    ok.fixture("mediatopic.deleteTopic", "mediatopic_deleteTopic.json")
    connector().delete("66069930048583")
    sent = ok.of("mediatopic.deleteTopic")
    assert (sent["gid"], sent["topic_id"]) == ("57812345", "66069930048583")


def test_it_edits_the_text_of_a_text_topic(ok: FakeOk) -> None:
    ok.answers["mediatopic.edit"] = True
    connector().edit("66069930048583", request(text="Новый текст"))
    sent = ok.of("mediatopic.edit")
    assert (sent["topic_id"], sent["gid"], sent["type"]) == (
        "66069930048583", "57812345", "GROUP_THEME")
    assert json.loads(sent["attachment"])["media"] == [{"type": "text", "text": "Новый текст"}]


def test_it_finds_the_topic_it_sent(ok: FakeOk) -> None:
    ok.fixture("mediatopic.getTopics", "mediatopic_getTopics.json")
    found = connector().find(request())
    assert found is not None and found.external_id == "66069930048583"  # not the older one
    sent = ok.of("mediatopic.getTopics")
    assert (sent["gid"], sent["count"]) == ("57812345", "50")


def test_it_finds_nothing_for_other_text(ok: FakeOk) -> None:
    ok.fixture("mediatopic.getTopics", "mediatopic_getTopics.json")
    assert connector().find(request(text="Не было такого")) is None


def test_it_reads_topic_statistics(ok: FakeOk) -> None:
    ok.fixture("group.getStatTopic", "group_getStatTopic.json")
    stats = connector().post_stats(["66069930048583"])["66069930048583"]
    assert (stats.views, stats.reach, stats.likes, stats.comments, stats.reposts) == (
        5400, 3210, 87, 12, 9)
    sent = ok.of("group.getStatTopic")
    assert sent["topic_id"] == "66069930048583"
    assert sent["fields"] == "reach,renderings,likes,comments,reshares"


def test_it_checks_the_group_and_the_admin_role(ok: FakeOk) -> None:
    ok.fixture("group.getInfo", "group_getInfo.json")
    ok.fixture("users.getCurrentUser", "users_getCurrentUser.json")
    ok.fixture("group.getUserGroupsByIds", "group_getUserGroupsByIds.json")
    info = connector(access_token_expires_at="2030-01-01T00:00:00+00:00").check()
    assert info.title == "Ортопедические матрасы" and info.followers == 8421
    assert info.can_post and info.problems == ()
    assert info.token_expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    roles = ok.of("group.getUserGroupsByIds")
    assert (roles["group_id"], roles["uids"]) == ("57812345", "574829")


def test_it_says_when_the_user_is_only_a_member(ok: FakeOk) -> None:
    ok.fixture("group.getInfo", "group_getInfo.json")
    ok.fixture("users.getCurrentUser", "users_getCurrentUser.json")
    ok.fixture("group.getUserGroupsByIds", "group_getUserGroupsByIds_member.json")
    info = connector().check()
    assert not info.can_post and "not an administrator" in info.problems[0]


def test_it_takes_an_editor_role_as_allowed_to_post(ok: FakeOk) -> None:
    ok.fixture("group.getInfo", "group_getInfo.json")
    ok.fixture("users.getCurrentUser", "users_getCurrentUser.json")
    ok.answers["group.getUserGroupsByIds"] = {"memberships": [
        {"groupId": "57812345", "userId": "574829", "status": "ACTIVE", "role": "EDITOR"}]}
    assert connector().check().can_post


def test_it_still_reads_the_bare_list_answers(ok: FakeOk) -> None:
    ok.answers["group.getInfo"] = [{"uid": "57812345", "name": "Матрасы", "members_count": 5}]
    ok.fixture("users.getCurrentUser", "users_getCurrentUser.json")
    ok.answers["group.getUserGroupsByIds"] = [
        {"groupId": "57812345", "userId": "574829", "status": "ADMIN"}]
    info = connector().check()
    assert info.can_post and info.followers == 5


@pytest.mark.parametrize("answer", [{"memberships": "ADMIN"}, {"memberships": [1]}])
def test_it_reports_an_unreadable_role_answer_as_a_problem(ok: FakeOk, answer: Any) -> None:
    ok.fixture("group.getInfo", "group_getInfo.json")
    ok.fixture("users.getCurrentUser", "users_getCurrentUser.json")
    ok.answers["group.getUserGroupsByIds"] = answer
    info = connector().check()
    assert not info.can_post and "Could not verify" in info.problems[0]


def test_it_reports_an_unreadable_group_answer_as_a_connector_error(ok: FakeOk) -> None:
    ok.answers["group.getInfo"] = {"groups": "none"}
    with pytest.raises(ConnectorError, match="did not return the group"):
        connector().followers()


def test_it_answers_a_comment_as_the_group(ok: FakeOk) -> None:
    ok.answers["discussions.addDiscussionComment"] = "C42"
    sent = inbound("ok", {"external_id": "57812345"}).reply(
        CREDENTIALS, ReplyTo(kind="comment", external_id="C1", post_ref="T7"), "Спасибо!",
        random_id=1, key="k")
    assert sent == "C42"
    form = ok.of("discussions.addDiscussionComment")
    assert {k: form[k] for k in ("entityId", "entityType", "comment", "reply_to_comment_id",
                                  "as_admin")} == {
        "entityId": "T7", "entityType": "GROUP_TOPIC", "comment": "Спасибо!",
        "reply_to_comment_id": "C1", "as_admin": "true"}


@pytest.mark.parametrize(("answer", "expected"), [
    ({"id": "C43", "text": "Спасибо!", "author_id": "57812345"}, "C43"),  # the comment (frmt)
    ({"comment": {"id": "C44"}}, "C44"),
    ("C45", "C45"),
    (46, "46"),
    ({"success": True}, ""),  # sent, id unknown: no KeyError, no failure
    (True, ""),
])
def test_it_reads_the_new_comment_id_from_the_documented_answers(
    ok: FakeOk, answer: Any, expected: str,
) -> None:
    ok.answers["discussions.addDiscussionComment"] = answer
    sent = inbound("ok", {"external_id": "57812345"}).reply(
        CREDENTIALS, ReplyTo(kind="comment", external_id="C1", post_ref="T7"), "Спасибо!",
        random_id=1, key="k")
    assert sent == expected


def test_it_pages_a_topic_with_more_than_a_hundred_comments(ok: FakeOk) -> None:
    first = {"comments": [{"id": f"c{n}", "text": "x"} for n in range(100)], "anchor": "A1",
             "has_more": True}
    second = {"comments": [{"id": "c100", "text": "y"}], "anchor": "A2", "has_more": False}
    pages = iter([first, second])
    ok.answers["discussions.getComments"] = None

    def answer(request: httpx.Request) -> httpx.Response:
        ok.sent.append({k: v[0] for k, v in parse_qs(request.content.decode()).items()})
        return httpx.Response(200, json=next(pages))

    ok.route.mock(side_effect=answer)
    polled = inbound("ok", {"external_id": "57812345"}).poll(CREDENTIALS, {}, ["T7"])
    assert len(polled.payloads) == 101
    assert "anchor" not in ok.sent[0] and ok.sent[1]["anchor"] == "A1"


def test_it_refuses_incomplete_credentials() -> None:
    with pytest.raises(AuthRevoked):
        connector(application_secret_key="")


def test_it_reads_the_members_demographics(ok: FakeOk) -> None:
    ok.fixture("group.getStatPeople", "group_getStatPeople.json")
    mix = connector().demographics()
    sent = ok.of("group.getStatPeople")
    assert (sent["gid"], sent["fields"]) == ("57812345", "CITIES,DEMOGRAPHY_FEMALE,DEMOGRAPHY_MALE")
    assert "demo_type" not in sent  # no demo_type: the members, not the last 7 days' visitors
    assert mix is not None and mix.basis == "members"
    assert mix.sex == {"f": 1110, "m": 890}
    assert mix.age == {"18-25": 510, "25-35": 960, "35-45": 530}
    assert mix.sex_age["m;25-35"] == 420
    assert mix.cities == [("Новосибирск", 700), ("Омск", 300)]
    assert mix.period_from == mix.period_to
