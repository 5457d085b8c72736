"""Network code → connector class, imported lazily. Adding a network is a line in CONNECTORS
(publishing) and, when the inbox reads it, a line in INBOUND (events, comments and replies)."""

from __future__ import annotations

import importlib
from typing import Any

from kosmmos.connectors.base import Connector, Inbound

CONNECTORS = {
    "vk": "kosmmos.connectors.vk.connector:VkConnector",
    "ok": "kosmmos.connectors.ok.connector:OkConnector",
    "telegram": "kosmmos.connectors.telegram.connector:TelegramConnector",
    "sandbox": "kosmmos.connectors.sandbox.connector:SandboxConnector",
}

INBOUND = {
    "vk": "kosmmos.connectors.vk.inbound:VkInbound",
    "ok": "kosmmos.connectors.ok.inbound:OkInbound",
    "telegram": "kosmmos.connectors.telegram.inbound:TelegramInbound",
    "sandbox": "kosmmos.connectors.sandbox.inbound:SandboxInbound",
}


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def connector_class(network: str) -> type[Connector]:
    return _load(CONNECTORS[network])


def build(network: str, credentials: dict[str, Any], config: dict[str, Any]) -> Connector:
    """A connector for one channel: ``credentials`` are decrypted tokens, ``config`` the ids."""
    return connector_class(network)(credentials=credentials, config=config)  # type: ignore[call-arg]


def inbound_class(network: str) -> type[Inbound]:
    """The network's inbound side; the base (polled, nothing to parse, no replies) for a
    network the inbox does not read."""
    path = INBOUND.get(network)
    return _load(path) if path else Inbound


def inbound(network: str, config: dict[str, Any]) -> Inbound:
    """The inbound side of one channel; ``config`` holds its ids (no secrets needed)."""
    return inbound_class(network)(config)
