"""Public webhook endpoints, one URL per channel: hooks/<network>/<code>/.

The URL carries the channel's random code (``ChannelInbox.code``); the request must also carry
the secret only the network knows, which the network's inbound side checks (``receive`` in
``kosmmos/connectors/<network>/inbound.py``). Until it checks out nothing is written into the
tenant's data: refusals are counted in the unattributed DropCount row and logged.

Answers, in the shape each network expects (``Inbound.hook_answer``):

- a request that is not an event at all — a body that is not JSON, nested deeper than
  ``lib.untrusted.MAX_DEPTH``, with a number out of range, too large — is malformed: 4xx
  (``bad_payload``), counted unattributed, never a 5xx;
- an event with a wrong secret or for another community: 4xx, counted;
- a delivered, authentic event is always answered with success (VK's ``ok``, Telegram's
  ``{"ok": true}``), whether it was stored, deduplicated or dropped by the pipeline with a
  counted reason: anything else makes the network redeliver it forever and VK in the end
  switches the callback server off. Text the database cannot store (lone surrogates, NUL) was
  already cleaned by ``lib.untrusted.parse_json``;
- 503 only when the database itself is unavailable (nothing committed; the network's
  redelivery brings the event in later). Any other failure while storing is deterministic —
  redelivery would fail the same way — so it is logged, counted as ``store/failed`` on the
  channel and answered with success.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kosmmos.channels.models import Channel
from kosmmos.connectors.base import HookAnswer
from kosmmos.connectors.registry import inbound_class
from kosmmos.inbox.models import ChannelInbox
from kosmmos.inbox.pipeline import (
    Envelope,
    count_channel_drop,
    drop_unattributed,
    inbound_for,
    ingest,
)
from kosmmos.lib.untrusted import BadInput, parse_json

log = logging.getLogger(__name__)


def _json_body(request: HttpRequest) -> Any:
    """The body's JSON document, cleaned; raises BadInput for anything else."""
    try:
        body = request.body
    except RequestDataTooBig:
        raise BadInput("too_large", "the body is too large") from None
    return parse_json(body)


def _respond(answer: HookAnswer) -> HttpResponse:
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


def _ingest(channel: Channel, payload: Any) -> bool:
    """False only when the database is unavailable (the network's redelivery is the retry)."""
    try:
        ingest([Envelope(channel, payload)])
    except (OperationalError, InterfaceError):
        log.warning("inbox: the database is unavailable; channel %s's event is left to the "
                    "network's redelivery", channel.pk, exc_info=True)
        return False
    except Exception as exc:
        log.error("inbox: an event of channel %s could not be stored (%s: %s); answered as "
                  "delivered, since a redelivery would fail the same way", channel.pk,
                  type(exc).__name__, str(exc)[:300])
        count_channel_drop(channel, "store", "failed")
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
    try:
        payload = _json_body(request)
    except BadInput as bad:
        drop_unattributed("parse", "bad_payload", f"{network} channel {channel.pk} {bad.code}")
        return _respond(reader.hook_answer("bad_payload"))
    received = inbound_for(channel).receive(payload, request.headers, channel.credentials)
    if received.answer is not None:
        if received.reason:
            drop_unattributed(received.step, received.reason,
                              f"{network} channel {channel.pk} {received.detail}".strip())
        return _respond(received.answer)
    return _respond(reader.hook_answer("ok" if _ingest(channel, received.payload) else "retry"))
