"""Writes that span models: a brief arriving, a lead moving, a lead becoming a client."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kosmmos.accounts.models import Organisation, User, Workspace
from kosmmos.audit.log import record as audit
from kosmmos.briefs import consent
from kosmmos.briefs.models import Brief, Lead, LeadEvent, LeadStatus
from kosmmos.briefs.signals import brief_received
from kosmmos.lib.events import emit
from kosmmos.lib.mailing import send_email


@transaction.atomic
def submit_brief(
    organisation: Organisation, data: dict[str, Any], *, ip: str | None, user_agent: str,
    language: str,
) -> Lead:
    """Store the brief with the consent text version it was agreed under (``consent_version``
    in ``data``: the one the form showed), open a lead, queue the email to the agency and announce the brief
    (``brief_received``: proposals queues its draft) — all or nothing."""
    fields = {k: v for k, v in data.items() if k in {f.name for f in Brief._meta.fields}
              and k not in {"consent_text", "consented_at"}}
    fields["networks"] = list(data["networks"])
    fields["goals"] = list(data["goals"])
    text = consent.agreed(organisation, data.get("consent_version"))
    brief = Brief.objects.create(
        organisation=organisation, ip=ip, user_agent=user_agent[:400], language=language,
        consent_policy_url=text.policy_url, consent_text=text, consented_at=timezone.now(),
        **fields,
    )
    lead = Lead.objects.create(
        organisation=organisation, brief=brief,
        title=(brief.company or brief.contact_name)[:200],
    )
    LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.CREATED)
    notify_new_lead(lead)
    with translation.override(settings.LANGUAGE_CODE):
        title = _("New brief: %(title)s") % {"title": lead.title}
    emit("lead.created", organisation=organisation, title=title, url=f"/leads/{lead.pk}/",
         dedupe_key=f"lead:{lead.pk}", payload={"lead": str(lead.pk)})
    brief_received.send(sender=Lead, lead=lead)
    return lead


def notify_new_lead(lead: Lead) -> None:
    recipients = lead.organisation.lead_recipients()
    if not recipients:
        return
    # Agency staff read Russian first; the brief itself is shown as the client typed it.
    with translation.override(settings.LANGUAGE_CODE):
        context = {"lead": lead, "brief": lead.brief, "url": f"{settings.SITE_URL}/leads/{lead.pk}/"}
        subject = _("New brief: %(title)s") % {"title": lead.title}
        body = render_to_string("briefs/email/new_lead.txt", context)
    send_email(
        organisation_id=lead.organisation_id, kind="new_lead", to=recipients, subject=subject,
        body=body, reply_to=[lead.brief.email],
    )


@transaction.atomic
def change_lead_status(lead: Lead, status: str, by: User | None) -> bool:
    if lead.status == status:
        return False
    old, was = lead.get_status_display(), lead.status
    lead.status = status
    lead.save(update_fields=["status", "updated_at"])
    audit(lead.organisation_id, "lead.status_changed", target=lead, actor=by,
          changes={"status": [was, status]})
    LeadEvent.objects.create(
        lead=lead, author=by, kind=LeadEvent.Kind.STATUS,
        text=f"{old} → {lead.get_status_display()}",
    )
    return True


@transaction.atomic
def assign_lead(lead: Lead, assignee: User | None, by: User) -> None:
    lead.assignee = assignee
    lead.save(update_fields=["assignee", "updated_at"])
    LeadEvent.objects.create(
        lead=lead, author=by, kind=LeadEvent.Kind.ASSIGN,
        text=str(assignee) if assignee else _("Nobody"),
    )


def add_lead_note(lead: Lead, text: str, by: User) -> LeadEvent:
    return LeadEvent.objects.create(lead=lead, author=by, kind=LeadEvent.Kind.NOTE, text=text)


@transaction.atomic
def convert_lead(lead: Lead, by: User | None) -> Workspace:
    """Make the lead a client workspace (once); the lead is then won."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if locked.workspace is not None:
        return locked.workspace
    brief = locked.brief
    workspace = Workspace.objects.create(
        organisation=locked.organisation,
        name=locked.title,
        website=brief.website,
        description=brief.kpis,
    )
    locked.workspace = workspace
    locked.status = LeadStatus.WON
    locked.save(update_fields=["workspace", "status", "updated_at"])
    LeadEvent.objects.create(
        lead=locked, author=by, kind=LeadEvent.Kind.CONVERTED, text=workspace.name
    )
    return workspace
