"""The bell, the list of notifications, mark read (HTMX), and the notification settings:
preferences, quiet hours, the Telegram link, the agency's bot and its webhooks."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import current_membership, current_user, member_required
from kosmmos.accounts.models import Membership, Role
from kosmmos.lib import crypto
from kosmmos.notifications import prefs, telegram, webhooks
from kosmmos.notifications.forms import BotForm, SettingsForm, WebhookForm
from kosmmos.notifications.kinds import KINDS
from kosmmos.notifications.models import Channel, Delivery, Subscriber, TelegramBot, Webhook

PAGE = 50


def _inbox(request: HttpRequest) -> Any:
    membership = current_membership(request)
    return Delivery.objects.filter(user=current_user(request), channel=Channel.INAPP,
                                   organisation_id=membership.organisation_id)


def unread_count(user: Any, organisation_id: Any) -> int:
    return Delivery.objects.filter(user=user, organisation_id=organisation_id,
                                   channel=Channel.INAPP, read_at__isnull=True).count()


@member_required
def notification_list(request: HttpRequest) -> HttpResponse:
    rows = _inbox(request).select_related("event", "event__workspace")
    if request.GET.get("unread"):
        rows = rows.filter(read_at__isnull=True)
    return render(request, "notifications/list.html", {
        "rows": rows[:PAGE], "unread_only": bool(request.GET.get("unread"))})


@member_required
def bell(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/_bell.html")


@member_required
@require_POST
def mark_read(request: HttpRequest, notice_id: Any) -> HttpResponse:
    row = _inbox(request).select_related("event").filter(pk=notice_id).first()
    if row is None:
        raise Http404
    if row.read_at is None:
        _inbox(request).filter(pk=row.pk, read_at__isnull=True).update(read_at=timezone.now())
        row.read_at = timezone.now()
    if request.htmx:  # type: ignore[attr-defined]  # django-htmx sets it
        return render(request, "notifications/_row.html", {"row": row, "oob_bell": True})
    return redirect("notifications:list")


@member_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    _inbox(request).filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications:list")


# --- Settings -----------------------------------------------------------------------------------


def _grid(sub: Any, membership: Membership, scope: str) -> list[dict[str, Any]]:
    chosen = (sub.choices.get(scope) or {}) if sub else {}
    rows = []
    for kind in KINDS.values():
        if membership.role == Role.CLIENT and not kind.client:
            continue
        current = chosen.get(kind.code)
        if current is None:
            current = prefs.channels_for(sub, membership.role, kind.code,
                                         None if scope == "*" else scope)
        rows.append({"kind": kind, "on": set(current)})
    return rows


@member_required
def settings_view(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    user = current_user(request)
    # Read without writing: the row is made when the member first saves or links a chat.
    sub = (Subscriber.objects.filter(organisation=membership.organisation, user=user).first()
           or Subscriber(organisation=membership.organisation, user=user))
    visible = {str(w.pk): w for w in membership.visible_workspaces()}
    scope = request.GET.get("workspace") or request.POST.get("scope") or "*"
    if scope != "*" and scope not in visible:
        raise Http404
    form = SettingsForm(request.POST or None, initial={
        "email_digest": sub.email_digest, "quiet_from": sub.quiet_from, "quiet_to": sub.quiet_to})
    if request.method == "POST" and form.is_valid():
        picked: dict[str, list[str]] = {}
        for row in _grid(sub, membership, scope):
            code = row["kind"].code
            picked[code] = [c for c in Channel.values if request.POST.get(f"{code}:{c}") == "on"]
        sub.choices = {**sub.choices, scope: picked}
        sub.email_digest = form.cleaned_data["email_digest"]
        sub.quiet_from, sub.quiet_to = form.cleaned_data["quiet_from"], form.cleaned_data["quiet_to"]
        if sub._state.adding:
            sub.save()
        else:
            sub.save(update_fields=["choices", "email_digest", "quiet_from", "quiet_to"])
        messages.success(request, _("Notification settings saved."))
        return redirect(request.get_full_path())
    bot = TelegramBot.objects.filter(organisation_id=membership.organisation_id).first()
    is_owner = membership.role == Role.OWNER
    return render(request, "notifications/settings.html", {
        "form": form, "grid": _grid(sub, membership, scope), "channels": Channel.choices,
        "scope": scope, "workspaces": visible.values(), "sub": sub, "bot": bot,
        "link": telegram.link_url(bot, sub.link_code) if bot and sub.link_code else "",
        "is_owner": is_owner, "bot_form": BotForm(), "hook_form": WebhookForm(),
        "hooks": Webhook.objects.filter(organisation_id=membership.organisation_id)
        if is_owner else [],
    })


@member_required
@require_POST
def telegram_link(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    sub = telegram.subscriber(membership.organisation, current_user(request))
    if request.POST.get("unlink"):
        sub.telegram_chat_id = None
        sub.telegram_name = ""
        sub.save(update_fields=["telegram_chat_id", "telegram_name"])
    elif TelegramBot.objects.filter(organisation_id=membership.organisation_id).exists():
        telegram.start_link(sub)
    return redirect("notifications:settings")


@member_required
@require_POST
def telegram_check(request: HttpRequest) -> HttpResponse:
    telegram.poll_links()
    return redirect("notifications:settings")


def _owner(request: HttpRequest) -> Membership:
    membership = current_membership(request)
    if membership.role != Role.OWNER:
        raise Http404
    return membership


@member_required
@require_POST
def bot_connect(request: HttpRequest) -> HttpResponse:
    membership = _owner(request)
    form = BotForm(request.POST)
    if form.is_valid():
        try:
            telegram.connect_bot(membership.organisation, form.cleaned_data["token"])
            messages.success(request, _("The bot is connected."))
        except telegram.BotError as exc:
            messages.error(request, _("Telegram refused the token: %(error)s") % {"error": exc})
    else:
        messages.error(request, " ".join(str(e) for e in form.errors.get("token", [])))
    return redirect("notifications:settings")


@member_required
@require_POST
def webhook_create(request: HttpRequest) -> HttpResponse:
    membership = _owner(request)
    form = WebhookForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return redirect("notifications:settings")
    _hook, secret = webhooks.create_webhook(membership.organisation, form.cleaned_data["url"],
                                           form.cleaned_data["kinds"])
    messages.success(request, _("Webhook added. Its signing secret (shown once): %(secret)s") % {
        "secret": secret})
    return redirect("notifications:settings")


def _hook(request: HttpRequest, hook_id: Any) -> Webhook:
    membership = _owner(request)
    hook = Webhook.objects.filter(pk=hook_id, organisation_id=membership.organisation_id).first()
    if hook is None:
        raise Http404
    return hook


@member_required
def webhook_detail(request: HttpRequest, hook_id: Any) -> HttpResponse:
    hook = _hook(request, hook_id)
    rows = hook.deliveries.select_related("event").prefetch_related("attempts_made")[:50]
    return render(request, "notifications/webhook.html", {"hook": hook, "rows": rows})


@member_required
@require_POST
def webhook_action(request: HttpRequest, hook_id: Any) -> HttpResponse:
    hook = _hook(request, hook_id)
    action = request.POST.get("action")
    if action == "delete":
        hook.delete()
    elif action == "enable":
        webhooks.enable(hook)
    elif action == "disable":
        Webhook.objects.filter(pk=hook.pk).update(active=False)
    elif action == "rotate":
        secret = webhooks.new_secret()
        Webhook.objects.filter(pk=hook.pk).update(secret_encrypted=crypto.encrypt(secret))
        messages.success(request, _("New signing secret (shown once): %(secret)s") % {
            "secret": secret})
    elif action == "retry":
        from kosmmos.notifications.queues import webhooks as queue

        try:
            wanted = uuid.UUID(request.POST.get("delivery", ""))
        except ValueError:
            raise Http404 from None
        delivery = hook.deliveries.filter(pk=wanted).first()
        if delivery is None:
            raise Http404
        queue.retry_failed(delivery.pk)
        return redirect("notifications:webhook", hook_id=hook.pk)
    return redirect("notifications:settings")
