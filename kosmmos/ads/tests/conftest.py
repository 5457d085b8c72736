"""The fake cabinet in-process (the sandbox's bridge): lib/http reaches it as it would VK Ads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kosmmos.connectors.sandbox.server import Network, SandboxApp
from kosmmos.connectors.sandbox.tests.conftest import Bridge
from kosmmos.lib import http


class Fake:
    """The sandbox's admin side, through the same client."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def cabinet(self, client_id: str, **spec: Any) -> dict[str, Any]:
        response = self.client.put(f"http://sandbox.test/vkads/_admin/cabinets/{client_id}",
                                   json={"client_secret": "s3cret", **spec})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def lists(self) -> list[dict[str, Any]]:
        return list(self.client.get("http://sandbox.test/vkads/_admin/lists").json()["items"])


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[Fake]:
    net = Network(seed=3, public_url="http://sandbox.test")
    bridge = Bridge(SandboxApp(net))
    client = httpx.Client(transport=bridge)
    monkeypatch.setattr(http, "client", lambda: client)
    settings.SANDBOX_URL = "http://sandbox.test"
    yield Fake(client)
    client.close()
    bridge.close()
