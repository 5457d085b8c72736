"""Email as jobs, sent to a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from kosmmos.conftest import World, client_for
from kosmmos.jobs.claims import claim_batch
from kosmmos.lib.mailing import send_email
from kosmmos.mail import delivery as outbox
from kosmmos.mail.dispatch import REQUEUE_AFTER, dispatch_due, sweep_stuck
from kosmmos.mail.models import Attempt, Delivery, Status

REJECTION = "550 5.7.1 Message rejected as spam"


class Recorder:
    """An SMTP server's DATA handler: keeps what it accepts, or answers ``reject``."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.reject: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reject:
            return self.reject
        self.envelopes.append(envelope)
        self.received.append(
            message_from_bytes(envelope.content, policy=policy.default)
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def use_smtp(settings: Any, port: int) -> None:
    settings.KOSMMOS_EMAIL_TRANSPORT = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp(settings: Any) -> Iterator[Recorder]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    use_smtp(settings, controller.port)
    yield recorder
    controller.stop()


def queue(**extra: Any) -> Delivery:
    fields: dict[str, Any] = {
        "to": ["anna@client.test"], "subject": "Отчёт за май",
        "body": "Добрый день!\nОтчёт во вложении.",
    }
    fields.update(extra)
    return outbox.queue_email(**fields)


def make_row(status: str, **extra: Any) -> Delivery:
    fields: dict[str, Any] = {
        "from_email": "noreply@kosmmos.test", "to": ["anna@client.test"], "subject": "Row",
        "body": "body", "status": status,
    }
    fields.update(extra)
    return Delivery.objects.create(**fields)


pytestmark = pytest.mark.django_db


def test_it_sends_a_queued_email_with_its_attachment(
    smtp: Recorder, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        delivery = queue(
            organisation=world.alpha.org, kind="report", reply_to=["owner@alpha.test"],
            html_body="<p>Добрый день!</p>",
            attachments=[("report.pdf", b"%PDF-1.7 fake", "application/pdf")],
        )

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Status.SENT, 1, "")
    assert delivery.sent_at is not None and delivery.lease_until is None
    [attempt] = delivery.attempt_rows.all()
    assert (attempt.number, attempt.ok, attempt.permanent, attempt.error) == (1, True, False, "")
    [envelope] = smtp.envelopes
    assert envelope.rcpt_tos == ["anna@client.test"]
    assert envelope.mail_from == "noreply@kosmmos.local"
    [message] = smtp.received
    assert message["Subject"] == "Отчёт за май"
    assert message["To"] == "anna@client.test"
    assert message["Reply-To"] == "owner@alpha.test"
    assert message["X-Kosmmos-Delivery"] == str(delivery.pk)
    # SMTP carries CRLF line ends.
    assert message.get_body(("plain",)).get_content().splitlines() == [
        "Добрый день!", "Отчёт во вложении."]
    assert message.get_body(("html",)).get_content().splitlines() == ["<p>Добрый день!</p>"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "report.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.7 fake"


def test_it_files_an_email_sent_through_djangos_mail_api_under_its_organisation_and_kind(
    smtp: Recorder, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        send_email(to=["anna@client.test"], subject="Новый бриф", body="Текст",
                   kind="new_lead", organisation_id=world.alpha.org.pk,
                   reply_to=["lead@client.test"])

    delivery = Delivery.objects.get(kind="new_lead", subject="Новый бриф")
    assert (delivery.organisation, delivery.to, delivery.reply_to) == (
        world.alpha.org, ["anna@client.test"], ["lead@client.test"])
    assert (delivery.status, delivery.attempts) == (Status.SENT, 1)
    assert [a.ok for a in delivery.attempt_rows.all()] == [True]
    # The labels are for the row, not for the recipient.
    [message] = smtp.received
    assert message["X-Kosmmos-Kind"] is None and message["X-Kosmmos-Organisation"] is None
    assert message["X-Kosmmos-Delivery"] == str(delivery.pk)


def test_it_fails_for_good_on_a_550_and_shows_it_with_a_retry_button(
    smtp: Recorder, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    smtp.reject = REJECTION
    with django_capture_on_commit_callbacks(execute=True):
        delivery = queue(organisation=world.alpha.org, subject="Rejected one")

    delivery.refresh_from_db()
    error = "SMTP 550: 5.7.1 Message rejected as spam"
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Status.FAILED, 1, error)
    [attempt] = Attempt.objects.filter(delivery=delivery)
    assert (attempt.ok, attempt.permanent, attempt.error) == (False, True, error)
    assert smtp.received == []

    owner = client_for(world.alpha.owner)
    listing = owner.get("/outbox/", {"status": "failed"}).content.decode()
    assert "Rejected one" in listing
    assert error in listing
    assert f'action="/outbox/{delivery.pk}/retry/"' in listing
    detail = owner.get(f"/outbox/{delivery.pk}/").content.decode()
    assert f'action="/outbox/{delivery.pk}/retry/"' in detail
    assert error in detail


def test_it_retries_a_failed_email_from_the_button(
    smtp: Recorder, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    smtp.reject = REJECTION
    with django_capture_on_commit_callbacks(execute=True):
        delivery = queue(organisation=world.alpha.org)
    smtp.reject = None

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.alpha.manager).post(f"/outbox/{delivery.pk}/retry/")

    assert response.status_code == 302
    assert response["Location"] == f"/outbox/{delivery.pk}/"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Status.SENT, 2, "")
    assert [a.ok for a in delivery.attempt_rows.order_by("number")] == [False, True]
    assert len(smtp.received) == 1
    # Nothing left to retry: a second press changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.alpha.manager).post(f"/outbox/{delivery.pk}/retry/")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.SENT, 2)
    assert len(smtp.received) == 1


def test_it_backs_off_when_the_server_is_down(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    use_smtp(settings, free_port())  # nobody listens there
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        delivery = queue()
    after = timezone.now()

    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert delivery.attempts == 1
    assert delivery.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    backoff = timedelta(seconds=30)
    assert before + backoff <= delivery.next_attempt_at <= after + backoff
    [attempt] = delivery.attempt_rows.all()
    assert (attempt.ok, attempt.permanent) == (False, False)
    assert attempt.error == delivery.last_error


def test_it_gives_up_after_the_last_attempt(settings: Any) -> None:
    use_smtp(settings, free_port())
    delivery = make_row(Status.QUEUED, attempts=outbox.MAX_ATTEMPTS - 1)

    outbox.send(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.FAILED, outbox.MAX_ATTEMPTS)
    assert delivery.last_error.startswith("ConnectionRefusedError")


def test_it_sends_once_when_the_task_runs_twice(smtp: Recorder) -> None:
    delivery = make_row(Status.QUEUED)

    outbox.send(delivery.pk)
    outbox.send(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.SENT, 1)
    assert delivery.attempt_rows.count() == 1
    assert len(smtp.received) == 1


def test_it_does_nothing_for_a_row_that_is_not_queued(smtp: Recorder) -> None:
    pending = make_row(Status.PENDING)
    failed = make_row(Status.FAILED)

    outbox.send(pending.pk)
    outbox.send(failed.pk)

    assert smtp.received == []
    assert Attempt.objects.count() == 0


def test_it_dispatches_only_due_rows(smtp: Recorder) -> None:
    now = timezone.now()
    due = make_row(Status.PENDING, subject="Due", next_attempt_at=now - timedelta(seconds=1))
    later = make_row(Status.PENDING, subject="Later", next_attempt_at=now + timedelta(minutes=5))

    assert dispatch_due() == 1
    assert dispatch_due() == 0

    due.refresh_from_db()
    later.refresh_from_db()
    assert due.status == Status.SENT
    assert later.status == Status.PENDING
    assert [m["Subject"] for m in smtp.received] == ["Due"]


def test_it_sweeps_lost_messages_and_dead_workers(smtp: Recorder) -> None:
    now = timezone.now()
    lost = make_row(Status.QUEUED, subject="Lost",
                    enqueued_at=now - REQUEUE_AFTER - timedelta(seconds=5))
    fresh = make_row(Status.QUEUED, subject="Fresh", enqueued_at=now - timedelta(seconds=5))
    dead = make_row(Status.SENDING, subject="Dead", attempts=1,
                    lease_until=now - timedelta(seconds=1))
    busy = make_row(Status.SENDING, subject="Busy", attempts=1,
                    lease_until=now + timedelta(minutes=4))

    assert sweep_stuck() == 2

    for row in (lost, fresh, dead, busy):
        row.refresh_from_db()
    assert lost.status == Status.SENT  # re-enqueued; the eager worker sent it
    assert fresh.status == Status.QUEUED
    assert (dead.status, dead.lease_until, dead.attempts) == (Status.PENDING, None, 1)
    assert dead.next_attempt_at <= timezone.now()
    assert busy.status == Status.SENDING
    assert [m["Subject"] for m in smtp.received] == ["Lost"]
    # The dead worker's row is due again and goes out on the next dispatch.
    assert dispatch_due() == 1
    assert [m["Subject"] for m in smtp.received] == ["Lost", "Dead"]


def test_it_never_lets_two_dispatchers_claim_the_same_row() -> None:
    rows = {make_row(Status.PENDING).pk for _ in range(7)}
    due = Delivery.objects.filter(next_attempt_at__lte=timezone.now())
    now = timezone.now()

    first = claim_batch(due, Status.PENDING, 4, status=Status.QUEUED, enqueued_at=now)
    second = claim_batch(due, Status.PENDING, 4, status=Status.QUEUED, enqueued_at=now)
    third = claim_batch(due, Status.PENDING, 4, status=Status.QUEUED, enqueued_at=now)

    assert (len(first), len(second), third) == (4, 3, [])
    assert set(first) | set(second) == rows
    assert not set(first) & set(second)
    assert set(Delivery.objects.values_list("status", flat=True)) == {Status.QUEUED}


@pytest.mark.postgres
@pytest.mark.skipif(not django_settings.IS_POSTGRES, reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_it_never_lets_concurrent_dispatchers_claim_the_same_row() -> None:
    rows = {make_row(Status.PENDING).pk for _ in range(60)}
    start = threading.Barrier(3)
    claimed: list[list[Any]] = [[], [], []]
    errors: list[BaseException] = []

    def dispatcher(slot: int) -> None:
        try:
            start.wait()
            while ids := claim_batch(
                Delivery.objects.filter(next_attempt_at__lte=timezone.now()), Status.PENDING, 5,
                status=Status.QUEUED, enqueued_at=timezone.now(),
            ):
                claimed[slot].extend(ids)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    everything = [pk for ids in claimed for pk in ids]
    assert len(everything) == len(set(everything)) == 60
    assert set(everything) == rows


def test_it_sends_the_password_reset_as_a_delivery_with_a_working_link(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    user = world.alpha.owner
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post("/password-reset/", {"email": "OWNER@alpha.test"})

    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    delivery = Delivery.objects.get(kind="system")
    assert delivery.organisation is None
    assert delivery.to == ["owner@alpha.test"]
    assert delivery.status == Status.SENT
    with translation.override("ru"):
        assert delivery.subject == translation.gettext("Kosmmos password reset")
    [sent] = mail.outbox
    assert sent.body == delivery.body
    link = re.search(r"http://testserver(/password-reset/[^/\s]+/[^/\s]+/)", delivery.body)
    assert link is not None

    form = browser.get(link.group(1), follow=True)
    assert form.status_code == 200
    set_password_url = form.redirect_chain[-1][0]
    done = browser.post(
        set_password_url, {"new_password1": "Nov-parol-2024!", "new_password2": "Nov-parol-2024!"}
    )

    assert done.status_code == 302
    assert done["Location"] == "/password-reset/done/"
    user.refresh_from_db()
    assert user.check_password("Nov-parol-2024!")
    # Used once, the link is dead.
    assert "Nov-parol" not in browser.get(link.group(1), follow=True).content.decode()
    assert Client().login(email="owner@alpha.test", password="Nov-parol-2024!")


def test_it_sends_no_reset_email_to_an_unknown_address(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/password-reset/", {"email": "nobody@nowhere.test"})
    assert response.status_code == 302
    assert not Delivery.objects.filter(kind="system").exists()
    assert mail.outbox == []
