"""Targets a manager edits (with history) and the KPI drift alert."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from kosmmos.conftest import World, client_for
from kosmmos.results.tests.conftest import History, msk

pytestmark = pytest.mark.django_db


def test_it_edits_a_target_and_keeps_the_history(history: History, world: World) -> None:
    from kosmmos.proposals.models import WorkspaceTarget
    from kosmmos.results.models import TargetEdit

    browser = client_for(world.alpha.manager)
    url = f"/workspaces/{history.workspace.pk}/results/targets/"
    answer = browser.post(url, {"month": "2026-11-01", "reach": "25 000", "clicks": "30",
                                "impressions": "50000"})
    assert answer.status_code == 302
    targets = {t.metric: t.value for t in WorkspaceTarget.objects.filter(
        workspace=history.workspace, month=date(2026, 11, 1))}
    assert targets["reach"] == Decimal("25000") and targets["impressions"] == Decimal("50000")
    edits = list(TargetEdit.objects.order_by("metric").values_list("metric", "before", "after"))
    # clicks was 30 already: not a change, not in the history.
    assert edits == [("impressions", None, Decimal("50000.00")),
                     ("reach", Decimal("20000.00"), Decimal("25000.00"))]
    page = browser.get(f"{url}?month=2026-11")
    assert "20000 → 25000" in page.content.decode().replace("\xa0", "")
    results = browser.get(f"/workspaces/{history.workspace.pk}/results/?month=2026-11")
    assert {r.metric: r.edits for r, _url in results.context["forecast_rows"]}["reach"] == 1


@pytest.mark.parametrize("value", ["-1", "abc", "NaN", "Infinity", "1e20", "1" * 40, "1,2,3",
                                   "\x00", "１２"])
def test_it_stores_nothing_from_a_refused_target(history: History, world: World,
                                                 value: str) -> None:
    from kosmmos.proposals.models import WorkspaceTarget
    from kosmmos.results.models import TargetEdit

    before = list(WorkspaceTarget.objects.values_list("metric", "value"))
    answer = client_for(world.alpha.owner).post(
        f"/workspaces/{history.workspace.pk}/results/targets/",
        {"month": "2026-11-01", "reach": value})
    assert answer.status_code == 302
    if value == "１２":  # full-width digits are digits to Decimal: stored as 12, fine
        return
    assert list(WorkspaceTarget.objects.values_list("metric", "value")) == before
    assert not TargetEdit.objects.exists()


def test_it_ignores_a_bad_month_on_the_form(history: History, world: World) -> None:
    from kosmmos.proposals.models import WorkspaceTarget

    answer = client_for(world.alpha.owner).post(
        f"/workspaces/{history.workspace.pk}/results/targets/?month=2026-11",
        {"month": "9999-99-99", "reach": "1"})
    assert answer.status_code == 302
    assert WorkspaceTarget.objects.get(metric="reach", month=date(2026, 11, 1)).value == 1


def test_it_raises_one_drift_alert_per_metric_and_month(history: History, world: World) -> None:
    from kosmmos.notifications.models import Event
    from kosmmos.results.drift import check_drift

    assert check_drift(now=msk(2026, 11, 20, 12)) >= 1
    events = list(Event.objects.filter(kind="results.kpi_drift"))
    metrics = {e.payload["metric"] for e in events}
    assert "reach" in metrics  # 7,500 by the 20th: 11,538 projected of 20,000
    assert "clicks" not in metrics
    reach = next(e for e in events if e.payload["metric"] == "reach")
    assert reach.workspace_id == history.workspace.pk
    assert reach.dedupe_key == f"{history.workspace.pk}:reach:2026-11"
    assert f"/workspaces/{history.workspace.pk}/results/?month=2026-11" in reach.url
    assert "Охват" in reach.title
    assert check_drift(now=msk(2026, 11, 21, 12)) == 0  # one per metric and month
    assert Event.objects.filter(kind="results.kpi_drift").count() == len(events)


def test_it_waits_for_the_months_first_week(history: History, world: World) -> None:
    from kosmmos.notifications.models import Event
    from kosmmos.proposals.models import WorkspaceTarget
    from kosmmos.results.drift import check_drift

    WorkspaceTarget.objects.filter(workspace=history.workspace).update(month=date(2026, 12, 1))
    assert check_drift(now=msk(2026, 12, 7, 20)) == 0
    assert not Event.objects.exists()


def test_it_runs_from_the_ticker_at_most_every_quarter_hour(monkeypatch: Any) -> None:
    from kosmmos.jobs.ticker import DISPATCHERS
    from kosmmos.results import drift

    assert "kosmmos.results.drift:dispatch_due" in DISPATCHERS
    calls = []
    monkeypatch.setattr(drift, "check_drift", lambda: calls.append(1) or 0)
    monkeypatch.setattr(drift, "_last_run", 0.0)
    drift.dispatch_due()
    drift.dispatch_due()
    assert calls == [1]


def test_it_shows_a_behind_kpi_in_red_with_its_drill_down(history: History,
                                                          world: World) -> None:
    page = client_for(world.alpha.owner, language="en").get(
        f"/workspaces/{history.workspace.pk}/results/?month=2026-11")
    html = page.content.decode()
    row = html.split('data-metric="reach"', 1)[1].split("</tr>", 1)[0]
    assert "kpi-red" in html.split('data-metric="reach"', 1)[0].rsplit("<tr", 1)[1]
    assert "text-danger" in row and "behind" in row
    assert f"/workspaces/{history.workspace.pk}/results/posts/?month=2026-11" in row


def test_it_takes_the_funnels_target_audience_from_the_ad_campaigns_reach(
        history: History) -> None:
    from kosmmos.ads.models import DailyStat, Level
    from kosmmos.ads.testing import make_cabinet
    from kosmmos.proposals.planning.model import FunnelStage
    from kosmmos.results.figures import collect
    from kosmmos.results.forecast import funnel

    ws = history.workspace
    start, end = date(2026, 11, 1), date(2026, 11, 30)
    step = {s.stage: s for s in funnel(ws, collect(ws, start, end, today=date(2026, 11, 20)))}
    assert step[FunnelStage.TARGET_AUDIENCE.value].actual is None  # no cabinet: no source

    cabinet = make_cabinet(ws)
    for day, reach in ((date(2026, 11, 3), 700), (date(2026, 11, 4), 300),
                       (date(2026, 12, 1), 9999)):  # the next month is not this period's
        DailyStat.objects.create(organisation=ws.organisation, workspace=ws, cabinet=cabinet,
                                 level=Level.PLAN, external_id="plan-1", day=day, reach=reach)
    step = {s.stage: s for s in funnel(ws, collect(ws, start, end, today=date(2026, 11, 20)))}
    assert step[FunnelStage.TARGET_AUDIENCE.value].actual == 1000
