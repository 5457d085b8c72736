"""Access helpers: the one place where tenant isolation and roles are decided.

Every view that touches tenant data goes through one of these. An object of an organisation the
user is not a member of is a 404 (its existence is not revealed); a member whose role does not
allow the action gets a 403.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect

from kosmmos.accounts.models import STAFF_ROLES, Membership, Organisation, Role, User, Workspace


def membership_in(request: HttpRequest, organisation: Organisation | uuid.UUID | None) -> Membership:
    """The user's membership in the organisation, or 404 (for no organisation too)."""
    org_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    if org_id is None or not request.user.is_authenticated:
        raise Http404
    found = (
        Membership.objects.select_related("organisation", "user")
        .filter(user=request.user, organisation_id=org_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


def current_membership(request: HttpRequest) -> Membership:
    """The membership of the organisation the user is working in (set by the middleware)."""
    membership: Membership | None = getattr(request, "membership", None)
    if membership is None:
        raise Http404
    return membership


def current_user(request: HttpRequest) -> User:
    """The signed-in user, in a view behind ``login_required`` or one of the checks below."""
    user = request.user
    assert isinstance(user, User), "the view has no sign-in check"
    return user


def require_role(membership: Membership, roles: frozenset[str] | set[str]) -> None:
    if membership.role not in roles:
        raise PermissionDenied


def member_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed in and a member of some organisation; users with none are sent to create one."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request, "membership", None) is None:
            return redirect("accounts:create_organisation")
        return view(request, *args, **kwargs)

    return wrapped


def staff_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A member with a role that may change agency data (owner or manager)."""

    @member_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        require_role(current_membership(request), STAFF_ROLES)
        return view(request, *args, **kwargs)

    return wrapped


def agency_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Owners, managers and analysts. A client opening an agency page (the leads board, the
    inbox, the team) gets a 403 that says the page is not for their role: the page exists, and
    pretending otherwise only confused clients who had a link. Objects of another organisation
    or client stay 404 (``get_workspace_for_user``, ``membership_in``)."""

    @member_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if current_membership(request).role == Role.CLIENT:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def get_workspace_for_user(
    request: HttpRequest, workspace_id: uuid.UUID, *, write: bool = False
) -> tuple[Workspace, Membership]:
    workspace = Workspace.objects.select_related("organisation").filter(pk=workspace_id).first()
    if workspace is None:
        raise Http404
    membership = membership_in(request, workspace.organisation_id)
    if not membership.visible_workspaces().filter(pk=workspace.pk).exists():
        raise Http404
    if write:
        require_role(membership, STAFF_ROLES)
    return workspace, membership
