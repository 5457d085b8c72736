"""Builders for ads tests (ours, the isolation walk's and the browser test's)."""

from __future__ import annotations

from typing import Any

from kosmmos.accounts.models import Workspace
from kosmmos.ads.models import AudienceExport, Cabinet, ExportStatus, JobStatus


def make_cabinet(workspace: Workspace, client_id: str = "cab-1", secret: str = "s3cret",  # noqa: S107 (the fake cabinet's)
                 **fields: Any) -> Cabinet:
    cabinet = Cabinet(organisation_id=workspace.organisation_id, workspace=workspace,
                      name=fields.pop("name", f"{workspace.name} cabinet"), client_id=client_id,
                      sandbox=fields.pop("sandbox", True), **fields)
    cabinet.secrets = {"client_secret": secret}
    cabinet.save()
    return cabinet


def isolation_objects(workspace: Workspace) -> dict[str, Any]:
    """A failed cabinet import and a failed export holding a list: every button shows."""
    cabinet = Cabinet.objects.filter(workspace=workspace, client_id="iso").first()
    if cabinet is None:
        cabinet = make_cabinet(workspace, "iso", status=JobStatus.FAILED,
                               last_error=f"{workspace.name} private error")
    export = AudienceExport.objects.filter(cabinet=cabinet).first() or \
        AudienceExport.objects.create(
            organisation_id=workspace.organisation_id, workspace=workspace, cabinet=cabinet,
            kind="complained", status=ExportStatus.FAILED, list_ids=["1"], size=3)
    return {"cabinet": cabinet, "export": export}
