"""The agency's Telegram bot: Bot API calls, connecting it, and linking a member's chat by a
one-time deep link ``t.me/<bot>?start=<code>`` (the bot sees ``/start <code>`` in getUpdates)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kosmmos.lib import crypto, http
from kosmmos.notifications.models import Subscriber, TelegramBot

LINK_VALID = timedelta(hours=1)


@dataclass
class BotError(Exception):
    message: str
    permanent: bool = False
    retry_after: float | None = None

    def __str__(self) -> str:
        return self.message


def _base(bot: TelegramBot | None) -> str:
    return ((bot.api_url if bot is not None else "") or settings.NOTIFY_TELEGRAM_API).rstrip("/")


def call(bot: TelegramBot | None, method: str, payload: dict[str, Any], *,
         token: str | None = None) -> Any:
    """One Bot API call (https://core.telegram.org/bots/api#making-requests); the ``result``,
    or BotError: 429 carries ``parameters.retry_after``; 400/401/403 are permanent."""
    secret = token if token is not None else crypto.decrypt(bot.token_encrypted) if bot else ""
    try:
        response = http.post(f"{_base(bot)}/bot{secret}/{method}", json=payload, timeout=10)
    except http.HttpError as exc:
        raise BotError(str(exc)) from exc
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if response.status_code == 200 and data.get("ok"):
        return data.get("result")
    description = str(data.get("description") or f"HTTP {response.status_code}")[:300]
    found = data.get("parameters")
    params: dict[str, Any] = found if isinstance(found, dict) else {}
    if response.status_code == 429:
        retry = params.get("retry_after")
        return_after = float(retry) if isinstance(retry, int | float) else 1.0
        raise BotError(description, retry_after=max(0.0, return_after))
    raise BotError(description, permanent=response.status_code in (400, 401, 403, 404))


def connect_bot(organisation: Any, token: str, api_url: str = "") -> TelegramBot:
    """Check the token with getMe and store it encrypted (BotError when Telegram refuses)."""
    me = call(None if not api_url else TelegramBot(api_url=api_url), "getMe", {}, token=token)
    if not isinstance(me, dict) or not me.get("username"):
        raise BotError("getMe returned no bot username", permanent=True)
    bot, _ = TelegramBot.objects.update_or_create(
        organisation=organisation, defaults={"token_encrypted": crypto.encrypt(token),
                                             "username": str(me["username"])[:64],
                                             "api_url": api_url, "update_offset": 0})
    return bot


def subscriber(organisation: Any, user: Any) -> Subscriber:
    sub, _ = Subscriber.objects.get_or_create(organisation=organisation, user=user)
    return sub


def start_link(sub: Subscriber) -> str:
    """A new one-time code (the old one stops working); returns it."""
    sub.link_code = secrets.token_urlsafe(18)  # the deep-link alphabet: A-Z a-z 0-9 _ -
    sub.link_code_expires_at = timezone.now() + LINK_VALID
    sub.save(update_fields=["link_code", "link_code_expires_at"])
    return sub.link_code


def link_url(bot: TelegramBot, code: str) -> str:
    return f"https://t.me/{bot.username}?start={code}"


def apply_update(bot: TelegramBot, update: dict[str, Any]) -> bool:
    """A ``/start <code>`` message links the chat to the member holding the code (once)."""
    message = update.get("message") if isinstance(update.get("message"), dict) else None
    if message is None:
        return False
    text = str(message.get("text") or "")
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    if not text.startswith("/start ") or not isinstance(chat.get("id"), int):
        return False
    code = text[len("/start "):].strip()[:40]
    if not code:
        return False
    name = str(chat.get("username") or chat.get("first_name") or "")[:100]
    # Conditional on the code: a code is used once, and only before it expires.
    return Subscriber.objects.filter(
        organisation_id=bot.organisation_id, link_code=code,
        link_code_expires_at__gt=timezone.now(),
    ).update(telegram_chat_id=chat["id"], telegram_name=name, link_code="",
             link_code_expires_at=None) == 1


def poll_links() -> int:
    """Read the bots' updates while someone waits for a link; returns chats linked."""
    waiting = set(Subscriber.objects.filter(link_code_expires_at__gt=timezone.now())
                  .values_list("organisation_id", flat=True))
    linked = 0
    for bot in TelegramBot.objects.filter(organisation_id__in=waiting):
        try:
            updates = call(bot, "getUpdates", {"offset": bot.update_offset, "timeout": 0,
                                               "allowed_updates": ["message"]})
        except BotError:
            continue
        if not isinstance(updates, list):
            continue
        with transaction.atomic():
            top = bot.update_offset
            for update in updates:
                if isinstance(update, dict) and isinstance(update.get("update_id"), int):
                    linked += apply_update(bot, update)
                    top = max(top, update["update_id"] + 1)
            TelegramBot.objects.filter(pk=bot.pk, update_offset=bot.update_offset).update(
                update_offset=top)
    return linked
