"""Channels of a workspace: connect, health, check now, enable/disable, delete; alerts.

Agency pages: owners, managers and analysts read; owners and managers change. Clients do not see
channels (404), like other agency-only pages. Tokens are never rendered back.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import (
    agency_required,
    current_membership,
    get_workspace_for_user,
    staff_required,
)
from kosmmos.accounts.models import Membership, Role, Workspace
from kosmmos.channels import actions
from kosmmos.channels.forms import FORMS, ChannelForm
from kosmmos.channels.models import Channel, ChannelAlert, ChannelStatus, Network
from kosmmos.connectors.base import ChannelInfo, ConnectorError


def get_channel_for_user(
    request: HttpRequest, channel_id: uuid.UUID, *, write: bool = False
) -> tuple[Channel, Membership]:
    """A channel of a workspace the user may see, for agency roles only; 403 to analysts when
    ``write``."""
    channel = Channel.objects.select_related("workspace").filter(pk=channel_id).first()
    if channel is None:
        raise Http404
    _workspace, membership = get_workspace_for_user(request, channel.workspace_id, write=write)
    if membership.role == Role.CLIENT:
        raise PermissionDenied  # the page exists; not for this role
    return channel, membership


def _agency_workspace(request: HttpRequest, workspace_id: uuid.UUID,
                      *, write: bool = False) -> tuple[Workspace, Membership]:
    workspace, membership = get_workspace_for_user(request, workspace_id, write=write)
    if membership.role == Role.CLIENT:
        raise PermissionDenied  # the page exists; not for this role
    return workspace, membership


@agency_required
def channel_list(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = _agency_workspace(request, workspace_id)
    return render(request, "channels/list.html", {
        "workspace": workspace, "channels": workspace.channels.all(),
        "networks": Network.choices, "can_edit": membership.is_staff_role,
        "soon": timezone.now() + actions.EXPIRY_WARNING,
    })


def _check_form(form: ChannelForm, workspace: Workspace,
                channel: Channel | None) -> tuple[ChannelInfo | None, str]:
    """Run the network check for a valid form; on failure add a form error."""
    network = form.network
    if network == Network.SANDBOX:
        # The rehearsal network may not be running; "Check now" asks it later.
        return None, channel.external_id if channel else actions.sandbox_id()
    external_id = form.external_id()
    duplicate = Channel.objects.filter(workspace=workspace, network=network,
                                       external_id=external_id)
    if channel is not None:
        duplicate = duplicate.exclude(pk=channel.pk)
    if duplicate.exists():
        form.add_error(None, _("This workspace already has this channel."))
        return None, external_id
    try:
        info = actions.check_credentials(network, form.credentials(), external_id, form.config())
    except ConnectorError as exc:
        form.add_error(None, _("The network did not accept the connection: %(error)s")
                       % {"error": exc.message})
        return None, external_id
    return info, external_id


def _save(request: HttpRequest, form: ChannelForm, workspace: Workspace,
          channel: Channel | None) -> Channel | None:
    info, external_id = _check_form(form, workspace, channel)
    if form.errors:
        return None
    try:
        saved = actions.save_channel(
            workspace=workspace, network=form.network, external_id=external_id,
            credentials=form.credentials() if form.network != Network.SANDBOX
            else (channel.credentials if channel else {"token": actions.sandbox_id()}),
            name=form.cleaned_data.get("name", ""), config=form.config(), info=info,
            channel=channel,
        )
    except IntegrityError:
        form.add_error(None, _("This workspace already has this channel."))
        return None
    if info is not None and info.problems:
        for problem in info.problems:
            messages.warning(request, problem)
    messages.success(request, _("Channel saved."))
    return saved


@staff_required
def channel_connect(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, _membership = _agency_workspace(request, workspace_id, write=True)
    network = request.GET.get("network", "")
    form_class = FORMS.get(network)
    if form_class is None:
        return render(request, "channels/connect_choose.html", {
            "workspace": workspace, "networks": Network.choices,
        })
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, workspace, None)
        if saved is not None:
            return redirect("channels:detail", channel_id=saved.pk)
    return render(request, "channels/form.html", {
        "workspace": workspace, "form": form, "network": network,
        "network_label": dict(Network.choices)[network],
    }, status=400 if form.errors else 200)


@staff_required
def channel_edit(request: HttpRequest, channel_id: uuid.UUID) -> HttpResponse:
    channel, _membership = get_channel_for_user(request, channel_id, write=True)
    form_class = FORMS[channel.network]
    saved_credentials = channel.credentials
    form = form_class(request.POST or None, saved=saved_credentials,
                      initial=_initial(channel, saved_credentials))
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, channel.workspace, channel)
        if saved is not None:
            return redirect("channels:detail", channel_id=saved.pk)
    return render(request, "channels/form.html", {
        "workspace": channel.workspace, "form": form, "channel": channel,
        "network": channel.network, "network_label": channel.get_network_display(),
    }, status=400 if form.errors else 200)


def _initial(channel: Channel, saved: dict[str, object]) -> dict[str, object]:
    """Non-secret values to show when editing."""
    initial: dict[str, object] = {"name": channel.name}
    expires = timezone.localtime(channel.token_expires_at).date() if channel.token_expires_at \
        else None
    if channel.network == Network.VK:
        initial.update(group=channel.external_id, user_token_expires=expires)
    elif channel.network == Network.OK:
        initial.update(gid=channel.external_id, application_key=saved.get("application_key", ""),
                       access_token_expires=expires)
    elif channel.network == Network.TELEGRAM:
        initial.update(chat=channel.external_id)
    return initial


@agency_required
def channel_detail(request: HttpRequest, channel_id: uuid.UUID) -> HttpResponse:
    channel, membership = get_channel_for_user(request, channel_id)
    now = timezone.now()
    expires_soon = bool(channel.token_expires_at
                        and channel.token_expires_at <= now + actions.EXPIRY_WARNING)
    return render(request, "channels/detail.html", {
        "channel": channel, "workspace": channel.workspace,
        "can_edit": membership.is_staff_role, "expires_soon": expires_soon,
        "expired": bool(channel.token_expires_at and channel.token_expires_at <= now),
        "alerts": channel.alerts.filter(resolved_at__isnull=True),
    })


@require_POST
@staff_required
def channel_check(request: HttpRequest, channel_id: uuid.UUID) -> HttpResponse:
    channel, _membership = get_channel_for_user(request, channel_id, write=True)
    info = actions.run_check(channel)
    if info is None:
        messages.error(request, _("The check failed: %(error)s") % {"error": channel.last_error})
    elif info.problems:
        for problem in info.problems:
            messages.warning(request, problem)
    else:
        messages.success(request, _("The channel is connected and can publish."))
    return redirect("channels:detail", channel_id=channel.pk)


@require_POST
@staff_required
def channel_toggle(request: HttpRequest, channel_id: uuid.UUID) -> HttpResponse:
    channel, _membership = get_channel_for_user(request, channel_id, write=True)
    enable = channel.status == ChannelStatus.DISABLED
    actions.set_enabled(channel, enable)
    messages.success(request, _("Channel enabled.") if enable else _("Channel disabled: nothing "
                                                                      "will be published to it."))
    return redirect("channels:detail", channel_id=channel.pk)


@staff_required
def channel_delete(request: HttpRequest, channel_id: uuid.UUID) -> HttpResponse:
    channel, _membership = get_channel_for_user(request, channel_id, write=True)
    if request.method == "POST":
        workspace_id = channel.workspace_id
        actions.delete_channel(channel)
        messages.success(request, _("Channel deleted."))
        return redirect("channels:list", workspace_id=workspace_id)
    return render(request, "channels/confirm_delete.html", {
        "channel": channel, "workspace": channel.workspace,
    })


@agency_required
def alert_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    alerts = ChannelAlert.objects.filter(organisation=membership.organisation).select_related(
        "channel", "channel__workspace")
    visible = membership.visible_workspaces()
    alerts = alerts.filter(channel__workspace__in=visible)
    return render(request, "channels/alerts.html", {
        "open": alerts.filter(resolved_at__isnull=True),
        "resolved": alerts.filter(resolved_at__isnull=False)[:50],
    })
