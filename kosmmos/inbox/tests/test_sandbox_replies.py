"""Replies to sandbox comments, end to end against the sandbox server (the real ASGI app,
in-process through the bridge transport): a customer comments, the poll brings it in, a manager
answers, the sandbox shows the answer under the comment, and the next poll knows it is ours."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.utils import timezone

from kosmmos.channels.models import Channel
from kosmmos.conftest import World, client_for
from kosmmos.connectors.base import AmbiguousOutcome
from kosmmos.connectors.sandbox.server import Network, SandboxApp
from kosmmos.connectors.sandbox.tests.conftest import Bridge
from kosmmos.inbox.actions import send_reply
from kosmmos.inbox.dispatch import dispatch_polls
from kosmmos.inbox.models import ChannelInbox, DropCount, Item, Reply, ReplyStatus
from kosmmos.inbox.testing import make_channel, make_target
from kosmmos.lib import http

pytestmark = pytest.mark.django_db


@pytest.fixture
def network() -> Network:
    net = Network(seed=7, public_url="http://sandbox.test")
    net.faults = {"enabled": True, "latency_ms": [0, 0]}
    return net


@pytest.fixture
def bridged(network: Network, monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[None]:
    bridge = Bridge(SandboxApp(network))
    client = httpx.Client(transport=bridge)
    monkeypatch.setattr(http, "client", lambda: client)
    settings.SANDBOX_URL = "http://sandbox.test"
    yield
    client.close()
    bridge.close()


@pytest.fixture
def sandbox(world: World, network: Network, bridged: None) -> Channel:
    """A sandbox channel with one post published a day ago, its comments polled in."""
    channel = make_channel(world.alpha.client_workspace, "sandbox", "sbx-1",
                           credentials={"token": "t"})
    post = network.add_post("sbx-1", "k1", "Новая маска", [])
    post["accepted_at"] -= 86400
    make_target(channel, str(post["id"]))
    poll_again()
    return channel


def poll_again() -> None:
    ChannelInbox.objects.update(poll_status="idle", next_poll_at="2000-01-01T00:00:00Z")
    assert dispatch_polls() == 1


def own_drops() -> int:
    return sum(DropCount.objects.filter(step="parse", reason="own_message")
               .values_list("count", flat=True))


def test_it_delivers_a_reply_and_does_not_take_it_back_as_a_customer_item(
        world: World, network: Network, sandbox: Channel) -> None:
    customers = network.comments(network.posts[1])
    assert Item.objects.filter(channel=sandbox).count() == len(customers) > 0
    item = Item.objects.get(channel=sandbox, external_id=customers[0]["id"])

    browser = client_for(world.alpha.manager)
    assert browser.post(f"/inbox/items/{item.pk}/reply/",
                        {"text": "Спасибо, передали технологу"}).status_code == 302
    reply = Reply.objects.get()
    assert (reply.status, reply.external_id, reply.attempts) == (ReplyStatus.SENT, "1_r1", 1)
    (ours,) = network.own_comments[1]
    assert (ours["text"], ours["reply_to"], ours["key"], ours["author"]) == (
        "Спасибо, передали технологу", item.external_id, str(reply.pk), "sbx-1")
    item.refresh_from_db()
    assert item.first_response_at == reply.sent_at

    poll_again()
    assert Item.objects.filter(channel=sandbox).count() == len(customers)  # nothing new
    assert own_drops() == 1
    page = browser.get(f"/inbox/items/{item.pk}/").content.decode()
    # Seen coming back from the network, but listed once: as the reply with its delivery state.
    assert page.count("Спасибо, передали технологу") == 1
    from kosmmos.inbox.models import NetworkAnswer

    assert NetworkAnswer.objects.get().external_id == reply.external_id


def test_it_finds_a_reply_whose_answer_was_lost_instead_of_posting_it_twice(
        world: World, network: Network, sandbox: Channel, monkeypatch: pytest.MonkeyPatch) -> None:
    from kosmmos.connectors.sandbox import connector as module

    monkeypatch.setattr(module, "TIMEOUT", httpx.Timeout(0.3))
    network.set_config("sbx-1", {"ambiguous_rate": 1.0, "hang_s": 1.0})
    item = Item.objects.filter(channel=sandbox).first()
    assert item is not None
    client_for(world.alpha.manager).post(f"/inbox/items/{item.pk}/reply/", {"text": "Ответ"})
    reply = Reply.objects.get()
    assert (reply.status, reply.external_id) == (ReplyStatus.SENT, "1_r1")
    assert len(network.own_comments[1]) == 1


def test_it_resends_with_the_same_key_when_the_lost_reply_is_not_there(
        world: World, network: Network, sandbox: Channel, monkeypatch: pytest.MonkeyPatch) -> None:
    """The request died before the sandbox stored it: the lookup by key finds nothing, so the
    reply waits for its backoff (not a person) and the resend posts it once."""
    from kosmmos.connectors.sandbox.connector import SandboxConnector

    real = SandboxConnector.comment
    lost = {"left": 1}

    def comment(self: SandboxConnector, *args: Any, **kwargs: Any) -> str:
        if lost["left"]:
            lost["left"] -= 1
            raise AmbiguousOutcome("sandbox: timed out")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SandboxConnector, "comment", comment)
    item = Item.objects.filter(channel=sandbox).first()
    assert item is not None
    client_for(world.alpha.manager).post(f"/inbox/items/{item.pk}/reply/", {"text": "Ответ"})
    reply = Reply.objects.get()
    assert reply.status == ReplyStatus.PENDING and reply.next_attempt_at > reply.created_at
    assert reply.last_error == ("sandbox: timed out; not posted (looked up by key); it is sent "
                                "again with the same key")
    Reply.objects.filter(pk=reply.pk).update(status=ReplyStatus.QUEUED)
    send_reply(reply.pk)
    reply.refresh_from_db()
    assert (reply.status, reply.attempts, reply.external_id) == (ReplyStatus.SENT, 2, "1_r1")
    assert len(network.own_comments[1]) == 1


def test_it_shows_the_sandboxs_refusal_as_a_permanent_failure(
        world: World, network: Network, sandbox: Channel) -> None:
    item = Item.objects.filter(channel=sandbox).first()
    assert item is not None
    network.posts[1]["deleted_at"] = 1.0
    client_for(world.alpha.manager).post(f"/inbox/items/{item.pk}/reply/", {"text": "Ответ"})
    reply = Reply.objects.get()
    assert (reply.status, reply.last_error) == (ReplyStatus.FAILED, "sandbox: the post is gone")
    assert network.own_comments == {}


def test_it_waits_for_the_sandboxs_rate_limit(
        world: World, network: Network, sandbox: Channel) -> None:
    item = Item.objects.filter(channel=sandbox).first()
    assert item is not None
    network.set_config("sbx-1", {"rate_limit_rate": 1.0, "retry_after": 7.0})
    client_for(world.alpha.manager).post(f"/inbox/items/{item.pk}/reply/", {"text": "Ответ"})
    reply = Reply.objects.get()
    assert reply.status == ReplyStatus.PENDING and reply.last_error == "sandbox: rate limited"
    assert 6 <= (reply.next_attempt_at - reply.attempt_rows.get().started_at).total_seconds() <= 9


def test_it_keeps_a_sandbox_post_made_outside_kosmmos_with_its_comments(
    sandbox: Channel, network: Network,
) -> None:
    from kosmmos.content.models import Post, PostTarget

    outside = network.add_post("sbx-1", "typed-in-the-app", "Сегодня скидка 20%", [])
    outside["accepted_at"] -= 86400  # its comments have arrived too
    poll_again()  # the poll lists the new post: kept as published outside Kosmmos
    post = Post.objects.get(outside=True)
    target = PostTarget.objects.get(post=post)
    assert (target.external_id, target.status) == (str(outside["id"]), "published")
    assert Post.objects.filter(outside=False).count() == 1  # ours stays ours, once
    poll_again()  # now one of the recent posts: its comments come in, matched to it
    comments = Item.objects.filter(post=post)
    assert comments.exists() and comments.count() == len(network.comments(outside))
    assert DropCount.objects.filter(reason="own_post").exists()  # ours, announced, not doubled
    # Its statistics are read like ours: due at once, one snapshot from the sandbox's stats.
    from kosmmos.publishing.models import PostStatsSnapshot
    from kosmmos.publishing.stats import collect_post_stats

    assert PostTarget.objects.filter(pk=target.pk, next_stats_at__lte=timezone.now()).exists()
    assert collect_post_stats([target.pk]) == 1
    assert PostStatsSnapshot.objects.get(target=target).views is not None
