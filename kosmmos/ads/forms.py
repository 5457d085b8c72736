from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kosmmos.lib import untrusted

IDENT = r"^[A-Za-z0-9_.@-]+$"


class CabinetForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    client_id = forms.RegexField(label=_("Client id"), max_length=100, regex=IDENT)
    client_secret = forms.CharField(label=_("Client secret"), max_length=300,
                                    widget=forms.PasswordInput(render_value=False))
    account_id = forms.RegexField(
        label=_("Client cabinet id (agency)"), max_length=64, regex=IDENT, required=False,
        help_text=_("For an agency's client: its id (agency_client_id). Empty for an own cabinet."))
    sandbox = forms.BooleanField(label=_("Rehearsal cabinet (sandbox)"), required=False)

    def clean_name(self) -> str:
        return untrusted.clean_text(self.cleaned_data["name"]).strip()[:100]


class ReconnectForm(forms.Form):
    client_secret = forms.CharField(label=_("Client secret"), max_length=300,
                                    widget=forms.PasswordInput(render_value=False))


class ImportForm(forms.Form):
    start = forms.DateField(label=pgettext_lazy("date range", "From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=pgettext_lazy("date range", "To"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and (end < start or (end - start).days > 800):
            raise forms.ValidationError(_("Choose at most 800 days, the start before the end."))
        return data

