"""The ORD pages: the status page with its calendar, parties, contracts and clients' links, a
month's report (statistics, acts, export), the call log. Owners and managers only; every object
is looked up within the visitor's organisation (another's is a 404)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TypeVar

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import current_membership, current_user, staff_required
from kosmmos.accounts.models import Organisation
from kosmmos.ord import actions, export
from kosmmos.ord.forms import (
    AccountForm,
    ContractForm,
    InvoiceForm,
    LinkForm,
    MonthForm,
    PartyForm,
    ShowsForm,
)
from kosmmos.ord.models import (
    Account,
    Call,
    Contract,
    Creative,
    ErirStatus,
    Invoice,
    Job,
    JobStatus,
    Link,
    Party,
    Report,
    Statistic,
)

M = TypeVar("M", bound=models.Model)


def get_for_user(request: HttpRequest, model: type[M], pk: uuid.UUID) -> M:
    """An ORD object of the visitor's current organisation, else 404."""
    found = model._default_manager.filter(
        pk=pk, organisation=current_membership(request).organisation).first()
    if found is None:
        raise Http404
    return found


def _org(request: HttpRequest) -> Organisation:
    return current_membership(request).organisation


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    creatives = (Creative.objects.filter(organisation=org).select_related("post", "workspace")
                 .order_by("-created_at")[:50])
    problems = Job.objects.filter(organisation=org, status=JobStatus.FAILED).order_by(
        "-updated_at")[:50]
    rejected = {label: model.objects.filter(organisation=org, erir_status=ErirStatus.BAD)
                for label, model in ((_("Parties"), Party), (_("Contracts"), Contract),
                                     (_("Acts"), Invoice))}
    return render(request, "ord/home.html", {
        "account": Account.objects.filter(organisation=org).first(),
        "reports": Report.objects.filter(organisation=org)[:24],
        "creatives": creatives, "problems": problems, "rejected": rejected,
        "today": timezone.localdate(),
        "month_form": MonthForm(initial={"month": timezone.localdate().replace(day=1)}),
        "pending": Job.objects.filter(organisation=org, status__in=[
            JobStatus.PENDING, JobStatus.QUEUED, JobStatus.SENDING]).exclude(
            kind=Job.Kind.STATUS).count(),
    })


@staff_required
def settings_view(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    account = Account.objects.filter(organisation=org).first() or Account(organisation=org)
    form = AccountForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The ORD key is saved."))
        return redirect("ord:home")
    return render(request, "ord/settings.html", {"form": form, "account": account})


@staff_required
def parties(request: HttpRequest) -> HttpResponse:
    return render(request, "ord/parties.html", {
        "parties": Party.objects.filter(organisation=_org(request))})


@staff_required
def party_edit(request: HttpRequest, ord_party_id: uuid.UUID | None = None) -> HttpResponse:
    org = _org(request)
    party = get_for_user(request, Party, ord_party_id) if ord_party_id else None
    form = PartyForm(request.POST or None, instance=party, organisation=org)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("ord:parties")
    return render(request, "ord/form.html", {
        "form": form, "title": party.name if party else _("New party"),
        "back": "ord:parties"})


@staff_required
def contracts(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = LinkForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.link_workspace(data["workspace"], data["contract"], data["kktu"], data["form"])
        messages.success(request, _("The client's ads will be registered under this contract."))
        return redirect("ord:contracts")
    return render(request, "ord/contracts.html", {
        "contracts": Contract.objects.filter(organisation=org).select_related(
            "client", "contractor"),
        "links": Link.objects.filter(organisation=org).select_related("workspace", "contract"),
        "form": form})


@staff_required
def contract_edit(request: HttpRequest, ord_contract_id: uuid.UUID | None = None) -> HttpResponse:
    org = _org(request)
    contract = get_for_user(request, Contract, ord_contract_id) if ord_contract_id else None
    form = ContractForm(request.POST or None, instance=contract, organisation=org)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("ord:contracts")
    return render(request, "ord/form.html", {
        "form": form, "title": str(contract) if contract else _("New contract"),
        "back": "ord:contracts"})


@require_POST
@staff_required
def close_month(request: HttpRequest) -> HttpResponse:
    form = MonthForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a month."))
        return redirect("ord:home")
    month: date = form.cleaned_data["month"]
    if month > timezone.localdate():
        messages.error(request, _("That month has not started yet."))
        return redirect("ord:home")
    report = actions.close_month(_org(request), month, by=current_user(request))
    return redirect("ord:report", ord_report_id=report.pk)


@staff_required
def report(request: HttpRequest, ord_report_id: uuid.UUID) -> HttpResponse:
    found = get_for_user(request, Report, ord_report_id)
    rows = Statistic.objects.filter(report=found).select_related(
        "creative", "creative__post", "creative__workspace", "pad").order_by("date_start")
    invoices = Invoice.objects.filter(report=found).select_related("contract")
    return render(request, "ord/report.html", {
        "report": found, "rows": rows, "invoices": invoices,
        "missing": sum(1 for r in rows if r.shows is None),
        "job": Job.objects.filter(kind=Job.Kind.REPORT, ref=found.pk).first(),
    })


@require_POST
@staff_required
def report_send(request: HttpRequest, ord_report_id: uuid.UUID) -> HttpResponse:
    found = get_for_user(request, Report, ord_report_id)
    if Statistic.objects.filter(report=found, shows__isnull=True).exists():
        messages.error(request, _("Enter the impressions of every placement first."))
    else:
        actions.send_report(found, by=current_user(request))
        messages.success(request, _("The month's statistics are being sent to the ORD."))
    return redirect("ord:report", ord_report_id=found.pk)


@require_POST
@staff_required
def row_shows(request: HttpRequest, ord_row_id: uuid.UUID) -> HttpResponse:
    row = get_for_user(request, Statistic, ord_row_id)
    form = ShowsForm(request.POST)
    if form.is_valid():
        actions.enter_shows(row, form.cleaned_data["shows"], by=current_user(request))
    else:
        messages.error(request, _("Impressions are a whole number, 0 or more."))
    return redirect("ord:report", ord_report_id=row.report_id)


@require_POST
@staff_required
def invoice_confirm(request: HttpRequest, ord_invoice_id: uuid.UUID) -> HttpResponse:
    invoice = get_for_user(request, Invoice, ord_invoice_id)
    form = InvoiceForm(request.POST, instance=Invoice.objects.get(pk=invoice.pk),
                       prefix=str(invoice.pk))
    if invoice.status == Invoice.Status.SENT:
        messages.error(request, _("This act was sent already."))
    elif form.is_valid():
        data = form.cleaned_data
        actions.confirm_invoice(invoice, number=data["number"], day=data["date"],
                                amount=data["amount"], by=current_user(request))
        messages.success(request, _("The act is confirmed and being sent to the ORD."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values()
                                         for e in errors))
    return redirect("ord:report", ord_report_id=invoice.report_id)


@staff_required
def report_export(request: HttpRequest, ord_report_id: uuid.UUID, kind: str) -> HttpResponse:
    found = get_for_user(request, Report, ord_report_id)
    name = f"ord-{found.month:%Y-%m}"
    if kind == "xlsx":
        response = HttpResponse(export.as_xlsx(found.organisation, found.month), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    elif kind == "csv":
        response = HttpResponse(export.as_csv(found.organisation, found.month),
                                content_type="text/csv; charset=utf-8")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


@require_POST
@staff_required
def job_retry(request: HttpRequest, ord_job_id: uuid.UUID) -> HttpResponse:
    job = get_for_user(request, Job, ord_job_id)
    with transaction.atomic():
        if actions.retry(job):
            messages.success(request, _("Queued to be sent again."))
    return redirect("ord:home")


@staff_required
def calls(request: HttpRequest) -> HttpResponse:
    page = Paginator(Call.objects.filter(organisation=_org(request)), 50).get_page(
        request.GET.get("page"))
    return render(request, "ord/calls.html", {"page": page})


