"""Sign-ins, failed sign-ins and sign-outs go to the audit log of every organisation the
person is in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from kosmmos.accounts.models import Membership, User
from kosmmos.audit.log import record


def _organisations(user: User | None) -> list[Any]:
    if user is None:
        return [None]
    return list(Membership.objects.filter(user=user).values_list("organisation_id", flat=True)) or [None]


@receiver(user_logged_in)
def signed_in(sender: object, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    for org_id in _organisations(user):
        record(org_id, "auth.signed_in", actor=user, request=request)


@receiver(user_logged_out)
def signed_out(sender: object, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is None:  # the session had no signed-in user: nobody to record
        return
    for org_id in _organisations(user):
        record(org_id, "auth.signed_out", actor=user, request=request)


@receiver(user_login_failed)
def sign_in_failed(sender: object, credentials: dict[str, Any], request: HttpRequest | None = None,
                   **kwargs: Any) -> None:
    email = str(credentials.get("username") or credentials.get("email") or "")[:254]
    user = User.objects.filter(email__iexact=email).first() if email else None
    for org_id in _organisations(user):
        # The address typed is kept (it may be a guess); the password never is.
        record(org_id, "auth.sign_in_failed", actor=user, request=request, changes={"email": email})
