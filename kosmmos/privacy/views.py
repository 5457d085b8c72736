"""Settings → Personal data: owners answer a person's request and set the retention."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import current_membership, member_required, require_role
from kosmmos.accounts.models import Membership, Role
from kosmmos.audit.log import record
from kosmmos.privacy import actions
from kosmmos.privacy.forms import PersonForm, RetentionForm
from kosmmos.privacy.models import Retention


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
    return render(request, "privacy/personal_data.html", {
        "form": form, "person": person, "retention_form": RetentionForm(instance=retention),
        "retention": retention,
    })


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
