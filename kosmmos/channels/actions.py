"""Writes on channels: connect, check, enable/disable, delete, alerts."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kosmmos.accounts.models import Workspace
from kosmmos.audit.log import record
from kosmmos.channels.models import AlertKind, Channel, ChannelAlert, ChannelStatus
from kosmmos.connectors.base import AuthRevoked, ChannelInfo, ConnectorError
from kosmmos.connectors.registry import build
from kosmmos.lib.crypto import DecryptionError
from kosmmos.lib.events import emit

EXPIRY_WARNING = timedelta(days=7)


def check_credentials(network: str, credentials: dict[str, Any], external_id: str,
                      config: dict[str, Any]) -> ChannelInfo:
    """Ask the network before anything is saved; raises ConnectorError with a readable message."""
    return build(network, credentials, {"external_id": external_id, **config}).check()


def sandbox_id() -> str:
    return "sbx-" + secrets.token_hex(6)


@transaction.atomic
def save_channel(
    *, workspace: Workspace, network: str, external_id: str, credentials: dict[str, Any],
    name: str, config: dict[str, Any] | None = None, info: ChannelInfo | None = None,
    channel: Channel | None = None,
) -> Channel:
    """Create (or update) a channel with what the check learnt. Raises IntegrityError when the
    workspace already has this network id."""
    if channel is None:
        channel = Channel(organisation_id=workspace.organisation_id, workspace=workspace,
                          network=network)
    channel.external_id = external_id
    channel.credentials = credentials
    channel.config = {**channel.config, **(config or {})}
    if info is not None:
        _adopt_id(channel, info)
    channel.name = (name or (info.title if info else "") or external_id)[:200]
    if info is not None:
        _store_info(channel, info)
        channel.last_checked_at = timezone.now()
    elif channel.status != ChannelStatus.DISABLED:
        channel.status = ChannelStatus.ACTIVE
        channel.last_error = ""
    connected = channel._state.adding
    channel.save()
    record(channel.organisation_id, "channel.connected" if connected else "channel.updated",
           target=channel, changes={"network": network, "name": channel.name})
    resolve_cleared_alerts(channel)
    return channel


def _adopt_id(channel: Channel, info: ChannelInfo) -> None:
    """Key the channel by the id the network gave (Telegram: the numeric chat id for an
    @username), keeping the name a person entered for display."""
    if info.external_id and info.external_id != channel.external_id:
        channel.external_id = info.external_id
    if info.handle:
        channel.config["username"] = info.handle
    channel.config.pop("resolve_id", None)


def _store_info(channel: Channel, info: ChannelInfo) -> None:
    if channel.status != ChannelStatus.DISABLED:
        channel.status = ChannelStatus.ACTIVE if info.can_post else ChannelStatus.ERROR
    channel.last_error = "\n".join(info.problems)
    if info.followers is not None:
        channel.followers = info.followers
    channel.token_expires_at = info.token_expires_at


def run_check(channel: Channel) -> ChannelInfo | None:
    """Ask the network about the channel now and store the outcome (status, error, followers,
    token expiry). Returns what it learnt, or None when the check failed."""
    info: ChannelInfo | None = None
    try:
        info = channel.connector().check()
    except AuthRevoked as exc:
        if channel.status != ChannelStatus.DISABLED:
            channel.status = ChannelStatus.NEEDS_REAUTH
        channel.last_error = exc.message
    except ConnectorError as exc:
        if exc.permanent and channel.status != ChannelStatus.DISABLED:
            channel.status = ChannelStatus.ERROR
        channel.last_error = exc.message
    except DecryptionError as exc:
        channel.status = ChannelStatus.NEEDS_REAUTH
        channel.last_error = str(exc)
    else:
        _store_info(channel, info)
    fields = ["status", "last_error", "followers", "token_expires_at", "last_checked_at"]
    if info is not None and (info.external_id or info.handle):
        known = channel.external_id
        _adopt_id(channel, info)
        if channel.external_id != known and Channel.objects.filter(
                workspace_id=channel.workspace_id, network=channel.network,
                external_id=channel.external_id).exclude(pk=channel.pk).exists():
            channel.external_id = known  # another channel here already has this id
            channel.last_error = "\n".join(filter(None, [channel.last_error, _(
                "Another channel of this workspace is the same network channel.")]))
        fields += ["external_id", "config"]
    channel.last_checked_at = timezone.now()
    channel.save(update_fields=fields)
    resolve_cleared_alerts(channel)
    return info


def set_enabled(channel: Channel, enabled: bool) -> None:
    if enabled and channel.status == ChannelStatus.DISABLED:
        channel.status = ChannelStatus.ACTIVE
    elif not enabled:
        channel.status = ChannelStatus.DISABLED
    channel.save(update_fields=["status"])
    resolve_cleared_alerts(channel)


def delete_channel(channel: Channel) -> None:
    record(channel.organisation_id, "channel.removed", target=channel, changes={"name": channel.name})
    channel.delete()


# --- Alerts ------------------------------------------------------------------------------------


def resolve_cleared_alerts(channel: Channel) -> int:
    """Close the channel's open alerts whose condition no longer holds."""
    now = timezone.now()
    cleared = []
    expiring = (channel.token_expires_at is not None
                and channel.token_expires_at <= now + EXPIRY_WARNING
                and channel.status != ChannelStatus.DISABLED)
    if not expiring:
        cleared.append(AlertKind.TOKEN_EXPIRING)
    if channel.status != ChannelStatus.NEEDS_REAUTH:
        cleared.append(AlertKind.NEEDS_REAUTH)
    return ChannelAlert.objects.filter(
        channel=channel, kind__in=cleared, resolved_at__isnull=True
    ).update(resolved_at=now)


def alert_message(channel: Channel, kind: str) -> str:
    label = f"«{channel.name}» ({channel.get_network_display()})"
    if kind == AlertKind.TOKEN_EXPIRING:
        when = timezone.localtime(channel.token_expires_at).strftime("%d.%m.%Y %H:%M")
        return _("The access token of the channel %(channel)s expires on %(when)s. Reconnect "
                 "the channel with a new token before then, or publishing will stop.") % {
                     "channel": label, "when": when}
    return _("The channel %(channel)s needs reconnecting: %(error)s") % {
        "channel": label, "error": channel.last_error or _("the network rejected our access.")}


def raise_alert(channel: Channel, kind: str) -> ChannelAlert | None:
    """Open an alert and raise its event (the bell, email, Telegram, webhooks) — once: a second
    caller (another ticker) hits the unique constraint, its transaction rolls back with its
    event."""
    with translation.override(settings.LANGUAGE_CODE):
        message = alert_message(channel, kind)
        title = _("Channel needs attention: %(name)s") % {"name": channel.name}
    try:
        with transaction.atomic():
            alert = ChannelAlert.objects.create(
                organisation_id=channel.organisation_id, channel=channel, kind=kind,
                message=message,
            )
            emit("channel.token_expiring" if kind == AlertKind.TOKEN_EXPIRING
                 else "channel.reconnect", organisation=channel.organisation_id,
                 workspace=channel.workspace, title=title, body=message,
                 url=reverse("channels:detail", args=[channel.pk]), dedupe_key=f"alert:{alert.pk}",
                 payload={"channel": str(channel.pk), "network": channel.network})
    except IntegrityError:
        return None
    return alert
