"""The audiences page: who may see and act, hostile input, and the link from VK Ads."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kosmmos.ads.models import JobStatus
from kosmmos.ads.testing import make_cabinet
from kosmmos.audiences.models import AudienceExport, ExportStatus
from kosmmos.conftest import World, client_for
from kosmmos.inbox.testing import make_channel, make_item

pytestmark = pytest.mark.django_db


def test_it_shows_this_workspaces_segment_sizes_and_exports(world: World) -> None:
    ws = world.alpha.client_workspace
    for n in range(3):
        make_item(make_channel(ws, "vk", f"a-club-{n}"), "ужасно", sentiment="negative",
                  author_ref=str(1001 + n), external_id=f"a{n}")
    make_item(make_channel(world.alpha.other_workspace, "vk", "b-club"), "плохо",
              sentiment="negative", author_ref="2002", external_id="b1")
    browser = client_for(world.alpha.manager, language="ru")
    page = browser.get(reverse("audiences:index", args=[ws.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "Аудитории" in body
    assert reverse("ads:index", args=[ws.pk]) in body  # no cabinet yet: connect one there
    sizes = re.findall(r'<td class="text-end">(\d+)</td>', body)
    assert sizes[:2] == ["3", "3"]  # commented, complained: this workspace's three only
    cabinet = make_cabinet(ws)
    response = browser.post(reverse("audiences:export_create", args=[ws.pk]),
                            {"cabinet": cabinet.pk, "kind": "complained", "refresh_days": 7})
    assert response.status_code == 302
    export = AudienceExport.objects.get()
    assert export.workspace == ws and export.kind == "complained"
    assert export.status == ExportStatus.PENDING
    assert "Выгрузки аудиторий" in browser.get(reverse("audiences:index", args=[ws.pk])).content.decode()


def test_it_refuses_hostile_exports_and_stores_nothing(world: World) -> None:
    ws = world.alpha.client_workspace
    cabinet = make_cabinet(ws)
    other = make_cabinet(world.beta.client_workspace, "beta-cab")
    browser = client_for(world.alpha.manager)
    for data in ({"cabinet": other.pk, "kind": "complained", "refresh_days": 7},
                 {"cabinet": cabinet.pk, "kind": "everyone", "refresh_days": 7},
                 {"cabinet": cabinet.pk, "kind": "complained", "refresh_days": -1},
                 {"cabinet": cabinet.pk, "kind": "complained", "refresh_days": 10**9},
                 {"cabinet": cabinet.pk, "kind": "complained\x00", "refresh_days": 7},
                 {"cabinet": "not-a-uuid", "kind": "complained", "refresh_days": 7}):
        response = browser.post(reverse("audiences:export_create", args=[ws.pk]), data)
        assert response.status_code == 400
    assert not AudienceExport.objects.exists()


def test_it_keeps_audiences_from_clients_analysts_writing_and_outsiders(world: World) -> None:
    ws = world.alpha.client_workspace
    cabinet = make_cabinet(ws, status=JobStatus.FAILED)
    export = AudienceExport.objects.create(organisation_id=ws.organisation_id, workspace=ws,
                                           cabinet=cabinet, kind="bought",
                                           status=ExportStatus.FAILED, list_ids=["5"])
    index = reverse("audiences:index", args=[ws.pk])
    assert client_for(world.alpha.client).get(index).status_code == 404
    assert client_for(world.beta.owner).get(index).status_code == 404
    assert client_for(world.alpha.analyst).get(index).status_code == 200
    create = reverse("audiences:export_create", args=[ws.pk])
    data = {"cabinet": cabinet.pk, "kind": "bought", "refresh_days": 7}
    assert client_for(world.beta.owner).post(create, data).status_code == 404
    assert client_for(world.alpha.analyst).post(create, data).status_code in (403, 404)
    for url in (reverse("audiences:export_delete", args=[export.pk]),
                reverse("audiences:export_retry", args=[export.pk])):
        assert client_for(world.beta.owner).post(url).status_code == 404
        assert client_for(world.alpha.analyst).post(url).status_code in (403, 404)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and AudienceExport.objects.count() == 1
