"""Queueing and sending email rows."""

from __future__ import annotations

import logging
import smtplib
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kosmmos.accounts.models import Organisation
from kosmmos.jobs.claims import claim_one
from kosmmos.lib.mailing import KIND_HEADER, ORGANISATION_HEADER
from kosmmos.lib.untrusted import header_text
from kosmmos.mail.models import MAX_ATTEMPTS, Attachment, Attempt, Delivery, Status, backoff

log = logging.getLogger(__name__)

# Long enough for a slow SMTP server; after it the sweep assumes the worker died.
LEASE = timedelta(minutes=5)


def queue_email(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    organisation: Organisation | None = None,
    organisation_id: uuid.UUID | str | None = None,
    kind: str = "other",
    html_body: str = "",
    reply_to: Sequence[str] = (),
    attachments: Sequence[tuple[str, bytes, str]] = (),
    from_email: str | None = None,
) -> Delivery:
    """Store an email as a pending Delivery and start sending it once the transaction commits.

    The organisation is given as itself or by its id (what Django's mail API carries)."""
    delivery = Delivery.objects.create(
        organisation_id=organisation.pk if organisation is not None else organisation_id,
        kind=kind,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        reply_to=list(reply_to),
        subject=header_text(subject)[:998],  # a line break in a header fails the send
        body=body,
        html_body=html_body,
    )
    for filename, content, mimetype in attachments:
        Attachment.objects.create(
            delivery=delivery, filename=filename, content=content, mimetype=mimetype
        )
    transaction.on_commit(lambda: kick(delivery.pk))
    return delivery


def queue_message(message: EmailMessage, *, kind: str = "system") -> Delivery:
    """Turn a Django EmailMessage into a Delivery: ours (``lib/mailing.py``, labelled by its
    headers) and Django's own (password reset: a system email of no organisation)."""
    labels = message.extra_headers
    html = ""
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            html = str(content)
    files = [(name, _as_bytes(data), mime or "application/octet-stream")
             for name, data, mime in message.attachments]
    return queue_email(
        to=message.to, subject=str(message.subject), body=str(message.body), html_body=html,
        reply_to=message.reply_to, attachments=files, from_email=message.from_email,
        kind=labels.get(KIND_HEADER, kind), organisation_id=labels.get(ORGANISATION_HEADER),
    )


def _as_bytes(data: str | bytes) -> bytes:
    return data.encode() if isinstance(data, str) else data


def kick(delivery_id: uuid.UUID) -> None:
    """Claim one pending row and enqueue it now rather than at the next tick."""
    from kosmmos.mail.dispatch import emails

    emails.kick(delivery_id)


def retry(delivery: Delivery) -> bool:
    """The user's retry button: a failed email goes back to pending and is sent again."""
    now = timezone.now()
    won = claim_one(
        Delivery, delivery.pk, Status.FAILED, status=Status.PENDING, next_attempt_at=now,
        last_error="",
    )
    if won:
        transaction.on_commit(lambda: kick(delivery.pk))
    return won


def send(delivery_id: uuid.UUID) -> None:
    """Send the email if it is still queued; record the attempt; decide what happens next."""
    now = timezone.now()
    if not claim_one(
        Delivery, delivery_id, Status.QUEUED,
        status=Status.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1,
    ):
        return  # another worker has it, or it was sent already: a duplicate message
    delivery = Delivery.objects.get(pk=delivery_id)
    started = time.monotonic()
    error, permanent = "", False
    try:
        _transmit(delivery)
    except Exception as exc:  # every failure is recorded; the class decides retry or not
        error, permanent = _describe(exc), _is_permanent(exc)
        log.warning("email %s attempt %s failed: %s", delivery_id, delivery.attempts, error)
    duration = int((time.monotonic() - started) * 1000)
    Attempt.objects.create(
        delivery=delivery, number=delivery.attempts, started_at=now, duration_ms=duration,
        ok=not error, permanent=permanent, error=error,
    )
    _finish(delivery, error, permanent)


def _finish(delivery: Delivery, error: str, permanent: bool) -> None:
    mine = Delivery.objects.filter(pk=delivery.pk, status=Status.SENDING)
    now = timezone.now()
    if not error:
        mine.update(status=Status.SENT, sent_at=now, lease_until=None, last_error="")
    elif permanent or delivery.attempts >= MAX_ATTEMPTS:
        mine.update(status=Status.FAILED, lease_until=None, last_error=error)
    else:
        mine.update(
            status=Status.PENDING, lease_until=None, last_error=error,
            next_attempt_at=now + backoff(delivery.attempts),
        )


def _transmit(delivery: Delivery) -> None:
    message = EmailMultiAlternatives(
        subject=delivery.subject, body=delivery.body, from_email=delivery.from_email,
        to=delivery.to, reply_to=delivery.reply_to or None,
        headers={"X-Kosmmos-Delivery": str(delivery.pk)},
    )
    if delivery.html_body:
        message.attach_alternative(delivery.html_body, "text/html")
    for item in delivery.attachments.all():
        message.attach(item.filename, bytes(item.content), item.mimetype)
    connection = get_connection(settings.KOSMMOS_EMAIL_TRANSPORT, fail_silently=False)
    connection.send_messages([message])


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"SMTP {exc.smtp_code}: {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{rcpt}: {code} {msg.decode(errors='replace')}" for rcpt, (code, msg) in exc.recipients.items()]
        return "SMTP recipients refused: " + "; ".join(parts)
    return f"{type(exc).__name__}: {exc}"


def _is_permanent(exc: Exception) -> bool:
    """5xx replies mean the server will never accept this message; all else may pass later."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False
