"""Test helpers shared by the connector folders (fixtures are imported by each tests/conftest)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from kosmmos.connectors import ratelimit


class FakeClock:
    """Time that only moves when the limiter sleeps: pacing is instant and can be asserted."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    clock = FakeClock()
    ratelimit.reset()
    monkeypatch.setattr(ratelimit, "clock", clock)
    monkeypatch.setattr(ratelimit, "sleep", clock.sleep)
    yield clock
    ratelimit.reset()


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Connector messages are gettext'd; the tests read them in the source language."""
    with translation.override("en"):
        yield


def load(folder: Path, name: str) -> Any:
    return json.loads((folder / "fixtures" / name).read_text(encoding="utf-8"))


def media_file(tmp_path: Path, name: str, content: bytes = b"\x89PNG fake image bytes") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)
