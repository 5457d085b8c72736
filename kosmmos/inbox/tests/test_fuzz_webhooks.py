"""Hostile JSON fired at both webhooks with the right secret (VK's in the body, Telegram's in
its header): no 5xx, nothing stored from a refused request, an authentic event never answered
with a retry, a good item never lost. Bounded: each test runs a fixed number of examples."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from kosmmos.channels.models import Channel
from kosmmos.inbox.models import Item, SeenEvent
from kosmmos.inbox.testing import fixture
from kosmmos.inbox.tests.test_ingest import tg_post, vk_post
from kosmmos.links.tests.test_fuzz_doors import BOUNDED, _dump, raw_bodies, values

pytestmark = pytest.mark.django_db

VK_FIELDS = ["id", "from_id", "post_id", "date", "text", "reply_to_comment", "attachments"]
TG_FIELDS = ["message_id", "date", "text", "caption", "chat", "from", "sticker", "photo",
             "message_thread_id", "reply_to_message"]


def _mutated(base: dict[str, Any], path: tuple[str, ...], changes: dict[str, Any]) -> bytes:
    event = copy.deepcopy(base)
    inner = event
    for key in path:
        inner = inner[key]
    inner.update(changes)
    return _dump(event)


def _vk_events() -> st.SearchStrategy[bytes]:
    base = fixture("vk_wall_reply_new.json")
    top = st.dictionaries(st.sampled_from(["type", "event_id", "object", "group_id"]), values,
                          max_size=2).map(lambda c: _dump({**base, **c}))
    inner = st.dictionaries(st.sampled_from(VK_FIELDS), values, min_size=1, max_size=3).map(
        lambda c: _mutated(base, ("object",), c))
    return st.one_of(top, inner, raw_bodies)


def _tg_updates() -> st.SearchStrategy[bytes]:
    base = fixture("tg_comment.json")
    top = st.dictionaries(st.sampled_from(["update_id", "message", "edited_message",
                                           "channel_post"]), values, max_size=2).map(
        lambda c: _dump({**base, **c}))
    inner = st.dictionaries(st.sampled_from(TG_FIELDS), values, min_size=1, max_size=3).map(
        lambda c: _mutated(base, ("message",), c))
    return st.one_of(top, inner, raw_bodies)


def _check(response: Any, before: tuple[int, int]) -> None:
    assert response.status_code < 500  # 503 would make the network redeliver it forever
    if response.status_code >= 400:
        assert (Item.objects.count(), SeenEvent.objects.count()) == before


def test_it_survives_hostile_vk_events(vk: Channel) -> None:
    @BOUNDED
    @given(_vk_events())
    def fire(body: bytes) -> None:
        before = (Item.objects.count(), SeenEvent.objects.count())
        _check(vk_post(Client(), vk, body), before)

    fire()
    good = dict(fixture("vk_wall_reply_new.json"), event_id="good-after-fuzz")
    good["object"] = dict(good["object"], id=990001)
    assert vk_post(Client(), vk, good).content == b"ok"
    assert Item.objects.filter(channel=vk, external_id="990001").count() == 1


def test_it_survives_hostile_telegram_updates(tg: Channel) -> None:
    @BOUNDED
    @given(_tg_updates())
    def fire(body: bytes) -> None:
        before = (Item.objects.count(), SeenEvent.objects.count())
        _check(tg_post(Client(), tg, body), before)

    fire()
    good = fixture("tg_comment.json")
    good["update_id"], good["message"]["message_id"] = 990001, 990001
    assert json.loads(tg_post(Client(), tg, good).content) == {"ok": True}
    assert Item.objects.filter(channel=tg, external_id__endswith=":990001").count() == 1
