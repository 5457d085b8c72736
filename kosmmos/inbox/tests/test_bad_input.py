"""Odd and hostile input at the inbox's one door (the webhook view and the pipeline's parse
step): what is refused with which answer, what is cleaned and kept."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest
from django.test import Client

from kosmmos.channels.models import Channel
from kosmmos.conftest import World, client_for
from kosmmos.connectors.base import TEXT_MAX
from kosmmos.inbox.models import Item, SeenEvent
from kosmmos.inbox.pipeline import Envelope, ingest
from kosmmos.inbox.testing import fixture
from kosmmos.inbox.tests.test_ingest import drops, tg_post, vk_post
from kosmmos.lib.untrusted import TRUNCATED

pytestmark = pytest.mark.django_db


def vk_comment(**changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(fixture("vk_wall_reply_new.json"))
    payload["object"].update(changes)
    return payload


def test_it_refuses_deeply_nested_json_with_a_4xx_and_stores_nothing(
    client: Client, vk: Channel, tg: Channel,
) -> None:
    for body in (b"[" * 20_000, b'{"a":' * 5_000, b'{"n": ' + b"9" * 5_000 + b"}", b"\xff\xfe"):
        assert vk_post(client, vk, body).status_code == 400
        assert tg_post(client, tg, body).status_code == 400
    assert not Item.objects.exists() and not SeenEvent.objects.exists()
    assert drops() == {"parse:bad_payload": 8}


def test_it_keeps_a_comment_with_lone_surrogates_and_nul_as_replacement_characters(
    client: Client, vk: Channel,
) -> None:
    body = json.dumps(vk_comment(text="Плохо\ud800 и\x00 всё")).encode()
    assert b"\\ud800" in body and b"\\u0000" in body
    response = vk_post(client, vk, body)
    assert (response.status_code, response.content) == (200, b"ok")
    item = Item.objects.get()
    assert item.text == "Плохо\ufffd и всё"
    assert "\x00" not in json.dumps(item.raw) and "\\ud800" not in json.dumps(item.raw)


def test_it_keeps_a_telegram_comment_with_a_lone_surrogate_in_the_author(
    client: Client, tg: Channel,
) -> None:
    payload = fixture("tg_comment.json")
    payload["message"]["from"]["first_name"] = "\udfffОльга"
    response = tg_post(client, tg, json.dumps(payload))
    assert response.status_code == 200 and json.loads(response.content) == {"ok": True}
    assert Item.objects.get().author_name.startswith("\ufffdОльга")


@pytest.mark.parametrize("date", [int(time.time() * 1000), 253402300800, 946684799 - 86400])
def test_it_drops_a_vk_comment_dated_in_milliseconds_or_far_off_and_answers_ok(
    client: Client, vk: Channel, date: int,
) -> None:
    response = vk_post(client, vk, vk_comment(date=date))
    assert (response.status_code, response.content) == (200, b"ok")  # delivered: no redelivery
    assert not Item.objects.exists()
    assert drops() == {"parse:time_invalid": 1}


def test_it_takes_a_time_slightly_ahead_of_ours_as_now(vk: Channel) -> None:
    ahead = int(time.time()) + 3600
    run = ingest([Envelope(vk, vk_comment(date=ahead))])
    assert run.stored == 1
    assert Item.objects.get().received_at.timestamp() <= time.time()


def test_it_cuts_a_text_longer_than_the_store_keeps_and_keeps_its_length(
    world: World, vk: Channel,
) -> None:
    ingest([Envelope(vk, vk_comment(text="Ы" * (TEXT_MAX + 5)))])
    item = Item.objects.get()
    assert len(item.text) == TEXT_MAX and item.text.endswith(TRUNCATED)
    assert item.text_cut and item.text_length == TEXT_MAX + 5
    page = client_for(world.alpha.manager, language="en").get(f"/inbox/items/{item.pk}/")
    assert "Cut: the text had 100005 characters" in page.content.decode()


def test_it_shows_a_placeholder_for_a_sticker_or_photo_only_comment(
    world: World, vk: Channel, tg: Channel, client: Client,
) -> None:
    vk_post(client, vk, vk_comment(text="", attachments=[{"type": "sticker", "sticker": {}}]))
    update = fixture("tg_comment.json")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "a", "width": 90, "height": 90}]
    tg_post(client, tg, update)
    sticker, photo = Item.objects.get(network="vk"), Item.objects.get(network="telegram")
    assert (sticker.attachments, photo.attachments) == (["sticker"], ["photo"])
    manager = client_for(world.alpha.manager, language="ru")
    assert "Стикер" in manager.get(f"/inbox/items/{sticker.pk}/").content.decode()
    listing = manager.get("/inbox/").content.decode()
    assert "Стикер" in listing and "Фото" in listing


def test_it_stores_a_delivery_id_longer_than_the_key_column_once(vk: Channel) -> None:
    payload = vk_comment()
    payload["event_id"] = "e" * 5_000
    assert ingest([Envelope(vk, payload)]).stored == 1
    assert ingest([Envelope(vk, vk_comment(id=502) | {"event_id": "e" * 5_000})]).stored == 0
    assert len(SeenEvent.objects.get().key) <= 100
    assert drops()["dedupe:duplicate_event"] == 1
