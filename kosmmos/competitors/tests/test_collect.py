"""The collector against the sandbox's public communities: one read per community per round for
every workspace that follows it, posts kept once, counters updated, key moves and their alerts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kosmmos.competitors import actions, collect
from kosmmos.competitors.dispatch import dispatch_due
from kosmmos.competitors.models import (
    Community,
    CommunityPost,
    Follow,
    Followers,
    KeyMove,
    MoveKind,
    PublicKeys,
    ReadAttempt,
    Status,
)
from kosmmos.competitors.tests.conftest import admin
from kosmmos.connectors import public
from kosmmos.connectors.sandbox.ext import public_communities
from kosmmos.notifications.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow(django_capture_on_commit_callbacks: Any) -> Any:
    """``actions.follow`` with its on-commit kick run (the first read happens)."""
    def run(*args: Any, **kwargs: Any) -> Follow:
        with django_capture_on_commit_callbacks(execute=True):
            return actions.follow(*args, **kwargs)
    return run


def test_it_reads_a_followed_community_and_keeps_its_posts_once(world: Any, sandbox: Any, follow: Any) -> None:
    ws = world.alpha.client_workspace
    follow = follow(ws, "sandbox:pub-rival")
    community = Community.objects.get(pk=follow.community_id)
    # Kicked on commit (eager Celery): the first read has happened.
    community.refresh_from_db()
    assert community.status == Status.PENDING and community.reads == 1
    assert community.next_attempt_at > timezone.now() + timedelta(minutes=50)
    posts = CommunityPost.objects.filter(community=community)
    assert posts.count() == 100 and community.followers
    assert Followers.objects.filter(community=community).count() == 1
    # The next round: the same posts, no duplicates, counters refreshed.
    Community.objects.filter(pk=community.pk).update(next_attempt_at=timezone.now())
    assert dispatch_due() == 1
    assert posts.count() == 100
    assert ReadAttempt.objects.filter(community=community, ok=True).count() == 2


def test_it_reads_a_community_followed_by_many_workspaces_once_per_round(
        world: Any, sandbox: Any, follow: Any) -> None:
    for ws in (world.alpha.client_workspace, world.alpha.other_workspace,
               world.beta.client_workspace):
        follow(ws, "sandbox:pub-shared")
    assert Community.objects.count() == 1
    assert Follow.objects.count() == 3
    Community.objects.update(next_attempt_at=timezone.now())
    dispatch_due()
    dispatch_due()  # a second tick in the same round finds nothing due
    stats = admin("GET", "_stats")
    assert stats["max_fetches_per_round"] <= 2  # the first read on add, then one per round
    assert Community.objects.get().reads == 2


def test_it_puts_a_community_back_when_the_rate_limit_is_reached(
        world: Any, sandbox: Any, monkeypatch: pytest.MonkeyPatch, follow: Any) -> None:
    # A window of no calls: every read finds its slot taken (deterministic, whatever the clock
    # or the counters earlier tests left in the shared cache).
    monkeypatch.setitem(public.RATES, "sandbox", 0)
    monkeypatch.setattr(public, "MAX_WAIT", 0.0)
    monkeypatch.setattr(public, "sleep", lambda s: None)
    ws = world.alpha.client_workspace
    follow(ws, "sandbox:pub-one")
    follow(ws, "sandbox:pub-two")
    rows = list(Community.objects.all())
    assert len(rows) == 2
    for row in rows:  # put back, not failed: no attempt spent, the reason shown
        assert row.status == Status.PENDING and row.reads == 0 and row.attempts == 0
        assert "rate limit" in row.last_error
        assert row.next_attempt_at > timezone.now()
    assert admin("GET", "_stats")["violations"] == 0
    # Once the window has room, the next round reads them.
    monkeypatch.setitem(public.RATES, "sandbox", 20)
    Community.objects.update(next_attempt_at=timezone.now())
    assert dispatch_due() == 2
    assert set(Community.objects.values_list("reads", flat=True)) == {1}


def test_it_marks_a_missing_community_failed_with_its_error_and_retries_on_request(
        world: Any, sandbox: Any, follow: Any) -> None:
    follow = follow(world.alpha.client_workspace, "sandbox:nobody-here")
    community = Community.objects.get(pk=follow.community_id)
    assert community.status == Status.FAILED
    assert "no public community" in community.last_error
    assert ReadAttempt.objects.filter(community=community, ok=False).count() == 1
    assert collect.retry(community.pk)


def test_it_refuses_more_than_fifty_competitors_and_bad_addresses(world: Any) -> None:
    ws = world.alpha.client_workspace
    community = [Community(network="sandbox", handle=f"pub-{i}") for i in range(50)]
    Community.objects.bulk_create(community)
    Follow.objects.bulk_create([Follow(organisation=ws.organisation, workspace=ws, community=c)
                                for c in Community.objects.all()])
    with pytest.raises(actions.Refused):
        actions.follow(ws, "https://vk.com/club1")
    for bad in ("", "https://evil.example/x", "@", "javascript:alert(1)", "@name",
                "t.me/", "x" * 500, "vk.com/\x00club"):
        with pytest.raises(actions.Refused):
            actions.follow(world.beta.client_workspace, bad)
    assert not Follow.objects.filter(workspace=world.beta.client_workspace).exists()


def test_it_alerts_the_followers_of_a_community_once_about_a_giveaway(
        world: Any, sandbox: Any, follow: Any) -> None:
    admin("PUT", "_setup", {"communities": {"pub-promo": {"spike_day": 1, "per_day": 4}}})
    alpha, beta = world.alpha.client_workspace, world.beta.client_workspace
    follow(alpha, "sandbox:pub-promo")
    follow(beta, "sandbox:pub-promo")
    moves = KeyMove.objects.filter(community__handle="pub-promo")
    assert moves.filter(kind=MoveKind.PROMO).exists()
    assert moves.filter(kind=MoveKind.ENGAGEMENT).exists()
    events = Event.objects.filter(kind="competitors.key_move")
    # Beta followed after the moves were found on Alpha's read: the next read finds no new move.
    assert events.filter(workspace=alpha).count() == moves.count()
    Community.objects.update(next_attempt_at=timezone.now())
    dispatch_due()
    assert events.filter(workspace=alpha).count() == moves.count()
    post = moves.filter(kind=MoveKind.PROMO).first().post
    assert "розыгрыш" in post.text.lower() and post.url in events.filter(
        workspace=alpha, payload__kind=MoveKind.PROMO).first().body


def test_it_keeps_keys_encrypted_at_rest(world: Any) -> None:
    actions.save_keys(world.alpha.org, {"vk_service_token": "svc-secret-123"})
    row = PublicKeys.objects.get(organisation=world.alpha.org)
    assert "svc-secret-123" not in row.secrets
    assert row.read() == {"vk_service_token": "svc-secret-123"}
    actions.save_keys(world.alpha.org, {"vk_service_token": "", "sandbox_key": "k"})
    assert row.__class__.objects.get(pk=row.pk).read() == {"vk_service_token": "svc-secret-123",
                                                            "sandbox_key": "k"}
    actions.save_keys(world.alpha.org, {"vk_service_token": "-"})
    assert PublicKeys.objects.get(pk=row.pk).read() == {"sandbox_key": "k"}


def test_it_counts_sandbox_violations_when_a_client_ignores_the_limit(sandbox: Any) -> None:
    from kosmmos.lib import http

    for _ in range(int(public_communities.BURST) * 3):
        http.get("http://sandbox.test/pub/communities/pub-x",
                 headers={"Authorization": "Bearer greedy"})
    assert admin("GET", "_stats")["violations"] >= 1
