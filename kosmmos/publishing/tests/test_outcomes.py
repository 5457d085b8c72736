"""Recording outcomes writes only rows the batch's claim still holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from kosmmos.connectors.base import PublishedPost
from kosmmos.content.models import PostTarget, TargetStatus
from kosmmos.publishing import engine, outcomes
from kosmmos.publishing.models import PublishAttempt
from kosmmos.publishing.tries import Job, Try

pytestmark = pytest.mark.django_db


def published_job(target: PostTarget) -> Job:
    post = PublishedPost(external_id="77", url="https://fake.test/p/77",
                         published_at=datetime.now(UTC))
    return Job(target=target, tries=[Try(1, timezone.now(), 5, PublishAttempt.Outcome.PUBLISHED,
                                         post=post)])


def test_it_never_writes_over_a_row_another_claim_took_over(scheduled) -> None:
    _post, target = scheduled
    # Our batch claimed it with "ours"; since then it was swept, looked up, found absent and
    # claimed again by another worker, which is publishing it now.
    PostTarget.objects.filter(pk=target.pk).update(
        status=TargetStatus.PUBLISHING, lease_owner="theirs",
        lease_until=timezone.now() + timedelta(seconds=30))
    target.refresh_from_db()
    outcomes.record("ours", [published_job(target)], engine.after_publish,
                    status=TargetStatus.PUBLISHING)
    target.refresh_from_db()
    assert (target.status, target.lease_owner, target.external_id) == (
        TargetStatus.PUBLISHING, "theirs", "")
    # Our tries are still history: the attempt row is kept.
    assert target.attempt_rows.filter(outcome=PublishAttempt.Outcome.PUBLISHED).count() == 1
    # Held by us, the same record wins.
    PostTarget.objects.filter(pk=target.pk).update(lease_owner="ours")
    target.refresh_from_db()
    outcomes.record("ours", [published_job(target)], engine.after_publish,
                    status=TargetStatus.PUBLISHING)
    target.refresh_from_db()
    assert (target.status, target.lease_owner, target.external_id) == (
        TargetStatus.PUBLISHED, "", "77")


def test_it_marks_only_an_active_channel_as_needing_reconnection(channel) -> None:
    from kosmmos.channels.models import Channel, ChannelStatus

    Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.DISABLED)
    # A revoked token seen by a batch that started before a person disabled the channel.
    outcomes.mark_needs_reauth({channel.pk: "token revoked"})
    channel.refresh_from_db()
    assert (channel.status, channel.last_error) == (ChannelStatus.DISABLED, "")
    Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.ACTIVE)
    outcomes.mark_needs_reauth({channel.pk: "token revoked"})
    channel.refresh_from_db()
    assert (channel.status, channel.last_error) == (ChannelStatus.NEEDS_REAUTH, "token revoked")


def test_it_gives_up_on_transient_errors_after_the_last_attempt(scheduled) -> None:
    _post, target = scheduled
    transient = [Try(1, timezone.now(), 5, PublishAttempt.Outcome.TRANSIENT, error="HTTP 503")]
    target.attempts = outcomes.MAX_ATTEMPTS - 2
    again = engine.after_publish(Job(target=target, tries=list(transient)), transient[0],
                                 timezone.now())
    assert again.fields["status"] == TargetStatus.SCHEDULED
    target.attempts = outcomes.MAX_ATTEMPTS - 1
    last = engine.after_publish(Job(target=target, tries=list(transient)), transient[0],
                                timezone.now())
    assert last.fields["status"] == TargetStatus.FAILED
    assert last.fields["attempts"] == outcomes.MAX_ATTEMPTS
    assert last.event == ("publish_failed", "HTTP 503")


def test_it_ignores_a_look_up_message_of_another_claim(scheduled, net) -> None:
    from kosmmos.publishing import reconcile

    _post, target = scheduled
    PostTarget.objects.filter(pk=target.pk).update(status=TargetStatus.RECONCILING,
                                                   lease_owner="dispatch-now")
    # An old or duplicated message carries the token of a claim that is over.
    assert reconcile.reconcile_batch([target.pk], "dispatch-before", inline=True) == 0
    target.refresh_from_db()
    assert (target.status, target.lease_owner) == (TargetStatus.RECONCILING, "dispatch-now")
    assert net.calls == [] and not target.attempt_rows.exists()


def test_it_retries_a_post_that_may_be_out_only_on_a_persons_word(scheduled) -> None:
    from kosmmos.content.targets import retry_target

    _post, target = scheduled
    PostTarget.objects.filter(pk=target.pk).update(status=TargetStatus.NEEDS_CHECK)
    assert retry_target(target) is False  # it may be on the network: sending could double it
    target.refresh_from_db()
    assert target.status == TargetStatus.NEEDS_CHECK
    assert retry_target(target, confirmed_absent=True) is True
    target.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED


def test_it_leaves_a_post_in_the_editors_hands_out_of_the_roll_up(scheduled) -> None:
    from kosmmos.content.models import Post, PostStatus
    from kosmmos.content.targets import roll_up

    post, target = scheduled
    PostTarget.objects.filter(pk=target.pk).update(status=TargetStatus.PUBLISHED)
    Post.objects.filter(pk=post.pk).update(status=PostStatus.IN_REVIEW)
    assert roll_up([post.pk]) == 0
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    Post.objects.filter(pk=post.pk).update(status=PostStatus.SCHEDULED)
    assert roll_up([post.pk]) == 1
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


def test_it_lets_a_pending_delete_win_over_a_later_edit(scheduled) -> None:
    from kosmmos.content.models import PendingAction
    from kosmmos.content.targets import propagate_delete, propagate_edit

    post, target = scheduled
    PostTarget.objects.filter(pk=target.pk).update(status=TargetStatus.PUBLISHED)
    assert propagate_delete(post) == 1
    assert propagate_edit(post) == 0  # the post is on its way out: no edit replaces that
    target.refresh_from_db()
    assert target.pending_action == PendingAction.DELETE
