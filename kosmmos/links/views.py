"""Money pages of a workspace: P&L, links (with QR), clicks, conversions, costs, settings, Metrica.

Every view reaches its workspace through ``links/access.py``. The public endpoints (signed
postbacks, the site snippet's collect) are in ``public.py``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import current_user, member_required
from kosmmos.accounts.models import Membership, Workspace
from kosmmos.lib.crypto import DecryptionError
from kosmmos.lib.search import containing
from kosmmos.links import actions, charts, metrica, stats
from kosmmos.links.access import (
    get_cost_for_user,
    get_link_for_user,
    get_money_workspace,
    get_upload_for_user,
)
from kosmmos.links.events import get_store
from kosmmos.links.forms import CostForm, LinkForm, MoneySettingsForm, UploadForm
from kosmmos.links.models import Conversion, ConversionKind, CostEntry, TrackedLink


def _page(request: HttpRequest, workspace: Workspace, membership: Membership, tab: str,
          period: stats.Period | None = None, **extra: Any) -> dict[str, Any]:
    return {"workspace": workspace, "membership": membership, "tab": tab, "period": period,
            "can_write": membership.is_staff_role, "is_agency": membership.is_agency,
            "sees_costs": membership.sees_costs, **extra}


def _period(request: HttpRequest, workspace: Workspace) -> stats.Period:
    return stats.Period.from_query(request.GET, workspace.organisation.timezone)


# --- P&L ----------------------------------------------------------------------------------------


@member_required
def pnl(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_money_workspace(request, workspace_id)
    period = _period(request, workspace)
    figures = stats.pnl(workspace, period)
    base = reverse("links:conversions", args=[workspace.pk])
    costs = reverse("links:costs", args=[workspace.pk])
    chart = charts.pnl_chart(
        figures.months,
        _("Revenue, costs and profit by month") if membership.sees_costs else _("Revenue by month"),
        (_("Revenue"), _("Costs"), _("Profit")),
        revenue_url=lambda r: f"{base}?{period.month(r.month).query()}",
        costs_url=lambda r: f"{costs}?{period.month(r.month).query()}",
        with_costs=membership.sees_costs,
    )
    return render(request, "links/pnl.html", _page(
        request, workspace, membership, "pnl", period, figures=figures, chart=chart,
    ))


# --- Links --------------------------------------------------------------------------------------


@member_required
def link_list(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_money_workspace(request, workspace_id)
    period = _period(request, workspace)
    links = TrackedLink.objects.filter(workspace=workspace).select_related("campaign")
    tag = request.GET.get("tag", "").strip()
    if tag:
        links = containing(links, tag, ("tags",))
    campaign = request.GET.get("campaign", "").strip()
    if campaign:
        links = links.filter(campaign__name=campaign)
    rows = stats.links_table(workspace, period, list(links[:500]))
    form = LinkForm(initial={"network": "vk", "medium": "social"}) if membership.is_staff_role else None
    return render(request, "links/links.html", _page(
        request, workspace, membership, "links", period, rows=rows, form=form, tag=tag,
        campaign=campaign, campaigns=workspace.campaigns.all(),
    ))


@member_required
@require_POST
def link_create(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_money_workspace(request, workspace_id, write=True)
    form = LinkForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            link = actions.create_link(
                workspace, target_url=data["target_url"], network=data["network"],
                medium=data["medium"], campaign=data["campaign"], post_ref=data["post_ref"],
                title=data["title"], tags=data["tags"], user=current_user(request),
            )
        except ValidationError as exc:
            form.add_error("target_url", exc)
        else:
            messages.success(request, _("Short link created: %(url)s") % {"url": link.short_url})
            return redirect("links:link_detail", link_id=link.pk)
    period = _period(request, workspace)
    rows = stats.links_table(workspace, period)
    return render(request, "links/links.html", _page(
        request, workspace, membership, "links", period, rows=rows, form=form,
        campaigns=workspace.campaigns.all(),
    ), status=400)


def _qr(link: TrackedLink, scale: int = 4) -> str:
    return segno.make(link.short_url, error="m").svg_inline(scale=scale, dark="#111827")


@member_required
def link_detail(request: HttpRequest, link_id: uuid.UUID) -> HttpResponse:
    link, membership = get_link_for_user(request, link_id)
    workspace = link.workspace
    period = _period(request, workspace)
    row = stats.links_table(workspace, period, [link])[0]
    start_ms, end_ms = period.ms()
    recent = get_store().clicks(workspace.pk, start_ms, end_ms, link_id=link.pk, limit=20)
    conversions = link.conversions.order_by("-occurred_at")[:20]
    return render(request, "links/link_detail.html", _page(
        request, workspace, membership, "links", period, link=link, row=row, qr=_qr(link),
        recent=[(datetime.fromtimestamp(c.ts_ms / 1000, UTC), c) for c in recent],
        conversions=conversions,
    ))


@member_required
def link_qr(request: HttpRequest, link_id: uuid.UUID) -> HttpResponse:
    link, _membership = get_link_for_user(request, link_id)
    out = segno.make(link.short_url, error="m").svg_inline(scale=10)
    response = HttpResponse(out, content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="qr-{link.code}.svg"'
    return response


@member_required
@require_POST
def link_toggle(request: HttpRequest, link_id: uuid.UUID) -> HttpResponse:
    link, _membership = get_link_for_user(request, link_id, write=True)
    link.is_active = not link.is_active
    link.save(update_fields=["is_active", "updated_at"])
    messages.success(request, _("Link enabled.") if link.is_active else _("Link disabled: it now answers 404."))
    return redirect("links:link_detail", link_id=link.pk)


# --- Drill-downs: clicks, conversions -----------------------------------------------------------


@member_required
def clicks(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_money_workspace(request, workspace_id)
    period = _period(request, workspace)
    bots = request.GET.get("bots") == "1"
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    start_ms, end_ms = period.ms()
    per_page = 100
    rows = get_store().clicks(workspace.pk, start_ms, end_ms, include_bots=bots,
                              limit=per_page + 1, offset=(page - 1) * per_page)
    codes = dict(TrackedLink.objects.filter(workspace=workspace).values_list("pk", "code"))
    items = [(datetime.fromtimestamp(c.ts_ms / 1000, UTC), codes.get(c.link_id, "?"), c)
             for c in rows[:per_page]]
    return render(request, "links/clicks.html", _page(
        request, workspace, membership, "pnl", period, items=items, bots=bots, page=page,
        has_next=len(rows) > per_page,
    ))


@member_required
def conversions(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_money_workspace(request, workspace_id)
    period = _period(request, workspace)
    start, end = period.bounds()
    rows = Conversion.objects.filter(workspace=workspace, occurred_at__gte=start, occurred_at__lt=end)
    kind = request.GET.get("kind", "")
    if kind in ConversionKind.values:
        rows = rows.filter(kind=kind)
    if request.GET.get("attributed") == "1":
        rows = rows.filter(link__isnull=False)
    page = Paginator(rows.select_related("link"), 100).get_page(request.GET.get("page"))
    return render(request, "links/conversions.html", _page(
        request, workspace, membership, "conversions", period, page=page, kind=kind,
        kinds=ConversionKind.choices, attributed=request.GET.get("attributed") == "1",
        form=UploadForm() if membership.is_staff_role else None,
    ))


@member_required
@require_POST
def conversions_import(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_money_workspace(request, workspace_id, write=True)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV file of at most 10 MB."))
        return redirect("links:conversions", workspace_id=workspace.pk)
    report = actions.import_orders(workspace, form.cleaned_data["file"].read())
    return render(request, "links/import_report.html", _page(
        request, workspace, membership, "conversions", report=report,
        back=reverse("links:conversions", args=[workspace.pk]),
    ))


# --- Costs --------------------------------------------------------------------------------------


@member_required
def costs(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_money_workspace(request, workspace_id)
    period = _period(request, workspace)
    form = CostForm(request.POST or None) if membership.is_staff_role else None
    if request.method == "POST":
        get_money_workspace(request, workspace_id, write=True)
        assert form is not None
        if form.is_valid():
            data = form.cleaned_data
            actions.add_cost(workspace, month=data["month"], category=data["category"],
                             amount=data["amount"], network=data["network"], note=data["note"],
                             user=current_user(request))
            messages.success(request, _("Cost added."))
            return redirect(f"{reverse('links:costs', args=[workspace.pk])}?{period.query()}")
    if not membership.sees_costs:
        raise PermissionDenied  # the page exists; the agency keeps its costs to itself
    rows = CostEntry.objects.filter(workspace=workspace, month__gte=period.start, month__lte=period.end)
    category = request.GET.get("category", "")
    if category:
        rows = rows.filter(category=category)
    return render(request, "links/costs.html", _page(
        request, workspace, membership, "costs", period, rows=rows, form=form,
        upload=UploadForm() if membership.is_staff_role else None,
    ), status=400 if form is not None and form.errors else 200)


@member_required
@require_POST
def costs_import(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_money_workspace(request, workspace_id, write=True)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV file of at most 10 MB."))
        return redirect("links:costs", workspace_id=workspace.pk)
    report = actions.import_costs(workspace, form.cleaned_data["file"].read(), current_user(request))
    return render(request, "links/import_report.html", _page(
        request, workspace, membership, "costs", report=report,
        back=reverse("links:costs", args=[workspace.pk]),
    ))


@member_required
@require_POST
def cost_delete(request: HttpRequest, cost_id: uuid.UUID) -> HttpResponse:
    cost = get_cost_for_user(request, cost_id, write=True)
    workspace_id = cost.workspace_id
    if not cost.is_manual:  # an import writes it again; its source is where to change it
        messages.error(request, _("An imported cost is changed in its source, not here."))
        return redirect("links:costs", workspace_id=workspace_id)
    cost.delete()
    messages.success(request, _("Cost deleted."))
    return redirect("links:costs", workspace_id=workspace_id)


# --- Settings, site snippet, Metrica ------------------------------------------------------------


@member_required
def money_settings(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_money_workspace(request, workspace_id, write=True)
    money = actions.money_settings(workspace)
    form = MoneySettingsForm(request.POST or None, instance=money)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Settings saved."))
        return redirect("links:settings", workspace_id=workspace.pk)
    try:
        has_token = bool(money.metrica_token())
    except DecryptionError:
        has_token = False
    return render(request, "links/settings.html", _page(
        request, workspace, membership, "settings", form=form, money=money, has_token=has_token,
        postback_url=request.build_absolute_uri(reverse("links:postback", args=[money.public_key])),
        collect_url=request.build_absolute_uri(reverse("links:collect", args=[money.public_key])),
        script_url=request.build_absolute_uri(static("links/kosmmos-track.js")),
    ), status=400 if form.errors else 200)


@member_required
@require_POST
def rotate_secret(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    from kosmmos.lib.ids import token

    workspace, _membership = get_money_workspace(request, workspace_id, write=True)
    money = actions.money_settings(workspace)
    money.postback_secret = token()
    money.save(update_fields=["postback_secret", "updated_at"])
    messages.success(request, _("A new postback secret was made; the old one no longer works."))
    return redirect("links:settings", workspace_id=workspace.pk)


@member_required
def metrica_page(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_money_workspace(request, workspace_id, write=True)
    money = actions.money_settings(workspace)
    uploads = workspace.metrica_uploads.prefetch_related("tries")[:30]
    pending = Conversion.objects.filter(workspace=workspace, metrica_upload__isnull=True).count()
    return render(request, "links/metrica.html", _page(
        request, workspace, membership, "metrica", money=money, uploads=uploads, pending=pending,
        configured=bool(money.metrica_counter and money.metrica_token_encrypted),
    ))


@member_required
def metrica_export(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, _membership = get_money_workspace(request, workspace_id, write=True)
    money = actions.money_settings(workspace)
    start = Conversion.objects.filter(workspace=workspace).order_by("occurred_at")
    response = HttpResponse(metrica.export_csv(list(start[:100_000]), money.metrica_goal),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="offline-conversions.csv"'
    return response


@member_required
@require_POST
def metrica_upload(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, _membership = get_money_workspace(request, workspace_id, write=True)
    money = actions.money_settings(workspace)
    if not (money.metrica_counter and money.metrica_token_encrypted):
        messages.error(request, _("Set the Metrica counter and token in the settings first."))
    elif metrica.create_upload(workspace, money, current_user(request)) is None:
        messages.info(request, _("Nothing new to upload."))
    else:
        messages.success(request, _("Upload queued."))
    return redirect("links:metrica", workspace_id=workspace.pk)


@member_required
@require_POST
def metrica_retry(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    upload = get_upload_for_user(request, upload_id, write=True)
    if metrica.retry(upload):
        messages.success(request, _("Upload queued again."))
    else:
        messages.info(request, _("This upload is not in a failed state."))
    return redirect("links:metrica", workspace_id=upload.workspace_id)
