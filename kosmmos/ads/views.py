"""The VK Ads page of a workspace: cabinets with their health, campaigns beside the plan and
every call's attempt (audience exports have their own page, kosmmos/audiences, linked from
here). Writes are POSTs from owners and managers."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import current_user, member_required
from kosmmos.accounts.models import Membership, Workspace
from kosmmos.ads import cabinets, imports, metrics
from kosmmos.ads.access import get_ads_workspace, get_cabinet_for_user
from kosmmos.ads.forms import CabinetForm, ImportForm, ReconnectForm
from kosmmos.ads.models import Attempt, Cabinet
from kosmmos.links import stats


@member_required
def index(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_ads_workspace(request, workspace_id)
    return _render(request, workspace, membership, CabinetForm())


def _render(request: HttpRequest, workspace: Workspace, membership: Membership,
            form: CabinetForm, status: int = 200) -> HttpResponse:
    period = stats.Period.from_query(request.GET, workspace.organisation.timezone)
    end = period.bounds()[1].date() - timedelta(days=1)  # the last day of the last month
    rows = metrics.campaigns(workspace, period.start, end)
    found = Cabinet.objects.filter(workspace=workspace)
    return render(request, "ads/index.html", {
        "workspace": workspace, "membership": membership, "period": period, "tab": "ads",
        "can_write": membership.is_staff_role, "is_agency": True,
        "cabinets": found, "rows": rows, "total": metrics.total(rows),
        "planned": metrics.planned(workspace),
        "form": form, "import_form": ImportForm(),
        "attempts": Attempt.objects.filter(cabinet__workspace=workspace).select_related(
            "cabinet")[:30],
        "heading": _("VK Ads"),
    }, status=status)


@member_required
@require_POST
def connect(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_ads_workspace(request, workspace_id, write=True)
    form = CabinetForm(request.POST)
    if not form.is_valid():
        return _render(request, workspace, membership, form, status=400)
    data = form.cleaned_data
    try:
        cabinet, error = cabinets.connect(
            workspace, name=data["name"], client_id=data["client_id"],
            client_secret=data["client_secret"], account_id=data["account_id"],
            sandbox=data["sandbox"], user=current_user(request))
    except IntegrityError:
        form.add_error("client_id", _("This cabinet is connected already."))
        return _render(request, workspace, membership, form, status=400)
    if error:
        messages.error(request, _("The cabinet refused the credentials: %(error)s")
                       % {"error": error})
    else:
        imports.queue.kick(cabinet.pk)  # due now: the first import without waiting for a tick
        messages.success(request, _("Cabinet connected; its statistics are being imported."))
    return redirect("ads:index", workspace_id=workspace.pk)


@member_required
@require_POST
def reconnect(request: HttpRequest, cabinet_id: uuid.UUID) -> HttpResponse:
    cabinet = get_cabinet_for_user(request, cabinet_id, write=True)
    form = ReconnectForm(request.POST)
    if form.is_valid():
        error = cabinets.reconnect(cabinet, form.cleaned_data["client_secret"])
        if error:
            messages.error(request, _("The cabinet refused the credentials: %(error)s")
                           % {"error": error})
        else:
            messages.success(request, _("Cabinet connected again."))
    return redirect("ads:index", workspace_id=cabinet.workspace_id)


@member_required
@require_POST
def import_now(request: HttpRequest, cabinet_id: uuid.UUID) -> HttpResponse:
    cabinet = get_cabinet_for_user(request, cabinet_id, write=True)
    form = ImportForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.non_field_errors())
                       or _("Check the dates."))
    elif imports.request_import(cabinet, form.cleaned_data.get("start"),
                                form.cleaned_data.get("end")):
        messages.success(request, _("Import started."))
    else:
        messages.info(request, _("An import is already running."))
    return redirect("ads:index", workspace_id=cabinet.workspace_id)


@member_required
@require_POST
def import_retry(request: HttpRequest, cabinet_id: uuid.UUID) -> HttpResponse:
    cabinet = get_cabinet_for_user(request, cabinet_id, write=True)
    if imports.retry(cabinet):
        messages.success(request, _("Import started."))
    return redirect("ads:index", workspace_id=cabinet.workspace_id)

