"""Builders for audiences tests and the isolation walk."""

from __future__ import annotations

from kosmmos.accounts.models import Workspace
from kosmmos.ads.testing import isolation_cabinet
from kosmmos.audiences.models import AudienceExport, ExportStatus


def isolation_export(workspace: Workspace) -> AudienceExport:
    """A failed export still holding a list (retry and delete both show), in the workspace's
    failed cabinet."""
    cabinet = isolation_cabinet(workspace)
    return AudienceExport.objects.filter(cabinet=cabinet).first() or \
        AudienceExport.objects.create(
            organisation_id=workspace.organisation_id, workspace=workspace, cabinet=cabinet,
            kind="complained", status=ExportStatus.FAILED, list_ids=["1"], size=3)
