"""Test helpers shared by the connector folders (fixtures are imported by each tests/conftest)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
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


# --- The specs' check at the HTTP seam ---------------------------------------------------------

VK_API = "https://api.vk.com/method/"
TG_API = re.compile(r"https://api\.telegram\.org/bot[^/]+/(?P<method>\w+)$")


@dataclass
class SeamCall:
    method: str
    url: str
    kwargs: dict[str, Any]
    response: httpx.Response | None


@dataclass
class Seam:
    """Every request the code under test sent through ``kosmmos.lib.http``, with the answer the
    test's fake gave; VK token types as the clients declared them."""

    calls: list[SeamCall] = field(default_factory=list)
    vk_tokens: dict[str, str] = field(default_factory=dict)

    def problems(self, *, answers: bool = True) -> list[str]:
        found: list[str] = []
        for call in self.calls:
            found += _check_call(call, self.vk_tokens, answers=answers)
        return found


def _json(response: httpx.Response | None) -> Any:
    if response is None or response.status_code >= 500:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _check_call(call: SeamCall, vk_tokens: dict[str, str], *, answers: bool) -> list[str]:
    from kosmmos.connectors.tests.specs import validate

    if call.url.startswith(VK_API):
        method = call.url[len(VK_API):]
        data = {k: str(v) for k, v in (call.kwargs.get("data") or {}).items()}
        problems = validate.vk_request(method, data, vk_tokens.get(data.get("access_token", "")))
        body = _json(call.response)
        if answers and isinstance(body, dict) and ("response" in body or "error" in body):
            problems += validate.vk_response(method, body)
        return problems
    found = TG_API.match(call.url)
    if found:
        method = found.group("method")
        files = set(call.kwargs.get("files") or {})
        if "json" in call.kwargs:
            problems = validate.tg_request(method, dict(call.kwargs["json"]), files=files)
        else:
            problems = validate.tg_request(method, dict(call.kwargs.get("data") or {}),
                                           files=files, form=True)
        body = _json(call.response)
        if answers and isinstance(body, dict) and "ok" in body:
            problems += validate.tg_response(method, body)
        return problems
    return []


@pytest.fixture(autouse=True)
def spec_checked(request: pytest.FixtureRequest,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Seam]:
    """Each request the code sends to VK or Telegram is checked against the network's spec
    when the test ends, and so is each answer the test's fake gave (unless the test is marked
    ``offspec``: it feeds a malformed answer on purpose). A problem fails the test."""
    from kosmmos.connectors.vk import client as vk_client
    from kosmmos.lib import http

    seam = Seam()
    send = http.request

    def recording(method: str, url: str, **kwargs: Any) -> httpx.Response:
        call = SeamCall(method, url, kwargs, None)
        seam.calls.append(call)
        call.response = send(method, url, **kwargs)
        return call.response

    monkeypatch.setattr(http, "request", recording)
    built = vk_client.VkClient.__init__

    def declare(client: Any, token: str, *, kind: str) -> None:
        seam.vk_tokens[token] = kind
        built(client, token, kind=kind)

    monkeypatch.setattr(vk_client.VkClient, "__init__", declare)
    yield seam
    problems = seam.problems(answers=request.node.get_closest_marker("offspec") is None)
    if problems:
        pytest.fail("Not as the network's spec says:\n" + "\n".join(problems), pytrace=False)
