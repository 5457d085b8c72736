"""Public webhook endpoints, one URL per channel: hooks/<network>/<code>/.

The URL carries the channel's random code (``ChannelInbox.code``); the request must also carry
the secret only the network knows, which the network's inbound side checks (``receive`` in
``kosmmos/connectors/<network>/inbound.py``). Until it checks out nothing is written into the
tenant's data: refusals are counted in the unattributed DropCount row and logged.

Answers, in the shape each network expects (``Inbound.hook_answer``): bad input → 4xx (never a
500); a duplicate → the normal success answer (the network must stop redelivering); an internal
failure → 503, and since nothing was committed the network's redelivery brings the event in
later.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kosmmos.channels.models import Channel
from kosmmos.connectors.base import HookAnswer
from kosmmos.connectors.registry import inbound_class
from kosmmos.inbox.models import ChannelInbox
from kosmmos.inbox.pipeline import Envelope, drop_unattributed, inbound_for, ingest

log = logging.getLogger(__name__)


def _json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RequestDataTooBig):
        return None


def _respond(answer: HookAnswer) -> HttpResponse:
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


def _ingest(channel: Channel, payload: Any) -> bool:
    try:
        ingest([Envelope(channel, payload)])
    except Exception:
        log.exception("inbox: ingesting an event of channel %s failed; the network retries",
                      channel.pk)
        return False
    return True


@csrf_exempt
@require_POST
def receive(request: HttpRequest, network: str, hook_code: str) -> HttpResponse:
    """A network's webhook call for the channel whose inbox has ``hook_code``."""
    reader = inbound_class(network)
    if not reader.webhook:
        raise Http404
    inbox = (ChannelInbox.objects.select_related("channel")
             .filter(code=hook_code, channel__network=network).first())
    if inbox is None:
        drop_unattributed("webhook", "unknown_hook", f"{network} {hook_code[:40]}")
        return _respond(reader.hook_answer("unknown"))
    channel = inbox.channel
    received = inbound_for(channel).receive(_json_body(request), request.headers,
                                            channel.credentials)
    if received.answer is not None:
        if received.reason:
            drop_unattributed(received.step, received.reason,
                              f"{network} channel {channel.pk} {received.detail}".strip())
        return _respond(received.answer)
    return _respond(reader.hook_answer("ok" if _ingest(channel, received.payload) else "retry"))
