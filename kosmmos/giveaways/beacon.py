"""drand, the public randomness beacon: which round comes when, and fetching one.

HTTP API: https://docs.drand.love/docs/dev-guide/3-4-dev-guide-http-api — ``GET /public/{round}``
→ ``{round, randomness, signature, previous_signature}``. Round times follow drand's own
``chain/time.go`` (github.com/drand/drand): round 1 at ``genesis_time``, one round per
``period``, so round r is out at ``genesis + (r − 1) × period``. The default chain (30 s) is used
for a real network; a sandbox giveaway uses the sandbox's fake beacon
(``connectors/sandbox/ext/drand.py``) with the same genesis and period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from kosmmos.connectors.base import ConnectorError
from kosmmos.giveaways.verify import randomness_of
from kosmmos.lib import http

GENESIS, PERIOD = 1_595_431_050, 30  # the default chain's /info (8990e7a9…)


@dataclass(frozen=True)
class Round:
    number: int
    signature: str
    randomness: str


def url_for(network: str) -> str:
    return f"{settings.SANDBOX_URL}/drand" if network == "sandbox" else settings.DRAND_URL


def round_at(moment: datetime) -> int:
    """The first round published at or after ``moment``."""
    seconds = moment.timestamp() - GENESIS
    return max(1, int(-(-seconds // PERIOD)) + 1)


def time_of(number: int) -> datetime:
    return datetime.fromtimestamp(GENESIS + (number - 1) * PERIOD, tz=UTC)


def fetch(base: str, number: int) -> Round:
    """The round from the beacon, checked: its number, and randomness = SHA-256(signature)."""
    try:
        response = http.get(f"{base.rstrip('/')}/public/{number}")
    except http.HttpError as exc:
        raise ConnectorError(f"drand round {number}: {exc}") from exc
    if response.status_code != 200:
        raise ConnectorError(f"drand round {number}: HTTP {response.status_code}")
    try:
        body = response.json()
        found = Round(int(body["round"]), str(body["signature"]), str(body["randomness"]))
        computed = randomness_of(found.signature)
    except (ValueError, KeyError, TypeError) as exc:
        raise ConnectorError(f"drand round {number}: unreadable answer ({exc})") from exc
    if found.number != number or computed != found.randomness:
        raise ConnectorError(f"drand round {number}: the answer does not check out",
                             permanent=True)
    return found
