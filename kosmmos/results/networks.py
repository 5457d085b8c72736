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
DEMOGRAPHICS: dict[str, Any] = {
    "vk": _("VK gives sex, age, sex × age and cities through stats.get; Kosmmos does not collect "
            "them yet."),
    "ok": _("OK gives sex, age and cities through group.getStatPeople; Kosmmos does not collect "
            "them yet."),
    "telegram": _("Telegram gives no audience demographics to bots."),
    "sandbox": _("The sandbox network has no demographics."),
}
