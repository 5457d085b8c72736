"""The bell's unread count for the base template."""

from __future__ import annotations

from django import template

from kosmmos.notifications.models import Channel, Delivery

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    membership = context.get("membership")
    if membership is None:
        return 0
    return Delivery.objects.filter(user_id=membership.user_id, channel=Channel.INAPP,
                                   organisation_id=membership.organisation_id,
                                   read_at__isnull=True).count()
