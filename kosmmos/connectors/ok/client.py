"""OK.ru REST API (https://api.ok.ru/fb.do): signing, one ``call`` per method, error mapping.

Signature (https://apiok.ru/dev/methods/ — "Подпись запроса"): drop ``access_token`` and
``session_key``, sort the remaining parameters by name, join them as ``k=v`` with no separator,
append ``md5(access_token + application_secret_key)`` (lower-case hex) and take the md5 of the
whole (lower-case hex). We send ``application_key, format=json, method, sig, access_token`` with
the method's parameters, as a POST form so long texts fit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
from django.utils.translation import gettext as _

from kosmmos.connectors import ratelimit
from kosmmos.connectors.base import AmbiguousOutcome, AuthRevoked, ConnectorError, RateLimited
from kosmmos.lib import http

API = "https://api.ok.ru/fb.do"
UPLOAD_TIMEOUT = httpx.Timeout(120.0, connect=5.0)
# OK does not publish a per-token request rate (B); stay well below anything flood control
# would notice.
RATE = 5.0

AUTH_CODES = {102, 103}  # session expired, invalid session key
RATE_CODES = {8: 600.0, 11: 3600.0}  # flood blocked, limit reached
TRANSIENT_CODES = {1, 2, 9}  # unknown, service unavailable, unknown (per OK's error list, B)


def signature(params: dict[str, Any], access_token: str, secret_key: str) -> str:
    signed = sorted(
        (k, str(v)) for k, v in params.items() if k not in {"access_token", "session_key", "sig"}
    )
    joined = "".join(f"{k}={v}" for k, v in signed)
    secret = hashlib.md5((access_token + secret_key).encode()).hexdigest()  # noqa: S324
    return hashlib.md5((joined + secret).encode()).hexdigest()  # noqa: S324  (OK's scheme)


def api_error(method: str, body: dict[str, Any], *, publishing: bool) -> ConnectorError:
    code = int(body.get("error_code") or 0)
    text = str(body.get("error_msg") or "")
    where = f"OK {method}: {text} (error {code})"
    if code in AUTH_CODES:
        return AuthRevoked(
            _("OK no longer accepts the access token (error %(code)s: %(text)s). Get a new "
              "token and reconnect the channel.") % {"code": code, "text": text}, code=code)
    if code in RATE_CODES:
        return RateLimited(where, retry_after=RATE_CODES[code], code=code)
    if code in TRANSIENT_CODES:
        return ConnectorError(where, code=code)
    if code == 104:
        return ConnectorError(
            _("OK rejected the request signature (error 104): the application secret key does "
              "not match the application key or the access token. Check the keys.") + f" {text}",
            permanent=True, code=code)
    if code == 200:
        return ConnectorError(
            _("OK denied permission (error 200): the application lacks a permission "
              "(GROUP_CONTENT, PHOTO_CONTENT, VALUABLE_ACCESS) or the user is not a group "
              "administrator.") + f" {text}", permanent=True, code=code)
    if code == 100:
        return ConnectorError(_("OK rejected a parameter (error 100):") + f" {text}",
                              permanent=True, code=code)
    return ConnectorError(where, permanent=True, code=code)


class OkClient:
    def __init__(self, application_key: str, secret_key: str, access_token: str) -> None:
        self.application_key = application_key
        self.secret_key = secret_key
        self.access_token = access_token
        self.bucket = ratelimit.key_for("ok", access_token)

    def signed(self, method: str, params: dict[str, Any]) -> dict[str, str]:
        data = {k: str(v) for k, v in params.items() if v is not None}
        data.update(application_key=self.application_key, format="json", method=method)
        data["sig"] = signature(data, self.access_token, self.secret_key)
        data["access_token"] = self.access_token
        return data

    def call(self, method: str, params: dict[str, Any], *, publishing: bool = False) -> Any:
        ratelimit.acquire(self.bucket, RATE, RATE)
        try:
            response = http.post(API, data=self.signed(method, params))
        except http.HttpError as exc:
            if exc.maybe_sent and publishing:
                raise AmbiguousOutcome(f"OK {method}: {exc} — the topic may have been "
                                       "published") from exc
            raise ConnectorError(f"OK {method}: {exc}") from exc
        if response.status_code >= 500:
            what = f"OK {method}: HTTP {response.status_code}"
            raise AmbiguousOutcome(what) if publishing else ConnectorError(what)
        try:
            body = response.json()
        except ValueError as exc:
            what = f"OK {method}: HTTP {response.status_code}, not JSON"
            raise (AmbiguousOutcome(what) if publishing else ConnectorError(what)) from exc
        if isinstance(body, dict) and "error_code" in body:
            raise api_error(method, body, publishing=publishing)
        return body

    def upload(self, url: str, files: list[tuple[str, str, str]]) -> dict[str, Any]:
        """POST photos (``[(path, mime, name)]``) as ``pic1..picN`` to an upload URL OK gave us."""
        handles = []
        try:
            parts = {}
            for number, (path, mime, name) in enumerate(files, start=1):
                handle = open(path, "rb")  # noqa: SIM115 (closed below)
                handles.append(handle)
                parts[f"pic{number}"] = (name or Path(path).name, handle, mime)
            response = http.post(url, files=parts, timeout=UPLOAD_TIMEOUT)
        except OSError as exc:
            raise ConnectorError(f"cannot read a media file: {exc}", permanent=True) from exc
        except http.HttpError as exc:
            raise ConnectorError(f"OK upload: {exc}") from exc
        finally:
            for handle in handles:
                handle.close()
        if response.status_code >= 500:
            raise ConnectorError(f"OK upload: HTTP {response.status_code}")
        try:
            body: dict[str, Any] = response.json()
        except ValueError as exc:
            raise ConnectorError(f"OK upload: HTTP {response.status_code}, not JSON") from exc
        if "error_code" in body or "photos" not in body:
            raise ConnectorError(_("OK did not accept the photos: %(error)s")
                                 % {"error": body.get("error_msg") or body}, permanent=True)
        return body
