"""The sandbox's public communities in-process (the sandbox tests' bridge) for the collector."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kosmmos.connectors.sandbox.ext import public_communities
from kosmmos.connectors.sandbox.server import Network, SandboxApp
from kosmmos.connectors.sandbox.tests.conftest import Bridge
from kosmmos.lib import http


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[SandboxApp]:
    net = Network(seed=7, public_url="http://sandbox.test")
    net.faults = {"enabled": True, "latency_ms": [0, 0]}
    app = SandboxApp(net)
    bridge = Bridge(app)
    client = httpx.Client(transport=bridge)
    monkeypatch.setattr(http, "client", lambda: client)
    settings.SANDBOX_URL = "http://sandbox.test"
    public_communities.reset_counts()
    yield app
    client.close()
    bridge.close()


def admin(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = http.request(method, f"http://sandbox.test/pub/{path}", json=body)
    assert response.status_code == 200, response.text
    return response.json()
