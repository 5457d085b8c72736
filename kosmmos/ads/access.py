"""Access to a workspace's VK Ads: agency pages (a client user gets 404), writes for owners and
managers; another organisation's cabinet is a 404."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest

from kosmmos.accounts.models import Membership, Workspace
from kosmmos.ads.models import Cabinet
from kosmmos.links.access import get_money_workspace


def get_ads_workspace(request: HttpRequest, workspace_id: uuid.UUID, *, write: bool = False
                      ) -> tuple[Workspace, Membership]:
    return get_money_workspace(request, workspace_id, write=write, agency=True)


def get_cabinet_for_user(request: HttpRequest, cabinet_id: uuid.UUID, *, write: bool = False
                         ) -> Cabinet:
    cabinet = Cabinet.objects.filter(pk=cabinet_id).first()
    if cabinet is None:
        raise Http404
    cabinet.workspace, _m = get_ads_workspace(request, cabinet.workspace_id, write=write)
    return cabinet

