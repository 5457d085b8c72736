"""The engine publishes each post exactly once, whatever the network and the workers do."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from kosmmos.channels.models import ChannelStatus
from kosmmos.content import targets as lifecycle
from kosmmos.content.models import PostEvent, PostStatus, PostTarget, TargetStatus
from kosmmos.publishing import dispatch, leases, reconcile, tasks, tries
from kosmmos.publishing.models import PublishAttempt
from kosmmos.publishing.outcomes import MAX_ATTEMPTS, backoff
from kosmmos.publishing.tests.conftest import make_post
from kosmmos.publishing.tests.fakes import FakeNetwork

Outcome = PublishAttempt.Outcome


def outcomes(target: PostTarget) -> list[tuple[str, str]]:
    rows = PublishAttempt.objects.filter(target=target).order_by("started_at", "id")
    return [(a.action, a.outcome) for a in rows]


def due_now(target: PostTarget) -> None:
    """Time passes: whatever the target waits for is due."""
    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=timezone.now())


@pytest.mark.django_db
def test_it_publishes_a_due_post_once(scheduled, net: FakeNetwork) -> None:
    post, target = scheduled
    assert dispatch.dispatch_due() == 1
    target.refresh_from_db()
    post.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED
    assert target.external_id == "1" and target.url == "https://fake.test/p/1"
    assert target.sent_text == "Hello" and target.attempts == 1
    assert target.next_stats_at is not None and target.lease_owner == ""
    assert net.count(target.key) == 1
    assert outcomes(target) == [("publish", Outcome.PUBLISHED)]
    assert post.status == PostStatus.PUBLISHED
    assert PostEvent.objects.filter(post=post, kind="published").count() == 1
    # Nothing left to do: more ticks change nothing.
    assert dispatch.dispatch_due() == 0 and dispatch.sweep_stuck() == 0


@pytest.mark.django_db
def test_it_sends_the_variant_hashtags_and_ad_label(world, channel, net) -> None:
    from kosmmos.content.models import PostVariant

    post, target = make_post(world, channel, text="Main text", hashtags="осень, sale",
                             is_ad=True, advertiser="ООО «Ромашка»", erid="2VtzqvXYZ")
    PostVariant.objects.create(post=post, network="sandbox", text="Sandbox text")
    lifecycle.schedule_post(post)
    dispatch.dispatch_due()
    sent = net.posts[target.key][0]["text"]
    assert sent == "Sandbox text\n\n#осень #sale\n\nРеклама. ООО «Ромашка». erid: 2VtzqvXYZ"


@pytest.mark.django_db
def test_it_retries_a_transient_error_at_once(scheduled, net: FakeNetwork) -> None:
    _post, target = scheduled
    net.script[target.key] = ["transient"]
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED and target.attempts == 2
    assert outcomes(target) == [("publish", Outcome.TRANSIENT), ("publish", Outcome.PUBLISHED)]
    assert PublishAttempt.objects.filter(target=target, outcome=Outcome.TRANSIENT).get().error \
        == "fake: HTTP 503"
    assert net.count(target.key) == 1


@pytest.mark.django_db
def test_it_backs_off_after_repeated_transient_errors(scheduled, net: FakeNetwork,
                                                      settings) -> None:
    post, target = scheduled
    net.script[target.key] = ["transient"] * tries.TRIES
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED and target.attempts == tries.TRIES
    assert target.next_attempt_at > timezone.now() + timedelta(seconds=1)
    assert target.last_error == "fake: HTTP 503"
    settings.PUBLISH_LOOKAHEAD_SECONDS = 0  # the 2 s backoff is inside the usual look-ahead
    assert dispatch.dispatch_due() == 0  # not before the backoff
    due_now(target)
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED and net.count(target.key) == 1
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


def test_it_backs_off_2_s_then_10_s_doubling_for_about_a_minute_in_all() -> None:
    waits = [backoff(n).total_seconds() for n in range(tries.TRIES, MAX_ATTEMPTS,
                                                                 tries.TRIES)]
    assert len(waits) == 4
    assert all(0.9 * n <= w <= 1.1 * n for w, n in zip(waits, (2, 10, 20, 40), strict=True))
    assert 1.8 <= waits[0] <= 2.2 and 9 <= waits[1] <= 11 and 60 <= sum(waits) <= 80


@pytest.mark.django_db
def test_it_waits_as_long_as_the_network_asks(scheduled, net: FakeNetwork) -> None:
    _post, target = scheduled
    net.script[target.key] = ["rate:30"]
    before = timezone.now()
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED
    assert before + timedelta(seconds=29) < target.next_attempt_at < before + timedelta(seconds=32)
    assert outcomes(target) == [("publish", Outcome.RATE_LIMITED)]


@pytest.mark.django_db
def test_it_waits_out_a_short_rate_limit_in_place(scheduled, net: FakeNetwork) -> None:
    _post, target = scheduled
    net.script[target.key] = ["rate:0.1"]
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED
    assert outcomes(target) == [("publish", Outcome.RATE_LIMITED), ("publish", Outcome.PUBLISHED)]


@pytest.mark.django_db
def test_it_fails_and_asks_for_reconnection_when_auth_is_revoked(scheduled, net, channel) -> None:
    post, target = scheduled
    net.script[target.key] = ["auth"]
    dispatch.dispatch_due()
    target.refresh_from_db()
    channel.refresh_from_db()
    post.refresh_from_db()
    assert target.status == TargetStatus.FAILED and target.last_error == "fake: token revoked"
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    assert channel.last_error == "fake: token revoked"
    assert post.status == PostStatus.FAILED
    assert net.count(target.key) == 0


@pytest.mark.django_db
def test_it_does_not_call_a_channel_that_needs_reconnection(world, channel, net) -> None:
    channel.status, channel.last_error = ChannelStatus.NEEDS_REAUTH, "token expired"
    channel.save(update_fields=["status", "last_error"])
    post, target = make_post(world, channel)
    lifecycle.schedule_post(post)
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.FAILED and target.last_error == "token expired"
    assert net.calls == []


@pytest.mark.django_db
def test_it_fails_a_permanent_error_without_retrying(scheduled, net) -> None:
    _post, target = scheduled
    net.script[target.key] = ["permanent"]
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.FAILED and target.last_error == "fake: text too long"
    assert len(net.calls) == 1


@pytest.mark.django_db
def test_it_publishes_once_after_ambiguous_timeout(scheduled, net: FakeNetwork) -> None:
    post, target = scheduled
    net.script[target.key] = ["ambiguous_posted"]
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.RECONCILING
    assert target.last_error == "fake: read timeout"
    due_now(target)
    assert dispatch.dispatch_reconcile() == 1
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED and target.external_id == "1"
    assert net.count(target.key) == 1
    assert [c[0] for c in net.calls] == ["publish", "find"]
    assert outcomes(target) == [("publish", Outcome.AMBIGUOUS), ("find", Outcome.RECONCILED)]
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


@pytest.mark.django_db
def test_it_republishes_after_ambiguous_timeout_when_absent(scheduled, net: FakeNetwork) -> None:
    _post, target = scheduled
    net.script[target.key] = ["ambiguous_lost"]
    dispatch.dispatch_due()
    due_now(target)
    dispatch.dispatch_reconcile()
    target.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED and net.count(target.key) == 1
    assert outcomes(target) == [("publish", Outcome.AMBIGUOUS), ("find", Outcome.ABSENT),
                                ("publish", Outcome.PUBLISHED)]


@pytest.mark.django_db
def test_it_asks_a_person_when_the_network_cannot_tell(scheduled, net: FakeNetwork) -> None:
    post, target = scheduled
    net.script[target.key] = ["ambiguous_lost"]
    net.find_script[target.key] = ["cannot_tell"]
    dispatch.dispatch_due()
    due_now(target)
    dispatch.dispatch_reconcile()
    target.refresh_from_db()
    post.refresh_from_db()
    assert target.status == TargetStatus.NEEDS_CHECK
    assert target.last_error == "fake: the Bot API cannot list channel posts"
    assert post.status == PostStatus.FAILED
    # A plain retry could post twice: it needs "I checked, it is not there".
    assert lifecycle.retry_target(target) is False
    assert lifecycle.retry_target(target, confirmed_absent=True) is True
    target.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED and net.count(target.key) == 1
    assert ("manual", Outcome.ABSENT) in outcomes(target)


@pytest.mark.django_db
def test_it_keeps_trying_a_lookup_then_gives_up_to_a_person(scheduled, net) -> None:
    _post, target = scheduled
    net.script[target.key] = ["ambiguous_lost"]
    net.find_script[target.key] = ["transient"] * reconcile.MAX_CHECKS
    dispatch.dispatch_due()
    for _ in range(reconcile.MAX_CHECKS):
        due_now(target)
        dispatch.dispatch_reconcile()
    target.refresh_from_db()
    assert target.status == TargetStatus.NEEDS_CHECK
    assert net.count(target.key) == 0


def _killed_worker(target: PostTarget) -> None:
    """A worker claimed the target and died: publishing, lease run out long enough ago that
    any call it made has landed."""
    PostTarget.objects.filter(pk=target.pk).update(
        status=TargetStatus.PUBLISHING, lease_owner="dead-host:123:abc",
        lease_until=timezone.now() - timedelta(minutes=1))


@pytest.mark.django_db
def test_it_reconciles_not_resends_after_a_killed_worker(scheduled, net: FakeNetwork) -> None:
    _post, target = scheduled
    net.store(tries.build_request(PostTarget.objects.select_related("post", "channel")
                                   .get(pk=target.pk)))  # it got the post out before dying
    _killed_worker(target)
    assert dispatch.sweep_stuck() == 1
    target.refresh_from_db()
    assert target.status == TargetStatus.RECONCILING
    lost = PublishAttempt.objects.get(target=target)
    assert (lost.outcome, lost.worker) == (Outcome.LEASE_EXPIRED, "dead-host:123:abc")
    dispatch.dispatch_reconcile()
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED
    assert net.count(target.key) == 1
    assert [c[0] for c in net.calls] == ["find"]


@pytest.mark.django_db
def test_it_republishes_what_a_killed_worker_never_sent(scheduled, net: FakeNetwork) -> None:
    _post, target = scheduled
    _killed_worker(target)
    dispatch.sweep_stuck()
    dispatch.dispatch_reconcile()
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED and net.count(target.key) == 1
    assert [c[0] for c in net.calls] == ["find", "publish"]


@pytest.mark.django_db
def test_it_looks_up_a_run_out_lease_only_after_a_call_started_at_its_edge_could_land(
        scheduled, net: FakeNetwork, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker (alive but stalled, or dead elsewhere) may start a call with SEND_MARGIN of its
    lease left; that call may land up to the connector's longest call later, long after the
    lease ran out. A look-up before then could find nothing and the post be sent twice."""
    from kosmmos.publishing.tests import fakes

    monkeypatch.setattr(fakes.FakeConnector, "max_call_seconds", 30.0, raising=False)
    _post, target = scheduled
    until = timezone.now() - timedelta(seconds=1)
    PostTarget.objects.filter(pk=target.pk).update(
        status=TargetStatus.PUBLISHING, lease_owner="other-host:123:abc", lease_until=until)
    assert dispatch.sweep_stuck() == 1
    target.refresh_from_db()
    assert target.status == TargetStatus.RECONCILING
    last_start = until - timedelta(seconds=leases.SEND_MARGIN)
    assert abs((target.next_attempt_at - (last_start + timedelta(seconds=30))).total_seconds()) < 1
    assert dispatch.dispatch_reconcile() == 0 and net.calls == []


@pytest.mark.django_db
def test_it_does_nothing_with_a_duplicated_message(scheduled, net: FakeNetwork) -> None:
    _post, target = scheduled
    dispatch.dispatch_due()
    tasks.publish_targets.delay([str(target.pk)])
    tasks.publish_targets([str(target.pk)])
    assert net.count(target.key) == 1
    assert PublishAttempt.objects.filter(target=target).count() == 1


@pytest.mark.django_db
def test_it_re_sends_a_lost_message(scheduled, net: FakeNetwork, monkeypatch) -> None:
    _post, target = scheduled
    with monkeypatch.context() as patch:
        patch.setattr(dispatch, "enqueue_publish", lambda ids: None)  # the broker lost it
        dispatch.dispatch_due()
    target.refresh_from_db()
    assert target.status == TargetStatus.QUEUED
    assert dispatch.sweep_stuck() == 0  # not yet
    PostTarget.objects.filter(pk=target.pk).update(
        enqueued_at=timezone.now() - dispatch.REQUEUE_AFTER - timedelta(seconds=1))
    assert dispatch.sweep_stuck() == 1
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED, (outcomes(target), target.last_error)
    assert net.count(target.key) == 1
    assert outcomes(target)[0] == ("sweep", Outcome.REQUEUED)


@pytest.mark.django_db
def test_it_does_not_send_on_a_lease_about_to_run_out(scheduled, net, settings) -> None:
    _post, target = scheduled
    settings.PUBLISH_LEASE_SECONDS = leases.SEND_MARGIN - 1
    dispatch.dispatch_due()
    target.refresh_from_db()
    assert net.calls == []
    assert target.status == TargetStatus.SCHEDULED
    assert outcomes(target) == [("publish", Outcome.NOT_SENT)]


@pytest.mark.django_db
def test_it_claims_ahead_and_publishes_on_the_second(world, channel, net) -> None:
    at = timezone.now() + timedelta(seconds=1.2)
    post, _target = make_post(world, channel, at=at)
    lifecycle.schedule_post(post)
    assert dispatch.dispatch_due() == 1  # within the look-ahead: claimed now, sent on time
    sent_at = net.calls[0][2]
    assert at.timestamp() <= sent_at < at.timestamp() + 0.5


@pytest.mark.django_db
def test_it_leaves_posts_beyond_the_look_ahead(world, channel, net) -> None:
    post, target = make_post(world, channel, at=timezone.now() + timedelta(minutes=5))
    lifecycle.schedule_post(post)
    assert dispatch.dispatch_due() == 0
    target.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED


@pytest.mark.django_db
def test_it_unschedules_only_what_is_not_on_its_way(world, channel, net) -> None:
    post, target = make_post(world, channel, at=timezone.now() + timedelta(hours=1))
    assert lifecycle.schedule_post(post) == 1
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    assert lifecycle.unschedule_post(post) == 1
    target.refresh_from_db()
    post.refresh_from_db()
    assert target.status == TargetStatus.DRAFT and post.status == PostStatus.APPROVED
    PostTarget.objects.filter(pk=target.pk).update(status=TargetStatus.QUEUED)
    assert lifecycle.unschedule_post(post) == 0


@pytest.mark.django_db
def test_it_marks_a_post_published_by_hand(scheduled, net, owner) -> None:
    post, target = scheduled
    PostTarget.objects.filter(pk=target.pk).update(status=TargetStatus.NEEDS_CHECK)
    assert lifecycle.mark_published_manually(target, "https://vk.com/wall-1_2", user=owner)
    target.refresh_from_db()
    post.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED and target.url == "https://vk.com/wall-1_2"
    assert post.status == PostStatus.PUBLISHED
    assert outcomes(target) == [("manual", Outcome.MANUAL)]
    assert not lifecycle.mark_published_manually(target, "https://vk.com/wall-1_3")


@pytest.mark.django_db
def test_it_sends_edits_and_deletes_of_published_posts(scheduled, net: FakeNetwork) -> None:
    post, target = scheduled
    dispatch.dispatch_due()
    post.text = "Fixed typo"
    post.save(update_fields=["text"])
    assert lifecycle.propagate_edit(post) == 1
    assert dispatch.dispatch_actions() == 1
    target.refresh_from_db()
    assert net.edits == [("1", "Fixed typo")]
    assert target.pending_action == "" and target.sent_text == "Fixed typo"
    assert lifecycle.propagate_delete(post) == 1
    dispatch.dispatch_actions()
    target.refresh_from_db()
    post.refresh_from_db()
    assert net.deletes == ["1"] and target.status == TargetStatus.DELETED
    assert [o for o in outcomes(target) if o[0] != "publish"] == [
        ("edit", Outcome.DONE), ("delete", Outcome.DONE)]
    assert post.status == PostStatus.PUBLISHED


@pytest.mark.django_db
def test_it_marks_a_delete_the_network_refuses_as_too_old_not_deletable(
    scheduled, net: FakeNetwork, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kosmmos.connectors.base import NotDeletable
    from kosmmos.content.models import PostEvent
    from kosmmos.publishing.tests.fakes import FakeConnector

    def refuse(self: FakeConnector, external_id: str) -> None:
        raise NotDeletable("fake: only messages under 48 hours old")

    monkeypatch.setattr(FakeConnector, "delete", refuse)
    post, target = scheduled
    dispatch.dispatch_due()
    assert lifecycle.propagate_delete(post) == 1
    dispatch.dispatch_actions()
    target.refresh_from_db()
    post.refresh_from_db()
    assert (target.status, target.pending_action, target.action_due_at) == (
        TargetStatus.NOT_DELETABLE, "", None)
    assert target.last_error == "fake: only messages under 48 hours old"
    assert [o for o in outcomes(target) if o[0] == "delete"] == [("delete", Outcome.PERMANENT)]
    assert post.status == PostStatus.PUBLISHED
    assert post.events.filter(kind=PostEvent.Kind.NOT_DELETABLE).count() == 1
    assert dispatch.dispatch_actions() == 0  # nothing owed: never retried


@pytest.mark.django_db
def test_it_aggregates_the_post_over_its_channels(world, channel, net) -> None:
    from kosmmos.channels.models import Channel

    second = Channel(organisation=channel.organisation, workspace=channel.workspace,
                     network="sandbox", name="Second", external_id="alpha-2")
    second.credentials = {"token": "t"}
    second.save()
    post, _first = make_post(world, channel)
    other = PostTarget.objects.create(organisation=post.organisation, post=post, channel=second)
    net.script[other.key] = ["permanent"]
    lifecycle.schedule_post(post)
    dispatch.dispatch_due()
    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    lifecycle.mark_published_manually(other, "https://example.test/by-hand")
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.IS_POSTGRES, reason="SKIP LOCKED claims need PostgreSQL")
def test_it_gives_two_dispatchers_disjoint_sets(world, channel) -> None:
    targets = [make_post(world, channel, text=f"Post {i}")[1] for i in range(60)]
    PostTarget.objects.filter(pk__in=[t.pk for t in targets]).update(
        status=TargetStatus.SCHEDULED, next_attempt_at=timezone.now())
    results: list[list[object]] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            for _ in range(4):
                ids = dispatch.POSTS.claim_ahead(("lease_owner", leases.new_token()), limit=10)
                results.append(ids)
                time.sleep(0.01)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [pk for ids in results for pk in ids]
    assert len(claimed) == len(set(claimed)) == 60
