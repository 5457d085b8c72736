"""The comparison page, following and unfollowing, the mention query and the organisation's
keys. Clients do not see these pages (404), analysts read, owners and managers change."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import (
    agency_required,
    current_membership,
    get_workspace_for_user,
    staff_required,
)
from kosmmos.accounts.models import Membership, Role, Workspace
from kosmmos.competitors import actions, stats
from kosmmos.competitors.collect import retry
from kosmmos.competitors.forms import FollowForm, KeysForm, QueryForm
from kosmmos.competitors.listening import networks
from kosmmos.competitors.models import Follow, MentionQuery, PublicKeys


def _workspace(request: HttpRequest, workspace_id: uuid.UUID, *,
               write: bool = False) -> tuple[Workspace, Membership]:
    workspace, membership = get_workspace_for_user(request, workspace_id, write=write)
    if membership.role == Role.CLIENT:
        raise Http404
    return workspace, membership


def get_follow_for_user(request: HttpRequest, follow_id: uuid.UUID) -> Follow:
    found = Follow.objects.select_related("community").filter(pk=follow_id).first()
    if found is None:
        raise Http404
    _workspace(request, found.workspace_id, write=True)
    return found


@agency_required
def compare(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = _workspace(request, workspace_id)
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 30
    days = days if days in stats.PERIODS else 30
    rows = stats.compare(workspace, days)
    for row in rows:
        row.chart = stats.heatmap(row, workspace.organisation.brand_color)
    return render(request, "competitors/compare.html", {
        "workspace": workspace, "rows": rows, "days": days, "periods": stats.PERIODS,
        "chart": stats.followers_chart(rows, days) if rows else "",
        "moves": stats.moves(workspace), "form": FollowForm(),
        "competitors": sum(1 for r in rows if not r.follow.own),
        "can_edit": membership.is_staff_role,
    })


@require_POST
@staff_required
def add(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, _membership = _workspace(request, workspace_id, write=True)
    form = FollowForm(request.POST)
    if form.is_valid():
        try:
            actions.follow(workspace, form.cleaned_data["address"],
                           form.cleaned_data["network"], own=request.POST.get("own") == "1",
                           user=request.user)  # type: ignore[arg-type]  # signed in: staff_required
        except actions.Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Added. Its posts appear after the first read, within "
                                        "a minute."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("competitors:compare", workspace.pk)


@require_POST
@staff_required
def remove(request: HttpRequest, follow_id: uuid.UUID) -> HttpResponse:
    found = get_follow_for_user(request, follow_id)
    workspace_id = found.workspace_id
    actions.unfollow(found)
    return redirect("competitors:compare", workspace_id)


@require_POST
@staff_required
def retry_read(request: HttpRequest, follow_id: uuid.UUID) -> HttpResponse:
    found = get_follow_for_user(request, follow_id)
    if not retry(found.community_id):
        messages.info(request, _("This community is not failed; it is read on schedule."))
    return redirect("competitors:compare", found.workspace_id)


@agency_required
def mentions(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = _workspace(request, workspace_id)
    query = MentionQuery.objects.filter(workspace=workspace).first()
    if request.method == "POST":
        if not membership.is_staff_role:
            raise PermissionDenied
        form = QueryForm(request.POST)
        if form.is_valid():
            actions.save_query(workspace, form.cleaned_data)
            messages.success(request, _("Saved. Mentions appear in the inbox's Mentions tab."))
            return redirect("competitors:mentions", workspace.pk)
    else:
        form = QueryForm(initial={"words": query.words, "exclusions": query.exclusions,
                                  "enabled": query.enabled} if query else None)
    keys = PublicKeys.objects.filter(organisation_id=workspace.organisation_id).first()
    return render(request, "competitors/mentions.html", {
        "workspace": workspace, "form": form, "query": query,
        "networks": networks(keys.read() if keys else {}), "can_edit": membership.is_staff_role,
    })


@staff_required
def keys(request: HttpRequest) -> HttpResponse:
    organisation = current_membership(request).organisation
    row = PublicKeys.objects.filter(organisation=organisation).first()
    if request.method == "POST":
        form = KeysForm(request.POST)
        if form.is_valid():
            row = actions.save_keys(organisation, form.cleaned_data)
            messages.success(request, _("Keys saved."))
            return redirect("competitors:keys")
    else:
        form = KeysForm()
    stored = set((row.read() if row else {}).keys())
    return render(request, "competitors/keys.html", {"form": form, "stored": stored})
