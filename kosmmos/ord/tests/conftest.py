"""ORD fixtures: Alpha's agency, its client and their contract, a key to the fake ORD of the
sandbox network (in-process, through the same bridge as the sandbox connector's tests)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from kosmmos.channels.models import Channel
from kosmmos.conftest import World
from kosmmos.connectors.sandbox.ext import ord as fake_ord
from kosmmos.connectors.sandbox.server import Network, SandboxApp
from kosmmos.connectors.sandbox.tests.conftest import Bridge
from kosmmos.lib import http
from kosmmos.ord import sync
from kosmmos.ord.inn import with_control
from kosmmos.ord.models import Account, Contract, Job, JobStatus, Link, Party

TOKEN = "ord-secret-key-123"


@dataclass
class Ord:
    world: World
    network: Network
    agency: Party
    client: Party
    contract: Contract
    link: Link
    channel: Channel

    def state(self) -> dict[str, Any]:
        return self.network.ext[fake_ord.NAME]

    def config(self, **values: Any) -> None:
        self.state()["config"].update(values)

    def summary(self) -> dict[str, Any]:
        return fake_ord._summary(self.state())


def run_jobs(limit: int = 50) -> list[str]:
    """Run every due job once, as the dispatcher and a worker would."""
    from django.utils import timezone

    from kosmmos.ord.dispatch import jobs

    done = []
    for job in Job.objects.filter(status=JobStatus.PENDING, next_attempt_at__lte=timezone.now())[
            :limit]:
        if jobs.kick(job.pk) or Job.objects.get(pk=job.pk).status != JobStatus.PENDING:
            done.append(Job.objects.get(pk=job.pk).status)
    return done


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def ord_env(world: World, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ord]:
    network = Network(seed=3, public_url="http://sandbox.test")
    network.faults = {"enabled": True, "latency_ms": [0, 0]}
    bridge = Bridge(SandboxApp(network))
    client = httpx.Client(transport=bridge)
    monkeypatch.setattr(http, "client", lambda: client)
    settings.SANDBOX_URL = "http://sandbox.test"
    settings.ORD_STATUS_FIRST_CHECK_S = 0
    monkeypatch.setattr(sync, "backoff", lambda attempts: __import__("datetime").timedelta(0))
    monkeypatch.setattr(sync, "QUICK_PAUSE_S", 0)
    alpha = world.alpha
    account = Account(organisation=alpha.org, host=Account.Host.SANDBOX)
    account.token = TOKEN
    account.save()
    agency = Party.objects.create(organisation=alpha.org, name="ООО «Альфа Медиа»",
                                  legal_form="juridical", inn=with_control("770708389"),
                                  roles=["agency"], is_agency=True)
    shop = Party.objects.create(organisation=alpha.org, name="ООО «Ромашка»",
                                legal_form="juridical", inn=with_control("500100732"),
                                roles=["advertiser"])
    contract = Contract.objects.create(organisation=alpha.org, number="7/24", client=shop,
                                       contractor=agency, date=date(2026, 1, 10),
                                       amount=Decimal("50000.00"))
    link = Link.objects.create(workspace=alpha.client_workspace, organisation=alpha.org,
                               contract=contract)
    channel = Channel.objects.create(organisation=alpha.org, workspace=alpha.client_workspace,
                                     network="sandbox", name="Alpha Sandbox", external_id="c1")
    network.ext[fake_ord.NAME] = fake_ord._fresh()
    network.ext[fake_ord.NAME]["config"]["verify_after_s"] = 0
    yield Ord(world, network, agency, shop, contract, link, channel)
    client.close()
    bridge.close()
