"""Demographics on the results page: the newest reading inside the period with the period it
covers, Telegram's «none», the last failure with its reason and a retry button."""

from __future__ import annotations

import zoneinfo
from datetime import date, timedelta

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from kosmmos.channels.models import ChannelDemographics, DemographicsAttempt
from kosmmos.conftest import World, client_for
from kosmmos.results.figures import collect
from kosmmos.results.networks import DEMOGRAPHICS
from kosmmos.results.periods import month_end
from kosmmos.results.tests.conftest import TODAY, History

pytestmark = pytest.mark.django_db
NOV = (date(2026, 11, 1), date(2026, 11, 30))


def _reading(history: History, start: date, end: date, women: int, men: int) -> None:
    ChannelDemographics.objects.create(
        organisation=history.workspace.organisation, channel=history.vk, period_from=start,
        period_to=end, basis="visitors", sex={"f": women, "m": men},
        age={"18-21": women, "24-27": men}, sex_age={"f;18-21": women, "m;24-27": men},
        cities=[["Москва", women], ["Казань", men]])


def test_it_shows_the_newest_reading_inside_the_period(history: History) -> None:
    _reading(history, date(2026, 9, 21), date(2026, 10, 20), 10, 5)
    _reading(history, date(2026, 10, 11), date(2026, 11, 9), 30, 20)
    _reading(history, date(2026, 10, 19), date(2026, 11, 17), 60, 40)
    by_network = {c.network: c for c in collect(history.workspace, *NOV,
                                                today=TODAY).audience.channels}
    mix = by_network["vk"].mix
    assert mix is not None and mix.period_to == date(2026, 11, 17)
    assert (mix.sex, mix.people, mix.cities) == ({"f": 60, "m": 40}, 100,
                                                 [("Москва", 60), ("Казань", 40)])
    assert by_network["telegram"].mix is None
    assert by_network["telegram"].demographics == str(DEMOGRAPHICS["telegram"])
    october = collect(history.workspace, date(2026, 10, 1), date(2026, 10, 31), today=TODAY)
    assert {c.network: c for c in october.audience.channels}["vk"].mix.sex == {"f": 10, "m": 5}
    september = collect(history.workspace, date(2026, 9, 1), date(2026, 9, 30), today=TODAY)
    assert all(c.mix is None for c in september.audience.channels)


def test_it_draws_the_reading_on_the_page_with_its_period(history: History,
                                                          world: World) -> None:
    _reading(history, date(2026, 10, 19), date(2026, 11, 17), 60, 40)
    page = client_for(world.alpha.owner).get(
        f"/workspaces/{history.workspace.pk}/results/?month=2026-11")
    html = page.content.decode()
    assert page.status_code == 200 and '<html lang="ru">' in html
    assert f'id="demo-{history.vk.pk}"' in html
    with translation.override("ru"):
        assert gettext("%(n)s visitors from %(start)s to %(end)s") % {
            "n": 100, "start": "19.10.2026", "end": "17.11.2026"} in html
        for title in ("By sex", "By age", "By city (top)"):
            assert f'aria-label="{gettext(title)}"' in html
        assert str(DEMOGRAPHICS["telegram"]) in html
    assert "Москва" in html


def test_it_shows_the_last_failure_and_takes_a_retry_from_staff_only(history: History,
                                                                     world: World) -> None:
    now = timezone.now()
    today = timezone.localdate(now, zoneinfo.ZoneInfo(history.workspace.organisation.timezone))
    DemographicsAttempt.objects.create(
        organisation=history.workspace.organisation, channel=history.vk,
        started_at=now - timedelta(hours=1), outcome="done")
    DemographicsAttempt.objects.create(
        organisation=history.workspace.organisation, channel=history.vk, started_at=now,
        outcome="failed", error="VK: Access denied: no access to this community's stats (15)")
    results = collect(history.workspace, today.replace(day=1), month_end(today))
    vk = {c.network: c for c in results.audience.channels}["vk"]
    assert vk.mix_error == "VK: Access denied: no access to this community's stats (15)"
    # An old period cannot be read again: no error, no button.
    assert all(not c.mix_error for c in collect(history.workspace, *NOV,
                                                today=TODAY).audience.channels)
    ws = history.workspace.pk
    url = f"/workspaces/{ws}/results/demographics/{history.vk.pk}/retry/"
    page = client_for(world.alpha.owner).get(f"/workspaces/{ws}/results/")
    assert "no access to this community" in page.content.decode() and url in page.content.decode()
    assert client_for(world.alpha.client).post(url).status_code == 404
    assert client_for(world.beta.owner).post(url).status_code == 404
    assert client_for(world.alpha.owner).get(url).status_code == 405
    answer = client_for(world.alpha.owner).post(url)
    assert answer.status_code == 302 and answer["Location"].endswith("#demographics")
    assert DemographicsAttempt.objects.first().outcome == "requested"
    history.vk.refresh_from_db()
    assert history.vk.next_stats_at is not None and history.vk.next_stats_at <= timezone.now()
    after = collect(history.workspace, today.replace(day=1), month_end(today))
    assert not {c.network: c for c in after.audience.channels}["vk"].mix_error
