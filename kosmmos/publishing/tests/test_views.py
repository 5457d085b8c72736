"""Publishing pages: the owner reaches them, the outsider gets 404, the buttons do what they say."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from kosmmos.channels.models import ChannelStatsSnapshot
from kosmmos.conftest import client_for
from kosmmos.content.models import PostTarget, TargetStatus
from kosmmos.publishing import dispatch, stats
from kosmmos.publishing.models import PostStatsSnapshot


@pytest.mark.django_db
def test_it_shows_attempts_and_retries_a_failed_target(scheduled, net, owner, outsider) -> None:
    _post, target = scheduled
    net.script[target.key] = ["permanent"]
    dispatch.dispatch_due()
    url = reverse("publishing:target_detail", args=[target.pk])
    page = client_for(owner, language="en").get(url).content.decode()
    assert "fake: text too long" in page and "Retry publishing" in page
    assert client_for(outsider).get(url).status_code == 404
    retry = reverse("content:target_retry", args=[target.pk])
    assert client_for(outsider).post(retry).status_code == 404
    target.refresh_from_db()
    assert target.status == TargetStatus.FAILED
    assert client_for(owner).post(retry).status_code == 302
    target.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED


@pytest.mark.django_db
def test_it_refuses_the_analyst_the_retry(scheduled, net, world) -> None:
    _post, target = scheduled
    PostTarget.objects.filter(pk=target.pk).update(status=TargetStatus.FAILED)
    answer = client_for(world.alpha.analyst).post(
        reverse("content:target_retry", args=[target.pk]))
    assert answer.status_code == 403


@pytest.mark.django_db
def test_it_resolves_a_needs_check_target(scheduled, net, owner) -> None:
    _post, target = scheduled
    PostTarget.objects.filter(pk=target.pk).update(status=TargetStatus.NEEDS_CHECK)
    browser = client_for(owner, language="en")
    url = reverse("publishing:target_resolve", args=[target.pk])
    assert "I checked" in browser.get(reverse("publishing:target_detail", args=[target.pk])
                                      ).content.decode()
    browser.post(url, {"found": "present", "url": "http://10.0.0.1/x"})  # not a public address
    target.refresh_from_db()
    assert target.status == TargetStatus.NEEDS_CHECK
    browser.post(url, {"found": "present", "url": "https://vk.com/wall-1_5"})
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED and target.url == "https://vk.com/wall-1_5"


@pytest.mark.django_db
def test_it_gives_the_calendar_the_post_state(scheduled, net, owner, outsider) -> None:
    post, _target = scheduled
    url = reverse("publishing:post_state", args=[post.pk])
    data = client_for(owner).get(url + "?format=json").json()
    assert data["targets"][0]["status"] == "scheduled"
    assert data["targets"][0]["channel"] == "Alpha Sandbox"
    assert "Alpha Sandbox" in client_for(owner).get(url).content.decode()
    assert client_for(outsider).get(url).status_code == 404


@pytest.mark.django_db
def test_it_draws_post_and_channel_stats(scheduled, net, owner, outsider, channel) -> None:
    post, target = scheduled
    dispatch.dispatch_due()
    stats.collect_post_stats([target.pk])
    stats.collect_followers([channel.pk])
    page = client_for(owner).get(reverse("publishing:post_stats", args=[post.pk]))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    page = client_for(owner).get(reverse("publishing:channel_stats", args=[channel.pk]))
    assert "<svg" in page.content.decode() and "1200" in page.content.decode()
    assert client_for(outsider).get(
        reverse("publishing:channel_stats", args=[channel.pk])).status_code == 404


@pytest.mark.django_db
def test_it_upserts_stats_once_per_hour(scheduled, net, channel) -> None:
    _post, target = scheduled
    dispatch.dispatch_due()
    target.refresh_from_db()
    for _ in range(3):
        stats.collect_post_stats([target.pk])
        stats.collect_followers([channel.pk])
    assert PostStatsSnapshot.objects.filter(target=target).count() == 1
    snap = PostStatsSnapshot.objects.get(target=target)
    assert (snap.views, snap.likes, snap.reach) == (100, 7, 90)
    assert ChannelStatsSnapshot.objects.filter(channel=channel).count() == 1
    channel.refresh_from_db()
    assert channel.followers == 1200 and channel.next_stats_at > timezone.now()
    target.refresh_from_db()
    assert target.next_stats_at > timezone.now()


def test_it_slows_stats_down_with_age() -> None:
    now = timezone.now()
    minutes = lambda td: (td - now).total_seconds() / 60  # noqa: E731
    assert minutes(stats.next_reading(now - timezone.timedelta(hours=1), now)) == 10
    assert minutes(stats.next_reading(now - timezone.timedelta(hours=5), now)) == 60
    assert minutes(stats.next_reading(now - timezone.timedelta(days=5), now)) == 1440
    assert stats.next_reading(now - timezone.timedelta(days=31), now) is None


@pytest.mark.django_db
def test_it_lists_a_sandbox_channel_posts(scheduled, net, owner, monkeypatch, channel) -> None:
    from kosmmos.publishing.tests.fakes import FakeConnector

    _post, target = scheduled
    dispatch.dispatch_due()
    target.refresh_from_db()
    item = {"id": "1", "key": target.key, "text": "Hello", "accepted_at": target.published_at,
            "stats": {"views": 3, "comments": 1}, "deleted": False}
    monkeypatch.setattr(FakeConnector, "list_posts", lambda self, limit=50: [item],
                        raising=False)
    page = client_for(owner).get(reverse("publishing:sandbox_posts", args=[channel.pk]))
    assert page.status_code == 200
    assert reverse("publishing:target_detail", args=[target.pk]) in page.content.decode()


@pytest.mark.django_db
def test_it_backfills_a_month_of_followers_at_a_channels_first_reading(
        scheduled, net, channel, monkeypatch) -> None:
    from datetime import timedelta as td

    from kosmmos.publishing.tests import fakes

    today = timezone.localdate()
    asked: list[int] = []

    def history(self, days: int) -> list[tuple[object, int]]:
        asked.append(days)
        return [(today - td(days=n), 1000 + 10 * (3 - n)) for n in (3, 2, 1, 0)]

    monkeypatch.setattr(fakes.FakeConnector, "followers_history", history, raising=False)
    stats.collect_followers([channel.pk])
    days = list(ChannelStatsSnapshot.objects.filter(channel=channel).values_list("day", "followers"))
    # Three days before today from the history; today is the reading itself, not the history's.
    assert days == [(today - td(days=3), 1000), (today - td(days=2), 1010),
                    (today - td(days=1), 1020), (today, 1200)]
    assert asked == [stats.HISTORY_DAYS]
    stats.collect_followers([channel.pk])  # not the first reading any more: no history asked
    assert asked == [stats.HISTORY_DAYS]


@pytest.mark.django_db
def test_it_keeps_todays_followers_when_the_history_fails(scheduled, net, channel,
                                                          monkeypatch) -> None:
    from kosmmos.publishing.tests import fakes

    def broken(self, days: int) -> list[tuple[object, int]]:
        raise RuntimeError("history unavailable")

    monkeypatch.setattr(fakes.FakeConnector, "followers_history", broken, raising=False)
    assert stats.collect_followers([channel.pk]) == 1
    assert list(ChannelStatsSnapshot.objects.filter(channel=channel).values_list("followers",
                                                                                 flat=True)) == [1200]
