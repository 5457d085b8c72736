from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import (
    agency_required,
    current_membership,
    current_user,
    membership_in,
    require_role,
    staff_required,
)
from kosmmos.accounts.models import STAFF_ROLES, Membership, Organisation, Role
from kosmmos.briefs import actions, consent
from kosmmos.briefs.choices import EXTREMIST_NOTE, FLAGGED_NETWORKS
from kosmmos.briefs.forms import HONEYPOT, BriefForm, LeadAssignForm, LeadNoteForm, LeadStatusForm
from kosmmos.briefs.models import ConsentText, Lead, LeadStatus
from kosmmos.lib.htmx import is_htmx
from kosmmos.lib.ratelimit import Window, client_ip
from kosmmos.lib.search import containing


def brief_window() -> Window:
    return Window("brief", settings.BRIEF_RATE_LIMIT, settings.BRIEF_RATE_WINDOW_S)


def get_lead_for_user(
    request: HttpRequest, lead_id: uuid.UUID, *, write: bool = False
) -> tuple[Lead, Membership]:
    """A lead of one of the user's organisations; leads are agency-only (clients get 404)."""
    lead = Lead.objects.select_related("brief", "organisation", "assignee").filter(pk=lead_id).first()
    if lead is None:
        raise Http404
    membership = membership_in(request, lead.organisation_id)
    if membership.role == Role.CLIENT:
        raise Http404
    if write:
        require_role(membership, STAFF_ROLES)
    return lead, membership


# --- The public form --------------------------------------------------------------------------

@xframe_options_exempt  # the agency embeds it on its own site
def brief_form(request: HttpRequest, code: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, brief_code=code)
    embed = request.GET.get("embed") == "1"
    status = 200
    shown = consent.latest(organisation)
    version = shown.version if shown else None
    if request.method == "POST":
        form = BriefForm(request.POST)
        version = consent.parse_version(request.POST.get("consent_version"))
        if form.is_bot():
            # Look like success so the bot moves on; nothing is stored.
            return redirect(_thanks_url(code, embed))
        ip = client_ip(request)
        window = brief_window()
        if form.is_valid():
            # Checked and counted in one step: simultaneous briefs cannot all pass a last slot.
            if ip and not window.take(ip):
                minutes = max(1, round(window.retry_after() / 60))
                form.add_error(None, _(
                    "Too many briefs were sent from your address. Everything you typed is kept: "
                    "press “Send” again in %(minutes)s min."
                ) % {"minutes": minutes})
                status = 429
            else:
                actions.submit_brief(
                    organisation, {**form.cleaned_data, "consent_version": version}, ip=ip,
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                    language=get_language() or settings.LANGUAGE_CODE,
                )
                return redirect(_thanks_url(code, embed))
        else:
            status = 400
    else:
        form = BriefForm()
    context = {
        "org": organisation, "form": form, "embed": embed, "honeypot": form[HONEYPOT],
        "consent_text": _consent_label(organisation, shown), "consent_version": version or "",
        "flagged": sorted(FLAGGED_NETWORKS), "extremist_note": EXTREMIST_NOTE,
    }
    return render(request, "briefs/public_form.html", context, status=status)


def _consent_label(organisation: Organisation, shown: ConsentText | None) -> str:
    """The agency's own consent wording (escaped) with its policy link; "" for the default,
    which the template shows in the visitor's language."""
    if shown is None or shown.default:
        return ""
    text = linebreaksbr(shown.text, autoescape=True)
    if not organisation.policy_url:
        return text
    return format_html('{} (<a href="{}" target="_blank" rel="noopener">{}</a>)', text,
                       organisation.policy_url, _("personal data policy"))


def _thanks_url(code: str, embed: bool) -> str:
    return f"/brief/{code}/thanks/" + ("?embed=1" if embed else "")


@xframe_options_exempt
def brief_thanks(request: HttpRequest, code: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, brief_code=code)
    return render(
        request, "briefs/public_thanks.html",
        {"org": organisation, "embed": request.GET.get("embed") == "1"},
    )


# --- The leads board --------------------------------------------------------------------------

# Cards per board column before "show all": a board of hundreds of leads stays one screen.
BOARD_COLUMN_CARDS = 30


def _board_leads(membership: Membership, params: QueryDict) -> QuerySet[Lead]:
    """The leads the board shows for its filters (``assignee=me``, ``q``)."""
    leads = Lead.objects.filter(organisation=membership.organisation).select_related(
        "brief", "assignee"
    )
    if params.get("assignee") == "me":
        leads = leads.filter(assignee_id=membership.user_id)
    query = params.get("q", "").strip()
    if query:
        leads = containing(leads, query, ("title", "brief__email", "brief__contact_name"))
    return leads


def _counts(leads: QuerySet[Lead]) -> dict[str, int]:
    return dict(leads.values_list("status").annotate(n=Count("pk")).order_by())


@agency_required
def lead_board(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    leads = _board_leads(membership, request.GET)
    mine = request.GET.get("assignee") == "me"
    query = request.GET.get("q", "").strip()
    # A column shows its newest cards; "show all" opens one column in full (?column=<status>).
    counts = _counts(leads)
    opened = request.GET.get("column", "")
    columns = []
    for value, label in LeadStatus.choices:
        count = counts.get(value, 0)
        shown = list(leads.filter(status=value)[: None if opened == value else BOARD_COLUMN_CARDS])
        columns.append({"status": value, "label": label, "leads": shown, "count": count,
                        "hidden": count - len(shown)})
    return render(request, "briefs/lead_board.html", {
        "columns": columns, "mine": mine, "q": query, "total": sum(counts.values()),
        "can_edit": membership.is_staff_role, "statuses": LeadStatus.choices,
    })


@agency_required
def lead_detail(request: HttpRequest, lead_id: uuid.UUID) -> HttpResponse:
    lead, membership = get_lead_for_user(request, lead_id)
    return render(request, "briefs/lead_detail.html", _lead_context(lead, membership))


def _lead_context(lead: Lead, membership: Membership, **extra: object) -> dict[str, object]:
    context: dict[str, object] = {
        "lead": lead, "brief": lead.brief, "events": lead.events.select_related("author")[:100],
        "can_edit": membership.is_staff_role,
        "status_form": LeadStatusForm(initial={"status": lead.status}),
        "assign_form": LeadAssignForm(lead=lead, initial={"assignee": lead.assignee_id}),
        "note_form": LeadNoteForm(), "extremist_note": EXTREMIST_NOTE,
    }
    context.update(extra)
    return context


@require_POST
@staff_required
def lead_status(request: HttpRequest, lead_id: uuid.UUID) -> HttpResponse:
    lead, membership = get_lead_for_user(request, lead_id, write=True)
    form = LeadStatusForm(request.POST)
    if form.is_valid():
        actions.change_lead_status(lead, form.cleaned_data["status"], current_user(request))
    if is_htmx(request):
        # The counts follow the card, for the filters of the board it was moved on (htmx names
        # the page's address in HX-Current-URL; only its q and assignee are read).
        board = QueryDict(urlsplit(request.headers.get("HX-Current-URL", "")).query)
        counts = _counts(_board_leads(membership, board))
        return render(request, "briefs/_lead_moved.html", {
            "lead": lead, "can_edit": True, "statuses": LeadStatus.choices, "moved": True,
            "counts": [(value, counts.get(value, 0)) for value in LeadStatus.values],
            "total": sum(counts.values()),
        })
    return redirect("briefs:lead_detail", lead_id=lead.pk)


@require_POST
@staff_required
def lead_assign(request: HttpRequest, lead_id: uuid.UUID) -> HttpResponse:
    lead, _membership = get_lead_for_user(request, lead_id, write=True)
    form = LeadAssignForm(request.POST, lead=lead)
    if form.is_valid():
        actions.assign_lead(lead, form.cleaned_data["assignee"], current_user(request))
        messages.success(request, _("Assignee saved."))
    else:
        messages.error(request, _("Choose a member of the agency."))
    return redirect("briefs:lead_detail", lead_id=lead.pk)


@require_POST
@staff_required
def lead_note(request: HttpRequest, lead_id: uuid.UUID) -> HttpResponse:
    lead, membership = get_lead_for_user(request, lead_id, write=True)
    form = LeadNoteForm(request.POST)
    if not form.is_valid():
        return render(
            request, "briefs/lead_detail.html", _lead_context(lead, membership, note_form=form),
            status=400,
        )
    actions.add_lead_note(lead, form.cleaned_data["text"], current_user(request))
    return redirect("briefs:lead_detail", lead_id=lead.pk)


@require_POST
@staff_required
def lead_convert(request: HttpRequest, lead_id: uuid.UUID) -> HttpResponse:
    lead, _membership = get_lead_for_user(request, lead_id, write=True)
    workspace = actions.convert_lead(lead, current_user(request))
    messages.success(request, _("Workspace “%(name)s” created.") % {"name": workspace.name})
    return redirect("accounts:workspace_detail", workspace_id=workspace.pk)
