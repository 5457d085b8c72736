"""How a view reaches a post, a post's target or another workspace object (media, a rubric, a
template, an import, an approval link): the one place for their tenant isolation.

Another organisation's object (or a workspace a client was not given) is a 404; a role that may
not act is a 403.
"""

from __future__ import annotations

import uuid
from typing import Protocol, TypeVar, cast

from django.db import models
from django.http import Http404, HttpRequest

from kosmmos.accounts.access import membership_in, require_role
from kosmmos.accounts.models import STAFF_ROLES, Membership, Role
from kosmmos.content.actions import client_visible
from kosmmos.content.models import Post, PostTarget


def _membership(request: HttpRequest, organisation_id: uuid.UUID | None, workspace_id: uuid.UUID, *,
                write: bool, agency: bool) -> Membership:
    membership = membership_in(request, organisation_id)
    if agency and membership.role == Role.CLIENT:
        raise Http404
    if not membership.visible_workspaces().filter(pk=workspace_id).exists():
        raise Http404
    if write:
        require_role(membership, STAFF_ROLES)
    return membership


def get_post_for_user(request: HttpRequest, post_id: uuid.UUID, *, write: bool = False,
                      agency: bool = False) -> tuple[Post, Membership]:
    """A live post in a workspace the user sees; clients see no unsent drafts, and with
    ``agency`` no post at all."""
    post = (Post.objects.select_related("workspace", "organisation", "rubric")
            .filter(pk=post_id, deleted_at__isnull=True).first())
    if post is None:
        raise Http404
    membership = _membership(request, post.organisation_id, post.workspace_id, write=write,
                             agency=agency)
    if membership.role == Role.CLIENT and not client_visible(
            Post.objects.filter(pk=post.pk)).exists():
        raise Http404
    return post, membership


def get_target_for_user(request: HttpRequest, target_id: uuid.UUID, *, write: bool = False
                        ) -> tuple[PostTarget, Membership]:
    """A target of a post in a workspace the user sees, for the agency only (a deleted post's
    targets too: their deletion from the networks is followed there)."""
    target = (PostTarget.objects.select_related("post", "channel", "post__workspace")
              .filter(pk=target_id).first())
    if target is None:
        raise Http404
    return target, _membership(request, target.organisation_id, target.post.workspace_id,
                               write=write, agency=True)


class _Owned(Protocol):
    organisation_id: uuid.UUID
    workspace_id: uuid.UUID


M = TypeVar("M", bound=models.Model)


def get_owned(request: HttpRequest, model: type[M], pk: uuid.UUID, *, write: bool = False,
              agency: bool = True) -> tuple[M, Membership]:
    """A workspace object (media, rubric, template, import, link) of the user's visible
    workspaces; ``agency`` hides it from clients altogether."""
    obj = model._default_manager.filter(pk=pk).first()
    if obj is None:
        raise Http404
    owned = cast(_Owned, obj)  # every model given here belongs to a workspace of an organisation
    return obj, _membership(request, owned.organisation_id, owned.workspace_id, write=write, agency=agency)
