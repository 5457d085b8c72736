"""A cabinet's client and health: the connection per workspace, like a channel's.

``client_for`` builds the VK Ads client from the decrypted secrets and the stored token;
``remember`` stores a token the client had to obtain or refresh (24 h tokens); ``call`` runs one
operation against the cabinet, records its ``Attempt`` row and keeps the health up to date: a
refused credential makes the cabinet "needs reconnection" with the error shown, a later success
makes it connected again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kosmmos.accounts.models import User, Workspace
from kosmmos.ads.models import Attempt, Cabinet, CabinetStatus
from kosmmos.connectors.base import AuthRevoked, ConnectorError
from kosmmos.connectors.vkads.client import Token, VkAdsClient
from kosmmos.lib.events import emit

T = TypeVar("T")


def api_base(cabinet: Cabinet) -> str:
    return f"{settings.SANDBOX_URL}/vkads" if cabinet.sandbox else settings.VKADS_API_URL


def client_for(cabinet: Cabinet) -> VkAdsClient:
    held = cabinet.secrets
    token = None
    if held.get("access") and float(held.get("expires_at", 0)) > time.time() + 60:
        token = Token(access=held["access"], refresh=held.get("refresh", ""),
                      expires_in=int(float(held["expires_at"]) - time.time()))
    elif held.get("refresh"):
        # Expired: the refresh token gets a new one before the first call (client._once).
        token = Token(access="", refresh=held["refresh"], expires_in=0)
    return VkAdsClient(api_base(cabinet), cabinet.client_id, held.get("client_secret", ""),
                       agency_client_id=cabinet.account_id, token=token)


def remember(cabinet: Cabinet, client: VkAdsClient) -> None:
    """Store the token the client obtained or refreshed (encrypted with the secret)."""
    if not client.refreshed or client.token is None:
        return
    held = cabinet.secrets
    held.update(access=client.token.access, refresh=client.token.refresh,
                expires_at=time.time() + client.token.expires_in)
    cabinet.secrets = held
    Cabinet.objects.filter(pk=cabinet.pk).update(secrets_encrypted=cabinet.secrets_encrypted)
    client.refreshed = False


def call(cabinet: Cabinet, operation: str, work: Callable[[VkAdsClient], T], *,
         ref: str = "", detail: str = "") -> T:
    """Run ``work`` with the cabinet's client; one Attempt row whatever happens (``ref`` says
    what it was for, e.g. an audience export). Errors are re-raised after the row and the
    health are written."""
    client = client_for(cabinet)
    started, now = time.monotonic(), timezone.now()
    try:
        result = work(client)
    except ConnectorError as exc:
        remember(cabinet, client)
        _record(cabinet, operation, now, started, ref, detail, exc)
        raise
    remember(cabinet, client)
    _record(cabinet, operation, now, started, ref, detail, None)
    return result


def _record(cabinet: Cabinet, operation: str, now: datetime, started: float,
            ref: str, detail: str, exc: ConnectorError | None) -> None:
    code = exc.code if exc is not None and isinstance(exc.code, int) else None
    with transaction.atomic():
        Attempt.objects.create(
            organisation_id=cabinet.organisation_id, cabinet=cabinet, ref=ref[:60],
            operation=operation, started_at=now,
            duration_ms=int((time.monotonic() - started) * 1000), ok=exc is None,
            status_code=code, error=exc.message[:2000] if exc is not None else "",
            detail=detail[:200],
        )
        if exc is None:
            Cabinet.objects.filter(pk=cabinet.pk).exclude(health=CabinetStatus.ACTIVE).update(
                health=CabinetStatus.ACTIVE, last_error="")
        elif isinstance(exc, AuthRevoked):
            changed = Cabinet.objects.filter(pk=cabinet.pk).exclude(
                health=CabinetStatus.NEEDS_REAUTH).update(health=CabinetStatus.NEEDS_REAUTH,
                                                         last_error=exc.message[:2000])
            if changed:
                emit("ads.import_failed", organisation=cabinet.organisation,
                     workspace=cabinet.workspace,
                     title=f"VK Ads: {cabinet.name}", body=exc.message[:500],
                     url=f"/workspaces/{cabinet.workspace_id}/ads/",
                     dedupe_key=f"ads-reauth:{cabinet.pk}")


def connect(workspace: Workspace, *, name: str, client_id: str, client_secret: str,
            account_id: str = "", sandbox: bool = False, user: User | None = None
            ) -> tuple[Cabinet, str]:
    """Store the cabinet and try its credentials once (a token); returns the cabinet and the
    error text ("" when the cabinet answered). A refused try still keeps the cabinet, shown as
    needing reconnection, so the person sees the error where the cabinet lives."""
    cabinet = Cabinet(organisation_id=workspace.organisation_id, workspace=workspace, name=name,
                      client_id=client_id, account_id=account_id, sandbox=sandbox,
                      created_by=user, next_attempt_at=timezone.now())
    cabinet.secrets = {"client_secret": client_secret}
    with transaction.atomic():  # a savepoint: a duplicate cabinet raises IntegrityError cleanly
        cabinet.save()
    try:
        call(cabinet, "connect", lambda c: c.obtain())
    except ConnectorError as exc:
        return cabinet, exc.message
    return cabinet, ""


def reconnect(cabinet: Cabinet, client_secret: str) -> str:
    cabinet.secrets = {"client_secret": client_secret}
    cabinet.save(update_fields=["secrets_encrypted"])
    try:
        call(cabinet, "connect", lambda c: c.obtain())
    except ConnectorError as exc:
        return exc.message
    return ""

