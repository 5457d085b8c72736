"""The draw's algorithm and the recorded drand round: no database, no network."""

from __future__ import annotations

import json
from pathlib import Path

from kosmmos.connectors.sandbox.ext.drand import RECORDED, beacon, current_round
from kosmmos.giveaways import verify
from kosmmos.giveaways.beacon import round_at, time_of

IDS = [f"vk:{n}" for n in range(1000, 1100)]


def test_it_draws_the_same_winners_for_the_same_list_and_round() -> None:
    first = verify.pick(IDS, RECORDED["randomness"], 5)
    again = verify.pick(list(reversed(IDS)), RECORDED["randomness"], 5)
    assert first == again and len(set(first)) == 5 and set(first) <= set(IDS)
    other = beacon(1, RECORDED["round"] + 1)["randomness"]
    assert verify.pick(IDS, other, 5) != first


def test_it_changes_the_hash_on_any_change_of_the_list() -> None:
    base = verify.list_hash(IDS)
    assert verify.list_hash(list(reversed(IDS))) == base  # the order is the documented sort
    assert verify.list_hash(IDS[:-1]) != base
    assert verify.list_hash([*IDS, "vk:1"]) != base
    assert verify.list_hash(["vk:1001", *IDS[1:]]) != base
    assert verify.list_hash([*IDS[:-1], IDS[-1] + " "]) != base
    assert verify.canonical(["b", "a"]) == b"a\nb\n"


def test_it_accepts_the_recorded_round_whose_randomness_is_the_hash_of_its_signature() -> None:
    assert verify.randomness_of(RECORDED["signature"]) == RECORDED["randomness"]


def test_it_counts_rounds_as_drand_does() -> None:
    number = RECORDED["round"]
    assert round_at(time_of(number)) == number
    assert current_round(time_of(number).timestamp()) == number
    assert current_round(time_of(number).timestamp() - 1) == number - 1


def test_it_verifies_a_published_file_and_catches_a_swapped_winner(tmp_path: Path) -> None:
    picked = verify.pick(IDS, RECORDED["randomness"], 3)
    doc = {"list": IDS, "sha256": verify.list_hash(IDS), "round": RECORDED["round"],
           "beacon": "http://unused", "signature": RECORDED["signature"],
           "randomness": RECORDED["randomness"], "winners_count": 2, "reserves_count": 1,
           "winners": picked[:2], "reserves": picked[2:]}
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(doc))
    assert verify.main([str(path), "--offline"]) == 0
    doc["winners"] = [picked[1], picked[0]]
    path.write_text(json.dumps(doc))
    assert verify.main([str(path), "--offline"]) == 1
    doc["list"] = [*IDS, "vk:5"]
    assert any("SHA-256" in p for p in verify.check(doc, offline=True))
