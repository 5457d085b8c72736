"""The tries: one target's network calls within a claim, and the request they send.

A batch is a list of Jobs (one per target it won). ``prepare`` builds each job's request and
connector from the rows ``load`` read; a worker thread runs ``call_with_tries`` (or, to look a
post up, reconcile.py's ``look_up``), which appends a Try per call. Nothing here writes to the
database: outcomes.py records the tries when the batch is done.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from kosmmos.channels.models import ChannelStatus
from kosmmos.connectors.base import (
    AmbiguousOutcome,
    AuthRevoked,
    ConnectorError,
    Media,
    PublishedPost,
    PublishRequest,
    RateLimited,
)
from kosmmos.content.labels import text_for
from kosmmos.content.models import Post, PostMedia, PostTarget, PostVariant
from kosmmos.content.validation import ad_problems
from kosmmos.links.actions import wrap_links
from kosmmos.publishing.leases import SEND_MARGIN, Lease
from kosmmos.publishing.models import PublishAttempt

log = logging.getLogger(__name__)
Outcome = PublishAttempt.Outcome

# Tries within one claim: a 5xx from a network that promises "not acted" and short 429s are
# retried at once (the p99 lateness budget is a second), longer waits go back to the database.
TRIES = 3
PAUSES = (0.1, 0.4)
SHORT_RATE_LIMIT = 1.0


@dataclass
class Try:
    number: int
    started_at: datetime
    duration_ms: int
    outcome: str
    error: str = ""
    post: PublishedPost | None = None
    retry_after: float = 0.0


@dataclass
class Job:
    """One target in a batch: what to send, to whom, and what happened."""

    target: PostTarget
    request: PublishRequest | None = None
    connector: Any = None
    problem: tuple[str, str] | None = None  # (outcome, error) found before any call
    tries: list[Try] = field(default_factory=list)
    due: float = 0.0  # when to make the call (epoch seconds); 0 = at once
    action: str = "publish"  # what the tries are recorded as (PublishAttempt.action)

    def settle_problem(self, number: int) -> bool:
        """A problem found before any call (a disconnected channel, missing credentials) is the
        job's one try, numbered ``number``; True when there was one."""
        if self.problem is None:
            return False
        outcome, error = self.problem
        self.tries.append(Try(number, timezone.now(), 0, outcome, error))
        return True


def describe(exc: BaseException) -> str:
    text = getattr(exc, "message", "") or str(exc) or type(exc).__name__
    return text[:2000]


def call_with_tries(job: Job, lease: Lease, action: Callable[[], Any], *, first: int,
                    tries: int = TRIES) -> None:
    """Run ``action`` (a network call) with the in-claim retries; appends a Try per call.

    Retried here only when the network promises it did not act (a plain transient
    ConnectorError, a short 429). An unknown outcome is never retried: it is reconciled.
    """
    for n in range(tries):
        number = first + len(job.tries)
        if lease.left() < SEND_MARGIN:
            job.tries.append(Try(number, timezone.now(), 0, Outcome.NOT_SENT,
                                 "The lease was about to run out; not sent."))
            return
        started, clock = timezone.now(), time.monotonic()

        def done(outcome: str, error: str = "", *, number: int = number, started: datetime = started,
                 clock: float = clock, **extra: Any) -> None:
            ms = int((time.monotonic() - clock) * 1000)
            job.tries.append(Try(number, started, ms, outcome, error, **extra))

        try:
            result = action()
        except RateLimited as exc:
            done(Outcome.RATE_LIMITED, describe(exc), retry_after=float(exc.retry_after))
            if exc.retry_after > SHORT_RATE_LIMIT or n == tries - 1:
                return
            time.sleep(max(0.05, float(exc.retry_after)))
            continue
        except AuthRevoked as exc:
            done(Outcome.AUTH, describe(exc))
            return
        except AmbiguousOutcome as exc:
            done(Outcome.AMBIGUOUS, describe(exc))
            return
        except ConnectorError as exc:
            if exc.permanent:
                done(Outcome.PERMANENT, describe(exc))
                return
            done(Outcome.TRANSIENT, describe(exc))
            if n < tries - 1:
                time.sleep(PAUSES[min(n, len(PAUSES) - 1)] * random.uniform(0.8, 1.2))
            continue
        except Exception as exc:  # a bug or an unexpected answer: it may have been sent
            log.exception("connector call failed unexpectedly")
            done(Outcome.AMBIGUOUS, f"{type(exc).__name__}: {describe(exc)}")
            return
        done(Outcome.PUBLISHED, post=result if isinstance(result, PublishedPost) else None)
        return


def load(token: str, status: str) -> list[PostTarget]:
    """The rows this claim won, with their posts, channels, variants and media."""
    targets = list(
        PostTarget.objects.filter(lease_owner=token, status=status)
        .select_related("post", "post__workspace", "channel")
    )
    post_ids = {t.post_id for t in targets}
    variants: dict[uuid.UUID, dict[str, str]] = {pid: {} for pid in post_ids}
    for v in PostVariant.objects.filter(post_id__in=post_ids).only("post_id", "network", "text"):
        variants[v.post_id][v.network] = v.text
    media: dict[uuid.UUID, list[Media]] = {pid: [] for pid in post_ids}
    for pm in (PostMedia.objects.filter(post_id__in=post_ids).select_related("media")
               .order_by("post_id", "position")):
        item = pm.media
        media[pm.post_id].append(Media(kind=item.kind, path=item.file.path, mime=item.mime,
                                       name=item.name))
    for t in targets:
        t.post.variant_texts = variants[t.post_id]  # type: ignore[attr-defined]  # read by labels.body_for
        t.post.media_list = media[t.post_id]  # type: ignore[attr-defined]  # read by build_request
    return targets


def build_request(target: PostTarget, text: str | None = None) -> PublishRequest:
    post = target.post
    if text is None:
        text = tracked_text(post, target.channel.network)
    return PublishRequest(
        key=target.key,
        text=text,
        media=tuple(getattr(post, "media_list", ())),
        is_ad=post.is_ad, erid=post.erid, advertiser=post.advertiser,
        publish_at=target.publish_at,
    )


def tracked_text(post: Post, network: str) -> str:
    """What is sent: the network's text with every link wrapped in a tracked short link, so each
    click is attributed to this post, channel and network (idempotent: a retry sends the same)."""
    return wrap_links(text_for(post, network), workspace=post.workspace, network=network,
                      post_ref=str(post.pk))


def prepare(target: PostTarget, text: str | None = None) -> Job:
    """The job of one target: its request and connector, or the problem that stops it."""
    job = Job(target=target)
    if target.channel.status != ChannelStatus.ACTIVE:
        job.problem = (Outcome.AUTH, target.channel.last_error
                       or f"The channel is {target.channel.get_status_display().lower()}.")
        return job
    ad = ad_problems(target.post)
    if ad:  # the ORD's erid was withdrawn after the text changed and is not back yet
        job.problem = (Outcome.PERMANENT, " ".join(ad))
        return job
    try:
        job.request = build_request(target, text)
        job.connector = target.channel.connector()
    except AuthRevoked as exc:
        job.problem = (Outcome.AUTH, describe(exc))
    except Exception as exc:  # missing credentials, a key that no longer decrypts, …
        job.problem = (Outcome.PERMANENT, f"{type(exc).__name__}: {describe(exc)}")
    return job
