"""Recompute a giveaway's draw from its published file: standard library only, on purpose.

    python -m kosmmos.giveaways.verify https://…/g/<code>/draw.json
    python verify.py draw.json                 # this file alone works too

The file (``draw.json`` on the public page) holds the frozen participant list, its SHA-256, the
drand round, the beacon's address and the winners Kosmmos announced. This script

1. hashes the list the documented way (``canonical``) and compares it with the published hash
   (published before the round existed, so the list could not be chosen after the randomness);
2. fetches the round from the beacon (``--offline``: uses the signature in the file) and checks
   ``randomness == SHA-256(signature)``;
3. picks the winners with ``pick`` and compares them with the announced ones.

Exit status 0 when everything matches, 1 otherwise.

The algorithm (``pick``): the list is the participants' ids as text, sorted, one per line, each
line ending in ``\\n``, UTF-8. With ``seed`` = the round's randomness (32 bytes), for k = 0, 1, …
the k-th pick is ``int(SHA-256(seed ‖ k as 8 bytes big-endian)) mod len(remaining)``, an index
into the remaining ids in order; the picked id is removed. The first ``winners`` picks are the
winners, the next ``reserves`` the reserve winners in order. (A 256-bit number modulo n < 10⁹ is
biased by less than 2⁻²²⁰: no rejection step is needed.)
"""

from __future__ import annotations

import hashlib
import json
import sys
import urllib.request
from collections.abc import Sequence
from typing import Any


def canonical(ids: Sequence[str]) -> bytes:
    return "".join(f"{i}\n" for i in sorted(ids)).encode()


def list_hash(ids: Sequence[str]) -> str:
    return hashlib.sha256(canonical(ids)).hexdigest()


def randomness_of(signature: str) -> str:
    """drand: the round's randomness is the SHA-256 of its signature."""
    return hashlib.sha256(bytes.fromhex(signature)).hexdigest()


def pick(ids: Sequence[str], randomness: str, count: int) -> list[str]:
    remaining = sorted(ids)
    seed = bytes.fromhex(randomness)
    chosen: list[str] = []
    for k in range(min(count, len(remaining))):
        digest = hashlib.sha256(seed + k.to_bytes(8, "big")).digest()
        chosen.append(remaining.pop(int.from_bytes(digest, "big") % len(remaining)))
    return chosen


def _read(source: str) -> Any:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as answer:  # noqa: S310  # the user's URL
            return json.loads(answer.read())
    with open(source, encoding="utf-8") as handle:
        return json.load(handle)


def check(doc: dict[str, Any], *, offline: bool = False) -> list[str]:
    """The problems found (empty: the draw is what the published data says)."""
    problems = []
    ids = [str(i) for i in doc["list"]]
    if list_hash(ids) != doc["sha256"]:
        problems.append("the list does not match the published SHA-256")
    signature = doc.get("signature", "")
    if not offline:
        found = _read(f"{doc['beacon'].rstrip('/')}/public/{int(doc['round'])}")
        if int(found["round"]) != int(doc["round"]):
            problems.append("the beacon answered another round")
        signature = found["signature"]
    randomness = randomness_of(signature)
    if randomness != doc["randomness"]:
        problems.append("the randomness is not SHA-256 of the round's signature")
    picked = pick(ids, randomness, int(doc["winners_count"]) + int(doc.get("reserves_count", 0)))
    winners, reserves = picked[:int(doc["winners_count"])], picked[int(doc["winners_count"]):]
    if winners != [str(w) for w in doc["winners"]]:
        problems.append(f"winners differ: recomputed {winners}")
    if reserves != [str(r) for r in doc.get("reserves", [])]:
        problems.append(f"reserve winners differ: recomputed {reserves}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    offline = "--offline" in args
    args = [a for a in args if a != "--offline"]
    if len(args) != 1:
        print("usage: python -m kosmmos.giveaways.verify <draw.json URL or file> [--offline]")
        return 2
    doc = _read(args[0])
    problems = check(doc, offline=offline)
    print(f"participants: {len(doc['list'])}  sha256: {doc['sha256']}")
    print(f"round: {doc['round']}  randomness: {doc['randomness']}")
    print(f"winners: {', '.join(map(str, doc['winners']))}")
    for problem in problems:
        print(f"MISMATCH: {problem}")
    print("OK: the winners follow from the list and the round" if not problems else "FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
