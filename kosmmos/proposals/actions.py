"""Writes that span models: drafting, revising, sending, accepting a proposal.

Each is atomic; emails go through ``queue_email`` (a Delivery row sent after commit). PDFs are
rendered before a transaction opens, so a second of layout never holds a database lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kosmmos.accounts.models import Organisation, User, Workspace
from kosmmos.audit.log import record
from kosmmos.briefs.actions import change_lead_status, convert_lead
from kosmmos.briefs.models import Brief, Lead, LeadEvent, LeadStatus
from kosmmos.lib.events import emit
from kosmmos.mail import delivery as mail_delivery
from kosmmos.mail.delivery import queue_email
from kosmmos.mail.models import Delivery
from kosmmos.proposals import diff, dispatch, pdf
from kosmmos.proposals.benchmarks import benchmarks_for, settings_for
from kosmmos.proposals.models import (
    LINK_DAYS,
    DraftJob,
    Language,
    Proposal,
    ProposalStatus,
    ProposalVersion,
    TargetMetric,
    WorkspaceTarget,
)
from kosmmos.proposals.planning import (
    BriefInput,
    Figures,
    Geography,
    MediaPlan,
    Overrides,
    PlanError,
    plan,
)

log = logging.getLogger(__name__)


class ProposalError(Exception):
    """An action that does not apply to the proposal in its current state."""


@dataclass(frozen=True)
class Edits:
    """What a version is planned from: the brief as the manager adjusted it, the overrides and
    the document's language."""

    inputs: BriefInput
    overrides: Overrides
    language: str


# --- Planning -----------------------------------------------------------------------------------


def next_month(today: date | None = None) -> date:
    """The first day of next month: a proposal sent today can start no earlier."""
    today = today or timezone.localdate()
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def brief_input(brief: Brief, start_month: date | None) -> BriefInput:
    return BriefInput(
        networks=tuple(brief.networks), goals=tuple(brief.goals),
        product_type=brief.product_type, budget_per_month=Decimal(brief.budget_rub),
        period_months=brief.period_months,
        geography=Geography(
            country=brief.country, regions=Geography.split(brief.regions),
            cities=Geography.split(brief.cities),
        ),
        kpis=brief.kpis, start_month=start_month, niche=brief.niche or "other",
    )


def make_plan(organisation: Organisation, edits: Edits) -> MediaPlan:
    """The plan with the organisation's benchmarks; its texts in the proposal's language."""
    with translation.override(edits.language):
        return plan(edits.inputs, benchmarks_for(organisation), edits.overrides)


def _language(brief: Brief) -> str:
    return brief.language if brief.language in Language.values else Language.RU


# --- The draft job ------------------------------------------------------------------------------


def request_draft(lead: Lead) -> DraftJob:
    """The due row that gets the lead its first draft; started as soon as the brief commits
    (and by the dispatcher at the next tick if that kick is lost)."""
    job = DraftJob.objects.create(organisation=lead.organisation, lead=lead)
    transaction.on_commit(lambda: dispatch.drafts.kick(job.pk))
    return job


def build_draft(lead: Lead) -> Proposal:
    """The lead's proposal with version 1, once; a brief the planner rejects leaves a draft with
    ``plan_error`` for the manager to fix in the editor."""
    with transaction.atomic():
        locked = Lead.objects.select_for_update(of=("self",)).select_related("brief").get(
            pk=lead.pk)
        proposal, _created = Proposal.objects.get_or_create(
            lead=locked,
            defaults={"organisation": locked.organisation, "language": _language(locked.brief)},
        )
        if proposal.versions.exists():
            return proposal
        edits = Edits(brief_input(locked.brief, next_month()), Overrides(), proposal.language)
        try:
            media = make_plan(locked.organisation, edits)
        except PlanError as error:
            with translation.override(settings.LANGUAGE_CODE):
                proposal.plan_error = error.message
            proposal.save(update_fields=["plan_error", "updated_at"])
            return proposal
        _add_version(proposal, edits, media, by=None)
    return proposal


def run_draft_job(job: DraftJob) -> Proposal:
    """What the task does for a claimed job: draft, then send v1 when the agency said so."""
    proposal = build_draft(job.lead)
    auto = settings_for(job.organisation).auto_send
    if auto and proposal.status == ProposalStatus.DRAFT and proposal.sent_version_id is None \
            and proposal.latest_version() is not None:
        delivery = send_proposal(proposal, by=None)
        # We are a worker already: send now instead of waiting for the email's own task, which
        # sits behind every other queued draft (FIFO). That task then finds the row taken and
        # does nothing; on failure the row keeps its retries.
        mail_delivery.send(delivery.pk)
    return proposal


# --- Versions -----------------------------------------------------------------------------------


def _add_version(
    proposal: Proposal, edits: Edits, media: MediaPlan, by: User | None
) -> ProposalVersion:
    previous = proposal.latest_version()
    current = media.to_dict()
    version = ProposalVersion.objects.create(
        proposal=proposal, number=(previous.number + 1) if previous else 1,
        inputs=edits.inputs.to_dict(), overrides=edits.overrides.to_dict(), plan=current,
        language=edits.language, created_by=by,
        changes=diff.changes(previous.plan if previous else None, current),
    )
    proposal.plan_error = ""
    proposal.language = edits.language
    proposal.save(update_fields=["plan_error", "language", "updated_at"])
    return version


def revise_proposal(proposal: Proposal, edits: Edits, by: User) -> ProposalVersion:
    """A new version from the manager's edits. Raises PlanError (nothing is stored then)."""
    if proposal.is_final:
        raise ProposalError(_("An accepted proposal cannot be changed."))
    media = make_plan(proposal.organisation, edits)
    with transaction.atomic():
        Proposal.objects.select_for_update().filter(pk=proposal.pk).first()
        return _add_version(proposal, edits, media, by)


def current_edits(proposal: Proposal) -> Edits:
    """The inputs of the latest version, or of the brief when there is none yet."""
    version = proposal.latest_version()
    if version is None:
        return Edits(brief_input(proposal.lead.brief, next_month()), Overrides(),
                     proposal.language)
    return Edits(BriefInput.from_dict(version.inputs), Overrides.from_dict(version.overrides),
                 version.language)


# --- Sending ------------------------------------------------------------------------------------


def send_proposal(proposal: Proposal, by: User | None) -> Delivery:
    """Email the latest version's PDF and public link to the lead; the lead is "proposal sent"."""
    version = proposal.latest_version()
    if version is None:
        raise ProposalError(_("There is no version to send yet."))
    if proposal.is_final:
        raise ProposalError(_("This proposal is already accepted."))
    document = pdf.pdf_for(proposal, version)
    with transaction.atomic():
        locked = Proposal.objects.select_for_update(of=("self",)).select_related(
            "lead__brief", "organisation").get(pk=proposal.pk)
        now = timezone.now()
        locked.status = ProposalStatus.SENT
        locked.sent_version = version
        locked.sent_at = now
        locked.token_expires_at = now + timedelta(days=LINK_DAYS)
        locked.save(update_fields=[
            "status", "sent_version", "sent_at", "token_expires_at", "updated_at"])
        delivery = _email_proposal(locked, version, document)
        record(locked.organisation_id, "proposal.sent", target=locked, actor=by, changes={"version": version.number})
        change_lead_status(locked.lead, LeadStatus.PROPOSAL_SENT, by)
        _lead_note(locked.lead, by, _("Proposal v%(n)s sent to %(email)s.") % {
            "n": version.number, "email": locked.lead.brief.email})
    proposal.refresh_from_db()
    return delivery


def _email_proposal(proposal: Proposal, version: ProposalVersion, document: bytes) -> Delivery:
    org = proposal.organisation
    with translation.override(proposal.language):
        context = {"proposal": proposal, "org": org, "lead": proposal.lead,
                   "version": version, "url": proposal.public_url(), "days": LINK_DAYS}
        subject = _("Commercial proposal from %(agency)s") % {"agency": org.name}
        body = render_to_string("proposals/email/proposal.txt", context)
        html = render_to_string("proposals/email/proposal.html", context)
    return queue_email(
        organisation=org, kind="proposal", to=[proposal.lead.brief.email], subject=subject,
        body=body, html_body=html, reply_to=[org.contact_email] if org.contact_email else [],
        attachments=[(pdf.filename(proposal, version), document, "application/pdf")],
    )


def _lead_note(lead: Lead, by: User | None, text: str) -> None:
    LeadEvent.objects.create(lead=lead, author=by, kind=LeadEvent.Kind.NOTE, text=text)


def _notify_agency(proposal: Proposal, subject: str, body: str) -> None:
    recipients = proposal.organisation.lead_recipients()
    if recipients:
        queue_email(organisation=proposal.organisation, kind="proposal_reply", to=recipients,
                    subject=subject, body=body, reply_to=[proposal.lead.brief.email])


# --- The lead's answer --------------------------------------------------------------------------


def accept_proposal(proposal: Proposal) -> Workspace:
    """The lead accepts the version it was sent: a client workspace with the forecast as its
    targets, the lead won. A second acceptance changes nothing and returns the same workspace."""
    with transaction.atomic():
        locked = Proposal.objects.select_for_update(of=("self",)).select_related(
            "lead", "sent_version", "organisation").get(pk=proposal.pk)
        if locked.status == ProposalStatus.ACCEPTED:
            assert locked.lead.workspace is not None  # accepting made it
            return locked.lead.workspace
        version = locked.sent_version
        if locked.status != ProposalStatus.SENT or version is None:
            raise ProposalError(_("This proposal is not waiting for an answer."))
        workspace = convert_lead(locked.lead, None)
        store_targets(locked, workspace, MediaPlan.from_dict(version.plan))
        locked.status = ProposalStatus.ACCEPTED
        locked.accepted_version = version
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["status", "accepted_version", "accepted_at", "updated_at"])
        with translation.override(settings.LANGUAGE_CODE):
            text = _("The client accepted proposal v%(n)s.") % {"n": version.number}
            _lead_note(locked.lead, None, text)
            _notify_agency(locked, f"{text} {locked.lead.title}",
                           f"{text}\n{settings.SITE_URL}/leads/{locked.lead.pk}/")
            emit("proposal.accepted", organisation=locked.organisation_id, workspace=workspace,
                 title=f"{text} {locked.lead.title}", url=f"/leads/{locked.lead.pk}/",
                 dedupe_key=f"proposal:{locked.pk}",
                 payload={"proposal": str(locked.pk), "lead": str(locked.lead.pk),
                          "version": version.number})
    proposal.refresh_from_db()
    return workspace


_TARGET_FIELDS = [m.value for m in TargetMetric]


def store_targets(proposal: Proposal, workspace: Workspace, media: MediaPlan) -> int:
    """One target per forecast month and metric, with its confidence band; a later proposal
    for the workspace replaces the months it covers."""
    rows = [
        WorkspaceTarget(
            organisation=proposal.organisation, workspace=workspace, proposal=proposal,
            month=month.month, metric=metric, value=Decimal(getattr(month.figures, metric)),
            low=_band_value(month.low, metric), high=_band_value(month.high, metric),
        )
        for month in media.forecast if month.month is not None
        for metric in _TARGET_FIELDS
    ]
    WorkspaceTarget.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["workspace", "month", "metric"],
        update_fields=["value", "low", "high", "proposal"],
    )
    return len(rows)


def _band_value(figures: Figures | None, metric: str) -> Decimal | None:
    return None if figures is None else Decimal(getattr(figures, metric))


def request_changes(proposal: Proposal, comment: str) -> bool:
    """The lead wants changes: the comment goes to the lead's history, the lead is back in
    work. False when the proposal is not waiting for an answer (nothing is stored)."""
    with transaction.atomic():
        locked = Proposal.objects.select_for_update(of=("self",)).select_related(
            "lead", "sent_version").get(pk=proposal.pk)
        if locked.status != ProposalStatus.SENT or locked.sent_version is None:
            return False
        locked.status = ProposalStatus.CHANGES_REQUESTED
        locked.save(update_fields=["status", "updated_at"])
        change_lead_status(locked.lead, LeadStatus.IN_WORK, None)
        with translation.override(settings.LANGUAGE_CODE):
            text = _("The client asked for changes to proposal v%(n)s:") % {
                "n": locked.sent_version.number}
            _lead_note(locked.lead, None, f"{text}\n{comment}")
            _notify_agency(locked, f"{text[:-1]} — {locked.lead.title}",
                           f"{text}\n\n{comment}\n\n{settings.SITE_URL}/leads/{locked.lead.pk}/")
    proposal.refresh_from_db()
    return True
