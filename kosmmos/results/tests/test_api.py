"""GET /api/v1/workspaces/{id}/results gives the page's figures."""

from __future__ import annotations

from datetime import date

import pytest

from kosmmos.api.tests.conftest import api_as
from kosmmos.conftest import World
from kosmmos.results.figures import collect
from kosmmos.results.tests.conftest import History

pytestmark = pytest.mark.django_db


def test_it_gives_the_same_figures_as_the_page(history: History, world: World) -> None:
    world.alpha.org.show_costs_to_clients = True  # this agency shows its client the costs
    world.alpha.org.save(update_fields=["show_costs_to_clients"])
    api = api_as(world.alpha.client, world.alpha.org)  # a client reads its workspace's results
    answer = api.get(f"/workspaces/{history.workspace.pk}/results", **{"from": "2026-11-01",
                                                                        "to": "2026-11-30"})
    assert answer.status_code == 200, answer.content
    data = answer.json()
    page = collect(history.workspace, date(2026, 11, 1), date(2026, 11, 30))
    assert (data["from"], data["to"]) == ("2026-11-01", "2026-11-30")
    assert data["money"]["revenue"] == f"{page.money.figures.revenue:.2f}" == "8000.00"
    assert data["money"]["romi"] == 60.0
    assert data["engagement"]["reach"] == page.engagement.reach == 7500
    assert data["audience"]["net"] == 200
    assert data["reviews"]["negative"] == 2
    assert len(data["best_time"]) == 7 and len(data["best_time"][0]) == 24
    rows = {r["metric"]: r for r in data["forecast"]}
    assert rows["clicks"]["actual"] == "24.00" and rows["reach"]["target"] == "20000.00"
    assert data["previous"]["reach"] == 800


def test_it_reads_a_month_and_refuses_what_is_not_a_day(history: History, world: World) -> None:
    api = api_as(world.alpha.owner, world.alpha.org)
    path = f"/workspaces/{history.workspace.pk}/results"
    assert api.get(path, **{"from": "2026-11", "to": "2026-11"}).json()["to"] == "2026-11-30"
    assert api.get(path, **{"from": "2026-02-31"}).status_code == 200  # impossible: not given
    for bad in ("garbage", "2026-13", "2026-11-32", "<script>", "2026-11-01T00:00"):
        answer = api.get(path, **{"from": bad})
        assert answer.status_code == 400, bad
        assert "error" in answer.json() or "detail" in answer.json()
    outsider = api_as(world.beta.owner, world.beta.org)
    assert outsider.get(path).status_code == 404


def test_it_gives_each_channels_demographics_reading(history: History, world: World) -> None:
    from kosmmos.channels.models import ChannelDemographics

    ChannelDemographics.objects.create(
        organisation=history.workspace.organisation, channel=history.vk,
        period_from=date(2026, 10, 19), period_to=date(2026, 11, 17), basis="visitors",
        sex={"f": 6, "m": 4}, age={"18-21": 10}, sex_age={"f;18-21": 6}, cities=[["Казань", 9]])
    api = api_as(world.alpha.client, world.alpha.org)
    data = api.get(f"/workspaces/{history.workspace.pk}/results",
                   **{"from": "2026-11", "to": "2026-11"}).json()
    by_network = {c["network"]: c for c in data["audience"]["channels"]}
    assert by_network["vk"]["demographics_reading"] == {
        "period_from": "2026-10-19", "period_to": "2026-11-17", "basis": "visitors",
        "sex": {"f": 6, "m": 4}, "age": {"18-21": 10}, "cities": [["Казань", 9]]}
    assert by_network["telegram"]["demographics_reading"] is None
