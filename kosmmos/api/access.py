"""Tenant isolation and roles for API calls: the same rules as the pages' helpers
(``accounts.access``, ``content.access.get_post_for_user``, the inbox/channel/money helpers), applied
to the token's membership instead of the session's.

The pages' helpers take a request and look up the user's membership in the *object's*
organisation; a token is scoped to one organisation, so here every lookup starts from the
token's membership and an object of any other organisation — even one the same person belongs
to — is a 404.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from kosmmos.accounts.models import Role, Workspace
from kosmmos.api import errors
from kosmmos.api.security import Caller
from kosmmos.content import actions as content_actions
from kosmmos.content.models import Post


def workspace_for(call: Caller, workspace_id: uuid.UUID, *, agency: bool = False) -> Workspace:
    """A workspace the member sees (clients: only those given to them); ``agency`` hides it from
    clients altogether, as the channel and inbox pages do."""
    membership = call.membership
    if agency and membership.role == Role.CLIENT:
        raise errors.not_found()
    workspace = (membership.visible_workspaces().select_related("organisation")
                 .filter(pk=workspace_id).first())
    if workspace is None:
        raise errors.not_found()
    return workspace


def visible_posts(call: Caller, workspace: Workspace) -> QuerySet[Post]:
    """The live posts of the workspace the member may see; clients do not see unsent drafts."""
    posts = Post.objects.filter(workspace=workspace, deleted_at__isnull=True)
    if call.membership.role == Role.CLIENT:
        posts = content_actions.client_visible(posts)
    return posts


def post_for(call: Caller, post_id: uuid.UUID) -> Post:
    post = (Post.objects.select_related("workspace", "organisation", "rubric")
            .prefetch_related("variants", "post_media", "targets__channel")
            .filter(pk=post_id, organisation=call.membership.organisation, deleted_at__isnull=True)
            .first())
    if post is None:
        raise errors.not_found()
    workspace_for(call, post.workspace_id)
    if call.membership.role == Role.CLIENT and not content_actions.client_visible(
            Post.objects.filter(pk=post.pk)).exists():
        raise errors.not_found()
    return post
