"""The flow end to end: brief → draft job → (auto-)send with the PDF → public answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from kosmmos.briefs.models import Lead, LeadEvent, LeadStatus
from kosmmos.conftest import World, client_for
from kosmmos.mail.models import Delivery
from kosmmos.proposals import actions
from kosmmos.proposals.benchmarks import settings_for
from kosmmos.proposals.dispatch import dispatch_due
from kosmmos.proposals.models import (
    DraftJob,
    JobStatus,
    Proposal,
    ProposalStatus,
    TargetMetric,
    WorkspaceTarget,
)
from kosmmos.proposals.tests.conftest import brief_data


def _sent(lead: Lead) -> Proposal:
    proposal = actions.build_draft(lead)
    actions.send_proposal(proposal, by=None)
    proposal.refresh_from_db()
    return proposal


def test_it_drafts_a_proposal_for_a_new_brief_via_the_dispatcher(new_lead: Lead) -> None:
    job = DraftJob.objects.get(lead=new_lead)
    assert job.status == JobStatus.PENDING  # on_commit kick did not run: the ticker must
    assert dispatch_due() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 1
    proposal = Proposal.objects.get(lead=new_lead)
    assert proposal.status == ProposalStatus.DRAFT
    assert [v.number for v in proposal.versions.all()] == [1]
    assert proposal.latest_version().plan["budget_per_month"] == "150000.00"
    assert not Delivery.objects.filter(kind="proposal").exists()
    assert dispatch_due() == 0  # done rows are not claimed again


def test_it_auto_sends_v1_when_the_agency_said_so(world: World, new_lead: Lead) -> None:
    prefs = settings_for(world.alpha.org)
    prefs.auto_send = True
    prefs.save(update_fields=["auto_send"])
    dispatch_due()
    proposal = Proposal.objects.get(lead=new_lead)
    assert proposal.status == ProposalStatus.SENT
    assert proposal.sent_version is not None and proposal.sent_version.number == 1
    delivery = Delivery.objects.get(kind="proposal")
    assert delivery.to == ["olga@bulka.test"]
    attachment = delivery.attachments.get()
    assert attachment.mimetype == "application/pdf"
    assert bytes(attachment.content).startswith(b"%PDF")
    new_lead.refresh_from_db()
    assert new_lead.status == LeadStatus.PROPOSAL_SENT


def test_it_leaves_a_draft_with_the_planner_error_when_the_budget_is_too_small(
    world: World,
) -> None:
    from kosmmos.briefs.actions import submit_brief

    lead = submit_brief(world.alpha.org, brief_data(budget_rub=5000), ip=None, user_agent="",
                        language="ru")
    settings_for(world.alpha.org).__class__.objects.filter(
        organisation=world.alpha.org).update(auto_send=True)
    dispatch_due()
    proposal = Proposal.objects.get(lead=lead)
    assert proposal.status == ProposalStatus.DRAFT  # nothing to send
    assert "5\u202f000" in proposal.plan_error
    assert not proposal.versions.exists()
    assert DraftJob.objects.get(lead=lead).status == JobStatus.DONE


def test_it_accepts_once_and_creates_the_workspace_with_the_forecast_as_targets(
    new_lead: Lead,
) -> None:
    proposal = _sent(new_lead)
    browser = client_for(None)
    response = browser.post(f"/p/{proposal.token}/accept/")
    assert response.status_code == 302
    new_lead.refresh_from_db()
    assert new_lead.status == LeadStatus.WON and new_lead.workspace is not None
    targets = WorkspaceTarget.objects.filter(workspace=new_lead.workspace)
    assert targets.count() == 3 * len(TargetMetric)  # 3 months × every metric
    plan = proposal.sent_version.plan
    first = plan["forecast"][0]
    leads_target = targets.get(metric="leads", month=first["month"])
    assert leads_target.value == first["figures"]["leads"]
    # The confidence band travels with the target, so forecast vs actual can say "within".
    assert leads_target.low == first["low"]["leads"] and leads_target.high == first["high"]["leads"]
    assert leads_target.low <= leads_target.value <= leads_target.high  # type: ignore[operator]
    assert leads_target.within_band(leads_target.value) is True
    assert leads_target.within_band(leads_target.high + 1) is False  # type: ignore[operator]
    events = LeadEvent.objects.filter(lead=new_lead).count()

    again = browser.post(f"/p/{proposal.token}/accept/")
    assert again.status_code == 302
    new_lead.refresh_from_db()
    assert WorkspaceTarget.objects.count() == targets.count()
    assert new_lead.organisation.workspaces.filter(name=new_lead.title).count() == 1
    assert LeadEvent.objects.filter(lead=new_lead).count() == events
    page = browser.get(f"/p/{proposal.token}/").content.decode()
    assert f"/p/{proposal.token}/accept/" not in page  # the button is gone


def test_it_records_the_clients_request_for_changes(new_lead: Lead) -> None:
    proposal = _sent(new_lead)
    browser = client_for(None)
    empty = browser.post(f"/p/{proposal.token}/changes/", {"comment": "  "})
    assert empty.status_code == 400
    response = browser.post(f"/p/{proposal.token}/changes/",
                            {"comment": "Уберите Telegram, добавьте ОК"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    new_lead.refresh_from_db()
    assert proposal.status == ProposalStatus.CHANGES_REQUESTED
    assert new_lead.status == LeadStatus.IN_WORK
    note = LeadEvent.objects.filter(lead=new_lead, kind=LeadEvent.Kind.NOTE).first()
    assert note is not None and "Уберите Telegram, добавьте ОК" in note.text
    # Accepting is no longer offered until a new version is sent.
    assert browser.post(f"/p/{proposal.token}/accept/").status_code == 302
    new_lead.refresh_from_db()
    assert new_lead.workspace is None


@pytest.mark.parametrize("case", ["unknown", "draft", "expired"])
def test_it_refuses_unknown_unsent_and_expired_links(new_lead: Lead, case: str) -> None:
    proposal = actions.build_draft(new_lead)
    if case == "expired":
        actions.send_proposal(proposal, by=None)
        Proposal.objects.filter(pk=proposal.pk).update(
            token_expires_at=timezone.now() - timedelta(seconds=1))
    token = "nope-" + proposal.token if case == "unknown" else proposal.token
    browser = client_for(None)
    expected = 410 if case == "expired" else 404
    for url in (f"/p/{token}/", f"/p/{token}/pdf/"):
        assert browser.get(url).status_code == expected
    assert browser.post(f"/p/{token}/accept/").status_code == expected
    new_lead.refresh_from_db()
    assert new_lead.workspace is None


def test_it_emails_the_pdf_through_a_real_smtp_server(
    new_lead: Lead, settings: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    from kosmmos.proposals.tests.smtp import LocalSMTP

    with LocalSMTP() as smtp:
        settings.KOSMMOS_EMAIL_TRANSPORT = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        proposal = actions.build_draft(new_lead)
        browser = client_for(new_lead.organisation.memberships.get(role="manager").user)
        with django_capture_on_commit_callbacks(execute=True):
            response = browser.post(f"/proposals/{proposal.pk}/send/")
        assert response.status_code == 302
        message = smtp.wait_for("olga@bulka.test")
    pdfs = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1
    assert pdfs[0].get_filename() == "proposal-v1.pdf"
    assert pdfs[0].get_payload(decode=True).startswith(b"%PDF")
    proposal.refresh_from_db()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert f"http://kosmmos.test/p/{proposal.token}/" in text
    assert Delivery.objects.get(kind="proposal").status == "sent"
    assert not mail.outbox  # it went over SMTP, not to locmem


def test_it_shows_the_accepted_targets_on_the_workspace_page(world: World, new_lead: Lead) -> None:
    proposal = _sent(new_lead)
    client_for(None).post(f"/p/{proposal.token}/accept/")
    new_lead.refresh_from_db()
    page = client_for(world.alpha.owner, language="en").get(
        f"/workspaces/{new_lead.workspace.pk}/"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="workspace-targets"' in html
    first_leads = WorkspaceTarget.objects.filter(
        workspace=new_lead.workspace, metric="leads"
    ).order_by("month").first()
    assert first_leads is not None
    assert "New subscribers" in html and "Leads" in html


def test_it_plans_for_the_niche_the_brief_names(new_lead: Lead) -> None:
    new_lead.brief.niche = "real_estate"
    new_lead.brief.save(update_fields=["niche"])
    version = actions.build_draft(new_lead).latest_version()
    assert version is not None and version.inputs["niche"] == "real_estate"
    note = next(n for n in version.plan["assumptions"] if n["code"] == "lead_to_sale")
    assert note["params"]["low"] == "1" and note["params"]["high"] == "5"
