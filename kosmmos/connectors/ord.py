"""The ORD contract: what every advertising-data operator folder implements (``vkord/`` first).

An ORD client is built from an organisation's decrypted key and the operator's base URL. It never
touches the database: each call returns an ``Exchange`` (the request and the answer, the key
redacted) that the ``kosmmos.ord`` domain keeps as an attempt row for audit, and raises the
connector errors of ``connectors/base.py`` with that exchange attached:

- ``ConnectorError(permanent=True)``: the ORD refused the data (400/404/409/410); a person fixes it.
- ``AuthRevoked``: 401/403, the key is wrong or revoked.
- ``ConnectorError(permanent=False)``: nothing happened (connect failure); retry with backoff.
- ``AmbiguousOutcome``: a timeout or a 5xx; the write may have been stored. Every ORD write is an
  upsert by *our* external id, so repeating it is the reconciliation: the same object again.

A second ORD (Yandex) is one more folder with a class of this shape and a line in ``ORDS``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from kosmmos.connectors.base import ConnectorError

REDACTED = "***"


@dataclass
class Exchange:
    """One HTTP call as kept for audit: what we sent and what came back, no secret in it."""

    method: str
    path: str
    request: Any = None
    status: int | None = None
    answer: str = ""
    duration_ms: int = 0
    error: str = ""


class OrdError(ConnectorError):
    """A ``ConnectorError`` that carries the exchange it came from."""

    def __init__(self, message: str, *, exchange: Exchange, permanent: bool = False,
                 code: str | int | None = None) -> None:
        super().__init__(message, permanent=permanent, code=code)
        self.exchange = exchange


@dataclass
class Result:
    exchange: Exchange
    body: dict[str, Any] = field(default_factory=dict)


class OrdClient(Protocol):
    code: str

    def put_person(self, external_id: str, person: dict[str, Any]) -> Result: ...
    def put_contract(self, external_id: str, contract: dict[str, Any]) -> Result: ...
    def put_pad(self, external_id: str, pad: dict[str, Any]) -> Result: ...
    def put_media(self, external_id: str, content: bytes, name: str, mime: str,
                  description: str) -> Result: ...
    def put_creative(self, external_id: str, creative: dict[str, Any]) -> Result:
        """Registers or updates the creative; ``body["erid"]`` is the token to print."""
        ...
    def post_statistics(self, items: list[dict[str, Any]]) -> Result: ...
    def put_invoice(self, external_id: str, invoice: dict[str, Any], *, draft: bool) -> Result: ...
    def invoice_ready(self, external_id: str) -> Result: ...
    def erir_status(self, kind: str, external_id: str) -> Result:
        """``body["erir_status"]`` ∈ processing, verified, bad (``body["message"]`` then)."""
        ...


# Explicit registry: ORD code → "module:Class" (imported lazily).
ORDS = {"vkord": "kosmmos.connectors.vkord.client:VkOrdClient"}


def ord_client(code: str, *, base_url: str, token: str) -> OrdClient:
    module, _, name = ORDS[code].partition(":")
    cls = getattr(importlib.import_module(module), name)
    client: OrdClient = cls(base_url=base_url, token=token)
    return client


def redact(value: Any, secret: str) -> Any:
    """``value`` with every occurrence of ``secret`` (and any Authorization field) hidden."""
    if isinstance(value, dict):
        return {k: REDACTED if k.lower() in {"authorization", "token", "api_key"}
                else redact(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, secret) for v in value]
    if isinstance(value, str) and secret and secret in value:
        return value.replace(secret, REDACTED)
    return value
