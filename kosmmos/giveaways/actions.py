"""The writes of a giveaway: create it (its prizes become costs), freeze the list, draw,
draft the results post, hand a prize on to the next reserve winner."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kosmmos.accounts.models import User, Workspace
from kosmmos.channels.models import Channel
from kosmmos.content.actions import PostData, save_post
from kosmmos.content.models import Post
from kosmmos.giveaways import beacon, outreach
from kosmmos.giveaways.models import Giveaway, Participant, Prize, Role, Stage
from kosmmos.giveaways.verify import list_hash, pick
from kosmmos.lib import crypto
from kosmmos.lib.events import emit
from kosmmos.links.actions import add_cost
from kosmmos.links.models import CostCategory

# The round is announced for this long after the end: the final re-check and the freeze
# happen in between, so the hash is out before the randomness exists.
DRAW_DELAY = timedelta(minutes=10)


class Refused(Exception):
    pass


@dataclass
class GiveawayData:
    title: str
    network: str
    owner_id: str
    item_id: str
    starts_at: datetime
    ends_at: datetime
    group_id: str = ""
    token: str = ""
    conditions: dict[str, Any] = field(default_factory=dict)
    rules: dict[str, Any] = field(default_factory=dict)
    winners_count: int = 1
    reserves_count: int = 2
    answer_days: int = 3
    prizes: list[tuple[str, Decimal]] = field(default_factory=list)
    post: Post | None = None


def create_giveaway(workspace: Workspace, data: GiveawayData, *,
                    user: User | None = None) -> Giveaway:
    if data.ends_at <= data.starts_at:
        raise Refused(_("The giveaway must end after it starts."))
    if data.post is not None and data.post.workspace_id != workspace.pk:
        raise Refused(_("The post belongs to another workspace."))
    with transaction.atomic():
        giveaway = Giveaway.objects.create(
            organisation_id=workspace.organisation_id, workspace=workspace, post=data.post,
            title=data.title, network=data.network, owner_id=data.owner_id,
            item_id=data.item_id, group_id=data.group_id,
            token_encrypted=crypto.encrypt(data.token) if data.token else "",
            conditions=data.conditions, rules=data.rules, starts_at=data.starts_at,
            ends_at=data.ends_at, winners_count=data.winners_count,
            reserves_count=data.reserves_count, answer_days=data.answer_days,
            beacon_url=beacon.url_for(data.network),
            drand_round=beacon.round_at(data.ends_at + DRAW_DELAY),
            next_attempt_at=max(data.starts_at, timezone.now()), created_by=user)
        for name, cost in data.prizes:
            add_prize(giveaway, name, cost, user=user)
    return giveaway


def add_prize(giveaway: Giveaway, name: str, cost: Decimal, *, user: User | None = None) -> Prize:
    """A prize and, when it costs something, its line in the workspace's P&L costs."""
    entry = None
    if cost > 0:
        entry = add_cost(giveaway.workspace, month=timezone.localdate(giveaway.ends_at),
                         category=CostCategory.PRIZES, amount=cost,
                         network=giveaway.network if giveaway.network != "sandbox" else "",
                         note=f"{giveaway.title}: {name}", user=user)
    return Prize.objects.create(giveaway=giveaway, name=name, cost=cost, cost_entry=entry)


def freeze(giveaway: Giveaway, now: datetime | None = None) -> str:
    """Freeze the eligible list and hash it. If the announced round is already out (the final
    collection ran late), a new round is chosen, and the page says why."""
    now = now or timezone.now()
    ids = list(giveaway.participants.filter(eligible=True).values_list("user_id", flat=True))
    digest = list_hash(ids)
    updates: dict[str, Any] = {"stage": Stage.FROZEN, "list_sha256": digest,
                               "frozen_count": len(ids), "frozen_at": now}
    if giveaway.drand_round is None or beacon.time_of(giveaway.drand_round) <= now:
        new = beacon.round_at(now + timedelta(minutes=2))
        if giveaway.drand_round is not None:
            updates["round_note"] = _(
                "Round %(old)s was announced, but the list was frozen only after it was out; "
                "round %(new)s was chosen when the hash was published.") % {
                    "old": giveaway.drand_round, "new": new}
        updates["drand_round"] = new
    with transaction.atomic():
        giveaway.participants.update(in_list=False)
        giveaway.participants.filter(eligible=True).update(in_list=True)
        Giveaway.objects.filter(pk=giveaway.pk).update(**updates)
        for key, value in updates.items():
            setattr(giveaway, key, value)
        # The hash and the round as a comment under the post, before the round is out.
        outreach.announce_hash(giveaway)
    return digest


def public_url(giveaway: Giveaway) -> str:
    return giveaway.public_url()


def mention(network: str, participant: Participant) -> str:
    """A winner as each network's post text links a person: VK (and the sandbox, which copies
    VK) ``[id123|Name]``; elsewhere the name and id."""
    uid, name = participant.network_id, participant.name or participant.network_id
    if network in ("vk", "sandbox"):
        return f"[id{uid}|{name}]"
    return f"{name} (id {uid})"


def draw(giveaway: Giveaway, found: beacon.Round, *, now: datetime | None = None) -> list[str]:
    """Pick the winners from the frozen list with the round's randomness; draft the results
    post; raise the event. Returns the winners' ids."""
    now = now or timezone.now()
    ids = list(giveaway.participants.filter(in_list=True).values_list("user_id", flat=True))
    if list_hash(ids) != giveaway.list_sha256:
        raise Refused(_("The frozen list changed after its hash was published; no draw."))
    chosen = pick(ids, found.randomness, giveaway.winners_count + giveaway.reserves_count)
    with transaction.atomic():
        due = now + timedelta(days=giveaway.answer_days)
        for rank, uid in enumerate(chosen):
            won = rank < giveaway.winners_count
            giveaway.participants.filter(user_id=uid).update(
                role=Role.WINNER if won else Role.RESERVE, rank=rank,
                notified_at=now if won else None, answer_due=due if won else None)
        Giveaway.objects.filter(pk=giveaway.pk).update(
            stage=Stage.DRAWN, signature=found.signature, randomness=found.randomness,
            drawn_at=now)
        giveaway.stage, giveaway.signature, giveaway.randomness = (
            Stage.DRAWN, found.signature, found.randomness)
        giveaway.drawn_at = now
        post = draft_results(giveaway)
        for person in giveaway.participants.filter(role=Role.WINNER).order_by("rank"):
            outreach.tell_winner(person)
        emit("giveaway.ended", organisation=giveaway.organisation_id,
             workspace=giveaway.workspace_id,
             title=_("Giveaway «%(title)s» drawn: %(n)s winners") % {
                 "title": giveaway.title, "n": min(len(chosen), giveaway.winners_count)},
             url=reverse("giveaways:detail", args=[giveaway.pk]),
             dedupe_key=f"giveaway.ended:{giveaway.pk}",
             payload={"results_post": str(post.pk)})
    return chosen[:giveaway.winners_count]


def results_text(giveaway: Giveaway) -> str:
    winners = giveaway.participants.filter(role=Role.WINNER).order_by("rank")
    prizes = list(giveaway.prizes.values_list("name", flat=True))
    lines = [_("Results of the giveaway «%(title)s»!") % {"title": giveaway.title}, ""]
    for n, w in enumerate(winners):
        prize = f" — {prizes[n]}" if n < len(prizes) else ""
        lines.append(f"{n + 1}. {mention(giveaway.network, w)}{prize}")
    lines += ["", _("Winners, please write to us within %(days)s days.") % {
        "days": giveaway.answer_days},
        _("Check the draw: %(url)s (list SHA-256 %(hash)s…, drand round %(round)s).") % {
            "url": public_url(giveaway), "hash": giveaway.list_sha256[:16],
            "round": giveaway.drand_round}]
    return "\n".join(lines)


def draft_results(giveaway: Giveaway) -> Post:
    """The results post as a draft in the content plan, on the giveaway post's channels; it is
    approved and published like any other post. Redrafted (same post) after a reserve steps in."""
    channels = list(giveaway.post.targets.values_list("channel", flat=True)) if giveaway.post else []
    data = PostData(title=(_("Giveaway results: %(title)s") % {"title": giveaway.title})[:200],
                    text=results_text(giveaway),
                    channels=list(Channel.objects.filter(pk__in=channels)))
    existing = giveaway.results_post
    if existing is not None and existing.status not in ("draft", "in_review"):
        existing = None  # published or scheduled: a new draft, the old one stays as it went out
    post = save_post(giveaway.workspace, data, by=None, post=existing)
    if giveaway.results_post_id != post.pk:
        Giveaway.objects.filter(pk=giveaway.pk).update(results_post=post)
        giveaway.results_post = post
    return post


def promote_reserve(participant: Participant, *, overdue: bool = False) -> Participant | None:
    """A winner who did not answer: the next reserve winner takes the prize, is told (an
    Outreach row), the results draft is redrafted and the team gets an event. ``overdue``: the
    ticker found the answer deadline passed (else a person pressed the button). Returns the new
    winner (None: nothing changed, or no reserve left — the event says so)."""
    giveaway = participant.giveaway
    now = timezone.now()
    with transaction.atomic():
        if not Participant.objects.filter(pk=participant.pk, role=Role.WINNER,
                                          answered_at__isnull=True).update(role=Role.SKIPPED):
            return None
        nxt = giveaway.participants.filter(role=Role.RESERVE).order_by("rank").first()
        if nxt is not None:
            giveaway.participants.filter(pk=nxt.pk).update(
                role=Role.WINNER, notified_at=now,
                answer_due=now + timedelta(days=giveaway.answer_days))
            nxt.role = Role.WINNER
            outreach.tell_winner(nxt)
            draft_results(giveaway)
        who = participant.name or participant.user_id
        why = (_("%(who)s did not answer by the deadline") if overdue
               else _("%(who)s did not answer")) % {"who": who}
        title = (_("Giveaway «%(title)s»: %(why)s; %(next)s takes the prize") % {
            "title": giveaway.title, "why": why, "next": nxt.name or nxt.user_id}
                 if nxt is not None else
                 _("Giveaway «%(title)s»: %(why)s and no reserve winner is left") % {
                     "title": giveaway.title, "why": why})
        emit("giveaway.reserve_promoted", organisation=giveaway.organisation_id,
             workspace=giveaway.workspace_id, title=title[:300],
             url=reverse("giveaways:detail", args=[giveaway.pk]),
             dedupe_key=f"giveaway.reserve_promoted:{giveaway.pk}:{participant.pk}",
             payload={"skipped": participant.user_id,
                      "winner": nxt.user_id if nxt is not None else "",
                      "overdue": overdue})
    return nxt


def promote_overdue(now: datetime | None = None, limit: int = 100) -> int:
    """The ticker's part: every winner whose answer deadline passed without an answer hands the
    prize on. The database says who is due; ``promote_reserve``'s conditional update makes two
    tickers promote once between them. Returns how many overdue winners were handled."""
    now = now or timezone.now()
    due = list(Participant.objects.select_related("giveaway").filter(
        role=Role.WINNER, answered_at__isnull=True, answer_due__lte=now,
        giveaway__stage=Stage.DRAWN).order_by("answer_due")[:limit])
    for person in due:
        promote_reserve(person, overdue=True)
    return len(due)


def mark_answered(participant: Participant) -> None:
    Participant.objects.filter(pk=participant.pk, role=Role.WINNER).update(
        answered_at=timezone.now())


def draw_document(giveaway: Giveaway) -> dict[str, Any]:
    """What ``verify.py`` reads (served as draw.json on the public page)."""
    ids = sorted(giveaway.participants.filter(in_list=True).values_list("user_id", flat=True))
    picked = list(giveaway.participants.filter(rank__isnull=False).order_by("rank")
                  .values_list("user_id", flat=True))
    return {"giveaway": giveaway.title, "list": ids, "sha256": giveaway.list_sha256,
            "round": giveaway.drand_round, "beacon": giveaway.beacon_url,
            "signature": giveaway.signature, "randomness": giveaway.randomness,
            "winners_count": giveaway.winners_count,
            "reserves_count": giveaway.reserves_count,
            "winners": picked[:giveaway.winners_count],
            "reserves": picked[giveaway.winners_count:]}
