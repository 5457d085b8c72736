"""The demo's VK Ads: a rehearsal cabinet (the sandbox's fake VK Ads) on the first client.

Its statistics come in with the first import the ticker runs once ``kosmmos serve`` is up, and
its spend appears in that client's P&L as imported costs beside the demo's manual ones.
"""

from __future__ import annotations

from kosmmos.accounts.models import User, Workspace
from kosmmos.ads.models import Cabinet
from kosmmos.connectors.sandbox.ext.vkads import REHEARSAL_SECRET


def load(manager: User, workspace: Workspace) -> None:
    cabinet = Cabinet(organisation_id=workspace.organisation_id, workspace=workspace,
                      name="VK Реклама (песочница)", client_id=f"demo-{workspace.pk.hex[:8]}",
                      sandbox=True, created_by=manager)
    cabinet.secrets = {"client_secret": REHEARSAL_SECRET}
    cabinet.save()
