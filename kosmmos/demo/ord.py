"""The demo agency's ad marking: a key to the sandbox's fake ORD, the agency and each client as
parties, a contract per client linked to its workspace. The demo's ad post keeps its typed erid
(shown as another ORD's); a new ad post gets its erid from the fake ORD when approved."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from kosmmos.accounts.models import Organisation, Workspace
from kosmmos.ord.inn import with_control
from kosmmos.ord.models import Account, Contract, Link, Party


def seed_ord(org: Organisation, workspaces: list[Workspace]) -> None:
    account = Account(organisation=org, host=Account.Host.SANDBOX)
    account.token = "demo-ord-key"  # noqa: S105 (the sandbox ORD takes any key)
    account.save()
    agency = Party.objects.create(organisation=org, name="ООО «Космос Диджитал»",
                                  legal_form="juridical", inn=with_control("771234567"),
                                  roles=["agency"], is_agency=True)
    for number, workspace in enumerate(workspaces, start=1):
        brand = workspace.brand or workspace.name
        client = Party.objects.create(
            organisation=org, name=f"ООО «{brand}»"[:300], legal_form="juridical",
            inn=with_control(f"50{number:07d}"), roles=["advertiser", "publisher"])
        contract = Contract.objects.create(
            organisation=org, number=f"{number}/2026-SMM", client=client, contractor=agency,
            date=date(2026, 1, 15), amount=Decimal("60000.00"))
        Link.objects.create(workspace=workspace, organisation=org, contract=contract)
