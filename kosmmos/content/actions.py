"""Writes of the content plan: saving, review, approval, scheduling, comments, deleting.

Each function is atomic and leaves a ``PostEvent`` row; emails are Delivery rows (sent after the
commit). Scheduling moves the post's targets (targets.py); the publishing engine takes them
from there and keeps the post's status rolled up.

Status flow (``PostStatus``)::

    draft ──send_for_review──> in_review ──approve──> approved ──schedule──> scheduled
      ^                           │                      │ ^                    │ engine
      └──────request_changes──────┘        content edit ─┘ └─────unschedule─────┤
                                                                 published / failed
"""

from __future__ import annotations

import difflib
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kosmmos.accounts.models import Membership, Role, User, Workspace
from kosmmos.audit.log import record as audit
from kosmmos.channels.models import Channel
from kosmmos.content import history, signals, targets
from kosmmos.content.labels import normalize_hashtags
from kosmmos.content.models import (
    ApprovalLink,
    MediaItem,
    Post,
    PostComment,
    PostEvent,
    PostMedia,
    PostStatus,
    PostTarget,
    PostTemplate,
    PostVariant,
    Rubric,
    TargetStatus,
)
from kosmmos.content.validation import Draft, blocking, check_schedulable
from kosmmos.mail.delivery import queue_email

Kind = PostEvent.Kind


class ContentError(Exception):
    """An action that does not apply to the post in its current state; the message is for people."""


def record(post: Post, kind: str, *, by: User | None = None, author_name: str = "",
           text: str = "", message: str = "", params: dict[str, Any] | None = None) -> PostEvent:
    """A history entry: ``text`` is what a person typed; our own words go as a ``message`` key
    with ``params``, put into the viewer's language when shown (content/history.py)."""
    return PostEvent.objects.create(post=post, kind=kind, author=by, author_name=author_name[:200],
                                    text=text, message=message, params=params or {})


def local(post: Post | Workspace, when: datetime | None) -> str:
    """A moment in the agency's time zone, e.g. "12 May 2027, 10:00"."""
    if when is None:
        return "—"
    zone = zoneinfo.ZoneInfo(post.organisation.timezone)
    return str(formats.date_format(when.astimezone(zone), "j E Y, H:i"))


# --- Saving -------------------------------------------------------------------------------------


@dataclass
class PostData:
    """A post as the editor (or an import row, or a template) describes it."""

    title: str = ""
    text: str = ""
    variants: dict[str, str] = field(default_factory=dict)
    hashtags: str = ""
    rubric: Rubric | None = None
    publish_at: datetime | None = None
    is_ad: bool = False
    advertiser: str = ""
    erid: str = ""
    channels: list[Channel] = field(default_factory=list)
    media: list[MediaItem] = field(default_factory=list)  # in order


def _snapshot(post: Post) -> dict[str, Any]:
    return {
        "title": post.title, "text": post.text, "hashtags": post.hashtags,
        "rubric": post.rubric.name if post.rubric else "",
        "publish_at": history.moment(post.publish_at) or "",
        "is_ad": post.is_ad, "advertiser": post.advertiser, "erid": post.erid,
        "variants": {v.network: v.text for v in post.variants.all()},
        "channels": sorted(str(t.channel) for t in post.targets.select_related("channel")),
        "media": [pm.media.name or str(pm.media_id) for pm in post.post_media.select_related("media")],
    }


def _words(old: str, new: str) -> str:
    """A short word diff: −«removed» +«added», at most three changes."""
    a, b = old.split(), new.split()
    parts: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if i2 > i1:
            parts.append("−«" + _clip(" ".join(a[i1:i2])) + "»")
        if j2 > j1:
            parts.append("+«" + _clip(" ".join(b[j1:j2])) + "»")
    if len(parts) > 6:
        parts = [*parts[:6], "…"]
    return " ".join(parts)  # empty: only whitespace changed (history says so)


def _clip(text: str, size: int = 60) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def describe_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """One item per changed field, for the history: data only, the words are put in when the
    entry is shown (``history.render``)."""
    lines: list[dict[str, Any]] = []
    for key in history.FIELDS:
        old, new = before[key], after[key]
        if old == new:
            continue
        if key == "text":
            lines.append({"field": key, "diff": _words(old, new)})
        elif key in {"channels", "media"}:
            added = [x for x in new if x not in old]
            removed = [x for x in old if x not in new]
            lines.append({"field": key, "bits": [f"+{x}" for x in added] + [f"−{x}" for x in removed]})
        elif key == "is_ad":
            lines.append({"field": key, "flag": bool(new)})
        elif key == "publish_at":
            lines.append({"field": key, "old": old, "new": new})
        else:
            lines.append({"field": key, "old": _clip(str(old)), "new": _clip(str(new))})
    old_v, new_v = before["variants"], after["variants"]
    for network in sorted(set(old_v) | set(new_v)):
        if old_v.get(network, "") != new_v.get(network, ""):
            lines.append({"field": "variant", "network": network,
                          "diff": _words(old_v.get(network, ""), new_v.get(network, ""))})
    return lines


def network_label(network: str) -> str:
    from kosmmos.content.validation import network_name

    return network_name(network)


def _ad_changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """What an ORD keeps of an ad: its text, media and advertiser (and the erid typed)."""
    keys = ("text", "is_ad", "advertiser", "erid", "variants", "media")
    return any(before[k] != after[k] for k in keys)


def _content_changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    keys = ("title", "text", "hashtags", "is_ad", "advertiser", "erid", "variants", "media")
    return any(before[k] != after[k] for k in keys)


@transaction.atomic
def save_post(workspace: Workspace, data: PostData, *, by: User | None,
              post: Post | None = None, note: str = "") -> Post:
    """Create or update a post with its variants, media and draft targets; history records it.

    A published post keeps its channels and time; its new text goes to the networks
    (``propagate_edit``). A scheduled post whose time moves is rescheduled. An approved post
    whose content changes goes back to draft: the client approved the old text.
    """
    creating = post is None
    if post is None:
        post = Post(organisation=workspace.organisation, workspace=workspace, author=by)
        before: dict[str, Any] | None = None
    else:
        post = Post.objects.select_for_update().get(pk=post.pk)
        if post.deleted_at is not None:
            raise ContentError(_("This post was deleted."))
        before = _snapshot(post)
    published = post.status == PostStatus.PUBLISHED or (
        not creating and post.targets.filter(status__in=targets.LIVE).exists())
    moved = not creating and post.publish_at != data.publish_at
    if published and moved:
        raise ContentError(_("A published post keeps its publication time."))
    if moved and post.status == PostStatus.SCHEDULED and (
            data.publish_at is None or data.publish_at <= timezone.now()):
        raise ContentError(_("The publication time has passed; choose a time in the future."))

    post.title, post.text = data.title.strip(), data.text
    post.hashtags = normalize_hashtags(data.hashtags)
    post.rubric = data.rubric
    post.publish_at = data.publish_at
    post.is_ad = data.is_ad
    post.advertiser, post.erid = data.advertiser.strip(), data.erid.strip()
    post.save()

    for network, text in data.variants.items():
        if text.strip():
            PostVariant.objects.update_or_create(post=post, network=network, defaults={"text": text})
        else:
            PostVariant.objects.filter(post=post, network=network).delete()
    PostMedia.objects.filter(post=post).delete()
    PostMedia.objects.bulk_create(
        [PostMedia(post=post, media=m, position=i) for i, m in enumerate(data.media)])
    if post.status in {PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.APPROVED}:
        _set_channels(post, data.channels)

    if before is None:  # created
        record(post, Kind.CREATED, by=by, text=note)
        return post
    after = _snapshot(post)
    lines = describe_changes(before, after)
    if not lines:
        return post
    if post.is_ad and _ad_changed(before, after):
        signals.ad_changed.send(sender=Post, post=post, erid_before=before["erid"])
    if post.status == PostStatus.APPROVED and _content_changed(before, after):
        post.status = PostStatus.DRAFT
        post.save(update_fields=["status", "updated_at"])
        lines.append({"withdrawn": True})
    record(post, Kind.EDITED, by=by, message=history.EDITED, params={"lines": lines})
    if moved and post.status == PostStatus.SCHEDULED:
        targets.unschedule_post(post)
        targets.schedule_post(post)
        record(post, Kind.RESCHEDULED, by=by, message=history.RESCHEDULED,
               params={"from": before["publish_at"] or None, "to": after["publish_at"] or None})
    if published and _content_changed(before, after):
        targets.propagate_edit(post)
    return post


def _set_channels(post: Post, channels: list[Channel]) -> None:
    """Draft targets for the chosen channels; unchosen ones go unless they reached a network."""
    wanted = {c.pk for c in channels}
    post.targets.exclude(channel_id__in=wanted).filter(
        status__in=[TargetStatus.DRAFT, TargetStatus.CANCELLED]).delete()
    have = set(post.targets.values_list("channel_id", flat=True))
    PostTarget.objects.bulk_create([
        PostTarget(organisation=post.organisation, post=post, channel=c, status=TargetStatus.DRAFT,
                   publish_at=post.publish_at)
        for c in channels if c.pk not in have
    ])
    post.targets.filter(status=TargetStatus.DRAFT).update(publish_at=post.publish_at)


# --- Review and approval ------------------------------------------------------------------------


def _client_emails(workspace: Workspace) -> list[tuple[str, str]]:
    """(email, language) of the client members who were given this workspace."""
    members = Membership.objects.filter(
        organisation=workspace.organisation, role=Role.CLIENT, workspaces=workspace,
        user__is_active=True,
    ).select_related("user")
    return sorted({(m.user.email, m.user.language) for m in members})


def _agency_emails(post: Post) -> list[tuple[str, str]]:
    """Whoever sent the post for review (else its author), else the agency's lead recipients."""
    sender = post.events.filter(kind=Kind.SENT_FOR_REVIEW, author__isnull=False).select_related(
        "author").first()
    person = sender.author if sender else post.author
    if person is not None and person.is_active:
        return [(person.email, person.language)]
    return [(email, settings.LANGUAGE_CODE) for email in post.organisation.lead_recipients()]


def _email(post: Post, recipients: list[tuple[str, str]], kind: str, template: str,
           subject: str, context: dict[str, Any]) -> None:
    """One email per recipient, in the recipient's language; ``subject`` is a msgid (noop-marked)."""
    for email, language in recipients:
        with translation.override(language or settings.LANGUAGE_CODE):
            body = render_to_string(template, {"post": post, "site": settings.SITE_URL, **context})
            queue_email(organisation=post.organisation, kind=kind, to=[email],
                        subject=_(subject) % {"workspace": post.workspace.name, "post": post.label},
                        body=body)


@transaction.atomic
def send_for_review(post: Post, *, by: User) -> Post:
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.status != PostStatus.DRAFT:
        raise ContentError(_("Only a draft can be sent for review."))
    if post.is_ad and not post.advertiser.strip():
        # A post saved before the editor required it (the form's rule for ad posts); the erid
        # may still come from the ORD at approval, and scheduling asks for it.
        raise ContentError(_("An advertising post must name the advertiser."))
    post.status, post.changes_requested = PostStatus.IN_REVIEW, False
    post.save(update_fields=["status", "changes_requested", "updated_at"])
    record(post, Kind.SENT_FOR_REVIEW, by=by)
    _email(post, _client_emails(post.workspace), "content_review", "content/email/review.txt",
           gettext_noop("For your approval: %(post)s (%(workspace)s)"),
           {"url": f"{settings.SITE_URL}/content/posts/{post.pk}/"})
    return post


@transaction.atomic
def approve_post(post: Post, *, by: User | None = None, author_name: str = "",
                 comment: str = "") -> Post:
    """The client (or, for a draft, the agency itself) approves the post."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    internal = by is not None and _is_agency(post, by)
    allowed = {PostStatus.IN_REVIEW, PostStatus.DRAFT} if internal else {PostStatus.IN_REVIEW}
    if post.status not in allowed:
        raise ContentError(_("This post is not waiting for approval."))
    post.status, post.changes_requested = PostStatus.APPROVED, False
    post.save(update_fields=["status", "changes_requested", "updated_at"])
    if comment.strip():
        PostComment.objects.create(post=post, author=by, author_name=author_name[:200],
                                   text=comment.strip())
    record(post, Kind.APPROVED, by=by, author_name=author_name, text=comment.strip())
    signals.approved.send(sender=Post, post=post)
    audit(post.organisation_id, "post.approved", target=post, actor=by, changes={"by": author_name})
    if not internal:
        _email(post, _agency_emails(post), "content_decision", "content/email/decision.txt",
               gettext_noop("Approved: %(post)s (%(workspace)s)"),
               {"approved": True, "who": _who(by, author_name), "comment": comment.strip(),
                "url": f"{settings.SITE_URL}/content/posts/{post.pk}/"})
    return post


@transaction.atomic
def request_changes(post: Post, *, comment: str, by: User | None = None,
                    author_name: str = "") -> Post:
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.status != PostStatus.IN_REVIEW:
        raise ContentError(_("This post is not waiting for approval."))
    if not comment.strip():
        raise ContentError(_("Say what should change."))
    post.status, post.changes_requested = PostStatus.DRAFT, True
    post.save(update_fields=["status", "changes_requested", "updated_at"])
    PostComment.objects.create(post=post, author=by, author_name=author_name[:200], text=comment.strip())
    record(post, Kind.CHANGES_REQUESTED, by=by, author_name=author_name, text=comment.strip())
    audit(post.organisation_id, "post.rejected", target=post, actor=by, changes={"by": author_name})
    _email(post, _agency_emails(post), "content_decision", "content/email/decision.txt",
           gettext_noop("Changes requested: %(post)s (%(workspace)s)"),
           {"approved": False, "who": _who(by, author_name), "comment": comment.strip(),
            "url": f"{settings.SITE_URL}/content/posts/{post.pk}/"})
    return post


def _is_agency(post: Post, user: User) -> bool:
    return Membership.objects.filter(
        organisation=post.organisation, user=user, role__in=[Role.OWNER, Role.MANAGER, Role.ANALYST]
    ).exists()


def _who(by: User | None, author_name: str) -> str:
    if by is not None:
        return by.get_full_name() or by.email
    return author_name or _("the client")


@transaction.atomic
def add_comment(post: Post, text: str, *, by: User | None = None, author_name: str = "") -> PostComment:
    if not text.strip():
        raise ContentError(_("The comment is empty."))
    comment = PostComment.objects.create(post=post, author=by, author_name=author_name[:200],
                                         text=text.strip())
    record(post, Kind.COMMENT, by=by, author_name=author_name, text=text.strip())
    return comment


# --- Scheduling ---------------------------------------------------------------------------------


@transaction.atomic
def schedule(post: Post, *, by: User) -> int:
    """approved → scheduled, once the post passes every network's checks; returns targets."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.status != PostStatus.APPROVED:
        raise ContentError(_("Only an approved post can be scheduled."))
    problems = blocking(check_schedulable(Draft.from_post(post)))
    if problems:
        raise ContentError(" ".join(p.message for p in problems))
    count = int(targets.schedule_post(post))
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["status", "updated_at"])
    channels = ", ".join(str(t.channel) for t in post.targets.select_related("channel"))
    record(post, Kind.SCHEDULED, by=by, message=history.SCHEDULED,
           params={"at": history.moment(post.publish_at), "channels": channels})
    return count


@transaction.atomic
def unschedule(post: Post, *, by: User) -> int:
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.status != PostStatus.SCHEDULED:
        raise ContentError(_("This post is not scheduled."))
    count = int(targets.unschedule_post(post))
    if post.targets.filter(status__in=targets.LIVE).exists():
        raise ContentError(_("The post is already being published; it cannot be unscheduled."))
    post.status = PostStatus.APPROVED
    post.save(update_fields=["status", "updated_at"])
    record(post, Kind.UNSCHEDULED, by=by)
    return count


@transaction.atomic
def reschedule(post: Post, when: datetime, *, by: User) -> Post:
    """Move a post to another moment (drag and drop on the calendar, or the date field)."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.deleted_at is not None:
        raise ContentError(_("This post was deleted."))
    if post.status == PostStatus.PUBLISHED or post.targets.filter(status__in=targets.LIVE).exists():
        raise ContentError(_("A published post keeps its publication time."))
    if post.status in {PostStatus.SCHEDULED, PostStatus.FAILED} and when <= timezone.now():
        raise ContentError(_("The publication time has passed; choose a time in the future."))
    if post.publish_at == when:
        return post
    old = history.moment(post.publish_at)
    scheduled = post.status == PostStatus.SCHEDULED
    if scheduled:
        targets.unschedule_post(post)
    post.publish_at = when
    post.save(update_fields=["publish_at", "updated_at"])
    post.targets.filter(status=TargetStatus.DRAFT).update(publish_at=when)
    if scheduled:
        targets.schedule_post(post)
    record(post, Kind.RESCHEDULED, by=by, message=history.RESCHEDULED,
           params={"from": old, "to": history.moment(when)})
    return post


@transaction.atomic
def retry(target: PostTarget, *, by: User, confirmed_absent: bool = False) -> bool:
    """The calendar's retry button for a failed (or needs-check) target."""
    if target.status not in targets.TROUBLE:
        raise ContentError(_("Only a failed publication can be retried."))
    ok = bool(targets.retry_target(target, confirmed_absent=confirmed_absent, user=by))
    if not ok:
        raise ContentError(_("The publication could not be retried; reload the page."))
    record(target.post, Kind.RETRIED, by=by, text=str(target.channel))
    return ok


# --- Deleting -----------------------------------------------------------------------------------


@transaction.atomic
def delete_post(post: Post, *, by: User) -> bool:
    """Delete a post; one that reached a network is deleted there too and kept, hidden, for its
    history. Returns True when the networks were asked to delete it."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    audit(post.organisation_id, "post.deleted", target=post, actor=by, changes={"title": post.title})
    if post.targets.filter(status__in=targets.LIVE).exists():
        targets.propagate_delete(post)
        post.deleted_at = timezone.now()
        post.save(update_fields=["deleted_at", "updated_at"])
        record(post, Kind.DELETED, by=by)
        return True
    if post.status == PostStatus.SCHEDULED or post.targets.filter(
            status__in=[TargetStatus.SCHEDULED, TargetStatus.QUEUED]).exists():
        targets.unschedule_post(post)
    post.delete()
    return False


@transaction.atomic
def delete_media(item: MediaItem, *, by: User) -> None:
    """Delete a library file: the row now, the stored file once the deletion is committed."""
    audit(item.organisation_id, "media.deleted", target=item, actor=by,
          changes={"file": item.name or item.file.name, "workspace": str(item.workspace_id)})
    item.delete()
    transaction.on_commit(lambda: item.file.delete(save=False))


# --- Templates ----------------------------------------------------------------------------------


@transaction.atomic
def save_as_template(post: Post, name: str, *, by: User) -> PostTemplate:
    return PostTemplate.objects.create(
        organisation=post.organisation, workspace=post.workspace, name=name.strip()[:200] or post.label,
        title=post.title, text=post.text, hashtags=post.hashtags, rubric=post.rubric,
        variants={v.network: v.text for v in post.variants.all()},
        is_ad=post.is_ad, advertiser=post.advertiser, created_by=by,
    )


def create_from_template(template: PostTemplate, *, by: User) -> Post:
    data = PostData(title=template.title, text=template.text, variants=dict(template.variants),
                    hashtags=template.hashtags, rubric=template.rubric, is_ad=template.is_ad,
                    advertiser=template.advertiser)
    return save_post(template.workspace, data, by=by,
                     note=_("From the template «%(name)s»") % {"name": template.name})


# --- Approval links -----------------------------------------------------------------------------


@transaction.atomic
def create_approval_link(workspace: Workspace, *, date_from: Any, date_to: Any, email: str,
                         by: User) -> ApprovalLink:
    link = ApprovalLink.objects.create(organisation=workspace.organisation, workspace=workspace,
                                       date_from=date_from, date_to=date_to, email=email, created_by=by)
    if email:
        with translation.override(settings.LANGUAGE_CODE):
            body = render_to_string("content/email/approval_link.txt", {
                "link": link, "workspace": workspace, "org": workspace.organisation,
                "by": by.get_full_name() or by.email,
                "count": link_posts(link).filter(status=PostStatus.IN_REVIEW).count(),
            })
            subject = _("Content plan for approval: %(workspace)s") % {"workspace": workspace.name}
        queue_email(organisation=workspace.organisation, kind="content_approval_link", to=[email],
                    subject=subject, body=body, reply_to=[by.email])
    return link


def link_posts(link: ApprovalLink) -> Any:
    """The posts an approval link shows: the workspace's plan in its period, drafts excluded."""
    zone = zoneinfo.ZoneInfo(link.organisation.timezone)
    start = datetime.combine(link.date_from, datetime.min.time(), zone)
    end = datetime.combine(link.date_to, datetime.max.time(), zone)
    return client_visible(Post.objects.filter(
        workspace=link.workspace, deleted_at__isnull=True, publish_at__gte=start, publish_at__lte=end,
    ))


def client_visible(posts: Any) -> Any:
    """What a client sees of a plan: everything but the agency's unsent drafts."""
    return posts.exclude(Q(status=PostStatus.DRAFT) & Q(changes_requested=False))
