"""The VK Ads page: who may see and act, hostile input, and the P&L's manual/imported costs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from kosmmos.ads.models import Cabinet, JobStatus
from kosmmos.ads.testing import make_cabinet
from kosmmos.ads.tests.conftest import Fake
from kosmmos.conftest import World, client_for
from kosmmos.links.models import CostEntry, CostSource

pytestmark = pytest.mark.django_db


def test_it_connects_a_cabinet_imports_and_shows_spend_in_the_pnl(world: World,
                                                                  fake: Fake) -> None:
    ws = world.alpha.client_workspace
    start = date.today() - timedelta(days=6)
    spec = fake.cabinet("cab-1", campaigns=2, start=str(start), days=7)
    browser = client_for(world.alpha.manager, language="ru")
    response = browser.post(reverse("ads:connect", args=[ws.pk]), {
        "name": "Магазин", "client_id": "cab-1", "client_secret": "s3cret", "sandbox": "on"})
    assert response.status_code == 302
    cabinet = Cabinet.objects.get(workspace=ws)
    assert cabinet.status == JobStatus.PENDING and cabinet.last_import_at is not None
    spent = sum(c.amount for c in CostEntry.objects.filter(workspace=ws, source="vk_ads"))
    assert spent * 100 == spec["spent_kopecks"]
    page = browser.get(reverse("ads:index", args=[ws.pk]))
    assert page.status_code == 200 and "Кампания 1" in page.content.decode()
    costs = browser.get(reverse("links:costs", args=[ws.pk]) + f"?from={start:%Y-%m}")
    assert "VK Ads" in costs.content.decode()


@pytest.mark.parametrize("data", [
    {"name": "x", "client_id": "bad id with spaces", "client_secret": "s"},
    {"name": "x", "client_id": "a" * 101, "client_secret": "s"},
    {"name": "", "client_id": "ok", "client_secret": "s"},
    {"name": "x", "client_id": "ok", "client_secret": ""},
    {"name": "x\x00", "client_id": "ok\x00", "client_secret": "s"},
    {"name": "x", "client_id": "ok", "client_secret": "s", "account_id": "../../etc"},
])
def test_it_refuses_hostile_connect_forms_and_stores_nothing(world: World, data: dict) -> None:
    browser = client_for(world.alpha.manager)
    response = browser.post(reverse("ads:connect", args=[world.alpha.client_workspace.pk]), data)
    assert response.status_code == 400 and not Cabinet.objects.exists()


def test_it_refuses_hostile_import_dates(world: World) -> None:
    cabinet = make_cabinet(world.alpha.client_workspace)
    browser = client_for(world.alpha.manager)
    response = browser.post(reverse("ads:import_now", args=[cabinet.pk]),
                            {"start": "2026-05-01", "end": "2020-01-01"})
    assert response.status_code == 302
    cabinet.refresh_from_db()
    assert cabinet.import_from is None


def test_it_keeps_ads_pages_from_clients_analysts_writing_and_outsiders(world: World) -> None:
    ws = world.alpha.client_workspace
    cabinet = make_cabinet(ws, status=JobStatus.FAILED)
    index = reverse("ads:index", args=[ws.pk])
    assert client_for(world.alpha.client).get(index).status_code == 404
    assert client_for(world.beta.owner).get(index).status_code == 404
    page = client_for(world.alpha.analyst).get(index)
    assert page.status_code == 200
    assert reverse("audiences:index", args=[ws.pk]) in page.content.decode()
    for url in (reverse("ads:import_retry", args=[cabinet.pk]),
                reverse("ads:reconnect", args=[cabinet.pk]),
                reverse("ads:import_now", args=[cabinet.pk])):
        assert client_for(world.beta.owner).post(url).status_code == 404
        assert client_for(world.alpha.analyst).post(url).status_code in (403, 404)
    cabinet.refresh_from_db()
    assert cabinet.status == JobStatus.FAILED


def test_it_marks_manual_costs_and_keeps_imported_ones_from_deletion(world: World) -> None:
    ws = world.alpha.client_workspace
    browser = client_for(world.alpha.manager)
    browser.post(reverse("links:costs", args=[ws.pk]), {
        "month": "2026-01", "category": "content", "amount": "1000", "network": "", "note": ""})
    manual = CostEntry.objects.get(workspace=ws)
    assert manual.source == CostSource.MANUAL and manual.is_manual
    imported = CostEntry.objects.create(organisation_id=ws.organisation_id, workspace=ws,
                                        month=date(2026, 1, 1), category="ad_spend",
                                        amount=Decimal(5), source=CostSource.VK_ADS,
                                        source_ref="x")
    browser.post(reverse("links:cost_delete", args=[imported.pk]))
    assert CostEntry.objects.filter(pk=imported.pk).exists()
    browser.post(reverse("links:cost_delete", args=[manual.pk]))
    assert not CostEntry.objects.filter(pk=manual.pk).exists()
