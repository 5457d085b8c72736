"""The API's one error shape: ``{"error": {"code", "message", "fields"}}``.

Messages are lazy translations, rendered in the language the request asked for (Russian unless
``Accept-Language`` prefers English), so a handler raises without knowing the language.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str | Promise,
                 fields: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(str(message))
        self.status, self.code, self.message = status, code, message
        self.fields = fields or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        fields = {k: [str(m) for m in v] for k, v in self.fields.items()}
        return {"error": {"code": self.code, "message": str(self.message), "fields": fields}}

    def response(self) -> JsonResponse:
        response = JsonResponse(self.body(), status=self.status,
                                json_dumps_params={"ensure_ascii": False})
        for name, value in self.headers.items():
            response[name] = value
        return response


# The codes a client can rely on, with the HTTP status each comes with (listed in the spec).
CODES: dict[str, int] = {
    "validation_failed": 400,
    "invalid_json": 400,
    "invalid_parameter": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "token_read_only": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "idempotency_key_reused": 422,
    "rate_limited": 429,
}


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("Not found."))


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", _("Your role in this organisation does not allow this."))


def invalid(fields: dict[str, list[str]], message: str | Promise | None = None) -> ApiError:
    return ApiError(400, "validation_failed", message or _("The request has errors."), fields)


def invalid_parameter(name: str, message: str | Promise) -> ApiError:
    return ApiError(400, "invalid_parameter", message, {name: [str(message)]})
