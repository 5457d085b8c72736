"""Telegram Bot API over HTTPS (https://core.telegram.org/bots/api), errors mapped to the contract.

The bot token is part of the URL (that is how the Bot API works), so every message we build
from a transport failure is scrubbed of it before it can reach a log or the UI.

Error mapping (https://core.telegram.org/bots/api#making-requests — ``ok``, ``error_code``,
``description``, ``parameters.retry_after``):
- 429 → RateLimited(parameters.retry_after).
- 401 → AuthRevoked: the token was revoked or is wrong.
- 403 "bot is not a member / was kicked" and 400 "need administrator rights" / "not enough
  rights" → AuthRevoked as well: the token is fine, but nothing will work until a person adds
  the bot back as an administrator — which is exactly what ``needs_reauth`` asks for.
- other 400/403 → permanent (the request itself is wrong: text too long, chat not found, …).
- 5xx, timeouts after sending → AmbiguousOutcome for send* calls; transient otherwise.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from django.utils.translation import gettext as _

from kosmmos.connectors import ratelimit
from kosmmos.connectors.base import AmbiguousOutcome, AuthRevoked, ConnectorError, RateLimited
from kosmmos.lib import http

API = "https://api.telegram.org/bot{token}/{method}"
UPLOAD_TIMEOUT = httpx.Timeout(120.0, connect=5.0)

# Pacing (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
# ~1 message/s in one chat, 20 messages/min in a group (we treat channels alike), ~30/s per bot.
PER_CHAT_SECOND = (1.0, 1.0)
PER_CHAT_MINUTE = (20 / 60, 20.0)
PER_BOT_SECOND = (30.0, 30.0)

REAUTH_PHRASES = (
    "bot is not a member", "bot was kicked", "need administrator rights", "not enough rights",
    "have no rights", "bot is not an administrator",
)


def api_error(method: str, body: dict[str, Any], *, status: int) -> ConnectorError:
    code = int(body.get("error_code") or status)
    description = str(body.get("description") or f"HTTP {status}")
    where = f"Telegram {method}: {description}"
    if code == 429:
        retry = float((body.get("parameters") or {}).get("retry_after") or 1)
        return RateLimited(where, retry_after=retry, code=code)
    if code == 401:
        return AuthRevoked(_("Telegram rejected the bot token (%(text)s). Create a new token "
                             "with @BotFather and reconnect the channel.")
                           % {"text": description}, code=code)
    if code in (400, 403) and any(p in description.lower() for p in REAUTH_PHRASES):
        return AuthRevoked(_("The bot cannot post in the channel (%(text)s). Add the bot to the "
                             "channel as an administrator allowed to post messages.")
                           % {"text": description}, code=code)
    if code in (400, 403, 404):
        return ConnectorError(where, permanent=True, code=code)
    return ConnectorError(where, code=code)


class TelegramClient:
    def __init__(self, token: str) -> None:
        self.token = token
        self.bot_bucket = ratelimit.key_for("tg-bot", token)

    def _scrub(self, text: str) -> str:
        return text.replace(self.token, "<token>") if self.token else text

    def pace(self, chat_id: str, cost: int = 1) -> None:
        """Wait for a turn to send ``cost`` messages to ``chat_id``; RateLimited if far off."""
        chat = f"{self.bot_bucket}:{chat_id}"
        ratelimit.acquire(f"tg-chat-m:{chat}", *PER_CHAT_MINUTE, cost=cost)
        ratelimit.acquire(f"tg-chat-s:{chat}", *PER_CHAT_SECOND)
        ratelimit.acquire(self.bot_bucket, *PER_BOT_SECOND)

    def call(self, method: str, params: dict[str, Any], *, publishing: bool = False,
             files: dict[str, tuple[str, Any, str]] | None = None,
             timeout: httpx.Timeout | None = None) -> Any:
        url = API.format(token=self.token, method=method)
        try:
            if files:
                # Multipart: nested values (media lists) travel as JSON strings.
                data = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                        for k, v in params.items() if v is not None}
                response = http.post(url, data=data, files=files, timeout=UPLOAD_TIMEOUT)
            else:
                response = http.post(url, json={k: v for k, v in params.items()
                                                if v is not None}, timeout=timeout)
        except http.HttpError as exc:
            what = self._scrub(f"Telegram {method}: {exc}")
            if exc.maybe_sent and publishing:
                raise AmbiguousOutcome(what + " — the message may have been sent") from None
            raise ConnectorError(what) from None
        if response.status_code >= 500:
            what = f"Telegram {method}: HTTP {response.status_code}"
            raise AmbiguousOutcome(what) if publishing else ConnectorError(what)
        try:
            body = response.json()
        except ValueError:
            what = f"Telegram {method}: HTTP {response.status_code}, not JSON"
            raise (AmbiguousOutcome(what) if publishing else ConnectorError(what)) from None
        if not body.get("ok"):
            raise api_error(method, body, status=response.status_code)
        return body.get("result")
