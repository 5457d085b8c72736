"""Ticker dispatcher: alert people about channels that will stop publishing.

Two conditions raise an alert (email to owners and managers + a badge in the app), once while
they last: a token expiring within seven days, and a channel that needs reconnecting (a network
answered "auth revoked"). The partial unique constraint on open alerts is the claim: any number
of tickers may run this at once and each condition is raised exactly once.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from kosmmos.channels.actions import EXPIRY_WARNING, raise_alert, run_check
from kosmmos.channels.models import AlertKind, Channel, ChannelAlert, ChannelStatus

# The ticker runs every second; tokens expire in days. Looking once a minute is plenty.
INTERVAL_S = 60.0
_last_run = 0.0


def check_tokens(force: bool = False) -> int:
    """Resolve alerts whose condition cleared, raise new ones; returns how many were raised."""
    global _last_run
    if not force and time.monotonic() - _last_run < INTERVAL_S:
        return 0
    _last_run = time.monotonic()
    now = timezone.now()
    soon = now + EXPIRY_WARNING

    open_alerts = ChannelAlert.objects.filter(resolved_at__isnull=True)
    open_alerts.filter(kind=AlertKind.TOKEN_EXPIRING).exclude(
        channel__token_expires_at__lte=soon).update(resolved_at=now)
    open_alerts.filter(kind=AlertKind.TOKEN_EXPIRING,
                       channel__status=ChannelStatus.DISABLED).update(resolved_at=now)
    open_alerts.filter(kind=AlertKind.NEEDS_REAUTH).exclude(
        channel__status=ChannelStatus.NEEDS_REAUTH).update(resolved_at=now)

    def has_open(kind: str) -> Exists:
        return Exists(ChannelAlert.objects.filter(channel=OuterRef("pk"), kind=kind,
                                                  resolved_at__isnull=True))

    raised = 0
    due = [
        (AlertKind.TOKEN_EXPIRING, Channel.objects.filter(token_expires_at__lte=soon)
         .exclude(status=ChannelStatus.DISABLED)
         .exclude(has_open(AlertKind.TOKEN_EXPIRING))),
        (AlertKind.NEEDS_REAUTH, Channel.objects.filter(status=ChannelStatus.NEEDS_REAUTH)
         .exclude(has_open(AlertKind.NEEDS_REAUTH))),
    ]
    for kind, channels in due:
        for channel in channels.select_related("organisation")[:200]:
            if raise_alert(channel, kind) is not None:
                raised += 1
    resolve_ids()
    return raised


RESOLVE_BATCH = 5
RESOLVE_RETRY = timedelta(hours=1)


def resolve_ids() -> int:
    """Check the channels marked ``resolve_id`` (Telegram channels saved by @username before
    Kosmmos stored numeric ids): the check asks getChat and stores the id. A few per run, so a
    tick stays short; a channel whose check fails stays marked and is tried again later."""
    done = 0
    recent = timezone.now() - RESOLVE_RETRY
    pending = (Channel.objects.filter(config__resolve_id=True)
               .exclude(status=ChannelStatus.DISABLED).exclude(last_checked_at__gt=recent)
               .order_by("last_checked_at")[:RESOLVE_BATCH])
    for channel in pending:
        run_check(channel)
        done += 1
    return done
