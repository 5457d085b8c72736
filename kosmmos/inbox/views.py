"""Inbox pages. Agency roles see them (clients get 404, like the leads board); owners and
managers act (reply, assign, close, correct, retrain), analysts read."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kosmmos.accounts.access import (
    agency_required,
    current_membership,
    current_user,
    get_workspace_for_user,
    membership_in,
    require_role,
)
from kosmmos.accounts.models import STAFF_ROLES, Membership, Role, User, Workspace
from kosmmos.channels.models import Channel, Network
from kosmmos.connectors.base import ConnectorError, Inbound, Setting
from kosmmos.inbox import actions, analytics, charts
from kosmmos.inbox.dispatch import ensure_channel_rows
from kosmmos.inbox.forms import (
    CannedReplyForm,
    ConnectionForm,
    NoteForm,
    ReplyForm,
    SentimentForm,
    SlaForm,
)
from kosmmos.inbox.models import (
    CONVERSATION_KINDS,
    DEFAULT_SLA_MINUTES,
    MAYBE_COMPLAINT,
    CannedReply,
    ChannelInbox,
    DropCount,
    InboxProfile,
    Item,
    ItemStatus,
    Kind,
    NetworkAnswer,
    ReactionCount,
    Reply,
    RetrainRun,
    RunStatus,
    Sentiment,
    SurgeAlert,
)
from kosmmos.inbox.pipeline import inbound_for
from kosmmos.inbox.polling import mode
from kosmmos.inbox.retrain import MIN_ITEMS, request_retrain, use_default_model
from kosmmos.lib.dates import query_date
from kosmmos.lib.search import containing

PAGE = 50


# --- access helpers (the one place tenant isolation is decided for inbox objects) ----------


def _agency_membership(request: HttpRequest, organisation_id: Any, *, write: bool) -> Membership:
    membership = membership_in(request, organisation_id)
    if membership.role == Role.CLIENT:
        raise PermissionDenied  # the page exists; not for this role
    if write:
        require_role(membership, STAFF_ROLES)
    return membership


def get_item_for_user(request: HttpRequest, item_id: uuid.UUID, *,
                      write: bool = False) -> tuple[Item, Membership]:
    item = (Item.objects.select_related("channel", "workspace", "post", "target", "assignee")
            .filter(pk=item_id).first())
    if item is None:
        raise Http404
    return item, _agency_membership(request, item.organisation_id, write=write)


def get_reply_for_user(request: HttpRequest, reply_id: uuid.UUID) -> tuple[Reply, Membership]:
    reply = Reply.objects.select_related("item").filter(pk=reply_id).first()
    if reply is None:
        raise Http404
    return reply, _agency_membership(request, reply.organisation_id, write=True)


def get_canned_for_user(request: HttpRequest, canned_id: uuid.UUID, *,
                        write: bool = False) -> tuple[CannedReply, Membership]:
    canned = CannedReply.objects.filter(pk=canned_id).first()
    if canned is None:
        raise Http404
    return canned, _agency_membership(request, canned.organisation_id, write=write)


def get_run_for_user(request: HttpRequest, run_id: uuid.UUID) -> tuple[RetrainRun, Membership]:
    found = RetrainRun.objects.filter(pk=run_id).first()
    if found is None:
        raise Http404
    return found, _agency_membership(request, found.organisation_id, write=False)


def get_connection_for_user(request: HttpRequest, connection_id: uuid.UUID, *,
                            write: bool = False) -> tuple[ChannelInbox, Membership]:
    found = ChannelInbox.objects.select_related("channel__workspace").filter(
        pk=connection_id).first()
    if found is None:
        raise Http404
    return found, _agency_membership(request, found.organisation_id, write=write)


def get_inbox_workspace(request: HttpRequest, workspace_id: uuid.UUID, *,
                        write: bool = False) -> tuple[Workspace, Membership]:
    workspace, membership = get_workspace_for_user(request, workspace_id, write=write)
    if membership.role == Role.CLIENT:
        raise PermissionDenied  # the page exists; not for this role
    return workspace, membership


def profile_for(workspace: Workspace) -> InboxProfile:
    profile, _created = InboxProfile.objects.get_or_create(
        workspace=workspace, defaults={"organisation_id": workspace.organisation_id})
    return profile


def _bad_request(message: str) -> HttpResponse:
    """A 400 that says what was wrong (forms posted by hand or by an old page end here)."""
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


# --- the list --------------------------------------------------------------------------------


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        return None


def _day_bound(value: str, end: bool) -> datetime | None:
    day = query_date(value)
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


def filtered_items(request: HttpRequest, membership: Membership,
                   workspace: Workspace | None) -> tuple[QuerySet[Item], dict[str, Any]]:
    """The items the filters in the query string select, negative first unless sorted by date."""
    params = request.GET
    items = Item.objects.filter(organisation=membership.organisation, deleted_at__isnull=True)
    chosen: dict[str, Any] = {k: params.get(k, "") for k in (
        "network", "channel", "post", "sentiment", "status", "assignee", "kind", "from", "to",
        "sort", "overdue", "waiting", "q")}
    if workspace is not None:
        items = items.filter(workspace=workspace)
    elif (ws := _uuid(params.get("workspace", ""))) is not None:
        items = items.filter(workspace_id=ws)
        chosen["workspace"] = str(ws)
    if chosen["network"] in Network.values:
        items = items.filter(network=chosen["network"])
    if (channel := _uuid(chosen["channel"])) is not None:
        items = items.filter(channel_id=channel)
    if (post := _uuid(chosen["post"])) is not None:
        items = items.filter(post_id=post)
    if chosen["sentiment"] in Sentiment.values:
        items = items.filter(sentiment=chosen["sentiment"])
    elif chosen["sentiment"] == COMPLAINTS:  # negatives and possible complaints (maybe_complaint)
        items = items.filter(Q(sentiment=Sentiment.NEGATIVE) | MAYBE_COMPLAINT)
    if chosen["status"] == "":
        chosen["status"] = ItemStatus.OPEN
    if chosen["status"] in ItemStatus.values:
        items = items.filter(status=chosen["status"])
    if chosen["assignee"] == "me":
        items = items.filter(assignee_id=membership.user_id)
    elif chosen["assignee"] == "none":
        items = items.filter(assignee__isnull=True)
    elif (person := _uuid(chosen["assignee"])) is not None:
        items = items.filter(assignee_id=person)
    if chosen["kind"] in Kind.values:
        items = items.filter(kind=chosen["kind"])
    elif chosen["kind"] != "all":
        items = items.filter(kind__in=CONVERSATION_KINDS)
    if (start := _day_bound(chosen["from"], False)) is not None:
        items = items.filter(received_at__gte=start)
    if (end := _day_bound(chosen["to"], True)) is not None:
        items = items.filter(received_at__lte=end)
    if chosen["q"]:
        items = containing(items, chosen["q"], ("text", "author_name"))
    if chosen["waiting"] == "1":
        items = items.filter(needs_response=True, first_response_at__isnull=True)
    if chosen["overdue"] == "1":
        overdue_ids = []
        for ws_id, minutes in _sla_minutes(membership, workspace).items():
            overdue_ids.append(analytics.overdue(items.filter(workspace_id=ws_id), minutes)
                               .values("pk"))
        query = Q(pk__in=[])
        for sub in overdue_ids:
            query |= Q(pk__in=sub)
        items = items.filter(query)
    if chosen["sort"] == "new":
        items = items.order_by("-received_at")
    else:
        # Negatives, then possible complaints (Item.maybe_complaint), then the rest.
        items = items.annotate(first=Case(
            When(sentiment=Sentiment.NEGATIVE, then=Value(0)),
            When(MAYBE_COMPLAINT, then=Value(1)),
            default=Value(2), output_field=IntegerField())).order_by("first", "-received_at")
    return items, chosen


COMPLAINTS = "complaints"  # the sentiment filter's "negative and possible complaints"


def _sla_minutes(membership: Membership, workspace: Workspace | None) -> dict[Any, int]:
    spaces = [workspace] if workspace else list(membership.visible_workspaces())
    return analytics.sla_targets(ws.pk for ws in spaces)


def _render_list(request: HttpRequest, workspace: Workspace | None) -> HttpResponse:
    membership = current_membership(request)
    items, chosen = filtered_items(request, membership, workspace)
    page = Paginator(items.select_related("channel", "workspace", "post", "assignee"),
                     PAGE).get_page(request.GET.get("page"))
    sla = _sla_minutes(membership, workspace)
    now = timezone.now()
    for item in page:
        minutes = sla.get(item.workspace_id, DEFAULT_SLA_MINUTES)
        item.overdue = item.is_overdue(timedelta(minutes=minutes), now)  # type: ignore[attr-defined]  # for the page
    org = membership.organisation
    channels = Channel.objects.filter(organisation=org)
    if workspace:
        channels = channels.filter(workspace=workspace)
    alerts = SurgeAlert.objects.filter(organisation=org, day=timezone.localdate())
    if workspace:
        alerts = alerts.filter(workspace=workspace)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "inbox/list.html", {
        "page": page, "chosen": chosen, "workspace": workspace, "querystring": query.urlencode(),
        "workspaces": membership.visible_workspaces(),
        "channels": channels.select_related("workspace"),
        "networks": Network.choices, "sentiments": Sentiment.choices,
        "statuses": ItemStatus.choices, "kinds": Kind.choices,
        "people": User.objects.filter(memberships__organisation=org,
                                      memberships__role__in=STAFF_ROLES).order_by("first_name"),
        "alerts": alerts.select_related("channel", "workspace"),
        "can_edit": membership.is_staff_role,
    })


@agency_required
def inbox(request: HttpRequest) -> HttpResponse:
    return _render_list(request, None)


@agency_required
def workspace_inbox(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, _membership = get_inbox_workspace(request, workspace_id)
    return _render_list(request, workspace)


# --- one item --------------------------------------------------------------------------------


THREAD_LIMIT = 200  # items of a thread shown on an item's page


def _thread(item: Item) -> QuerySet[Item]:
    """The other items of the same conversation: the post's comments, or the chat's messages."""
    if item.channel_id is None:  # a mention stands alone
        return Item.objects.filter(pk=item.pk)
    others = Item.objects.filter(channel_id=item.channel_id, deleted_at__isnull=True)
    if item.kind == Kind.MESSAGE:
        return others.filter(kind=Kind.MESSAGE, chat_ref=item.chat_ref).order_by("received_at")
    if item.post_ref:
        return others.filter(kind=Kind.COMMENT, post_ref=item.post_ref).order_by("received_at")
    return others.filter(pk=item.pk)


def _item_context(request: HttpRequest, item: Item, membership: Membership,
                  **extra: Any) -> dict[str, Any]:
    profile = InboxProfile.objects.filter(workspace_id=item.workspace_id).first()
    sla = profile.sla if profile else timedelta(minutes=DEFAULT_SLA_MINUTES)
    canned = CannedReply.objects.filter(organisation_id=item.organisation_id).filter(
        Q(workspace__isnull=True) | Q(workspace_id=item.workspace_id))
    reactions = ReactionCount.objects.filter(
        channel_id=item.channel_id, post_ref=item.post_ref
    ).first() if item.post_ref and item.channel_id else None
    reader = inbound_for(item.channel) if item.channel is not None else None
    context = {
        "item": item, "thread": _thread(item).select_related("assignee")[:THREAD_LIMIT],
        "replies": item.replies.select_related("author").prefetch_related("attempt_rows"),
        "notes": item.notes.select_related("author"), "canned": canned,
        "reply_form": ReplyForm(), "note_form": NoteForm(),
        "people": User.objects.filter(memberships__organisation_id=item.organisation_id,
                                      memberships__role__in=STAFF_ROLES).order_by("first_name"),
        "can_edit": membership.is_staff_role, "sentiments": Sentiment.choices,
        "overdue": item.is_overdue(sla), "sla_minutes": int(sla.total_seconds() // 60),
        "reactions": reactions, "can_reply": bool(item.is_conversation and reader and reader.replies),
        "no_reply_note": reader.no_reply_note if reader else "",
        "network_answers": _network_answers(item),
    }
    context.update(extra)
    return context


def _network_answers(item: Item) -> list[NetworkAnswer]:
    """Our answers to this comment seen on the network, less the ones sent from Kosmmos (those
    are listed with their delivery state already: same network id, or same text)."""
    if item.kind != Kind.COMMENT or item.channel_id is None:
        return []
    replies = list(item.replies.values_list("external_id", "text"))
    sent = {ref for ref, _text in replies if ref}
    texts = {text.strip() for _ref, text in replies}  # a reply whose send ended ambiguous
    return [a for a in NetworkAnswer.objects.filter(channel_id=item.channel_id,
                                                     parent_ref=item.external_id)[:50]
            if a.external_id not in sent and a.text.strip() not in texts]


@agency_required
def item_detail(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    item, membership = get_item_for_user(request, item_id)
    return render(request, "inbox/item.html", _item_context(request, item, membership))


@require_POST
@agency_required
def item_reply(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    item, membership = get_item_for_user(request, item_id, write=True)
    form = ReplyForm(request.POST)
    if not item.is_conversation:
        raise Http404
    if form.is_valid():
        actions.queue_reply(item, current_user(request), form.cleaned_data["text"])
        messages.success(request, _("The reply is queued; it is posted in a moment."))
        return redirect("inbox:item", item_id=item.pk)
    return render(request, "inbox/item.html",
                  _item_context(request, item, membership, reply_form=form), status=400)


@require_POST
@agency_required
def item_sentiment(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    item, _membership = get_item_for_user(request, item_id, write=True)
    form = SentimentForm(request.POST)
    if not form.is_valid():
        return _bad_request(_("Choose a sentiment: negative, neutral or positive."))
    if form.cleaned_data["sentiment"] != item.sentiment or not item.sentiment_manual:
        actions.correct_sentiment(item, current_user(request), form.cleaned_data["sentiment"])
        item.refresh_from_db(fields=["sentiment", "sentiment_manual"])
    if request.headers.get("HX-Request"):
        # The header's control is the target; the item's badge in the thread below it follows
        # out of band — only when the page lists it there (htmx logs an error for a missing
        # target): a deleted item or one past the thread's first 200 is not listed.
        in_thread = item.pk in set(_thread(item).values_list("pk", flat=True)[:THREAD_LIMIT])
        return render(request, "inbox/_sentiment_corrected.html", {
            "item": item, "t": item, "can_edit": True, "sentiments": Sentiment.choices,
            "in_thread": in_thread})
    return redirect("inbox:item", item_id=item.pk)


@require_POST
@agency_required
def item_assign(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    item, _membership = get_item_for_user(request, item_id, write=True)
    person = None
    chosen = request.POST.get("assignee", "").strip()
    if chosen:  # empty means "nobody"; anything else must be one of the agency's team
        pk = _uuid(chosen)
        person = User.objects.filter(pk=pk, memberships__organisation_id=item.organisation_id,
                                     memberships__role__in=STAFF_ROLES).first() if pk else None
        if person is None:
            return _bad_request(_("Assign the item to someone of your agency's team, or to "
                                  "nobody."))
    actions.assign(item, person)
    messages.success(request, _("Assigned."))
    return redirect("inbox:item", item_id=item.pk)


@require_POST
@agency_required
def item_status(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    item, _membership = get_item_for_user(request, item_id, write=True)
    if request.POST.get("status") == ItemStatus.CLOSED:
        actions.close(item)
    elif request.POST.get("status") == ItemStatus.OPEN:
        actions.reopen(item)
    else:
        return _bad_request(_("The status must be open or closed."))
    back = request.POST.get("next", "")
    return redirect(back if back == reverse("inbox:list") else reverse("inbox:item", kwargs={"item_id": item.pk}))


@require_POST
@agency_required
def item_note(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    item, membership = get_item_for_user(request, item_id, write=True)
    form = NoteForm(request.POST)
    if form.is_valid():
        actions.add_note(item, current_user(request), form.cleaned_data["text"])
        return redirect("inbox:item", item_id=item.pk)
    return render(request, "inbox/item.html",
                  _item_context(request, item, membership, note_form=form), status=400)


@agency_required
def item_canned(request: HttpRequest, item_id: uuid.UUID, canned_id: uuid.UUID) -> HttpResponse:
    """The canned reply filled in for this item: the reply textarea, swapped in by htmx."""
    item, _membership = get_item_for_user(request, item_id, write=True)
    canned, _m = get_canned_for_user(request, canned_id)
    if canned.organisation_id != item.organisation_id or (
            canned.workspace_id and canned.workspace_id != item.workspace_id):
        raise Http404
    form = ReplyForm(initial={"text": actions.fill_canned(canned, item, current_user(request))})
    return render(request, "inbox/_reply_text.html", {"reply_form": form})


@agency_required
def reply_state(request: HttpRequest, reply_id: uuid.UUID) -> HttpResponse:
    """One reply's block with its delivery state (polled by the item page until it settles)."""
    reply = Reply.objects.filter(pk=reply_id).first()
    if reply is None:
        raise Http404
    _item, membership = get_item_for_user(request, reply.item_id)  # whoever may read the item
    return render(request, "inbox/_reply.html", {"r": reply, "can_edit": membership.is_staff_role})


@require_POST
@agency_required
def reply_retry(request: HttpRequest, reply_id: uuid.UUID) -> HttpResponse:
    reply, _membership = get_reply_for_user(request, reply_id)
    if actions.retry_reply(reply):
        messages.success(request, _("The reply is queued to be posted again."))
    else:
        messages.info(request, _("This reply has not failed; nothing to retry."))
    return redirect("inbox:item", item_id=reply.item_id)


# --- canned replies --------------------------------------------------------------------------


@agency_required
def canned_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    spaces = membership.visible_workspaces()
    form = CannedReplyForm(workspaces=spaces)
    if request.method == "POST":
        require_role(membership, STAFF_ROLES)
        form = CannedReplyForm(request.POST, workspaces=spaces)
        if form.is_valid():
            canned = form.save(commit=False)
            canned.organisation = membership.organisation
            canned.save()
            messages.success(request, _("Canned reply saved."))
            return redirect("inbox:canned")
    return render(request, "inbox/canned.html", {
        "form": form, "can_edit": membership.is_staff_role,
        "replies": CannedReply.objects.filter(organisation=membership.organisation)
        .select_related("workspace"),
    }, status=400 if form.errors else 200)


@require_POST
@agency_required
def canned_delete(request: HttpRequest, canned_id: uuid.UUID) -> HttpResponse:
    canned, _membership = get_canned_for_user(request, canned_id, write=True)
    canned.delete()
    messages.success(request, _("Canned reply deleted."))
    return redirect("inbox:canned")


# --- analytics, SLA, retraining, connections -------------------------------------------------


@agency_required
def workspace_analytics(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_inbox_workspace(request, workspace_id)
    profile = profile_for(workspace)
    ensure_channel_rows(Channel.objects.filter(workspace=workspace))
    channels = list(Channel.objects.filter(workspace=workspace).select_related("inbox"))
    items = Item.objects.filter(organisation=workspace.organisation, workspace=workspace,
                                deleted_at__isnull=True)
    chosen_channel = _uuid(request.GET.get("channel", ""))
    if chosen_channel and any(c.pk == chosen_channel for c in channels):
        items = items.filter(channel_id=chosen_channel)
    series = analytics.daily_sentiment(items, days=30)
    per_channel = []
    for channel in channels:
        channel_series = analytics.daily_sentiment(items.filter(channel=channel), days=30)
        per_channel.append((channel, sum(channel_series.totals), channel_series.negative_share()))
    runs = list(RetrainRun.objects.filter(workspace=workspace)[:5])
    for found in runs:
        found.active = found.status in {RunStatus.PENDING, RunStatus.QUEUED,  # type: ignore[attr-defined]  # for the page
                                        RunStatus.RUNNING}
    drops = (DropCount.objects.filter(organisation=workspace.organisation,
                                      scope__in=[str(c.pk) for c in channels],
                                      day__gte=timezone.localdate() - timedelta(days=7))
             .order_by("-day", "step", "reason"))
    weeks = analytics.weekly_negative_share(items)
    sla = analytics.sla_summary(items, profile.sla_minutes)
    labelled = Item.objects.filter(workspace=workspace, sentiment_manual=True).count()
    return render(request, "inbox/analytics.html", {
        "workspace": workspace, "profile": profile, "channels": channels,
        "chosen_channel": chosen_channel, "series": series,
        "chart": charts.sentiment_chart(series, _("Comments by sentiment, last 30 days")),
        "share_chart": charts.negative_share_chart(
            weeks, _("Share of negatives by week, last 12 weeks")),
        "response_chart": charts.response_time_chart(
            analytics.daily_response_times(items), sla.target_minutes,
            _("Median first response by day, last 30 days")),
        "total": sum(series.totals), "negative_share": series.negative_share(),
        "per_channel": per_channel,
        "sla": sla,
        "alerts": SurgeAlert.objects.filter(workspace=workspace).select_related("channel")[:20],
        "runs": runs,
        "labelled": labelled, "can_retrain": labelled >= MIN_ITEMS,
        "min_items": MIN_ITEMS, "sla_form": SlaForm(instance=profile),
        "drops": [(d, analytics.DROP_REASONS.get(d.reason, "")) for d in drops[:50]],
        "can_edit": membership.is_staff_role,
    })


@require_http_methods(["GET", "POST"])
@agency_required
def workspace_sla(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    if request.method == "GET":  # the form's address typed or reloaded: the page that has it
        workspace, _membership = get_inbox_workspace(request, workspace_id)
        return redirect("inbox:analytics", workspace_id=workspace.pk)
    workspace, _membership = get_inbox_workspace(request, workspace_id, write=True)
    profile = profile_for(workspace)
    form = SlaForm(request.POST, instance=profile)
    if form.is_valid() and 1 <= form.cleaned_data["sla_minutes"] <= 10080:
        profile.sla_minutes = form.cleaned_data["sla_minutes"]
        profile.save(update_fields=["sla_minutes"])
        messages.success(request, _("The response target is saved."))
    else:
        messages.error(request, _("The response target must be between 1 and 10080 minutes."))
    return redirect("inbox:analytics", workspace_id=workspace.pk)


@require_POST
@agency_required
def workspace_retrain(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, _membership = get_inbox_workspace(request, workspace_id, write=True)
    if request.POST.get("action") == "default":
        use_default_model(profile_for(workspace))
        messages.success(request, _("The workspace uses the default model again."))
    else:
        request_retrain(workspace, current_user(request))
        messages.success(request, _("Training started."))
    return redirect("inbox:analytics", workspace_id=workspace.pk)


@agency_required
def retrain_progress(request: HttpRequest, run_id: uuid.UUID) -> HttpResponse:
    found, _membership = get_run_for_user(request, run_id)
    return render(request, "inbox/_retrain_run.html", {
        "run": found, "active": found.status in {RunStatus.PENDING, RunStatus.QUEUED,
                                                  RunStatus.RUNNING}})


@agency_required
def connection(request: HttpRequest, connection_id: uuid.UUID) -> HttpResponse:
    found, membership = get_connection_for_user(request, connection_id)
    channel = found.channel
    reader = inbound_for(channel)
    config = channel.config
    form = ConnectionForm(reader.settings, initial={
        s.name: config.get(s.name, "") for s in reader.settings if not s.secret})
    if request.method == "POST":
        require_role(membership, STAFF_ROLES)
    hook = ""
    if reader.webhook:
        hook = settings.SITE_URL + reverse("inbox:webhook", kwargs={
            "network": channel.network, "hook_code": found.code})
    if request.method == "POST":
        form = ConnectionForm(reader.settings, request.POST)
        if form.is_valid() and _webhook_set(channel, reader, form, hook):
            _save_connection(channel, reader.settings, form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("inbox:connection", connection_id=found.pk)
    credentials = channel.credentials
    return render(request, "inbox/connection.html", {
        "inbox": found, "channel": channel, "form": form, "hook_url": hook,
        "mode": mode(channel), "can_edit": membership.is_staff_role,
        "setup_help": reader.setup_help,
        "asks_secret": any(s.secret for s in reader.settings),
        "has_secret": all(credentials.get(s.name) for s in reader.settings if s.secret),
    }, status=400 if form.errors else 200)


def _webhook_set(channel: Channel, reader: Inbound, form: ConnectionForm, hook: str) -> bool:
    """A network that takes its webhook from us (Telegram's setWebhook) is pointed at ``hook``
    when a new secret is saved, before it is stored: if the network refuses, nothing is saved
    and the form says why (the channel keeps receiving as before)."""
    entered = [s for s in reader.settings if s.secret and form.cleaned_data[s.name]]
    if not reader.sets_webhook or not entered:
        return True
    credentials = {**channel.credentials,
                   **{s.name: form.cleaned_data[s.name] for s in entered}}
    try:
        reader.set_webhook(credentials, hook)
    except ConnectorError as exc:
        form.add_error(entered[0].name, _("%(network)s refused the webhook: %(error)s") % {
            "network": channel.get_network_display(), "error": exc.message})
        return False
    return True


def _save_connection(channel: Channel, fields: tuple[Setting, ...], data: dict[str, Any]) -> None:
    config = dict(channel.config)
    credentials = dict(channel.credentials)
    for setting in fields:
        if not setting.secret:
            config[setting.name] = data[setting.name].strip()
        elif data[setting.name]:
            credentials[setting.name] = data[setting.name]
    channel.config = config
    channel.credentials = credentials
    channel.save(update_fields=["config", "credentials_encrypted"])
