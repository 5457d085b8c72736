"""Who entered and who is out, and why: one pass over the network, the same at every
incremental read and at the final re-check before the freeze.

Everyone who liked, reposted or commented (whichever the conditions ask for) is a candidate.
Each candidate is then checked in a fixed order and the first failed check is the reason
stored: own account, blacklist, the required like / repost / comment (with its word or tagged
friend), membership of the community and of each partner's, then the suspicious-account rules
(registered in the last N days — only where the network tells —, no avatar, closed profile).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from kosmmos.giveaways.models import Excluded, Giveaway, Participant
from kosmmos.giveaways.network import Reader

TAG = re.compile(r"\[id\d+\|[^\]]+\]|@\w{2,}")


@dataclass
class Entry:
    uid: int
    name: str = ""
    reason: str = ""  # a key of models.REASONS
    args: dict[str, Any] = field(default_factory=dict)

    def out(self, reason: str, **args: Any) -> None:
        self.reason, self.args = reason, args


def reader_for(giveaway: Giveaway) -> Reader:
    return Reader(network=giveaway.network, token=giveaway.token())


def _check_comment(entry: Entry, texts: list[str], word: str, tag: bool) -> None:
    if word and not any(word.casefold() in t.casefold() for t in texts):
        entry.out("no_word", word=word)
    elif tag and not any(TAG.search(t) for t in texts):
        entry.out("no_tag")


def evaluate(giveaway: Giveaway, reader: Reader, now: datetime | None = None) -> list[Entry]:
    """Every candidate with the reason they are out ("" when they are in), in id order."""
    now = now or timezone.now()
    cond = giveaway.conditions
    owner, item = giveaway.owner_id, giveaway.item_id
    likers = reader.likers(owner, item) if cond.get("like") else set()
    reposters = reader.reposters(owner, item) if cond.get("repost") else set()
    comments = reader.comments(owner, item) if cond.get("comment") else {}
    entries = [Entry(uid) for uid in sorted(likers | reposters | set(comments))]
    kept = {e.user_id: (e.kind, e.note) for e in Excluded.objects.filter(
        workspace_id=giveaway.workspace_id, user_id__startswith=f"{giveaway.network}:")}
    word, tag = str(cond.get("word") or ""), bool(cond.get("tag_friend"))
    for entry in entries:
        key = f"{giveaway.network}:{entry.uid}"
        if key in kept:
            kind, note = kept[key]
            if kind == Excluded.Kind.OWN:
                entry.out("own")
            elif note:
                entry.out("blacklist_note", note=note)
            else:
                entry.out("blacklist")
        elif cond.get("like") and entry.uid not in likers:
            entry.out("no_like")
        elif cond.get("repost") and entry.uid not in reposters:
            entry.out("no_repost")
        elif cond.get("comment"):
            if entry.uid not in comments:
                entry.out("no_comment")
            else:
                _check_comment(entry, comments[entry.uid], word, tag)
    for group in giveaway.communities():
        waiting = [e.uid for e in entries if not e.reason]
        members = reader.members(group, waiting)
        for entry in entries:
            if not entry.reason and entry.uid not in members:
                entry.out("not_member", group=group)
    _suspicious(giveaway, reader, entries, now)
    return entries


def _suspicious(giveaway: Giveaway, reader: Reader, entries: list[Entry], now: datetime) -> None:
    rules = giveaway.rules
    waiting = [e.uid for e in entries if not e.reason]
    profiles = reader.profiles(waiting) if waiting else {}
    min_age = int(rules.get("min_age_days") or 0)
    for entry in entries:
        p = profiles.get(entry.uid)
        if entry.reason or p is None:
            continue
        entry.name = f"{p.get('first_name', '')} {p.get('last_name', '')}".strip()[:200]
        created = p.get("created")
        if min_age and isinstance(created, int | float) and (
                now.timestamp() - created) < min_age * 86400:
            entry.out("young", days=int((now.timestamp() - created) // 86400), min=min_age)
        elif rules.get("no_avatar") and p.get("has_photo") == 0:
            entry.out("no_avatar")
        elif rules.get("closed") and p.get("is_closed") is True:
            entry.out("closed")


def store(giveaway: Giveaway, entries: list[Entry]) -> int:
    """Replace the giveaway's participants with ``entries``; returns how many are in."""
    rows = [Participant(giveaway=giveaway, user_id=f"{giveaway.network}:{e.uid}", name=e.name,
                        eligible=not e.reason, reason=e.reason, reason_args=e.args)
            for e in entries]
    eligible = sum(1 for r in rows if r.eligible)
    with transaction.atomic():
        Participant.objects.filter(giveaway=giveaway).delete()
        Participant.objects.bulk_create(rows, batch_size=5000)
        Giveaway.objects.filter(pk=giveaway.pk).update(entries=eligible,
                                                       collected_at=timezone.now())
    giveaway.entries = eligible
    return eligible


def collect(giveaway: Giveaway) -> tuple[int, Reader, float]:
    """Read the network and store the result: (entries in, the reader, seconds)."""
    reader = reader_for(giveaway)
    clock = time.monotonic()
    entries = evaluate(giveaway, reader)
    return store(giveaway, entries), reader, time.monotonic() - clock
