"""The inbox pages: filters, negative first, sentiment corrections, SLA, hostile payloads."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from kosmmos.channels.models import Channel
from kosmmos.conftest import World, client_for
from kosmmos.inbox.analytics import sla_summary
from kosmmos.inbox.models import Item, SentimentCorrection
from kosmmos.inbox.testing import make_item

pytestmark = pytest.mark.django_db

HOSTILE = [
    '<script>alert("xss")</script>',
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(2)">нажми</a>',
    "javascript:alert(3)",
    '"><svg onload=alert(4)>',
    "\u202eelgoog.com\u202c и \u200b\u200bневидимые\u200d символы",
    "{{ 7|add:7 }} {% now 'Y' %}",
    "Очень длинно " * 20000,
]


def test_it_lists_negative_items_first_and_filters(world: World, vk: Channel) -> None:
    now = timezone.now()
    make_item(vk, "Всё отлично", sentiment="positive", received_at=now)
    make_item(vk, "Ужасно", sentiment="negative", received_at=now - timedelta(hours=3))
    make_item(vk, "Решённая жалоба", sentiment="negative", status="closed")
    browser = client_for(world.alpha.manager)
    page = browser.get("/inbox/").content.decode()
    assert page.index("Ужасно") < page.index("Всё отлично")
    assert "Решённая жалоба" not in page
    positive = browser.get("/inbox/?sentiment=positive").content.decode()
    assert "Всё отлично" in positive and "Ужасно" not in positive
    newest = browser.get(f"/workspaces/{vk.workspace_id}/inbox/?sort=new").content.decode()
    assert newest.index("Всё отлично") < newest.index("Ужасно")
    assert "Решённая жалоба" in browser.get("/inbox/?status=closed").content.decode()
    overdue = browser.get("/inbox/?overdue=1").content.decode()
    assert "Ужасно" in overdue and "Всё отлично" not in overdue


def test_it_puts_possible_complaints_right_after_the_negatives(world: World, vk: Channel) -> None:
    now = timezone.now()
    make_item(vk, "Спасибо!", sentiment="positive", received_at=now,
              scores={"negative": 0.02, "neutral": 0.1, "positive": 0.88})
    make_item(vk, "Подушки не положили", sentiment="neutral", received_at=now - timedelta(hours=1),
              scores={"negative": 0.40, "neutral": 0.52, "positive": 0.08})
    make_item(vk, "Решено менеджером", sentiment="neutral", sentiment_manual=True,
              received_at=now - timedelta(hours=1), scores={"negative": 0.6, "neutral": 0.4})
    make_item(vk, "Верните деньги", sentiment="negative", received_at=now - timedelta(hours=2),
              scores={"negative": 0.72, "neutral": 0.27, "positive": 0.01})
    page = client_for(world.alpha.manager, language="en").get("/inbox/").content.decode()
    order = [page.index(t) for t in ("Верните деньги", "Подушки не положили", "Спасибо!")]
    assert order == sorted(order)
    assert page.index("Спасибо!") < page.index("Решено менеджером")  # a manager's label is final
    assert page.count("possible complaint</span>") == 1
    complaints = client_for(world.alpha.manager, language="en").get(
        "/inbox/?sentiment=complaints").content.decode()
    assert "Верните деньги" in complaints and "Подушки не положили" in complaints
    assert "Спасибо!" not in complaints and "Решено менеджером" not in complaints


def test_it_filters_the_items_nobody_has_answered(world: World, vk: Channel) -> None:
    now = timezone.now()
    make_item(vk, "Где заказ?", sentiment="negative", received_at=now - timedelta(hours=2))
    make_item(vk, "Уже ответили", sentiment="negative", received_at=now - timedelta(hours=2),
              first_response_at=now - timedelta(hours=1))
    browser = client_for(world.alpha.manager)
    everything = browser.get("/inbox/").content.decode()
    assert "Где заказ?" in everything and "Уже ответили" in everything
    waiting = browser.get("/inbox/?waiting=1&sentiment=negative").content.decode()
    assert "Где заказ?" in waiting and "Уже ответили" not in waiting
    assert 'name="waiting" value="1" id="f-wt" checked' in waiting  # the filter stays on


def test_it_labels_the_date_range_filter_as_a_range_in_russian(world: World, vk: Channel) -> None:
    # "To" of a date range is «По», not the email recipient's «Кому» (same English word).
    page = client_for(world.alpha.manager, language="ru").get("/inbox/").content.decode()
    assert re.search(r'for="f-from">С</label>', page)
    assert re.search(r'for="f-to">По</label>', page)
    assert "Кому" not in page
    outbox = client_for(world.alpha.owner, language="ru").get("/outbox/").content.decode()
    assert "Кому" in outbox


def test_it_corrects_sentiment_with_one_htmx_click(world: World, vk: Channel) -> None:
    item = make_item(vk, "Ну такое", sentiment="positive")
    response = client_for(world.alpha.manager).post(
        f"/inbox/items/{item.pk}/sentiment/", {"sentiment": "negative"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "sent-negative" in response.content.decode()
    item.refresh_from_db()
    assert (item.sentiment, item.sentiment_manual) == ("negative", True)
    correction = SentimentCorrection.objects.get()
    assert (correction.old_label, correction.new_label) == ("positive", "negative")


@pytest.mark.parametrize(("language", "label"), [("ru", "Негатив"), ("en", "Negative")])
def test_it_refreshes_the_threads_badge_after_a_correction(world: World, vk: Channel,
                                                           language: str, label: str) -> None:
    item = make_item(vk, "Ну такое", sentiment="positive")
    browser = client_for(world.alpha.manager, language=language)
    page = browser.get(f"/inbox/items/{item.pk}/").content.decode()
    assert f'<span id="thread-sentiment-{item.pk}">' in page  # the badge the answer replaces
    html = browser.post(f"/inbox/items/{item.pk}/sentiment/", {"sentiment": "negative"},
                        headers={"HX-Request": "true"}).content.decode()
    oob = html.split(f'<span id="thread-sentiment-{item.pk}" hx-swap-oob="true">', 1)[1]
    badge = oob.split("</span></span>", 1)[0]
    assert "sent-negative" in badge and label in badge and "sent-positive" not in badge
    listed = browser.get("/inbox/").content.decode()
    row = listed.split(f'id="row-sentiment-{item.pk}"', 1)[1].split("</span></span>", 1)[0]
    assert "sent-negative" in row
    # An item the thread does not list (deleted on the network) gets no out-of-band badge:
    # htmx would log an error for its missing target.
    item.deleted_at = item.received_at
    item.save(update_fields=["deleted_at"])
    html = browser.post(f"/inbox/items/{item.pk}/sentiment/", {"sentiment": "positive"},
                        headers={"HX-Request": "true"}).content.decode()
    assert "hx-swap-oob" not in html and "sent-positive" in html


def test_it_assigns_closes_reopens_and_notes(world: World, vk: Channel) -> None:
    item = make_item(vk, "Вопрос")
    browser = client_for(world.alpha.manager)
    browser.post(f"/inbox/items/{item.pk}/assign/", {"assignee": str(world.alpha.owner.pk)})
    browser.post(f"/inbox/items/{item.pk}/status/", {"status": "closed"})
    browser.post(f"/inbox/items/{item.pk}/note/", {"text": "Клиент VIP"})
    item.refresh_from_db()
    assert (item.assignee, item.status, item.notes.get().text) == (world.alpha.owner, "closed", "Клиент VIP")
    browser.post(f"/inbox/items/{item.pk}/status/", {"status": "open"})
    item.refresh_from_db()
    assert item.status == "open" and item.closed_at is None
    # Someone of another agency cannot be assigned.
    assert browser.post(f"/inbox/items/{item.pk}/assign/",
                        {"assignee": str(world.beta.owner.pk)}).status_code == 400


def test_it_searches_cyrillic_text_ignoring_case(world: World, vk: Channel) -> None:
    make_item(vk, "Класс! Где купить?", author_name="Ольга К.")
    make_item(vk, "Доставка задерживается")
    browser = client_for(world.alpha.manager)
    for query in ("класс", "ГДЕ КУПИТЬ", "ольга", "Класс"):
        page = browser.get("/inbox/", {"q": query}).content.decode()
        assert "Где купить" in page and "Доставка" not in page, query
    assert "Где купить" not in browser.get("/inbox/", {"q": "нет такого"}).content.decode()


def test_it_says_what_was_wrong_with_a_hand_made_form(world: World, vk: Channel) -> None:
    item = make_item(vk, "Вопрос")
    item.assignee = world.alpha.manager
    item.save(update_fields=["assignee"])
    browser = client_for(world.alpha.manager)
    junk = browser.post(f"/inbox/items/{item.pk}/assign/", {"assignee": "not-a-person"})
    assert junk.status_code == 400
    assert junk.content.decode() == ("Назначьте элемент кому-то из команды вашего агентства "
                                     "или никому.")
    item.refresh_from_db()
    assert item.assignee == world.alpha.manager  # a bad value is not "nobody"
    status = browser.post(f"/inbox/items/{item.pk}/status/", {"status": "done"})
    assert (status.status_code, status.content.decode()) == (
        400, "Статус может быть только «открыто» или «закрыто».")
    sentiment = browser.post(f"/inbox/items/{item.pk}/sentiment/", {"sentiment": "angry"})
    assert (sentiment.status_code, sentiment.content.decode()) == (
        400, "Выберите тональность: негатив, нейтрально или позитив.")
    assert browser.post(f"/inbox/items/{item.pk}/assign/", {"assignee": ""}).status_code == 302
    item.refresh_from_db()
    assert item.assignee is None


def test_it_computes_time_to_first_response_per_item_and_manager(world: World, vk: Channel) -> None:
    now = timezone.now()
    alpha = world.alpha
    for minutes, who in ((10, alpha.manager), (30, alpha.manager), (120, alpha.owner)):
        make_item(vk, "q", received_at=now - timedelta(hours=5),
                  first_response_at=now - timedelta(hours=5) + timedelta(minutes=minutes),
                  first_responder=who)
    make_item(vk, "late", received_at=now - timedelta(hours=2))
    make_item(vk, "fresh", received_at=now - timedelta(minutes=5))
    sla = sla_summary(Item.objects.filter(workspace=vk.workspace), 60)
    assert (sla.answered, sla.median_minutes, sla.overdue) == (3, 30, 1)
    assert sla.within_target == pytest.approx(2 / 3)
    by_name = {m.name: (m.answered, m.median_minutes, m.within_target) for m in sla.managers}
    assert by_name == {"Alpha Manager": (2, 20, 1.0), "Alpha Owner": (1, 120, 0.0)}
    page = client_for(alpha.analyst).get(f"/workspaces/{vk.workspace_id}/inbox/analytics/")
    assert page.status_code == 200 and "Alpha Manager" in page.content.decode()


def test_it_says_who_answered_first_on_the_item(world: World, vk: Channel) -> None:
    now = timezone.now()
    ours = make_item(vk, "a", received_at=now - timedelta(hours=1),
                     first_response_at=now - timedelta(minutes=40), first_responder=world.alpha.owner)
    theirs = make_item(vk, "b", received_at=now - timedelta(hours=1),
                       first_response_at=now - timedelta(minutes=50))
    browser = client_for(world.alpha.manager, language="en")
    page = browser.get(f"/inbox/items/{ours.pk}/").content.decode()
    assert "first response in 20" in page and "Alpha Owner" in page
    page = browser.get(f"/inbox/items/{theirs.pk}/").content.decode()
    assert "first response in 10" in page and "answered on the network" in page


def test_it_renders_hostile_payloads_inert(world: World, vk: Channel) -> None:
    items = [make_item(vk, text, sentiment="negative", author_name=f'<b onmouseover="x()">{i}</b>')
             for i, text in enumerate(HOSTILE)]
    browser = client_for(world.alpha.manager)
    pages = [browser.get("/inbox/").content.decode()]
    pages += [browser.get(f"/inbox/items/{item.pk}/").content.decode() for item in items]
    for html in pages:
        assert "<script>alert" not in html
        assert not re.search(r"<[^>]+\son(error|load|mouseover)\s*=", html, re.I)
        assert 'href="javascript:' not in html.lower()
        assert "<svg onload" not in html and "<img src=x" not in html
        assert len(html) < 400_000  # the huge text is cut in the list, scrolled in the item
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in pages[0]
    assert "{{ 7|add:7 }} {% now &#x27;Y&#x27; %}" in pages[1 + 6]  # shown, never evaluated
    assert 'class="km-ugc' in pages[1]  # untrusted text isolated from the page's direction


def test_it_ignores_impossible_dates_in_the_filters(world: World, vk: Channel) -> None:
    make_item(vk, "Где заказ?", sentiment="negative")
    browser = client_for(world.alpha.manager)
    for typed in ("from=2024-99-99", "to=2026-02-30", "from=0001-01-01&to=9999-12-31"):
        page = browser.get(f"/inbox/?{typed}")
        assert page.status_code == 200 and "Где заказ?" in page.content.decode(), typed


def test_it_refuses_a_canned_reply_of_another_agency_to_someone_in_both(
        world: World, vk: Channel) -> None:
    """One person in two agencies reaches the item and the canned reply one by one; the pair
    is still refused: the reply text of one agency never fills an answer in the other."""
    from kosmmos.accounts.models import Membership
    from kosmmos.inbox.models import CannedReply

    beta = world.beta
    Membership.objects.create(organisation=beta.org, user=world.alpha.owner, role="owner")
    item = make_item(vk, "Где мой заказ?")
    theirs = CannedReply.objects.create(organisation=beta.org, workspace=None,
                                        title="Beta", text="Beta's private wording")
    ours = CannedReply.objects.create(organisation=world.alpha.org, workspace=None,
                                      title="Alpha", text="Alpha's own wording")
    browser = client_for(world.alpha.owner)
    answer = browser.get(f"/inbox/items/{item.pk}/canned/{ours.pk}/")
    assert answer.status_code == 200 and "Alpha&#x27;s own wording" in answer.content.decode()
    refused = browser.get(f"/inbox/items/{item.pk}/canned/{theirs.pk}/")
    assert refused.status_code == 404
    assert "private wording" not in refused.content.decode()
