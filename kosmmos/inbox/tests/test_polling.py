"""Polling jobs for channels without webhooks: VK Bots Long Poll, Telegram getUpdates, sandbox."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import respx
from django.utils import timezone

from kosmmos.channels.models import Channel
from kosmmos.conftest import World
from kosmmos.inbox.dispatch import dispatch_polls
from kosmmos.inbox.models import ChannelInbox, DropCount, Item
from kosmmos.inbox.testing import fixture, make_channel, make_target

pytestmark = pytest.mark.django_db


@respx.mock
def test_it_long_polls_vk_and_stores_the_ts(world: World) -> None:
    channel = make_channel(world.alpha.client_workspace, "vk", "200100",
                           credentials={"community_token": "ctok"})
    respx.post("https://api.vk.com/method/groups.getLongPollServer").mock(
        return_value=httpx.Response(200, json=fixture("vk_longpoll_server.json")))
    check = respx.get("https://lp.vk.com/whp/200100").mock(
        return_value=httpx.Response(200, json=fixture("vk_longpoll_updates.json")))
    assert dispatch_polls() == 1
    assert dict(check.calls.last.request.url.params) == {"act": "a_check", "key": "a1b2c3d4e5f6",
                                                         "ts": "41", "wait": "0"}
    inbox = ChannelInbox.objects.get(channel=channel)
    assert inbox.cursor["ts"] == "43" and inbox.poll_status == "idle" and not inbox.last_error
    assert sorted(Item.objects.values_list("kind", flat=True)) == ["comment", "message"]
    # The same updates again (say, a crash before the ts was saved): nothing stored twice.
    check.mock(return_value=httpx.Response(200, json=dict(fixture("vk_longpoll_updates.json"), ts="44")))
    ChannelInbox.objects.filter(pk=inbox.pk).update(next_poll_at=timezone.now(), cursor={
        **inbox.cursor, "ts": "41"})
    dispatch_polls()
    assert Item.objects.count() == 2


@respx.mock
def test_it_gets_a_new_key_when_vk_says_it_expired(world: World) -> None:
    make_channel(world.alpha.client_workspace, "vk", "200100", credentials={"community_token": "t"})
    server = respx.post("https://api.vk.com/method/groups.getLongPollServer").mock(
        return_value=httpx.Response(200, json=fixture("vk_longpoll_server.json")))
    respx.get("https://lp.vk.com/whp/200100").mock(return_value=httpx.Response(200, json={"failed": 2}))
    dispatch_polls()
    assert "key" not in ChannelInbox.objects.get().cursor and server.call_count == 1


@respx.mock
def test_it_polls_telegram_updates_with_the_stored_offset(world: World) -> None:
    channel = make_channel(world.alpha.client_workspace, "telegram", "-1002000000000",
                           credentials={"bot_token": "123:abc"})
    route = respx.post("https://api.telegram.org/bot123:abc/getUpdates").mock(
        return_value=httpx.Response(200, json=fixture("tg_getupdates.json")))
    dispatch_polls()
    assert ChannelInbox.objects.get(channel=channel).cursor == {"offset": 800012}
    assert Item.objects.filter(kind="message").count() == 2
    route.mock(return_value=httpx.Response(200, json={"ok": True, "result": []}))
    ChannelInbox.objects.update(next_poll_at=timezone.now())
    dispatch_polls()
    assert b'"offset":800012' in route.calls.last.request.content.replace(b" ", b"")


@respx.mock
def test_it_polls_sandbox_comments_of_our_recent_posts(world: World, settings: object) -> None:
    channel = make_channel(world.alpha.client_workspace, "sandbox", "sbx-1",
                           credentials={"token": "t"}, config={"base_url": "http://sandbox.test"})
    make_target(channel, "15")
    no_new_posts()
    respx.get("http://sandbox.test/channels/sbx-1/posts/15/comments").mock(
        return_value=httpx.Response(200, json=fixture("sandbox_comments.json")))
    dispatch_polls()
    assert Item.objects.filter(channel=channel, target__isnull=False).count() == 3
    # The fourth comment is the channel's own (our reply): ours, not a customer's.
    assert not Item.objects.filter(external_id="15_r1").exists()
    assert DropCount.objects.get(step="parse", reason="own_message").count == 1


def no_new_posts() -> None:
    """The sandbox's listing of the channel's posts (GET /channels/{id}/posts): none new."""
    respx.get("http://sandbox.test/channels/sbx-1/posts").mock(
        return_value=httpx.Response(200, json={"items": []}))


def test_it_skips_channels_that_have_a_webhook(world: World, vk: Channel) -> None:
    assert dispatch_polls() == 0


@respx.mock
def test_it_passes_only_new_sandbox_comments_to_the_pipeline(world: World) -> None:
    """Each poll lists every comment again; only those newer than the last seen go through,
    so an old comment or our own reply is not counted as a drop again on every poll."""
    channel = make_channel(world.alpha.client_workspace, "sandbox", "sbx-1",
                           credentials={"token": "t"}, config={"base_url": "http://sandbox.test"})
    make_target(channel, "15")
    no_new_posts()
    comments = fixture("sandbox_comments.json")
    route = respx.get("http://sandbox.test/channels/sbx-1/posts/15/comments").mock(
        return_value=httpx.Response(200, json=comments))
    dispatch_polls()
    assert ChannelInbox.objects.get().cursor == {"seen_at": {"15": 1717000400.0}}
    newer = {"id": "15_3", "at": 1717000500.0, "author": "user9", "text": "А доставка?"}
    route.mock(return_value=httpx.Response(200, json={"items": [*comments["items"], newer]}))
    ChannelInbox.objects.update(next_poll_at=timezone.now())
    dispatch_polls()
    assert Item.objects.filter(channel=channel).count() == 4
    assert list(DropCount.objects.values_list("step", "reason", "count")) == [
        ("parse", "own_message", 1)]
    assert ChannelInbox.objects.get().cursor == {"seen_at": {"15": 1717000500.0}}


@respx.mock
def test_it_polls_again_at_once_when_a_revoked_channel_is_reconnected(world: World) -> None:
    from kosmmos.channels.actions import save_channel

    channel = make_channel(world.alpha.client_workspace, "sandbox", "sbx-1",
                           credentials={"token": "old"}, config={"base_url": "http://sandbox.test"})
    make_target(channel, "15")
    route = respx.get("http://sandbox.test/channels/sbx-1/posts/15/comments").mock(
        return_value=httpx.Response(401, json={"error": "auth_revoked",
                                               "message": "The access token was revoked."}))
    dispatch_polls()
    inbox = ChannelInbox.objects.get()
    assert inbox.last_error == "sandbox: The access token was revoked."
    assert inbox.next_poll_at > timezone.now() + timedelta(minutes=50)

    save_channel(workspace=channel.workspace, network="sandbox", external_id="sbx-1",
                 credentials={"token": "new"}, name=channel.name, channel=channel)
    route.mock(return_value=httpx.Response(200, json=fixture("sandbox_comments.json")))
    no_new_posts()
    assert dispatch_polls() == 1
    assert Item.objects.filter(channel=channel).count() == 3
    assert route.calls.last.request.headers["authorization"] == "Bearer new"


def test_it_runs_no_job_for_a_post_polled_channel_without_recent_posts(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from kosmmos.inbox import dispatch

    jobs: list[str] = []
    monkeypatch.setattr(dispatch, "_enqueue", lambda name, pk: jobs.append(name))
    quiet = make_channel(world.alpha.client_workspace, "sandbox", "quiet",
                         credentials={"token": "t"})
    old = make_channel(world.alpha.client_workspace, "sandbox", "old", credentials={"token": "t"})
    target = make_target(old, "7")
    target.published_at = timezone.now() - timedelta(days=30)  # too old to poll its comments
    target.save()
    fresh = make_channel(world.alpha.client_workspace, "sandbox", "fresh",
                         credentials={"token": "t"})
    make_target(fresh, "8")
    before = timezone.now()
    assert dispatch_polls() == 1 and jobs == ["poll_channel"]
    assert ChannelInbox.objects.get(channel=fresh).poll_status == "queued"
    for channel in (quiet, old):
        inbox = ChannelInbox.objects.get(channel=channel)
        # Looked at again after the channel's interval, as if it had been polled.
        assert inbox.poll_status == "idle" and inbox.next_poll_at >= before + timedelta(seconds=59)
    assert dispatch_polls() == 0


def test_it_polls_channels_beyond_one_round_at_the_next_tick_not_in_ten_minutes(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from kosmmos.inbox import dispatch

    jobs: list[str] = []
    monkeypatch.setattr(dispatch, "_enqueue", lambda name, pk: jobs.append(str(pk)))
    monkeypatch.setattr(dispatch, "BATCH", 2)
    channels = [make_channel(world.alpha.client_workspace, "sandbox", f"busy-{n}",
                             name=f"Busy {n}", credentials={"token": "t"}) for n in range(3)]
    for n, channel in enumerate(channels):
        make_target(channel, str(n))
    assert dispatch_polls() == 2
    # The third poll-mode channel did not fit this round: it is due at the next tick, not
    # pushed ten minutes like a channel that does not poll.
    waiting = ChannelInbox.objects.get(poll_status="idle", channel__in=channels)
    assert waiting.next_poll_at <= timezone.now()
    assert dispatch_polls() == 1 and len(jobs) == 3
