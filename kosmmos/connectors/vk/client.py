"""VK API 5.199 over HTTPS: one ``call`` per method, errors mapped to the connector contract.

Every request goes through ``kosmmos.lib.http`` (timeouts, one error type) and through the
per-token limiter (3 req/s for a user token, 20 req/s for a community token — B in the facts
sheet, taken from the established client libraries). The token travels in the POST body, never
in a URL, so it does not end up in proxy logs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from django.utils.translation import gettext as _

from kosmmos.connectors import ratelimit
from kosmmos.connectors.base import AmbiguousOutcome, AuthRevoked, ConnectorError, RateLimited
from kosmmos.lib import http

API = "https://api.vk.com/method/"
VERSION = "5.199"
USER = "user"  # the token types of the schema's access_token_type
GROUP = "group"
SERVICE = "service"  # an application's service token: public reads only (facts §2)
RATES = {USER: 3.0, GROUP: 20.0, SERVICE: 3.0}
# Uploads can be large; the API calls themselves keep the default timeout.
UPLOAD_TIMEOUT = httpx.Timeout(120.0, connect=5.0)

AUTH_CODES = {5, 27, 28}  # user / group / application authorisation failed
# How long to wait for each rate-limit code: 6 is per second; 9 (flood control on an action)
# lasts minutes to hours; 29 (the method's daily quota) resets within a day — look again hourly.
RATE_CODES = {6: 1.0, 9: 600.0, 29: 3600.0}
SERVER_CODES = {1, 10}  # unknown error, internal server error


def _permanent_messages() -> dict[int, str]:
    return {
        14: _("VK asks for a captcha (error 14): too many actions from this account. Sign in to "
              "VK as the token's owner, post once by hand, then try again."),
        17: _("VK requires the account to be validated (error 17). Sign in to VK as the "
              "token's owner, complete the check, then reconnect the channel."),
        214: _("VK denied posting (error 214): the wall is closed, the community's daily post "
               "limit is reached, or the scheduled time is taken."),
        219: _("VK refused the ad post (error 219): an advertising post was published recently."),
        224: _("VK refused the ad post (error 224): the limit of advertising posts is reached."),
        222: _("VK forbids hyperlinks in this community's posts (error 222)."),
        15: _("VK denied access (error 15): the token's user cannot do this in the community."),
        7: _("VK denied permission (error 7): the token lacks a scope (wall, photos, video, "
             "stats, groups)."),
    }


def api_error(method: str, error: dict[str, Any], *, publishing: bool) -> ConnectorError:
    """The contract's error for VK's ``{"error": {"error_code", "error_msg"}}``."""
    code = int(error.get("error_code") or 0)
    text = str(error.get("error_msg") or "")
    where = f"VK {method}: {text} (error {code})"
    if code in AUTH_CODES:
        return AuthRevoked(
            _("VK no longer accepts the token (error %(code)s: %(text)s). Reconnect the channel.")
            % {"code": code, "text": text}, code=code,
        )
    if code in RATE_CODES:
        return RateLimited(where, retry_after=RATE_CODES[code], code=code)
    if code in SERVER_CODES:
        # An explicit internal error on wall.post may still have created the post.
        if publishing:
            return AmbiguousOutcome(where, code=code)
        return ConnectorError(where, code=code)
    message = _permanent_messages().get(code)
    return ConnectorError(f"{message} {text}".strip() if message else where,
                          permanent=True, code=code)


def transport_error(what: str, exc: http.HttpError, *, publishing: bool) -> ConnectorError:
    if exc.maybe_sent and publishing:
        return AmbiguousOutcome(f"{what}: {exc} — the post may have been published")
    return ConnectorError(f"{what}: {exc}")


class VkClient:
    """One token's view of the API. ``kind`` is the token's type, USER or GROUP (a community
    token): it sets the request rate, and the schema says which methods take which."""

    def __init__(self, token: str, *, kind: str) -> None:
        self.token = token
        self.kind = kind
        self.rate = RATES[kind]
        self.bucket = ratelimit.key_for("vk", token)

    def call(self, method: str, params: dict[str, Any], *, publishing: bool = False) -> Any:
        """POST one method; returns ``response``. ``publishing`` marks a call that creates a post
        (wall.post): after it may have been sent, a failure is an AmbiguousOutcome."""
        ratelimit.acquire(self.bucket, self.rate, self.rate)
        data = {k: str(v) for k, v in params.items() if v is not None}
        data.update(access_token=self.token, v=VERSION)
        try:
            response = http.post(API + method, data=data)
        except http.HttpError as exc:
            raise transport_error(f"VK {method}", exc, publishing=publishing) from exc
        return unwrap(method, response, publishing=publishing)

    def upload(self, url: str, field: str, path: str, mime: str, name: str = "") -> dict[str, Any]:
        """POST a file to an upload server VK handed us. Not a publishing step: a failure here
        leaves at most an unattached file on VK, so it is always safe to retry."""
        filename = name or Path(path).name
        try:
            with open(path, "rb") as fh:
                response = http.post(url, files={field: (filename, fh, mime)},
                                     timeout=UPLOAD_TIMEOUT)
        except OSError as exc:
            raise ConnectorError(f"cannot read the media file {filename}: {exc}",
                                 permanent=True) from exc
        except http.HttpError as exc:
            raise transport_error("VK upload", exc, publishing=False) from exc
        if response.status_code >= 500:
            raise ConnectorError(f"VK upload: HTTP {response.status_code}")
        try:
            body: dict[str, Any] = response.json()
        except ValueError as exc:
            raise ConnectorError(f"VK upload: HTTP {response.status_code}, not JSON") from exc
        if "error" in body:
            raise ConnectorError(
                _("VK did not accept the file %(name)s: %(error)s")
                % {"name": filename, "error": body.get("error_descr") or body["error"]},
                permanent=True,
            )
        return body


def unwrap(method: str, response: httpx.Response, *, publishing: bool) -> Any:
    """A method's ``response`` from VK's answer, or the contract's error (a call that may have
    written, ``publishing``, is ambiguous after a 5xx or a garbled answer)."""
    if response.status_code == 429:
        raise RateLimited(f"VK {method}: HTTP 429", retry_after=_retry_after(response))
    if response.status_code >= 500:
        what = f"VK {method}: HTTP {response.status_code}"
        raise AmbiguousOutcome(what) if publishing else ConnectorError(what)
    try:
        body = response.json()
    except ValueError as exc:
        what = f"VK {method}: HTTP {response.status_code}, not JSON"
        raise (AmbiguousOutcome(what) if publishing else ConnectorError(what)) from exc
    if "error" in body:
        raise api_error(method, body["error"], publishing=publishing)
    if "response" not in body:
        raise ConnectorError(f"VK {method}: unexpected answer {str(body)[:200]}")
    return body["response"]


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(1.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0
