"""Publishing pages: a target's attempts (and "needs check" resolution; the retry button posts
to the content app's one retry view), a post's publishing state for the calendar (HTMX partial or
JSON), stats charts, and a sandbox channel's posts."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import agency_required, current_user, membership_in
from kosmmos.accounts.models import STAFF_ROLES, Membership, Role
from kosmmos.channels.models import Channel, ChannelStatsSnapshot
from kosmmos.connectors.base import ConnectorError
from kosmmos.content.access import get_post_for_user, get_target_for_user
from kosmmos.content.models import IN_FLIGHT, Post, PostTarget, TargetStatus
from kosmmos.content.targets import mark_published_manually
from kosmmos.lib import charts
from kosmmos.lib.http import UnsafeUrl, check_public_url
from kosmmos.publishing.models import PostStatsSnapshot

METRICS = ("views", "reach", "likes", "comments", "reposts")


# --- Access ------------------------------------------------------------------------------------


def get_channel_for_user(request: HttpRequest, channel_id: uuid.UUID
                         ) -> tuple[Channel, Membership]:
    """A channel of a workspace the user sees, for the agency only."""
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise Http404
    membership = membership_in(request, channel.organisation_id)
    if not membership.visible_workspaces().filter(pk=channel.workspace_id).exists():
        raise Http404
    if membership.role == Role.CLIENT:
        raise PermissionDenied  # the page exists; not for this role
    return channel, membership


# --- A target: attempts, resolution ---------------------------------------------------------------


@agency_required
def target_detail(request: HttpRequest, target_id: uuid.UUID) -> HttpResponse:
    target, membership = get_target_for_user(request, target_id)
    return render(request, "publishing/target_detail.html", {
        "target": target, "post": target.post, "channel": target.channel,
        "attempts": target.attempt_rows.all()[:200],
        "can_edit": membership.role in STAFF_ROLES,
    })


@require_POST
@agency_required
def target_resolve(request: HttpRequest, target_id: uuid.UUID) -> HttpResponse:
    """A person checked the network and found the post there: published, at the address given.
    (Not there: the retry view publishes it again, content.views.target_retry.)"""
    target, _membership = get_target_for_user(request, target_id, write=True)
    url = request.POST.get("url", "").strip()
    try:
        check_public_url(url, resolve=False)
    except UnsafeUrl:
        messages.error(request, _("Enter the address of the post on the network."))
        return redirect("publishing:target_detail", target_id=target.pk)
    if mark_published_manually(target, url, user=current_user(request)):
        messages.success(request, _("Marked as published."))
    else:
        messages.info(request, _("This post no longer needs a check."))
    return redirect("publishing:target_detail", target_id=target.pk)


# --- A post's publishing state (calendar) ------------------------------------------------------


def state_of(post: Post) -> list[dict[str, Any]]:
    """The post's targets as the calendar shows them."""
    return [{
        "id": str(t.pk), "channel": t.channel.name, "network": t.channel.network,
        "status": t.status, "status_label": t.get_status_display(),
        "publish_at": t.publish_at.isoformat() if t.publish_at else None,
        "published_at": t.published_at.isoformat() if t.published_at else None,
        "url": t.url, "error": t.last_error, "attempts": t.attempts,
        "pending_action": t.pending_action,
    } for t in post.targets.select_related("channel").order_by("channel__name")]


@agency_required
def post_state(request: HttpRequest, post_id: uuid.UUID) -> HttpResponse:
    post, _membership = get_post_for_user(request, post_id, agency=True)
    targets = state_of(post)
    if request.GET.get("format") == "json":
        return JsonResponse({"post": str(post.pk), "status": post.status, "targets": targets})
    in_flight = any(t["status"] in IN_FLIGHT for t in targets)
    return render(request, "publishing/_post_state.html", {
        "post": post, "targets": targets, "poll": in_flight})


# --- Stats --------------------------------------------------------------------------------------


@agency_required
def post_stats(request: HttpRequest, post_id: uuid.UUID) -> HttpResponse:
    post, _membership = get_post_for_user(request, post_id, agency=True)
    blocks = []
    for target in post.targets.select_related("channel").filter(
            status__in=[TargetStatus.PUBLISHED, TargetStatus.DELETED]):
        rows = list(PostStatsSnapshot.objects.filter(
            organisation=target.organisation_id, target=target).order_by("taken_at"))
        series = [(str(_label(m)), [(r.taken_at, getattr(r, m)) for r in rows
                                    if getattr(r, m) is not None]) for m in METRICS]
        blocks.append({"target": target, "last": rows[-1] if rows else None,
                       "chart": charts.time_lines(series, target.channel.name)})
    return render(request, "publishing/post_stats.html", {"post": post, "blocks": blocks})


def _label(metric: str) -> str:
    return {"views": _("Views"), "reach": _("Reach"), "likes": _("Likes"),
            "comments": _("Comments"), "reposts": _("Reposts")}[metric]


def channel_stats_context(channel: Channel) -> dict[str, Any]:
    """What ``publishing/_channel_stats.html`` needs, for one channel (already access-checked)."""
    days = list(ChannelStatsSnapshot.objects.filter(
        organisation=channel.organisation_id, channel=channel).order_by("-day")[:90])[::-1]
    from datetime import datetime, time

    from django.utils import timezone

    points = [(timezone.make_aware(datetime.combine(d.day, time(12))), d.followers)
              for d in days]
    recent = (PostTarget.objects.filter(organisation=channel.organisation_id, channel=channel,
                                        status=TargetStatus.PUBLISHED,
                                        post__deleted_at__isnull=True)
              .select_related("post").order_by("-published_at")[:10])
    return {"channel": channel, "followers_chart": charts.time_lines(
        [(_("Followers"), points)], _("Followers"), fill=True), "days": days, "recent": recent}


@agency_required
def channel_stats(request: HttpRequest, channel_id: uuid.UUID) -> HttpResponse:
    channel, _membership = get_channel_for_user(request, channel_id)
    return render(request, "publishing/channel_stats.html", channel_stats_context(channel))


# --- The sandbox network's own view of a channel -----------------------------------------------


@agency_required
def sandbox_posts(request: HttpRequest, channel_id: uuid.UUID) -> HttpResponse:
    """What the sandbox network shows for the channel: did the post appear at its time?"""
    channel, _membership = get_channel_for_user(request, channel_id)
    if channel.network != "sandbox":
        raise Http404
    posts, error = [], ""
    try:
        posts = channel.connector().list_posts(limit=50)
    except ConnectorError as exc:
        error = exc.message
    ours = {t.key: t for t in PostTarget.objects.filter(
        organisation=channel.organisation_id, channel=channel).select_related("post")}
    for item in posts:
        target = ours.get(item.get("key", ""))
        item["target"] = target
        if target and target.publish_at and item.get("accepted_at"):
            item["late_s"] = (item["accepted_at"] - target.publish_at).total_seconds()
    return render(request, "publishing/sandbox_posts.html", {
        "channel": channel, "posts": posts, "error": error})
