"""VK ORD (ord.vk.com), the first ORD behind the contract in ``connectors/ord.py``.

Sources, per call: the API guide https://ord.vk.com/help/api/api.html and its Swagger
https://ord.vk.com/help/api/swagger/ (paths and versions), cross-checked with the PHP SDK
github.com/darkdarin/vk-ord-sdk (src/VkOrd.php and src/DTO at commit 0514dcc: field names, the
upsert-by-external-id wording "не существует — создаст, существует — обновит", statistics rows
carrying their own ``external_id``). Hosts: production ``https://api.ord.vk.com``, sandbox
``https://api-sandbox.ord.vk.com`` (nothing sent there reaches ЕРИР). ``Authorization: Bearer``.
Rate limits are not documented; a 429 is treated like a 5xx.
"""

from __future__ import annotations

import json
import time
from typing import Any

from kosmmos.connectors.base import AmbiguousOutcome, AuthRevoked
from kosmmos.connectors.ord import Exchange, OrdError, Result, redact
from kosmmos.lib import http

PRODUCTION = "https://api.ord.vk.com"
SANDBOX = "https://api-sandbox.ord.vk.com"
# Writes answer within seconds; a longer wait is an unknown outcome (the upsert makes it safe).
TIMEOUT = 20.0


class _Ambiguous(AmbiguousOutcome):
    def __init__(self, message: str, exchange: Exchange) -> None:
        super().__init__(message)
        self.exchange = exchange


class _Revoked(AuthRevoked):
    def __init__(self, message: str, exchange: Exchange, code: int) -> None:
        super().__init__(message, code=code)
        self.exchange = exchange


class VkOrdClient:
    code = "vkord"

    def __init__(self, *, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token

    def _call(self, method: str, path: str, *, body: Any = None,
              files: dict[str, Any] | None = None, data: dict[str, str] | None = None,
              params: dict[str, str] | None = None) -> Result:
        shown = body if body is not None else ({**(data or {}), "media_file": "<file>"}
                                               if files else None)
        exchange = Exchange(method, path + (f"?{'&'.join(f'{k}={v}' for k, v in params.items())}"
                                            if params else ""),
                            request=redact(shown, self.token))
        started = time.monotonic()
        try:
            response = http.request(
                method, self.base_url + path, timeout=TIMEOUT, params=params,
                headers={"Authorization": f"Bearer {self.token}"},
                **({"json": body} if body is not None else {}),
                **({"files": files, "data": data} if files else {}))
        except http.HttpError as exc:
            exchange.duration_ms = int((time.monotonic() - started) * 1000)
            exchange.error = str(exc)
            if exc.maybe_sent:
                raise _Ambiguous(f"VK ORD: {exc}", exchange) from exc
            raise OrdError(f"VK ORD: {exc}", exchange=exchange) from exc
        exchange.duration_ms = int((time.monotonic() - started) * 1000)
        exchange.status = response.status_code
        exchange.answer = redact(response.text[:20000], self.token)
        try:
            parsed = response.json() if response.content else {}
        except ValueError:
            parsed = {}
        answer = parsed if isinstance(parsed, dict) else {"items": parsed}
        if response.status_code < 300:
            return Result(exchange, answer)
        message = _message(answer) or f"HTTP {response.status_code}"
        exchange.error = message
        if response.status_code in (401, 403):
            raise _Revoked(f"VK ORD: {message}", exchange, response.status_code)
        if response.status_code >= 500 or response.status_code == 429:
            raise _Ambiguous(f"VK ORD: {message}", exchange)
        raise OrdError(f"VK ORD: {message}", exchange=exchange, permanent=True,
                       code=response.status_code)

    # Swagger: person/v1-create-person — PUT /v1/person/{external_id}
    def put_person(self, external_id: str, person: dict[str, Any]) -> Result:
        return self._call("PUT", f"/v1/person/{external_id}", body=person)

    # Swagger: contract/v1-create-contract — PUT /v1/contract/{external_id}
    def put_contract(self, external_id: str, contract: dict[str, Any]) -> Result:
        return self._call("PUT", f"/v1/contract/{external_id}", body=contract)

    # Swagger: pad/v1-create-pad — PUT /v1/pad/{external_id}
    def put_pad(self, external_id: str, pad: dict[str, Any]) -> Result:
        return self._call("PUT", f"/v1/pad/{external_id}", body=pad)

    # Swagger: media/v1-upload-media — PUT /v1/media/{external_id}, multipart media_file +
    # description, ≤256 MB, answers {sha256}; 409 when that external id was uploaded before,
    # which for us (stable ids, same file) means "already there".
    def put_media(self, external_id: str, content: bytes, name: str, mime: str,
                  description: str) -> Result:
        try:
            return self._call("PUT", f"/v1/media/{external_id}",
                              files={"media_file": (name or external_id, content, mime)},
                              data={"description": description[:255]})
        except OrdError as exc:
            if exc.code == 409:
                return Result(exc.exchange, {"existing": True})
            raise

    # Swagger: creative (v3) — PUT /v3/creative/{external_id} answers {erid, messages?}; an
    # existing external id is updated and keeps its erid (SDK setCreative's doc comment).
    def put_creative(self, external_id: str, creative: dict[str, Any]) -> Result:
        result = self._call("PUT", f"/v3/creative/{external_id}", body=creative)
        if not str(result.body.get("erid", "")).strip():
            raise OrdError("VK ORD answered without an erid.", exchange=result.exchange)
        return result

    # Swagger: statistics/v3-create-statistics — POST /v3/statistics {items:[…]}; each item has
    # our external_id (SDK DTO/Statistic.php), so a repeated batch upserts the same rows.
    def post_statistics(self, items: list[dict[str, Any]]) -> Result:
        return self._call("POST", "/v3/statistics", body={"items": items})

    # Swagger: invoice/v4 — PUT /v4/invoice/{external_id}?draft=true keeps it out of ЕРИР
    def put_invoice(self, external_id: str, invoice: dict[str, Any], *, draft: bool) -> Result:
        return self._call("PUT", f"/v4/invoice/{external_id}", body=invoice,
                          params={"draft": "true"} if draft else None)

    # Swagger: invoice/v4 — POST /v4/invoice/{external_id}/ready sends a draft on to ЕРИР
    def invoice_ready(self, external_id: str) -> Result:
        return self._call("POST", f"/v4/invoice/{external_id}/ready", body={})

    # Swagger: erir — GET /v1/{person|contract|creative|pad|invoice}/{external_id}/erir_status
    def erir_status(self, kind: str, external_id: str) -> Result:
        return self._call("GET", f"/v1/{kind}/{external_id}/erir_status")


def _message(answer: dict[str, Any]) -> str:
    """VK ORD errors are ``{"error": …, "external_id"?, "index"?}`` or a list of them."""
    found = answer.get("items")
    items: list[Any] = found if isinstance(found, list) else [answer]
    parts = []
    for item in items[:5]:
        if isinstance(item, dict) and item.get("error"):
            where = item.get("external_id") or item.get("index")
            parts.append(f"{item['error']}" + (f" ({where})" if where not in (None, "") else ""))
    return "; ".join(parts) or (json.dumps(answer, ensure_ascii=False)[:300] if answer else "")
