"""The extension seam: a prefix routes to its module, and its state survives a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kosmmos.connectors.sandbox.ext import base
from kosmmos.connectors.sandbox.server import Network, SandboxApp
from kosmmos.connectors.sandbox.tests.test_server import run


@pytest.fixture
def counter() -> Any:
    @base.route("_count")
    async def handle(call: base.Call) -> base.Answer:
        seen = base.state(call.net, "_count", lambda: {"n": 0})
        if call.method == "POST":
            seen["n"] += 1
            base.touch(call.net, "_count")
        return 200, {"n": seen["n"], "parts": call.parts}, []
    yield handle
    del base.ROUTES["_count"]


def test_it_routes_a_prefix_and_keeps_its_state_across_a_restart(counter: Any,
                                                                  tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite3")
    first = SandboxApp(Network(path=path, public_url="http://s.test"))
    posted, got = run(first, ("POST", "/_count/a/b", {}), ("GET", "/_count", None))
    assert posted.json() == {"n": 1, "parts": ["a", "b"]} and got.json()["n"] == 1
    first.network.flush()  # type: ignore[union-attr]
    again = SandboxApp(Network(path=path, public_url="http://s.test"))
    assert run(again, ("GET", "/_count", None))[0].json()["n"] == 1


def test_it_refuses_a_taken_prefix() -> None:
    with pytest.raises(ValueError):
        base.route("channels")
