"""Django's EMAIL_BACKEND: every email sent through Django's mail API (ours through
``kosmmos/lib/mailing.py``, Django's own password reset) becomes a Delivery row and a job."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class QueuedBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from kosmmos.mail.delivery import queue_message

        for message in email_messages:
            queue_message(message)
        return len(email_messages)
