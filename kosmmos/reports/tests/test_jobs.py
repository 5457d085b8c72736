"""The job side: send without review, a worker that dies mid-render, a lost message."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from kosmmos.conftest import World
from kosmmos.mail.models import Delivery
from kosmmos.reports import actions, tasks
from kosmmos.reports.dispatch import drafts
from kosmmos.reports.models import Report, ReportSettings, ReportStatus, ReportVersion
from kosmmos.reports.tests.conftest import Seeded


def test_it_sends_without_review_when_the_agency_chose_so(
        world: World, seeded: Seeded, django_capture_on_commit_callbacks: Any) -> None:
    ReportSettings.objects.create(organisation=world.alpha.org, auto_send=True)
    report, _ = actions.request_draft(seeded.workspace, seeded.start, seeded.end)
    with django_capture_on_commit_callbacks(execute=True):
        drafts.kick(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.SENT
    delivery = Delivery.objects.get(kind="report")
    assert delivery.status == "sent" and delivery.attachments.count() == 1


def test_it_redoes_a_report_whose_worker_died_and_sends_it_once(
        world: World, seeded: Seeded, django_capture_on_commit_callbacks: Any) -> None:
    ReportSettings.objects.create(organisation=world.alpha.org, auto_send=True)
    report, _ = actions.request_draft(seeded.workspace, seeded.start, seeded.end)
    # A worker claimed it and died: the row is rendering with a lease in the past.
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.RENDERING, lease_until=timezone.now() - timedelta(seconds=1),
        attempts=1)
    tasks.run(report.pk)  # a late duplicate message does nothing: the row is not queued
    assert Report.objects.get(pk=report.pk).status == ReportStatus.RENDERING
    assert drafts.sweep_stuck() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert drafts.dispatch_due() == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.SENT and report.attempts == 2
    assert ReportVersion.objects.filter(report=report).count() == 1
    assert Delivery.objects.filter(kind="report").count() == 1


def test_it_resends_a_lost_message(world: World, seeded: Seeded) -> None:
    report, _ = actions.request_draft(seeded.workspace, seeded.start, seeded.end)
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.QUEUED, enqueued_at=timezone.now() - timedelta(hours=1))
    assert drafts.sweep_stuck() == 1  # re-enqueued; the eager task renders it now
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


def test_it_records_a_failed_render_and_retries_later(
        world: World, seeded: Seeded, monkeypatch: Any) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> bytes:
        raise RuntimeError("Pango is missing")

    monkeypatch.setattr("kosmmos.reports.pdf.render_pdf", broken)
    report, _ = actions.request_draft(seeded.workspace, seeded.start, seeded.end)
    drafts.kick(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING and "Pango is missing" in report.last_error
    assert report.next_attempt_at > timezone.now()


def test_it_retries_a_failed_report_on_request(world: World, seeded: Seeded,
                                               django_capture_on_commit_callbacks: Any) -> None:
    from kosmmos.conftest import client_for

    report, _ = actions.request_draft(seeded.workspace, seeded.start, seeded.end)
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.FAILED, last_error="boom")
    assert client_for(world.alpha.client).post(f"/reports/{report.pk}/retry/").status_code == 403
    page = client_for(world.alpha.manager).get(f"/reports/{report.pk}/")
    assert "boom" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.alpha.manager).post(f"/reports/{report.pk}/retry/")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT and report.last_error == ""


def test_it_queues_only_as_many_reports_as_the_workers_start_soon(
        world: World, settings: Any, monkeypatch: Any) -> None:
    from kosmmos.reports import dispatch

    settings.REPORTS_QUEUED_AHEAD = 2
    sent: list[str] = []
    monkeypatch.setattr(dispatch, "enqueue", lambda pk: sent.append(str(pk)))
    ws = world.alpha.client_workspace
    for month in (7, 8, 9):
        actions.request_draft(ws, date(2026, month, 1), date(2026, month, 28))
    Report.objects.update(next_attempt_at=timezone.now())
    assert dispatch.dispatch_due() == 2
    assert dispatch.dispatch_due() == 0  # two wait in the queue already: the third stays pending
    assert Report.objects.filter(status=ReportStatus.PENDING).count() == 1
    Report.objects.filter(pk=sent[0]).update(status=ReportStatus.RENDERING)  # a worker took one
    assert dispatch.dispatch_due() == 1
    assert len(set(sent)) == 3 == len(sent)


def test_it_sends_an_auto_report_from_rendering_in_one_step_or_not_at_all(
        world: World, seeded: Seeded, monkeypatch: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    """No draft in between that a dying worker could leave unsent: while this run drew the PDF
    its lease ran out and the sweep handed the row back, so it sends nothing; the next run
    sends once."""
    from kosmmos.reports import pdf

    ReportSettings.objects.create(organisation=world.alpha.org, auto_send=True)
    report, _ = actions.request_draft(seeded.workspace, seeded.start, seeded.end)
    draw = pdf.pdf_for

    def slow(report: Report, version: ReportVersion) -> bytes:
        Report.objects.filter(pk=report.pk).update(status=ReportStatus.PENDING, lease_until=None)
        return draw(report, version)

    monkeypatch.setattr(pdf, "pdf_for", slow)
    with django_capture_on_commit_callbacks(execute=True):
        drafts.kick(report.pk)
    assert Report.objects.get(pk=report.pk).status == ReportStatus.PENDING
    assert not Delivery.objects.filter(kind="report").exists()
    monkeypatch.setattr(pdf, "pdf_for", draw)
    with django_capture_on_commit_callbacks(execute=True):
        drafts.kick(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.SENT and report.attempts == 2
    assert Delivery.objects.filter(kind="report").count() == 1
