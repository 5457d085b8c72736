"""Network code → connector class, imported lazily. Adding a network is one line here."""

from __future__ import annotations

import importlib
from typing import Any

from kosmmos.connectors.base import Connector

CONNECTORS = {
    "vk": "kosmmos.connectors.vk.connector:VkConnector",
    "ok": "kosmmos.connectors.ok.connector:OkConnector",
    "telegram": "kosmmos.connectors.telegram.connector:TelegramConnector",
    "sandbox": "kosmmos.connectors.sandbox.connector:SandboxConnector",
}


def connector_class(network: str) -> type[Connector]:
    module, _, name = CONNECTORS[network].partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def build(network: str, credentials: dict[str, Any], config: dict[str, Any]) -> Connector:
    """A connector for one channel: ``credentials`` are decrypted tokens, ``config`` the ids."""
    return connector_class(network)(credentials=credentials, config=config)  # type: ignore[call-arg]
