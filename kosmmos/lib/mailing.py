"""Sending email through Django's mail API, labelled for the outbox.

``EMAIL_BACKEND`` (``kosmmos/mail/backends.py``) stores every message as a Delivery row that a job
sends, with its attempts and retries, once the current transaction commits. The two headers say
which organisation the email belongs to and what kind it is; the backend files them on the row and
they are not sent on.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMultiAlternatives

KIND_HEADER = "X-Kosmmos-Kind"
ORGANISATION_HEADER = "X-Kosmmos-Organisation"


def send_email(
    *, to: Sequence[str], subject: str, body: str, kind: str, organisation_id: object = None,
    reply_to: Sequence[str] = (), from_email: str | None = None, html_body: str = "",
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> None:
    """Hand one email to Django's mail API: plain text, optionally an HTML alternative, files
    as (filename, content, MIME type) and a sender of its own (a white-label sender name)."""
    headers = {KIND_HEADER: kind}
    if organisation_id is not None:
        headers[ORGANISATION_HEADER] = str(organisation_id)
    message = EmailMultiAlternatives(subject=subject, body=body, to=list(to),
                                     reply_to=list(reply_to), headers=headers,
                                     from_email=from_email)
    if html_body:
        message.attach_alternative(html_body, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send()
