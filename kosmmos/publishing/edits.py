"""Edits and deletes of published posts, owed to the network as jobs (``pending_action``).

Both are idempotent on the networks (setting a text twice, deleting a deleted post), so an
unknown outcome is simply tried again later. An edit made while an older one is in flight bumps
``action_version``: the older job's success does not clear the newer one. A delete the network
refuses as too old (``NotDeletable``) is no failure: the target becomes ``not_deletable``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from kosmmos.connectors.base import NotDeletable
from kosmmos.content.models import PendingAction, PostEvent, PostTarget, TargetStatus
from kosmmos.publishing.leases import Lease, lease, new_token
from kosmmos.publishing.models import PublishAttempt
from kosmmos.publishing.outcomes import MAX_ATTEMPTS, Verdict, backoff, record
from kosmmos.publishing.runner import run_in_pool
from kosmmos.publishing.tries import Job, Try, call_with_tries, load, prepare

Outcome = PublishAttempt.Outcome
RETRYABLE = {Outcome.TRANSIENT, Outcome.RATE_LIMITED, Outcome.AMBIGUOUS, Outcome.NOT_SENT}


def run_actions(ids: Iterable[Any], dispatch_token: str) -> int:
    token = new_token()
    if not PostTarget.objects.filter(
        pk__in=[uuid.UUID(str(i)) for i in ids], lease_owner=dispatch_token,
    ).exclude(pending_action="").update(lease_owner=token):
        return 0
    jobs = [prepare(t) for t in load(token, TargetStatus.PUBLISHED)]
    # What each job was claimed for: a newer edit made meanwhile is not cleared by this one.
    versions = {job.target.pk: job.target.action_version for job in jobs}
    for job in jobs:
        job.action = job.target.pending_action
    box = Lease(timezone.now() + lease())
    kept: set[Any] = set()  # targets the network refused to delete as too old

    def work(job: Job) -> None:
        t = job.target
        if job.settle_problem(t.action_attempts + 1):
            return

        def action() -> None:
            if t.pending_action != PendingAction.DELETE:
                job.connector.edit(t.external_id, job.request)
                return
            try:
                job.connector.delete(t.external_id)
            except NotDeletable:
                kept.add(t.pk)  # a set's add is atomic: the pool's threads share it
                raise

        call_with_tries(job, box, action, first=t.action_attempts + 1, tries=2)
        for x in job.tries:  # an edit or a delete that went through is done, not published
            if x.outcome == Outcome.PUBLISHED:
                x.outcome = Outcome.DONE

    def after_action(job: Job, last: Try, now: datetime) -> Verdict:
        t, kind = job.target, job.action
        if last.outcome == Outcome.DONE:
            done: dict[str, Any] = {"pending_action": "", "action_due_at": None,
                                    "action_attempts": 0, "lease_owner": "", "last_error": ""}
            if kind == PendingAction.DELETE:
                done.update(status=TargetStatus.DELETED, next_stats_at=None)
            elif job.request is not None:
                done.update(sent_text=job.request.text)
            return Verdict(done, when={"pending_action": kind, "action_version": versions[t.pk]},
                           event=("deleted" if kind == PendingAction.DELETE else "edited",
                                  t.url or t.external_id),
                           # A newer edit came in meanwhile: run it next.
                           if_lost={"lease_owner": "", "action_due_at": now})
        if kind == PendingAction.DELETE and t.pk in kept:
            return Verdict({"status": TargetStatus.NOT_DELETABLE, "pending_action": "",
                            "action_due_at": None, "action_attempts": 0, "lease_owner": "",
                            "last_error": last.error, "next_stats_at": None},
                           event=(PostEvent.Kind.NOT_DELETABLE, last.error))
        attempts = t.action_attempts + len(job.tries)
        if last.outcome in RETRYABLE and attempts < MAX_ATTEMPTS:
            wait_for = max(timedelta(seconds=last.retry_after), backoff(attempts + 3))
            return Verdict({"lease_owner": "", "action_attempts": attempts,
                            "action_due_at": now + wait_for, "last_error": last.error})
        # Given up: the error shows on the target page; a new edit tries again.
        return Verdict({"lease_owner": "", "action_attempts": attempts, "action_due_at": None,
                        "last_error": last.error},
                       event=(f"{kind}_failed", last.error), reauth=last.outcome == Outcome.AUTH)

    run_in_pool(jobs, work, lambda: None)
    record(token, jobs, after_action)
    return len(jobs)
