"""The audiences page of a workspace, under its money tabs beside VK Ads: each segment's size,
its exports to the cabinets with their state and lists, and the calls they made. Writes are
POSTs from owners and managers."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import current_user, member_required
from kosmmos.accounts.models import Membership, Workspace
from kosmmos.ads.access import get_ads_workspace
from kosmmos.ads.models import Attempt, Cabinet
from kosmmos.audiences import exports, segments
from kosmmos.audiences.access import get_export_for_user
from kosmmos.audiences.forms import ExportForm
from kosmmos.audiences.models import AudienceExport, SegmentKind


@member_required
def index(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_ads_workspace(request, workspace_id)
    return _render(request, workspace, membership, ExportForm(workspace=workspace))


def _render(request: HttpRequest, workspace: Workspace, membership: Membership,
            form: ExportForm, status: int = 200) -> HttpResponse:
    return render(request, "audiences/index.html", {
        "workspace": workspace, "membership": membership, "tab": "audiences",
        "can_write": membership.is_staff_role, "is_agency": True,
        "has_cabinet": Cabinet.objects.filter(workspace=workspace).exists(),
        "sizes": [(label, segments.size(workspace, kind)) for kind, label in SegmentKind.choices],
        "export_form": form,
        "exports": AudienceExport.objects.filter(workspace=workspace).select_related(
            "cabinet")[:50],
        "attempts": Attempt.objects.filter(cabinet__workspace=workspace,
                                           ref__startswith="export:").select_related(
            "cabinet")[:30],
        "heading": _("Audiences"),
    }, status=status)


@member_required
@require_POST
def export_create(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_ads_workspace(request, workspace_id, write=True)
    form = ExportForm(request.POST, workspace=workspace)
    if not form.is_valid():
        return _render(request, workspace, membership, form, status=400)
    exports.create_export(form.cleaned_data["cabinet"], form.cleaned_data["kind"],
                          refresh_days=form.cleaned_data["refresh_days"],
                          user=current_user(request))
    messages.success(request, _("The segment is being exported."))
    return redirect("audiences:index", workspace_id=workspace.pk)


@member_required
@require_POST
def export_delete(request: HttpRequest, audience_export_id: uuid.UUID) -> HttpResponse:
    export = get_export_for_user(request, audience_export_id, write=True)
    if exports.request_delete(export):
        messages.success(request, _("The lists are being deleted from the cabinet."))
    return redirect("audiences:index", workspace_id=export.workspace_id)


@member_required
@require_POST
def export_retry(request: HttpRequest, audience_export_id: uuid.UUID) -> HttpResponse:
    export = get_export_for_user(request, audience_export_id, write=True)
    if exports.retry(export):
        messages.success(request, _("Export started again."))
    return redirect("audiences:index", workspace_id=export.workspace_id)
