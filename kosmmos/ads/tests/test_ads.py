"""VK Ads: import, spend in the P&L, health, attempts, matching, reach and spend per creative —
against the fake cabinet."""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from kosmmos.accounts.models import Workspace
from kosmmos.ads import cabinets, creatives, funnel, imports, metrics
from kosmmos.ads.models import (
    AdObject,
    Attempt,
    Cabinet,
    CabinetStatus,
    DailyStat,
    JobStatus,
    Level,
)
from kosmmos.ads.testing import make_cabinet
from kosmmos.ads.tests.conftest import Fake
from kosmmos.conftest import World
from kosmmos.links import actions
from kosmmos.links.models import Conversion, CostEntry, CostSource

pytestmark = pytest.mark.django_db

START = date(2026, 1, 1)


def _import(cabinet: Cabinet, start: date = START, end: date = START + timedelta(days=59)) -> None:
    Cabinet.objects.filter(pk=cabinet.pk).update(status=JobStatus.QUEUED, import_from=start,
                                                 import_to=end)
    imports.run(cabinet.pk)


def _spend(workspace: Workspace) -> Decimal:
    return sum((c.amount for c in CostEntry.objects.filter(workspace=workspace,
                                                           source=CostSource.VK_ADS)), Decimal(0))


def test_it_imports_every_level_and_a_reimport_changes_nothing(world: World, fake: Fake) -> None:
    ws = world.alpha.client_workspace
    spec = fake.cabinet("cab-1", campaigns=3, groups=2, banners=2, start=str(START), days=60)
    cabinet = make_cabinet(ws)
    _import(cabinet)
    assert DailyStat.objects.count() == spec["rows"] == 3 * (1 + 2 + 4) * 60
    assert AdObject.objects.filter(level=Level.BANNER).count() == 12
    assert _spend(ws) * 100 == spec["spent_kopecks"]  # the cabinet's total, to the kopeck
    months = CostEntry.objects.filter(workspace=ws, source=CostSource.VK_ADS)
    assert sorted(c.month for c in months) == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    before = sorted(DailyStat.objects.values_list("level", "external_id", "day", "spent_kopecks"))
    _import(cabinet)
    assert sorted(DailyStat.objects.values_list("level", "external_id", "day",
                                                "spent_kopecks")) == before
    assert CostEntry.objects.filter(workspace=ws).count() == 3
    assert _spend(ws) * 100 == spec["spent_kopecks"]
    cabinet.refresh_from_db()
    assert cabinet.status == JobStatus.PENDING and cabinet.last_import_at is not None
    assert cabinet.import_from is None  # the next run reads the default window
    # One attempt row per run (the listing and statistics calls of a run are one operation).
    assert Attempt.objects.filter(cabinet=cabinet, operation="import", ok=True).count() == 2


def test_it_requests_at_most_92_days_and_200_ids(world: World, fake: Fake,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from kosmmos.lib import http

    seen: list[dict[str, Any]] = []
    real = http.request

    def spy(method: str, url: str, **kwargs: Any) -> Any:
        if "/statistics/" in url:
            seen.append(dict(kwargs["params"]))
        return real(method, url, **kwargs)

    monkeypatch.setattr(http, "request", spy)
    fake.cabinet("cab-1", campaigns=250, start=str(START), days=100)
    _import(make_cabinet(world.alpha.client_workspace), START, START + timedelta(days=99))
    assert seen and all(len(p["id"].split(",")) <= 200 for p in seen)
    assert all((date.fromisoformat(p["date_to"]) - date.fromisoformat(p["date_from"])).days < 92
               for p in seen)
    assert {"metrics": "base,uniques"}.items() <= seen[0].items()


def test_it_retries_5xx_and_429_and_shows_the_error(world: World, fake: Fake) -> None:
    fake.cabinet("cab-1", error_rate=1.0, start=str(START), days=5)
    cabinet = make_cabinet(world.alpha.client_workspace)
    _import(cabinet, START, START + timedelta(days=4))
    cabinet.refresh_from_db()
    assert cabinet.status == JobStatus.PENDING and "HTTP 503" in cabinet.last_error
    assert cabinet.next_attempt_at > cabinet.created_at
    failed = Attempt.objects.get(cabinet=cabinet, ok=False)
    assert failed.status_code == 503 and "HTTP 503" in failed.error
    fake.cabinet("cab-1", rate_limit_rate=1.0, start=str(START), days=5)
    _import(cabinet, START, START + timedelta(days=4))
    cabinet.refresh_from_db()
    assert "HTTP 429" in cabinet.last_error
    fake.cabinet("cab-1", start=str(START), days=5)
    _import(cabinet, START, START + timedelta(days=4))
    assert DailyStat.objects.filter(cabinet=cabinet).count() == 3 * 3 * 5  # 3 campaigns, 3 levels


def test_it_refreshes_an_expired_token_and_keeps_it_encrypted(world: World, fake: Fake) -> None:
    fake.cabinet("cab-1", start=str(START), days=3)
    cabinet = make_cabinet(world.alpha.client_workspace)
    _import(cabinet, START, START + timedelta(days=2))
    cabinet.refresh_from_db()
    held = cabinet.secrets
    assert held["access"] and held["refresh"] and held["access"] not in cabinet.secrets_encrypted
    held.update(access="expired-token", expires_at=time.time() + 3600)  # the cabinet refuses it
    cabinet.secrets = held
    cabinet.save(update_fields=["secrets_encrypted"])
    _import(cabinet, START, START + timedelta(days=2))
    cabinet.refresh_from_db()
    assert cabinet.secrets["access"] != "expired-token" and cabinet.last_error == ""


def test_it_marks_a_refused_cabinet_for_reconnection(world: World, fake: Fake) -> None:
    fake.cabinet("cab-1", start=str(START), days=3)
    cabinet, error = cabinets.connect(world.alpha.client_workspace, name="Shop", client_id="cab-1",
                                      client_secret="wrong", sandbox=True)
    cabinet.refresh_from_db()
    assert "401" in error and cabinet.health == CabinetStatus.NEEDS_REAUTH
    assert "invalid_client" in cabinet.last_error
    assert cabinets.reconnect(cabinet, "s3cret") == ""
    cabinet.refresh_from_db()
    assert cabinet.health == CabinetStatus.ACTIVE and cabinet.last_error == ""


def test_it_sends_the_agency_grant_for_a_client_cabinet(world: World, fake: Fake,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from kosmmos.lib import http

    sent: list[dict[str, str]] = []
    real = http.request

    def spy(method: str, url: str, **kwargs: Any) -> Any:
        if url.endswith("/oauth2/token.json"):
            sent.append(dict(kwargs["data"]))
        return real(method, url, **kwargs)

    monkeypatch.setattr(http, "request", spy)
    fake.cabinet("agency-1")
    cabinets.connect(world.alpha.client_workspace, name="Client", client_id="agency-1",
                     client_secret="s3cret", account_id="client-77", sandbox=True)
    assert sent == [{"client_id": "agency-1", "client_secret": "s3cret",
                     "grant_type": "agency_client_credentials", "agency_client_id": "client-77"}]


def test_it_matches_banners_to_our_links_and_credits_conversions(world: World, fake: Fake,
                                                                 settings: Any) -> None:
    ws = world.alpha.client_workspace
    link = actions.create_link(ws, target_url="https://shop.example/a", network="vk")
    fake.cabinet("cab-1", campaigns=2, start=str(START), days=10, url=link.short_url)
    cabinet = make_cabinet(ws)
    _import(cabinet, START, START + timedelta(days=9))
    assert AdObject.objects.filter(level=Level.BANNER, link=link).count() == 2
    Conversion.objects.create(organisation_id=ws.organisation_id, workspace=ws, event_id="o1",
                              kind="purchase", amount=Decimal(500), source="postback",
                              occurred_at="2026-01-03T12:00:00Z", link=link)
    rows = metrics.campaigns(ws, START, START + timedelta(days=9))
    assert len(rows) == 2 and all(r.figures.conversions == 1 for r in rows)
    row = rows[0].figures
    assert row.cpm == (row.spent * 1000 / row.impressions).quantize(Decimal("0.01"))
    assert row.ctr == (Decimal(row.clicks) * 100 / row.impressions).quantize(Decimal("0.01"))
    # UTM tags instead of the short link: the same link.
    from kosmmos.ads.matching import link_for

    assert link_for(ws, link.destination()) == link
    assert link_for(world.alpha.other_workspace, link.short_url) is None


def test_it_gives_reach_for_the_funnel_and_spend_per_creative(world: World, fake: Fake) -> None:
    ws = world.alpha.client_workspace
    assert funnel.reach(ws, START, START + timedelta(days=9)) is None
    fake.cabinet("cab-1", campaigns=2, start=str(START), days=10)
    _import(make_cabinet(ws), START, START + timedelta(days=9))
    plans = DailyStat.objects.filter(level=Level.PLAN)
    assert funnel.reach(ws, START, START + timedelta(days=9)) == sum(p.reach for p in plans)
    assert funnel.reach(world.alpha.other_workspace, START, START + timedelta(days=9)) is None
    spend = creatives.spend_by_creative(ws, START, START + timedelta(days=9))
    assert len(spend) == 2 and sum(s.spent_kopecks for s in spend) == sum(
        p.spent_kopecks for p in plans)
    assert all(s.name.startswith("Объявление") for s in spend)


def test_it_hands_a_dead_workers_cabinet_back(world: World) -> None:
    from django.utils import timezone

    cabinet = make_cabinet(world.alpha.client_workspace, status=JobStatus.RUNNING,
                           lease_until=timezone.now() - timedelta(seconds=1))
    assert imports.sweep_stuck() == 1
    cabinet.refresh_from_db()
    assert cabinet.status == JobStatus.PENDING and "stopped" in cabinet.last_error


def test_it_sets_the_accepted_proposals_vk_plan_beside_the_campaigns(world: World) -> None:
    from kosmmos.briefs.actions import submit_brief
    from kosmmos.proposals import actions as proposals
    from kosmmos.proposals.tests.conftest import brief_data

    lead = submit_brief(world.alpha.org, brief_data(), ip=None, user_agent="", language="ru")
    proposal = proposals.build_draft(lead)
    proposals.send_proposal(proposal, by=None)
    proposal.refresh_from_db()
    workspace = proposals.accept_proposal(proposal)
    assert metrics.planned(world.alpha.client_workspace) is None  # no accepted proposal there
    planned = metrics.planned(workspace)
    assert planned is not None and planned.impressions > 0 and planned.cpm is not None
    assert proposal.sent_version is not None
    vk = [n["figures"] for month in proposal.sent_version.plan["forecast"]
          for n in month["networks"] if n["network"] == "vk"]
    assert planned.impressions == sum(int(f["impressions"]) for f in vk)
    assert planned.spent == sum(Decimal(f["budget"]) for f in vk)
