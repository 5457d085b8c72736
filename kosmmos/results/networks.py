"""What each network gives Kosmmos and what it cannot give, with the reason shown in place of a
figure («нет данных»), never a zero."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# What a network cannot give, and why (shown instead of a zero).
NO_DATA: dict[tuple[str, str], Any] = {
    ("telegram", "views"): _("The Telegram Bot API does not give post views."),
    ("telegram", "reach"): _("The Telegram Bot API does not give post reach."),
    ("telegram", "likes"): _("The Telegram Bot API does not give reactions per post."),
    ("telegram", "comments"): _("The Telegram Bot API does not count comments per post."),
    ("telegram", "reposts"): _("The Telegram Bot API does not give forwards per post."),
    ("ok", "reach"): _("OK gives no per-post reach to Kosmmos."),
}
# Where each network's demographics come from (or why there are none), beside the reading.
DEMOGRAPHICS: dict[str, Any] = {
    "vk": _("VK stats.get: the community's visitors by sex, age and city, read daily."),
    "ok": _("OK group.getStatPeople: all the group's members by sex, age and city, read daily."),
    "telegram": _("Telegram gives no audience demographics to bots."),
    "sandbox": _("Sandbox network: visitors by sex, age and city in VK's stats.get shape, read "
                 "daily."),
    "other": _("This network gives no audience demographics to Kosmmos."),
}
