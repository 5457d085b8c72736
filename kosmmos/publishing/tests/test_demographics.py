"""Demographics ride on the channels' daily stats run: a reading and an attempt row each time,
a failure retried soon a few times, and a person's retry honoured."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from kosmmos.channels.models import Channel, ChannelDemographics, DemographicsAttempt
from kosmmos.connectors.base import AuthRevoked, ConnectorError
from kosmmos.connectors.demographics import from_vk_stats
from kosmmos.publishing import stats
from kosmmos.publishing.tests import fakes

Outcome = DemographicsAttempt.Outcome
# stats.get's answer in the documented shape (VK API 5.199 schema).
STATS_GET = [{"period_from": 1764547200, "period_to": 1767225599, "visitors": {
    "views": 900, "visitors": 300,
    "sex": [{"value": "f", "count": 190}, {"value": "m", "count": 110}],
    "age": [{"value": "18-21", "count": 120}, {"value": "21-24", "count": 180}],
    "sex_age": [{"value": "f;18-21", "count": 80}, {"value": "m;18-21", "count": 40}],
    "cities": [{"value": 1, "name": "Москва", "count": 200}]}}]


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch, net: fakes.FakeNetwork) -> list[Any]:
    """What the fake connector's ``demographics()`` answers, one item per call (an exception is
    raised)."""
    queue: list[Any] = []

    def read(self: Any) -> Any:
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    monkeypatch.setattr(fakes.FakeConnector, "demographics", read, raising=False)
    return queue


def _mix() -> Any:
    return from_vk_stats(STATS_GET, date(2026, 1, 1))


def _next_run(channel: Channel) -> timedelta:
    channel.refresh_from_db()
    assert channel.next_stats_at is not None
    return channel.next_stats_at - timezone.now()


@pytest.mark.django_db
def test_it_stores_a_reading_and_an_attempt_with_the_daily_followers(channel, answers) -> None:
    answers.append(_mix())
    assert stats.collect_followers([channel.pk]) == 1
    row = ChannelDemographics.objects.get(channel=channel)
    assert (row.period_from, row.period_to) == (date(2025, 12, 1), date(2025, 12, 31))
    assert row.sex == {"f": 190, "m": 110} and row.cities == [["Москва", 200]]
    assert row.sex_age == {"f;18-21": 80, "m;18-21": 40}
    assert list(DemographicsAttempt.objects.values_list("outcome", "error")) == [
        (Outcome.DONE, "")]
    assert _next_run(channel) > timedelta(hours=23)
    # Due again only tomorrow: a second run the same day asks the network nothing.
    assert stats.collect_followers([channel.pk]) == 1
    assert DemographicsAttempt.objects.count() == 1


@pytest.mark.django_db
def test_it_keeps_the_reason_and_retries_soon_a_few_times(channel, answers) -> None:
    answers.extend([ConnectorError("VK: Access denied (15)")] * stats.DEMOGRAPHICS_RETRIES)
    for _n in range(stats.DEMOGRAPHICS_RETRIES - 1):
        stats.collect_followers([channel.pk])
        assert _next_run(channel) <= stats.RETRY
    stats.collect_followers([channel.pk])
    errors = list(DemographicsAttempt.objects.values_list("outcome", "error"))
    assert errors == [(Outcome.FAILED, "VK: Access denied (15)")] * stats.DEMOGRAPHICS_RETRIES
    assert _next_run(channel) > timedelta(hours=23)  # given up for today
    assert not ChannelDemographics.objects.exists()
    # A person's retry makes it due again at once, and the next run reads.
    stats.request_demographics(channel)
    assert _next_run(channel) <= timedelta(0)
    answers.append(_mix())
    stats.collect_followers([channel.pk])
    assert ChannelDemographics.objects.filter(channel=channel).count() == 1
    assert DemographicsAttempt.objects.first().outcome == Outcome.DONE


@pytest.mark.django_db
def test_it_records_an_empty_answer_and_a_revoked_token(channel, answers) -> None:
    answers.append(from_vk_stats([{"period_from": 1, "period_to": 2, "visitors": {}}],
                                 date(2026, 1, 1)))
    stats.collect_followers([channel.pk])
    assert DemographicsAttempt.objects.get().outcome == Outcome.EMPTY
    assert not ChannelDemographics.objects.exists()
    stats.request_demographics(channel)
    answers.append(AuthRevoked("VK: User authorization failed"))
    stats.collect_followers([channel.pk])
    latest = DemographicsAttempt.objects.first()
    assert (latest.outcome, latest.error) == (Outcome.AUTH, "VK: User authorization failed")
    assert _next_run(channel) > timedelta(hours=23)  # a new token is needed, not a retry


@pytest.mark.django_db
def test_it_asks_nothing_of_a_network_without_demographics(channel, net) -> None:
    assert not hasattr(fakes.FakeConnector, "demographics")
    stats.collect_followers([channel.pk])
    assert not DemographicsAttempt.objects.exists()
