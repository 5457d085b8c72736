"""The API's one error shape: ``{"error": {"code", "message", "fields"}}``, for every error the
API answers — its own, ninja's (validation, a body it cannot parse), Django's (404, 403, a body
too large) and any other exception (a 500, logged).

Messages are lazy translations, rendered in the language the request asked for (Russian unless
``Accept-Language`` prefers English), so a handler raises without knowing the language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser

from kosmmos.api.schemas import EXPECTED
from kosmmos.lib.untrusted import BadInput, parse_json

logger = logging.getLogger(__name__)
E = TypeVar("E", bound=Exception)


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
    "too_large": 413,
    "idempotency_key_reused": 422,
    "rate_limited": 429,
    "server_error": 500,
}


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("Not found."))


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", _("Your role in this organisation does not allow this."))


def invalid(fields: dict[str, list[str]], message: str | Promise | None = None) -> ApiError:
    return ApiError(400, "validation_failed", message or _("The request has errors."), fields)


def invalid_parameter(name: str, message: str | Promise) -> ApiError:
    return ApiError(400, "invalid_parameter", message, {name: [str(message)]})


def not_allowed(methods: list[str]) -> ApiError:
    return ApiError(405, "method_not_allowed", _("This method is not allowed here."),
                    headers={"Allow": ", ".join(sorted(methods))})


def not_json(message: str | Promise | None = None) -> ApiError:
    return ApiError(400, "invalid_json", message or _("The request body is not valid JSON."))


# Why a body could not be read (lib.untrusted's codes), as a person reads it.
UNREADABLE = {
    "json_too_deep": _("The request body is nested too deeply (at most 64 levels)."),
    "number_invalid": _("A number in the request body is out of range (or NaN/Infinity)."),
}


class BodyParser(Parser):
    """Request bodies through ``lib.untrusted.parse_json``: a nesting limit and number checks
    (a 400, not a RecursionError), lone surrogates and NUL cleaned so the text can be stored."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return parse_json(request.body)
        except BadInput as bad:
            raise not_json(UNREADABLE.get(bad.code)) from bad


def from_validation(errors: list[dict[str, Any]]) -> ApiError:
    """Pydantic's findings as the API's error: a query, path or header parameter gives
    ``invalid_parameter``, a body ``validation_failed`` (or ``invalid_json`` when the body is not
    an object at all). Our checkers' messages are kept; pydantic's own (English) words are
    replaced by what the field expects."""
    fields: dict[str, list[str]] = {}
    source = "query"
    for error in errors:
        source, *path = [str(part) for part in error["loc"]]
        if source == "body":
            path = path[1:]  # the name of the view's body argument
            if not path:
                return not_json(_("The request body must be a JSON object."))
        name = path[0] if path else source
        if error["type"] == "extra_forbidden":
            message = str(_("Unknown field."))
        elif error["type"] == "value_error":
            message = str(error.get("ctx", {}).get("error", error["msg"]))
        else:
            message = str(EXPECTED.get(name, _("The value is not valid.")))
        if message not in fields.setdefault(name, []):
            fields[name].append(message)
    if source == "body":
        return invalid(fields)
    # One parameter at a time, the first that is wrong (as when each was read in turn).
    name, messages = next(iter(fields.items()))
    return invalid_parameter(name, messages[0])


def _server_error(request: HttpRequest, exc: Exception) -> JsonResponse:
    logger.error("API call failed: %s %s", request.method, request.path, exc_info=exc)
    return ApiError(500, "server_error", _("Something went wrong on our side; try again later.")).response()


def _http_error(request: HttpRequest, exc: HttpError) -> JsonResponse:
    if isinstance(exc.__cause__, ApiError):
        return exc.__cause__.response()
    if exc.status_code == 400:  # ninja could not parse the body
        return not_json().response()
    return _server_error(request, exc)


def install(api: NinjaAPI) -> None:
    """Every exception an operation raises, answered in the error shape."""
    _handle(api, ApiError, lambda request, exc: exc.response())
    _handle(api, ValidationError, lambda request, exc: from_validation(exc.errors).response())
    _handle(api, HttpError, _http_error)
    _handle(api, Http404, lambda request, exc: not_found().response())
    _handle(api, PermissionDenied, lambda request, exc: forbidden().response())
    _handle(api, RequestDataTooBig, lambda request, exc: ApiError(
        413, "too_large", _("The request body is too large.")).response())
    _handle(api, Exception, _server_error)


def _handle(api: NinjaAPI, kind: type[E], handler: Callable[[HttpRequest, E], HttpResponse]) -> None:
    api.add_exception_handler(kind, handler)  # type: ignore[arg-type]  # ninja's stubs: the handler may get the class
