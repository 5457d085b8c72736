"""The API: list, read, download the PDF, draft a month; the same visibility as the pages."""

from __future__ import annotations

from kosmmos.api.tests.conftest import api_as
from kosmmos.conftest import World
from kosmmos.reports import actions
from kosmmos.reports.models import Report, ReportStatus
from kosmmos.reports.tests.conftest import Seeded


def test_it_drafts_a_month_once_and_serves_its_pdf(world: World, seeded: Seeded) -> None:
    api = api_as(world.alpha.manager, world.alpha.org)
    url = f"/workspaces/{seeded.workspace.pk}/reports"
    first = api.post(url, {"month": "2026-10"})
    assert first.status_code == 201, first.content
    again = api.post(url, {"month": "2026-10"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Report.objects.count() == 1
    report = Report.objects.get()
    assert report.status == ReportStatus.DRAFT  # the task ran (eager in tests)
    listed = api.get("/reports").json()["results"]
    assert [r["id"] for r in listed] == [str(report.pk)]
    assert listed[0]["figures"]["money"]["revenue"] == "75000.50"
    pdf = api.get(f"/reports/{report.pk}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_it_shows_a_client_only_sent_reports_of_their_workspaces(world: World,
                                                               seeded: Seeded) -> None:
    report, _ = actions.request_draft(seeded.workspace, seeded.start, seeded.end)
    api = api_as(world.alpha.client, world.alpha.org)
    assert api.get("/reports").json()["results"] == []
    assert api.get(f"/reports/{report.pk}").status_code == 404
    assert api.get(f"/reports/{report.pk}/pdf").status_code == 404
    outsider = api_as(world.beta.owner, world.beta.org)
    assert outsider.get(f"/reports/{report.pk}").status_code == 404


def test_it_refuses_bad_drafts(world: World) -> None:
    api = api_as(world.alpha.manager, world.alpha.org)
    ws = world.alpha.client_workspace
    assert api.post(f"/workspaces/{ws.pk}/reports", {"month": "2026-13"}).status_code == 400
    assert api.post(f"/workspaces/{ws.pk}/reports", {"month": ["x"]}).status_code == 400
    assert api.post(f"/workspaces/{world.beta.client_workspace.pk}/reports",
                    {"month": "2026-10"}).status_code == 404
    client = api_as(world.alpha.client, world.alpha.org)
    assert client.post(f"/workspaces/{ws.pk}/reports", {"month": "2026-10"}).status_code in (403, 404)
    assert not Report.objects.exists()
