"""The demo's giveaways: one drawn (its draw recomputes), one running on the ticker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from kosmmos.connectors.sandbox.ext import base, engagement
from kosmmos.connectors.sandbox.server import Network

pytestmark = pytest.mark.django_db


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def test_it_seeds_a_drawn_giveaway_that_verifies_and_a_running_one(
        settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kosmmos.demo.agency import load_demo
    from kosmmos.giveaways import actions, verify
    from kosmmos.giveaways.models import Giveaway, Stage
    from kosmmos.lib import http
    from kosmmos.links.models import CostEntry

    settings.VAR_DIR = tmp_path
    settings.SANDBOX_URL = "http://sandbox.test"
    client = httpx.Client(transport=httpx.MockTransport(_refused))
    monkeypatch.setattr(http, "client", lambda: client)
    load_demo()
    drawn = Giveaway.objects.get(stage=Stage.DRAWN)
    doc = actions.draw_document(drawn)
    assert len(doc["list"]) > 100 and verify.check(doc, offline=True) == []
    assert drawn.participants.filter(eligible=False, reason="no_word").exists()
    assert drawn.results_post is not None and "[id" in drawn.results_post.text
    assert CostEntry.objects.filter(category="prizes").count() == 3
    # Its hash and winners were said at the time; two winners' deadlines pass soon after the
    # load, and the ticker then hands their prizes to the two reserves.
    from datetime import timedelta

    from django.utils import timezone

    from kosmmos.giveaways.models import Outreach, Role

    assert sorted(Outreach.objects.filter(giveaway=drawn).values_list("kind", "status")) == [
        ("hash", "sent"), ("winner", "sent"), ("winner", "sent"), ("winner", "sent")]
    waiting = drawn.participants.filter(role=Role.WINNER, answered_at__isnull=True)
    assert waiting.count() == 2 and drawn.participants.filter(role=Role.RESERVE).count() == 2
    assert all(timezone.now() < p.answer_due < timezone.now() + timedelta(minutes=15)
               for p in waiting if p.answer_due)
    running = Giveaway.objects.get(stage=Stage.RUNNING)
    assert running.communities() == ["501", "502"]
    from kosmmos.giveaways.models import Exchange

    assert Exchange.objects.get().their_post is not None  # in the partner client's plan
    # The sandbox's state file has both posts for the ticker's reads on `make run`.
    net = Network(path=str(tmp_path / "sandbox.sqlite3"), public_url="http://sandbox.test")
    assert set(base.state(net, "eng", engagement.empty)["posts"]) == {"-501_77", "-501_91"}
