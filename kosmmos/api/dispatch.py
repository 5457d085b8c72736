"""What every API call goes through, in order: language, method, token, rate limit, role,
body, idempotency, the handler, and one JSON error shape for whatever goes wrong.

Session cookies and CSRF play no part: a call is authenticated by its bearer token only, so a
signed-in browser cannot be tricked into making API writes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.csrf import csrf_exempt

from kosmmos.accounts.models import STAFF_ROLES, Membership
from kosmmos.api import errors
from kosmmos.api.errors import ApiError
from kosmmos.api.models import ApiToken, IdempotentResponse
from kosmmos.api.registry import Endpoint
from kosmmos.api.tokens import authenticate
from kosmmos.lib.ratelimit import Window

logger = logging.getLogger(__name__)

SUPPORTED = {code for code, _name in settings.LANGUAGES}
# How long a stored answer is replayed: long enough for any client's retries, short enough that
# the table stays small (older rows are deleted as the token writes again).
IDEMPOTENCY_TTL = timedelta(hours=24)
# Calls per token per minute; generous for a CRM sync, low enough to stop a runaway loop.
DEFAULT_RATE_LIMIT = 600


@dataclass
class Call:
    """One authenticated API call, as handlers see it."""

    request: HttpRequest
    token: ApiToken
    membership: Membership
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def user(self) -> Any:
        return self.membership.user

    @property
    def query(self) -> Any:
        return self.request.GET


def api_language(request: HttpRequest) -> str:
    """Russian unless ``Accept-Language`` prefers another supported language (the pages' cookie
    and profile choice do not apply: an integration has neither)."""
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        base = code.split("-")[0].lower()
        if base in SUPPORTED:
            return base
    return str(settings.LANGUAGE_CODE)


def json_response(status: int, body: dict[str, Any]) -> JsonResponse:
    return JsonResponse(body, status=status, encoder=DjangoJSONEncoder,
                        json_dumps_params={"ensure_ascii": False})


def _rate_limit(token: ApiToken) -> None:
    limit = int(getattr(settings, "API_RATE_LIMIT_PER_MIN", DEFAULT_RATE_LIMIT))
    window = Window("api", limit, 60)
    who = str(token.pk)
    if window.is_exhausted(who):
        raise ApiError(429, "rate_limited", _("Too many requests with this token; try again later."),
                       headers={"Retry-After": str(window.retry_after())})
    window.hit(who)


def _check_write(token: ApiToken, membership: Membership) -> None:
    if token.read_only:
        raise ApiError(403, "token_read_only", _("This token is read-only."))
    if membership.role not in STAFF_ROLES:
        raise errors.forbidden()


def _parse_body(request: HttpRequest) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", _("The request body is not valid JSON.")) from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", _("The request body must be a JSON object."))
    return body


def _run(endpoint: Endpoint, call: Call, kwargs: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The handler with Django's access exceptions turned into API errors."""
    try:
        return endpoint.handler(call, **kwargs)
    except Http404 as exc:
        raise errors.not_found() from exc
    except PermissionDenied as exc:
        raise errors.forbidden() from exc


def _idempotent(endpoint: Endpoint, call: Call, kwargs: dict[str, Any], key: str) -> HttpResponse:
    """Run a write once per (token, key); a repeat gets the stored answer.

    The write and the stored answer commit together: if two calls with one key race, the second
    insert fails on the unique key, its write rolls back, and it replays the first one's answer.
    Only successes are stored, so a request refused for bad input can be corrected and resent.
    """
    request = call.request
    digest = hashlib.sha256(b"%s %s\n%s" % (request.method.encode(), request.path.encode(),
                                            request.body)).hexdigest()

    def replay(stored: IdempotentResponse) -> HttpResponse:
        if stored.request_hash != digest:
            raise ApiError(422, "idempotency_key_reused", _(
                "This Idempotency-Key was already used for a different request."))
        response = json_response(stored.status, stored.body)
        response["Idempotent-Replayed"] = "true"
        return response

    IdempotentResponse.objects.filter(
        token=call.token, created_at__lt=timezone.now() - IDEMPOTENCY_TTL).delete()
    found = IdempotentResponse.objects.filter(token=call.token, key=key).first()
    if found is not None:
        return replay(found)
    try:
        with transaction.atomic():
            status, body = _run(endpoint, call, kwargs)
            # Stored through the same encoder as the response, so a replay is byte-for-byte alike.
            plain = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
            if 200 <= status < 300:
                IdempotentResponse.objects.create(
                    token=call.token, key=key, method=request.method or "", path=request.path[:500],
                    request_hash=digest, status=status, body=plain)
    except IntegrityError:
        found = IdempotentResponse.objects.filter(token=call.token, key=key).first()
        if found is None:
            raise
        return replay(found)
    return json_response(status, plain)


def _handle(request: HttpRequest, endpoints: dict[str, Endpoint], kwargs: dict[str, Any]) -> HttpResponse:
    endpoint = endpoints.get(request.method or "")
    if endpoint is None:
        raise ApiError(405, "method_not_allowed", _("This method is not allowed here."),
                       headers={"Allow": ", ".join(sorted(endpoints))})
    token, membership = authenticate(request.headers.get("Authorization", ""))
    _rate_limit(token)
    if endpoint.write:
        _check_write(token, membership)
    call = Call(request, token, membership, _parse_body(request) if endpoint.write else {})
    with timezone.override(zoneinfo.ZoneInfo(membership.organisation.timezone)):
        key = request.headers.get("Idempotency-Key", "").strip()
        if endpoint.write and key:
            if len(key) > 200:
                raise errors.invalid_parameter("Idempotency-Key", _("The key is longer than 200 characters."))
            return _idempotent(endpoint, call, kwargs, key)
        status, body = _run(endpoint, call, kwargs)
        return json_response(status, body)


def make_view(endpoints: list[Endpoint]) -> Callable[..., HttpResponse]:
    """One Django view for the endpoints sharing a path, dispatching on the method."""
    by_method = {e.method: e for e in endpoints}

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        with translation.override(api_language(request)):
            try:
                response = _handle(request, by_method, kwargs)
            except ApiError as error:
                response = error.response()
            response["Content-Language"] = translation.get_language()
            response["Cache-Control"] = "no-store"
            patch_vary_headers(response, ["Accept-Language", "Authorization"])
            return response

    view.api_endpoints = by_method  # type: ignore[attr-defined]
    return view


def url_patterns(endpoints: list[Endpoint]) -> list[URLPattern]:
    """The URL patterns of the registry: one per path, named after its first operation."""
    grouped: dict[str, list[Endpoint]] = {}
    for endpoint in endpoints:
        grouped.setdefault(endpoint.path, []).append(endpoint)
    return [path(f"api/v1/{group[0].route}", make_view(group), name=group[0].operation_id)
            for group in grouped.values()]
