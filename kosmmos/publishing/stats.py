"""Statistics of published posts and channels, collected on a schedule that slows with age.

A post is read every 10 minutes for its first 2 hours, hourly for 2 days, daily for 30 days,
then never again (``PostTarget.next_stats_at``). Each reading is upserted into the hour's
PostStatsSnapshot row, so a repeated or overlapping collection changes nothing. Followers are
read daily per channel (``Channel.next_stats_at``) into ChannelStatsSnapshot.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from kosmmos.channels.models import (
    Channel,
    ChannelDemographics,
    ChannelStatsSnapshot,
    ChannelStatus,
    DemographicsAttempt,
)
from kosmmos.connectors.base import AuthRevoked, ConnectorError
from kosmmos.content.models import PostTarget, TargetStatus
from kosmmos.publishing.models import PostStatsSnapshot
from kosmmos.publishing.outcomes import mark_needs_reauth

log = logging.getLogger(__name__)

SCHEDULE = (
    (timedelta(hours=2), timedelta(minutes=10)),
    (timedelta(days=2), timedelta(hours=1)),
    (timedelta(days=30), timedelta(days=1)),
)
RETRY = timedelta(minutes=15)
FIELDS = ("views", "likes", "comments", "reposts", "reach")


def next_reading(published_at: datetime | None, now: datetime) -> datetime | None:
    """When to read a post's stats next; None once it is older than the last step."""
    age = now - (published_at or now)
    for older_than, every in SCHEDULE:
        if age < older_than:
            return now + every
    return None


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def collect_post_stats(ids: Iterable[Any]) -> int:
    """Read the stats of these published targets, one call per channel."""
    targets = list(PostTarget.objects.filter(
        pk__in=[uuid.UUID(str(i)) for i in ids], status=TargetStatus.PUBLISHED,
    ).exclude(external_id="").select_related("channel"))
    by_channel: dict[Any, list[PostTarget]] = defaultdict(list)
    for t in targets:
        by_channel[t.channel_id].append(t)
    now = timezone.now()
    written = 0
    for group in by_channel.values():
        channel = group[0].channel
        try:
            found = channel.connector().post_stats([t.external_id for t in group])
        except AuthRevoked as exc:
            mark_needs_reauth({channel.pk: exc.message})
            found, retry = {}, True
        except (ConnectorError, Exception) as exc:  # stats can wait; publishing cannot
            log.warning("stats of channel %s failed: %s", channel.pk, exc)
            found, retry = {}, True
        else:
            retry = False
        rows = []
        for t in group:
            stats = found.get(t.external_id)
            if stats is not None:
                rows.append(PostStatsSnapshot(
                    organisation_id=t.organisation_id, target=t, taken_at=hour_of(now),
                    **{f: getattr(stats, f) for f in FIELDS}))
            t.next_stats_at = now + RETRY if retry and stats is None else next_reading(
                t.published_at, now)
        PostStatsSnapshot.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["target", "taken_at"],
            update_fields=FIELDS)
        PostTarget.objects.bulk_update(group, ["next_stats_at"])
        written += len(rows)
    return written


def newest_readings(targets: QuerySet[PostTarget]) -> QuerySet[PostStatsSnapshot]:
    """The newest reading of each of these targets — the figures the post's stats page shows as
    its last reading — as a queryset to list or aggregate. One index seek per target."""
    newest = (PostStatsSnapshot.objects.filter(target=OuterRef("pk"))
              .order_by("-taken_at").values("pk")[:1])
    return PostStatsSnapshot.objects.filter(
        pk__in=targets.order_by().annotate(snap=Subquery(newest)).values("snap"))


def latest_snapshots(targets: QuerySet[PostTarget]) -> dict[Any, PostStatsSnapshot]:
    """``newest_readings`` by target id."""
    return {row.target_id: row for row in newest_readings(targets)}


HISTORY_DAYS = 30


def backfill_followers(channel: Channel, connector: Any, today: date) -> int:
    """At a channel's first reading, the days before it from the network when its connector can
    tell (``followers_history``; the sandbox can, the others start on the day of connection), so
    the growth chart does not start empty. Best effort: a failure leaves today's reading alone."""
    history = getattr(connector, "followers_history", None)
    if history is None or ChannelStatsSnapshot.objects.filter(channel=channel).exists():
        return 0
    try:
        rows = history(HISTORY_DAYS)
    except Exception as exc:
        log.warning("followers history of channel %s failed: %s", channel.pk, exc)
        return 0
    made = ChannelStatsSnapshot.objects.bulk_create(
        [ChannelStatsSnapshot(organisation_id=channel.organisation_id, channel=channel, day=day,
                              followers=max(0, followers))
         for day, followers in rows if day < today], ignore_conflicts=True)
    return len(made)


def collect_followers(ids: Iterable[Any]) -> int:
    """Today's followers of each channel, upserted; the next reading a day later."""
    now = timezone.now()
    today = timezone.localdate(now)
    written = 0
    for channel in Channel.objects.filter(pk__in=[uuid.UUID(str(i)) for i in ids],
                                          status=ChannelStatus.ACTIVE):
        try:
            connector = channel.connector()
            count = connector.followers()
        except AuthRevoked as exc:
            mark_needs_reauth({channel.pk: exc.message})
            continue
        except Exception as exc:
            log.warning("followers of channel %s failed: %s", channel.pk, exc)
            Channel.objects.filter(pk=channel.pk).update(next_stats_at=now + RETRY)
            continue
        if count is not None:
            backfill_followers(channel, connector, today)
            ChannelStatsSnapshot.objects.bulk_create(
                [ChannelStatsSnapshot(organisation_id=channel.organisation_id, channel=channel,
                                      day=today, followers=count)],
                update_conflicts=True, unique_fields=["channel", "day"],
                update_fields=["followers"])
            written += 1
        # A failed demographics reading brings the channel's next run forward (followers are an
        # idempotent upsert, so reading them again costs one call), a few times in a row.
        retry = not collect_demographics(channel, connector, now)
        Channel.objects.filter(pk=channel.pk).update(
            followers=count if count is not None else channel.followers,
            next_stats_at=now + (RETRY if retry else timedelta(days=1)))
    return written


DEMOGRAPHICS_EVERY = timedelta(hours=20)  # once a day, whatever the hour of the run
DEMOGRAPHICS_RETRIES = 4  # failures in a row retried after RETRY; then the next daily run


def demographics_due(channel: Channel, now: datetime) -> bool:
    """No reading in the last day and fewer than DEMOGRAPHICS_RETRIES failures in a row since,
    or a person asked for a retry after the last attempt."""
    Outcome = DemographicsAttempt.Outcome
    failures = 0
    for outcome in DemographicsAttempt.objects.filter(
            channel=channel, started_at__gt=now - DEMOGRAPHICS_EVERY).values_list(
            "outcome", flat=True)[:DEMOGRAPHICS_RETRIES + 1]:
        if outcome == Outcome.REQUESTED:
            return True
        if outcome in (Outcome.DONE, Outcome.EMPTY):
            return False
        failures += 1
    return failures < DEMOGRAPHICS_RETRIES


def request_demographics(channel: Channel, now: datetime | None = None) -> None:
    """A person's retry: an attempt row saying so, and the channel's stats run due now."""
    now = now or timezone.now()
    DemographicsAttempt.objects.create(
        organisation_id=channel.organisation_id, channel=channel, started_at=now,
        outcome=DemographicsAttempt.Outcome.REQUESTED)
    Channel.objects.filter(pk=channel.pk).update(next_stats_at=now)


def collect_demographics(channel: Channel, connector: Any, now: datetime) -> bool:
    """Read the channel's audience by sex, age and city when its network gives them (VK
    stats.get, OK group.getStatPeople, the sandbox) and it is due; store the reading and an
    attempt row. False when the reading failed and should be tried again soon."""
    read = getattr(connector, "demographics", None)
    if read is None or not demographics_due(channel, now):
        return True
    started = time.monotonic()
    outcome, error, found = DemographicsAttempt.Outcome.DONE, "", None
    try:
        found = read()
    except AuthRevoked as exc:
        outcome, error = DemographicsAttempt.Outcome.AUTH, exc.message
    except Exception as exc:  # a network's error or a bad answer: the reason is kept
        outcome, error = DemographicsAttempt.Outcome.FAILED, str(exc)[:2000] or repr(exc)
        log.warning("demographics of channel %s failed: %s", channel.pk, exc)
    if outcome == DemographicsAttempt.Outcome.DONE:
        if found is None or found.empty:
            outcome = DemographicsAttempt.Outcome.EMPTY
        else:
            ChannelDemographics.objects.update_or_create(
                channel=channel, period_to=found.period_to, defaults={
                    "organisation_id": channel.organisation_id, "period_from": found.period_from,
                    "basis": found.basis, "sex": found.sex, "age": found.age,
                    "sex_age": found.sex_age, "cities": [list(c) for c in found.cities],
                    "taken_at": now})
    DemographicsAttempt.objects.create(
        organisation_id=channel.organisation_id, channel=channel, started_at=now,
        duration_ms=int((time.monotonic() - started) * 1000), outcome=outcome, error=error)
    # Soon again only while retries are left; after that, the next daily run.
    return outcome != DemographicsAttempt.Outcome.FAILED or not demographics_due(channel, now)
