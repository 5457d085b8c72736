"""The OpenAPI 3.1 document, generated from ``endpoints.ENDPOINTS`` — the list the router uses."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from kosmmos.api.endpoints import ENDPOINTS, PATH_PARAMS
from kosmmos.api.errors import CODES
from kosmmos.api.registry import BASE, Endpoint
from kosmmos.api.schemas import COMPONENTS, ref

VERSION = "1.0.0"


def _error_responses(endpoint: Endpoint) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status in endpoint.errors:
        codes = sorted(code for code, s in CODES.items() if s == status)
        out[str(status)] = {"description": ", ".join(codes),
                            "content": {"application/json": {"schema": ref("Error")}}}
    return out


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "description": str(PATH_PARAMS[name]),
         "schema": {"type": "string", "format": "uuid"}} for name in endpoint.path_params
    ]
    parameters += [{"name": p.name, "in": "query", "required": False,
                    "description": str(p.description), "schema": p.schema} for p in endpoint.query]
    operation: dict[str, Any] = {
        "operationId": endpoint.operation_id, "summary": str(endpoint.summary),
        "tags": [endpoint.tag], "parameters": parameters,
        "responses": {str(endpoint.status): {
            "description": "OK", "content": {"application/json": {"schema": endpoint.response}}},
            **_error_responses(endpoint)},
    }
    if endpoint.write:
        parameters.append({
            "name": "Idempotency-Key", "in": "header", "required": False,
            "description": _("Repeat a write safely: the same key with the same token returns "
                             "the stored answer instead of writing twice."),
            "schema": {"type": "string", "maxLength": 200}})
        operation["description"] = _("Needs a read-write token and the owner or SMM manager role.")
    if endpoint.body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": endpoint.body}}}
    return operation


def spec() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": _("Kosmmos API"), "version": VERSION,
            "description": _("Read client workspaces, channels, the content plan, the inbox and "
                             "money figures; create and schedule posts. Authenticate with a "
                             "personal API token: Authorization: Bearer <token>."),
        },
        "servers": [{"url": f"{settings.SITE_URL}{BASE}"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
