"""Access helpers of the money pages: where tenant isolation and roles are decided.

Owners and managers write; analysts read; a client reads the P&L of a workspace they were given
and the rows behind its figures, nothing else (settings with secrets and Metrica are agency
pages: 404 to clients). Another organisation's object is a 404.
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest

from kosmmos.accounts.access import get_workspace_for_user
from kosmmos.accounts.models import Membership, Role, Workspace
from kosmmos.links.models import CostEntry, MetricaUpload, TrackedLink


def get_money_workspace(
    request: HttpRequest, workspace_id: uuid.UUID, *, write: bool = False, agency: bool = False
) -> tuple[Workspace, Membership]:
    workspace, membership = get_workspace_for_user(request, workspace_id, write=False)
    if (agency or write) and membership.role == Role.CLIENT:
        raise Http404
    if write:
        get_workspace_for_user(request, workspace_id, write=True)
    return workspace, membership


def get_link_for_user(
    request: HttpRequest, link_id: uuid.UUID, *, write: bool = False
) -> tuple[TrackedLink, Membership]:
    link = TrackedLink.objects.select_related("campaign").filter(pk=link_id).first()
    if link is None:
        raise Http404
    workspace, membership = get_money_workspace(request, link.workspace_id, write=write)
    link.workspace = workspace
    return link, membership


def get_cost_for_user(request: HttpRequest, cost_id: uuid.UUID, *, write: bool = False) -> CostEntry:
    cost = CostEntry.objects.filter(pk=cost_id).first()
    if cost is None:
        raise Http404
    cost.workspace, _membership = get_money_workspace(request, cost.workspace_id, write=write)
    return cost


def get_upload_for_user(request: HttpRequest, upload_id: uuid.UUID, *, write: bool = False) -> MetricaUpload:
    upload = MetricaUpload.objects.filter(pk=upload_id).first()
    if upload is None:
        raise Http404
    upload.workspace, _membership = get_money_workspace(
        request, upload.workspace_id, write=write, agency=True
    )
    return upload
