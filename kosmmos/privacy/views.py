"""Settings → Personal data: owners answer a person's request, set the retention and the brief
form's consent text, export the agency's data and delete the agency."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import current_membership, member_required, require_role
from kosmmos.accounts.models import Membership, Organisation, Role
from kosmmos.audit.log import record
from kosmmos.briefs import consent
from kosmmos.briefs.models import ConsentText
from kosmmos.lib.htmx import is_htmx
from kosmmos.privacy import actions, organisation
from kosmmos.privacy.forms import ConsentTextForm, DeletionForm, PersonForm, RetentionForm
from kosmmos.privacy.models import OrganisationDeletion, OrganisationExport, Retention


def _owner(request: HttpRequest) -> Membership:
    membership = current_membership(request)
    require_role(membership, {Role.OWNER})
    return membership


@member_required
def personal_data(request: HttpRequest) -> HttpResponse:
    org = _owner(request).organisation
    form = PersonForm(request.POST if request.method == "POST" else request.GET or None)
    person = None
    if form.is_valid():
        kind, value = form.cleaned_data["kind"], form.cleaned_data["value"]
        try:
            find = actions.find_person if request.method == "POST" else actions.search
            person = find(org, kind, value)
        except ValueError:
            form.add_error("value", _("Enter at least 7 digits of the phone."))
    if person is not None and request.method == "POST":
        if request.POST.get("do") == "export":
            response = HttpResponse(actions.export_person(person, org),
                                    content_type="application/json; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="personal-data.json"'
            return response
        if request.POST.get("do") == "anonymise":
            counts = actions.anonymise(person, org, keep_texts=bool(request.POST.get("keep_texts")))
            messages.success(request, _(
                "The person's data is anonymised: %(leads)s leads, %(inbox_items)s inbox items, "
                "%(conversions)s conversions, %(emails)s emails.") % counts)
            return redirect("privacy:personal_data")
    retention, _created = Retention.objects.get_or_create(organisation=org)
    texts = list(ConsentText.objects.filter(organisation=org).select_related("created_by")[:10])
    current = texts[0] if texts else None
    return render(request, "privacy/personal_data.html", {
        "form": form, "person": person, "retention_form": RetentionForm(instance=retention),
        "retention": retention, "consent_texts": texts,
        "consent_form": ConsentTextForm(initial={"text": current.text if current else consent.default_text()}),
        "deletion_form": DeletionForm(), **_org_data(org),
    })


def _org_data(org: Organisation) -> dict[str, object]:
    exports = list(OrganisationExport.objects.filter(organisation=org)[:5])
    return {"exports": exports, "deletion": OrganisationDeletion.objects.filter(organisation=org).first(),
            "exports_running": any(e.status not in {e.Status.DONE, e.Status.FAILED} for e in exports)}


@member_required
def exports(request: HttpRequest) -> HttpResponse:
    """The exports list with their progress (HTMX polls it while one is being made)."""
    org = _owner(request).organisation
    if not is_htmx(request):
        return redirect("privacy:personal_data")
    return render(request, "privacy/_exports.html", _org_data(org))


@require_POST
@member_required
def consent_text(request: HttpRequest) -> HttpResponse:
    membership = _owner(request)
    form = ConsentTextForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for e in form.errors.get("text", [])))
    elif consent.save_text(membership.organisation, form.cleaned_data["text"], by=membership.user):
        messages.success(request, _("The new consent text is saved as a new version."))
    else:
        messages.info(request, _("The consent text is unchanged."))
    return redirect("privacy:personal_data")


@require_POST
@member_required
def export_request(request: HttpRequest) -> HttpResponse:
    membership = _owner(request)
    organisation.request_export(membership.organisation, by=membership.user)
    messages.success(request, _("The export is being made; it appears below when ready."))
    return redirect("privacy:personal_data")


@member_required
def export_download(request: HttpRequest, export_id: uuid.UUID) -> FileResponse:
    org = _owner(request).organisation
    export = OrganisationExport.objects.filter(
        pk=export_id, organisation=org, status=OrganisationExport.Status.DONE).first()
    if export is None or not export.path:
        raise Http404
    try:
        handle = open(export.path, "rb")  # noqa: SIM115 (FileResponse closes it)
    except OSError as exc:
        raise Http404 from exc
    record(org, "organisation.exported", target=export)
    return FileResponse(handle, as_attachment=True,
                        filename=f"kosmmos-export-{export.created_at:%Y%m%d}.zip")


@require_POST
@member_required
def deletion_schedule(request: HttpRequest) -> HttpResponse:
    membership = _owner(request)
    org = membership.organisation
    form = DeletionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["confirm"].strip() != org.name.strip():
        messages.error(request, _("Type the agency's name exactly to confirm its deletion."))
        return redirect("privacy:personal_data")
    row = organisation.schedule_deletion(org, by=membership.user)
    messages.warning(request, _("The agency will be deleted on %(when)s; the owners are emailed.")
                     % {"when": row.delete_after.strftime("%d.%m.%Y")})
    return redirect("privacy:personal_data")


@require_POST
@member_required
def deletion_cancel(request: HttpRequest) -> HttpResponse:
    membership = _owner(request)
    if organisation.cancel_deletion(membership.organisation, by=membership.user):
        messages.success(request, _("The deletion is cancelled."))
    return redirect("privacy:personal_data")


@require_POST
@member_required
def retention(request: HttpRequest) -> HttpResponse:
    org = _owner(request).organisation
    row, _created = Retention.objects.get_or_create(organisation=org)
    before = row.months
    form = RetentionForm(request.POST, instance=row)
    if form.is_valid():
        form.save()
        record(org, "organisation.settings_changed",
                       changes={"retention_months": [before, row.months]})
        messages.success(request, _("Settings saved."))
    else:
        messages.error(request, _("Enter a whole number of months."))
    return redirect("privacy:personal_data")
