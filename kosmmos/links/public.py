"""Public endpoints: server-to-server postbacks (signed) and the site snippet's collect.

Postback: ``POST /t/pb/<public key>/`` with a JSON body and two headers::

    X-Kosmmos-Timestamp: <unix seconds>
    X-Kosmmos-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

The secret is shown on the workspace's money settings page. A timestamp outside
``LINKS_POSTBACK_WINDOW_S`` is refused; ``event_id`` is the nonce (unique per workspace), so a
replayed request inside the window is refused too. Every refusal is a JSON error
(``{"ok": false, "error": code, "message": text}``) and records nothing.

Collect: ``POST /t/c/<public key>/`` from ``kosmmos-track.js`` on the client's site; the same
payload, unsigned (so it cannot be trusted like a postback: the UI marks its source), limited per
client address, answered with CORS headers for the allowed origins.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from kosmmos.lib.ratelimit import Window, client_ip
from kosmmos.lib.untrusted import BadInput, parse_json
from kosmmos.links.actions import ConversionError, parse_event, record_conversion
from kosmmos.links.models import ConversionSource, MoneySettings

MAX_BODY = 16 * 1024


def _error(code: str, message: str, status: int = 400, **headers: str) -> JsonResponse:
    response = JsonResponse({"ok": False, "error": code, "message": message}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _money(key: str) -> MoneySettings | None:
    return MoneySettings.objects.select_related("workspace").filter(public_key=key).first()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


@csrf_exempt
def postback(request: HttpRequest, money_key: str) -> HttpResponse:
    if request.method != "POST":
        return _error("method_not_allowed", "use POST", 405, Allow="POST")
    money = _money(money_key)
    if money is None:
        return _error("unknown_key", "no workspace has this postback URL", 404)
    body = request.body
    if len(body) > MAX_BODY:
        return _error("too_large", "the body is larger than 16 KB", 413)
    stamp = request.headers.get("X-Kosmmos-Timestamp", "")
    given = request.headers.get("X-Kosmmos-Signature", "")
    if not (stamp.isascii() and stamp.isdigit()) or not given:
        return _error("signature_missing", "X-Kosmmos-Timestamp and X-Kosmmos-Signature are required", 401)
    if not hmac.compare_digest(given.encode(), signature(money.postback_secret, stamp, body).encode()):
        return _error("signature_invalid", "the signature does not match this workspace's secret", 401)
    # A signed stamp of more digits than any clock needs is stale, not a number to convert.
    if len(stamp) > 12 or abs(time.time() - int(stamp)) > settings.LINKS_POSTBACK_WINDOW_S:
        return _error("timestamp_stale", "the timestamp is outside the accepted window; "
                      "check the sender's clock", 401)
    try:
        event = parse_event(parse_json(body))
        conversion = record_conversion(money.workspace, event, source=ConversionSource.POSTBACK, money=money)
    except BadInput as exc:
        return _error(exc.code, exc.message)
    except ConversionError as exc:
        return _error(exc.code, exc.message, exc.status)
    return JsonResponse({"ok": True, "conversion": str(conversion.pk),
                         "attributed": conversion.link_id is not None}, status=201)


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "86400"
        response["Vary"] = "Origin"
    return response


@csrf_exempt
def collect(request: HttpRequest, money_key: str) -> HttpResponse:
    money = _money(money_key)
    origin = request.headers.get("Origin", "").rstrip("/").lower()
    if money is None:
        return _error("unknown_key", "unknown site key", 404)
    allowed = money.origins()
    if origin and allowed and origin not in allowed:
        return _error("origin_not_allowed", "this site may not report events for the workspace", 403)
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204), origin)
    if request.method != "POST":
        return _error("method_not_allowed", "use POST", 405, Allow="POST, OPTIONS")
    who = f"{money.public_key}:{client_ip(request) or 'unknown'}"
    window = Window("links-collect", settings.LINKS_COLLECT_RATE_LIMIT, 60)
    if not window.take(who):
        return _cors(_error("rate_limited", "too many events; slow down", 429,
                            **{"Retry-After": str(window.retry_after())}), origin)
    if len(request.body) > MAX_BODY:
        return _cors(_error("too_large", "the body is larger than 16 KB", 413), origin)
    try:
        event = parse_event(parse_json(request.body))
        conversion = record_conversion(money.workspace, event, source=ConversionSource.SITE, money=money)
    except BadInput as exc:
        return _cors(_error(exc.code, exc.message), origin)
    except ConversionError as exc:
        return _cors(_error(exc.code, exc.message, exc.status), origin)
    return _cors(JsonResponse({"ok": True, "attributed": conversion.link_id is not None}, status=201), origin)
