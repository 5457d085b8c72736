"""The giveaway's words on the network, each said once: the frozen list's hash (and the drand
round) as a comment under the giveaway post, and each winner told.

A winner is told the way the network allows: on VK a private message from the community when the
person allowed messages from it (``messages.isMessagesFromGroupAllowed``; needs the channel's
community token), else a comment under the giveaway post mentioning them (``[id123|Name]``
notifies them), else the row asks a person to contact them, with the reason.

Every row is a job on ``jobs/queue.py`` (ticker: ``giveaways.dispatch``) and every try an
``OutreachAttempt``. Writes are never blind-retried: after a try that may have reached the
network the row is ``unsure``, and the next try first looks for what it sent (the community's
comment with the same text among the newest; the message with the same ``random_id`` in the
conversation) and only sends if it is not there.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosmmos.connectors.base import AmbiguousOutcome, ConnectorError, RateLimited
from kosmmos.giveaways import beacon
from kosmmos.giveaways.models import Giveaway, Outreach, OutreachAttempt, Participant, Role
from kosmmos.giveaways.writer import CannotSay, Writer, writer_for
from kosmmos.jobs.queue import RowQueue

LEASE = timedelta(minutes=5)
TRIES = 6  # transient failures before the row fails with a Retry button
MAX_BACKOFF = timedelta(hours=1)
# VK refusals that mean "not this way": 901 no permission for messages from the community, 902
# the person's privacy settings; 7/15 no right, 212/213 comments closed on the post or wall.
NO_MESSAGE = {901, 902}
NO_COMMENT = {7, 15, 212, 213}

Status, Via, Outcome = Outreach.Status, Outreach.Via, OutreachAttempt.Outcome

queue = RowQueue(model=Outreach, task="kosmmos.giveaways.tasks:deliver", running=Status.SENDING,
                 # A dead worker may have sent: the row is handed back unsure (look first),
                 # with words for the page in the reader's language.
                 dead_worker_updates={"unsure": True, "last_error": gettext_lazy(
                     "The worker stopped while sending; the next try looks on the network for "
                     "what was sent before sending again.")})


def _key(giveaway: Giveaway, kind: str, participant: Participant | None = None) -> str:
    who = f"-{participant.network_id}" if participant is not None else ""
    return f"kosmmos-giveaway-{giveaway.code}-{kind}{who}"


def _create(giveaway: Giveaway, kind: str, text: str,
            participant: Participant | None = None) -> Outreach:
    row, made = Outreach.objects.get_or_create(
        key=_key(giveaway, kind, participant),
        defaults={"giveaway": giveaway, "participant": participant, "kind": kind,
                  "text": text})
    if made:
        transaction.on_commit(lambda: queue.kick(row.pk))
    return row


def announce_hash(giveaway: Giveaway) -> Outreach | None:
    """The frozen list's hash and the round, once per giveaway (the row's key is unique)."""
    if not giveaway.list_sha256 or giveaway.drand_round is None:
        return None
    out_at = timezone.localtime(beacon.time_of(giveaway.drand_round))
    text = _("The entries of the giveaway «%(title)s» are frozen: %(n)s people. SHA-256 of the "
             "list: %(hash)s. The winners will be picked by drand round %(round)s, out at "
             "%(when)s — it does not exist yet. Check the draw: %(url)s") % {
        "title": giveaway.title, "n": giveaway.frozen_count, "hash": giveaway.list_sha256,
        "round": giveaway.drand_round, "when": out_at.strftime("%d.%m.%Y %H:%M %Z"),
        "url": giveaway.public_url()}
    return _create(giveaway, Outreach.Kind.HASH, text)


def tell_winner(participant: Participant) -> Outreach:
    giveaway = participant.giveaway
    text = _("Congratulations! You won the giveaway «%(title)s». Please write to the community "
             "within %(days)s days to get your prize.") % {
        "title": giveaway.title, "days": giveaway.answer_days}
    return _create(giveaway, Outreach.Kind.WINNER, text, participant)


def comment_text(row: Outreach) -> str:
    """What a comment says: the hash text, or the winner's text after their mention (VK's
    ``[id123|Name]``, which notifies them; the sandbox copies it)."""
    if row.participant is None:
        return row.text
    person = row.participant
    return f"[id{person.network_id}|{person.name or person.network_id}], {row.text}"


def deliver(pk: Any) -> str:
    """One try of one row; returns what happened."""
    if not queue.start(pk, LEASE):
        return "lost"
    row = Outreach.objects.select_related("giveaway", "participant").get(pk=pk)
    attempt = OutreachAttempt(outreach=row, number=row.attempts + 1)
    clock = time.monotonic()
    note = ""
    try:
        writer = writer_for(row.giveaway)
        via, external, found, note = _say(row, writer)
    except CannotSay as exc:
        return _stop(row, attempt, clock, Status.MANUAL, Outcome.MANUAL,
                     f"{note} {exc.reason}".strip())
    except AmbiguousOutcome as exc:
        return _again(row, attempt, clock, exc.message, unsure=True)
    except ConnectorError as exc:
        if exc.permanent or row.attempts + 1 >= TRIES:
            return _stop(row, attempt, clock, Status.FAILED, Outcome.FAILED, exc.message)
        wait = timedelta(seconds=exc.retry_after) if isinstance(exc, RateLimited) else None
        return _again(row, attempt, clock, exc.message, unsure=row.unsure, wait=wait)
    now = timezone.now()
    attempt.outcome = Outcome.FOUND if found else Outcome.SENT
    attempt.error = note
    _save(attempt, clock)
    with transaction.atomic():
        Outreach.objects.filter(pk=pk, status=Status.SENDING).update(
            status=Status.SENT, via=via, external_id=external[:64], sent_at=now, unsure=False,
            lease_until=None, last_error="", attempts=F("attempts") + 1)
        if row.participant is not None:
            # The answer deadline runs from the moment the winner was told.
            Participant.objects.filter(pk=row.participant.pk, role=Role.WINNER,
                                       answered_at__isnull=True).update(
                notified_at=now, answer_due=now + timedelta(days=row.giveaway.answer_days))
    return "found" if found else "sent"


def _say(row: Outreach, writer: Writer) -> tuple[str, str, bool, str]:
    """(via, id on the network, found rather than sent, a note on why not a message)."""
    if row.participant is None:
        return (Via.COMMENT, *_comment(row, writer), "")
    uid = row.participant.network_id
    if row.unsure and row.via == Via.MESSAGE:
        found = writer.find_message(uid, row.random_id)
        if found:
            return Via.MESSAGE, found, True, ""
    note = ""
    if row.via != Via.COMMENT:
        note = _why_no_message(writer, uid)
        if not note:
            _mark(row, Via.MESSAGE)
            try:
                return Via.MESSAGE, writer.message(uid, row.text, row.random_id), False, ""
            except ConnectorError as exc:
                if exc.code not in NO_MESSAGE:
                    raise
                note = _("VK refused the private message: %(error)s.") % {"error": exc.message}
        _mark(row, Via.COMMENT)
    try:
        return (Via.COMMENT, *_comment(row, writer), note)
    except CannotSay as exc:
        raise CannotSay(f"{note} {exc.reason}".strip()) from exc


def _why_no_message(writer: Writer, uid: str) -> str:
    if not writer.message_token:
        return _("No private message: it needs the VK channel's community token.")
    if not writer.messages_allowed(uid):
        return _("No private message: the winner has not allowed messages from the community.")
    return ""


def _comment(row: Outreach, writer: Writer) -> tuple[str, bool]:
    text = comment_text(row)
    if row.unsure and writer.comment_token:
        found = writer.find_comment(text)
        if found:
            return found, True
    try:
        return writer.comment(text, row.key), False
    except ConnectorError as exc:
        if exc.code in NO_COMMENT:
            raise CannotSay(_("VK refused the comment: %(error)s.") % {"error": exc.message}
                            ) from exc
        raise


def _mark(row: Outreach, via: str) -> None:
    """Say which way this try sends before it sends, so a later look-up knows where to look."""
    if row.via != via:
        Outreach.objects.filter(pk=row.pk).update(via=via)
        row.via = via


def _again(row: Outreach, attempt: OutreachAttempt, clock: float, error: str, *, unsure: bool,
           wait: timedelta | None = None) -> str:
    attempt.outcome, attempt.error = (Outcome.UNSURE if unsure else Outcome.RETRY), error[:2000]
    _save(attempt, clock)
    backoff = wait or min(timedelta(minutes=1) * 2 ** row.attempts, MAX_BACKOFF)
    Outreach.objects.filter(pk=row.pk, status=Status.SENDING).update(
        status=Status.PENDING, unsure=unsure, lease_until=None, last_error=error[:2000],
        next_attempt_at=timezone.now() + backoff, attempts=F("attempts") + 1)
    return "unsure" if unsure else "retry"


def _stop(row: Outreach, attempt: OutreachAttempt, clock: float, status: str, outcome: str,
          error: str) -> str:
    attempt.outcome, attempt.error = outcome, error[:2000]
    _save(attempt, clock)
    Outreach.objects.filter(pk=row.pk, status=Status.SENDING).update(
        status=status, lease_until=None, last_error=error[:2000], attempts=F("attempts") + 1)
    return str(status)


def _save(attempt: OutreachAttempt, clock: float) -> None:
    attempt.duration_ms = int((time.monotonic() - clock) * 1000)
    attempt.save()


def retry(row: Outreach) -> bool:
    """A person's Retry on a failed row or one marked for hand contact (say, after adding a
    token). An unsure row stays unsure, so the retry looks before it sends."""
    return queue.retry_failed(row.pk, failed=row.status) if row.status in (
        Status.FAILED, Status.MANUAL) else False
