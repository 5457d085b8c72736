"""The sandbox in-process (engagement and the fake beacon) and a giveaway on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import httpx
import pytest
from django.utils import timezone

from kosmmos.connectors import ratelimit
from kosmmos.connectors.sandbox.ext import drand, engagement
from kosmmos.connectors.sandbox.server import Network, SandboxApp
from kosmmos.connectors.sandbox.tests.conftest import Bridge
from kosmmos.giveaways import actions, beacon, jobs
from kosmmos.giveaways.models import Giveaway, JobStatus
from kosmmos.lib import http

OWNER, ITEM, GROUP = "-100", "7", "100"


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[SandboxApp]:
    net = Network(seed=7, public_url="http://sandbox.test")
    net.faults = {"enabled": True, "latency_ms": [0, 0]}
    app = SandboxApp(net)
    bridge = Bridge(app)
    client = httpx.Client(transport=bridge)
    monkeypatch.setattr(http, "client", lambda: client)
    settings.SANDBOX_URL = "http://sandbox.test"
    engagement.reset_counts()
    ratelimit.reset()
    yield app
    client.close()
    bridge.close()


def admin(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = http.request(method, f"http://sandbox.test/eng/{path}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def setup_post(audience: int = 300, **conf: Any) -> None:
    admin("PUT", "_setup", {"posts": {f"{OWNER}_{ITEM}": {
        "audience": audience, "like": 0.8, "repost": 0.3, "comment": 0.6, "member": 0.9,
        "word": "хочу", "group_id": GROUP, **conf}}})


def make_giveaway(world: Any, *, ends_in: timedelta = timedelta(days=3),
                  **conditions: Any) -> Giveaway:
    now = timezone.now()
    return actions.create_giveaway(world.alpha.client_workspace, actions.GiveawayData(
        title="Розыгрыш сертификата", network="sandbox", owner_id=OWNER, item_id=ITEM,
        group_id=GROUP, starts_at=now - timedelta(days=1), ends_at=now + ends_in,
        conditions={"like": True, "repost": False, "comment": True, "word": "хочу",
                    "tag_friend": False, "member": True, "partners": [], **conditions},
        rules={"min_age_days": 30, "no_avatar": True, "closed": False},
        winners_count=2, reserves_count=2, prizes=[("Сертификат", Decimal("5000"))]))


def step(giveaway: Giveaway) -> str:
    Giveaway.objects.filter(pk=giveaway.pk).update(status=JobStatus.QUEUED)
    return jobs.advance(giveaway.pk)


def end(giveaway: Giveaway) -> None:
    """The giveaway has just ended; its announced round comes in a few minutes."""
    ended = timezone.now() - timedelta(minutes=1)
    Giveaway.objects.filter(pk=giveaway.pk).update(
        ends_at=ended, drand_round=beacon.round_at(ended + actions.DRAW_DELAY))


@contextmanager
def later(minutes: int) -> Iterator[None]:
    """The clock (ours and the fake beacon's) moved ``minutes`` ahead."""
    moment = timezone.now() + timedelta(minutes=minutes)
    with mock.patch("django.utils.timezone.now", return_value=moment), \
            mock.patch.object(drand, "clock", return_value=moment.timestamp()):
        yield
