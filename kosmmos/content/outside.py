"""Posts published outside Kosmmos: typed in the network's own app (VK, Telegram) and announced
by the network's events. They are real posts of the channel, so they are kept like ours — a Post
marked ``outside``, published, with one published PostTarget carrying the network's id — and
appear in the content plan, the calendar and the channel's recent posts; the stats collection
reads them (``next_stats_at``) and the inbox ties their comments to them.

The inbox calls these writes inside its ingestion transaction (kosmmos/inbox/posts.py decides
which post an announcement belongs to).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from kosmmos.channels.models import Channel
from kosmmos.content import history
from kosmmos.content.models import (
    IN_FLIGHT,
    Post,
    PostEvent,
    PostStatus,
    PostTarget,
    PostVariant,
    TargetStatus,
)


def _plain(text: str) -> str:
    return " ".join(text.split())


def keep_outside_post(channel: Channel, *, external_id: str, text: str, url: str,
                      published_at: datetime | None) -> PostTarget:
    """A new post of ``channel`` made outside Kosmmos: a published post with its target."""
    now = timezone.now()
    when = published_at or now
    post = Post.objects.create(
        organisation_id=channel.organisation_id, workspace_id=channel.workspace_id, text=text,
        publish_at=when, status=PostStatus.PUBLISHED, outside=True)
    target = PostTarget.objects.create(
        organisation_id=channel.organisation_id, post=post, channel=channel,
        status=TargetStatus.PUBLISHED, publish_at=when, external_id=external_id[:100],
        url=url[:500], published_at=when, sent_text=text, next_stats_at=now)
    PostEvent.objects.create(post=post, kind=PostEvent.Kind.PUBLISHED,
                             message=history.PUBLISHED_OUTSIDE,
                             params={"channel": channel.name, "url": url[:500]})
    return target


def add_album_part(target: PostTarget, message_id: str, text: str) -> None:
    """Another message of an album kept as ``target``'s post: its id joins the target's ids
    (in message order, comma-separated, as the Telegram connector keeps an album it sent), and
    the caption, which comes on one of the messages, becomes the post's text."""
    ids = {i for i in target.external_id.split(",") if i} | {message_id}
    joined = ",".join(sorted(ids, key=lambda i: (len(i), i)))
    if len(joined) <= 100:
        target.external_id = joined
    fields = ["external_id"]
    if text and not target.sent_text:
        target.sent_text = text
        fields.append("sent_text")
        Post.objects.filter(pk=target.post_id, text="").update(text=text)
    target.save(update_fields=fields)


def note_network_edit(target: PostTarget, text: str) -> bool:
    """The network says the post now reads ``text`` (edited in the app). A post made outside
    Kosmmos takes the new text; ours keeps its text here (a person edits it in Kosmmos, which
    sends it) and records what the network shows. Returns whether anything changed."""
    if _plain(text) == _plain(target.sent_text):
        return False
    target.sent_text = text
    target.save(update_fields=["sent_text"])
    post = target.post
    if post.outside:
        post.text = text
        post.save(update_fields=["text", "updated_at"])
    PostEvent.objects.create(post=post, kind=PostEvent.Kind.EDITED,
                             message=history.EDITED_ON_NETWORK,
                             params={"channel": target.channel.name, "text": text[:2000]})
    return True


def in_flight_twin(channel: Channel, text: str) -> bool:
    """Whether a post of ours being sent to ``channel`` right now reads ``text``: its
    announcement can come before the publishing engine has stored the network's id, and must
    not become a second post."""
    said = _plain(text)
    if not said:
        return False
    flying = PostTarget.objects.filter(channel=channel, status__in=IN_FLIGHT)
    texts = list(flying.values_list("post__text", flat=True)) + list(
        PostVariant.objects.filter(post__targets__in=flying, network=channel.network)
        .values_list("text", flat=True))
    return any(_plain(t) and _plain(t) in said for t in texts)
