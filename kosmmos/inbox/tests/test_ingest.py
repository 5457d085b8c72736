"""The pipeline and the webhook endpoints, with payloads shaped as the networks document them."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone, translation

from kosmmos.channels.models import Channel
from kosmmos.conftest import World, client_for
from kosmmos.inbox.models import DropCount, Item, ReactionCount, SeenEvent, ThreadLink
from kosmmos.inbox.pipeline import Envelope, ingest
from kosmmos.inbox.testing import fixture, make_channel, make_item, make_target

pytestmark = pytest.mark.django_db


def vk_post(client: Client, channel: Channel, payload: Any) -> Any:
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post(f"/hooks/vk/{channel.inbox.code}/", body, content_type="application/json")


def tg_post(client: Client, channel: Channel, payload: Any,
            secret: str = "tg-secret-1") -> Any:  # noqa: S107 -- a test fixture value
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post(f"/hooks/telegram/{channel.inbox.code}/", body,
                       content_type="application/json",
                       headers={"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {})


def drops() -> dict[str, int]:
    """Counters summed over scopes (a channel's own and the unattributed one)."""
    out: dict[str, int] = {}
    for d in DropCount.objects.all():
        out[f"{d.step}:{d.reason}"] = out.get(f"{d.step}:{d.reason}", 0) + d.count
    return out


# --- VK Callback API ------------------------------------------------------------------------


def test_it_answers_the_vk_confirmation_with_the_stored_string(client: Client, vk: Channel) -> None:
    response = vk_post(client, vk, fixture("vk_confirmation.json"))
    assert response.status_code == 200
    assert response.content == b"a1b2c3d4"


def test_it_refuses_a_confirmation_for_another_group(client: Client, vk: Channel) -> None:
    response = vk_post(client, vk, {"type": "confirmation", "group_id": 999})
    assert response.status_code == 400
    assert b"a1b2c3d4" not in response.content


def test_it_stores_a_vk_comment_matched_to_our_post_and_answers_ok(client: Client, vk: Channel) -> None:
    target = make_target(vk, "77", "Маски")
    response = vk_post(client, vk, fixture("vk_wall_reply_new.json"))
    assert response.status_code == 200
    assert response.content == b"ok"
    item = Item.objects.get()
    assert (item.kind, item.external_id, item.author_ref) == ("comment", "501", "123456")
    assert item.target == target and item.post == target.post
    assert item.workspace == vk.workspace and item.organisation == vk.organisation
    assert item.sentiment == "negative"
    assert item.text.startswith("Курьер опоздал")


def test_it_refuses_a_wrong_or_missing_vk_secret_and_writes_nothing(client: Client, vk: Channel) -> None:
    payload = fixture("vk_wall_reply_new.json")
    for secret in ("wrong", None):
        bad = dict(payload, secret=secret) if secret else {k: v for k, v in payload.items()
                                                            if k != "secret"}
        assert vk_post(client, vk, bad).status_code == 403
    assert not Item.objects.exists() and not SeenEvent.objects.exists()
    assert DropCount.objects.get(reason="bad_secret").count == 2
    assert DropCount.objects.get(reason="bad_secret").organisation is None


def test_it_ignores_a_duplicate_vk_event_id(client: Client, vk: Channel) -> None:
    payload = fixture("vk_wall_reply_new.json")
    assert vk_post(client, vk, payload).content == b"ok"
    assert vk_post(client, vk, payload).content == b"ok"  # VK must stop redelivering
    assert Item.objects.count() == 1
    assert drops()["dedupe:duplicate_event"] == 1


def test_it_drops_the_same_comment_delivered_under_two_event_ids(client: Client, vk: Channel) -> None:
    payload = fixture("vk_wall_reply_new.json")
    vk_post(client, vk, payload)
    vk_post(client, vk, dict(payload, event_id="another-delivery"))
    assert Item.objects.count() == 1
    assert drops()["dedupe:duplicate_item"] == 1


def test_it_applies_edits_and_deletes(client: Client, vk: Channel) -> None:
    vk_post(client, vk, fixture("vk_wall_reply_new.json"))
    vk_post(client, vk, fixture("vk_wall_reply_edit.json"))
    item = Item.objects.get()
    assert item.text == "Курьер опоздал, но деньги вернули. Спасибо!" and item.edited_at
    vk_post(client, vk, fixture("vk_wall_reply_delete.json"))
    item.refresh_from_db()
    assert item.deleted_at is not None


def test_it_counts_every_drop_reason(client: Client, vk: Channel) -> None:
    vk_post(client, vk, fixture("vk_own_reply.json"))  # our community's own answer
    vk_post(client, vk, fixture("vk_wall_reply_delete.json"))  # a comment we never saw
    vk_post(client, vk, dict(fixture("vk_group_join.json"), type="like_add"))
    vk_post(client, vk, dict(fixture("vk_group_join.json"), type="something_new"))
    vk_post(client, vk, dict(fixture("vk_wall_reply_new.json"), object="not an object"))
    vk_post(client, vk, "{not json")
    vk_post(client, vk, json.dumps([1, 2]))
    client.post("/hooks/vk/no-such-code/", "{}", content_type="application/json")
    assert drops() == {
        "parse:own_message": 1, "match:unknown_item": 1, "parse:unsupported_type": 1,
        "parse:counted_by_stats": 1, "parse:bad_payload": 3, "webhook:unknown_hook": 1,
    }
    assert not Item.objects.exists()


def test_it_stores_messages_reposts_and_joins(client: Client, vk: Channel) -> None:
    for name in ("vk_message_new.json", "vk_wall_repost.json", "vk_group_join.json"):
        assert vk_post(client, vk, fixture(name)).content == b"ok"
    kinds = dict(Item.objects.values_list("kind", "status"))
    assert kinds == {"message": "open", "repost": "closed", "join": "closed"}
    message = Item.objects.get(kind="message")
    assert (message.external_id, message.chat_ref) == ("9001", "123456")


def test_it_answers_400_not_500_to_garbage(client: Client, vk: Channel) -> None:
    for body in (b"\xff\xfe", b"", b"null", b'{"type": 5, "group_id": 200100}'):
        response = vk_post(client, vk, body)
        assert 400 <= response.status_code < 500 or response.content == b"ok", body
    assert client.get(f"/hooks/vk/{vk.inbox.code}/").status_code == 405


def test_it_answers_503_and_keeps_the_event_unseen_when_storing_fails(
    client: Client, vk: Channel, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kosmmos.inbox import pipeline

    def broken(items: Any, run: Any) -> Any:
        raise OperationalError("disk full")

    monkeypatch.setattr(pipeline, "store", broken)
    payload = fixture("vk_wall_reply_new.json")
    assert vk_post(client, vk, payload).status_code == 503
    monkeypatch.undo()
    assert vk_post(client, vk, payload).content == b"ok"  # the redelivery is taken in
    assert Item.objects.count() == 1


def test_it_answers_ok_and_counts_a_failure_a_redelivery_would_repeat(
    client: Client, vk: Channel, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kosmmos.inbox import pipeline

    def broken(items: Any, run: Any) -> Any:
        raise ValueError("a value this code cannot handle")

    monkeypatch.setattr(pipeline, "store", broken)
    response = vk_post(client, vk, fixture("vk_wall_reply_new.json"))
    assert (response.status_code, response.content) == (200, b"ok")  # VK must not redeliver
    assert drops() == {"store:failed": 1}
    assert not Item.objects.exists() and not SeenEvent.objects.exists()


# --- Telegram ------------------------------------------------------------------------------


def test_it_refuses_telegram_updates_without_the_secret_header(client: Client, tg: Channel) -> None:
    assert tg_post(client, tg, fixture("tg_comment.json"), secret="").status_code == 403
    assert tg_post(client, tg, fixture("tg_comment.json"), secret="nope").status_code == 403
    assert not Item.objects.exists()


def test_it_matches_a_discussion_comment_to_our_channel_post(client: Client, tg: Channel) -> None:
    target = make_target(tg, "15", "Маски")
    assert tg_post(client, tg, fixture("tg_automatic_forward.json")).json() == {"ok": True}
    assert ThreadLink.objects.get().post_ref == "15"
    tg_post(client, tg, fixture("tg_comment.json"))
    comment = Item.objects.get()
    assert comment.target == target and comment.post_ref == "15"
    assert comment.external_id == "-1002000000001:41" and comment.chat_ref == "-1002000000001"
    assert comment.author_name == "Ольга К. (@olga_k)"
    # A reply to that comment finds the post through the thread.
    tg_post(client, tg, fixture("tg_comment_reply.json"))
    nested = Item.objects.get(external_id="-1002000000001:42")
    assert nested.target == target and nested.parent_ref == "-1002000000001:41"


def test_it_dedupes_telegram_updates_by_update_id(client: Client, tg: Channel) -> None:
    tg_post(client, tg, fixture("tg_private.json"))
    tg_post(client, tg, fixture("tg_private.json"))
    assert Item.objects.count() == 1
    assert drops() == {"dedupe:duplicate_event": 1}


def test_it_keeps_reaction_counts_and_private_messages(client: Client, tg: Channel) -> None:
    tg_post(client, tg, fixture("tg_reaction_count.json"))
    assert ReactionCount.objects.get().counts == {"👍": 12, "🔥": 3}
    tg_post(client, tg, fixture("tg_private.json"))
    assert Item.objects.get().kind == "message"


def test_it_drops_chats_that_are_not_ours(client: Client, tg: Channel) -> None:
    foreign = copy.deepcopy(fixture("tg_comment.json"))
    foreign["message"]["chat"]["id"] = -100999
    tg_post(client, tg, foreign)
    tg_post(client, tg, {"update_id": 1, "channel_post": {
        "message_id": 1, "date": 1717000000, "chat": {"id": -100999, "type": "channel"}}})
    tg_post(client, tg, {"update_id": 2, "poll": {}})
    tg_post(client, tg, {"no": "update_id"})
    assert drops() == {"parse:foreign_chat": 2, "parse:unsupported_type": 1,
                       "parse:bad_payload": 1}


# --- the pipeline in batches (pollers, bench) ----------------------------------------------


def test_it_stores_a_batch_once_even_with_duplicates_inside(world: World) -> None:
    channel = make_channel(world.alpha.client_workspace, "sandbox", "sbx-1")
    make_target(channel, "15")
    comments = fixture("sandbox_comments.json")["items"]
    run = ingest([Envelope(channel, c, "15") for c in comments + comments])
    assert (run.stored, run.dropped_by_reason()) == (3, {"dedupe:duplicate_item": 3,
                                                         "parse:own_message": 2})
    again = ingest([Envelope(channel, c, "15") for c in comments])
    assert again.stored == 0 and Item.objects.count() == 3
    assert set(Item.objects.values_list("sentiment", flat=True)) <= {"positive", "neutral",
                                                                     "negative"}


# --- answers typed on the network stop the SLA clock ---------------------------------------


def test_it_counts_our_answer_typed_in_vk_as_the_first_response(client: Client, vk: Channel) -> None:
    from datetime import UTC, datetime

    from kosmmos.inbox.analytics import sla_summary

    vk_post(client, vk, fixture("vk_wall_reply_new.json"))  # comment 501 at 1717000000
    vk_post(client, vk, fixture("vk_own_reply.json"))  # the community answers 501 at +300 s
    item = Item.objects.get()
    assert item.first_response_at == datetime.fromtimestamp(1717000300, tz=UTC)
    assert item.first_responder_id is None
    assert drops() == {"parse:own_message": 1}  # still not an item of its own
    with translation.override("en"):
        sla = sla_summary(Item.objects.all(), 60, days=100_000)
    assert (sla.answered, sla.median_minutes, sla.overdue) == (1, 5.0, 0)
    assert [m.name for m in sla.managers] == ["Answered on the network"]

    # A second answer (or the same one redelivered) does not move the first response.
    later = copy.deepcopy(fixture("vk_own_reply.json"))
    later["event_id"], later["object"]["id"], later["object"]["date"] = "e2", 503, 1717009999
    vk_post(client, vk, later)
    item.refresh_from_db()
    assert item.first_response_at == datetime.fromtimestamp(1717000300, tz=UTC)


def test_it_credits_a_kosmmos_reply_that_comes_back_before_its_job_records_it(
        client: Client, world: World, vk: Channel) -> None:
    from kosmmos.inbox.models import Reply

    vk_post(client, vk, fixture("vk_wall_reply_new.json"))
    item = Item.objects.get()
    Reply.objects.create(organisation_id=item.organisation_id, item=item,
                         author=world.alpha.manager, text="Иван, простите", status="sending")
    vk_post(client, vk, fixture("vk_own_reply.json"))
    item.refresh_from_db()
    assert item.first_responder_id == world.alpha.manager.pk and item.first_response_at


@pytest.mark.parametrize(("text", "credited"), [
    ("Иван, простите, пожалуйста! Уже разбираемся.", True),  # it did post: the same text
    ("Совсем другой ответ", False),  # it failed; the answer was typed in VK by someone
])
def test_it_credits_a_failed_reply_only_when_the_network_shows_its_text(
        client: Client, world: World, vk: Channel, text: str, credited: bool) -> None:
    from kosmmos.inbox.models import Reply

    vk_post(client, vk, fixture("vk_wall_reply_new.json"))
    item = Item.objects.get()
    Reply.objects.create(organisation_id=item.organisation_id, item=item,
                         author=world.alpha.owner, text=text, status="failed")
    vk_post(client, vk, fixture("vk_own_reply.json"))
    item.refresh_from_db()
    assert item.first_response_at is not None
    assert item.first_responder_id == (world.alpha.owner.pk if credited else None)


def test_it_stops_only_a_comments_clock_not_a_message_with_the_same_id(
        client: Client, vk: Channel) -> None:
    make_item(vk, "личное сообщение", kind="message", external_id="501")
    vk_post(client, vk, fixture("vk_own_reply.json"))  # answers wall comment 501
    assert Item.objects.get().first_response_at is None


def test_it_keeps_no_answer_to_nothing(client: Client, vk: Channel) -> None:
    from kosmmos.inbox.models import NetworkAnswer

    top_level = copy.deepcopy(fixture("vk_own_reply.json"))
    del top_level["object"]["reply_to_comment"]  # the community commenting, answering nobody
    vk_post(client, vk, top_level)
    assert not NetworkAnswer.objects.exists() and drops() == {"parse:own_message": 1}


def test_it_applies_an_answer_that_arrived_before_its_comment(
        client: Client, world: World, vk: Channel) -> None:
    import time
    from datetime import UTC, datetime

    from kosmmos.inbox.models import NetworkAnswer

    now = int(time.time())
    comment = copy.deepcopy(fixture("vk_wall_reply_new.json"))
    comment["object"]["date"] = now - 600
    answer = copy.deepcopy(fixture("vk_own_reply.json"))
    answer["object"]["date"] = now - 300
    vk_post(client, vk, answer)  # VK redelivers the comment later (its first delivery failed)
    assert NetworkAnswer.objects.count() == 1 and not Item.objects.exists()
    vk_post(client, vk, comment)
    item = Item.objects.get()
    assert item.first_response_at == datetime.fromtimestamp(now - 300, tz=UTC)
    vk_post(client, vk, answer)  # redelivered: still one answer
    assert NetworkAnswer.objects.get().parent_ref == "501"
    # The comment's thread shows our answer with what it said.
    page = client_for(world.alpha.manager, language="en").get(f"/inbox/items/{item.pk}/")
    assert "our answer on the network" in page.content.decode()
    assert "Иван, простите, пожалуйста! Уже разбираемся." in page.content.decode()

    # Past the week an answer waits, a comment arriving later keeps its clock running.
    NetworkAnswer.objects.update(created_at=timezone.now() - timedelta(days=8))
    late = copy.deepcopy(comment)
    late["event_id"], late["object"]["id"] = "late-1", 777
    stale = copy.deepcopy(answer)
    stale["event_id"], stale["object"]["id"], stale["object"]["reply_to_comment"] = "s1", 778, 777
    vk_post(client, vk, stale)
    NetworkAnswer.objects.filter(external_id="778").update(
        created_at=timezone.now() - timedelta(days=8))
    vk_post(client, vk, late)
    assert Item.objects.get(external_id="777").first_response_at is None


def test_it_counts_the_channels_answer_in_the_telegram_discussion(client: Client, tg: Channel) -> None:
    tg_post(client, tg, fixture("tg_comment.json"))  # message 41 in the discussion group
    # Sent as the channel: `from` is Telegram's placeholder user, `sender_chat` the channel.
    answer = {"update_id": 700050, "message": {
        "message_id": 42, "message_thread_id": 40,
        "from": {"id": 136817688, "is_bot": True, "first_name": "Channel",
                 "username": "Channel_Bot"},
        "sender_chat": {"id": -1002000000000, "title": "Корейская косметика", "type": "channel"},
        "chat": {"id": -1002000000001, "type": "supergroup"}, "date": 1717000800,
        "reply_to_message": {"message_id": 41, "chat": {"id": -1002000000001, "type": "supergroup"},
                             "date": 1717000200, "text": "Маска пересушивает кожу"},
        "text": "Ольга, напишите нам в личные сообщения, заменим."}}
    tg_post(client, tg, answer)
    item = Item.objects.get()
    assert item.external_id == "-1002000000001:41"
    assert item.first_response_at is not None and item.first_response_at.timestamp() == 1717000800
    assert drops() == {"parse:own_message": 1}

    # An anonymous group admin writes as the group itself: ours too, not a customer's.
    anonymous = copy.deepcopy(answer)
    anonymous["update_id"], anonymous["message"]["message_id"] = 700051, 43
    anonymous["message"]["from"] = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                                    "username": "GroupAnonymousBot"}
    anonymous["message"]["sender_chat"] = {"id": -1002000000001, "type": "supergroup",
                                           "title": "Корейская косметика — обсуждение"}
    tg_post(client, tg, anonymous)
    assert Item.objects.count() == 1 and drops() == {"parse:own_message": 2}


def test_it_counts_the_sandbox_channels_answer_when_polled(world: World) -> None:
    channel = make_channel(world.alpha.client_workspace, "sandbox", "sbx-1")
    make_target(channel, "15")
    ingest([Envelope(channel, c, "15") for c in fixture("sandbox_comments.json")["items"]])
    answered = dict(Item.objects.values_list("external_id", "first_response_at"))
    assert answered["15_1"] is not None and answered["15_1"].timestamp() == 1717000400.0
    assert answered["15_0"] is None and answered["15_2"] is None


def test_it_follows_our_answers_edited_and_deleted_in_vk(client: Client, world: World,
                                                         vk: Channel) -> None:
    from kosmmos.inbox.models import NetworkAnswer

    vk_post(client, vk, fixture("vk_wall_reply_new.json"))
    vk_post(client, vk, fixture("vk_own_reply.json"))  # answer 502 to comment 501
    edit = copy.deepcopy(fixture("vk_own_reply.json"))
    edit["type"], edit["event_id"] = "wall_reply_edit", "edit-1"
    edit["object"]["text"] = "Иван, простите! Курьер привезёт замену завтра."
    vk_post(client, vk, edit)
    assert NetworkAnswer.objects.get().text == "Иван, простите! Курьер привезёт замену завтра."
    item = Item.objects.get()
    answered_at = item.first_response_at
    page = client_for(world.alpha.manager).get(f"/inbox/items/{item.pk}/").content.decode()
    assert "Курьер привезёт замену завтра" in page

    vk_post(client, vk, {"type": "wall_reply_delete", "event_id": "del-1", "v": "5.199",
                         "group_id": 200100, "secret": "vk-secret-1",
                         "object": {"id": 502, "owner_id": -200100, "post_id": 77,
                                    "deleter_id": 1}})
    assert not NetworkAnswer.objects.exists()
    item.refresh_from_db()
    assert item.first_response_at == answered_at  # it was answered; the clock stays stopped
    assert "match:unknown_item" not in drops()


def test_it_keeps_the_caption_of_a_telegram_answer_with_a_photo(client: Client, tg: Channel) -> None:
    from kosmmos.inbox.models import NetworkAnswer

    tg_post(client, tg, fixture("tg_comment.json"))
    tg_post(client, tg, {"update_id": 700060, "message": {
        "message_id": 44, "photo": [{"file_id": "f", "file_unique_id": "u", "width": 90,
                                     "height": 90}],
        "caption": "Ольга, вот так выглядит новая упаковка.",
        "sender_chat": {"id": -1002000000000, "title": "Корейская косметика", "type": "channel"},
        "chat": {"id": -1002000000001, "type": "supergroup"}, "date": 1717000900,
        "reply_to_message": {"message_id": 41, "chat": {"id": -1002000000001,
                                                        "type": "supergroup"}, "date": 1717000200}}})
    answer = NetworkAnswer.objects.get()
    assert (answer.external_id, answer.parent_ref, answer.text) == (
        "-1002000000001:44", "-1002000000001:41", "Ольга, вот так выглядит новая упаковка.")


def test_it_lists_an_ambiguous_reply_once_in_the_thread(client: Client, world: World,
                                                        vk: Channel) -> None:
    from kosmmos.inbox.models import Reply

    vk_post(client, vk, fixture("vk_wall_reply_new.json"))
    item = Item.objects.get()
    # The send timed out (no network id kept), but the reply did post: VK shows it to us.
    Reply.objects.create(organisation_id=item.organisation_id, item=item, author=world.alpha.manager,
                         text="Иван, простите, пожалуйста! Уже разбираемся.", status="failed")
    vk_post(client, vk, fixture("vk_own_reply.json"))
    page = client_for(world.alpha.manager).get(f"/inbox/items/{item.pk}/").content.decode()
    assert page.count("Иван, простите, пожалуйста! Уже разбираемся.") == 1
