"""`kosmmos demo`: the agency a new install opens with."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from kosmmos.accounts.models import Membership, Organisation, User, Workspace
from kosmmos.briefs.models import Brief, Lead, LeadEvent
from kosmmos.demo.agency import DEMO_EMAIL, DEMO_ORG, DEMO_PASSWORD, HISTORY

pytestmark = pytest.mark.django_db


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.fixture(autouse=True)
def _no_sandbox_running(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As under `make run`: the sandbox is not running yet, its state file is in a temp dir."""
    from kosmmos.lib import http

    settings.VAR_DIR = tmp_path
    settings.SANDBOX_URL = "http://sandbox.test"
    client = httpx.Client(transport=httpx.MockTransport(_refused))
    monkeypatch.setattr(http, "client", lambda: client)


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Organisation, Membership, Workspace, Brief, Lead, LeadEvent)
    }


def test_it_creates_the_demo_agency_from_the_seed_portfolio() -> None:
    output = run_demo()

    org = Organisation.objects.get(name=DEMO_ORG)
    names = list(Workspace.objects.filter(organisation=org).values_list("name", flat=True))
    assert len(names) == 2
    assert any("корейской косметики" in name for name in names)
    assert any("ортопедические матрасы" in name for name in names)
    brands = set(Workspace.objects.filter(organisation=org).values_list("brand", flat=True))
    assert brands == {"Сеул Бьюти", "Сон и Спина"}  # what {brand} says in canned replies
    statuses = set(Lead.objects.filter(organisation=org).values_list("status", flat=True))
    # "won": the two clients' own leads, whose accepted proposals set their targets.
    assert statuses == {"new", "in_work", "proposal_sent", "lost", "won"}
    assert "Demo agency created." in output
    assert f"{DEMO_EMAIL} / {DEMO_PASSWORD}" in output


def test_it_is_idempotent_and_keeps_the_password_and_open_sessions() -> None:
    run_demo()
    before = counts()
    browser = Client()
    assert browser.login(email=DEMO_EMAIL, password=DEMO_PASSWORD)
    user = User.objects.get(email=DEMO_EMAIL)
    user.set_password("changed-by-the-owner")
    user.save(update_fields=["password"])
    browser.force_login(user)  # the session now carries the new password's hash

    output = run_demo()

    assert counts() == before
    assert "Demo agency already there." in output
    user.refresh_from_db()
    assert user.check_password("changed-by-the-owner")
    board = browser.get("/leads/")  # still signed in: the password hash did not change
    assert board.status_code == 200
    assert board.context["total"] == 4 + 2  # and the two clients' won leads (demo/results.py)


def test_it_gives_the_demo_client_one_workspace_only() -> None:
    run_demo()
    browser = Client()
    assert browser.login(email="client@kosmmos.local", password=DEMO_PASSWORD)

    listing = browser.get("/workspaces/").content.decode()

    assert "корейской косметики" in listing
    assert "ортопедические матрасы" not in listing
    assert browser.get("/leads/").status_code == 403  # an agency page the role may not open: 403 with words


@pytest.mark.django_db
def test_it_gives_the_demo_a_content_plan_on_sandbox_channels_and_costs() -> None:
    from kosmmos.channels.models import Channel
    from kosmmos.content.models import Post, PostStatus, PostTarget, TargetStatus
    from kosmmos.links.models import CostEntry

    call_command("demo", stdout=StringIO())
    assert Channel.objects.filter(network="sandbox").count() == 2
    statuses = set(Post.objects.values_list("status", flat=True))
    assert {PostStatus.SCHEDULED, PostStatus.IN_REVIEW, PostStatus.DRAFT} <= statuses
    soon = PostTarget.objects.filter(status=TargetStatus.SCHEDULED).order_by("publish_at").first()
    assert soon is not None  # the first posts publish minutes after `make run`
    # Two clients, six months, three categories; the giveaways' prizes are booked on top.
    assert CostEntry.objects.exclude(category="prizes").count() == 2 * 6 * 3


# --- the inbox is not empty for hours --------------------------------------------------------


def sandbox_state(settings: Any) -> Any:
    from kosmmos.connectors.sandbox.server import Network

    return Network(path=str(Path(settings.VAR_DIR) / "sandbox.sqlite3"), seed=1,
                   public_url="http://sandbox.test")


def test_it_puts_its_published_posts_on_the_sandbox_with_their_comments(settings: Any) -> None:
    from kosmmos.content.models import Post, PostStatus, PostTarget, TargetStatus

    run_demo()
    run_demo()  # idempotent: nothing is put on the sandbox twice

    network = sandbox_state(settings)
    # The results history's posts (kosmmos/demo/results.py) are not on the sandbox.
    published = (PostTarget.objects.filter(status=TargetStatus.PUBLISHED)
                 .exclude(external_id__startswith="demo-history-").select_related("post"))
    # One more post than ours: the one typed in the app, which the inbox finds there.
    assert len(network.posts) - 1 == published.count() == len(HISTORY) > 5
    assert [p["key"] for p in network.posts.values()].count("typed-in-the-app") == 1
    texts = []
    for target in published:
        post = network.posts[int(target.external_id)]
        assert (post["key"], post["channel"]) == (target.key, target.channel.external_id)
        assert post["accepted_at"] == pytest.approx(target.published_at.timestamp())
        assert target.post.status == PostStatus.PUBLISHED
        assert target.attempt_rows.get().outcome == "published"
        texts += [c["text"] for c in network.comments(post)]
    # Already there, hours before `make run`: complaints, questions and thanks.
    assert len(texts) >= 15
    assert any("до сих пор не отправили" in t for t in texts)
    assert any("Сколько стоит" in t for t in texts)
    assert any("Спасибо" in t for t in texts)
    assert "Сколько идёт доставка в Казань?" in texts  # ten minutes old: inside the target
    assert "А есть тонер побольше, на 300 мл?" not in texts  # arrives twenty minutes later
    # The demo giveaways' own posts are published too (kosmmos/demo/giveaways.py).
    assert Post.objects.filter(status=PostStatus.PUBLISHED, giveaways__isnull=True).exclude(
        targets__external_id__startswith="demo-history-").count() == len(HISTORY)


@contextmanager
def sandbox_started(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The sandbox as `kosmmos serve` starts it after the demo: from its state file (in-process,
    through the bridge transport)."""
    from kosmmos.connectors.sandbox.server import SandboxApp
    from kosmmos.connectors.sandbox.tests.conftest import Bridge
    from kosmmos.lib import http

    network = sandbox_state(settings)
    network.path = ""  # loaded; no flusher thread outliving the test
    network.faults = {"enabled": False}
    bridge = Bridge(SandboxApp(network))
    client = httpx.Client(transport=bridge)
    monkeypatch.setattr(http, "client", lambda: client)
    try:
        yield network
    finally:
        client.close()
        bridge.close()


def test_it_shows_an_inbox_at_the_first_poll_after_serve_starts(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kosmmos.content.models import Post
    from kosmmos.inbox.dispatch import dispatch_polls
    from kosmmos.inbox.models import ChannelInbox, Item

    run_demo()
    with sandbox_started(settings, monkeypatch) as network:
        assert dispatch_polls() == 2  # both demo channels, due at once
        # The post typed in the app came with the first poll; its comments come with the next.
        outside = Post.objects.get(outside=True)
        assert outside.text.startswith("Сегодня до 20:00") and outside.targets.get().url
        ChannelInbox.objects.update(poll_status="idle", next_poll_at="2000-01-01T00:00:00Z")
        assert dispatch_polls() == 2

    # Not the results history's reviews (demo/results.py): those are months old, not on the sandbox.
    items = list(Item.objects.exclude(external_id__startswith="demo-review-")
                 .select_related("post", "channel"))
    comments = [c for p in network.posts.values() for c in network.comments(p)]
    customers = [c for c in comments if not c.get("from_channel")]
    assert len(items) == len(customers) >= 15
    # The channel's answers typed on the network are not items, but they answered some: those
    # have a first response at the answer's time, and the newest comments wait for the manager.
    answers = {c["reply_to"]: c["at"] for c in comments if c.get("from_channel")}
    assert len(answers) >= 10
    for item in items:
        if item.external_id in answers:
            assert item.first_response_at.timestamp() == pytest.approx(answers[item.external_id])
        else:
            assert item.first_response_at is None
    for item in items:  # each one traceable to a post that is on the sandbox
        assert item.post is not None and item.channel.network == "sandbox"
        target = item.post.targets.get()
        assert item.external_id.startswith(f"{target.external_id}_")
    browser = Client()
    assert browser.login(email="manager@kosmmos.local", password=DEMO_PASSWORD)
    page = browser.get("/inbox/").content.decode()
    assert "до сих пор не отправили" in page


def test_it_uses_the_admin_api_when_the_sandbox_runs_already(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kosmmos.content.models import PostTarget, TargetStatus

    with sandbox_started(settings, monkeypatch) as network:
        run_demo()
    assert len(network.posts) == len(HISTORY) + 1  # and the one typed in the app
    assert all(p.get("scripted") for p in network.posts.values())
    ids = set(PostTarget.objects.filter(status=TargetStatus.PUBLISHED).exclude(
        external_id__startswith="demo-history-").values_list("external_id", flat=True))
    assert ids == {str(pid) for pid, p in network.posts.items()
                   if p["key"] != "typed-in-the-app"}
    # The running sandbox owns its state file: the demo did not write to it behind its back.
    assert sandbox_state(settings).posts == {}


def test_it_seeds_three_competitors_per_client_with_history_and_one_key_move(db: None) -> None:
    from kosmmos.competitors.models import Community, Follow, KeyMove
    from kosmmos.demo.agency import load_demo
    from kosmmos.notifications.models import Event

    load_demo()
    follows = Follow.objects.all()
    workspaces = {f.workspace_id for f in follows}
    for ws in workspaces:
        assert follows.filter(workspace_id=ws, own=False).count() == 3
        assert follows.filter(workspace_id=ws, own=True).count() == 1
    rival = Community.objects.filter(handle__endswith="-rival0").first()
    assert rival.posts.count() > 30 and rival.counts.count() > 30
    assert KeyMove.objects.filter(community=rival, kind="promo").exists()
    assert Event.objects.filter(kind="competitors.key_move").exists()


# --- the story the comments tell --------------------------------------------------------------


def test_it_spreads_the_waiting_comments_between_fresh_overdue_and_still_to_come() -> None:
    from kosmmos.demo.agency import ANSWERS
    from kosmmos.inbox.models import DEFAULT_SLA_MINUTES

    ages = [hours * 60 - minutes for _ws, hours, title, _t, _tags, comments in HISTORY
            for n, (minutes, _a, _text) in enumerate(comments)
            if n not in {i for _m, i, _b in ANSWERS.get(title, ())}]
    fresh = [a for a in ages if 0 <= a < DEFAULT_SLA_MINUTES]
    assert len(fresh) >= 2  # at `make run` some still wait inside the target
    assert len([a for a in ages if a >= DEFAULT_SLA_MINUTES]) >= 5  # some overdue
    assert any(-DEFAULT_SLA_MINUTES < a < 0 for a in ages)  # and some arrive in the first hour


def test_it_flags_no_clearly_happy_demo_comment_as_a_possible_complaint() -> None:
    from kosmmos.demo.agency import OUTSIDE
    from kosmmos.inbox.models import POSSIBLE_COMPLAINT
    from kosmmos.inbox.sentiment import classify

    texts = [c[2] for h in HISTORY for c in h[5]] + [c[2] for c in OUTSIDE[3]]
    happy = [t for t in texts if "спасибо" in t.lower() or t.startswith("Ура")]
    assert "Ура, ждала его! Уже заказала 😍" in happy
    for text, found in zip(happy, classify(happy), strict=True):
        assert found.label == "positive", text
        assert found.scores["negative"] < POSSIBLE_COMPLAINT, text


def test_it_gives_each_demo_channel_a_demographics_reading_per_past_month() -> None:
    from kosmmos.channels.models import ChannelDemographics

    run_demo()
    org = Organisation.objects.get(name=DEMO_ORG)
    rows = list(ChannelDemographics.objects.filter(organisation=org))
    assert rows and all(r.basis == "visitors" and r.sex and r.age and r.cities for r in rows)
    today = timezone.localdate()
    # Whole past months only: this month's reading is the worker's (publishing.stats).
    assert all(r.period_from.day == 1 and r.period_to < today.replace(day=1) for r in rows)
    per_channel = Counter(r.channel_id for r in rows)
    assert len(set(per_channel.values())) == 1 and next(iter(per_channel.values())) >= 5
