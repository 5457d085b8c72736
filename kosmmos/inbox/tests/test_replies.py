"""Replies as jobs: posted through the network API, every try an attempt row, failures retried
by a person."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from django.test import Client

from kosmmos.channels.models import Channel
from kosmmos.conftest import World, client_for
from kosmmos.inbox.models import Item, Reply, ReplyStatus
from kosmmos.inbox.testing import make_item, make_target

pytestmark = pytest.mark.django_db

TG_SEND = "https://api.telegram.org/bot123:abc/sendMessage"
VK_COMMENT = "https://api.vk.com/method/wall.createComment"
VK_MESSAGE = "https://api.vk.com/method/messages.send"


def tg_comment(tg: Channel) -> Item:
    make_target(tg, "15")
    return make_item(tg, "Маска пересушивает кожу", sentiment="negative",
                     external_id="-1002000000001:41", chat_ref="-1002000000001", post_ref="15")


@respx.mock
def test_it_posts_a_reply_in_the_discussion_thread(world: World, tg: Channel) -> None:
    item = tg_comment(tg)
    from kosmmos.inbox.testing import fixture

    route = respx.post(TG_SEND).mock(return_value=httpx.Response(200, json=fixture("tg_sendmessage.json")))
    browser = client_for(world.alpha.manager)
    response = browser.post(f"/inbox/items/{item.pk}/reply/", {"text": "Ольга, простите!"})
    assert response.status_code == 302
    assert json.loads(route.calls.last.request.content) == {
        "chat_id": "-1002000000001", "text": "Ольга, простите!",
        "reply_parameters": {"message_id": 41, "allow_sending_without_reply": False},
    }
    reply = Reply.objects.get()
    assert (reply.status, reply.external_id, reply.attempts) == ("sent", "-1002000000001:43", 1)
    item.refresh_from_db()
    assert item.first_response_at == reply.sent_at and item.first_responder == world.alpha.manager
    assert item.assignee == world.alpha.manager
    assert reply.attempt_rows.get().ok


@respx.mock
def test_it_comments_on_vk_from_the_community(world: World, vk: Channel) -> None:
    from kosmmos.inbox.testing import fixture

    item = make_item(vk, "Где заказ?", external_id="501", post_ref="77")
    route = respx.post(VK_COMMENT).mock(return_value=httpx.Response(200, json=fixture("vk_create_comment.json")))
    client_for(world.alpha.owner).post(f"/inbox/items/{item.pk}/reply/", {"text": "Уже везём!"})
    sent = dict(httpx.QueryParams(route.calls.last.request.content.decode()))
    assert {k: sent[k] for k in ("owner_id", "post_id", "message", "reply_to_comment",
                                 "from_group", "access_token")} == {
        "owner_id": "-200100", "post_id": "77", "message": "Уже везём!",
        "reply_to_comment": "501", "from_group": "200100", "access_token": "utok"}
    assert Reply.objects.get().external_id == "503"


@respx.mock
def test_it_answers_vk_messages_with_a_stable_random_id(world: World, vk: Channel) -> None:
    item = make_item(vk, "Привет", kind="message", external_id="9001", chat_ref="123456")
    route = respx.post(VK_MESSAGE).mock(return_value=httpx.Response(200, json={"response": 77}))
    client_for(world.alpha.owner).post(f"/inbox/items/{item.pk}/reply/", {"text": "Здравствуйте"})
    sent = dict(httpx.QueryParams(route.calls.last.request.content.decode()))
    reply = Reply.objects.get()
    assert (sent["peer_id"], sent["random_id"], sent["access_token"]) == (
        "123456", str(reply.random_id), "ctok")


@respx.mock
def test_it_shows_a_failed_reply_with_its_error_and_retries_it(world: World, tg: Channel) -> None:
    item = tg_comment(tg)
    respx.post(TG_SEND).mock(return_value=httpx.Response(400, json={
        "ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}))
    browser = client_for(world.alpha.manager)
    browser.post(f"/inbox/items/{item.pk}/reply/", {"text": "Ответ"})
    reply = Reply.objects.get()
    assert reply.status == ReplyStatus.FAILED
    assert reply.last_error == "Telegram sendMessage: Bad Request: message text is empty"
    page = browser.get(f"/inbox/items/{item.pk}/").content.decode()
    assert "message text is empty" in page and f"/inbox/replies/{reply.pk}/retry/" in page
    item.refresh_from_db()
    assert item.first_response_at is None

    respx.post(TG_SEND).mock(return_value=httpx.Response(200, json={"ok": True, "result": {
        "message_id": 44, "date": 1717000700,
        "chat": {"id": -1002000000001, "type": "supergroup"}}}))
    assert browser.post(f"/inbox/replies/{reply.pk}/retry/").status_code == 302
    reply.refresh_from_db()
    assert (reply.status, reply.attempts, reply.attempt_rows.count()) == ("sent", 2, 2)


@respx.mock
def test_it_backs_off_on_a_rate_limit_and_never_resends_an_ambiguous_reply(world: World, tg: Channel) -> None:
    item = tg_comment(tg)
    respx.post(TG_SEND).mock(return_value=httpx.Response(429, json={
        "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7}}))
    client_for(world.alpha.manager).post(f"/inbox/items/{item.pk}/reply/", {"text": "Ответ"})
    reply = Reply.objects.get()
    assert reply.status == ReplyStatus.PENDING and reply.next_attempt_at > reply.created_at

    respx.post(TG_SEND).mock(side_effect=httpx.ReadTimeout("slow"))
    Reply.objects.filter(pk=reply.pk).update(status=ReplyStatus.QUEUED)
    from kosmmos.inbox.actions import send_reply

    send_reply(reply.pk)
    reply.refresh_from_db()
    # Failed for a person to check (the message may be on the network), never retried blindly.
    assert reply.status == ReplyStatus.FAILED and reply.attempts == 2
    assert reply.last_error.startswith("Telegram sendMessage: timed out: slow — the message may")


def test_it_refuses_replies_to_analysts_and_outsiders(world: World, tg: Channel) -> None:
    item = tg_comment(tg)
    for user in (world.alpha.analyst, world.beta.owner, world.alpha.client):
        response = client_for(user).post(f"/inbox/items/{item.pk}/reply/", {"text": "x"})
        assert response.status_code in {403, 404}
    assert not Reply.objects.exists()


def test_it_fills_canned_reply_placeholders(world: World, tg: Channel, client: Client) -> None:
    from kosmmos.inbox.models import CannedReply

    item = tg_comment(tg)
    item.author_name = "Ольга К. (@olga_k)"
    item.save(update_fields=["author_name"])
    canned = CannedReply.objects.create(organisation=world.alpha.org, title="Извинение",
                                        text="{name}, простите! {brand} всё исправит. {unknown} {0}")
    html = client_for(world.alpha.manager).get(
        f"/inbox/items/{item.pk}/canned/{canned.pk}/").content.decode()
    assert f"Ольга К., простите! {item.workspace.name} всё исправит. {{unknown}} {{0}}" in html


def test_it_fills_brand_with_the_short_brand_name(world: World, tg: Channel) -> None:
    from kosmmos.inbox.models import CannedReply

    item = tg_comment(tg)
    workspace = item.workspace
    workspace.name = "Сеул Бьюти — интернет-магазин корейской косметики"
    workspace.save(update_fields=["name"])
    canned = CannedReply.objects.create(organisation=world.alpha.org, title="Спасибо",
                                        text="Спасибо, что выбрали {brand}!")
    browser = client_for(world.alpha.manager)
    url = f"/inbox/items/{item.pk}/canned/{canned.pk}/"
    # No brand set: the workspace name, as before.
    assert "Спасибо, что выбрали Сеул Бьюти — интернет-магазин" in browser.get(url).content.decode()

    response = browser.post(f"/workspaces/{workspace.pk}/edit/", {
        "name": workspace.name, "brand": "Сеул Бьюти", "website": "", "description": ""})
    assert response.status_code == 302

    html = browser.get(url).content.decode()
    assert "Спасибо, что выбрали Сеул Бьюти!" in html
    assert "интернет-магазин" not in html
