"""Sending email and Telegram deliveries, grouped: whatever is due for one member on one
channel when their slot comes goes out as one message ("12 × Post failed in the last 5 min").

A sender claims its row (queued → sending), takes the channel's slot for the member (a
conditional UPDATE on the subscriber: Telegram one message a second per chat, email one a
minute), then claims every other due row of that member and channel with the same mark. Rows
are marked sent in one transaction with the email (the outbox row), or right after Telegram
answered with the message id.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kosmmos.jobs.claims import claim_marked
from kosmmos.lib.mailing import send_email
from kosmmos.lib.ratelimit import Window
from kosmmos.notifications import kinds
from kosmmos.notifications.models import Channel, Delivery, Status, Subscriber, TelegramBot
from kosmmos.notifications.queues import LEASE, deliveries
from kosmmos.notifications.telegram import BotError, call

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
GROUP_LIMIT = 200  # rows in one message at most (the rest go in the next)
LISTED = 10  # titles listed in a grouped message


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 2 ** min(attempts, 12)))


def send_delivery(pk: Any) -> None:
    token = uuid.uuid4().hex
    if not deliveries.start(pk, LEASE, batch=token):
        return
    row = Delivery.objects.select_related("user", "organisation").get(pk=pk)
    sub = Subscriber.objects.filter(organisation_id=row.organisation_id, user_id=row.user_id).first()
    now = timezone.now()
    if row.channel == Channel.TELEGRAM:
        bot = TelegramBot.objects.filter(organisation_id=row.organisation_id).first()
        if bot is None or sub is None or not sub.telegram_chat_id:
            _finish(token, failed=_("No Telegram chat is linked."))
            return
        free = _take_slot(sub, "telegram_free_at", settings.NOTIFY_TELEGRAM_SPACING_S, now)
        if free is not None:
            _hand_back(token, free)
            return
        if not Window("notify-telegram", settings.NOTIFY_TELEGRAM_PER_S, 1).take("all"):
            Subscriber.objects.filter(pk=sub.pk).update(telegram_free_at=None)
            _hand_back(token, now + timedelta(seconds=1))
            return
        rows = _claim_group(row, token, now)
        _send_telegram(bot, sub, rows, token)
    elif row.channel == Channel.EMAIL:
        if sub is not None:
            free = _take_slot(sub, "email_free_at", settings.NOTIFY_EMAIL_SPACING_S, now)
            if free is not None:
                _hand_back(token, free)
                return
        rows = _claim_group(row, token, now)
        _send_email(row, rows, token)
    else:
        _finish(token, sent=True)


def _take_slot(sub: Subscriber, field: str, spacing: float, now: datetime) -> datetime | None:
    """Take the member's next slot on a channel; None when taken, else when it is free."""
    won = Subscriber.objects.filter(Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lte": now}),
                                    pk=sub.pk).update(**{field: now + timedelta(seconds=spacing)})
    if won:
        return None
    free = Subscriber.objects.filter(pk=sub.pk).values_list(field, flat=True).first()
    return max(free or now, now)


def _hand_back(token: str, due: datetime) -> None:
    Delivery.objects.filter(batch=token, status=Status.SENDING).update(
        status=Status.PENDING, next_attempt_at=due, lease_until=None, batch="")


def _claim_group(row: Delivery, token: str, now: datetime) -> list[Delivery]:
    """The row and every other due row of the member on the channel, marked with ``token``."""
    same = Delivery.objects.filter(user_id=row.user_id, organisation_id=row.organisation_id,
                                   channel=row.channel, next_attempt_at__lte=now)
    lease = {"status": Status.SENDING, "lease_until": now + LEASE}
    claim_marked(same, Status.PENDING, GROUP_LIMIT, order=("next_attempt_at",),
                 mark=("batch", token), **lease)
    claim_marked(same, Status.QUEUED, GROUP_LIMIT, order=("next_attempt_at",),
                 mark=("batch", token), **lease)
    return list(Delivery.objects.filter(batch=token, status=Status.SENDING)
                .select_related("event").order_by("event__created_at")[:GROUP_LIMIT * 2 + 1])


def _finish(token: str, *, sent: bool = False, failed: str = "", external_id: str = "") -> None:
    now = timezone.now()
    mine = Delivery.objects.filter(batch=token, status=Status.SENDING)
    if sent:
        mine.update(status=Status.SENT, sent_at=now, lease_until=None, last_error="",
                    external_id=external_id[:64])
    else:
        mine.update(status=Status.FAILED, lease_until=None, last_error=failed[:1000])


def _retry(token: str, rows: list[Delivery], error: str, due: datetime | None = None) -> None:
    now = timezone.now()
    attempts = max((r.attempts for r in rows), default=0) + 1
    if attempts >= MAX_ATTEMPTS:
        _finish(token, failed=error)
        return
    Delivery.objects.filter(batch=token, status=Status.SENDING).update(
        status=Status.PENDING, attempts=attempts, last_error=error[:1000], lease_until=None,
        batch="", next_attempt_at=due or now + backoff(attempts))


def site_link(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL + (url if url.startswith("/") else "/" + url)


def compose(rows: list[Delivery]) -> tuple[str, str]:
    """(subject, text) in Russian first: one event as it is; several grouped by kind."""
    from django.urls import reverse

    with translation.override(settings.LANGUAGE_CODE):
        if len(rows) == 1:
            event = rows[0].event
            text = "\n\n".join(x for x in (event.title, event.body, site_link(
                event.url or reverse("notifications:list"))) if x)
            return event.title, text
        by_kind: dict[str, list[Delivery]] = {}
        for r in rows:
            by_kind.setdefault(r.event.kind, []).append(r)
        first, last = rows[0].event.created_at, rows[-1].event.created_at
        minutes = max(1, round((last - first).total_seconds() / 60))
        lines = []
        for kind, group in by_kind.items():
            if len(group) > 1:
                lines.append(_("%(count)s × %(kind)s in the last %(minutes)s min") % {
                    "count": len(group), "kind": kinds.get(kind).label, "minutes": minutes})
            lines += [f"• {r.event.title}" for r in group[:LISTED]]
        subject = ngettext("%(count)s notification", "%(count)s notifications", len(rows)) % {
            "count": len(rows)}
        lines.append(site_link(reverse("notifications:list")))
        return subject, "\n".join(lines)


def _send_telegram(bot: TelegramBot, sub: Subscriber, rows: list[Delivery], token: str) -> None:
    if not rows:
        return
    _subject, text = compose(rows)
    try:
        result = call(bot, "sendMessage", {"chat_id": sub.telegram_chat_id, "text": text[:4000],
                                           "disable_web_page_preview": True})
    except BotError as exc:
        if exc.retry_after is not None:
            # Telegram says when: the chat's slot moves there and the rows wait for it.
            due = timezone.now() + timedelta(seconds=exc.retry_after)
            Subscriber.objects.filter(pk=sub.pk).update(telegram_free_at=due)
            _retry(token, rows, str(exc), due)
        elif exc.permanent:
            _finish(token, failed=str(exc))
        else:
            _retry(token, rows, str(exc))
        return
    message_id = str(result.get("message_id", "")) if isinstance(result, dict) else ""
    _finish(token, sent=True, external_id=message_id)


def _send_email(row: Delivery, rows: list[Delivery], token: str) -> None:
    if not rows:
        return
    subject, text = compose(rows)
    with transaction.atomic():  # the outbox row and "sent" together: exactly once
        send_email(to=[row.user.email], subject=subject.replace("\n", " ")[:200], body=text,
                   kind="notification", organisation_id=row.organisation_id)
        _finish(token, sent=True)
