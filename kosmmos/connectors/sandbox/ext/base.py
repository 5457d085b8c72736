"""The seam between the sandbox server and its extensions.

``@route("ord")`` makes ``handler(call)`` answer every request under ``/ord/…``; ``call.parts`` is
the path after the prefix. ``state(net, name, factory)`` is the extension's own JSON-able state,
loaded from the sandbox's SQLite file on first use; ``touch(net, name)`` marks it for the next
flush. A handler answers ``(status, body, headers)`` or raises ``Reply`` — the same as the
server's own routes, with the same ``guard`` (latency, 429, 503) through ``call.app``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kosmmos.connectors.sandbox.server import Network, Receive, SandboxApp, Scope, Send


@dataclass
class Call:
    app: SandboxApp
    net: Network
    scope: Scope
    method: str
    parts: list[str]
    query: dict[str, str]
    receive: Receive
    send: Send
    read_json: Callable[[], Awaitable[dict[str, Any]]]  # the server's JSON reader (400 if bad)

    async def body(self) -> dict[str, Any]:
        return await self.read_json()

    async def raw(self) -> bytes:
        """The request's body as sent (a form, a multipart upload, a signed payload)."""
        chunks = []
        while True:
            message = await self.receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                return b"".join(chunks)

    def header(self, name: str) -> str:
        wanted = name.lower().encode()
        for key, value in self.scope.get("headers", []):
            if key == wanted:
                return str(value.decode(errors="replace"))
        return ""


Answer = tuple[int, Any, list[Any]]
Handler = Callable[[Call], Awaitable[Answer]]
ROUTES: dict[str, Handler] = {}


def route(prefix: str) -> Callable[[Handler], Handler]:
    if prefix in ROUTES or prefix in ("channels", "_admin", "healthz"):
        raise ValueError(f"sandbox prefix taken: {prefix}")

    def register(handler: Handler) -> Handler:
        ROUTES[prefix] = handler
        return handler
    return register


def state(net: Network, name: str, factory: Callable[[], Any]) -> Any:
    """The extension's state: what the file held, else ``factory()``."""
    if name not in net.ext:
        raw = net.ext_raw.pop(name, None)
        net.ext[name] = json.loads(raw) if raw is not None else factory()
    return net.ext[name]


def touch(net: Network, name: str) -> None:
    with net._lock:
        net.ext_dirty.add(name)
