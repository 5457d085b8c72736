"""Access to a workspace's audiences: the same rule as its VK Ads (agency pages, writes for
owners and managers); another organisation's export is a 404."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest

from kosmmos.ads.access import get_ads_workspace
from kosmmos.audiences.models import AudienceExport


def get_export_for_user(request: HttpRequest, export_id: uuid.UUID, *, write: bool = False
                        ) -> AudienceExport:
    export = AudienceExport.objects.select_related("cabinet").filter(pk=export_id).first()
    if export is None:
        raise Http404
    get_ads_workspace(request, export.workspace_id, write=write)
    return export
