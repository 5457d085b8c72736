"""The request body is always finished before the answer goes out.

A view that answers early (a 405, a 404 for an unknown key, a 413) does not read the body. Under
granian a keep-alive connection whose last request body was left unread was dropped, and the next
request on it was lost with it. :class:`FinishBody` wraps the WSGI application: when the response
starts, whatever the view left of the body is read and discarded, up to ``DRAIN_LIMIT`` bytes; a
longer rest is not worth receiving, and the answer then says ``Connection: close`` so the client
opens a new connection for its next request instead of losing it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

DRAIN_LIMIT = 16 * 2**20
CHUNK = 64 * 1024

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class _CountingInput:
    """``wsgi.input`` that remembers whether the body was read to its end."""

    def __init__(self, inner: Any, length: int | None) -> None:
        self.inner, self.length, self.read_bytes, self.at_end = inner, length, 0, length == 0

    def _seen(self, data: bytes, asked: int | None) -> bytes:
        self.read_bytes += len(data)
        if not data or (asked is None or asked < 0) or (
            self.length is not None and self.read_bytes >= self.length
        ):
            self.at_end = True
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self._seen(self.inner.read(), None)
        return self._seen(self.inner.read(size), size)

    def readline(self, size: int | None = -1) -> bytes:
        line = self.inner.readline() if size is None or size < 0 else self.inner.readline(size)
        if not line:
            self.at_end = True
        return self._seen(line, len(line) + 1) if line else line

    def readlines(self, hint: int = -1) -> list[bytes]:
        lines = self.inner.readlines(hint) if hint and hint > 0 else self.inner.readlines()
        for line in lines:
            self._seen(line, len(line) + 1)
        if not hint or hint < 0:
            self.at_end = True
        return lines

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def finish(self, limit: int) -> bool:
        """Read and drop the rest of the body; False when more than ``limit`` bytes were left."""
        drained = 0
        while not self.at_end:
            if drained > limit:
                return False
            drained += len(self.read(CHUNK))
        return True


def _body_length(environ: Environ) -> int | None:
    raw = environ.get("CONTENT_LENGTH") or ""
    if raw.isascii() and raw.isdigit() and len(raw) < 19:
        return int(raw)
    if "chunked" in (environ.get("HTTP_TRANSFER_ENCODING") or "").lower():
        return None
    return 0


class FinishBody:
    """WSGI middleware: drain an unread request body, or close the connection after the answer."""

    def __init__(self, app: WSGIApp, drain_limit: int = DRAIN_LIMIT) -> None:
        self.app, self.drain_limit = app, drain_limit

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        length = _body_length(environ)
        if length == 0:
            return self.app(environ, start_response)
        body = _CountingInput(environ["wsgi.input"], length)
        environ["wsgi.input"] = body

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            try:
                finished = body.finish(self.drain_limit)
            except OSError:  # the client went away mid-body
                finished = False
            if not finished:
                headers = [(k, v) for k, v in headers if k.lower() != "connection"]
                headers.append(("Connection", "close"))
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        return self.app(environ, start)
