"""A fake drand beacon (prefix ``/drand``) for offline installs, the demo and tests.

It speaks drand's HTTP API (https://docs.drand.love/docs/dev-guide/3-4-dev-guide-http-api):
``GET /drand/info`` → ``{public_key, period, genesis_time, hash}`` and ``GET /drand/public/<round>``
→ ``{round, randomness, signature, previous_signature}``, with the default chain's genesis and
period, so round numbers mean the same moments as on the real chain. Round ``RECORDED`` is a
real round of the default chain, served as recorded; any other round that has already happened
gets a made-up signature (SHA-256 of the seed and the round, 96 bytes) and, like drand,
``randomness = SHA-256(signature)``. A round in the future is a 404, as on drand.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from kosmmos.connectors.sandbox.ext.base import Answer, Call, route

CHAIN = "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce"
GENESIS, PERIOD = 1_595_431_050, 30
# Round 3311596 of the default chain, as published in mcdcam/python-drand-verify's README.
RECORDED: dict[str, Any] = {
    "round": 3311596,
    "randomness": "647c07b2abbf7ff2afb4d670214f565e5cd9f9c91bfdcecb59a21f3c78d73920",
    "signature": "a696b9409ababce45749c3a4ec369074453dd4a79967734e1390d969c8ad8d98897d217b9121e"
                 "92c8ddebbddda8d92f900e3bd6bf9deb166863b1a19390d743f82774001487594c5c09e581db"
                 "7365f02b70a2c8cc41ce32446ef08e4890c4754",
    "previous_signature": "8ed588f2a7716fb1349e2d9803da5db0005e98a83783c353d4a08f183236a9ad91d70d"
                          "db01266f4b7c576983db464b430e65680b9e0098552758afd6c1e6afcb77e3f62fe1b9"
                          "3d42d1cb63abbb2205512fe12fbf74ea9c5ac3b8f5c1e283a1d8",
}


clock = time.time  # a test moves it forward


def current_round(now: float) -> int:
    """drand's chain/time.go ``CurrentRound``: round 1 starts at genesis."""
    return 1 if now < GENESIS else int((now - GENESIS) // PERIOD) + 1


def fake_signature(seed: int, number: int) -> str:
    block = hashlib.sha256(f"kosmmos-fake-beacon:{seed}:{number}".encode()).hexdigest()
    return (block * 3)[:192]


def beacon(seed: int, number: int) -> dict[str, Any]:
    if number == RECORDED["round"]:
        return dict(RECORDED)
    signature = fake_signature(seed, number)
    return {"round": number, "signature": signature,
            "previous_signature": fake_signature(seed, number - 1),
            "randomness": hashlib.sha256(bytes.fromhex(signature)).hexdigest()}


@route("drand")
async def handle(call: Call) -> Answer:
    parts = [p for p in call.parts if p != CHAIN]  # the optional /{chain-hash} prefix
    if call.method != "GET":
        return 405, {"error": "method_not_allowed"}, []
    if parts == ["info"]:
        return 200, {"public_key": "sandbox", "period": PERIOD, "genesis_time": GENESIS,
                     "hash": CHAIN}, []
    latest = current_round(clock())
    if parts == ["public", "latest"]:
        return 200, beacon(call.net.seed, latest), []
    if len(parts) == 2 and parts[0] == "public" and parts[1].isdigit() and len(parts[1]) < 12:
        number = int(parts[1])
        if number < 1 or number > latest:
            return 404, {"error": "round not yet available"}, []
        return 200, beacon(call.net.seed, number), []
    return 404, {"error": "not_found"}, []
