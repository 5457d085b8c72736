"""Schedule → draft → commentary → send → email with the PDF, exactly once; frozen once sent."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kosmmos.conftest import World, client_for
from kosmmos.jobs.ticker import tick
from kosmmos.mail.models import Delivery
from kosmmos.notifications.models import Event
from kosmmos.reports import actions, pdf
from kosmmos.reports.models import Cadence, Report, ReportSettings, ReportStatus, ReportVersion
from kosmmos.reports.tests.conftest import Seeded

REPORT_TICK = ["kosmmos.reports.dispatch:dispatch_schedules",
               "kosmmos.reports.dispatch:dispatch_due", "kosmmos.reports.dispatch:sweep_stuck"]


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return text.replace("\u202f", " ").replace("\xa0", " ")


def _schedule(world: World, **fields: object) -> ReportSettings:
    prefs, _ = ReportSettings.objects.get_or_create(organisation=world.alpha.org)
    for name, value in {"enabled": True, "day": 3, "at": time(9, 0), **fields}.items():
        setattr(prefs, name, value)
    prefs.next_run_at = datetime(2026, 11, 3, 9, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    prefs.save()
    return prefs


def _due(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: when)


def test_it_computes_the_next_run_in_the_organisation_time_zone(world: World) -> None:
    prefs = ReportSettings(organisation=world.alpha.org, day=3, at=time(9, 30))
    moscow = ZoneInfo("Europe/Moscow")
    assert prefs.schedule_next(datetime(2026, 11, 3, 9, 29, tzinfo=moscow)) == \
        datetime(2026, 11, 3, 9, 30, tzinfo=moscow)
    assert prefs.schedule_next(datetime(2026, 11, 3, 9, 30, tzinfo=moscow)) == \
        datetime(2026, 12, 3, 9, 30, tzinfo=moscow)
    prefs.cadence = Cadence.WEEKLY
    assert prefs.schedule_next(datetime(2026, 12, 2, 8, 0, tzinfo=moscow)) == \
        datetime(2026, 12, 7, 9, 30, tzinfo=moscow)
    assert actions.previous_period(Cadence.WEEKLY, date(2026, 12, 9)) == \
        (date(2026, 11, 30), date(2026, 12, 6))


def test_it_drafts_one_report_per_workspace_whatever_the_reruns(
        world: World, seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    _schedule(world)
    _due(monkeypatch, datetime(2026, 11, 3, 6, 1, tzinfo=ZoneInfo("UTC")))
    tick(REPORT_TICK)
    tick(REPORT_TICK)
    assert actions.draft_reports(world.alpha.org, date(2026, 10, 1), date(2026, 10, 31)) == 0
    reports = Report.objects.filter(organisation=world.alpha.org)
    assert reports.count() == 2  # both workspaces, once
    mine = reports.get(workspace=seeded.workspace)
    assert mine.status == ReportStatus.DRAFT and mine.period == (date(2026, 10, 1),
                                                                 date(2026, 10, 31))
    assert mine.version is not None and mine.version.pdf
    assert Event.objects.filter(kind="report.ready", workspace=seeded.workspace).count() == 1
    assert ReportSettings.objects.get(organisation=world.alpha.org).next_run_at == \
        datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo("Europe/Moscow"))


def test_it_sends_the_reviewed_report_with_its_pdf_once(
        world: World, seeded: Seeded, django_capture_on_commit_callbacks: Any) -> None:
    report, created = actions.request_draft(seeded.workspace, seeded.start, seeded.end)
    assert created
    actions.render_draft(_rendering(report))
    browser = client_for(world.alpha.manager)
    response = browser.post(f"/reports/{report.pk}/text/", {
        "summary": "Выручка выросла, отзывов стало больше.", "done": "Запустили конкурс.",
        "next": "Больше видео."})
    assert response.status_code == 302
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert browser.post(f"/reports/{report.pk}/send/").status_code == 302
        assert browser.post(f"/reports/{report.pk}/send/").status_code == 302
    assert len(mail.outbox) == 1  # the report's own email; the bell has it in the app only
    delivery = Delivery.objects.get(kind="report")
    assert delivery.to == ["client@alpha.test"]
    assert delivery.from_email.startswith("Alpha Agency <")
    sent = mail.outbox[0]
    name, data, mimetype = sent.attachments[0]
    assert mimetype == "application/pdf" and name.endswith(".pdf")
    text = _pdf_text(data)
    assert "Выручка выросла" in text and "75 000,50 ₽" in text
    assert "kosmmos" not in text.lower()
    report.refresh_from_db()
    assert report.status == ReportStatus.SENT and report.public_url() in sent.body
    # The site's own address is the operator's domain (here kosmmos.test), not a product mention.
    html = str(sent.alternatives[0][0])
    for part in (sent.subject, sent.body, html, sent.from_email):
        assert "kosmmos" not in part.replace(report.public_url(), "").split("<noreply@")[0].lower()
    assert Event.objects.filter(kind="report.sent").count() == 1


def _rendering(report: Report) -> Report:
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RENDERING)
    report.refresh_from_db()
    return report


def _sent(seeded: Seeded) -> Report:
    report, _ = actions.request_draft(seeded.workspace, seeded.start, seeded.end)
    actions.render_draft(_rendering(report))
    report.refresh_from_db()
    assert actions.send_report(report, None)
    report.refresh_from_db()
    return report


def test_it_freezes_a_sent_report(world: World, seeded: Seeded) -> None:
    report = _sent(seeded)
    before = dict(report.version.figures) if report.version else {}
    from kosmmos.links.models import CostEntry

    CostEntry.objects.filter(workspace=seeded.workspace).update(amount=1)  # a late correction
    with pytest.raises(actions.ReportError):
        actions.regenerate(report, None)
    with pytest.raises(actions.ReportError):
        actions.update_text(report, summary="x", done="", next_="")
    assert report.version is not None
    report.version.refresh_from_db()
    assert report.version.figures == before
    assert "75 000,50" in _pdf_text(pdf.pdf_for(report, report.version))


def test_it_makes_a_new_version_when_a_draft_is_regenerated(world: World, seeded: Seeded) -> None:
    report, _ = actions.request_draft(seeded.workspace, seeded.start, seeded.end)
    actions.render_draft(_rendering(report))
    report.refresh_from_db()
    browser = client_for(world.alpha.manager)
    assert browser.post(f"/reports/{report.pk}/regenerate/").status_code == 302
    assert list(ReportVersion.objects.filter(report=report).values_list("number", flat=True)) \
        == [2, 1]
    page = browser.get(f"/reports/{report.pk}/?version=1")
    assert page.status_code == 200 and "v2" in page.content.decode()


def test_it_shows_a_client_only_their_sent_reports(world: World, seeded: Seeded) -> None:
    report = _sent(seeded)
    other, _ = actions.request_draft(world.alpha.other_workspace, seeded.start, seeded.end)
    draft, _ = actions.request_draft(seeded.workspace, date(2026, 9, 1), date(2026, 9, 30))
    browser = client_for(world.alpha.client)
    page = browser.get("/reports/").content.decode()
    assert str(report.pk) in page and str(other.pk) not in page and str(draft.pk) not in page
    assert "Kosmmos" not in page
    detail = browser.get(f"/reports/{report.pk}/")
    assert detail.status_code == 200 and "Kosmmos" not in detail.content.decode()
    assert browser.get(f"/reports/{report.pk}/pdf/")["Content-Type"] == "application/pdf"
    assert browser.get(f"/reports/{other.pk}/").status_code == 404
    assert browser.get(f"/reports/{draft.pk}/").status_code == 404
    assert browser.post(f"/reports/{report.pk}/link/").status_code == 403
    assert client_for(world.beta.owner).get(f"/reports/{report.pk}/").status_code == 404
    assert client_for(world.alpha.analyst).post(f"/reports/{draft.pk}/send/").status_code == 403


def test_it_opens_the_link_without_an_account_until_revoked(world: World, seeded: Seeded) -> None:
    report = _sent(seeded)
    anonymous = client_for(None)
    page = anonymous.get(f"/r/{report.token}/")
    assert page.status_code == 200 and "Kosmmos" not in page.content.decode()
    assert anonymous.get(f"/r/{report.token}/pdf/").status_code == 200
    client_for(world.alpha.manager).post(f"/reports/{report.pk}/link/", {"action": "revoke"})
    assert anonymous.get(f"/r/{report.token}/").status_code == 404
    report.refresh_from_db()
    assert anonymous.get(f"/r/{report.token}/").status_code == 404
    Report.objects.filter(pk=report.pk).update(token_expires_at=datetime(2020, 1, 1,
                                                                         tzinfo=ZoneInfo("UTC")))
    draft, _ = actions.request_draft(seeded.workspace, date(2026, 9, 1), date(2026, 9, 30))
    assert anonymous.get(f"/r/{draft.token}/").status_code == 404


def test_it_names_the_product_only_when_the_agency_opts_in(world: World, seeded: Seeded) -> None:
    ReportSettings.objects.update_or_create(organisation=world.alpha.org,
                                            defaults={"show_product": True})
    report = _sent(seeded)
    assert report.version is not None
    assert "Kosmmos" in _pdf_text(pdf.pdf_for(report, report.version))


def test_it_follows_the_template_order_and_language(world: World, seeded: Seeded) -> None:
    browser = client_for(world.alpha.manager)
    url = f"/workspaces/{seeded.workspace.pk}/report-template/"
    assert browser.get(url).status_code == 200
    response = browser.post(url, {"language": "en", "on_money": "on", "pos_money": "2",
                                  "on_reviews": "on", "pos_reviews": "1",
                                  "extra_recipients": "boss@client.test"})
    assert response.status_code == 302
    report = _sent(seeded)
    assert report.version is not None and report.version.sections == ["reviews", "money"]
    text = _pdf_text(pdf.pdf_for(report, report.version))
    assert text.index("Reviews and response times") < text.index("Money")
    assert Delivery.objects.get(kind="report").to == ["boss@client.test", "client@alpha.test"]


@pytest.mark.parametrize("data", [
    {"language": "xx", "on_money": "on"},
    {"language": "ru"},
    {"language": "ru", "on_money": "on", "pos_money": "-5"},
    {"language": "ru", "on_money": "on", "extra_recipients": "not an email\n<script>"},
    {"language": "ru", "on_money": "on", "summary": "x" * 6000},
])
def test_it_refuses_a_broken_template(world: World, data: dict[str, str]) -> None:
    ws = world.alpha.client_workspace
    response = client_for(world.alpha.manager).post(f"/workspaces/{ws.pk}/report-template/", data)
    assert response.status_code == 400
    template = actions.template_for(ws)
    assert template.language == "ru" and template.extra_recipients == "" and template.summary == ""


@pytest.mark.parametrize("data", [
    {"workspace": "nope", "month": "2026-10"},
    {"month": "2026-13"},
    {"month": "99999-01"},
    {"month": "\x00"},
])
def test_it_refuses_a_broken_draft_request(world: World, data: dict[str, str]) -> None:
    form = {"workspace": str(world.alpha.client_workspace.pk), **data}
    response = client_for(world.alpha.manager).post("/reports/draft/", form)
    assert response.status_code == 400 and not Report.objects.exists()


def test_it_refuses_a_foreign_workspace_in_a_draft_request(world: World) -> None:
    response = client_for(world.alpha.manager).post(
        "/reports/draft/", {"workspace": str(world.beta.client_workspace.pk), "month": "2026-10"})
    assert response.status_code == 400 and not Report.objects.exists()


@pytest.mark.parametrize("data", [
    {"day": "31", "cadence": "monthly", "at": "09:00"},
    {"day": "3", "cadence": "hourly", "at": "09:00"},
    {"day": "3", "cadence": "monthly", "at": "25:00"},
    {"day": "3", "cadence": "monthly", "at": "09:00", "reply_to": "nope"},
])
def test_it_refuses_broken_settings(world: World, data: dict[str, str]) -> None:
    response = client_for(world.alpha.owner).post("/settings/reports/", data)
    assert response.status_code == 400
    assert not ReportSettings.objects.filter(organisation=world.alpha.org, day=31).exists()


def test_it_reads_the_schedule_without_many_queries(world: World, seeded: Seeded) -> None:
    with CaptureQueriesContext(connection) as queries:
        tick(["kosmmos.reports.dispatch:dispatch_schedules"])
    assert len(queries) < 10


@pytest.mark.parametrize("data", [
    {"summary": "x" * 6000},
    {"summary": "ok", "done": "y" * 5001},
])
def test_it_refuses_a_broken_commentary(world: World, seeded: Seeded, data: dict[str, str]) -> None:
    report, _ = actions.request_draft(seeded.workspace, seeded.start, seeded.end)
    actions.render_draft(_rendering(report))
    response = client_for(world.alpha.manager).post(f"/reports/{report.pk}/text/", data)
    assert response.status_code == 302
    assert ReportVersion.objects.get(report=report).summary == ""


def test_it_cleans_control_characters_from_the_commentary(world: World, seeded: Seeded) -> None:
    report, _ = actions.request_draft(seeded.workspace, seeded.start, seeded.end)
    actions.render_draft(_rendering(report))
    client_for(world.alpha.manager).post(f"/reports/{report.pk}/text/",
                                         {"summary": "Итоги\x00 месяца"})
    assert "\x00" not in ReportVersion.objects.get(report=report).summary


def test_it_says_when_there_is_nobody_to_email(world: World) -> None:
    ws = world.alpha.other_workspace  # no client user
    report, _ = actions.request_draft(ws, date(2026, 10, 1), date(2026, 10, 31))
    actions.render_draft(_rendering(report))
    page = client_for(world.alpha.manager, language="en").post(
        f"/reports/{report.pk}/send/", follow=True)
    assert "Nobody to email" in page.content.decode()
    assert not Delivery.objects.filter(kind="report").exists()
    report.refresh_from_db()
    assert report.status == ReportStatus.SENT
