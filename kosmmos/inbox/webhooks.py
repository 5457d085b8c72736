"""Public webhook endpoints: VK Callback API and Telegram, one URL per channel.

The URL carries the channel's random code (``ChannelInbox.code``); the request must also carry
the secret only the network knows (VK ``secret`` in the body, Telegram the
``X-Telegram-Bot-Api-Secret-Token`` header). Until both check out nothing is written into the
tenant's data: refusals are counted in the unattributed DropCount row and logged.

Answers: bad input → 4xx (never a 500); a duplicate → the normal success answer (the network
must stop redelivering); an internal failure → 503, and since nothing was committed the
network's redelivery brings the event in later.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kosmmos.inbox.models import ChannelInbox
from kosmmos.inbox.pipeline import Envelope, drop_unattributed, ingest

log = logging.getLogger(__name__)


def _inbox(code: str, network: str) -> ChannelInbox | None:
    return (ChannelInbox.objects.select_related("channel")
            .filter(code=code, channel__network=network).first())


def _json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RequestDataTooBig):
        return None


def _text(status: int, body: str) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def _ingest(inbox: ChannelInbox, payload: Any) -> bool:
    try:
        ingest([Envelope(inbox.channel, payload)])
    except Exception:
        log.exception("inbox: ingesting an event of channel %s failed; the network retries",
                      inbox.channel_id)
        return False
    return True


@csrf_exempt
@require_POST
def vk_callback(request: HttpRequest, hook_code: str) -> HttpResponse:
    """VK Callback API (https://dev.vk.com/ru/api/callback/getting-started)."""
    inbox = _inbox(hook_code, "vk")
    if inbox is None:
        drop_unattributed("webhook", "unknown_hook", f"vk {hook_code[:40]}")
        return _text(404, "unknown")
    payload = _json_body(request)
    if not isinstance(payload, dict):
        drop_unattributed("parse", "bad_payload", f"vk channel {inbox.channel_id}: not a JSON object")
        return _text(400, "bad request")
    channel = inbox.channel
    group = channel.external_id.strip().lstrip("-")
    if str(payload.get("group_id", "")).lstrip("-") != group:
        drop_unattributed("webhook", "wrong_channel", f"vk channel {channel.pk}")
        return _text(400, "wrong group")
    expected = str(channel.credentials.get("vk_secret") or "")
    given = payload.get("secret")
    if payload.get("type") == "confirmation":
        # VK asks once, when the server is added; the answer is the code VK showed the admin.
        # It reveals nothing private (it only proves we own this URL), so a request without a
        # secret is answered; one with a wrong secret is not.
        code = str(channel.config.get("vk_confirmation") or "")
        if not code or (given is not None and not constant_time_compare(str(given), expected)):
            drop_unattributed("webhook", "bad_secret", f"vk confirmation {channel.pk}")
            return _text(403, "forbidden")
        return _text(200, code)
    if not expected or not isinstance(given, str) or not constant_time_compare(given, expected):
        drop_unattributed("webhook", "bad_secret", f"vk channel {channel.pk}")
        return _text(403, "forbidden")
    if not _ingest(inbox, payload):
        return _text(503, "retry")
    return _text(200, "ok")


@csrf_exempt
@require_POST
def telegram_webhook(request: HttpRequest, hook_code: str) -> HttpResponse:
    """Telegram setWebhook target (https://core.telegram.org/bots/api#setwebhook)."""
    inbox = _inbox(hook_code, "telegram")
    if inbox is None:
        drop_unattributed("webhook", "unknown_hook", f"telegram {hook_code[:40]}")
        return JsonResponse({"ok": False}, status=404)
    expected = str(inbox.channel.credentials.get("webhook_secret") or "")
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not expected or not constant_time_compare(given, expected):
        drop_unattributed("webhook", "bad_secret", f"telegram channel {inbox.channel_id}")
        return JsonResponse({"ok": False}, status=403)
    payload = _json_body(request)
    if not isinstance(payload, dict):
        drop_unattributed("parse", "bad_payload", f"telegram channel {inbox.channel_id}")
        return JsonResponse({"ok": False}, status=400)
    if not _ingest(inbox, payload):
        return JsonResponse({"ok": False}, status=503)
    return JsonResponse({"ok": True})
