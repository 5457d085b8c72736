"""The API's operations. ninja routes them, checks their parameters and bodies against
``schemas`` and describes them in the OpenAPI document, all from these declarations.

Handlers read through ``api.access`` and write through the apps' own actions and forms — the
post editor's ``PostForm`` and ``content.validation`` for checks, ``content.actions`` for every
status change — so the API enforces exactly what the pages enforce.
"""


import uuid
from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from kosmmos.api import errors, schemas
from kosmmos.api.access import post_for, visible_posts, workspace_for
from kosmmos.api.errors import ApiError
from kosmmos.api.idempotency import HEADER, MAX_KEY, idempotent
from kosmmos.api.pagination import CursorPagination
from kosmmos.api.security import READ, WRITE, caller
from kosmmos.api.text import gettext_lazy
from kosmmos.competitors import stats as competitor_stats
from kosmmos.content import actions as content
from kosmmos.content.forms import PostForm
from kosmmos.content.models import Post
from kosmmos.content.validation import blocking, check_content
from kosmmos.inbox.models import Item, Kind
from kosmmos.links import stats
from kosmmos.links.models import TrackedLink
from kosmmos.reports import actions as reports
from kosmmos.reports import pdf as report_pdf
from kosmmos.reports.access import visible_reports
from kosmmos.reports.dispatch import drafts as report_drafts

router = Router(auth=READ)

PATH_PARAMS = {
    "workspace_id": gettext_lazy("The workspace id (as in the workspace page's address)."),
    "post_id": gettext_lazy("The post id (as in the post page's address)."),
    "report_id": gettext_lazy("The report id (as in the report page's address)."),
    "webhook_id": gettext_lazy("The webhook id (from the webhook list)."),
}


# --- Workspaces and channels --------------------------------------------------------------------


@router.get("/workspaces", response=list[schemas.Workspace], operation_id="listWorkspaces",
            url_name="listWorkspaces", summary=gettext_lazy("Client workspaces you can see"),
            tags=["workspaces"])
@paginate(CursorPagination, field="created_at")
def list_workspaces(request: HttpRequest) -> Any:
    return caller(request).membership.visible_workspaces()


@router.get("/workspaces/{uuid:workspace_id}", response=schemas.Workspace, operation_id="getWorkspace",
            url_name="getWorkspace", summary=gettext_lazy("A client workspace"), tags=["workspaces"])
def get_workspace(request: HttpRequest, workspace_id: uuid.UUID) -> Any:
    return workspace_for(caller(request), workspace_id)


@router.get("/workspaces/{uuid:workspace_id}/channels", response=schemas.ChannelList,
            operation_id="listChannels", url_name="listChannels",
            summary=gettext_lazy("Channels of a workspace with their health (agency roles)"),
            tags=["channels"])
def list_channels(request: HttpRequest, workspace_id: uuid.UUID) -> Any:
    workspace = workspace_for(caller(request), workspace_id, agency=True)
    return {"results": list(workspace.channels.all())}


# --- Posts --------------------------------------------------------------------------------------


@router.get("/workspaces/{uuid:workspace_id}/posts", response=list[schemas.Post], operation_id="listPosts",
            url_name="listPosts", summary=gettext_lazy("Posts of a workspace's content plan"),
            tags=["posts"])
@paginate(CursorPagination, field="created_at")
def list_posts(request: HttpRequest, workspace_id: uuid.UUID,
               filters: Query[schemas.PostFilters]) -> Any:
    call = caller(request)
    posts = visible_posts(call, workspace_for(call, workspace_id))
    if filters.status:
        posts = posts.filter(status=filters.status)
    if filters.start is not None:
        posts = posts.filter(publish_at__gte=filters.start)
    if filters.end is not None:
        posts = posts.filter(publish_at__lte=filters.end)
    return posts.prefetch_related("variants", "post_media", "targets__channel")


@router.get("/posts/{uuid:post_id}", response=schemas.Post, operation_id="getPost", url_name="getPost",
            summary=gettext_lazy("A post with its per-channel publication state"), tags=["posts"])
def get_post(request: HttpRequest, post_id: uuid.UUID) -> Any:
    return post_for(caller(request), post_id)


def _form_data(body: schemas.PostIn) -> dict[str, Any]:
    """The checked body as the editor's form data."""
    data: dict[str, Any] = {name: value for name in ("title", "text", "hashtags", "advertiser", "erid", "rubric")
                            if (value := getattr(body, name)) is not None}
    data["channels"], data["media"], data["is_ad"] = body.channels, body.media, body.is_ad
    for position, media_id in enumerate(body.media, start=1):
        data[f"media_order_{media_id}"] = str(position)
    if body.publish_at is not None:
        data["publish_at"] = body.publish_at
    for network, text in body.variants.items():
        data[f"variant_{network}"] = text
    return data


def _form_errors(form: PostForm) -> dict[str, list[str]]:
    """The editor's field errors, named as the API's fields (``variant_vk`` → ``variants.vk``)."""
    out: dict[str, list[str]] = {}
    for name, messages in form.errors.items():
        key = f"variants.{name.removeprefix('variant_')}" if name.startswith("variant_") else name
        out[key] = [str(m) for m in messages]
    return out


@router.post("/workspaces/{uuid:workspace_id}/posts", response={201: schemas.PostCreated}, auth=WRITE,
             operation_id="createPost", url_name="createPost",
             summary=gettext_lazy("Create a draft post (checked against each network's limits)"),
             tags=["posts"])
@idempotent(201)
def create_post(request: HttpRequest, workspace_id: uuid.UUID, body: schemas.PostIn | None = None) -> Any:
    """A draft post, checked by the editor's form and against every chosen network's limits.

    Unlike the editor (which saves a draft with problems and shows them), the API refuses a post
    with blocking problems: an integration has no preview to read them in.
    """
    body = body or schemas.PostIn()
    workspace = workspace_for(caller(request), workspace_id)
    form = PostForm(_form_data(body), workspace=workspace)
    valid = form.is_valid()
    fields = _form_errors(form)
    for network in body.variants:
        if network not in form.networks:
            fields[f"variants.{network}"] = [_("The workspace has no %(network)s channel.")
                                             % {"network": network}]
    if not valid or fields:
        raise errors.invalid(fields)
    found = check_content(form.draft())
    refused = blocking(found)
    if refused:
        fields = {}
        for problem in refused:
            fields.setdefault(f"networks.{problem.network}" if problem.network else "content",
                              []).append(problem.message)
        raise errors.invalid(fields, refused[0].message)
    post = content.save_post(workspace, form.to_data(), by=caller(request).user,
                             note=_("Created through the API"))
    post.warnings = [p.message for p in found if not p.blocking]  # type: ignore[attr-defined]  # for PostCreated
    return schemas.PostCreated.from_orm(post)


def _transition(request: HttpRequest, post_id: uuid.UUID, action: Any) -> schemas.Post:
    """A status change through the content app's own action, with its rules and history."""
    call = caller(request)
    post = post_for(call, post_id)
    try:
        action(post, by=call.user)
    except content.ContentError as error:
        raise ApiError(409, "conflict", str(error)) from error
    return schemas.Post.from_orm(
        Post.objects.prefetch_related("variants", "post_media", "targets__channel").get(pk=post.pk))


def _transition_operation(name: str, operation_id: str, summary: Any, action: Any) -> None:
    def view(request: HttpRequest, post_id: uuid.UUID) -> Any:
        return _transition(request, post_id, action)

    view.__name__ = name
    router.post(f"/posts/{{uuid:post_id}}/{name.removesuffix('_post')}", response=schemas.Post, auth=WRITE,
                operation_id=operation_id, url_name=operation_id, summary=summary,
                tags=["posts"])(idempotent(200)(view))


_transition_operation("review_post", "reviewPost", gettext_lazy("Send a draft to the client for approval"),
                      content.send_for_review)
_transition_operation("approve_post", "approvePost", gettext_lazy("Approve a post on the agency's side"),
                      content.approve_post)
_transition_operation("schedule_post", "schedulePost", gettext_lazy("Schedule an approved post"),
                      content.schedule)
_transition_operation("unschedule_post", "unschedulePost",
                      gettext_lazy("Unschedule a post (it stays approved)"), content.unschedule)


# --- Inbox --------------------------------------------------------------------------------------


@router.get("/workspaces/{uuid:workspace_id}/inbox", response=list[schemas.InboxItem], operation_id="listInbox",
            url_name="listInbox", summary=gettext_lazy("Comments and messages of a workspace (agency roles)"),
            tags=["inbox"])
@paginate(CursorPagination, field="received_at")
def list_inbox(request: HttpRequest, workspace_id: uuid.UUID, filters: Query[schemas.InboxFilters]) -> Any:
    workspace = workspace_for(caller(request), workspace_id, agency=True)
    items = Item.objects.filter(workspace=workspace, deleted_at__isnull=True)
    for name in ("network", "sentiment", "status", "kind"):
        if value := getattr(filters, name):
            items = items.filter(**{name: value})
    if filters.since is not None:
        items = items.filter(received_at__gte=filters.since)
    return items


# --- Money --------------------------------------------------------------------------------------


def _period(request: HttpRequest, months: schemas.Months) -> stats.Period:
    return stats.Period.from_query(months.query(), caller(request).membership.organisation.timezone)


def _with_figures(links: list[TrackedLink], *, request: HttpRequest, months: schemas.Months,
                  **_params: Any) -> list[schemas.Link]:
    if not links:
        return []
    rows = {row.link.pk: row for row in stats.links_table(links[0].workspace, _period(request, months), links)}
    return [schemas.Link.of(rows[lk.pk]) for lk in links]


@router.get("/workspaces/{uuid:workspace_id}/links", response=list[schemas.Link], operation_id="listLinks",
            url_name="listLinks",
            summary=gettext_lazy("Tracked links with clicks, conversions and revenue for a period"),
            tags=["money"])
@paginate(CursorPagination, field="created_at", prepare=_with_figures)
def list_links(request: HttpRequest, workspace_id: uuid.UUID, months: Query[schemas.Months]) -> Any:
    workspace = workspace_for(caller(request), workspace_id)
    return TrackedLink.objects.filter(workspace=workspace).select_related("campaign", "workspace")


@router.get("/workspaces/{uuid:workspace_id}/pnl", response=schemas.Pnl, by_alias=True, operation_id="getPnl",
            url_name="getPnl", summary=gettext_lazy("Revenue, costs and profit by month (P&L)"),
            tags=["money"])
def get_pnl(request: HttpRequest, workspace_id: uuid.UUID, months: Query[schemas.Months]) -> Any:
    call = caller(request)
    workspace = workspace_for(call, workspace_id)
    period = _period(request, months)
    pnl = schemas.Pnl.of(stats.pnl(workspace, period), f"{period.start:%Y-%m}", f"{period.end:%Y-%m}")
    return pnl if call.membership.sees_costs else pnl.without_costs()


# --- Competitors and mentions -------------------------------------------------------------------


@router.get("/workspaces/{uuid:workspace_id}/competitors", response=schemas.CompetitorList,
            operation_id="listCompetitors", url_name="listCompetitors",
            summary=gettext_lazy("The client's communities and its competitors' side by side, "
                                 "for a period (agency roles)"), tags=["competitors"])
def list_competitors(request: HttpRequest, workspace_id: uuid.UUID,
                     period: Query[schemas.Period]) -> Any:
    workspace = workspace_for(caller(request), workspace_id, agency=True)
    rows = competitor_stats.compare(workspace, period.days)
    return {"days": period.days, "results": [{
        "follow_id": r.follow.pk, "community_id": r.community.pk,
        "network": r.community.network, "handle": r.community.handle,
        "name": str(r.community), "url": r.community.url, "own": r.follow.own,
        "status": r.community.status, "last_error": r.community.last_error,
        "last_read_at": r.community.last_read_at, "followers": r.followers,
        "growth": r.growth, "posts": r.posts, "posts_per_week": round(r.per_week, 2),
        "likes": round(r.likes, 2), "comments": round(r.comments, 2),
        "reposts": round(r.reposts, 2), "views": round(r.views, 2),
        "er": None if r.er is None else round(r.er, 4),
        "err": None if r.err is None else round(r.err, 4),
        "ad_share": round(r.ad_share, 4), "formats": dict(r.formats),
        "top_posts": [{k: p[k] for k in ("url", "text", "engagement", "views")}
                      for p in r.top],
    } for r in rows]}


@router.get("/workspaces/{uuid:workspace_id}/competitors/moves", response=list[schemas.KeyMove],
            operation_id="listKeyMoves", url_name="listKeyMoves",
            summary=gettext_lazy("Competitors' key moves, newest first (agency roles)"),
            tags=["competitors"])
def list_key_moves(request: HttpRequest, workspace_id: uuid.UUID) -> Any:
    workspace = workspace_for(caller(request), workspace_id, agency=True)
    return [{"community_id": m.community_id, "community": str(m.community), "kind": m.kind,
             "detail": m.detail, "post_url": m.post.url if m.post else "",
             "found_at": m.found_at} for m in competitor_stats.moves(workspace, limit=100)]


@router.get("/workspaces/{uuid:workspace_id}/mentions", response=list[schemas.Mention],
            operation_id="listMentions", url_name="listMentions",
            summary=gettext_lazy("Brand mentions found on the networks (agency roles)"),
            tags=["competitors"])
@paginate(CursorPagination, field="received_at")
def list_mentions(request: HttpRequest, workspace_id: uuid.UUID) -> Any:
    workspace = workspace_for(caller(request), workspace_id, agency=True)
    return Item.objects.filter(workspace=workspace, kind=Kind.MENTION, deleted_at__isnull=True)
# --- Client reports -------------------------------------------------------------------------------


@router.get("/reports", response=list[schemas.Report], operation_id="listReports",
            url_name="listReports",
            summary=gettext_lazy("Client reports (clients: the sent reports of their workspaces)"),
            tags=["reports"])
@paginate(CursorPagination, field="created_at",
          prepare=lambda rows, **_params: [schemas.Report.of(r) for r in rows])
def list_reports(request: HttpRequest) -> Any:
    return visible_reports(caller(request).membership)


def _report(request: HttpRequest, report_id: uuid.UUID) -> Any:
    report = visible_reports(caller(request).membership).filter(pk=report_id).first()
    if report is None:
        raise errors.not_found()
    return report


@router.get("/reports/{uuid:report_id}", response=schemas.Report, operation_id="getReport",
            url_name="getReport", summary=gettext_lazy("A client report with its figures"),
            tags=["reports"])
def get_report(request: HttpRequest, report_id: uuid.UUID) -> Any:
    return schemas.Report.of(_report(request, report_id))


PDF_ANSWER = {"responses": {"200": {"description": "PDF", "content": {
    "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}}


@router.get("/reports/{uuid:report_id}/pdf", operation_id="getReportPdf", url_name="getReportPdf",
            summary=gettext_lazy("The report's PDF (its current version; a sent report's as sent)"),
            tags=["reports"], openapi_extra=PDF_ANSWER)
def get_report_pdf(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    report = _report(request, report_id)
    if report.version is None:
        raise ApiError(404, "not_found", _("The report has no version yet."))
    response = HttpResponse(report_pdf.pdf_for(report, report.version),
                            content_type="application/pdf")
    response["Content-Disposition"] = \
        f'attachment; filename="{report_pdf.filename(report, report.version)}"'
    return response


@router.post("/workspaces/{uuid:workspace_id}/reports",
             response={200: schemas.Report, 201: schemas.Report}, auth=WRITE,
             operation_id="draftReport", url_name="draftReport",
             summary=gettext_lazy("Draft the workspace's report for a month (once per month: "
                                  "an existing report is returned)"),
             tags=["reports"])
def draft_report(request: HttpRequest, workspace_id: uuid.UUID,
                 body: schemas.ReportDraftIn | None = None) -> Any:
    # Drafting is idempotent by itself (one report per month); a key is checked, not stored.
    if len(request.headers.get(HEADER, "").strip()) > MAX_KEY:
        raise errors.invalid_parameter(HEADER, _("The key is longer than 200 characters."))
    if request.body.strip() and not request.body.lstrip().startswith(b"{"):
        raise errors.invalid({"body": [_("Expected a JSON object.")]})
    workspace = workspace_for(caller(request), workspace_id, agency=True)
    today = timezone.localdate()
    month = (body.month if body and body.month else None)
    first = date.fromisoformat(f"{month}-01") if month else \
        (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    report, created = reports.request_draft(workspace, first, last)
    if created:
        report_drafts.kick(report.pk)
        report.refresh_from_db()
    return (201 if created else 200), schemas.Report.of(report)
