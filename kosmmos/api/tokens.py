"""Issuing, checking and revoking personal API tokens.

A token reads ``kmm_<prefix>_<secret>``. The prefix (public, unique) finds the row; the secret is
compared by its SHA-256 in constant time. A random 256-bit secret needs no slow hash: there is
nothing to brute-force that a fast hash would make easier.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Membership
from kosmmos.api.errors import ApiError
from kosmmos.api.models import ApiToken
from kosmmos.audit.log import record
from kosmmos.lib.ids import short_code

SCHEME = "kmm"
# Writing "last used" on every call would turn each read into a write; a minute is precise enough.
LAST_USED_PRECISION = timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def issue_token(membership: Membership, *, name: str, read_only: bool = False,
                expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for the member; returns the row and the full token, which is never stored."""
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organisation=membership.organisation, user=membership.user, name=name.strip()[:100],
        prefix=short_code(12), secret_hash=_hash(secret), read_only=read_only,
        expires_at=expires_at,
    )
    record(token.organisation_id, "api_token.created", target=token, changes={"name": token.name})
    return token, f"{SCHEME}_{token.prefix}_{secret}"


def revoke_token(token: ApiToken) -> bool:
    """Revoke once; a second call changes nothing. Returns whether this call revoked it."""
    revoked = bool(ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True)
                   .update(revoked_at=timezone.now()))
    if revoked:
        record(token.organisation_id, "api_token.revoked", target=token, changes={"name": token.name})
    return revoked


def _unauthenticated(message: str | Promise) -> ApiError:
    return ApiError(401, "unauthenticated", message,
                    headers={"WWW-Authenticate": 'Bearer realm="kosmmos"'})


def authenticate(header: str) -> tuple[ApiToken, Membership]:
    """The token and its user's current membership for an ``Authorization`` header, or 401.

    The membership is read on every call: a member removed from the organisation, or a
    deactivated user, loses API access at once, and a role change applies to the next call.
    """
    scheme, _sep, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise _unauthenticated(_("Send your API token as “Authorization: Bearer <token>”."))
    parts = value.strip().split("_", 2)
    invalid = _unauthenticated(_("The API token is invalid or revoked."))
    if len(parts) != 3 or parts[0] != SCHEME:
        raise invalid
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(parts[2])):
        raise invalid
    if token.revoked_at is not None or not token.user.is_active:
        raise invalid
    if token.expires_at is not None and token.expires_at <= timezone.now():
        raise _unauthenticated(_("The API token has expired."))
    membership = (Membership.objects.select_related("organisation", "user")
                  .filter(organisation_id=token.organisation_id, user_id=token.user_id).first())
    if membership is None:
        raise invalid
    _touch(token)
    return token, membership


def _touch(token: ApiToken) -> None:
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
    ).update(last_used_at=now)
