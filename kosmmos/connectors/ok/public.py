"""Public reads of an OK group with the application's keys, no user session (facts §2).

- https://apiok.ru/dev/methods/rest/group/group.getInfo — ``uids``, ``fields``.
- https://apiok.ru/dev/methods/rest/group/group.getCounters — ``group_id``,
  ``counterTypes=members``.

Signed without a session: ``sig = md5(sorted k=v + application_secret_key)``
(https://apiok.ru/en/dev/methods/rest/url/url.getInfo). OK's group posts need a session, so an
OK competitor has its followers only. The endpoint ``https://api.ok.ru/fb.do`` is the one the
publishing connector uses; sessionless calls to it signed this way appear in third-party code (3P).
The answer of group.getCounters, ``{"counters": {"members": N}}``, is taken from the method's
page and is not checked against a live answer (unverified).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from kosmmos.connectors import public
from kosmmos.connectors.base import ConnectorError
from kosmmos.connectors.ok.client import API, api_error
from kosmmos.lib import http


def sessionless_signature(params: Mapping[str, str], secret_key: str) -> str:
    joined = "".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sig")
    return hashlib.md5((joined + secret_key).encode()).hexdigest()  # noqa: S324  (OK's scheme)


def call(method: str, params: dict[str, Any], keys: Mapping[str, str]) -> Any:
    app_key, secret = keys.get("ok_application_key", ""), keys.get("ok_secret_key", "")
    if not app_key or not secret:
        raise ConnectorError("No OK application keys: set them in the organisation's settings.",
                             permanent=True)
    public.take_slot("ok", app_key)
    data = {k: str(v) for k, v in params.items()}
    data.update(application_key=app_key, format="json", method=method)
    data["sig"] = sessionless_signature(data, secret)
    try:
        response = http.post(API, data=data)
    except http.HttpError as exc:
        raise ConnectorError(f"OK {method}: {exc}") from exc
    if response.status_code >= 500:
        raise ConnectorError(f"OK {method}: HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as exc:
        raise ConnectorError(f"OK {method}: not JSON") from exc
    if isinstance(body, dict) and "error_code" in body:
        raise api_error(method, body, publishing=False)
    return body


def read(handle: str, keys: Mapping[str, str]) -> public.Snapshot:
    if not handle.isdigit():
        raise ConnectorError("Add an OK group by its numeric link (ok.ru/group/<id>).",
                             permanent=True)
    info = call("group.getInfo", {"uids": handle, "fields": "uid,name"}, keys)
    groups = info.get("groups", info) if isinstance(info, dict) else info
    if not groups:
        raise ConnectorError(f"OK has no group {handle}", permanent=True)
    counters = call("group.getCounters", {"group_id": handle, "counterTypes": "members"}, keys)
    members = (counters.get("counters") or {}).get("members") if isinstance(counters, dict) else None
    return public.Snapshot(external_id=handle, name=str(groups[0].get("name") or handle),
                           url=public.link("ok", handle),
                           followers=int(members) if members is not None else None)
