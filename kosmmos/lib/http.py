"""All outbound HTTP goes through here: a timeout on every call, one error type, SSRF checks.

``HttpError.maybe_sent`` is what publishing needs to know: a connect failure means the request
never left (safe to retry); a read timeout or a dropped connection after sending means the network
may have acted on it (the outcome is *unknown*: reconcile before any retry).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "Kosmmos/0.1 (+https://github.com/kosmmos)"

_local = threading.local()
_ssl_lock = threading.Lock()
_ssl_context: ssl.SSLContext | None = None


def _shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for every client: each context loads the whole CA bundle (~1.5 MB), and
    a publishing worker keeps a client per thread (64 threads)."""
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            # The same CA bundle httpx uses by default (certifi ships with httpx).
            import certifi

            _ssl_context = ssl.create_default_context(cafile=certifi.where())
        return _ssl_context


class HttpError(Exception):
    def __init__(self, message: str, *, maybe_sent: bool, timeout: bool = False) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent
        self.timeout = timeout


class UnsafeUrl(ValueError):
    """A user-supplied URL that must not be fetched or redirected to."""


class _NoCookies(httpx.Cookies):
    """The networks' APIs authenticate with tokens, never cookies. httpx runs every response
    through its cookie jar (urllib request wrappers, header parsing): ~14 % of a publishing
    call's CPU, measured with 256 threads. This jar keeps nothing."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


def client() -> httpx.Client:
    """One pooled client per thread (httpx clients are not shared across threads here)."""
    found: httpx.Client | None = getattr(_local, "client", None)
    if found is None:
        found = httpx.Client(
            timeout=DEFAULT_TIMEOUT, headers={"User-Agent": USER_AGENT}, verify=_shared_ssl_context()
        )
        # httpx wraps any jar it is given in a plain Cookies, so the attribute is set directly
        # (httpx is pinned; lib/tests check that no cookie is kept).
        found._cookies = _NoCookies()
        _local.client = found
    return found


def request(
    method: str, url: str, *, timeout: float | httpx.Timeout | None = None, **kwargs: Any
) -> httpx.Response:
    """Send one request; any HTTP status is returned, transport failures raise HttpError."""
    try:
        return client().request(method, url, timeout=timeout or DEFAULT_TIMEOUT, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise HttpError(f"cannot connect: {exc}", maybe_sent=False,
                        timeout=isinstance(exc, httpx.TimeoutException)) from exc
    except httpx.TimeoutException as exc:
        raise HttpError(f"timed out: {exc}", maybe_sent=True, timeout=True) from exc
    except httpx.TransportError as exc:
        raise HttpError(f"connection failed: {exc}", maybe_sent=True) from exc


def get(url: str, **kwargs: Any) -> httpx.Response:
    return request("GET", url, **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    return request("POST", url, **kwargs)


def check_public_url(url: str, *, resolve: bool | None = None, must_resolve: bool = True) -> str:
    """Accept only http(s) URLs whose host is not a private, loopback or link-local address.

    ``resolve`` (default: settings.KOSMMOS_RESOLVE_URLS) also resolves host names, so a name that
    points inside our network is refused too. ``must_resolve=False`` lets a name that does not
    resolve (yet) pass — right for redirect targets, which we never fetch ourselves; wrong for
    URLs we fetch. Returns the URL unchanged, or raises UnsafeUrl.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeUrl("only http and https addresses are allowed")
    host = parts.hostname
    addresses: list[str] = []
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if resolve if resolve is not None else getattr(settings, "KOSMMOS_RESOLVE_URLS", True):
            try:
                addresses = [str(info[4][0]) for info in socket.getaddrinfo(host, None)]
            except OSError as exc:
                if must_resolve:
                    raise UnsafeUrl(f"the host {host} does not resolve") from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            raise UnsafeUrl(f"the address {address} is not public")
    return url
