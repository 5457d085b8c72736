"""Network events beyond comments: posts made outside Kosmmos, restored comments, every VK event
type, and ids of the wrong JSON type — replayed in the documented shapes."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
import respx
from django.test import Client

from kosmmos.channels.models import Channel
from kosmmos.conftest import World, client_for
from kosmmos.connectors.vk.inbound import HANDLED, IGNORED
from kosmmos.content.models import Post, PostEvent, PostStatus, PostTarget, TargetStatus
from kosmmos.inbox.analytics import DROP_REASONS
from kosmmos.inbox.models import Item
from kosmmos.inbox.testing import fixture, make_target
from kosmmos.inbox.tests.test_ingest import drops, tg_post, vk_post

pytestmark = pytest.mark.django_db

# vk-api-schema 5.199 callback/objects.json: callback_type's enum, and the events with a
# callback object that the enum misses.
VK_CALLBACK_TYPES = {
    "audio_new", "board_post_new", "board_post_edit", "board_post_restore", "board_post_delete",
    "group_leave", "group_join", "group_change_photo", "group_change_settings",
    "group_officers_edit", "lead_forms_new", "market_comment_new", "market_comment_delete",
    "market_comment_edit", "market_comment_restore", "market_order_new", "market_order_edit",
    "message_new", "message_reply", "message_edit", "message_allow", "message_deny",
    "message_read", "message_typing_state", "messages_edit", "message_reaction_event",
    "photo_new", "photo_comment_new", "photo_comment_delete", "photo_comment_edit",
    "photo_comment_restore", "poll_vote_new", "user_block", "user_unblock", "video_new",
    "video_comment_new", "video_comment_delete", "video_comment_edit", "video_comment_restore",
    "wall_post_new", "wall_reply_new", "wall_reply_edit", "wall_reply_delete",
    "wall_reply_restore", "wall_repost", "wall_schedule_post_new", "wall_schedule_post_delete",
    "like_add", "like_remove", "message_event", "donut_subscription_create",
    "donut_subscription_prolonged", "donut_subscription_expired",
    "donut_subscription_cancelled", "donut_subscription_price_changed", "donut_money_withdraw",
    "donut_money_withdraw_error", "vkpay_transaction", "app_payload",
}


def test_it_decides_about_every_vk_callback_type() -> None:
    assert HANDLED | set(IGNORED) == VK_CALLBACK_TYPES
    assert not HANDLED & set(IGNORED)
    assert set(IGNORED.values()) <= set(DROP_REASONS)  # each reason shown with its label


def test_it_answers_ok_to_an_ignored_vk_event_and_counts_why(client: Client, vk: Channel) -> None:
    for kind in ("like_add", "photo_comment_new", "message_typing_state"):
        response = vk_post(client, vk, dict(fixture("vk_group_join.json"), type=kind))
        assert response.content == b"ok"
    assert drops() == {"parse:counted_by_stats": 1, "parse:not_wall_comment": 1,
                       "parse:chat_state": 1}
    assert not Item.objects.exists()


def test_it_shows_a_deleted_then_restored_comment_again(client: Client, vk: Channel) -> None:
    vk_post(client, vk, fixture("vk_wall_reply_new.json"))
    vk_post(client, vk, fixture("vk_wall_reply_delete.json"))
    assert Item.objects.get().deleted_at is not None
    assert vk_post(client, vk, fixture("vk_wall_reply_restore.json")).content == b"ok"
    assert Item.objects.get().deleted_at is None


def test_it_keeps_a_restored_comment_it_never_saw(client: Client, vk: Channel) -> None:
    vk_post(client, vk, fixture("vk_wall_reply_restore.json"))
    item = Item.objects.get()
    assert (item.external_id, item.deleted_at) == ("501", None)


# --- posts made outside Kosmmos -----------------------------------------------------------


def test_it_keeps_a_vk_post_typed_in_vk_as_a_published_post(client: Client, vk: Channel) -> None:
    assert vk_post(client, vk, fixture("vk_wall_post_new.json")).content == b"ok"
    post = Post.objects.get()
    assert post.outside and post.status == PostStatus.PUBLISHED
    assert post.text.startswith("Сегодня в магазине дегустация")
    assert post.workspace == vk.workspace and post.publish_at is not None
    target = PostTarget.objects.get()
    assert (target.channel, target.status, target.external_id, target.url) == (
        vk, TargetStatus.PUBLISHED, "78", "https://vk.com/wall-200100_78")
    assert target.next_stats_at is not None  # its stats are read like ours
    assert PostEvent.objects.get(post=post).kind == "published"
    # a comment on it finds it
    comment = copy.deepcopy(fixture("vk_wall_reply_new.json"))
    comment["object"]["post_id"] = 78
    vk_post(client, vk, comment)
    assert Item.objects.get().post == post


def test_it_does_not_duplicate_our_own_vk_post_coming_back(client: Client, vk: Channel) -> None:
    ours = make_target(vk, "78")
    vk_post(client, vk, fixture("vk_wall_post_new.json"))
    assert list(Post.objects.all()) == [ours.post] and drops() == {"store:own_post": 1}


def test_it_does_not_duplicate_our_post_announced_before_its_id_is_stored(
    client: Client, vk: Channel,
) -> None:
    ours = make_target(vk, "")
    Post.objects.filter(pk=ours.post_id).update(
        text="Сегодня в магазине дегустация чая — приходите до 18:00")
    PostTarget.objects.filter(pk=ours.pk).update(status=TargetStatus.PUBLISHING)
    vk_post(client, vk, fixture("vk_wall_post_new.json"))
    assert Post.objects.count() == 1 and drops() == {"store:own_post": 1}


def test_it_ignores_a_suggested_vk_post(client: Client, vk: Channel) -> None:
    suggested = copy.deepcopy(fixture("vk_wall_post_new.json"))
    suggested["object"]["post_type"] = "suggest"
    vk_post(client, vk, suggested)
    assert not Post.objects.exists() and drops() == {"parse:not_published": 1}


def test_it_makes_one_post_of_a_telegram_album(client: Client, tg: Channel) -> None:
    for update in fixture("tg_channel_album.json"):
        assert tg_post(client, tg, update).status_code == 200
    post = Post.objects.get()
    assert post.outside and post.text == "Новые патчи для глаз — три вида"
    target = PostTarget.objects.get()
    assert target.external_id == "21,22,23"
    assert target.url == "https://t.me/kbeauty_shop/21"
    # Redelivered (a new update id for the same message): still one post.
    again = dict(fixture("tg_channel_album.json")[1], update_id=700199)
    tg_post(client, tg, again)
    assert Post.objects.count() == 1 and drops() == {"store:duplicate_item": 1}
    # A comment in the thread of the album's second message finds the post.
    comment = copy.deepcopy(fixture("tg_comment.json"))
    comment["message"]["reply_to_message"]["forward_origin"]["message_id"] = 22
    tg_post(client, tg, comment)
    assert Item.objects.get().post == post


def test_it_takes_the_new_text_of_an_edited_channel_post(client: Client, tg: Channel) -> None:
    for update in fixture("tg_channel_album.json"):
        tg_post(client, tg, update)
    assert tg_post(client, tg, fixture("tg_edited_channel_post.json")).status_code == 200
    post = Post.objects.get()
    assert post.text == "Новые патчи для глаз — четыре вида"
    assert PostEvent.objects.filter(post=post, kind="edited").count() == 1


def test_it_records_an_edit_of_our_own_channel_post_without_rewriting_it(
    client: Client, tg: Channel,
) -> None:
    ours = make_target(tg, "22")
    tg_post(client, tg, fixture("tg_edited_channel_post.json"))
    ours.refresh_from_db()
    assert ours.sent_text == "Новые патчи для глаз — четыре вида"
    assert Post.objects.get().text == "Текст поста" and not Post.objects.get().outside


# --- types as the specs say ---------------------------------------------------------------


@pytest.mark.parametrize("path,value", [
    (("object", "id"), "501"), (("object", "post_id"), "77"), (("object", "date"), "1717000000"),
    (("object", "from_id"), 123456.0), (("event_id",), 5),
])
def test_it_drops_a_vk_event_with_an_id_of_the_wrong_type(
    client: Client, vk: Channel, path: tuple[str, ...], value: Any,
) -> None:
    payload = copy.deepcopy(fixture("vk_wall_reply_new.json"))
    node = payload
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert vk_post(client, vk, payload).content == b"ok"  # delivered: VK must not redeliver
    assert not Item.objects.exists() and drops() == {"parse:bad_payload": 1}


def test_it_refuses_a_vk_request_whose_group_id_is_a_string(client: Client, vk: Channel) -> None:
    payload = dict(fixture("vk_wall_reply_new.json"), group_id="200100")
    assert vk_post(client, vk, payload).status_code == 400
    assert drops() == {"parse:bad_payload": 1}


@pytest.mark.parametrize("path,value", [
    (("message", "message_id"), "41"), (("message", "chat", "id"), "-1002000000001"),
    (("message", "date"), "1717000200"), (("message", "from", "id"), True),
])
def test_it_drops_a_telegram_update_with_an_id_of_the_wrong_type(
    client: Client, tg: Channel, path: tuple[str, ...], value: Any,
) -> None:
    payload = copy.deepcopy(fixture("tg_comment.json"))
    node = payload
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    response = tg_post(client, tg, payload)
    assert response.status_code == 200 and json.loads(response.content) == {"ok": True}
    assert not Item.objects.exists() and drops() == {"parse:bad_payload": 1}


# --- the Telegram webhook, set from the connection page -------------------------------------

TG_API = "https://api.telegram.org/bot123:abc/"


def _save_secret(world: World, tg: Channel, secret: str) -> Any:
    return client_for(world.alpha.manager, language="en").post(
        f"/inbox/connections/{tg.inbox.pk}/",
        {"discussion_chat_id": "-1002000000001", "webhook_secret": secret})


def test_it_sets_the_telegram_webhook_when_the_secret_is_saved(
    world: World, tg: Channel, respx_mock: respx.MockRouter, settings: Any,
) -> None:
    settings.SITE_URL = "https://kosmmos.example"
    route = respx_mock.post(TG_API + "setWebhook").mock(return_value=httpx.Response(
        200, json={"ok": True, "result": True, "description": "Webhook was set"}))
    assert _save_secret(world, tg, "new_secret-2").status_code == 302
    assert json.loads(route.calls.last.request.content) == {
        "url": f"https://kosmmos.example/hooks/telegram/{tg.inbox.code}/",
        "secret_token": "new_secret-2", "allowed_updates": [
            "message", "edited_message", "channel_post", "edited_channel_post",
            "message_reaction_count"]}
    tg.refresh_from_db()
    assert tg.credentials["webhook_secret"] == "new_secret-2"


def test_it_keeps_the_old_secret_and_says_why_when_telegram_refuses(
    world: World, tg: Channel, respx_mock: respx.MockRouter,
) -> None:
    respx_mock.post(TG_API + "setWebhook").mock(return_value=httpx.Response(400, json={
        "ok": False, "error_code": 400,
        "description": "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"}))
    response = _save_secret(world, tg, "new_secret-2")
    assert response.status_code == 400
    assert "Telegram refused the webhook" in response.content.decode()
    assert "HTTPS URL must be provided" in response.content.decode()
    tg.refresh_from_db()
    assert tg.credentials["webhook_secret"] == "tg-secret-1"


def test_it_does_not_call_telegram_when_no_new_secret_is_entered(
    world: World, tg: Channel, respx_mock: respx.MockRouter,
) -> None:
    route = respx_mock.post(TG_API + "setWebhook")
    assert _save_secret(world, tg, "").status_code == 302
    assert not route.called


def test_it_shows_a_post_made_outside_in_the_plan_the_post_page_and_the_channel(
    world: World, client: Client, vk: Channel,
) -> None:
    vk_post(client, vk, fixture("vk_wall_post_new.json"))
    post = Post.objects.get()
    browser = client_for(world.alpha.manager, language="en")
    plan = browser.get(f"/workspaces/{vk.workspace_id}/content/?date=2024-05-29").content.decode()
    assert "Сегодня в магазине дегустация" in plan and "Published outside Kosmmos" in plan
    page = browser.get(f"/content/posts/{post.pk}/").content.decode()
    assert "Published outside Kosmmos" in page and "https://vk.com/wall-200100_78" in page
    channel_page = browser.get(f"/channels/{vk.pk}/").content.decode()
    assert "Сегодня в магазине дегустация" in channel_page
    assert "Published outside Kosmmos" in channel_page
