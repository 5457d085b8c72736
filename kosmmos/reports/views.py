"""Report pages. Agency roles see every report of their organisation and act on drafts; a
client user sees the sent reports of their own workspaces and nothing else, on pages that carry
the agency's name, not the product's. The emailed link opens a sent report without an account
for 30 days unless the agency revokes it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import (
    current_membership,
    current_user,
    get_workspace_for_user,
    member_required,
    membership_in,
    require_role,
    staff_required,
)
from kosmmos.accounts.models import STAFF_ROLES, Membership
from kosmmos.reports import actions, document, pdf
from kosmmos.reports.access import visible_reports
from kosmmos.reports.dispatch import drafts
from kosmmos.reports.forms import CommentaryForm, DraftForm, SettingsForm, TemplateForm
from kosmmos.reports.models import Report, ReportStatus, ReportVersion


def get_report_for_user(request: HttpRequest, report_id: uuid.UUID, *,
                        write: bool = False) -> tuple[Report, Membership]:
    report = Report.objects.select_related("organisation", "workspace", "template",
                                           "version").filter(pk=report_id).first()
    if report is None:
        raise Http404
    membership = membership_in(request, report.organisation_id)
    if not visible_reports(membership).filter(pk=report.pk).exists():
        raise Http404
    if write:
        require_role(membership, STAFF_ROLES)
    return report, membership


def _page(request: HttpRequest, membership: Membership, name: str, context: dict[str, Any],
          status: int = 200) -> HttpResponse:
    """Clients get the agency-branded layout (no product name); the agency its usual one."""
    base = "base.html" if membership.is_agency else "reports/client_base.html"
    org = membership.organisation
    return render(request, name, {"base": base, "org": org,
                                  "brand": document.branding(org), **context}, status=status)


@member_required
def report_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    reports = visible_reports(membership)
    chosen = request.GET.get("workspace", "")
    if chosen:
        reports = reports.filter(workspace_id__in=[
            w.pk for w in membership.visible_workspaces() if str(w.pk) == chosen])
    form = DraftForm(workspaces=list(membership.visible_workspaces())) \
        if membership.is_staff_role else None
    return _page(request, membership, "reports/list.html", {
        "reports": reports[:200], "form": form, "workspaces": membership.visible_workspaces(),
        "chosen": chosen})


@staff_required
@require_POST
def report_draft(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    form = DraftForm(request.POST, workspaces=list(membership.visible_workspaces()))
    if not form.is_valid():
        return _page(request, membership, "reports/list.html", {
            "reports": visible_reports(membership)[:200], "form": form,
            "workspaces": membership.visible_workspaces(), "chosen": ""}, status=400)
    start, end = form.cleaned_data["month"]
    report, created = actions.request_draft(form.cleaned_data["workspace"], start, end)
    if created:
        drafts.kick(report.pk)
        messages.success(request, _("The draft is being prepared."))
    else:
        messages.info(request, _("This period's report exists already."))
    return redirect("reports:detail", report_id=report.pk)


def _version(report: Report, number: str | None, membership: Membership) -> ReportVersion | None:
    if number and membership.is_agency and number.isdigit() and len(number) < 6:
        return report.versions.filter(number=int(number)).first() or report.version
    return report.version


@member_required
def report_detail(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    report, membership = get_report_for_user(request, report_id)
    version = _version(report, request.GET.get("version"), membership)
    form = None
    if membership.is_staff_role and report.status == ReportStatus.DRAFT and report.version:
        form = CommentaryForm(initial={"summary": report.version.summary,
                                       "done": report.version.done, "next": report.version.next})
    return _page(request, membership, "reports/detail.html", {
        "report": report, "version": version, "form": form,
        "versions": report.versions.order_by("-number") if membership.is_agency else [],
        "fragment": document.render_fragment(report, version) if version else "",
        "doc_style": document.style(document.branding(report.organisation)),
        "can_edit": membership.is_staff_role})


@member_required
def report_pdf(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    report, membership = get_report_for_user(request, report_id)
    version = _version(report, request.GET.get("version"), membership)
    if version is None:
        raise Http404
    return _pdf_response(report, version)


def _pdf_response(report: Report, version: ReportVersion) -> HttpResponse:
    response = HttpResponse(pdf.pdf_for(report, version), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf.filename(report, version)}"'
    return response


@staff_required
@require_POST
def report_text(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    report, _membership = get_report_for_user(request, report_id, write=True)
    form = CommentaryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The text was not saved: %(errors)s") % {
            "errors": "; ".join(str(e) for errors in form.errors.values() for e in errors)})
        return redirect("reports:detail", report_id=report.pk)
    try:
        actions.update_text(report, summary=form.cleaned_data["summary"],
                            done=form.cleaned_data["done"], next_=form.cleaned_data["next"])
    except actions.ReportError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The commentary is saved."))
    return redirect("reports:detail", report_id=report.pk)


@staff_required
@require_POST
def report_send(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    report, _membership = get_report_for_user(request, report_id, write=True)
    try:
        sent = actions.send_report(report, current_user(request))
    except actions.ReportError as error:
        messages.error(request, str(error))
    else:
        if sent and not report.template.recipients():
            messages.warning(request, _("Nobody to email: the client has no users and the "
                                        "template no extra addresses. The report is in the "
                                        "archive and its link works."))
        elif sent:
            messages.success(request, _("The report is sent to the client."))
        else:
            messages.info(request, _("The report was sent already."))
    return redirect("reports:detail", report_id=report.pk)


@staff_required
@require_POST
def report_regenerate(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    report, _membership = get_report_for_user(request, report_id, write=True)
    try:
        version = actions.regenerate(report, current_user(request))
    except actions.ReportError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Version %(n)s is made with today's figures.") % {
            "n": version.number})
    return redirect("reports:detail", report_id=report.pk)


@staff_required
@require_POST
def report_retry(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    """A report whose drafting failed goes back to the queue, its error cleared."""
    report, _membership = get_report_for_user(request, report_id, write=True)
    if drafts.retry_failed(report.pk, ReportStatus.FAILED):
        messages.success(request, _("The draft is being prepared."))
    return redirect("reports:detail", report_id=report.pk)


@staff_required
@require_POST
def report_link(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    report, _membership = get_report_for_user(request, report_id, write=True)
    if request.POST.get("action") == "renew":
        actions.renew_link(report)
        messages.success(request, _("A new link works for 30 days; the old one is off."))
    else:
        actions.revoke_link(report)
        messages.success(request, _("The link is revoked."))
    return redirect("reports:detail", report_id=report.pk)


@staff_required
def report_settings(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    prefs = document.settings_for(membership.organisation)
    form = SettingsForm(request.POST or None, instance=prefs)
    if request.method == "POST":
        if form.is_valid():
            saved = form.save(commit=False)
            saved.next_run_at = saved.schedule_next() if saved.enabled else None
            saved.save()
            messages.success(request, _("Report settings saved."))
            return redirect("reports:settings")
        return _page(request, membership, "reports/settings.html", {"form": form}, status=400)
    return _page(request, membership, "reports/settings.html", {"form": form})


@staff_required
def workspace_template(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_workspace_for_user(request, workspace_id, write=True)
    template = actions.template_for(workspace, create=request.method == "POST")
    form = TemplateForm(request.POST or None, instance=template)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("The report template is saved."))
            return redirect("reports:template", workspace_id=workspace.pk)
        return _page(request, membership, "reports/template.html",
                     {"form": form, "workspace": workspace}, status=400)
    return _page(request, membership, "reports/template.html",
                 {"form": form, "workspace": workspace})


# --- The emailed link ------------------------------------------------------------------------------


def get_public_report(token: str) -> Report:
    """A sent report behind a live link; anything else is a 404 (revoked, expired, unknown)."""
    report = (Report.objects.select_related("organisation", "workspace", "version")
              .filter(token=token, status=ReportStatus.SENT, version__isnull=False).first())
    if report is None or report.link_expired:
        raise Http404
    return report


def public_report(request: HttpRequest, token: str) -> HttpResponse:
    report = get_public_report(token)
    assert report.version is not None
    brand = document.branding(report.organisation)
    return render(request, "reports/public.html", {
        "report": report, "org": report.organisation, "brand": brand, "token": report.token,
        "fragment": document.render_fragment(report, report.version),
        "doc_style": document.style(brand)})


def public_pdf(request: HttpRequest, token: str) -> HttpResponse:
    report = get_public_report(token)
    assert report.version is not None
    return _pdf_response(report, report.version)
