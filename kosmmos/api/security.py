"""Who is calling: the bearer token, its rate limit and, for writes, its right to write.

Session cookies and CSRF play no part: a call is authenticated by its bearer token only, so a
signed-in browser cannot be tricked into making API writes. The checks run in this order,
before the call's parameters and body are read: token, rate limit, write rights.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from kosmmos.accounts.models import STAFF_ROLES, Membership, User
from kosmmos.api import errors
from kosmmos.api.errors import ApiError
from kosmmos.api.models import ApiToken
from kosmmos.api.tokens import authenticate
from kosmmos.lib.ratelimit import Window

# Calls per token per minute; generous for a CRM sync, low enough to stop a runaway loop.
DEFAULT_RATE_LIMIT = 600


@dataclass
class Caller:
    """The token of an authenticated call and its user's membership (``request.auth``)."""

    token: ApiToken
    membership: Membership

    @property
    def user(self) -> User:
        return self.membership.user


def caller(request: HttpRequest) -> Caller:
    """The ``Caller`` that ``Bearer`` returned, which ninja keeps as ``request.auth``."""
    call = request.auth  # type: ignore[attr-defined]  # ninja sets it; Django's stubs do not declare it
    assert isinstance(call, Caller)
    return call


def _rate_limit(token: ApiToken) -> None:
    limit = int(getattr(settings, "API_RATE_LIMIT_PER_MIN", DEFAULT_RATE_LIMIT))
    window = Window("api", limit, 60)
    who = str(token.pk)
    if not window.take(who):  # count-and-check in one step: concurrent calls cannot slip past
        raise ApiError(429, "rate_limited", _("Too many requests with this token; try again later."),
                       headers={"Retry-After": str(window.retry_after())})


def _check_write(token: ApiToken, membership: Membership) -> None:
    if token.read_only:
        raise ApiError(403, "token_read_only", _("This token is read-only."))
    if membership.role not in STAFF_ROLES:
        raise errors.forbidden()


class Bearer(HttpBearer):
    """``Authorization: Bearer kmm_…``; ``write`` also needs a read-write token and the owner or
    SMM manager role. The call then runs in the agency's time zone (naive times in queries and
    bodies are read in it)."""

    def __init__(self, *, write: bool = False) -> None:
        super().__init__()
        self.write = write

    def __call__(self, request: HttpRequest) -> Caller:
        token, membership = authenticate(request.headers.get("Authorization", ""))
        _rate_limit(token)
        if self.write:
            _check_write(token, membership)
        timezone.activate(zoneinfo.ZoneInfo(membership.organisation.timezone))
        return Caller(token, membership)

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        raise NotImplementedError  # __call__ reads the header itself


READ = Bearer()
WRITE = Bearer(write=True)
