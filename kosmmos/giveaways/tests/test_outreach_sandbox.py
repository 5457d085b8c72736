"""On the sandbox: the hash comment at the freeze, winners told at the draw, each said once even
when the sandbox loses its answer; a winner past the deadline gives way to a reserve on the
ticker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from kosmmos.giveaways import actions, outreach
from kosmmos.giveaways.models import Giveaway, JobStatus, Outreach, Participant, Role
from kosmmos.giveaways.tests.conftest import (
    GROUP,
    ITEM,
    OWNER,
    admin,
    end,
    later,
    make_giveaway,
    setup_post,
    step,
)
from kosmmos.jobs import ticker
from kosmmos.notifications.models import Event

pytestmark = pytest.mark.django_db


def _deliver_all(giveaway: Giveaway) -> list[str]:
    """What the ticker and the worker do with every due row, once."""
    done = []
    for row in Outreach.objects.filter(giveaway=giveaway, status="pending"):
        Outreach.objects.filter(pk=row.pk).update(status=Outreach.Status.QUEUED)
        done.append(outreach.deliver(row.pk))
    return done


def _drawn(world: Any) -> Giveaway:
    setup_post()
    giveaway = make_giveaway(world)
    step(giveaway)
    end(giveaway)
    with mock.patch("kosmmos.giveaways.actions.emit"):
        step(giveaway)  # the freeze
        with later(15):
            step(giveaway)  # the draw
    giveaway.refresh_from_db()
    return giveaway


def test_it_posts_the_hash_at_the_freeze_and_tells_each_winner_once(world: Any,
                                                                    sandbox: Any) -> None:
    giveaway = _drawn(world)
    rows = Outreach.objects.filter(giveaway=giveaway)
    assert sorted(rows.values_list("kind", flat=True)) == ["hash", "winner", "winner"]
    assert sorted(_deliver_all(giveaway)) == ["sent", "sent", "sent"]
    said = admin("GET", "_said")
    comments = said["comments"][f"{OWNER}_{ITEM}"]
    hashes = [c for c in comments if giveaway.list_sha256 in c["text"]]
    assert len(hashes) == 1 and hashes[0]["from_id"] == -int(GROUP)
    assert str(giveaway.drand_round) in hashes[0]["text"]
    for row in rows.filter(kind="winner").select_related("participant"):
        person = row.participant
        assert person is not None
        if row.via == "message":  # the sandbox allows messages from 60 % of people
            assert [m["random_id"] for m in said["messages"][person.network_id]] == [
                row.random_id]
        else:
            assert row.via == "comment"
            assert [c["text"] for c in comments].count(outreach.comment_text(row)) == 1
    assert _deliver_all(giveaway) == []  # nothing is said twice


def test_it_looks_before_resending_when_the_sandbox_lost_its_answer(world: Any,
                                                                   sandbox: Any) -> None:
    setup_post(audience=50)
    giveaway = make_giveaway(world)
    Giveaway.objects.filter(pk=giveaway.pk).update(list_sha256="cd" * 32, frozen_count=40)
    giveaway.refresh_from_db()
    row = outreach.announce_hash(giveaway)
    assert row is not None
    setup_post(audience=50, error_rate=1.0)  # every answer lost; the write itself happens
    assert _deliver_all(giveaway) == ["unsure"]
    setup_post(audience=50, error_rate=0.0)
    Outreach.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert _deliver_all(giveaway) == ["found"]
    comments = admin("GET", "_said")["comments"][f"{OWNER}_{ITEM}"]
    assert [c["text"] for c in comments] == [row.text]


def test_it_comments_to_a_winner_who_did_not_allow_messages(world: Any, sandbox: Any) -> None:
    giveaway = _drawn(world)
    winner = Participant.objects.filter(giveaway=giveaway, role=Role.WINNER).first()
    assert winner is not None
    admin("POST", "_allow", {"user_ids": [int(winner.network_id)], "allowed": False})
    row = Outreach.objects.get(participant=winner)
    Outreach.objects.filter(pk=row.pk).update(status=Outreach.Status.QUEUED)
    assert outreach.deliver(row.pk) == "sent"
    row.refresh_from_db()
    assert row.via == "comment"
    assert winner.network_id not in admin("GET", "_said")["messages"]


def test_it_hands_the_prize_on_when_the_answer_deadline_passes_on_the_ticker(
        world: Any, sandbox: Any) -> None:
    giveaway = _drawn(world)
    first = Participant.objects.get(giveaway=giveaway, rank=0)
    second = Participant.objects.get(giveaway=giveaway, rank=1)
    reserve = Participant.objects.get(giveaway=giveaway, rank=2)
    actions.mark_answered(second)
    past = timezone.now() - timedelta(minutes=1)
    Participant.objects.filter(pk__in=[first.pk, second.pk]).update(answer_due=past)
    handed = ticker.tick(["kosmmos.giveaways.dispatch:promote_overdue"])
    assert handed == {"kosmmos.giveaways.dispatch:promote_overdue": 1}
    first.refresh_from_db()
    second.refresh_from_db()
    reserve.refresh_from_db()
    assert first.role == Role.SKIPPED and second.role == Role.WINNER  # second answered
    assert reserve.role == Role.WINNER and reserve.answer_due is not None
    assert reserve.answer_due > timezone.now() + timedelta(days=giveaway.answer_days - 1)
    assert Outreach.objects.filter(participant=reserve, kind="winner").count() == 1
    event = Event.objects.get(kind="giveaway.reserve_promoted")
    assert event.payload == {"skipped": first.user_id, "winner": reserve.user_id,
                             "overdue": True}
    # A second tick finds nobody due; the results draft names the new winner.
    assert ticker.tick(["kosmmos.giveaways.dispatch:promote_overdue"]) == {
        "kosmmos.giveaways.dispatch:promote_overdue": 0}
    giveaway.refresh_from_db()
    assert giveaway.results_post is not None
    assert f"[id{reserve.network_id}|" in giveaway.results_post.text
    assert giveaway.status == JobStatus.IDLE
