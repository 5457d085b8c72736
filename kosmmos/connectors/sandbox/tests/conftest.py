"""The sandbox server in-process: async tests use httpx.ASGITransport directly; the connector
(which is synchronous, through kosmmos/lib/http.py) reaches it over a bridge transport that runs
the app on an event loop thread, with real read timeouts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import httpx
import pytest

from kosmmos.connectors.sandbox.server import Network, SandboxApp
from kosmmos.lib import http


class Bridge(httpx.BaseTransport):
    def __init__(self, app: SandboxApp) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def call() -> tuple[int, list[Any], bytes]:
            forwarded = httpx.Request(request.method, request.url, headers=request.headers,
                                      content=body)
            response = await self.inner.handle_async_request(forwarded)
            content = b"".join([chunk async for chunk in response.aiter_raw()])
            return response.status_code, list(response.headers.raw), content

        timeout = request.extensions.get("timeout", {}).get("read") or 5.0
        future = asyncio.run_coroutine_threadsafe(call(), self.loop)
        try:
            status, headers, content = future.result(timeout=timeout)
        except FutureTimeout:
            raise httpx.ReadTimeout("bridge: read timed out", request=request) from None
        except Exception as exc:  # the server cut the connection mid-answer
            raise httpx.RemoteProtocolError(f"bridge: {exc}", request=request) from exc
        return httpx.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def network() -> Network:
    net = Network(seed=7, public_url="http://sandbox.test")
    net.faults = {"enabled": True, "latency_ms": [0, 0]}
    return net


@pytest.fixture
def app(network: Network) -> SandboxApp:
    return SandboxApp(network)


@pytest.fixture
def bridged(app: SandboxApp, monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[Bridge]:
    """lib/http's client for this thread talks to the in-process sandbox."""
    bridge = Bridge(app)
    client = httpx.Client(transport=bridge)
    monkeypatch.setattr(http, "client", lambda: client)
    settings.SANDBOX_URL = "http://sandbox.test"
    yield bridge
    client.close()
    bridge.close()
