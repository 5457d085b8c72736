"""Template helpers for the nav badge and the workspace card (no context processor needed)."""

from __future__ import annotations

from typing import Any

from django import template

from kosmmos.channels.models import Channel, ChannelAlert

register = template.Library()


@register.simple_tag(takes_context=True)
def open_channel_alerts(context: template.Context) -> int:
    """Open channel alerts of the organisation the user works in (agency roles only)."""
    membership = context.get("membership")
    if membership is None or not membership.is_agency:
        return 0
    return ChannelAlert.objects.filter(
        organisation_id=membership.organisation_id, resolved_at__isnull=True
    ).count()


@register.simple_tag(takes_context=True)
def workspace_channels(context: template.Context, workspace: Any) -> list[Channel] | None:
    """The workspace's channels for agency members; None for clients (the card is hidden)."""
    membership = context.get("membership")
    if membership is None or not membership.is_agency or membership.organisation_id != \
            workspace.organisation_id:
        return None
    return list(Channel.objects.filter(workspace=workspace))
