"""An early answer never costs the next request on a keep-alive connection."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kosmmos.lib.wsgi import FinishBody

REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    """kosmmos.wsgi under granian on loopback, as `kosmmos serve` runs it."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "KOSMMOS_VAR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "kosmmos.settings"}
    process = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "kosmmos.wsgi:application",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-ws", "--log-level", "error"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("granian did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _answer(stream: Any) -> tuple[int, dict[str, str]]:
    status = stream.readline()
    assert status, "the connection was dropped"
    headers: dict[str, str] = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, value = line.decode("latin-1").split(":", 1)
        headers[name.strip().lower()] = value.strip()
    stream.read(int(headers.get("content-length", "0")))
    return int(status.split()[1]), headers


def test_it_answers_the_next_request_after_an_early_405_to_a_large_post(server: int) -> None:
    body = b"x" * 1_000_000
    for _round in range(10):
        with socket.create_connection(("127.0.0.1", server), timeout=10) as conn:
            stream = conn.makefile("rb")
            # The postback takes POST only: the 405 goes out without the view reading the body.
            conn.sendall(b"PUT /t/pb/anything/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            assert _answer(stream)[0] == 405
            conn.sendall(b"GET /t/pb/anything/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert _answer(stream)[0] == 405


def _early(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("405 Method Not Allowed", [("Content-Length", "0"), ("Connection", "keep-alive")])
    return [b""]


def test_it_drains_an_unread_body_within_the_limit() -> None:
    body = io.BytesIO(b"y" * 5000)
    sent: list[tuple[str, list[tuple[str, str]]]] = []
    FinishBody(_early)({"CONTENT_LENGTH": "5000", "wsgi.input": body},
                       lambda status, headers, *exc: sent.append((status, headers)))
    assert body.tell() == 5000
    assert ("Connection", "close") not in sent[0][1]


def test_it_closes_the_connection_when_the_unread_rest_is_too_large() -> None:
    body = io.BytesIO(b"y" * 500_000)
    sent: list[tuple[str, list[tuple[str, str]]]] = []
    FinishBody(_early, drain_limit=1000)({"CONTENT_LENGTH": "500000", "wsgi.input": body},
                                         lambda status, headers, *exc: sent.append((status, headers)))
    assert body.tell() < 500_000
    assert [v for k, v in sent[0][1] if k == "Connection"] == ["close"]
