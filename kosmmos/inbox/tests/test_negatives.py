"""``comment.negative``: raised where a stored comment is classified negative, once per comment,
a flood of one channel in one batch as one event, and grouped again by the senders."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx
from django.test import Client
from django.utils import timezone

from kosmmos.channels.models import Channel
from kosmmos.conftest import World
from kosmmos.inbox import negatives
from kosmmos.inbox.models import Item
from kosmmos.inbox.pipeline import Envelope, ingest
from kosmmos.inbox.testing import fixture, make_channel, make_target
from kosmmos.lib import crypto
from kosmmos.notifications.dispatch import dispatch_deliveries
from kosmmos.notifications.models import Delivery, Event, Status, Subscriber, TelegramBot

pytestmark = pytest.mark.django_db

NEGATIVE = ["Ужасное качество, опять брак", "Верните деньги, поддержка не отвечает",
            "Не работает, третий раз пишу", "Опять брак, коробка мятая",
            "Ужасное качество, маска пересушивает кожу"]
API = "http://tg.test"


def vk_comment(comment_id: int, text: str, *, age: timedelta = timedelta(0),
               event_id: str = "") -> dict[str, Any]:
    """VK's ``wall_reply_new`` (the fixture's shape) with our id, text and date."""
    payload = copy.deepcopy(fixture("vk_wall_reply_new.json"))
    payload["event_id"] = event_id or f"ev-{comment_id}"
    payload["object"].update(id=comment_id, text=text,
                             date=int((timezone.now() - age).timestamp()))
    return payload


def vk_post(client: Client, channel: Channel, payload: Any) -> Any:
    return client.post(f"/hooks/vk/{channel.inbox.code}/", json.dumps(payload),
                       content_type="application/json")


def negative_events() -> list[Event]:
    return list(Event.objects.filter(kind="comment.negative").order_by("created_at"))


def test_it_raises_one_event_for_a_negative_comment_and_none_on_redelivery(
        client: Client, vk: Channel) -> None:
    payload = vk_comment(501, NEGATIVE[0])
    assert vk_post(client, vk, payload).content == b"ok"
    item = Item.objects.get()
    [event] = negative_events()
    assert event.organisation_id == vk.organisation_id and event.workspace_id == vk.workspace_id
    assert event.title == "Негативный комментарий: Alpha VK"
    assert event.body == NEGATIVE[0] and event.url == f"/inbox/items/{item.pk}/"
    assert event.payload == {"items": [str(item.pk)], "channel": str(vk.pk), "count": 1}
    # The same event again, and the same comment under another delivery id: no second event.
    vk_post(client, vk, payload)
    vk_post(client, vk, dict(payload, event_id="another-delivery"))
    assert len(negative_events()) == 1
    # The bell of the agency's people has it once each.
    assert Delivery.objects.filter(event=event, channel="inapp").count() == 3


def test_it_raises_nothing_for_other_sentiments_or_old_comments(client: Client, vk: Channel) -> None:
    vk_post(client, vk, vk_comment(1, "Спасибо, очень нравится, рекомендую друзьям"))
    vk_post(client, vk, vk_comment(2, "Подскажите, размер M есть?"))
    vk_post(client, vk, vk_comment(3, NEGATIVE[1], age=timedelta(days=2)))
    labels = dict(Item.objects.values_list("external_id", "sentiment"))
    assert labels == {"1": "positive", "2": "neutral", "3": "negative"}
    assert negative_events() == []


def test_it_raises_a_flood_of_one_channel_in_one_batch_as_one_event(world: World) -> None:
    channel = make_channel(world.alpha.client_workspace, "sandbox", "sbx-1", name="Sandbox")
    other = make_channel(world.alpha.client_workspace, "sandbox", "sbx-2", name="Sandbox 2")
    make_target(channel, "15")
    make_target(other, "16")
    now = timezone.now().timestamp()
    flood = [{"id": f"c{i}", "at": now, "author": f"user{i}", "text": text}
             for i, text in enumerate(NEGATIVE)]
    few = [{"id": "d1", "at": now, "author": "user9", "text": NEGATIVE[0]}]
    envelopes = ([Envelope(channel, c, "15") for c in flood]
                 + [Envelope(other, c, "16") for c in few])
    assert ingest(envelopes).stored == 6
    grouped, single = sorted(negative_events(), key=lambda e: e.payload["count"], reverse=True)
    assert grouped.title == "5 негативных комментариев: Sandbox"
    assert grouped.url == f"/inbox/?channel={channel.pk}&sentiment=negative"
    assert grouped.payload["count"] == 5 and len(grouped.payload["items"]) == 5
    assert grouped.body.splitlines()[0] == f"• {NEGATIVE[0]}"
    assert single.payload["count"] == 1 and single.title == "Негативный комментарий: Sandbox 2"
    assert ingest(envelopes).stored == 0 and len(negative_events()) == 2


def test_it_never_raises_the_same_comments_twice(world: World) -> None:
    """Processing stored rows again (a retried batch that got past dedupe) raises nothing new:
    each event's key names its comments."""
    channel = make_channel(world.alpha.client_workspace, "sandbox", "sbx-1", name="Sandbox")
    now = timezone.now()
    for size in (1, 5):
        Item.objects.all().delete()
        rows = [{"id": Item.objects.create(
            organisation_id=channel.organisation_id, workspace_id=channel.workspace_id,
            channel=channel, network="sandbox", kind="comment", external_id=f"{size}-{i}",
            text=NEGATIVE[i], sentiment="negative", received_at=now).pk,
            "channel_id": channel.pk, "kind": "comment", "external_id": f"{size}-{i}",
            "text": NEGATIVE[i], "sentiment": "negative", "received_at": now}
            for i in range(size)]
        assert negatives.raise_negatives(rows, {channel.pk: channel}, now) == 1
        assert negatives.raise_negatives(rows, {channel.pk: channel}, now) == 0
    assert len(negative_events()) == 2
    # A row the transaction did not store (a racing duplicate kept out by the unique key).
    ghost = dict(rows[0], id="00000000-0000-0000-0000-000000000000", external_id="ghost")
    assert negatives.raise_negatives([ghost], {channel.pk: channel}, now) == 0


def test_it_groups_negatives_of_several_batches_into_one_telegram_message(
        client: Client, world: World, vk: Channel, settings: Any) -> None:
    settings.NOTIFY_TELEGRAM_SPACING_S = 60  # a slow test machine must not open the next slot
    TelegramBot.objects.create(organisation=world.alpha.org, username="alpha_bot",
                               token_encrypted=crypto.encrypt("1:abc"), api_url=API)
    Subscriber.objects.create(organisation=world.alpha.org, user=world.alpha.manager,
                              telegram_chat_id=555)
    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"ok": True, "result": {"message_id": len(sent)}})

    with respx.mock(assert_all_called=False) as net:
        net.post(f"{API}/bot1:abc/sendMessage").mock(side_effect=answer)
        for number, text in enumerate(NEGATIVE[:3], start=1):
            vk_post(client, vk, vk_comment(number, text))
        assert len(sent) == 1 and NEGATIVE[0] in sent[0]["text"]
        # The other two waited for the chat's next slot: they go as one message.
        Subscriber.objects.update(telegram_free_at=None)
        Delivery.objects.filter(status=Status.PENDING).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1))
        dispatch_deliveries()
    assert len(sent) == 2 and "2 × Негативный комментарий" in sent[1]["text"]
    telegram = Delivery.objects.filter(channel="telegram", user=world.alpha.manager)
    assert telegram.count() == 3 and set(telegram.values_list("status", flat=True)) == {"sent"}
