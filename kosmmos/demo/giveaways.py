"""Demo giveaways for the first client: one drawn last week (its public page verifies), one
joint giveaway with the second client (a cross-marketing partner) that ends twenty minutes after
the demo loads, so on ``make run`` the ticker collects, freezes, waits for the round and draws it
on the sandbox's beacon while you watch — its hash goes out as a comment under the post and
its winners are told on the sandbox; and a post exchange waiting for the partner's approval.
In the drawn one, two winners have not answered: ten minutes after the load their prizes go to
the reserves (the ticker, ``actions.promote_overdue``).

Both posts' likes, comments and members live on the sandbox (``ext/engagement.py``); the set-up
is given to the sandbox over its admin API when it runs, else into its state file. The drawn
one's participants are read from the same generator in-process, so they are what the sandbox
serves.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.utils import timezone

from kosmmos.accounts.models import User, Workspace
from kosmmos.connectors.sandbox.ext import drand, engagement
from kosmmos.content.models import Post, PostStatus
from kosmmos.giveaways import actions, beacon, exchange
from kosmmos.giveaways.collect import evaluate, store
from kosmmos.giveaways.models import (
    Excluded,
    Giveaway,
    JobStatus,
    Outreach,
    Partner,
    Role,
    Stage,
)
from kosmmos.giveaways.network import Reader

SEED = 1  # the sandbox's default SANDBOX_SEED
GROUP = "501"
POSTS = {"-501_77": {"audience": 400, "like": 0.8, "comment": 0.5, "member": 0.85,
                     "word": "хочу", "group_id": GROUP},
         "-501_91": {"audience": 250, "like": 0.7, "comment": 0.4, "member": 0.8,
                     "word": "участвую", "group_id": GROUP, "partners": ["502"]}}


class LocalReader(Reader):
    """The sandbox's answers computed in-process (the demo may load while it is down)."""

    def call(self, method: str, params: dict[str, Any]) -> Any:
        self.calls += 1
        state = {"posts": POSTS, "left": {}, "joined": {}}
        call: Any = SimpleNamespace(query={k: str(v) for k, v in params.items()},
                                    net=SimpleNamespace(seed=SEED))
        return engagement.method(call, state, method)[1]["response"]


def _post(ws: Workspace, user: User, title: str, text: str, when: Any) -> Post:
    return Post.objects.create(organisation=ws.organisation, workspace=ws, author=user,
                               title=title, text=text, publish_at=when,
                               status=PostStatus.PUBLISHED)


def seed_giveaways(manager: User, workspace: Workspace, partner_workspace: Workspace) -> None:
    now = timezone.now()
    partner = Partner.objects.create(
        organisation=workspace.organisation, workspace=workspace, name="Сон и Спина",
        network="sandbox", group_id="502", partner_workspace=partner_workspace)
    Excluded.objects.create(organisation=workspace.organisation, workspace=workspace,
                            kind=Excluded.Kind.OWN, user_id="sandbox:10000003",
                            note="аккаунт менеджера")
    rules = {"min_age_days": 30, "no_avatar": True, "closed": False}
    done = actions.create_giveaway(workspace, actions.GiveawayData(
        title="Набор уходовой косметики", network="sandbox", owner_id="-501", item_id="77",
        group_id=GROUP, starts_at=now - timedelta(days=10), ends_at=now - timedelta(days=3),
        conditions={"like": True, "comment": True, "word": "хочу", "member": True},
        rules=rules, winners_count=3, reserves_count=2,
        prizes=[("Набор уходовой косметики", Decimal("4500")), ("Тонер с центеллой",
                                                                Decimal("1200"))],
        post=_post(workspace, manager, "Розыгрыш набора",
                   "Разыгрываем набор уходовой косметики! Условия: лайк, комментарий «хочу» и "
                   "подписка на сообщество. Итоги — через неделю.", now - timedelta(days=10))),
        user=manager)
    reader = LocalReader(network="sandbox", token="demo")  # noqa: S106  # any token will do
    store(done, evaluate(done, reader, now=now - timedelta(days=3)))
    Giveaway.objects.filter(pk=done.pk).update(drand_round=beacon.round_at(
        now - timedelta(days=3) + actions.DRAW_DELAY))
    done.refresh_from_db()
    actions.freeze(done, now=now - timedelta(days=3))
    found = drand.beacon(SEED, done.drand_round or 0)
    actions.draw(done, beacon.Round(found["round"], found["signature"], found["randomness"]),
                 now=now - timedelta(days=3) + actions.DRAW_DELAY)
    Giveaway.objects.filter(pk=done.pk).update(status=JobStatus.IDLE, stage=Stage.DRAWN)
    _said_long_ago(done, now - timedelta(days=3))

    actions.create_giveaway(workspace, actions.GiveawayData(
        title="Совместный розыгрыш с «Сном и спиной»", network="sandbox", owner_id="-501",
        item_id="91", group_id=GROUP, starts_at=now - timedelta(days=2),
        ends_at=now + timedelta(minutes=20),
        conditions={"like": True, "comment": True, "word": "участвую", "member": True,
                    "partners": ["502"]},
        rules=rules, winners_count=2, reserves_count=1,
        prizes=[("Сертификат на 3000 ₽", Decimal("3000"))],
        post=_post(workspace, manager, "Совместный розыгрыш",
                   "Вместе с «Сном и спиной» разыгрываем сертификат! Лайк, комментарий "
                   "«участвую» и подписка на оба сообщества.", now - timedelta(days=2))),
        user=manager)
    about = Post.objects.create(
        organisation=workspace.organisation, workspace=workspace, author=manager,
        title="Наши друзья: «Сон и Спина»", status=PostStatus.DRAFT,
        text="Хороший сон — половина ухода за кожей. Наши друзья из «Сна и Спины» подбирают "
             "ортопедические матрасы под вас.")
    exchange.propose(workspace, partner, about, "Уход за кожей перед сном — советы от наших "
                     "друзей из «Сеул Бьюти».", user=manager)
    _tell_sandbox({"posts": POSTS})


def _said_long_ago(done: Giveaway, ended: Any) -> None:
    """The drawn giveaway's story: its hash went out at the freeze and its winners were told at
    the draw, three days ago; the first winner answered. The other two have until ten minutes
    after the demo loads: then the ticker hands their prizes to the reserves, who are told on
    the sandbox (a message, or a comment under the post when they allow no messages)."""
    Outreach.objects.filter(giveaway=done, kind=Outreach.Kind.HASH).update(
        status=Outreach.Status.SENT, via=Outreach.Via.COMMENT, sent_at=ended)
    Outreach.objects.filter(giveaway=done, kind=Outreach.Kind.WINNER).update(
        status=Outreach.Status.SENT, via=Outreach.Via.MESSAGE,
        sent_at=ended + actions.DRAW_DELAY)
    first = done.participants.filter(role=Role.WINNER).order_by("rank").first()
    if first is not None:
        actions.mark_answered(first)


def _tell_sandbox(setup: dict[str, Any]) -> None:
    """The same set-up on the sandbox: over HTTP when it runs, else into its state file."""
    import httpx

    from kosmmos.connectors.sandbox.ext import base
    from kosmmos.connectors.sandbox.server import Network
    from kosmmos.lib import http

    try:
        answer = http.request("PUT", f"{settings.SANDBOX_URL}/eng/_setup", json=setup,
                              timeout=httpx.Timeout(3.0, connect=0.5))
        if answer.status_code == 200:
            return
    except http.HttpError:
        pass
    net = Network(path=str(settings.VAR_DIR / "sandbox.sqlite3"), public_url=settings.SANDBOX_URL)
    state = base.state(net, "eng", engagement.empty)
    state["posts"].update(setup["posts"])
    base.touch(net, "eng")
    net.flush()
