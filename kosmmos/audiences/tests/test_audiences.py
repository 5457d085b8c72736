"""Audiences out: segments of one workspace, exported as remarketing lists to the fake cabinet,
refreshed and deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kosmmos.accounts.models import Workspace
from kosmmos.ads.models import Attempt
from kosmmos.ads.testing import make_cabinet
from kosmmos.ads.tests.conftest import Fake
from kosmmos.audiences import exports, segments
from kosmmos.audiences.models import AudienceExport, ExportStatus
from kosmmos.conftest import World
from kosmmos.connectors.vkads.client import segment_files
from kosmmos.inbox.testing import make_channel, make_item
from kosmmos.links import actions
from kosmmos.links.models import Conversion

pytestmark = pytest.mark.django_db


def _complaints(ws: Workspace, prefix: str, n: int) -> None:
    channel = make_channel(ws, "vk", f"{prefix}-club")
    for i in range(n):
        make_item(channel, "ужасно", sentiment="negative", author_ref=str(1000 + i),
                  external_id=f"{prefix}-{i}")
    make_item(channel, "может быть жалоба", author_ref="5000", scores={"negative": 0.5},
              external_id=f"{prefix}-maybe")
    make_item(channel, "спасибо", sentiment="positive", author_ref="6000",
              external_id=f"{prefix}-ok")
    make_item(channel, "сообщество", sentiment="negative", author_ref="-42",
              external_id=f"{prefix}-club")


def test_it_exports_complaints_of_this_workspace_only_and_deletes_them(
        world: World, fake: Fake) -> None:
    ws, other = world.alpha.client_workspace, world.alpha.other_workspace
    _complaints(ws, "a", 3)
    other_channel = make_channel(other, "vk", "b-club")
    make_item(other_channel, "плохо", sentiment="negative", author_ref="777777", external_id="b1")
    assert list(segments.vk_ids(ws, "complained")) == ["1000", "1001", "1002", "5000"]
    fake.cabinet("cab-1")
    cabinet = make_cabinet(ws)
    export = exports.create_export(cabinet, "complained")
    AudienceExport.objects.filter(pk=export.pk).update(status=ExportStatus.QUEUED)
    exports.run(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE and export.size == 4 and len(export.list_ids) == 1
    [made] = fake.lists()
    assert made["entries_count"] == 4 and made["type"] == "vk" and "777777" not in made["sample"]
    assert exports.request_delete(export)
    AudienceExport.objects.filter(pk=export.pk).update(status=ExportStatus.QUEUED)
    exports.run(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.DELETED and fake.lists() == []
    assert list(Attempt.objects.filter(ref=export.ref).order_by("started_at")
                .values_list("operation", "ok")) == [("upload", True), ("delete", True)]


def test_it_does_not_upload_a_list_twice_after_an_unknown_outcome(world: World,
                                                                  fake: Fake) -> None:
    ws = world.alpha.client_workspace
    _complaints(ws, "a", 2)
    fake.cabinet("cab-1")
    cabinet = make_cabinet(ws)
    export = exports.create_export(cabinet, "complained")
    AudienceExport.objects.filter(pk=export.pk).update(status=ExportStatus.QUEUED)
    exports.run(export.pk)
    # The answer was lost: the row forgot the list it made, then runs again.
    AudienceExport.objects.filter(pk=export.pk).update(status=ExportStatus.QUEUED, list_ids=[])
    exports.run(export.pk)
    export.refresh_from_db()
    assert len(fake.lists()) == 1 and export.list_ids == [str(fake.lists()[0]["id"])]


def test_it_refreshes_an_export_and_retires_the_old_lists(world: World, fake: Fake) -> None:
    ws = world.alpha.client_workspace
    _complaints(ws, "a", 2)
    fake.cabinet("cab-1")
    cabinet = make_cabinet(ws)
    first = exports.create_export(cabinet, "complained", refresh_days=1)
    AudienceExport.objects.filter(pk=first.pk).update(status=ExportStatus.QUEUED)
    exports.run(first.pk)
    AudienceExport.objects.filter(pk=first.pk).update(
        finished_at=first.created_at - timedelta(days=2))
    assert exports.refresh_due() == 1 and exports.refresh_due() == 0
    second = AudienceExport.objects.get(replaces=first)
    for export_id in (second.pk, first.pk):
        AudienceExport.objects.filter(pk=export_id).update(status=ExportStatus.QUEUED)
        exports.run(export_id)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ExportStatus.DELETED and second.status == ExportStatus.DONE
    assert [x["id"] for x in fake.lists()] == [int(second.list_ids[0])]


def test_it_cuts_a_segment_into_files_within_the_limit() -> None:
    ids = [str(10**9 + i) for i in range(1000)]
    files = list(segment_files(iter(ids), limit=2000))
    assert all(len(f) <= 2000 and f.startswith(b"id\n") for f in files)
    assert [line for f in files for line in f.decode().split("\n")[1:] if line] == ids
    assert list(segment_files(iter([]))) == []


def test_it_segments_buyers_and_clickers_by_vk_id(world: World) -> None:
    ws = world.alpha.client_workspace
    link = actions.create_link(ws, target_url="https://shop.example/a", network="vk")
    base = {"organisation_id": ws.organisation_id, "workspace": ws, "source": "postback",
            "occurred_at": "2026-01-02T00:00:00Z"}
    Conversion.objects.create(event_id="1", kind="purchase", vk_id="11", link=link, **base)
    Conversion.objects.create(event_id="2", kind="registration", vk_id="22", link=link, **base)
    Conversion.objects.create(event_id="3", kind="purchase", vk_id="33", **base)
    Conversion.objects.create(event_id="4", kind="purchase", **base)
    assert list(segments.vk_ids(ws, "bought")) == ["11", "33"]
    assert list(segments.vk_ids(ws, "clicked")) == ["11", "22"]
    assert list(segments.vk_ids(world.alpha.other_workspace, "bought")) == []


def test_it_refuses_a_bad_vk_id_in_a_postback() -> None:
    with pytest.raises(actions.ConversionError):
        actions.parse_event({"event_id": "x", "event": "registration", "vk_id": "id123"})
    assert actions.parse_event({"event_id": "x", "event": "registration",
                                "vk_id": "123"}).vk_id == "123"
