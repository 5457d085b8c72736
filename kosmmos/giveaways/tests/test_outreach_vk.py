"""The giveaway's words on VK at the HTTP seam (respx), with the response shapes of VK's method
pages: wall.createComment → {comment_id, parents_stack}; wall.getComments → {count, items};
messages.isMessagesFromGroupAllowed → {is_allowed}; messages.send → the message id;
messages.getHistory → {count, items[{id, random_id, out, …}]}; errors {error_code, error_msg}."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from django.urls import reverse
from django.utils import timezone, translation

from kosmmos.channels.models import Channel
from kosmmos.conftest import client_for
from kosmmos.connectors import ratelimit
from kosmmos.giveaways import actions, outreach
from kosmmos.giveaways.models import Giveaway, Outreach, OutreachAttempt, Participant, Role
from kosmmos.jobs import ticker

pytestmark = pytest.mark.django_db

API = "https://api.vk.com/method/"
GROUP = "555"
HASH = "ab" * 32


@pytest.fixture(autouse=True)
def _fresh_buckets() -> None:
    ratelimit.reset()


def _giveaway(world: Any, *, tokens: dict[str, str] | None = None) -> Giveaway:
    ws = world.alpha.client_workspace
    if tokens is not None:
        channel = Channel(organisation=ws.organisation, workspace=ws, network="vk",
                          name="Сообщество", external_id=GROUP)
        channel.credentials = tokens
        channel.save()
    now = timezone.now()
    giveaway = actions.create_giveaway(ws, actions.GiveawayData(
        title="Розыгрыш", network="vk", owner_id=f"-{GROUP}", item_id="42", group_id=GROUP,
        token="service", starts_at=now - timedelta(days=3), ends_at=now - timedelta(minutes=5),
        winners_count=1, reserves_count=1))
    Giveaway.objects.filter(pk=giveaway.pk).update(list_sha256=HASH, frozen_count=120,
                                                   drand_round=4_000_000)
    giveaway.refresh_from_db()
    return giveaway


def _winner(giveaway: Giveaway, uid: str = "777") -> Participant:
    return Participant.objects.create(giveaway=giveaway, user_id=f"vk:{uid}", name="Анна",
                                      in_list=True, role=Role.WINNER, rank=0,
                                      notified_at=timezone.now(),
                                      answer_due=timezone.now() + timedelta(days=3))


def _run(row: Outreach) -> str:
    Outreach.objects.filter(pk=row.pk).update(status=Outreach.Status.QUEUED)
    return outreach.deliver(row.pk)


def _form(request: httpx.Request) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(request.content.decode()).items()}


def _vk(response: Any) -> httpx.Response:
    return httpx.Response(200, json={"response": response})


def _vk_error(code: int, message: str) -> httpx.Response:
    return httpx.Response(200, json={"error": {"error_code": code, "error_msg": message}})


@respx.mock
def test_it_messages_a_winner_who_allowed_messages_from_the_community(world: Any) -> None:
    giveaway = _giveaway(world, tokens={"community_token": "group-token",
                                        "user_token": "admin-token"})
    row = outreach.tell_winner(_winner(giveaway))
    allowed = respx.post(API + "messages.isMessagesFromGroupAllowed").mock(
        return_value=_vk({"is_allowed": 1}))
    sent = respx.post(API + "messages.send").mock(return_value=_vk(9001))
    assert _run(row) == "sent"
    asked = _form(allowed.calls.last.request)
    assert (asked["group_id"], asked["user_id"], asked["access_token"]) == (
        GROUP, "777", "group-token")
    payload = _form(sent.calls.last.request)
    assert payload["user_id"] == "777" and payload["random_id"] == str(row.random_id)
    assert payload["access_token"] == "group-token" and payload["v"] == "5.199"
    assert payload["message"] == row.text and "Розыгрыш" in row.text
    row.refresh_from_db()
    assert (row.status, row.via, row.external_id) == ("sent", "message", "9001")
    assert OutreachAttempt.objects.get(outreach=row).outcome == "sent"
    winner = Participant.objects.get(pk=row.participant_id)
    assert winner.answer_due is not None and winner.answer_due > timezone.now() + timedelta(
        days=2, hours=23)


@respx.mock
def test_it_comments_mentioning_a_winner_who_did_not_allow_messages(world: Any) -> None:
    giveaway = _giveaway(world, tokens={"community_token": "group-token",
                                        "user_token": "admin-token"})
    row = outreach.tell_winner(_winner(giveaway))
    respx.post(API + "messages.isMessagesFromGroupAllowed").mock(
        return_value=_vk({"is_allowed": 0}))
    send = respx.post(API + "messages.send")
    comment = respx.post(API + "wall.createComment").mock(
        return_value=_vk({"comment_id": 31, "parents_stack": []}))
    with translation.override("en"):
        assert _run(row) == "sent"
    assert not send.called
    payload = _form(comment.calls.last.request)
    assert (payload["owner_id"], payload["post_id"], payload["from_group"]) == (
        f"-{GROUP}", "42", GROUP)
    assert payload["message"].startswith("[id777|Анна], ")
    assert payload["guid"] == row.key and payload["access_token"] == "admin-token"
    row.refresh_from_db()
    assert (row.status, row.via, row.external_id) == ("sent", "comment", "31")
    assert "not allowed messages" in OutreachAttempt.objects.get(outreach=row).error


@respx.mock
def test_it_falls_back_to_a_comment_when_vk_refuses_the_message(world: Any) -> None:
    giveaway = _giveaway(world, tokens={"community_token": "group-token"})
    row = outreach.tell_winner(_winner(giveaway))
    respx.post(API + "messages.isMessagesFromGroupAllowed").mock(
        return_value=_vk({"is_allowed": 1}))
    respx.post(API + "messages.send").mock(
        return_value=_vk_error(901, "Can't send messages for users without permission"))
    comment = respx.post(API + "wall.createComment").mock(
        return_value=_vk({"comment_id": 32, "parents_stack": []}))
    assert _run(row) == "sent"
    assert _form(comment.calls.last.request)["access_token"] == "group-token"
    row.refresh_from_db()
    assert (row.via, row.external_id) == ("comment", "32")
    assert "901" in OutreachAttempt.objects.get(outreach=row).error


def test_it_asks_for_manual_contact_with_the_reason_when_there_is_no_token(world: Any) -> None:
    giveaway = _giveaway(world)  # no VK channel for the community: nothing to write with
    row = outreach.tell_winner(_winner(giveaway))
    with translation.override("en"):
        assert _run(row) == "manual"
    row.refresh_from_db()
    assert row.status == "manual" and "token" in row.last_error
    page = client_for(world.alpha.manager, language="en").get(
        reverse("giveaways:detail", args=[giveaway.pk]))
    html = page.content.decode()
    assert row.last_error in html.replace("&#x27;", "'")
    assert reverse("giveaways:retry_outreach", args=[giveaway.pk, row.pk]) in html


@respx.mock
def test_it_posts_the_hash_once_after_an_ambiguous_timeout(world: Any) -> None:
    giveaway = _giveaway(world, tokens={"user_token": "admin-token"})
    row = outreach.announce_hash(giveaway)
    assert row is not None and HASH in row.text and "4000000" in row.text
    comment = respx.post(API + "wall.createComment").mock(
        side_effect=httpx.ReadTimeout("no answer"))
    assert _run(row) == "unsure"
    row.refresh_from_db()
    assert row.unsure and row.status == "pending" and "may have been published" in row.last_error
    # VK did post it: the look-up finds the community's comment with the same text.
    looked = respx.post(API + "wall.getComments").mock(return_value=_vk({"count": 2, "items": [
        {"id": 90, "from_id": 12, "date": 1, "text": "участвую"},
        {"id": 91, "from_id": -int(GROUP), "date": 2, "text": row.text}]}))
    assert _run(row) == "found"
    assert comment.call_count == 1
    asked = _form(looked.calls.last.request)
    assert (asked["sort"], asked["owner_id"], asked["post_id"]) == ("desc", f"-{GROUP}", "42")
    row.refresh_from_db()
    assert (row.status, row.external_id, row.unsure) == ("sent", "91", False)
    assert list(row.tries.values_list("outcome", flat=True)) == ["found", "unsure"]
    assert outreach.announce_hash(giveaway) == row  # never a second row for the same hash


@respx.mock
def test_it_sends_again_with_the_same_guid_when_the_look_up_finds_nothing(world: Any) -> None:
    giveaway = _giveaway(world, tokens={"user_token": "admin-token"})
    row = outreach.announce_hash(giveaway)
    assert row is not None
    comment = respx.post(API + "wall.createComment").mock(side_effect=[
        _vk_error(10, "Internal server error"), _vk({"comment_id": 95, "parents_stack": []})])
    respx.post(API + "wall.getComments").mock(return_value=_vk({"count": 0, "items": []}))
    assert _run(row) == "unsure"
    assert _run(row) == "sent"
    guids = {_form(call.request)["guid"] for call in comment.calls}
    assert comment.call_count == 2 and guids == {row.key}


@respx.mock
def test_it_fails_with_vks_error_and_a_retry_button_on_a_permanent_error(world: Any) -> None:
    giveaway = _giveaway(world, tokens={"user_token": "admin-token"})
    row = outreach.announce_hash(giveaway)
    assert row is not None
    respx.post(API + "wall.createComment").mock(
        return_value=_vk_error(5, "User authorization failed: invalid access_token"))
    with translation.override("en"):
        assert _run(row) == "failed"
    row.refresh_from_db()
    assert row.status == "failed" and "error 5" in row.last_error
    manager = client_for(world.alpha.manager, language="en")
    url = reverse("giveaways:retry_outreach", args=[giveaway.pk, row.pk])
    assert url in manager.get(reverse("giveaways:detail", args=[giveaway.pk])).content.decode()
    assert client_for(world.beta.manager).post(url).status_code == 404  # another agency
    assert manager.post(url).status_code == 302
    row.refresh_from_db()
    assert row.status in ("pending", "queued") and row.last_error == ""


@respx.mock
def test_it_looks_before_sending_again_after_a_worker_died_mid_send(world: Any) -> None:
    giveaway = _giveaway(world, tokens={"user_token": "admin-token"})
    row = outreach.announce_hash(giveaway)
    assert row is not None
    Outreach.objects.filter(pk=row.pk).update(
        status=Outreach.Status.SENDING, lease_until=timezone.now() - timedelta(seconds=1))
    with translation.override("en"):
        assert ticker.tick(["kosmmos.giveaways.dispatch:sweep_outreach"]) == {
            "kosmmos.giveaways.dispatch:sweep_outreach": 1}
    row.refresh_from_db()
    assert row.status == "pending" and row.unsure and "worker stopped" in row.last_error
    respx.post(API + "wall.getComments").mock(return_value=_vk({"count": 1, "items": [
        {"id": 93, "from_id": -int(GROUP), "date": 2, "text": row.text}]}))
    comment = respx.post(API + "wall.createComment")
    assert _run(row) == "found"
    assert not comment.called
