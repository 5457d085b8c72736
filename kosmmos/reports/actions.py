"""Writes on reports: drafting on the schedule, versions, commentary, sending, the link.

Each is atomic and decides who won with a conditional update: two tickers, two workers or a
double click find the one row in the state they expected, or do nothing.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from email.utils import formataddr, parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kosmmos.accounts.models import Organisation, User, Workspace
from kosmmos.lib.events import emit
from kosmmos.lib.ids import token
from kosmmos.lib.mailing import send_email
from kosmmos.reports import document, figures, pdf
from kosmmos.reports.models import (
    DEFAULT_SECTIONS,
    FIGURE_SECTIONS,
    LINK_DAYS,
    Cadence,
    Report,
    ReportSettings,
    ReportStatus,
    ReportTemplate,
    ReportVersion,
)

log = logging.getLogger(__name__)


class ReportError(Exception):
    """A refused action, with the reason a person can read."""


def template_for(workspace: Workspace, *, create: bool = True) -> ReportTemplate:
    """The workspace's template, made with the defaults on first use (``create=False``: the
    defaults unsaved, for a page that only shows them)."""
    defaults = {"organisation_id": workspace.organisation_id, "sections": list(DEFAULT_SECTIONS)}
    if not create:
        return ReportTemplate.objects.filter(workspace=workspace).first() or \
            ReportTemplate(workspace=workspace, **defaults)
    found, _created = ReportTemplate.objects.get_or_create(workspace=workspace, defaults=defaults)
    return found


def previous_period(cadence: str, today: date) -> tuple[date, date]:
    """The last whole month (or Monday–Sunday week) before ``today``."""
    if cadence == Cadence.WEEKLY:
        monday = today - timedelta(days=today.weekday() + 7)
        return monday, monday + timedelta(days=6)
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _local_today(organisation: Organisation, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(ZoneInfo(organisation.timezone)).date()


def draft_reports(organisation: Organisation, start: date, end: date) -> int:
    """One pending report per workspace for the period; the unique key makes a second call (or
    a second ticker) add nothing. Returns how many rows this call created."""
    made = 0
    for workspace in organisation.workspaces.all():
        template = template_for(workspace)
        try:
            with transaction.atomic():
                _report, created = Report.objects.get_or_create(
                    workspace=workspace, template=template, period_start=start, period_end=end,
                    defaults={"organisation": organisation, "next_attempt_at": timezone.now()})
        except IntegrityError:  # another process made it between our read and our insert
            created = False
        made += created
    return made


def dispatch_schedules(now: datetime | None = None) -> int:
    """The ticker's step: each organisation whose run is due drafts its reports. The run is
    claimed by moving ``next_run_at`` on with a conditional update, so it happens once."""
    now = now or timezone.now()
    made = 0
    for prefs in ReportSettings.objects.filter(enabled=True, next_run_at__isnull=True):
        ReportSettings.objects.filter(pk=prefs.pk, next_run_at__isnull=True).update(
            next_run_at=prefs.schedule_next(now))
    for prefs in (ReportSettings.objects.filter(enabled=True, next_run_at__lte=now)
                  .select_related("organisation")):
        due = prefs.next_run_at
        if not ReportSettings.objects.filter(pk=prefs.pk, next_run_at=due).update(
                next_run_at=prefs.schedule_next(now)):
            continue  # another ticker took this run
        start, end = previous_period(prefs.cadence, _local_today(prefs.organisation, now))
        made += draft_reports(prefs.organisation, start, end)
    return made


def request_draft(workspace: Workspace, start: date, end: date) -> tuple[Report, bool]:
    """A draft asked for by hand or through the API: the period's one report (made if new)."""
    if start > end:
        raise ReportError(_("The period starts after it ends."))
    template = template_for(workspace)
    try:
        with transaction.atomic():
            return Report.objects.get_or_create(
                workspace=workspace, template=template, period_start=start, period_end=end,
                defaults={"organisation_id": workspace.organisation_id})
    except IntegrityError:
        return Report.objects.get(workspace=workspace, template=template, period_start=start,
                                  period_end=end), False


def build_version(report: Report, user: User | None = None) -> ReportVersion:
    """A new version with the period's figures now; the manager's text carries over from the
    last version (or the template's starting text)."""
    template = report.template
    sections = template.section_list()
    data = figures.collect(report.workspace, report.period_start, report.period_end,
                           [s for s in sections if s in FIGURE_SECTIONS])
    previous = report.versions.order_by("-number").first()
    source: Any = previous or template
    with transaction.atomic():
        number = (report.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = ReportVersion.objects.create(
            report=report, number=number, sections=sections, language=template.language,
            figures=data, summary=source.summary, done=source.done, next=source.next,
            created_by=user)
        Report.objects.filter(pk=report.pk).update(version=version)
    report.version = version
    return version


def render_draft(report: Report) -> None:
    """The job's work: a version, its PDF, then rendering → draft, or rendering → sent at once
    when the agency chose to send without review. Either is one conditional update: a worker
    that dies before it leaves the row rendering (the sweep hands it back and it is drawn
    again), never a draft that nobody is left to send."""
    version = build_version(report)
    data = pdf.pdf_for(report, version)
    auto_send = document.settings_for(report.organisation).auto_send
    with transaction.atomic():
        if auto_send:
            if not _deliver(report, version, data, None, ReportStatus.RENDERING):
                return  # the lease ran out and the row went back: the other run finishes it
        elif not Report.objects.filter(pk=report.pk, status=ReportStatus.RENDERING).update(
                status=ReportStatus.DRAFT, lease_until=None, last_error=""):
            return
        emit("report.ready", organisation=report.organisation, workspace=report.workspace,
             title=_("Report ready: %(workspace)s, %(period)s") % {
                 "workspace": report.workspace.name,
                 "period": document.period_label(*report.period)},
             url=reverse("reports:detail", args=[report.pk]),
             dedupe_key=f"report.ready:{report.pk}", payload={"report": str(report.pk)})


def regenerate(report: Report, user: User | None) -> ReportVersion:
    """A new version of a draft with fresh figures; a sent report is frozen."""
    if report.status != ReportStatus.DRAFT:
        raise ReportError(_("Only a draft can be regenerated; a sent report is frozen."))
    return build_version(report, user)


def update_text(report: Report, *, summary: str, done: str, next_: str) -> None:
    """The manager's commentary on the current version of a draft (its PDF is drawn again)."""
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.status != ReportStatus.DRAFT or locked.version_id is None:
            raise ReportError(_("Only a draft can be edited; a sent report is frozen."))
        ReportVersion.objects.filter(pk=locked.version_id).update(
            summary=summary, done=done, next=next_, pdf=None)


def sender(organisation: Organisation) -> str:
    """The agency's name before the server's own address."""
    prefs = document.settings_for(organisation)
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((prefs.sender_name or organisation.name, address))


def send_report(report: Report, user: User | None) -> bool:
    """Email the current version with its PDF to the client contacts and open it in their
    portal; False when the report is not a draft any more (sent already, by someone else)."""
    version = report.version
    if version is None:
        raise ReportError(_("The report has no version yet."))
    data = pdf.pdf_for(report, version)  # drawn before the claim: no lock held while drawing
    return _deliver(report, version, data, user, ReportStatus.DRAFT)


def _deliver(report: Report, version: ReportVersion, data: bytes, user: User | None,
             from_status: str) -> bool:
    """``from_status`` → sent for this version, and in the same transaction the email with the
    PDF queued and ``report.sent`` emitted; False when another run or person moved it first."""
    organisation = report.organisation
    prefs = document.settings_for(organisation)
    recipients = report.template.recipients()
    now = timezone.now()
    with transaction.atomic():
        if not Report.objects.filter(pk=report.pk, status=from_status,
                                     version=version).update(
                status=ReportStatus.SENT, sent_at=now, sent_by=user, lease_until=None,
                last_error="", token_expires_at=now + timedelta(days=LINK_DAYS)):
            return False
        report.refresh_from_db()
        with translation.override(version.language):
            period = document.period_label(*report.period)
            subject = _("Report for %(period)s — %(workspace)s") % {
                "period": period, "workspace": report.workspace.name}
            context = {"report": report, "period": period, "brand": document.branding(organisation),
                       "workspace": report.workspace, "days": LINK_DAYS}
            body = render_to_string("reports/email/report.txt", context)
            html = render_to_string("reports/email/report.html", context)
        if recipients:
            send_email(to=recipients, subject=subject, body=body, html_body=html, kind="report",
                       organisation_id=organisation.pk, from_email=sender(organisation),
                       reply_to=[prefs.reply_to] if prefs.reply_to else [],
                       attachments=[(pdf.filename(report, version), data, "application/pdf")])
        emit("report.sent", organisation=organisation, workspace=report.workspace,
             title=subject, url=reverse("reports:detail", args=[report.pk]),
             dedupe_key=f"report.sent:{report.pk}", payload={"report": str(report.pk),
                                                             "recipients": len(recipients)})
    return True


def revoke_link(report: Report) -> None:
    """The emailed link stops working at once (a new token, already expired)."""
    Report.objects.filter(pk=report.pk).update(token=token(), token_expires_at=timezone.now())


def renew_link(report: Report) -> None:
    """A fresh link for another 30 days (the old one stops working)."""
    Report.objects.filter(pk=report.pk).update(
        token=token(), token_expires_at=timezone.now() + timedelta(days=LINK_DAYS))
