"""Small helpers for the content templates: status colours and network badges."""

from __future__ import annotations

from django import template

from kosmmos.content.validation import network_name

register = template.Library()

STATUS_CLASS = {
    "draft": "secondary", "in_review": "warning", "approved": "info", "scheduled": "primary",
    "published": "success", "failed": "danger",
}
TARGET_CLASS = {
    "draft": "secondary", "scheduled": "primary", "queued": "primary", "publishing": "primary",
    "reconciling": "warning", "published": "success", "needs_check": "warning", "failed": "danger",
    "cancelled": "secondary", "not_deletable": "warning",
}
NETWORK_SHORT = {"vk": "VK", "ok": "OK", "telegram": "TG", "sandbox": "SB"}


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASS.get(status, "secondary")


@register.filter
def target_class(status: str) -> str:
    return TARGET_CLASS.get(status, "secondary")


@register.filter
def network_short(network: str) -> str:
    return NETWORK_SHORT.get(network, network[:2].upper())


@register.filter
def network_title(network: str) -> str:
    """The network's name for a badge's tooltip and the legend («Песочница» for SB)."""
    return network_name(network)
