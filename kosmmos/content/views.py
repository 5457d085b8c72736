"""Content plan pages: calendars, the post editor, approval, media, rubrics, templates, import.

Every view reaches its object through an access helper: ``get_post_for_user`` and
``get_target_for_user`` (access.py) for posts and their targets, ``get_owned`` for the other
workspace objects. Another organisation's object (or a workspace a
client was not given) is a 404; a role that may not act is a 403. The approval-link pages are
reached only with the link's token.
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import (
    agency_required,
    current_membership,
    current_user,
    get_workspace_for_user,
    member_required,
    require_role,
    staff_required,
)
from kosmmos.accounts.models import STAFF_ROLES, Membership, Role, Workspace
from kosmmos.content import actions, calendar, history, importer, labels
from kosmmos.content.access import get_owned, get_post_for_user, get_target_for_user
from kosmmos.content.forms import (
    ApprovalLinkForm,
    CommentForm,
    DecisionForm,
    ImportForm,
    PostForm,
    RescheduleForm,
    RubricForm,
    TemplateForm,
    UploadForm,
    initial_for,
)
from kosmmos.content.media import add_media
from kosmmos.content.models import (
    ApprovalLink,
    ImportRun,
    MediaItem,
    Post,
    PostStatus,
    PostTemplate,
    Rubric,
    TargetStatus,
)
from kosmmos.content.targets import past_delete_window
from kosmmos.content.validation import Draft, Problem, check_schedulable, limits_for, network_name
from kosmmos.lib.dates import query_date
from kosmmos.lib.htmx import is_htmx


def _zone(workspace: Workspace) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(workspace.organisation.timezone)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


# --- Calendars ----------------------------------------------------------------------------------


def _calendar_context(request: HttpRequest, membership: Membership, workspaces: Any,
                      workspace: Workspace | None) -> dict[str, Any]:
    zone = zoneinfo.ZoneInfo(membership.organisation.timezone)
    today = timezone.now().astimezone(zone).date()
    anchor = query_date(request.GET.get("date", "")) or today
    period = calendar.Period.of(request.GET.get("view", "month"), anchor)
    start, end = period.bounds(zone)
    posts = Post.objects.filter(workspace__in=workspaces, deleted_at__isnull=True)
    if membership.role == Role.CLIENT:
        posts = actions.client_visible(posts)
    status = request.GET.get("status", "")
    if status in PostStatus.values:
        posts = posts.filter(status=status)
    in_period = posts.filter(publish_at__gte=start, publish_at__lt=end)
    more: dict[Any, int] = {}
    # ``day``: a week's day shown whole (its "show more"); any other value shows none whole.
    whole = query_date(request.GET.get("day", "")) if period.view == "week" else None
    if period.view in calendar.CARDS_PER_DAY:
        shown, more, failed_count = calendar.day_window(
            in_period, zone, calendar.CARDS_PER_DAY[period.view], whole)
        in_period = Post.objects.filter(pk__in=shown)
    dated = list(calendar.with_targets(in_period))
    undated = list(calendar.with_targets(posts.filter(publish_at__isnull=True)).order_by("-created_at")[:50])
    calendar.annotate(dated + undated)
    if period.view not in calendar.CARDS_PER_DAY:
        failed_count = len([p for p in dated if p.troubles])  # type: ignore[attr-defined]  # set by calendar.annotate
    day_list = calendar.days(period, dated, zone, today, more)
    return {
        "period": period, "weeks": calendar.weeks(day_list), "days": [d for d in day_list if d.posts],
        "undated": undated, "today": today, "workspace": workspace, "status": status,
        "statuses": PostStatus.choices,
        "can_edit": membership.is_staff_role, "is_client": membership.role == Role.CLIENT,
        "failed_count": failed_count,
        # The networks on the cards shown, for the badges' legend.
        "legend": sorted({n for p in dated + undated for n in p.networks}),  # type: ignore[attr-defined]  # set by calendar.annotate
        "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
    }


@agency_required
def agency_calendar(request: HttpRequest) -> HttpResponse:
    """All clients of the agency on one calendar, optionally one workspace."""
    membership = current_membership(request)
    workspaces = membership.visible_workspaces()
    chosen = None
    try:
        wanted = uuid.UUID(request.GET.get("workspace", ""))
    except ValueError:
        wanted = None
    if wanted is not None:
        chosen = workspaces.filter(pk=wanted).first()
        if chosen is not None:
            workspaces = workspaces.filter(pk=chosen.pk)
    context = _calendar_context(request, membership, workspaces, None)
    context.update(all_workspaces=membership.visible_workspaces(), chosen=chosen, agency_view=True)
    return render(request, "content/calendar.html", context)


@member_required
def workspace_calendar(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_workspace_for_user(request, workspace_id)
    context = _calendar_context(request, membership, Workspace.objects.filter(pk=workspace.pk), workspace)
    return render(request, "content/calendar.html", context)


# --- The editor ---------------------------------------------------------------------------------


def _media_url(item: MediaItem, token: str | None = None) -> str:
    if token:
        return reverse("content:public_media", args=[token, item.pk])
    return reverse("content:media_file", args=[item.pk])


def previews(draft: Draft, media: list[MediaItem], problems: list[Problem], *,
             token: str | None = None) -> list[dict[str, Any]]:
    """How the post looks on each chosen network (the ad label included) and its problems there."""
    items = [{"item": m, "url": _media_url(m, token)} for m in media]
    out = []
    for network in draft.networks:
        limits = limits_for(network)
        text = draft.text_for(network)
        out.append({
            "network": network, "name": network_name(network), "text": text, "count": len(text),
            "limit": limits.caption_max if media and limits.caption_max else limits.text_max,
            "media": items, "is_ad": draft.is_ad, "ads_mark": limits.supports_ads_mark,
            "problems": [p for p in problems if p.network == network],
        })
    return out


def _editor(request: HttpRequest, workspace: Workspace, post: Post | None) -> HttpResponse:
    locked = post is not None and post.status not in {PostStatus.DRAFT, PostStatus.IN_REVIEW,
                                                      PostStatus.APPROVED}
    library = list(MediaItem.objects.filter(workspace=workspace))
    if request.method == "POST":
        form = PostForm(request.POST, workspace=workspace, locked_channels=locked,
                        initial=initial_for(post) if post else None)
        if form.is_valid():
            try:
                saved = actions.save_post(workspace, form.to_data(), by=current_user(request), post=post)
                if request.POST.get("then") == "review" and saved.status == PostStatus.DRAFT:
                    actions.send_for_review(saved, by=current_user(request))
                    messages.success(request, _("Saved and sent to the client for review."))
                else:
                    messages.success(request, _("The post is saved."))
            except actions.ContentError as error:
                form.add_error(None, str(error))
            else:
                return redirect("content:post_detail", post_id=saved.pk)
        status = 400
    else:
        form = PostForm(workspace=workspace, locked_channels=locked,
                        initial=initial_for(post) if post else _new_initial(request, workspace))
        status = 200
    context = {"form": form, "workspace": workspace, "post": post, "library": library,
               "locked": locked, **_editor_checks(form, post)}
    chosen = {str(m) for m in (form["media"].value() or [])}
    orders = {str(pm.media_id): pm.position + 1 for pm in post.post_media.all()} if post else {}
    context["library_rows"] = [{
        "item": m, "url": _media_url(m), "checked": str(m.pk) in chosen,
        "order": form.data.get(f"media_order_{m.pk}", orders.get(str(m.pk), "")) if form.is_bound
        else orders.get(str(m.pk), ""),
    } for m in library]
    return render(request, "content/post_form.html", context, status=status)


def _new_initial(request: HttpRequest, workspace: Workspace) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    day = query_date(request.GET.get("date", ""))
    if day is not None:
        initial["publish_at"] = datetime.combine(day, time(12, 0), _zone(workspace))
    return initial


def _editor_checks(form: PostForm, post: Post | None) -> dict[str, Any]:
    # The ad rule's missing erid/advertiser still previews: the checks below say what is missing.
    if form.is_bound and (form.is_valid() or set(form.errors) <= {"erid", "advertiser"}):
        draft = form.draft()
        media = form.ordered_media()
    elif post is not None and not form.is_bound:
        draft = Draft.from_post(post)
        media = [pm.media for pm in post.post_media.select_related("media")]
    else:
        return {"problems": [], "previews": []}
    problems = check_schedulable(draft)
    return {"problems": problems, "previews": previews(draft, media, problems)}


@staff_required
def post_new(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, _membership = get_workspace_for_user(request, workspace_id, write=True)
    return _editor(request, workspace, None)


@staff_required
def post_edit(request: HttpRequest, post_id: uuid.UUID) -> HttpResponse:
    post, _membership = get_post_for_user(request, post_id, write=True)
    return _editor(request, post.workspace, post)


@require_POST
@staff_required
def preview(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    """The live preview and checks of what is typed in the editor (HTMX), nothing saved."""
    workspace, _membership = get_workspace_for_user(request, workspace_id, write=True)
    form = PostForm(request.POST, workspace=workspace)
    form.fields["channels"].disabled = False
    return render(request, "content/_checks.html", {"form": form, **_editor_checks(form, None)})


# --- A post -------------------------------------------------------------------------------------


@member_required
def post_detail(request: HttpRequest, post_id: uuid.UUID) -> HttpResponse:
    post, membership = get_post_for_user(request, post_id)
    draft = Draft.from_post(post)
    media = [pm.media for pm in post.post_media.select_related("media")]
    problems = check_schedulable(draft) if post.status in {PostStatus.DRAFT, PostStatus.IN_REVIEW,
                                                            PostStatus.APPROVED} else []
    is_client = membership.role == Role.CLIENT
    can_edit = membership.is_staff_role
    targets = list(post.targets.select_related("channel").order_by("channel__network"))
    # The Bot API deletes only messages under 48 hours old: say so before a delete is asked.
    undeletable = [t.channel.name for t in targets
                   if t.status == TargetStatus.PUBLISHED and past_delete_window(t)]
    # The channels card refreshes itself while a post is on its way: sending, or due within
    # ten minutes (a post scheduled for next week does not poll).
    soon = timezone.now() + timedelta(minutes=10)
    in_flight = any(t.status in {TargetStatus.QUEUED, TargetStatus.PUBLISHING,
                                 TargetStatus.RECONCILING}
                    or (t.status == TargetStatus.SCHEDULED and t.publish_at and t.publish_at < soon)
                    for t in targets)
    return render(request, "content/post_detail.html", {
        "in_flight": in_flight,
        "post": post, "workspace": post.workspace, "previews": previews(draft, media, problems),
        "problems": [p for p in problems if p.blocking],
        "targets": targets, "undeletable": undeletable,
        "comments": post.comments.select_related("author"),
        "events": [(e, history.render(e, post.organisation.timezone))
                   for e in post.events.select_related("author")],
        "can_edit": can_edit, "is_client": is_client,
        "can_decide": (is_client or can_edit) and post.status == PostStatus.IN_REVIEW,
        "can_comment": is_client or can_edit,
        "comment_form": CommentForm(), "reschedule_form": RescheduleForm(initial={"publish_at": post.publish_at}),
        "template_form": TemplateForm(initial={"name": post.label}),
        "ad_label": labels.ad_label(post),
    })


def _done(request: HttpRequest, post: Post | None, message: str, *, error: bool = False,
          to: str | None = None) -> HttpResponse:
    (messages.error if error else messages.success)(request, message)
    if to:
        return redirect(to)
    assert post is not None, "a post or a page to go to"
    return redirect("content:post_detail", post_id=post.pk)


def _act(request: HttpRequest, post: Post, act: Callable[[], Any],
         success: str | Callable[[Any], str], to: str | None = None) -> HttpResponse:
    """Run one content action on the post and say how it went: a refusal (ContentError) as an
    error, else ``success`` (or ``success(result)``); then the post's page, or ``to``."""
    try:
        result = act()
    except actions.ContentError as error:
        return _done(request, post, str(error), error=True, to=to)
    return _done(request, post, success(result) if callable(success) else success, to=to)


@require_POST
@staff_required
def post_review(request: HttpRequest, post_id: uuid.UUID) -> HttpResponse:
    post, _membership = get_post_for_user(request, post_id, write=True)
    return _act(request, post, lambda: actions.send_for_review(post, by=current_user(request)),
                _("Sent to the client for review."))


@require_POST
@member_required
def post_approve(request: HttpRequest, post_id: uuid.UUID) -> HttpResponse:
    post, membership = get_post_for_user(request, post_id)
    require_role(membership, {Role.CLIENT, *STAFF_ROLES})
    comment = request.POST.get("comment", "")[:4000]
    # One-click approval from the client's home goes back there (a fixed page, never a URL).
    to = reverse("overview:home") if request.POST.get("next") == "home" else None
    return _act(request, post, lambda: actions.approve_post(post, by=current_user(request), comment=comment),
                _("The post is approved."), to=to)


@require_POST
@member_required
def post_changes(request: HttpRequest, post_id: uuid.UUID) -> HttpResponse:
    post, membership = get_post_for_user(request, post_id)
    require_role(membership, {Role.CLIENT, *STAFF_ROLES})
    comment = request.POST.get("comment", "")[:4000]
    return _act(request, post, lambda: actions.request_changes(post, by=current_user(request), comment=comment),
                _("Your comment was sent to the agency."))


@require_POST
@member_required
def post_comment(request: HttpRequest, post_id: uuid.UUID) -> HttpResponse:
    post, membership = get_post_for_user(request, post_id)
    require_role(membership, {Role.CLIENT, *STAFF_ROLES})
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _done(request, post, _("The comment is empty."), error=True)
    actions.add_comment(post, form.cleaned_data["text"], by=current_user(request))
    return _done(request, post, _("Comment added."))


@require_POST
@staff_required
def post_schedule(request: HttpRequest, post_id: uuid.UUID) -> HttpResponse:
    post, _membership = get_post_for_user(request, post_id, write=True)
    return _act(request, post, lambda: actions.schedule(post, by=current_user(request)),
                lambda count: _("Scheduled for %(count)s channel(s).") % {"count": count})


@require_POST
@staff_required
def post_unschedule(request: HttpRequest, post_id: uuid.UUID) -> HttpResponse:
    post, _membership = get_post_for_user(request, post_id, write=True)
    return _act(request, post, lambda: actions.unschedule(post, by=current_user(request)),
                _("The post is unscheduled; it stays approved."))


@require_POST
@staff_required
def post_reschedule(request: HttpRequest, post_id: uuid.UUID) -> HttpResponse:
    """Drag and drop on the calendar (``date``, JSON answer) or the date-time field (``publish_at``)."""
    post, _membership = get_post_for_user(request, post_id, write=True)
    form = RescheduleForm(request.POST)
    when = None
    if form.is_valid():
        when = form.cleaned_data.get("publish_at")
        day = form.cleaned_data.get("date")
        if when is None and day is not None:
            zone = _zone(post.workspace)
            kept = post.publish_at.astimezone(zone).time() if post.publish_at else time(12, 0)
            when = datetime.combine(day, kept, zone)
    error = "" if when is not None else _("Choose a date and time.")
    if when is not None:
        try:
            actions.reschedule(post, when, by=current_user(request))
        except actions.ContentError as exc:
            error = str(exc)
    if _wants_json(request):
        if error or when is None:
            return JsonResponse({"ok": False, "error": error}, status=400)
        return JsonResponse({"ok": True, "publish_at": when.isoformat(),
                             "message": _("Moved to %(when)s.") % {"when": actions.local(post, when)}})
    if error:
        return _done(request, post, error, error=True)
    return _done(request, post, _("Moved to %(when)s.") % {"when": actions.local(post, when)})


@require_POST
@staff_required
def post_delete(request: HttpRequest, post_id: uuid.UUID) -> HttpResponse:
    post, _membership = get_post_for_user(request, post_id, write=True)
    to = reverse("content:workspace_calendar", args=[post.workspace_id])
    try:
        remote = actions.delete_post(post, by=current_user(request))
    except actions.ContentError as error:
        return _done(request, post, str(error), error=True)
    kept = list(post.targets.filter(status=TargetStatus.NOT_DELETABLE)
                .values_list("channel__name", flat=True))
    if kept:  # marked at once: the network's delete window has passed
        messages.warning(request, _("Not deletable through the network any more, the post stays "
                                    "on: %(channels)s — delete it there yourself.")
                         % {"channels": ", ".join(kept)})
    if remote:
        return _done(request, None, _("The post is deleted here and is being deleted from the networks."), to=to)
    return _done(request, None, _("The post is deleted."), to=to)


@require_POST
@staff_required
def post_save_template(request: HttpRequest, post_id: uuid.UUID) -> HttpResponse:
    post, _membership = get_post_for_user(request, post_id, write=True)
    form = TemplateForm(request.POST)
    name = form.cleaned_data["name"] if form.is_valid() else post.label
    template = actions.save_as_template(post, name, by=current_user(request))
    return _done(request, post, _("Saved as the template «%(name)s».") % {"name": template.name})


@require_POST
@staff_required
def target_retry(request: HttpRequest, target_id: uuid.UUID) -> HttpResponse:
    target, _membership = get_target_for_user(request, target_id, write=True)
    post = target.post
    back = request.POST.get("next", "")
    to = back if back.startswith("/") and not back.startswith("//") else None
    try:
        actions.retry(target, by=current_user(request), confirmed_absent=request.POST.get("confirmed_absent") == "1")
    except actions.ContentError as error:
        return _done(request, post, str(error), error=True, to=to)
    return _done(request, post, _("Publishing to %(channel)s is being retried.") % {"channel": target.channel},
                 to=to)


# --- Media --------------------------------------------------------------------------------------


@agency_required
def media_library(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_workspace_for_user(request, workspace_id, write=request.method == "POST")
    form = UploadForm()
    status = 200
    added: list[MediaItem] = []
    errors: list[str] = []
    if request.method == "POST":
        files = request.FILES.getlist("files")
        if not files:
            errors.append(_("Choose at least one file."))
        for upload in files:
            try:
                added.append(add_media(workspace, upload, by=current_user(request)))
            except ValidationError as error:
                errors.append(error.messages[0])
        if is_htmx(request):
            return _picker(request, workspace, errors, added)
        if not errors:
            messages.success(request, _("%(count)s file(s) added to the library.") % {"count": len(added)})
            return redirect("content:media_library", workspace_id=workspace.pk)
        status = 400
    items = [{"item": m, "url": _media_url(m)} for m in MediaItem.objects.filter(workspace=workspace)]
    return render(request, "content/media_library.html", {
        "workspace": workspace, "form": form, "items": items, "can_edit": membership.is_staff_role,
        "upload_errors": errors, "added": len(added),
    }, status=status)


def _picker(request: HttpRequest, workspace: Workspace, errors: list[str], added: list[MediaItem]) -> HttpResponse:
    """The editor's media picker after an upload: what was ticked stays ticked, new files too."""
    chosen = set(request.POST.getlist("media")) | {str(m.pk) for m in added}
    rows = [{"item": m, "url": _media_url(m), "checked": str(m.pk) in chosen,
             "order": request.POST.get(f"media_order_{m.pk}", "")}
            for m in MediaItem.objects.filter(workspace=workspace)]
    return render(request, "content/_media_picker.html", {
        "library_rows": rows, "workspace": workspace, "upload_errors": errors,
    })


@member_required
def media_file(request: HttpRequest, media_id: uuid.UUID) -> FileResponse:
    """The file itself, only to members who see its workspace."""
    item, _membership = get_owned(request, MediaItem, media_id, agency=False)
    return _file_response(item)


def _file_response(item: MediaItem) -> FileResponse:
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=item.mime)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_POST
@staff_required
def media_delete(request: HttpRequest, media_id: uuid.UUID) -> HttpResponse:
    item, _membership = get_owned(request, MediaItem, media_id, write=True)
    workspace_id = item.workspace_id
    actions.delete_media(item, by=current_user(request))
    messages.success(request, _("The file is deleted."))
    return redirect("content:media_library", workspace_id=workspace_id)


# --- Rubrics and templates ----------------------------------------------------------------------


@agency_required
def rubrics(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_workspace_for_user(request, workspace_id, write=request.method == "POST")
    form = RubricForm()
    status = 200
    if request.method == "POST":
        form = RubricForm(request.POST)
        if form.is_valid():
            form.instance.organisation = workspace.organisation
            form.instance.workspace = workspace
            form.save()
            messages.success(request, _("The rubric is added."))
            return redirect("content:rubrics", workspace_id=workspace.pk)
        status = 400
    rows = [(r, RubricForm(instance=r, prefix=str(r.pk))) for r in workspace.rubrics.all()]
    return render(request, "content/rubrics.html", {
        "workspace": workspace, "form": form, "rows": rows, "can_edit": membership.is_staff_role,
    }, status=status)


@require_POST
@staff_required
def rubric_edit(request: HttpRequest, rubric_id: uuid.UUID) -> HttpResponse:
    rubric, _membership = get_owned(request, Rubric, rubric_id, write=True)
    form = RubricForm(request.POST, instance=rubric, prefix=str(rubric.pk))
    if form.is_valid():
        form.save()
        messages.success(request, _("The rubric is saved."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("content:rubrics", workspace_id=rubric.workspace_id)


@require_POST
@staff_required
def rubric_delete(request: HttpRequest, rubric_id: uuid.UUID) -> HttpResponse:
    rubric, _membership = get_owned(request, Rubric, rubric_id, write=True)
    rubric.delete()
    messages.success(request, _("The rubric is deleted; its posts keep their content."))
    return redirect("content:rubrics", workspace_id=rubric.workspace_id)


@agency_required
def templates(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_workspace_for_user(request, workspace_id)
    return render(request, "content/templates.html", {
        "workspace": workspace, "templates": workspace.post_templates.select_related("rubric"),
        "can_edit": membership.is_staff_role,
    })


@require_POST
@staff_required
def template_use(request: HttpRequest, template_id: uuid.UUID) -> HttpResponse:
    template, _membership = get_owned(request, PostTemplate, template_id, write=True)
    post = actions.create_from_template(template, by=current_user(request))
    messages.success(request, _("A new draft from the template; choose the channels and the time."))
    return redirect("content:post_edit", post_id=post.pk)


@require_POST
@staff_required
def template_delete(request: HttpRequest, template_id: uuid.UUID) -> HttpResponse:
    template, _membership = get_owned(request, PostTemplate, template_id, write=True)
    template.delete()
    messages.success(request, _("The template is deleted."))
    return redirect("content:templates", workspace_id=template.workspace_id)


# --- Import -------------------------------------------------------------------------------------


@staff_required
def import_upload(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, _membership = get_workspace_for_user(request, workspace_id, write=True)
    form = ImportForm()
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                with transaction.atomic():
                    run = importer.start_import(workspace, upload.name, upload.read(), by=current_user(request))
            except importer.ImportFileError as error:
                form.add_error("file", str(error))
            else:
                return redirect("content:import_detail", import_id=run.pk)
        status = 400
    return render(request, "content/import.html", {
        "workspace": workspace, "form": form, "sync_max": importer.SYNC_MAX_ROWS,
        "max_rows": importer.MAX_ROWS, "columns": importer.TEMPLATE_HEADER,
        "runs": workspace.imports.all()[:10],
    }, status=status)


@staff_required
def import_template_csv(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    get_workspace_for_user(request, workspace_id, write=True)
    response = HttpResponse(importer.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="content-plan-template.csv"'
    return response


@staff_required
def import_template_xlsx(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    get_workspace_for_user(request, workspace_id, write=True)
    response = HttpResponse(
        importer.template_xlsx(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="content-plan-template.xlsx"'
    return response


@agency_required
def import_detail(request: HttpRequest, import_id: uuid.UUID) -> HttpResponse:
    run, _membership = get_owned(request, ImportRun, import_id)
    context = {"run": run, "workspace": run.workspace, "rows": run.rows.select_related("post"),
               "finished": run.status in {ImportRun.Status.DONE, ImportRun.Status.FAILED}}
    if is_htmx(request):
        return render(request, "content/_import_report.html", context)
    return render(request, "content/import_detail.html", context)


# --- Approval links -----------------------------------------------------------------------------


@staff_required
def approval_links(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, _membership = get_workspace_for_user(request, workspace_id, write=True)
    zone = _zone(workspace)
    today = timezone.now().astimezone(zone).date()
    form = ApprovalLinkForm(initial={"date_from": today, "date_to": today.replace(day=28)
                                     if today.day < 28 else today})
    status = 200
    if request.method == "POST":
        form = ApprovalLinkForm(request.POST)
        if form.is_valid():
            link = actions.create_approval_link(workspace, by=current_user(request), **form.cleaned_data)
            if link.email:
                messages.success(request, _("The link is emailed to %(email)s.") % {"email": link.email})
            else:
                messages.success(request, _("The link is ready; copy it below."))
            return redirect("content:approval_links", workspace_id=workspace.pk)
        status = 400
    return render(request, "content/approval_links.html", {
        "workspace": workspace, "form": form, "links": workspace.approval_links.all()[:20],
    }, status=status)


@require_POST
@staff_required
def approval_link_revoke(request: HttpRequest, approval_link_id: uuid.UUID) -> HttpResponse:
    link, _membership = get_owned(request, ApprovalLink, approval_link_id, write=True)
    ApprovalLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    messages.success(request, _("The link no longer works."))
    return redirect("content:approval_links", workspace_id=link.workspace_id)


def _link(token: str) -> ApprovalLink | None:
    link = ApprovalLink.objects.select_related("workspace", "organisation").filter(token=token).first()
    return link if link is not None and link.is_usable else None


def public_approval(request: HttpRequest, approval_token: str) -> HttpResponse:
    """The client's approval page, reached with the link's token; no account needed."""
    link = _link(approval_token)
    if link is None:
        return render(request, "content/public_gone.html", status=410)
    timezone.activate(_zone(link.workspace))
    posts = list(calendar.with_targets(actions.link_posts(link)))
    rows = []
    for post in posts:
        draft = Draft.from_post(post)
        media = [pm.media for pm in post.post_media.select_related("media")]
        rows.append({"post": post, "previews": previews(draft, media, [], token=approval_token),
                     "comments": post.comments.all(), "form": DecisionForm(prefix=str(post.pk))})
    return render(request, "content/public_approval.html", {
        "link": link, "rows": rows, "org": link.organisation, "token": approval_token,
        "waiting": sum(1 for p in posts if p.status == PostStatus.IN_REVIEW),
    })


@require_POST
def public_decide(request: HttpRequest, approval_token: str, post_id: uuid.UUID) -> HttpResponse:
    link = _link(approval_token)
    if link is None:
        return render(request, "content/public_gone.html", status=410)
    post = actions.link_posts(link).filter(pk=post_id).first()
    if post is None:
        raise Http404
    form = DecisionForm(request.POST, prefix=str(post.pk))
    back = reverse("content:public_approval", args=[approval_token]) + f"#post-{post.pk}"
    if not form.is_valid():
        messages.error(request, _("Give your name so the agency knows who decided."))
        return redirect(back)
    name, comment = form.cleaned_data["author_name"], form.cleaned_data["comment"]
    try:
        if request.POST.get("decision") == "approve":
            actions.approve_post(post, author_name=name, comment=comment)
            messages.success(request, _("Approved. Thank you!"))
        elif request.POST.get("decision") == "changes":
            actions.request_changes(post, author_name=name, comment=comment)
            messages.success(request, _("Your comment was sent to the agency."))
        else:
            actions.add_comment(post, comment, author_name=name)
            messages.success(request, _("Comment added."))
    except actions.ContentError as error:
        messages.error(request, str(error))
    return redirect(back)


def public_media(request: HttpRequest, approval_token: str, media_id: uuid.UUID) -> FileResponse:
    link = _link(approval_token)
    if link is None:
        raise Http404
    item = MediaItem.objects.filter(pk=media_id, workspace=link.workspace).first()
    if item is None or not actions.link_posts(link).filter(post_media__media=item).exists():
        raise Http404
    return _file_response(item)
