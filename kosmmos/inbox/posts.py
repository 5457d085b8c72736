"""The store step for the channel's own posts (``Incoming`` records of kind POST: VK
wall_post_new, Telegram channel_post / edited_channel_post).

- Our publication coming back (the match step found its target by the network's id, or one of
  ours being sent right now reads the same): nothing new, counted as ``own_post``.
- A post typed in the network's app: kept as a post published outside Kosmmos
  (kosmmos/content/outside.py). The parts of a Telegram album become one post.
- An edit: the post made outside takes the new text; ours records what the network shows.

Each record is kept in a savepoint: when another delivery of the same post wins the race to keep
it (the unique ``PostPart``), this one rolls back and is read again as that post's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from kosmmos.content.models import PostTarget
from kosmmos.content.outside import (
    add_album_part,
    in_flight_twin,
    keep_outside_post,
    note_network_edit,
)
from kosmmos.inbox.models import PostPart

if TYPE_CHECKING:
    from kosmmos.inbox.pipeline import Parsed, Run


def keep_posts(items: list[Parsed], run: Run) -> None:
    for item in items:
        for _try in range(2):
            try:
                with transaction.atomic():
                    _keep(item, run)
                break
            except IntegrityError:  # another delivery kept it first: now it is found
                continue


def _find(item: Parsed) -> tuple[PostTarget | None, bool]:
    """The target the record belongs to, and whether this very message is already part of
    it."""
    cid = item.channel.pk
    refs = [item.external_id] + ([f"album:{item.group_ref}"] if item.group_ref else [])
    parts = dict(PostPart.objects.filter(channel_id=cid, ref__in=refs)
                 .values_list("ref", "target_id"))
    if item.target_id is not None:  # matched by its id: ours, or kept before
        return PostTarget.objects.select_related("post", "channel").get(pk=item.target_id), True
    if item.external_id in parts:
        return PostTarget.objects.select_related("post", "channel").get(
            pk=parts[item.external_id]), True
    album = parts.get(f"album:{item.group_ref}")
    if album is not None:
        return PostTarget.objects.select_related("post", "channel").get(pk=album), False
    return None, False


def _keep(item: Parsed, run: Run) -> None:
    channel = item.channel
    target, same = _find(item)
    if item.action == "edit" and target is not None:
        if note_network_edit(target, item.text):
            run.updated += 1
        return
    if target is not None:
        if not target.post.outside:
            run.drop(channel, "store", "own_post", item.external_id)
        elif same:
            run.drop(channel, "store", "duplicate_item", item.external_id)
        else:
            add_album_part(target, item.external_id, item.text)
            _parts(channel.pk, target, [item.external_id])
            run.updated += 1
        return
    if in_flight_twin(channel, item.text):
        run.drop(channel, "store", "own_post", f"in flight {item.external_id}")
        return
    target = keep_outside_post(channel, external_id=item.external_id, text=item.text,
                               url=item.url, published_at=item.received_at)
    _parts(channel.pk, target, [item.external_id]
           + ([f"album:{item.group_ref}"] if item.group_ref else []))
    run.stored += 1


def _parts(channel_id: Any, target: PostTarget, refs: list[str]) -> None:
    PostPart.objects.bulk_create([PostPart(channel_id=channel_id, ref=ref[:120], target=target)
                                  for ref in refs])
