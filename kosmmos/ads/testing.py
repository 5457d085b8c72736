"""Builders for ads tests (ours, the isolation walk's, audiences' and the browser test's)."""

from __future__ import annotations

from typing import Any

from kosmmos.accounts.models import Workspace
from kosmmos.ads.models import Cabinet, JobStatus


def make_cabinet(workspace: Workspace, client_id: str = "cab-1", secret: str = "s3cret",  # noqa: S107 (the fake cabinet's)
                 **fields: Any) -> Cabinet:
    cabinet = Cabinet(organisation_id=workspace.organisation_id, workspace=workspace,
                      name=fields.pop("name", f"{workspace.name} cabinet"), client_id=client_id,
                      sandbox=fields.pop("sandbox", True), **fields)
    cabinet.secrets = {"client_secret": secret}
    cabinet.save()
    return cabinet


def isolation_cabinet(workspace: Workspace) -> Cabinet:
    """A cabinet whose import failed: every button shows."""
    cabinet = Cabinet.objects.filter(workspace=workspace, client_id="iso").first()
    if cabinet is None:
        cabinet = make_cabinet(workspace, "iso", status=JobStatus.FAILED,
                               last_error=f"{workspace.name} private error")
    return cabinet
