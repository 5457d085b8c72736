"""The giveaways of a workspace, one giveaway's page, and its public page (no sign-in).

Agency roles only: a client opening these pages gets a 403; another organisation's (or an
unseen workspace's) giveaway is a 404."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import agency_required, get_workspace_for_user, staff_required
from kosmmos.accounts.models import Membership, Workspace
from kosmmos.giveaways import actions, beacon, exchange, outreach
from kosmmos.giveaways.forms import (
    DecisionForm,
    ExchangeForm,
    ExcludeForm,
    GiveawayForm,
    PartnerForm,
)
from kosmmos.giveaways.jobs import steps
from kosmmos.giveaways.models import (
    Exchange,
    Excluded,
    Giveaway,
    JobStatus,
    Partner,
    Role,
    Stage,
)

SHOWN = 500


def get_giveaway_for_user(request: HttpRequest, giveaway_id: uuid.UUID, *,
                          write: bool = False) -> tuple[Giveaway, Membership]:
    found = Giveaway.objects.select_related("workspace", "post").filter(pk=giveaway_id).first()
    if found is None:
        raise Http404
    _workspace, membership = get_workspace_for_user(request, found.workspace_id, write=write)
    return found, membership



@agency_required
def index(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, membership = get_workspace_for_user(request, workspace_id)
    return render(request, "giveaways/index.html", {
        "workspace": workspace, "giveaways": Giveaway.objects.filter(workspace=workspace),
        "form": GiveawayForm(workspace=workspace), "can_edit": membership.is_staff_role,
        "exclusions": Excluded.objects.filter(workspace=workspace).order_by("-created_at"),
        "partners": Partner.objects.filter(workspace=workspace),
        "exclude_form": ExcludeForm(), "partner_form": PartnerForm(),
        **_exchanges(workspace)})


def _exchanges(workspace: Workspace, form: ExchangeForm | None = None) -> dict[str, object]:
    rows = Exchange.objects.filter(workspace=workspace).select_related(
        "partner", "our_post", "their_post")
    return {"exchanges": [(x, exchange.results(x)) for x in rows],
            "exchange_form": form or ExchangeForm(workspace=workspace)}


@require_POST
@staff_required
def create(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, _membership = get_workspace_for_user(request, workspace_id, write=True)
    form = GiveawayForm(request.POST, workspace=workspace)
    if not form.is_valid():
        return render(request, "giveaways/index.html", {
            "workspace": workspace, "giveaways": Giveaway.objects.filter(workspace=workspace), "form": form,
            "can_edit": True, "exclude_form": ExcludeForm(), "partner_form": PartnerForm(),
            "exclusions": Excluded.objects.filter(workspace=workspace),
            "partners": Partner.objects.filter(workspace=workspace),
            **_exchanges(workspace)}, status=400)
    d = form.cleaned_data
    data = actions.GiveawayData(
        title=d["title"], network=d["network"], owner_id=d["owner_id"], item_id=d["item_id"],
        group_id=d["group_id"], token=d["token"], post=d["post"],
        starts_at=d["starts_at"], ends_at=d["ends_at"], winners_count=d["winners_count"],
        reserves_count=d["reserves_count"], answer_days=d["answer_days"],
        conditions={"like": d["like"], "repost": d["repost"], "comment": d["comment"],
                    "word": d["word"], "tag_friend": d["tag_friend"], "member": d["member"],
                    "partners": [p.group_id for p in d["partners"]]},
        rules={"min_age_days": d["min_age_days"], "no_avatar": d["no_avatar"],
               "closed": d["closed"]},
        prizes=[(d["prize_name"], d["prize_cost"] or Decimal(0))] if d["prize_name"] else [])
    try:
        giveaway = actions.create_giveaway(workspace, data, user=request.user)  # type: ignore[arg-type]  # signed in: staff_required
    except actions.Refused as exc:
        messages.error(request, str(exc))
        return redirect("giveaways:index", workspace.pk)
    messages.success(request, _("Giveaway created. Entries are counted every 15 minutes."))
    return redirect("giveaways:detail", giveaway.pk)


@agency_required
def detail(request: HttpRequest, giveaway_id: uuid.UUID) -> HttpResponse:
    giveaway, membership = get_giveaway_for_user(request, giveaway_id)
    people = giveaway.participants.all()
    return render(request, "giveaways/detail.html", {
        "g": giveaway, "workspace": giveaway.workspace, "can_edit": membership.is_staff_role,
        "winners": people.filter(role__in=[Role.WINNER, Role.RESERVE, Role.SKIPPED])
        .order_by("rank"),
        "excluded": people.filter(eligible=False).order_by("user_id")[:SHOWN],
        "excluded_count": people.filter(eligible=False).count(),
        "prizes": giveaway.prizes.all(), "runs": giveaway.runs.all()[:10],
        "outreach": giveaway.outreach.select_related("participant").prefetch_related("tries"),
        "round_at": beacon.time_of(giveaway.drand_round) if giveaway.drand_round else None,
        "public_url": actions.public_url(giveaway), "shown": SHOWN})


@require_POST
@staff_required
def retry(request: HttpRequest, giveaway_id: uuid.UUID) -> HttpResponse:
    giveaway, _membership = get_giveaway_for_user(request, giveaway_id, write=True)
    if steps.retry_failed(giveaway.pk, failed=JobStatus.FAILED):
        messages.success(request, _("Trying again now."))
    return redirect("giveaways:detail", giveaway.pk)


@require_POST
@staff_required
def retry_outreach(request: HttpRequest, giveaway_id: uuid.UUID,
                   outreach_id: uuid.UUID) -> HttpResponse:
    giveaway, _membership = get_giveaway_for_user(request, giveaway_id, write=True)
    row = giveaway.outreach.filter(pk=outreach_id).first()
    if row is None:
        raise Http404
    if outreach.retry(row):
        messages.success(request, _("Trying again now."))
    return redirect("giveaways:detail", giveaway.pk)


@require_POST
@staff_required
def winner(request: HttpRequest, giveaway_id: uuid.UUID) -> HttpResponse:
    """A winner answered, or did not (the next reserve steps in)."""
    giveaway, _membership = get_giveaway_for_user(request, giveaway_id, write=True)
    person = giveaway.participants.filter(user_id=str(request.POST.get("user_id", ""))[:40],
                                          role=Role.WINNER).first()
    if person is None or giveaway.stage != Stage.DRAWN:
        messages.error(request, _("Not a winner of this giveaway."))
    elif request.POST.get("action") == "answered":
        actions.mark_answered(person)
    elif request.POST.get("action") == "no_answer":
        found = actions.promote_reserve(person)
        if found is None:
            messages.error(request, _("No reserve winner left."))
        else:
            messages.success(request, _("%(who)s takes the prize; the results draft is updated.")
                             % {"who": found.name or found.user_id})
    return redirect("giveaways:detail", giveaway.pk)


@require_POST
@staff_required
def exclude(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, _membership = get_workspace_for_user(request, workspace_id, write=True)
    form = ExcludeForm(request.POST)
    if form.is_valid():
        Excluded.objects.update_or_create(
            workspace=workspace, user_id=form.cleaned_data["user_id"],
            defaults={"organisation_id": workspace.organisation_id,
                      "kind": form.cleaned_data["kind"], "note": form.cleaned_data["note"]})
        messages.success(request, _("Saved. It applies from the next collection."))
    else:
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("giveaways:index", workspace.pk)


@require_POST
@staff_required
def partner(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, _membership = get_workspace_for_user(request, workspace_id, write=True)
    form = PartnerForm(request.POST)
    if form.is_valid():
        with transaction.atomic():
            Partner.objects.create(organisation_id=workspace.organisation_id,
                                   workspace=workspace, **form.cleaned_data)
        messages.success(request, _("Partner added."))
    else:
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("giveaways:index", workspace.pk)


def _public(code: str) -> Giveaway:
    found = Giveaway.objects.select_related("workspace").filter(code=code[:24]).first()
    if found is None:
        raise Http404
    return found


def public(request: HttpRequest, code: str) -> HttpResponse:
    """Anyone: the conditions, the count, the hash and round, then the list and the winners."""
    giveaway = _public(code)
    frozen = giveaway.stage != Stage.RUNNING
    listed = giveaway.participants.filter(in_list=True).order_by("user_id")[:2000]
    return render(request, "giveaways/public.html", {
        "g": giveaway, "frozen": frozen, "listed": listed if frozen else [],
        "workspace": giveaway.workspace,
        "winners": giveaway.participants.filter(rank__isnull=False).order_by("rank"),
        "round_at": beacon.time_of(giveaway.drand_round) if giveaway.drand_round else None,
        "prizes": giveaway.prizes.all(), "json_url": actions.public_url(giveaway) + "draw.json",
        "sandbox": giveaway.network == "sandbox"})


def public_json(request: HttpRequest, code: str) -> HttpResponse:
    giveaway = _public(code)
    if giveaway.stage == Stage.RUNNING:
        raise Http404
    return JsonResponse(actions.draw_document(giveaway), json_dumps_params={"indent": 1,
                                                                           "ensure_ascii": False})




@require_POST
@staff_required
def propose_exchange(request: HttpRequest, workspace_id: uuid.UUID) -> HttpResponse:
    workspace, _membership = get_workspace_for_user(request, workspace_id, write=True)
    form = ExchangeForm(request.POST, workspace=workspace)
    if form.is_valid():
        d = form.cleaned_data
        try:
            exchange.propose(workspace, d["partner"], d["our_post"], d["their_text"],
                             user=request.user)  # type: ignore[arg-type]  # signed in: staff_required
        except exchange.Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Exchange proposed. Send the partner the approval link."))
    else:
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("giveaways:index", workspace.pk)


def exchange_public(request: HttpRequest, token: str) -> HttpResponse:
    """The partner's approval link: both posts, and approve or ask for changes."""
    found = Exchange.objects.select_related("workspace", "partner", "our_post").filter(
        token=token[:64]).first()
    if found is None:
        raise Http404
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return render(request, "giveaways/exchange_public.html",
                          {"x": found, "error": True}, status=400)
        if exchange.decide(found, approve=form.cleaned_data["decision"] == "approve",
                           comment=form.cleaned_data["comment"]):
            messages.success(request, _("Thank you, your answer is recorded."))
        return redirect("giveaways:exchange_public", found.token)
    return render(request, "giveaways/exchange_public.html", {"x": found})
