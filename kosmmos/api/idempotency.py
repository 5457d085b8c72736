"""Idempotency keys on writes: a repeat with the same ``Idempotency-Key`` gets the stored answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.responses import NinjaJSONEncoder

from kosmmos.api import errors
from kosmmos.api.errors import ApiError
from kosmmos.api.models import IdempotentResponse
from kosmmos.api.security import caller

# How long a stored answer is replayed: long enough for any client's retries, short enough that
# the table stays small (older rows are deleted as the token writes again).
IDEMPOTENCY_TTL = timedelta(hours=24)
HEADER = "Idempotency-Key"
MAX_KEY = 200


def _json(status: int, body: Any) -> HttpResponse:
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status,
                        content_type="application/json; charset=utf-8")


def idempotent(status: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run a write (whose success answers ``status``) once per (token, key).

    The write and the stored answer commit together: if two calls with one key race, the second
    insert fails on the unique key, its write rolls back, and it replays the first one's answer.
    Only successes are stored, so a request refused for bad input can be corrected and resent.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER, "").strip()
            if not key:
                return view(request, *args, **kwargs)
            if len(key) > MAX_KEY:
                raise errors.invalid_parameter(HEADER, _("The key is longer than 200 characters."))
            token = caller(request).token
            digest = hashlib.sha256(b"%s %s\n%s" % ((request.method or "").encode(), request.path.encode(),
                                                    request.body)).hexdigest()

            def replay(stored: IdempotentResponse) -> HttpResponse:
                if stored.request_hash != digest:
                    raise ApiError(422, "idempotency_key_reused", _(
                        "This Idempotency-Key was already used for a different request."))
                response = _json(stored.status, stored.body)
                response["Idempotent-Replayed"] = "true"
                return response

            IdempotentResponse.objects.filter(
                token=token, created_at__lt=timezone.now() - IDEMPOTENCY_TTL).delete()
            found = IdempotentResponse.objects.filter(token=token, key=key).first()
            if found is not None:
                return replay(found)
            try:
                with transaction.atomic():
                    result = view(request, *args, **kwargs)
                    # Stored as the answer renders, so a replay is alike.
                    plain = json.loads(json.dumps(result, cls=NinjaJSONEncoder))
                    IdempotentResponse.objects.create(
                        token=token, key=key, method=request.method or "", path=request.path[:500],
                        request_hash=digest, status=status, body=plain)
            except IntegrityError:
                found = IdempotentResponse.objects.filter(token=token, key=key).first()
                if found is None:
                    raise
                return replay(found)
            return result

        return wrapper

    return decorate
