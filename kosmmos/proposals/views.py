"""Proposal pages for the agency, the editor, the benchmark settings and the lead's public view.

Agency pages go through ``get_proposal_for_user``: another organisation's proposal is a 404, a
client member gets a 404 too (proposals are agency-only), analysts read, owners and managers
write. The public pages are reached only with the emailed token.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import (
    agency_required,
    current_membership,
    current_user,
    membership_in,
    require_role,
    staff_required,
)
from kosmmos.accounts.models import STAFF_ROLES, Membership, Role
from kosmmos.briefs.choices import Niche
from kosmmos.briefs.views import get_lead_for_user
from kosmmos.lib.htmx import is_htmx
from kosmmos.proposals import actions, document, editor
from kosmmos.proposals import benchmarks as org_benchmarks
from kosmmos.proposals.forms import ChangesForm, ProposalPrefsForm
from kosmmos.proposals.models import Proposal, ProposalStatus, ProposalVersion
from kosmmos.proposals.pdf import filename, pdf_for
from kosmmos.proposals.planning import Benchmarks, PlanError


def get_proposal_for_user(
    request: HttpRequest, proposal_id: uuid.UUID, *, write: bool = False
) -> tuple[Proposal, Membership]:
    """A proposal of one of the user's organisations; agency roles only (clients get 404)."""
    proposal = (
        Proposal.objects.select_related("lead__brief", "organisation", "sent_version")
        .filter(pk=proposal_id).first()
    )
    if proposal is None:
        raise Http404
    membership = membership_in(request, proposal.organisation_id)
    if membership.role == Role.CLIENT:
        raise PermissionDenied  # the page exists; not for this role
    if write:
        require_role(membership, STAFF_ROLES)
    return proposal, membership


def _version(proposal: Proposal, number: str | None) -> ProposalVersion | None:
    versions = proposal.versions.all()
    if number and number.isdigit():
        found = versions.filter(number=int(number)).first()
        if found is None:
            raise Http404
        return found
    return versions.order_by("-number").first()


def _document(proposal: Proposal, version: ProposalVersion | None) -> dict[str, Any]:
    if version is None:
        return {"fragment": "", "doc_style": ""}
    style = render_to_string("proposals/_document_style.html",
                             {"brand": proposal.organisation.brand_color})
    return {"fragment": document.render_fragment(proposal, version),
            "doc_style": SafeString(style)}


# --- Agency pages -------------------------------------------------------------------------------


@agency_required
def proposal_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    rows = Proposal.objects.filter(organisation=membership.organisation).select_related(
        "lead", "sent_version")
    status = request.GET.get("status", "")
    if status in ProposalStatus.values:
        rows = rows.filter(status=status)
    return render(request, "proposals/list.html", {
        "proposals": rows[:200], "status": status, "statuses": ProposalStatus.choices,
    })


@agency_required
def proposal_detail(request: HttpRequest, proposal_id: uuid.UUID) -> HttpResponse:
    proposal, membership = get_proposal_for_user(request, proposal_id)
    version = _version(proposal, request.GET.get("v"))
    latest = proposal.latest_version()
    return render(request, "proposals/detail.html", {
        "proposal": proposal, "version": version, "latest": latest,
        "versions": proposal.versions.order_by("-number"),
        "can_edit": membership.is_staff_role and not proposal.is_final,
        "unsent": latest is not None and proposal.sent_version_id != latest.pk,
        **_document(proposal, version),
    })


@agency_required
def proposal_pdf(request: HttpRequest, proposal_id: uuid.UUID) -> HttpResponse:
    proposal, _membership = get_proposal_for_user(request, proposal_id)
    version = _version(proposal, request.GET.get("v"))
    if version is None:
        raise Http404
    return _pdf_response(proposal, version)


def _pdf_response(proposal: Proposal, version: ProposalVersion) -> HttpResponse:
    response = HttpResponse(pdf_for(proposal, version), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename(proposal, version)}"'
    return response


@staff_required
def proposal_edit(request: HttpRequest, proposal_id: uuid.UUID) -> HttpResponse:
    proposal, _membership = get_proposal_for_user(request, proposal_id, write=True)
    if proposal.is_final:
        messages.info(request, _("An accepted proposal cannot be changed."))
        return redirect("proposals:detail", proposal_id=proposal.pk)
    table = org_benchmarks.benchmarks_for(proposal.organisation)
    current = actions.current_edits(proposal)
    status = 200
    if request.method == "POST":
        form = editor.EditorForm(request.POST.dict())
        edits = editor.parse(form, current.inputs, table)
        if edits is not None:
            try:
                version = actions.revise_proposal(proposal, edits, current_user(request))
            except PlanError as error:
                form.general.append(error.message)
            else:
                messages.success(request, _("Version %(n)s saved.") % {"n": version.number})
                return _redirect(request, proposal)
        status = 400
    else:
        form = _initial_form(proposal, current)
    context = {
        "proposal": proposal, "form": form, "blocks": editor.rows(form, table,
                                                                  current.inputs.networks),
        "languages": actions.Language.choices, "benchmark_columns": editor.BENCHMARK_COLUMNS,
        "niches": Niche.choices,
    }
    template = "proposals/_editor.html" if is_htmx(request) else "proposals/edit.html"
    return render(request, template, context, status=status)


def _initial_form(proposal: Proposal, current: actions.Edits) -> editor.EditorForm:
    version = proposal.latest_version()
    if version is None:
        return editor.initial(current, current.inputs.networks, {})
    plan = version.plan
    funded = tuple(n["network"] for n in plan["networks"] if n["funded"])
    running: dict[str, tuple[str, ...]] = {}
    for item in plan["activities"]:
        running[item["network"]] = (*running.get(item["network"], ()), item["activity"])
    return editor.initial(current, funded, running)


def _redirect(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    url = f"/proposals/{proposal.pk}/"
    if is_htmx(request):
        # A full page load, so the new version and the message are shown.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@require_POST
@staff_required
def proposal_send(request: HttpRequest, proposal_id: uuid.UUID) -> HttpResponse:
    proposal, _membership = get_proposal_for_user(request, proposal_id, write=True)
    try:
        delivery = actions.send_proposal(proposal, current_user(request))
    except actions.ProposalError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The proposal is queued to %(email)s.") % {
            "email": ", ".join(delivery.to)})
    return redirect("proposals:detail", proposal_id=proposal.pk)


@require_POST
@staff_required
def lead_proposal(request: HttpRequest, lead_id: uuid.UUID) -> HttpResponse:
    """Draft a proposal now for a lead that has none (briefs from before proposals existed)."""
    lead, _membership = get_lead_for_user(request, lead_id, write=True)
    proposal = actions.build_draft(lead)
    return redirect("proposals:detail", proposal_id=proposal.pk)


# --- Benchmark settings -------------------------------------------------------------------------


@agency_required
def benchmark_settings(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    org = membership.organisation
    prefs = org_benchmarks.settings_for(org)
    table = org_benchmarks.benchmarks_for(org)
    data = _table_data(table)
    errors: dict[str, str] = {}
    general: list[str] = []
    prefs_form = ProposalPrefsForm(instance=prefs)
    status = 200
    if request.method == "POST":
        require_role(membership, STAFF_ROLES)
        if request.POST.get("action") == "prefs":
            prefs_form = ProposalPrefsForm(request.POST, request.FILES, instance=prefs)
            if prefs_form.is_valid():
                _save_prefs(prefs_form)
                messages.success(request, _("Proposal settings saved."))
                return redirect("proposals:benchmarks")
        else:
            data = {k: v for k, v in request.POST.dict().items() if k.startswith("r.")}
            parsed = _parse_table(table, data, errors)
            if parsed is not None:
                try:
                    checked = org_benchmarks.apply_rows(
                        org_benchmarks.load_default_benchmarks(), parsed)
                except PlanError as error:
                    general.append(error.message)
                else:
                    org_benchmarks.save_rows(org, checked)
                    messages.success(request, _("Benchmarks saved; the next plans use them."))
                    return redirect("proposals:benchmarks")
        status = 400
    return render(request, "proposals/benchmarks.html", {
        "rows": _table_rows(table, data, errors), "general": general, "prefs": prefs,
        "prefs_form": prefs_form, "can_edit": membership.is_staff_role,
        "fields": org_benchmarks.NUMBER_FIELDS, "custom": bool(prefs.benchmark_rows),
        "version": table.version, "niches": _niche_rows(table),
        "levy_percent": org_benchmarks.number_text(table.costs.ad_levy * 100),
        "levy_source": table.costs.levy_source,
    }, status=status)


def _niche_rows(table: Benchmarks) -> list[dict[str, object]]:
    def pct(value: Decimal) -> str:
        return org_benchmarks.number_text(value * 100)

    return [
        {"item": item, "label": Niche(code).label if code in Niche.values else code,
         "low": pct(item.lead_to_sale_low), "expected": pct(item.lead_to_sale),
         "high": pct(item.lead_to_sale_high)}
        for code, item in table.niches.items()
    ]


def _save_prefs(form: ProposalPrefsForm) -> None:
    prefs = form.save(commit=False)
    fields = ["auto_send"]
    logo = form.cleaned_data.get("logo_file")
    if logo:
        prefs.logo, prefs.logo_mimetype = logo
        fields += ["logo", "logo_mimetype"]
    elif form.cleaned_data.get("remove_logo"):
        prefs.logo, prefs.logo_mimetype = None, ""
        fields += ["logo", "logo_mimetype"]
    prefs.save(update_fields=fields)


def _table_data(table: Benchmarks) -> dict[str, str]:
    data: dict[str, str] = {}
    for row in table.rows:
        for name in org_benchmarks.NUMBER_FIELDS:
            data[f"r.{row.network}.{row.activity}.{name}"] = org_benchmarks.number_text(
                getattr(row, name))
        for name in org_benchmarks.TEXT_FIELDS:
            data[f"r.{row.network}.{row.activity}.{name}"] = getattr(row, name)
    return data


def _parse_table(table: Benchmarks, data: dict[str, str], errors: dict[str, str]) -> \
        dict[str, dict[str, str | None]] | None:
    """Every row as typed, in the stored form; None with ``errors`` when a cell is not a number."""
    from decimal import Decimal, InvalidOperation

    rows: dict[str, dict[str, str | None]] = {}
    for row in table.rows:
        values: dict[str, str | None] = {}
        for name in org_benchmarks.NUMBER_FIELDS:
            key = f"r.{row.network}.{row.activity}.{name}"
            raw = data.get(key, "").strip().replace(",", ".").replace(" ", "")
            if not raw:
                if name in org_benchmarks.OPTIONAL_FIELDS:
                    values[name] = None
                else:
                    errors[key] = _("Required.")
                continue
            try:
                values[name] = str(Decimal(raw))
            except InvalidOperation:
                errors[key] = _("Enter a number.")
        for name in org_benchmarks.TEXT_FIELDS:
            values[name] = data.get(f"r.{row.network}.{row.activity}.{name}", "").strip()[:200]
        rows[org_benchmarks.row_key(row)] = values
    return None if errors else rows


def _table_rows(table: Benchmarks, data: dict[str, str], errors: dict[str, str]) -> \
        list[dict[str, Any]]:
    from kosmmos.briefs.choices import Network
    from kosmmos.proposals.planning import Activity

    out = []
    for row in table.rows:
        prefix = f"r.{row.network}.{row.activity}"
        out.append({
            "network": Network(row.network).label, "activity": Activity(row.activity).label,
            "cells": [{"name": f"{prefix}.{n}", "value": data.get(f"{prefix}.{n}", ""),
                       "error": errors.get(f"{prefix}.{n}", "")}
                      for n in org_benchmarks.NUMBER_FIELDS],
            "source": {"name": f"{prefix}.source", "value": data.get(f"{prefix}.source", "")},
            "date": {"name": f"{prefix}.date", "value": data.get(f"{prefix}.date", "")},
        })
    return out


@require_POST
@staff_required
def benchmark_reset(request: HttpRequest) -> HttpResponse:
    org_benchmarks.reset_rows(current_membership(request).organisation)
    messages.success(request, _("The benchmark table is back to the defaults."))
    return redirect("proposals:benchmarks")


# --- The lead's public pages --------------------------------------------------------------------


def get_public_proposal(token: str) -> Proposal:
    """The proposal behind an emailed link; a link never sent, or unknown, is a 404."""
    proposal = (
        Proposal.objects.select_related("lead__brief", "organisation", "sent_version")
        .filter(token=token, sent_version__isnull=False).first()
    )
    if proposal is None:
        raise Http404
    return proposal


def _gone(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    return render(request, "proposals/public_gone.html", {"org": proposal.organisation},
                  status=410)


def public_proposal(request: HttpRequest, token: str) -> HttpResponse:
    proposal = get_public_proposal(token)
    if proposal.link_expired:
        return _gone(request, proposal)
    return _public_page(request, proposal, ChangesForm())


def _public_page(request: HttpRequest, proposal: Proposal, form: ChangesForm,
                 status: int = 200) -> HttpResponse:
    version = proposal.sent_version
    assert version is not None
    return render(request, "proposals/public.html", {
        "proposal": proposal, "org": proposal.organisation, "version": version,
        "form": form, "token": proposal.token, **_document(proposal, version),
    }, status=status)


def public_pdf(request: HttpRequest, token: str) -> HttpResponse:
    proposal = get_public_proposal(token)
    if proposal.link_expired:
        return _gone(request, proposal)
    assert proposal.sent_version is not None
    return _pdf_response(proposal, proposal.sent_version)


@require_POST
def public_accept(request: HttpRequest, token: str) -> HttpResponse:
    proposal = get_public_proposal(token)
    if proposal.link_expired:
        return _gone(request, proposal)
    try:
        actions.accept_proposal(proposal)
    except actions.ProposalError as error:
        messages.error(request, str(error))
    return redirect("proposals:public", token=token)


@require_POST
def public_changes(request: HttpRequest, token: str) -> HttpResponse:
    proposal = get_public_proposal(token)
    if proposal.link_expired:
        return _gone(request, proposal)
    form = ChangesForm(request.POST)
    if not form.is_valid():
        return _public_page(request, proposal, form, status=400)
    if actions.request_changes(proposal, form.cleaned_data["comment"]):
        messages.success(request, _("Thank you! We will send you an updated proposal."))
    return redirect("proposals:public", token=token)
