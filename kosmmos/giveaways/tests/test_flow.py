"""A giveaway on the sandbox from entries to winners, through the job's steps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from kosmmos.conftest import client_for
from kosmmos.connectors.sandbox.ext import drand
from kosmmos.giveaways import actions, beacon, verify
from kosmmos.giveaways.models import Excluded, Giveaway, JobStatus, Participant, Role, Stage
from kosmmos.giveaways.tests.conftest import GROUP, admin, make_giveaway, setup_post
from kosmmos.giveaways.tests.conftest import end as _end
from kosmmos.giveaways.tests.conftest import later as _later
from kosmmos.giveaways.tests.conftest import step as _step
from kosmmos.links.models import CostCategory, CostEntry

pytestmark = pytest.mark.django_db


def test_it_counts_entries_during_the_giveaway_with_each_exclusion_and_its_reason(
        world: Any, sandbox: Any) -> None:
    setup_post()
    giveaway = make_giveaway(world)
    assert _step(giveaway) == "collect"
    giveaway.refresh_from_db()
    people = Participant.objects.filter(giveaway=giveaway)
    assert giveaway.entries == people.filter(eligible=True).count() > 50
    assert giveaway.stage == Stage.RUNNING and giveaway.status == JobStatus.PENDING
    out = people.filter(eligible=False)
    assert {"no_like", "no_word", "not_member"} <= set(out.values_list("reason", flat=True))
    assert all(p.reason for p in out)
    with translation.override("en"):
        texts = {p.reason_text for p in out}
        assert "no like" in texts and f"not a member of community {GROUP}" in texts
        assert "comment without the word «хочу»" in texts
    with translation.override("ru"):
        assert "нет лайка" in {p.reason_text for p in out}


def test_it_keeps_own_accounts_and_the_blacklist_out_with_their_reason(world: Any,
                                                                       sandbox: Any) -> None:
    setup_post()
    giveaway = make_giveaway(world)
    _step(giveaway)
    someone, other = Participant.objects.filter(giveaway=giveaway, eligible=True)[:2]
    ws = world.alpha.client_workspace
    Excluded.objects.create(organisation=ws.organisation, workspace=ws, kind="own",
                            user_id=someone.user_id)
    Excluded.objects.create(organisation=ws.organisation, workspace=ws, kind="blacklist",
                            user_id=other.user_id, note="мультиаккаунт")
    _step(giveaway)
    assert Participant.objects.get(giveaway=giveaway, user_id=someone.user_id).reason == "own"
    with translation.override("en"):
        assert Participant.objects.get(giveaway=giveaway, user_id=other.user_id
                                       ).reason_text == "blacklist: мультиаккаунт"


def test_it_excludes_at_the_draw_someone_who_left_the_community(world: Any,
                                                                sandbox: Any) -> None:
    setup_post()
    giveaway = make_giveaway(world)
    _step(giveaway)
    leaver = Participant.objects.filter(giveaway=giveaway, eligible=True).first()
    assert leaver is not None
    admin("POST", "_leave", {"group_id": GROUP, "user_ids": [int(leaver.network_id)]})
    _end(giveaway)
    assert _step(giveaway) == "freeze"
    leaver = Participant.objects.get(giveaway=giveaway, user_id=leaver.user_id)
    assert not leaver.eligible and not leaver.in_list
    assert (leaver.reason, leaver.reason_args) == ("not_member", {"group": GROUP})


def test_it_freezes_hashes_draws_and_anyone_can_recompute_the_winners(world: Any,
                                                                     sandbox: Any) -> None:
    setup_post()
    giveaway = make_giveaway(world)
    _step(giveaway)
    _end(giveaway)
    with mock.patch("kosmmos.giveaways.actions.emit") as emit:
        assert _step(giveaway) == "freeze"
        giveaway.refresh_from_db()
        assert giveaway.stage == Stage.FROZEN and len(giveaway.list_sha256) == 64
        ids = Participant.objects.filter(giveaway=giveaway, in_list=True).values_list(
            "user_id", flat=True)
        assert giveaway.list_sha256 == verify.list_hash(list(ids))
        assert _step(giveaway) == "waiting"  # the round is not out yet
        with _later(15):
            assert _step(giveaway) == "draw"
    giveaway.refresh_from_db()
    assert giveaway.stage == Stage.DRAWN and giveaway.status == JobStatus.IDLE
    expected = drand.beacon(7, giveaway.drand_round or 0)
    assert giveaway.randomness == expected["randomness"]
    doc = actions.draw_document(giveaway)
    assert verify.check(doc, offline=True) == []
    assert len(doc["winners"]) == 2 and len(doc["reserves"]) == 2
    emit.assert_called_once()
    assert emit.call_args.args[0] == "giveaway.ended"
    # The results post: a draft in the content plan, winners mentioned VK-style.
    post = giveaway.results_post
    assert post is not None and post.status == "draft"
    winner = Participant.objects.get(giveaway=giveaway, user_id=doc["winners"][0])
    assert f"[id{winner.network_id}|" in post.text and giveaway.list_sha256[:16] in post.text
    page = client_for(world.alpha.manager, language="en").get(
        reverse("giveaways:detail", args=[giveaway.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and winner.user_id in html and "answer by" in html


def test_it_hands_the_prize_to_the_next_reserve_when_a_winner_does_not_answer(
        world: Any, sandbox: Any) -> None:
    setup_post()
    giveaway = make_giveaway(world)
    _step(giveaway)
    _end(giveaway)
    with mock.patch("kosmmos.giveaways.actions.emit"):
        _step(giveaway)
        with _later(15):
            _step(giveaway)
    first = Participant.objects.get(giveaway=giveaway, rank=0)
    reserve = Participant.objects.get(giveaway=giveaway, rank=2)
    assert actions.promote_reserve(first) == reserve
    first.refresh_from_db()
    reserve.refresh_from_db()
    assert first.role == Role.SKIPPED and reserve.role == Role.WINNER
    giveaway.refresh_from_db()
    assert f"[id{reserve.network_id}|" in (giveaway.results_post.text if giveaway.results_post
                                           else "")


def test_it_books_the_prize_cost_in_the_workspace_costs(world: Any) -> None:
    giveaway = make_giveaway(world)
    entry = CostEntry.objects.get(workspace=world.alpha.client_workspace,
                                  category=CostCategory.PRIZES)
    assert entry.amount == 5000 and "Сертификат" in entry.note
    assert giveaway.prizes.get().cost_entry == entry


def test_it_picks_a_new_round_when_the_announced_one_passed_before_the_freeze(
        world: Any, sandbox: Any) -> None:
    setup_post()
    giveaway = make_giveaway(world)
    ended = timezone.now() - timedelta(hours=2)
    Giveaway.objects.filter(pk=giveaway.pk).update(ends_at=ended,
                                                   drand_round=beacon.round_at(ended))
    old = beacon.round_at(ended)
    assert _step(giveaway) == "freeze"
    giveaway.refresh_from_db()
    assert giveaway.drand_round and giveaway.drand_round > old and str(old) in giveaway.round_note
    assert _step(giveaway) == "waiting"  # the new round is not out yet: nothing drawn


def test_it_fails_with_the_error_and_retries_on_a_permanent_network_error(world: Any,
                                                                        sandbox: Any) -> None:
    giveaway = make_giveaway(world)  # no post set up on the sandbox: VK error 100
    assert _step(giveaway) == "failed"
    giveaway.refresh_from_db()
    assert giveaway.status == JobStatus.FAILED and "no post" in giveaway.last_error
    assert giveaway.runs.get().error
