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
