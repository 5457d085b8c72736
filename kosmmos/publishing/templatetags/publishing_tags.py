"""``{% load publishing_tags %}{% channel_stats channel %}``: the followers chart and recent
posts of a channel, for the channel's page. The caller has already checked access."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("publishing/_channel_stats.html")
def channel_stats(channel: Any) -> dict[str, Any]:
    from kosmmos.publishing.views import channel_stats_context

    return channel_stats_context(channel)
