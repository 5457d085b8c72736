"""Fan-out, exactly once per user and channel, grouping, Telegram pacing, email and digests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest
import respx
from django.utils import timezone

from kosmmos.conftest import World
from kosmmos.lib import crypto
from kosmmos.lib.events import emit
from kosmmos.mail.models import Delivery as Email
from kosmmos.notifications import prefs, telegram
from kosmmos.notifications.dispatch import dispatch_deliveries, fan_out_missed
from kosmmos.notifications.fanout import fan_out
from kosmmos.notifications.models import Delivery, Event, Status, Subscriber, TelegramBot

API = "http://tg.test"


def _bot(world: World) -> TelegramBot:
    return TelegramBot.objects.create(organisation=world.alpha.org, username="alpha_bot",
                                      token_encrypted=crypto.encrypt("1:abc"), api_url=API)


def _link(world: World, user: Any, chat: int) -> Subscriber:
    sub = telegram.subscriber(world.alpha.org, user)
    sub.telegram_chat_id = chat
    sub.save(update_fields=["telegram_chat_id"])
    return sub


def _raise(world: World, kind: str = "post.failed", n: int = 1, **kw: Any) -> list[Event]:
    return [emit(kind, organisation=world.alpha.org, workspace=world.alpha.client_workspace,
                 title=f"Пост не вышел #{i}", url="/content/", dedupe_key=f"k{i}", **kw)
            for i in range(n)]


@pytest.mark.django_db
def test_it_fans_out_once_by_role_defaults(world: World) -> None:
    event = _raise(world)[0]
    fan_out(event.pk)
    fan_out(event.pk)  # a redelivered message: the unique keys keep one row each
    rows = set(Delivery.objects.values_list("user__email", "channel"))
    a = world.alpha
    assert rows == {(a.owner.email, "inapp"), (a.owner.email, "email"),
                    (a.manager.email, "inapp"), (a.manager.email, "email"),
                    (a.analyst.email, "inapp"), (a.analyst.email, "email")}
    assert Delivery.objects.get(user=a.owner, channel="inapp").status == Status.SENT
    assert Email.objects.filter(kind="notification").count() == 3
    assert not Delivery.objects.filter(user__in=[world.beta.owner, a.client]).exists()


@pytest.mark.django_db
def test_it_gives_a_client_approvals_and_reports_of_their_own_workspace_only(world: World) -> None:
    a = world.alpha
    mine = emit("report.sent", organisation=a.org, workspace=a.client_workspace, title="Отчёт")
    other = emit("report.sent", organisation=a.org, workspace=a.other_workspace, title="Отчёт 2")
    failed = emit("post.failed", organisation=a.org, workspace=a.client_workspace, title="x")
    waiting = emit("post.awaiting_approval", organisation=a.org, workspace=a.client_workspace,
                   title="Пост ждёт согласования")
    for e in (mine, other, failed, waiting):
        fan_out(e.pk)
    got = set(Delivery.objects.filter(user=a.client).values_list("event_id", "channel"))
    # The sent report is its own email (with the PDF): the bell has it, no second email.
    assert got == {(mine.pk, "inapp"), (waiting.pk, "inapp"), (waiting.pk, "email")}


@pytest.mark.django_db(transaction=True)
def test_it_fans_out_after_commit_and_the_sweep_finds_a_lost_kick(world: World) -> None:
    _raise(world)  # autocommit: the kick ran at once
    assert Event.objects.get().fanned_out_at is not None
    Event.objects.update(fanned_out_at=None, created_at=timezone.now() - timedelta(seconds=10))
    Delivery.objects.all().delete()
    assert fan_out_missed() == 1 and Delivery.objects.filter(channel="inapp").count() == 3


@pytest.mark.django_db
def test_it_sends_telegram_once_and_groups_a_flood(world: World, settings: Any) -> None:
    settings.NOTIFY_TELEGRAM_SPACING_S = 60  # a slow test machine must not open the next slot
    _bot(world)
    _link(world, world.alpha.manager, 555)
    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"ok": True, "result": {"message_id": len(sent)}})

    with respx.mock(assert_all_called=False) as net:
        net.post(f"{API}/bot1:abc/sendMessage").mock(side_effect=answer)
        for e in _raise(world, n=12):
            fan_out(e.pk)
        assert len(sent) == 1 and "Пост не вышел #0" in sent[0]["text"]
        # The other eleven waited for the chat's next second: they go as one message.
        Subscriber.objects.update(telegram_free_at=None)
        Delivery.objects.filter(status=Status.PENDING).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1))
        dispatch_deliveries()
    tg = Delivery.objects.filter(channel="telegram")
    assert tg.count() == 12 and set(tg.values_list("status", flat=True)) == {"sent"}
    assert len(sent) == 2 and sent[1]["chat_id"] == 555
    assert "11 × Публикация не удалась" in sent[1]["text"]
    assert "http://kosmmos.test/notifications/" in sent[1]["text"]


@pytest.mark.django_db
def test_it_honours_telegrams_retry_after(world: World) -> None:
    _bot(world)
    sub = _link(world, world.alpha.manager, 555)
    with respx.mock() as net:
        net.post(f"{API}/bot1:abc/sendMessage").respond(429, json={
            "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7}})
        fan_out(_raise(world)[0].pk)
    row = Delivery.objects.get(channel="telegram")
    sub.refresh_from_db()
    assert row.status == Status.PENDING and row.attempts == 1
    assert "retry after 7" in row.last_error
    wait = (row.next_attempt_at - timezone.now()).total_seconds()
    assert 6 < wait <= 7 and sub.telegram_free_at == row.next_attempt_at


@pytest.mark.django_db
def test_it_links_a_chat_by_a_one_time_code(world: World) -> None:
    bot = _bot(world)
    sub = telegram.subscriber(world.alpha.org, world.alpha.manager)
    code = telegram.start_link(sub)
    assert telegram.link_url(bot, code) == f"https://t.me/alpha_bot?start={code}"
    update = {"update_id": 10, "message": {"text": f"/start {code}",
                                           "chat": {"id": 4242, "username": "masha"}}}
    with respx.mock() as net:
        net.post(f"{API}/bot1:abc/getUpdates").respond(200, json={"ok": True, "result": [update]})
        assert telegram.poll_links() == 1
    sub.refresh_from_db()
    bot.refresh_from_db()
    assert (sub.telegram_chat_id, sub.telegram_name, sub.link_code) == (4242, "masha", "")
    assert bot.update_offset == 11
    # The code worked once; someone else replaying it links nothing.
    replay = {"update_id": 11, "message": {"text": f"/start {code}", "chat": {"id": 1}}}
    assert telegram.apply_update(bot, replay) is False


@pytest.mark.django_db
def test_it_holds_quiet_hours_but_lets_urgent_events_through(world: World) -> None:
    sub = Subscriber(quiet_from=time(22), quiet_to=time(8))
    night = datetime(2026, 12, 5, 20, 30, tzinfo=UTC)  # 23:30 in Moscow
    info = Event(severity="info")
    urgent = Event(severity="urgent")
    held = prefs.due_at(info, sub, "telegram", "Europe/Moscow", night)
    assert held.isoformat() == "2026-12-06T08:00:00+03:00"
    assert prefs.due_at(urgent, sub, "telegram", "Europe/Moscow", night) == night
    sub.email_digest = True
    assert prefs.due_at(info, sub, "email", "Europe/Moscow", night).isoformat() == \
        "2026-12-06T09:00:00+03:00"


@pytest.mark.django_db
def test_it_groups_emails_between_slots(world: World) -> None:
    telegram.subscriber(world.alpha.org, world.alpha.owner)
    for e in _raise(world, n=3):
        fan_out(e.pk)
    def owner_mail() -> list[Email]:
        return [m for m in Email.objects.filter(kind="notification").order_by("created_at")
                if m.to == [world.alpha.owner.email]]
    assert len(owner_mail()) == 1  # the first at once; the other two wait for the next slot
    Subscriber.objects.update(email_free_at=None)
    Delivery.objects.filter(status=Status.PENDING).update(next_attempt_at=timezone.now())
    dispatch_deliveries()
    assert len(owner_mail()) == 2
    assert "2 × Публикация не удалась" in owner_mail()[-1].body


@pytest.mark.django_db
def test_it_follows_a_members_choice_per_workspace(world: World) -> None:
    a = world.alpha
    sub = telegram.subscriber(a.org, a.manager)
    sub.choices = {str(a.client_workspace.pk): {"post.failed": []}, "*": {"post.failed": ["inapp"]}}
    sub.save()
    fan_out(_raise(world)[0].pk)
    other = emit("post.failed", organisation=a.org, workspace=a.other_workspace, title="y")
    fan_out(other.pk)
    mine = Delivery.objects.filter(user=a.manager)
    assert list(mine.values_list("event_id", "channel")) == [(other.pk, "inapp")]
