"""The brief form under load and odd input: an atomic per-address limit, one-line subjects,
a length limit on every field."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from kosmmos.briefs.forms import BriefForm
from kosmmos.briefs.models import Brief
from kosmmos.briefs.tests.test_public_form import VALID, post_brief
from kosmmos.conftest import World, client_for
from kosmmos.lib.cache import LockedFileCache
from kosmmos.lib.ratelimit import Window
from kosmmos.mail.models import Delivery

pytestmark = pytest.mark.django_db


def test_it_lets_exactly_the_limit_through_from_twenty_threads_at_once() -> None:
    window = Window("brief-race", 5, 600)
    start = threading.Barrier(20)
    passed: list[bool] = []

    def one() -> None:
        start.wait()
        passed.append(window.take("10.0.0.1"))

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(passed) == [False] * 15 + [True] * 5


def _take_in_a_process(directory: str, start: Any, results: Any) -> None:
    counter = LockedFileCache(directory, {})
    key = "rl:brief:10.0.0.2:window"
    start.wait()
    if counter.add(key, 1, 600):
        results.put(1)
        return
    results.put(counter.incr(key))


def test_it_counts_atomically_across_processes(tmp_path: Path) -> None:
    """The embedded set-up runs web and workers as separate processes on one file cache."""
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(20), context.Queue()
    workers = [context.Process(target=_take_in_a_process, args=(str(tmp_path / "cache"), start, results))
               for _ in range(20)]
    for worker in workers:
        worker.start()
    counts = sorted(results.get(timeout=30) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
    assert counts == list(range(1, 21))  # every process saw its own count: none was lost
    assert sum(count <= 5 for count in counts) == 5


@pytest.mark.django_db(transaction=True)
def test_it_stores_exactly_the_limit_of_simultaneous_briefs(world: World, settings: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Twenty briefs from one address at once against a limit of five: five get through."""
    from django.db import connection

    settings.BRIEF_RATE_LIMIT = 5
    code = world.alpha.org.brief_code
    stored: list[str] = []
    # Storing is stubbed: SQLite in memory cannot take twenty writers; the race is in the count.
    monkeypatch.setattr("kosmmos.briefs.views.actions.submit_brief",
                        lambda organisation, data, **kw: stored.append(data["email"]))
    start = threading.Barrier(20)
    answers: list[int] = []

    def send(n: int) -> None:
        start.wait()
        try:
            answers.append(post_brief(Client(), code, {**VALID, "email": f"n{n}@romashka.ru"},
                                      "10.9.9.9").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == [302] * 5 + [429] * 15
    assert len(stored) == 5


def test_it_delivers_a_brief_whose_company_has_a_line_break(world: World, ip: str,
                                                             django_capture_on_commit_callbacks: Any) -> None:
    org = world.alpha.org
    org.notify_email = "leads@alpha.test"
    org.save(update_fields=["notify_email"])
    with django_capture_on_commit_callbacks(execute=True):
        response = post_brief(Client(), org.brief_code, {**VALID, "company": "ООО\r\n«Ромашка»\nBcc: x@evil.test"}, ip)
    assert response.status_code == 302
    delivery = Delivery.objects.get(kind="new_lead", subject__contains="Ромашка")
    assert delivery.subject == "Новый бриф: ООО «Ромашка» Bcc: x@evil.test"
    assert delivery.status == "sent"
    [sent] = [m for m in mail.outbox if "leads@alpha.test" in m.to]
    assert "\n" not in sent.subject and "x@evil.test" not in sent.to + sent.bcc


@pytest.fixture
def ip() -> str:
    from kosmmos.briefs.tests.test_public_form import fresh_ip

    return fresh_ip()


def test_it_limits_the_length_of_every_brief_field_and_keeps_the_text(world: World, ip: str) -> None:
    form = BriefForm()
    for name, field in form.fields.items():
        if hasattr(field, "max_length"):
            assert field.max_length, name
    long_kpis = "Заявки " * 400
    response = post_brief(client_for(None, language="en"), world.alpha.org.brief_code,
                          {**VALID, "kpis": long_kpis}, ip)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ensure this value has at most 2000 characters (it has 2799)." in html
    assert long_kpis.strip() in html
    assert not Brief.objects.filter(email=VALID["email"]).exists()
