"""What publishing does when the content app's target lifecycle (content/targets.py) tells it
something: claim a target due now at once, and keep a person's decision as an attempt row."""

from __future__ import annotations

from typing import Any

from kosmmos.content.models import PostTarget
from kosmmos.publishing.models import PublishAttempt

Outcome = PublishAttempt.Outcome


def claim_due(sender: Any, **_kwargs: Any) -> None:
    """Due within the look-ahead: claim it now rather than at the next tick."""
    from kosmmos.publishing.dispatch import kick

    kick()


def record_settled(sender: Any, *, target: PostTarget, number: int, found: str, worker: str,
                   note: str, **_kwargs: Any) -> None:
    PublishAttempt.objects.create(
        target=target, number=number, action="manual", worker=worker, error=note,
        outcome=Outcome.ABSENT if found == "absent" else Outcome.MANUAL)


def connect() -> None:
    from kosmmos.content.targets import due_soon, settled_by_hand

    due_soon.connect(claim_due, dispatch_uid="publishing.claim_due")
    settled_by_hand.connect(record_settled, dispatch_uid="publishing.record_settled")
