"""Cross-marketing: an exchange of posts with a partner, approved by the partner's link, and
its results side by side (reach and views from the posts' stats, clicks from tracked links)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kosmmos.accounts.models import User, Workspace
from kosmmos.content.actions import PostData, save_post
from kosmmos.content.models import Post
from kosmmos.giveaways.models import Exchange, Partner
from kosmmos.links.models import TrackedLink
from kosmmos.links.stats import Period, links_table
from kosmmos.publishing.models import PostStatsSnapshot


class Refused(Exception):
    pass


def propose(workspace: Workspace, partner: Partner, our_post: Post, their_text: str, *,
            user: User | None = None) -> Exchange:
    if partner.workspace_id != workspace.pk or our_post.workspace_id != workspace.pk:
        raise Refused(_("The partner and the post must belong to this workspace."))
    with transaction.atomic():
        their_post = None
        other = partner.partner_workspace
        if other is not None and other.organisation_id == workspace.organisation_id:
            their_post = save_post(other, PostData(
                title=(_("Post exchange with %(name)s") % {"name": workspace.name})[:200],
                text=their_text), by=user)
        return Exchange.objects.create(
            organisation_id=workspace.organisation_id, workspace=workspace, partner=partner,
            our_post=our_post, their_text=their_text, their_post=their_post)


def decide(exchange: Exchange, *, approve: bool, comment: str) -> bool:
    """The partner's answer through the link; False when it was already decided."""
    return bool(Exchange.objects.filter(pk=exchange.pk, status=Exchange.Status.PROPOSED).update(
        status=Exchange.Status.APPROVED if approve else Exchange.Status.CHANGES,
        partner_comment=comment[:2000], decided_at=timezone.now()))


@dataclass
class Side:
    label: str
    post: Post | None
    reach: int | None
    views: int | None
    clicks: int | None


def _side(label: str, post: Post | None) -> Side:
    if post is None:
        return Side(label, None, None, None, None)
    latest = PostStatsSnapshot.objects.filter(target__post=post).values("target").annotate(
        reach=Max("reach"), views=Max("views"))
    reach = sum(r["reach"] or 0 for r in latest) if latest else None
    views = sum(r["views"] or 0 for r in latest) if latest else None
    links = list(TrackedLink.objects.filter(workspace=post.workspace, post_ref=str(post.pk)))
    clicks = None
    if links:
        period = Period.from_query({}, post.workspace.organisation.timezone)  # six months
        clicks = sum(r.clicks for r in links_table(post.workspace, period, links))
    return Side(label, post, reach, views, clicks)


def results(exchange: Exchange) -> list[Side]:
    """Ours and theirs, side by side (theirs only when it is in one of our plans)."""
    return [_side(_("Our post about %(name)s") % {"name": exchange.partner.name},
                  exchange.our_post),
            _side(_("%(name)s's post about us") % {"name": exchange.partner.name},
                  exchange.their_post)]
