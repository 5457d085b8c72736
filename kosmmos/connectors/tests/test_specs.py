"""Every fixture payload the connector and inbox tests replay, checked against the networks'
own specs (requests and the answers fakes give are checked at the HTTP seam by
``kosmmos.connectors.testing.spec_checked``); and the checker itself refuses what it must."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kosmmos.connectors.tests.specs import validate

CONNECTORS = Path(__file__).resolve().parents[1]
INBOX = CONNECTORS.parent / "inbox" / "tests" / "fixtures"

# Answers of upload servers VK hands out: the API schema does not describe them
# (https://dev.vk.com/ru/api/upload/wall-photo shows {server, photo, hash}).
VK_UPLOADS = {"photo_upload.json", "photo_upload_empty.json", "video_upload.json"}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _vk_method(stem: str) -> str:
    """``groups_getById_not_admin`` → ``groups.getById``."""
    section, method = stem.split("_")[:2]
    return f"{section}.{method}"


def _telegram_fixtures() -> list[Path]:
    return sorted((CONNECTORS / "telegram" / "tests" / "fixtures").glob("*.json"))


def _vk_fixtures() -> list[Path]:
    return sorted(p for p in (CONNECTORS / "vk" / "tests" / "fixtures").glob("*.json")
                  if p.name not in VK_UPLOADS)


@pytest.mark.parametrize("path", _telegram_fixtures(), ids=lambda p: p.name)
def test_it_finds_each_telegram_fixture_as_the_bot_api_describes(path: Path) -> None:
    method = path.stem.split("_")[0]
    body = _load(path)
    if method == "error":
        method = "sendMessage"  # an error answer has the same shape for every method
    assert validate.tg_response(method, body) == []


@pytest.mark.parametrize("path", _vk_fixtures(), ids=lambda p: p.name)
def test_it_finds_each_vk_fixture_as_the_schema_describes(path: Path) -> None:
    body = _load(path)
    if path.stem == "error":
        assert validate.vk_error(body) == []
    else:
        assert validate.vk_response(_vk_method(path.stem), body) == []


INBOX_FIXTURES = {
    "tg_automatic_forward.json": ("update", None), "tg_comment.json": ("update", None),
    "tg_comment_reply.json": ("update", None), "tg_private.json": ("update", None),
    "tg_reaction_count.json": ("update", None), "tg_getupdates.json": ("tg", "getUpdates"),
    "tg_sendmessage.json": ("tg", "sendMessage"),
    "vk_confirmation.json": ("event", None), "vk_group_join.json": ("event", None),
    "vk_message_new.json": ("event", None), "vk_own_reply.json": ("event", None),
    "vk_wall_reply_delete.json": ("event", None), "vk_wall_reply_edit.json": ("event", None),
    "vk_wall_reply_new.json": ("event", None), "vk_wall_repost.json": ("event", None),
    "vk_wall_post_new.json": ("event", None), "vk_wall_reply_restore.json": ("event", None),
    "tg_channel_album.json": ("updates", None), "tg_edited_channel_post.json": ("update", None),
    "vk_create_comment.json": ("vk", "wall.createComment"),
    "vk_longpoll_server.json": ("vk", "groups.getLongPollServer"),
    "vk_longpoll_updates.json": ("longpoll", None),
}


def test_it_knows_every_inbox_fixture() -> None:
    found = {p.name for p in INBOX.glob("*.json") if not p.name.startswith("sandbox_")}
    assert found == set(INBOX_FIXTURES)


@pytest.mark.parametrize("name", sorted(INBOX_FIXTURES))
def test_it_finds_each_inbox_fixture_as_the_network_describes(name: str) -> None:
    kind, method = INBOX_FIXTURES[name]
    body = _load(INBOX / name)
    if kind == "update":
        problems = validate.tg_update(body)
    elif kind == "updates":  # one Update per message of an album, as the webhook gets them
        problems = [p for update in body for p in validate.tg_update(update)]
    elif kind == "tg":
        problems = validate.tg_response(str(method), body)
    elif kind == "vk":
        problems = validate.vk_response(str(method), body)
    elif kind == "event":
        problems = validate.vk_event(body)
    else:  # https://dev.vk.com/ru/api/bots-long-poll/getting-started: {ts, updates: [event]}
        problems = [p for event in body["updates"] for p in validate.vk_event(event)]
        problems += [] if set(body) == {"ts", "updates"} else ["long poll: unknown keys"]
    assert problems == []


def test_it_has_an_apiok_page_for_every_ok_fixture() -> None:
    """OK publishes no machine-readable spec: each fixture names the page it follows."""
    folder = CONNECTORS / "ok" / "tests" / "fixtures"
    sources = _load(folder / "SOURCES.json")
    names = {p.name for p in folder.glob("*.json")} - {"SOURCES.json"}
    assert set(sources) == names
    assert all(url.startswith("https://apiok.ru/") for url in sources.values())


# --- the checker refuses what it must -----------------------------------------------------

def test_it_refuses_a_vk_parameter_the_method_does_not_take() -> None:
    assert validate.vk_request("wall.post", {"owner_id": "-1", "gid": "1"}, "user") == [
        "VK wall.post: undeclared parameter 'gid'"]


def test_it_refuses_a_vk_token_type_the_method_does_not_take() -> None:
    assert validate.vk_request("wall.get", {"owner_id": "-1"}, "group") == [
        "VK wall.get: a group token is not accepted (schema: ['user', 'service'])"]


def test_it_refuses_a_missing_required_vk_parameter_and_a_wrong_type() -> None:
    assert validate.vk_request("wall.createComment", {"message": "x", "reply_to_comment": "a"},
                               "user") == [
        "VK wall.createComment: reply_to_comment='a' is not integer",
        "VK wall.createComment: required parameter 'post_id' is missing"]


def test_it_refuses_a_field_the_vk_answer_does_not_have() -> None:
    assert validate.vk_response("wall.post", {"response": {"post_id": 1, "guid": "k"}}) == [
        "(response) wall.post.guid: not in the schema"]


def test_it_refuses_a_vk_event_without_its_required_fields() -> None:
    event = {"type": "wall_reply_new", "group_id": 1, "event_id": "e", "v": "5.199",
             "object": {"id": 1, "from_id": 2, "date": 3}}
    assert validate.vk_event(event) == ["wall_reply_new.object.text: required, missing"]


def test_it_refuses_a_telegram_parameter_of_the_wrong_type() -> None:
    assert validate.tg_request("deleteMessage", {"chat_id": "@x", "message_id": "5"}) == [
        "Telegram deleteMessage.message_id: '5' is not Integer"]


def test_it_refuses_an_invented_telegram_field() -> None:
    update = {"update_id": 1, "message_reaction_count": {
        "chat": {"id": -100, "type": "channel"}, "message_id": 5, "date": 1,
        "reactions": [{"type": {"type": "emoji", "emoji": "👍"}, "count": 3}]}}
    assert validate.tg_update(update) == [
        "Update.message_reaction_count.reactions[0].count: not a field of ReactionCount",
        "Update.message_reaction_count.reactions[0].total_count: required, missing"]


def test_it_refuses_a_multipart_file_nobody_attached() -> None:
    assert validate.tg_request("sendMediaGroup", {
        "chat_id": "-100", "media": json.dumps([{"type": "photo", "media": "attach://file0"}]),
    }, files={"file0", "file1"}, form=True) == [
        "Telegram sendMediaGroup: file part 'file1' is neither a parameter nor attached by "
        "attach://"]
