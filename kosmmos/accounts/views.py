from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts import actions
from kosmmos.accounts.access import (
    current_membership,
    current_user,
    get_workspace_for_user,
    member_required,
    membership_in,
    require_role,
    staff_required,
)
from kosmmos.accounts.forms import (
    InvitationForm,
    InvitedSignUpForm,
    MemberRoleForm,
    OrganisationCreateForm,
    OrganisationSettingsForm,
    SignUpForm,
    WorkspaceForm,
)
from kosmmos.accounts.middleware import SESSION_KEY, SUPPORTED
from kosmmos.accounts.models import Invitation, Membership, Role, User
from kosmmos.audit.log import ACTIONS, csv_rows, diff, filter_events, record
from kosmmos.audit.models import Event
from kosmmos.lib.ids import short_code

# --- Sign-up, organisations, language ----------------------------------------------------------


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = actions.sign_up(
            name=form.cleaned_data["name"], email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            organisation=form.cleaned_data["organisation"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to Kosmmos! Your agency is ready."))
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def create_organisation(request: HttpRequest) -> HttpResponse:
    form = OrganisationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        org = actions.create_organisation(current_user(request), form.cleaned_data["organisation"])
        request.session[SESSION_KEY] = str(org.pk)
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/create_organisation.html", {"form": form})


@require_POST
@login_required
def switch_organisation(request: HttpRequest, org_id: uuid.UUID) -> HttpResponse:
    membership = membership_in(request, org_id)
    request.session[SESSION_KEY] = str(membership.organisation_id)
    return redirect(settings.LOGIN_REDIRECT_URL)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if language in SUPPORTED:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
        )
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
    return response


# --- Invitations and the team ------------------------------------------------------------------


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = get_object_or_404(
        Invitation.objects.select_related("organisation"), token=token
    )
    if not invitation.is_usable:
        return render(request, "accounts/invitation_invalid.html", status=410)
    user = request.user if request.user.is_authenticated else None
    if user is None and User.objects.filter(email__iexact=invitation.email).exists():
        messages.info(request, _("Sign in as %(email)s to accept the invitation.") % {
            "email": invitation.email})
        return redirect(f"/login/?next=/invite/{token}/")
    if user is not None and user.email.lower() != invitation.email.lower():
        # The link was mailed to one address: another account may not use it.
        return render(request, "accounts/invitation_invalid.html", {
            "wrong_account": True, "invitation": invitation,
        }, status=403)
    form = InvitedSignUpForm(request.POST or None) if user is None else None
    if request.method == "POST":
        if user is None and form is not None and form.is_valid():
            user = User.objects.create_user(
                email=invitation.email, password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["name"],
            )
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if user is not None:
            membership = actions.accept_invitation(invitation, user)
            request.session[SESSION_KEY] = str(membership.organisation_id)
            messages.success(request, _("You joined %(org)s.") % {"org": invitation.organisation})
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/invitation.html", {"invitation": invitation, "form": form})


@member_required
def team(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    if membership.role == Role.CLIENT:
        raise PermissionDenied  # the page exists; not for this role
    org = membership.organisation
    form = InvitationForm(request.POST or None, organisation=org)
    if request.method == "POST":
        require_role(membership, {Role.OWNER, Role.MANAGER})
        if form.is_valid():
            actions.invite(
                org, email=form.cleaned_data["email"], role=form.cleaned_data["role"],
                workspace=form.cleaned_data["workspace"], by=current_user(request),
            )
            messages.success(request, _("Invitation sent to %(email)s.") % {
                "email": form.cleaned_data["email"]})
            return redirect("accounts:team")
    members = org.memberships.select_related("user").prefetch_related("workspaces").order_by(
        "role", "user__email"
    )
    pending = org.invitations.filter(accepted_at__isnull=True).select_related("workspace")
    return render(request, "accounts/team.html", {
        "members": members, "invitations": pending, "form": form,
        "can_invite": membership.is_staff_role, "is_owner": membership.role == Role.OWNER,
        "roles": Role.choices,
    }, status=400 if form.errors else 200)


def _member_for_owner(request: HttpRequest, member_id: uuid.UUID) -> Membership:
    target = Membership.objects.select_related("organisation", "user").filter(pk=member_id).first()
    if target is None:
        raise Http404
    require_role(membership_in(request, target.organisation_id), {Role.OWNER})
    return target


@require_POST
@staff_required
def member_role(request: HttpRequest, member_id: uuid.UUID) -> HttpResponse:
    target = _member_for_owner(request, member_id)
    form = MemberRoleForm(request.POST)
    if form.is_valid() and actions.change_role(target, form.cleaned_data["role"]):
        messages.success(request, _("Role changed."))
    else:
        messages.error(request, _("The agency must keep at least one owner."))
    return redirect("accounts:team")


@require_POST
@staff_required
def member_remove(request: HttpRequest, member_id: uuid.UUID) -> HttpResponse:
    target = _member_for_owner(request, member_id)
    if actions.remove_member(target):
        messages.success(request, _("%(user)s no longer has access.") % {"user": target.user})
    else:
        messages.error(request, _("The agency must keep at least one owner."))
    return redirect("accounts:team")


@require_POST
@staff_required
def invitation_revoke(request: HttpRequest, invitation_id: uuid.UUID) -> HttpResponse:
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404
    require_role(membership_in(request, invitation.organisation_id), {Role.OWNER, Role.MANAGER})
    record(invitation.organisation_id, "invitation.revoked", target=invitation, changes={"email": invitation.email})
    invitation.delete()
    messages.success(request, _("Invitation revoked."))
    return redirect("accounts:team")


# --- Organisation settings ---------------------------------------------------------------------


@member_required
def organisation_settings(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    if membership.role == Role.CLIENT:
        raise PermissionDenied  # the page exists; not for this role
    org = membership.organisation
    form = OrganisationSettingsForm(request.POST or None, instance=org)
    if request.method == "POST":
        require_role(membership, {Role.OWNER})
        if form.is_valid():
            before = {name: form.initial.get(name) for name in form.changed_data}
            form.save()
            after = {name: getattr(org, name) for name in form.changed_data}
            record(org, "organisation.settings_changed", target=org, changes=diff(before, after))
            messages.success(request, _("Settings saved."))
            return redirect("accounts:settings")
    embed = (
        f'<iframe src="{org.brief_url()}?embed=1" width="100%" height="1600" '
        f'style="border:0" title="Brief"></iframe>'
    )
    return render(request, "accounts/settings.html", {
        "form": form, "org": org, "embed": embed, "is_owner": membership.role == Role.OWNER,
    }, status=400 if form.errors else 200)


@require_POST
@member_required
def rotate_brief_code(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    require_role(membership, {Role.OWNER})
    org = membership.organisation
    org.brief_code = short_code()
    org.save(update_fields=["brief_code"])
    record(org, "organisation.brief_address_rotated", target=org)
    messages.success(request, _("The brief form has a new address; update your embeds."))
    return redirect("accounts:settings")


# --- Audit log ---------------------------------------------------------------------------------

AUDIT_PAGE = 100


@member_required
def audit_log(request: HttpRequest) -> HttpResponseBase:
    """Settings → Audit log: owners read and filter the organisation's log, or download it."""
    membership = current_membership(request)
    require_role(membership, {Role.OWNER})
    org = membership.organisation
    events = filter_events(Event.objects.filter(organisation=org), request.GET)
    if request.GET.get("format") == "csv":
        record(org, "audit.exported", changes={k: v for k, v in request.GET.items() if v})
        response = StreamingHttpResponse(csv_rows(events.iterator()),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="kosmmos-audit.csv"'
        return response
    query = request.GET.copy()
    query.pop("format", None)
    return render(request, "accounts/audit_log.html", {
        "events": events[:AUDIT_PAGE], "actions": ACTIONS, "params": request.GET,
        "csv_query": query.urlencode(), "limit": AUDIT_PAGE,
    })


# --- Workspaces --------------------------------------------------------------------------------


@member_required
def workspace_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    workspaces = membership.visible_workspaces().order_by("name")
    return render(request, "accounts/workspace_list.html", {
        "workspaces": workspaces, "can_edit": membership.is_staff_role,
    })


@staff_required
def workspace_create(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = form.save(commit=False)
        workspace.organisation = membership.organisation
        workspace.save()
        messages.success(request, _("Workspace created."))
        return redirect("accounts:workspace_detail", workspace_id=workspace.pk)
    return render(request, "accounts/workspace_form.html", {"form": form},
                  status=400 if form.errors else 200)


@member_required
def workspace_detail(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_workspace_for_user(request, workspace_id)
    clients = workspace.client_memberships.select_related("user")
    lead = getattr(workspace, "lead", None) if membership.is_agency else None
    return render(request, "accounts/workspace_detail.html", {
        "workspace": workspace, "clients": clients, "lead": lead,
        "can_edit": membership.is_staff_role,
    })


@staff_required
def workspace_edit(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, _membership = get_workspace_for_user(request, workspace_id, write=True)
    form = WorkspaceForm(request.POST or None, instance=workspace)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Workspace saved."))
        return redirect("accounts:workspace_detail", workspace_id=workspace.pk)
    return render(request, "accounts/workspace_form.html", {"form": form, "workspace": workspace},
                  status=400 if form.errors else 200)
