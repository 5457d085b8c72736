"""The results pages: one per client workspace (money, audience, reach and engagement, content,
reviews, forecast vs actual), its drill-downs and target editing, and the agency roll-up.

Every view reaches its workspace through ``accounts.access.get_workspace_for_user`` (tenant
isolation, roles); a client sees the results of the workspaces they were given and edits nothing.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import current_membership, current_user, get_workspace_for_user, member_required
from kosmmos.accounts.models import Workspace
from kosmmos.channels.models import Channel, ChannelStatsSnapshot, Network
from kosmmos.lib.dates import query_date
from kosmmos.lib.money import format_rub
from kosmmos.proposals.models import TargetMetric, WorkspaceTarget
from kosmmos.publishing.stats import request_demographics
from kosmmos.results import charts
from kosmmos.results.actions import set_target
from kosmmos.results.figures import (
    ER_FORMULA,
    ERR_FORMULA,
    Results,
    collect,
    post_figures,
    published_targets,
)
from kosmmos.results.forecast import METHOD_PACE, Row
from kosmmos.results.models import TargetEdit
from kosmmos.results.periods import Span, add_months
from kosmmos.results.templatetags.results_tags import num

MAX_TARGET = Decimal("1e13")


def _span(request: HttpRequest, workspace: Workspace) -> Span:
    return Span.from_query(request.GET, workspace.organisation.timezone)


def _filters(request: HttpRequest, workspace: Workspace) -> tuple[list[str], list[uuid.UUID]]:
    networks = [n for n in request.GET.getlist("network") if n in Network.values]
    channels = []
    for value in request.GET.getlist("channel"):
        try:
            channels.append(uuid.UUID(value))
        except ValueError:
            continue
    return networks, channels


def _filter_query(networks: list[str], channels: list[uuid.UUID]) -> str:
    return "".join([f"&network={n}" for n in networks] + [f"&channel={c}" for c in channels])


def drill_url(workspace: Workspace, span: Span, row: Row) -> str:
    """Where a forecast row's actual comes from: the rows behind it."""
    month = Span.month_of(row.month, span.tz)
    pnl_q = f"from={row.month:%Y-%m}&to={row.month:%Y-%m}"
    if row.metric in (TargetMetric.REACH, TargetMetric.IMPRESSIONS):
        return f"{reverse('results:posts', args=[workspace.pk])}?{month.query()}"
    if row.metric == TargetMetric.SUBSCRIBERS:
        return f"{reverse('results:followers', args=[workspace.pk])}?{month.query()}"
    if row.metric == TargetMetric.CLICKS:
        return f"{reverse('links:clicks', args=[workspace.pk])}?{pnl_q}"
    if row.metric == TargetMetric.SALES:
        return f"{reverse('links:conversions', args=[workspace.pk])}?{pnl_q}&kind=purchase"
    if row.metric == TargetMetric.LEADS:
        return f"{reverse('links:conversions', args=[workspace.pk])}?{pnl_q}"
    return f"{reverse('links:costs', args=[workspace.pk])}?{pnl_q}"


def _delta(now: Any, then: Any) -> float | None:
    if now is None or then is None or not then:
        return None
    return float((Decimal(str(now)) - Decimal(str(then))) / abs(Decimal(str(then))) * 100)


COST_FIGURES = frozenset({"costs", "profit", "romi"})  # what a client sees only when shown costs


def compare_rows(results: Results, *, with_costs: bool = True) -> list[dict[str, Any]]:
    """The headline figures beside the previous period's and the year before's."""
    now = results.headline()
    prev, year = results.previous, results.year_before
    rows = []
    for label, name, kind in ((_("Revenue"), "revenue", "money"), (_("Costs"), "costs", "money"),
                              (_("Profit"), "profit", "money"), ("ROMI, %", "romi", "pct"),
                              (_("Clicks"), "clicks", "int"),
                              (_("Conversions"), "conversions", "int"),
                              (_("Net follower growth"), "followers_net", "int"),
                              (_("Reach"), "reach", "int"),
                              (_("Engagements"), "engagements", "int"),
                              ("ERR, %", "err", "pct"), (_("Negative comments"), "negatives", "int")):
        if not with_costs and name in COST_FIGURES:
            continue
        values = [getattr(h, name) if h else None for h in (now, prev, year)]
        shown = [_show(v, kind) for v in values]
        rows.append({"label": label, "now": shown[0], "prev": shown[1], "year": shown[2],
                     "prev_delta": None if kind == "pct" else _delta(values[0], values[1]),
                     "year_delta": None if kind == "pct" else _delta(values[0], values[2])})
    return rows


def _show(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "money":
        return format_rub(value)
    if kind == "pct":
        return f"{value:.1f}".replace(".", ",")
    return num(value)


@member_required
def workspace_results(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_workspace_for_user(request, workspace_id)
    span = _span(request, workspace)
    networks, channel_ids = _filters(request, workspace)
    results = collect(workspace, span.start, span.end, networks, channel_ids)
    sees_costs = membership.sees_costs
    # The budget row's actual is the month's spend: a cost.
    rows = [(r, drill_url(workspace, span, r)) for r in results.forecast.rows
            if sees_costs or r.metric != TargetMetric.BUDGET]
    filters = _filter_query(networks, channel_ids)
    context: dict[str, Any] = {
        "workspace": workspace, "membership": membership, "r": results, "span": span,
        "money": results.money.figures, "pnl_q": results.money.months.query(),
        "head": results.headline(), "forecast_rows": rows, "filters": filters,
        "prev_month": Span.month_of(add_months(span.start, -1), span.tz),
        "next_month": Span.month_of(add_months(span.start, 1), span.tz),
        "all_channels": Channel.objects.filter(workspace=workspace).order_by("network", "name"),
        "networks": networks, "channel_ids": [str(c) for c in channel_ids],
        "network_choices": Network.choices,
        "er_formula": ER_FORMULA, "err_formula": ERR_FORMULA, "method_pace": METHOD_PACE,
        "can_edit": membership.is_staff_role, "sees_costs": sees_costs,
        "charts": charts.page_charts(results, workspace, with_costs=sees_costs),
        "heat": list(zip([_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
                         charts.heatmap_rows(results), strict=True)),
        "hours": range(24),
        "demographics": charts.demographics_rows(results),
        "inbox_url": reverse("inbox:workspace", args=[workspace.pk]) if membership.is_agency else "",
    }
    e = results.engagement
    context.update({
        "compare": compare_rows(results, with_costs=sees_costs),
        "engagement_cards": [
            (_("Posts"), len(e.posts), "posts"), (_("Views"), e.views, "views"),
            (_("Reach"), e.reach, "reach"), (_("Likes"), e.likes, "likes"),
            (_("Comments"), e.comments, "comments"), (_("Reposts"), e.reposts, "reposts")],
        "content_groups": [(_("By rubric"), results.content.by_rubric),
                           (_("By format"), results.content.by_format),
                           (_("By network"), results.content.by_network)],
        "positive": sum(results.reviews.sentiment.positive),
        "negative": sum(results.reviews.sentiment.negative),
    })
    template = "results/_body.html" if request.headers.get("HX-Request") else "results/page.html"
    return render(request, template, context)


@member_required
@require_POST
def demographics_retry(request: HttpRequest, workspace_id: uuid.UUID,
                       channel_id: uuid.UUID) -> HttpResponse:
    """Read a channel's demographics again at the next stats run (agency staff only)."""
    workspace, membership = get_workspace_for_user(request, workspace_id)
    if not membership.is_staff_role:
        raise Http404
    channel = Channel.objects.filter(workspace=workspace, pk=channel_id).first()
    if channel is None:
        raise Http404
    request_demographics(channel)
    messages.success(request, _("The demographics of %(channel)s will be read again within a "
                                "minute.") % {"channel": channel.name})
    return redirect(reverse("results:workspace", args=[workspace.pk]) + "#demographics")


@member_required
def posts(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    """The posts behind the reach and engagement figures of the period."""
    workspace, membership = get_workspace_for_user(request, workspace_id)
    span = _span(request, workspace)
    networks, channel_ids = _filters(request, workspace)
    chosen = list(Channel.objects.filter(workspace=workspace, **(
        {"network__in": networks} if networks else {}), **(
        {"pk__in": channel_ids} if channel_ids else {})))
    since, until = span.bounds()
    rows = post_figures(workspace, published_targets(workspace, chosen, since, until))
    return render(request, "results/posts.html", {
        "workspace": workspace, "membership": membership, "span": span, "rows": rows,
        "err_formula": ERR_FORMULA})


@member_required
def followers(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    """The daily follower counts behind the audience figures."""
    workspace, membership = get_workspace_for_user(request, workspace_id)
    span = _span(request, workspace)
    rows = (ChannelStatsSnapshot.objects.filter(
        organisation=workspace.organisation_id, channel__workspace=workspace,
        day__gte=span.start, day__lte=span.end).select_related("channel")
        .order_by("-day", "channel__name"))
    return render(request, "results/followers.html", {
        "workspace": workspace, "membership": membership, "span": span, "rows": rows[:2000]})


@member_required
def targets(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    """The month's targets, editable by the agency's staff, with the history of changes."""
    write = request.method == "POST"
    workspace, membership = get_workspace_for_user(request, workspace_id, write=write)
    if write and not membership.is_staff_role:
        raise Http404
    span = _span(request, workspace)
    month = span.start.replace(day=1)
    if write:
        month = query_date(request.POST.get("month", "")) or month
        month = month.replace(day=1)
        changed, errors = 0, []
        for metric in TargetMetric.values:
            raw = request.POST.get(metric, "").strip().replace(" ", "").replace(",", ".")
            if not raw:
                continue
            try:
                value = Decimal(raw)
            except InvalidOperation:
                errors.append(metric)
                continue
            if not value.is_finite() or value < 0 or value >= MAX_TARGET:
                errors.append(metric)
                continue
            changed += set_target(workspace, month, metric, value.quantize(Decimal("0.01")),
                                  by=current_user(request))
        if errors:
            messages.error(request, _("Not saved: %(metrics)s — enter a number from 0.") % {
                "metrics": ", ".join(str(TargetMetric(m).label) for m in errors)})
        elif changed:
            messages.success(request, _("Targets saved."))
        return redirect(f"{reverse('results:targets', args=[workspace.pk])}?month={month:%Y-%m}")
    current = {t.metric: t for t in WorkspaceTarget.objects.filter(workspace=workspace, month=month)}
    return render(request, "results/targets.html", {
        "workspace": workspace, "membership": membership, "month": month,
        "rows": [(m, current.get(m.value)) for m in TargetMetric],
        "history": TargetEdit.objects.filter(workspace=workspace).select_related("by")[:100],
        "can_edit": membership.is_staff_role})


@member_required
def agency(request: HttpRequest) -> HttpResponse:
    """One row per client: the worst pace first."""
    membership = current_membership(request)
    if not membership.is_agency:
        raise Http404
    tz = membership.organisation.timezone
    span = Span.from_query(request.GET, tz)
    rows = []
    for workspace in membership.visible_workspaces().select_related("organisation").order_by("name"):
        results = collect(workspace, span.start, span.end, compare=False, detail=False)
        worst = results.forecast.worst()
        rows.append({"workspace": workspace, "r": results, "worst": worst,
                     "pace": worst.pace if worst else None,
                     "behind": len(results.forecast.behind())})
    sort = request.GET.get("sort", "pace")
    keys: dict[str, Any] = {
        "pace": lambda x: (x["pace"] is None, x["pace"] or 0),
        "name": lambda x: x["workspace"].name.lower(),
        "revenue": lambda x: -x["r"].money.figures.revenue,
        "romi": lambda x: -(x["r"].money.figures.romi or -1e9),
        "followers": lambda x: -(x["r"].audience.net or -1e9),
    }
    rows.sort(key=keys.get(sort, keys["pace"]))
    return render(request, "results/agency.html", {"rows": rows, "span": span, "sort": sort,
                                                   "membership": membership})
