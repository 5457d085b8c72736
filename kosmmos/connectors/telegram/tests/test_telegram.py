"""Telegram connector against Bot API payloads shaped as the spec shows, replayed with respx."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from kosmmos.connectors.base import (
    AmbiguousOutcome,
    AuthRevoked,
    ConnectorError,
    Drop,
    Media,
    NotDeletable,
    PublishRequest,
    RateLimited,
)
from kosmmos.connectors.registry import build, inbound
from kosmmos.connectors.telegram.connector import (
    DELETE_WINDOW,
    TelegramConnector,
    as_html,
    deletable,
    tg_length,
)
from kosmmos.connectors.testing import FakeClock, load, media_file

HERE = Path(__file__).parent
TOKEN = "7012345678:AAE-secret-bot-token"
API = f"https://api.telegram.org/bot{TOKEN}/"
TEXT = "Скидка 20% <только> до воскресенья & бесплатная доставка"


def fixture(name: str) -> httpx.Response:
    body = load(HERE, name)
    return httpx.Response(body.get("error_code", 200), json=body)


def sent_json(route: respx.Route, call: int = -1) -> dict[str, Any]:
    return dict(json.loads(route.calls[call].request.content))


def sent_multipart(route: respx.Route) -> dict[str, Any]:
    """Form fields as text, files as (filename, bytes, content type)."""
    request = route.calls.last.request
    raw = b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n"
    message = BytesParser(policy=default).parsebytes(raw + request.content)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if part.get_filename():
            fields[name] = (part.get_filename(), payload, part.get_content_type())
        else:
            fields[name] = payload.decode()
    return fields


def connector(chat: str = "@matrasy_son") -> TelegramConnector:
    found = build("telegram", {"bot_token": TOKEN}, {"external_id": chat})
    assert isinstance(found, TelegramConnector)
    return found


def request(**kwargs: Any) -> PublishRequest:
    return PublishRequest(**{"key": "target-9", "text": TEXT, **kwargs})


def test_it_escapes_plain_text_for_html_mode() -> None:
    assert as_html('a < b && c > d "quoted" <b>bold</b>') == (
        'a &lt; b &amp;&amp; c &gt; d "quoted" &lt;b&gt;bold&lt;/b&gt;')


def test_it_counts_length_in_utf16_units() -> None:
    assert tg_length("abc") == 3 and tg_length("яблоко") == 6 and tg_length("👍") == 2


def test_it_sends_an_escaped_html_message(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(API + "sendMessage").mock(return_value=fixture("sendMessage.json"))
    post = connector().publish(request())
    assert sent_json(route) == {
        "chat_id": "@matrasy_son", "parse_mode": "HTML",
        "text": "Скидка 20% &lt;только&gt; до воскресенья &amp; бесплатная доставка",
    }
    assert post.external_id == "812" and post.url == "https://t.me/matrasy_son/812"


def test_it_adds_the_ad_label(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(API + "sendMessage").mock(return_value=fixture("sendMessage.json"))
    connector().publish(request(text="Матрас", is_ad=True, erid="Kra23abc", advertiser="ИП Сон"))
    assert sent_json(route)["text"] == "Матрас\n\nРеклама. ИП Сон. erid: Kra23abc"


def test_it_sends_one_photo_with_a_caption(respx_mock: respx.MockRouter, tmp_path: Path) -> None:
    route = respx_mock.post(API + "sendPhoto").mock(return_value=fixture("sendPhoto.json"))
    photo = media_file(tmp_path, "bed.jpg", b"JPEG")
    post = connector().publish(request(text="Новый <матрас>",
                                       media=(Media("photo", photo, "image/jpeg", "bed.jpg"),)))
    assert sent_multipart(route) == {
        "chat_id": "@matrasy_son", "caption": "Новый &lt;матрас&gt;", "parse_mode": "HTML",
        "photo": ("bed.jpg", b"JPEG", "image/jpeg"),
    }
    assert post.external_id == "813"


def test_it_sends_a_media_group_with_attach_references(
    respx_mock: respx.MockRouter, tmp_path: Path
) -> None:
    route = respx_mock.post(API + "sendMediaGroup").mock(
        return_value=fixture("sendMediaGroup.json"))
    photo = media_file(tmp_path, "bed.jpg", b"JPEG")
    video = media_file(tmp_path, "bed.mp4", b"MP4")
    post = connector("-1001234567890").publish(request(text="Коллекция", media=(
        Media("photo", photo, "image/jpeg", "bed.jpg"), Media("video", video, "video/mp4"))))
    fields = sent_multipart(route)
    assert fields["chat_id"] == "-1001234567890"
    assert json.loads(fields["media"]) == [
        {"type": "photo", "media": "attach://file0", "caption": "Коллекция",
         "parse_mode": "HTML"},
        {"type": "video", "media": "attach://file1"},
    ]
    assert fields["file0"] == ("bed.jpg", b"JPEG", "image/jpeg")
    assert fields["file1"] == ("bed.mp4", b"MP4", "video/mp4")
    assert post.external_id == "814,815"
    assert post.url == "https://t.me/matrasy_son/814"


def test_it_refuses_texts_and_captions_over_the_limits(respx_mock: respx.MockRouter) -> None:
    with pytest.raises(ConnectorError) as caught:
        connector().publish(request(text="я" * 4097))
    assert caught.value.permanent and "4096" in caught.value.message
    connector_ok = connector()
    respx_mock.post(API + "sendMessage").mock(return_value=fixture("sendMessage.json"))
    connector_ok.publish(request(text="я" * 4096))  # exactly the limit is fine
    with pytest.raises(ConnectorError) as caught:
        connector().publish(request(text="👍" * 513,  # 1026 UTF-16 units
                                    media=(Media("photo", "/x.jpg", "image/jpeg"),)))
    assert "1024" in caught.value.message
    with pytest.raises(ConnectorError):
        connector().publish(request(media=tuple(
            Media("photo", f"/{i}.jpg", "image/jpeg") for i in range(11))))


def test_it_counts_the_escaped_text_by_its_visible_length(respx_mock: respx.MockRouter) -> None:
    """4096 '<' become 16384 bytes of &lt; on the wire, yet Telegram counts 4096 characters."""
    route = respx_mock.post(API + "sendMessage").mock(return_value=fixture("sendMessage.json"))
    connector().publish(request(text="<" * 4096))
    assert sent_json(route)["text"] == "&lt;" * 4096


def test_it_reports_a_timeout_while_sending_as_ambiguous(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "sendMessage").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(AmbiguousOutcome) as caught:
        connector().publish(request())
    assert TOKEN not in caught.value.message


def test_it_reports_a_connect_failure_as_transient(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "sendMessage").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ConnectorError) as caught:
        connector().publish(request())
    assert type(caught.value) is ConnectorError and not caught.value.permanent


def test_it_reports_a_server_error_while_sending_as_ambiguous(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.post(API + "sendMessage").mock(return_value=httpx.Response(502))
    with pytest.raises(AmbiguousOutcome):
        connector().publish(request())


def test_it_maps_429_to_rate_limited_with_retry_after(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "sendMessage").mock(return_value=fixture("error_429.json"))
    with pytest.raises(RateLimited) as caught:
        connector().publish(request())
    assert caught.value.retry_after == 17


def test_it_maps_401_to_auth_revoked(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "getMe").mock(return_value=fixture("error_401.json"))
    with pytest.raises(AuthRevoked) as caught:
        connector().check()
    assert "BotFather" in caught.value.message


def test_it_maps_a_removed_bot_to_auth_revoked(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "sendMessage").mock(return_value=fixture("error_403_not_member.json"))
    with pytest.raises(AuthRevoked) as caught:
        connector().publish(request())
    assert "administrator" in caught.value.message and caught.value.code == 403


def test_it_maps_other_400s_to_permanent(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "sendMessage").mock(return_value=fixture("error_400_chat_not_found.json"))
    with pytest.raises(ConnectorError) as caught:
        connector().publish(request())
    assert caught.value.permanent and not isinstance(caught.value, AuthRevoked)
    assert "chat not found" in caught.value.message


def test_it_cannot_verify_a_message_and_says_so() -> None:
    with pytest.raises(AmbiguousOutcome) as caught:
        connector().find(request())
    assert "manual check" in caught.value.message


def test_it_has_no_view_counts() -> None:
    assert connector().post_stats(["812"])["812"].views is None


def test_it_edits_text_or_caption(respx_mock: respx.MockRouter) -> None:
    text = respx_mock.post(API + "editMessageText").mock(
        return_value=fixture("editMessageText.json"))
    caption = respx_mock.post(API + "editMessageCaption").mock(
        return_value=fixture("editMessageText.json"))
    connector().edit("812", request(text="Исправлено & <ок>"))
    assert sent_json(text) == {"chat_id": "@matrasy_son", "message_id": 812,
                               "text": "Исправлено &amp; &lt;ок&gt;", "parse_mode": "HTML"}
    connector().edit("814,815", request(text="Подпись",
                                        media=(Media("photo", "/x.jpg", "image/jpeg"),)))
    assert sent_json(caption) == {"chat_id": "@matrasy_son", "message_id": 814,
                                  "caption": "Подпись", "parse_mode": "HTML"}


def test_it_accepts_an_edit_that_changes_nothing(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(API + "editMessageText").mock(
        return_value=fixture("error_400_not_modified.json"))
    assert connector().edit("812", request()) is None  # accepted: no error raised
    assert route.call_count == 1 and sent_json(route, 0)["message_id"] == 812
    # Any other 400 is still an error.
    route.mock(return_value=fixture("error_400_chat_not_found.json"))
    with pytest.raises(ConnectorError):
        connector().edit("812", request())


def test_it_deletes_every_message_of_a_group(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(API + "deleteMessage").mock(return_value=fixture("deleteMessage.json"))
    connector().delete("814,815")
    assert [sent_json(route, i)["message_id"] for i in (0, 1)] == [814, 815]


def test_it_checks_that_the_bot_may_post(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "getMe").mock(return_value=fixture("getMe.json"))
    chat = respx_mock.post(API + "getChat").mock(return_value=fixture("getChat.json"))
    member = respx_mock.post(API + "getChatMember").mock(
        return_value=fixture("getChatMember_admin.json"))
    respx_mock.post(API + "getChatMemberCount").mock(return_value=fixture("getChatMemberCount.json"))
    info = connector().check()
    assert info.title == "Матрасы и сон" and info.can_post and info.followers == 5120
    assert info.problems == () and info.token_expires_at is None
    assert sent_json(chat) == {"chat_id": "@matrasy_son"}
    assert sent_json(member) == {"chat_id": "@matrasy_son", "user_id": 7012345678}


def test_it_says_when_the_bot_may_not_post(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(API + "getMe").mock(return_value=fixture("getMe.json"))
    respx_mock.post(API + "getChat").mock(return_value=fixture("getChat.json"))
    respx_mock.post(API + "getChatMember").mock(return_value=fixture("getChatMember_no_post.json"))
    respx_mock.post(API + "getChatMemberCount").mock(return_value=fixture("getChatMemberCount.json"))
    info = connector().check()
    assert not info.can_post and "@kosmmos_poster_bot" in info.problems[0]


def test_it_paces_messages_to_one_chat(respx_mock: respx.MockRouter, fake_clock: FakeClock,
                                       tmp_path: Path) -> None:
    respx_mock.post(API + "sendMessage").mock(return_value=fixture("sendMessage.json"))
    respx_mock.post(API + "sendMediaGroup").mock(return_value=fixture("sendMediaGroup.json"))
    tg = connector()
    for _ in range(3):
        tg.publish(request())
    assert fake_clock.slept == pytest.approx([1.0, 1.0])  # one a second in a chat
    # 20 messages a minute: each item of a media group counts. After 3 + 10 messages, another
    # group of ten is about 6 s away (past the 5 s we sleep): refused with that delay.
    photos = tuple(Media("photo", media_file(tmp_path, f"{i}.jpg"), "image/jpeg")
                   for i in range(10))
    tg.publish(request(text="", media=photos))
    with pytest.raises(RateLimited) as caught:
        tg.publish(request(text="", media=photos))
    assert 5 < caught.value.retry_after < 10
    assert TOKEN not in caught.value.message


# --- what the Bot API entries say ------------------------------------------------------------

def test_it_says_a_message_older_than_48_hours_cannot_be_deleted(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.post(API + "deleteMessage").mock(return_value=httpx.Response(400, json={
        "ok": False, "error_code": 400, "description": "Bad Request: message can't be deleted"}))
    with pytest.raises(NotDeletable, match="less than 48 hours ago") as caught:
        connector().delete("15")
    assert caught.value.permanent
    assert TelegramConnector.limits.delete_window == DELETE_WINDOW


def test_it_knows_which_messages_the_bot_api_still_deletes() -> None:
    now = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)
    assert deletable(now - timedelta(hours=47), now)
    assert not deletable(now - timedelta(hours=48), now)


def test_it_does_not_keep_message_id_zero_as_an_id(respx_mock: respx.MockRouter) -> None:
    body = load(HERE, "sendMessage.json")
    body["result"]["message_id"] = 0
    respx_mock.post(API + "sendMessage").mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(AmbiguousOutcome, match="did not return the message's id"):
        connector().publish(PublishRequest(key="t1", text="Привет"))


def _reader(chat: str = "-1002000000000") -> Any:
    return inbound("telegram", {"external_id": chat, "discussion_chat_id": "-1002000000001"})


REACTIONS = {"update_id": 5, "message_reaction_count": {
    "chat": {"id": -1002000000000, "type": "channel", "title": "Матрасы", "username": "matrasy"},
    "message_id": 15, "date": 1717000000,
    "reactions": [{"type": {"type": "emoji", "emoji": "👍"}, "total_count": 3}]}}


def test_it_reads_reactions_of_a_channel_still_saved_by_username() -> None:
    assert _reader("@Matrasy").parse(REACTIONS)[0].counts == {"👍": 3}
    with pytest.raises(Drop, match="foreign_chat"):
        _reader("@other").parse(REACTIONS)


def test_it_takes_a_comment_with_message_id_zero_for_no_item() -> None:
    update = {"update_id": 6, "message": {
        "message_id": 0, "date": 1717000000, "text": "x",
        "chat": {"id": -1002000000001, "type": "supergroup"},
        "from": {"id": 5, "is_bot": False, "first_name": "Оля"}}}
    with pytest.raises(Drop, match="bad_payload"):
        _reader().parse(update)


@pytest.mark.parametrize("secret", ["", "with space", "кириллица", "a" * 257])
def test_it_accepts_only_the_secret_characters_telegram_sends(secret: str) -> None:
    received = _reader().receive({"update_id": 1},
                                 {"X-Telegram-Bot-Api-Secret-Token": secret},
                                 {"webhook_secret": secret})
    assert received.reason == "bad_secret"


def test_it_sets_the_webhook_with_the_secret_and_the_updates_it_reads(
    respx_mock: respx.MockRouter,
) -> None:
    route = respx_mock.post(API + "setWebhook").mock(
        return_value=httpx.Response(200, json={"ok": True, "result": True,
                                               "description": "Webhook was set"}))
    _reader().set_webhook({"bot_token": TOKEN, "webhook_secret": "tg_secret-1"},
                          "https://kosmmos.example/hooks/telegram/abc/")
    assert sent_json(route) == {
        "url": "https://kosmmos.example/hooks/telegram/abc/", "secret_token": "tg_secret-1",
        "allowed_updates": ["message", "edited_message", "channel_post",
                            "edited_channel_post", "message_reaction_count"]}
    with pytest.raises(ConnectorError, match="only letters"):
        _reader().set_webhook({"bot_token": TOKEN, "webhook_secret": "a b"}, "https://x/")


def test_it_long_polls_get_updates(respx_mock: respx.MockRouter, settings: Any) -> None:
    settings.INBOX_LONGPOLL_WAIT = 25
    route = respx_mock.post(API + "getUpdates").mock(
        return_value=httpx.Response(200, json={"ok": True, "result": []}))
    _reader().poll({"bot_token": TOKEN}, {"offset": 7}, [])
    assert sent_json(route)["timeout"] == 25 and sent_json(route)["offset"] == 7
    assert route.calls.last.request.extensions["timeout"]["read"] == 35.0
