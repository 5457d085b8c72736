"""The API's endpoints: handlers and their registry entries (``ENDPOINTS``).

Handlers read through ``api.access`` and write through the apps' own actions and forms — the
post editor's ``PostForm`` and ``content.validation`` for checks, ``content.actions`` for every
status change — so the API enforces exactly what the pages enforce.
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime, time
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosmmos.api import errors, serialize
from kosmmos.api.access import post_for, visible_posts, workspace_for
from kosmmos.api.dispatch import Call
from kosmmos.api.errors import ApiError, invalid_parameter
from kosmmos.api.pagination import PARAMS as PAGE_PARAMS
from kosmmos.api.pagination import paginate, storable
from kosmmos.api.registry import Endpoint, Param
from kosmmos.api.schemas import POST_INPUT, page_of, ref
from kosmmos.channels.models import Network
from kosmmos.content import actions as content
from kosmmos.content.forms import PostForm
from kosmmos.content.models import PostStatus
from kosmmos.content.validation import blocking, check_content
from kosmmos.inbox.models import Item, ItemStatus, Kind, Sentiment
from kosmmos.links import stats
from kosmmos.links.models import TrackedLink

Result = tuple[int, dict[str, Any]]


# --- Query parameters ---------------------------------------------------------------------------


def _choice(call: Call, name: str, values: list[str]) -> str:
    value = call.query.get(name, "")
    if value and value not in values:
        raise invalid_parameter(name, _("Unknown value «%(value)s»; expected one of: %(values)s.")
                                % {"value": value, "values": ", ".join(values)})
    return str(value)


def _parsed(parse: Any, raw: str) -> Any:
    """Django's parsers return None for a malformed value but raise for an impossible one
    (month 13); both are the caller's mistake here."""
    try:
        return parse(raw)
    except ValueError:
        return None


def _moment(call: Call, name: str, *, end_of_day: bool = False) -> datetime | None:
    """An ISO 8601 date-time, or a date (its start, or its end for ``to``) in the agency's zone."""
    raw = call.query.get(name, "")
    if not raw:
        return None
    moment = _parsed(parse_datetime, raw)
    if moment is None and (day := _parsed(parse_date, raw)) is not None:
        moment = datetime.combine(day, time.max if end_of_day else time.min)
    if moment is None:
        raise invalid_parameter(name, _("Expected a date (2026-12-01) or a date and time "
                                        "(2026-12-01T10:00:00+03:00)."))
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(call.membership.organisation.timezone))
    if not storable(moment):  # a real date, but beyond what the database takes (year 1-9999 UTC)
        raise invalid_parameter(name, _("Expected a date (2026-12-01) or a date and time "
                                        "(2026-12-01T10:00:00+03:00)."))
    return moment


def _page(rows: list[dict[str, Any]], cursor: str | None) -> Result:
    return 200, {"results": rows, "next_cursor": cursor}


# --- Workspaces and channels --------------------------------------------------------------------


def list_workspaces(call: Call) -> Result:
    page, cursor = paginate(call.membership.visible_workspaces(), call.query, field="created_at")
    return _page([serialize.workspace(ws) for ws in page], cursor)


def get_workspace(call: Call, workspace_id: uuid.UUID) -> Result:
    return 200, serialize.workspace(workspace_for(call, workspace_id))


def list_channels(call: Call, workspace_id: uuid.UUID) -> Result:
    workspace = workspace_for(call, workspace_id, agency=True)
    return 200, {"results": [serialize.channel(c) for c in workspace.channels.all()]}


# --- Posts --------------------------------------------------------------------------------------


def list_posts(call: Call, workspace_id: uuid.UUID) -> Result:
    workspace = workspace_for(call, workspace_id)
    posts = visible_posts(call, workspace)
    if status := _choice(call, "status", PostStatus.values):
        posts = posts.filter(status=status)  # type: ignore[attr-defined]
    if (start := _moment(call, "from")) is not None:
        posts = posts.filter(publish_at__gte=start)  # type: ignore[attr-defined]
    if (end := _moment(call, "to", end_of_day=True)) is not None:
        posts = posts.filter(publish_at__lte=end)  # type: ignore[attr-defined]
    posts = posts.prefetch_related("variants", "post_media", "targets__channel")  # type: ignore[attr-defined]
    page, cursor = paginate(posts, call.query, field="created_at")
    return _page([serialize.post(p, targets=sorted(
        p.targets.all(), key=lambda t: (t.channel.network, t.channel.name))) for p in page], cursor)


def get_post(call: Call, post_id: uuid.UUID) -> Result:
    post = post_for(call, post_id)
    return 200, serialize.post(post)


def _form_data(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The JSON body as the editor's form data, plus type errors the form would not explain."""
    problems: dict[str, list[str]] = {}
    unknown = sorted(set(body) - set(POST_INPUT["properties"]))
    for name in unknown:
        problems[name] = [_("Unknown field.")]
    data: dict[str, Any] = {}
    for name in ("title", "text", "hashtags", "advertiser", "erid", "rubric"):
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            problems[name] = [_("Expected a string.")]
        data[name] = value
    for name in ("channels", "media"):
        value = body.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems[name] = [_("Expected a list of ids.")]
            continue
        data[name] = value
    for position, media_id in enumerate(data.get("media", []), start=1):
        data[f"media_order_{media_id}"] = str(position)
    if "is_ad" in body:
        if not isinstance(body["is_ad"], bool):
            problems["is_ad"] = [_("Expected true or false.")]
        data["is_ad"] = body["is_ad"] is True
    publish_at = body.get("publish_at")
    if publish_at is not None:
        parsed = _parsed(parse_datetime, publish_at) if isinstance(publish_at, str) else None
        if parsed is None or not storable(  # the form reads a naive time in the agency's zone
                parsed if timezone.is_aware(parsed)
                else parsed.replace(tzinfo=timezone.get_current_timezone())):
            problems["publish_at"] = [_("Expected a date and time in ISO 8601, e.g. "
                                        "2026-12-01T10:00:00+03:00.")]
        data["publish_at"] = parsed
    variants = body.get("variants", {})
    if not isinstance(variants, dict) or not all(isinstance(v, str) for v in variants.values()):
        problems["variants"] = [_("Expected an object of network → text.")]
    else:
        for network, text in variants.items():
            data[f"variant_{network}"] = text
    return data, problems


def _form_errors(form: PostForm) -> dict[str, list[str]]:
    """The editor's field errors, named as the API's fields (``variant_vk`` → ``variants.vk``)."""
    out: dict[str, list[str]] = {}
    for name, messages in form.errors.items():
        key = f"variants.{name.removeprefix('variant_')}" if name.startswith("variant_") else name
        out[key] = [str(m) for m in messages]
    return out


def create_post(call: Call, workspace_id: uuid.UUID) -> Result:
    """A draft post, checked by the editor's form and against every chosen network's limits.

    Unlike the editor (which saves a draft with problems and shows them), the API refuses a post
    with blocking problems: an integration has no preview to read them in.
    """
    workspace = workspace_for(call, workspace_id)
    data, problems = _form_data(call.body)
    if problems:
        raise errors.invalid(problems)
    form = PostForm(data, workspace=workspace)
    valid = form.is_valid()
    fields = _form_errors(form)
    for network in call.body.get("variants", {}):
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
    post = content.save_post(workspace, form.to_data(), by=call.user,
                             note=_("Created through the API"))
    return 201, {**serialize.post(post), "warnings": [p.message for p in found if not p.blocking]}


def _transition(call: Call, post_id: uuid.UUID, action: Any) -> Result:
    """A status change through the content app's own action, with its rules and history."""
    post = post_for(call, post_id)
    try:
        action(post, by=call.user)
    except content.ContentError as error:
        raise ApiError(409, "conflict", str(error)) from error
    post.refresh_from_db()
    return 200, serialize.post(post)


def review_post(call: Call, post_id: uuid.UUID) -> Result:
    return _transition(call, post_id, content.send_for_review)


def approve_post(call: Call, post_id: uuid.UUID) -> Result:
    return _transition(call, post_id, content.approve_post)


def schedule_post(call: Call, post_id: uuid.UUID) -> Result:
    return _transition(call, post_id, content.schedule)


def unschedule_post(call: Call, post_id: uuid.UUID) -> Result:
    return _transition(call, post_id, content.unschedule)


# --- Inbox --------------------------------------------------------------------------------------


def list_inbox(call: Call, workspace_id: uuid.UUID) -> Result:
    workspace = workspace_for(call, workspace_id, agency=True)
    items = Item.objects.filter(workspace=workspace, deleted_at__isnull=True)
    if network := _choice(call, "network", Network.values):
        items = items.filter(network=network)
    if sentiment := _choice(call, "sentiment", Sentiment.values):
        items = items.filter(sentiment=sentiment)
    if status := _choice(call, "status", ItemStatus.values):
        items = items.filter(status=status)
    if kind := _choice(call, "kind", Kind.values):
        items = items.filter(kind=kind)
    if (since := _moment(call, "since")) is not None:
        items = items.filter(received_at__gte=since)
    page, cursor = paginate(items, call.query, field="received_at")
    return _page([serialize.inbox_item(i) for i in page], cursor)


# --- Money --------------------------------------------------------------------------------------


def _period(call: Call) -> stats.Period:
    for name in ("from", "to"):
        raw = call.query.get(name, "")
        # The period reaches up to 35 months before a month and one after it (links/stats.py):
        # months at either end of the calendar are refused, not a 500.
        if raw and (len(raw) != 7 or _parsed(parse_date, f"{raw}-01") is None
                    or not FIRST_MONTH <= raw <= LAST_MONTH):
            raise invalid_parameter(name, _("Expected a month, e.g. 2026-11."))
    return stats.Period.from_query(call.query, call.membership.organisation.timezone)


def list_links(call: Call, workspace_id: uuid.UUID) -> Result:
    workspace = workspace_for(call, workspace_id)
    period = _period(call)
    links = TrackedLink.objects.filter(workspace=workspace).select_related("campaign")
    page, cursor = paginate(links, call.query, field="created_at")
    rows = {row.link.pk: row for row in stats.links_table(workspace, period, page)}
    return _page([serialize.link(rows[lk.pk]) for lk in page], cursor)


def get_pnl(call: Call, workspace_id: uuid.UUID) -> Result:
    workspace = workspace_for(call, workspace_id)
    period = _period(call)
    return 200, {"from": f"{period.start:%Y-%m}", "to": f"{period.end:%Y-%m}",
                 **serialize.pnl(stats.pnl(workspace, period))}


# --- The registry -------------------------------------------------------------------------------

# Months whose period (up to 35 months before, the month after) stays within years 1-9999.
FIRST_MONTH, LAST_MONTH = "0004-01", "9999-11"
# Empty means "not given", as in the pages' filters.
MONTH = {"type": "string", "pattern": r"^((?!9999-12)[1-9]\d{3}-(0[1-9]|1[0-2]))?$"}
DATE_OR_TIME = {"type": "string",
                "anyOf": [{"format": "date"}, {"format": "date-time"}, {"maxLength": 0}]}
MONTHS = (
    Param("from", gettext_lazy("First month, YYYY-MM (default: five months before “to”)."), MONTH),
    Param("to", gettext_lazy("Last month, YYYY-MM (default: this month)."), MONTH),
)
WRITE_ERRORS = (400, 401, 403, 404, 409, 422, 429)
READ_ERRORS = (400, 401, 404, 429)

ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/workspaces", "listWorkspaces", gettext_lazy("Client workspaces you can see"),
             list_workspaces, "workspaces", page_of("Workspace"), query=PAGE_PARAMS,
             errors=READ_ERRORS),
    Endpoint("GET", "/workspaces/{workspace_id}", "getWorkspace", gettext_lazy("A client workspace"),
             get_workspace, "workspaces", ref("Workspace"), errors=READ_ERRORS),
    Endpoint("GET", "/workspaces/{workspace_id}/channels", "listChannels",
             gettext_lazy("Channels of a workspace with their health (agency roles)"), list_channels,
             "channels", {"type": "object", "properties": {
                 "results": {"type": "array", "items": ref("Channel")}}},
             errors=READ_ERRORS),
    Endpoint("GET", "/workspaces/{workspace_id}/posts", "listPosts",
             gettext_lazy("Posts of a workspace's content plan"), list_posts, "posts", page_of("Post"),
             query=(Param("status", gettext_lazy("Only posts in this status."), {"enum": PostStatus.values}),
                    Param("from", gettext_lazy("Publication time from (date or date-time)."),
                          DATE_OR_TIME),
                    Param("to", gettext_lazy("Publication time up to (date or date-time)."),
                          DATE_OR_TIME), *PAGE_PARAMS),
             errors=READ_ERRORS),
    Endpoint("POST", "/workspaces/{workspace_id}/posts", "createPost",
             gettext_lazy("Create a draft post (checked against each network's limits)"), create_post,
             "posts", ref("PostCreated"), status=201, write=True, body=POST_INPUT,
             errors=WRITE_ERRORS),
    Endpoint("GET", "/posts/{post_id}", "getPost",
             gettext_lazy("A post with its per-channel publication state"), get_post, "posts", ref("Post"),
             errors=READ_ERRORS),
    Endpoint("POST", "/posts/{post_id}/review", "reviewPost",
             gettext_lazy("Send a draft to the client for approval"), review_post, "posts", ref("Post"),
             write=True, errors=WRITE_ERRORS),
    Endpoint("POST", "/posts/{post_id}/approve", "approvePost",
             gettext_lazy("Approve a post on the agency's side"), approve_post, "posts", ref("Post"),
             write=True, errors=WRITE_ERRORS),
    Endpoint("POST", "/posts/{post_id}/schedule", "schedulePost",
             gettext_lazy("Schedule an approved post"), schedule_post, "posts", ref("Post"), write=True,
             errors=WRITE_ERRORS),
    Endpoint("POST", "/posts/{post_id}/unschedule", "unschedulePost",
             gettext_lazy("Unschedule a post (it stays approved)"), unschedule_post, "posts", ref("Post"),
             write=True, errors=WRITE_ERRORS),
    Endpoint("GET", "/workspaces/{workspace_id}/inbox", "listInbox",
             gettext_lazy("Comments and messages of a workspace (agency roles)"), list_inbox, "inbox",
             page_of("InboxItem"),
             query=(Param("network", gettext_lazy("Only this network."), {"enum": Network.values}),
                    Param("sentiment", gettext_lazy("Only this sentiment."), {"enum": Sentiment.values}),
                    Param("status", gettext_lazy("Only open or closed items."), {"enum": ItemStatus.values}),
                    Param("kind", gettext_lazy("Only this kind."), {"enum": Kind.values}),
                    Param("since", gettext_lazy("Received at or after (date or date-time)."),
                          DATE_OR_TIME), *PAGE_PARAMS),
             errors=READ_ERRORS),
    Endpoint("GET", "/workspaces/{workspace_id}/links", "listLinks",
             gettext_lazy("Tracked links with clicks, conversions and revenue for a period"), list_links,
             "money", page_of("Link"), query=(*MONTHS, *PAGE_PARAMS), errors=READ_ERRORS),
    Endpoint("GET", "/workspaces/{workspace_id}/pnl", "getPnl",
             gettext_lazy("Revenue, costs and profit by month (P&L)"), get_pnl, "money",
             {"allOf": [ref("Pnl"), {"type": "object", "required": ["from", "to"], "properties": {
                 "from": {"type": "string"}, "to": {"type": "string"}}}]},
             query=MONTHS, errors=READ_ERRORS),
]

PATH_PARAMS = {
    "workspace_id": gettext_lazy("The workspace id (as in the workspace page's address)."),
    "post_id": gettext_lazy("The post id (as in the post page's address)."),
}
