"""The ORD's forms. Required fields and the INN follow the legal form; what was typed comes back
with the errors."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation, Workspace
from kosmmos.lib.untrusted import clean_text
from kosmmos.ord.inn import inn_length, valid_inn
from kosmmos.ord.models import Account, Contract, Form, Invoice, LegalForm, Party, Role

KKTU = re.compile(r"^([1-9]\d{0,2})\.([1-9]\d{0,2})\.([1-9]\d{0,2})$")


class AccountForm(forms.ModelForm):
    token = forms.CharField(label=_("API key"), required=False, max_length=500,
                            widget=forms.PasswordInput(render_value=False),
                            help_text=_("Created in the ORD's cabinet (Settings → API). Stored "
                                        "encrypted; leave empty to keep the current key."))

    class Meta:
        model = Account
        fields = ["host"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        token = clean_text(str(data.get("token") or "")).strip()
        if not token and not self.instance.token_encrypted:
            self.add_error("token", _("Enter the API key."))
        data["token"] = token
        return data

    def save(self, commit: bool = True) -> Account:
        account: Account = super().save(commit=False)
        if self.cleaned_data["token"]:
            account.token = self.cleaned_data["token"]
        if commit:
            account.save()
        return account


class PartyForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=Role.choices,
                                      widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Party
        fields = ["name", "legal_form", "inn", "phone", "roles", "is_agency"]

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_name(self) -> str:
        name = clean_text(str(self.cleaned_data.get("name", ""))).strip()
        if not name:
            raise forms.ValidationError(_("Enter the name."))
        return name

    def clean_inn(self) -> str:
        return re.sub(r"\s+", "", str(self.cleaned_data.get("inn", "")))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        form, inn = data.get("legal_form", ""), data.get("inn", "")
        need = inn_length(str(form))
        if need is not None:
            if not inn:
                self.add_error("inn", _("Enter the INN: the ORD requires it."))
            elif not inn.isdigit() or len(inn) != need:
                self.add_error("inn", _("An INN of this legal form has %(n)s digits.") % {"n": need})
            elif not valid_inn(inn):
                self.add_error("inn", _("The INN's control digits do not match: check it for a "
                                        "typo."))
        if form == LegalForm.PHYSICAL and not data.get("phone"):
            self.add_error("phone", _("An individual needs a phone number for the ORD."))
        if inn and not self.errors.get("inn") and Party.objects.filter(
                organisation=self.organisation, inn=inn).exclude(pk=self.instance.pk).exists():
            self.add_error("inn", _("A party with this INN already exists."))
        return data

    def save(self, commit: bool = True) -> Party:
        party: Party = super().save(commit=False)
        party.organisation = self.organisation
        if commit:
            party.save()
        return party


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["number", "type", "subject_type", "client", "contractor", "date", "amount",
                  "parent"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        parties = Party.objects.filter(organisation=organisation)
        self.fields["client"].queryset = parties  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["contractor"].queryset = parties  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["parent"].queryset = Contract.objects.filter(  # type: ignore[attr-defined]  # a ModelChoiceField
            organisation=organisation).exclude(pk=self.instance.pk)

    def clean_number(self) -> str:
        number = clean_text(str(self.cleaned_data.get("number", ""))).strip()
        if not number:
            raise forms.ValidationError(_("Enter the contract's number."))
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("client") and data.get("client") == data.get("contractor"):
            self.add_error("contractor", _("The contractor must differ from the client."))
        amount = data.get("amount")
        if amount is not None and amount < 0:
            self.add_error("amount", _("The amount cannot be negative."))
        if data.get("type") == "additional" and not data.get("parent"):
            self.add_error("parent", _("An additional agreement needs its parent contract."))
        return data

    def save(self, commit: bool = True) -> Contract:
        contract: Contract = super().save(commit=False)
        contract.organisation = self.organisation
        if commit:
            contract.save()
        return contract


class LinkForm(forms.Form):
    workspace = forms.ModelChoiceField(label=_("Client"), queryset=Workspace.objects.none())
    contract = forms.ModelChoiceField(label=_("Contract"), queryset=Contract.objects.none())
    kktu = forms.CharField(label=_("KKTU code"), max_length=100, initial="30.10.1",
                           help_text=_("The product's code in the catalogue, e.g. 30.10.1; "
                                       "several separated by commas for a co-branded ad."))
    form = forms.ChoiceField(label=_("Form"), choices=Form.choices)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workspace"].queryset = Workspace.objects.filter(  # type: ignore[attr-defined]  # a ModelChoiceField
            organisation=organisation)
        self.fields["contract"].queryset = Contract.objects.filter(  # type: ignore[attr-defined]  # a ModelChoiceField
            organisation=organisation)

    def clean_kktu(self) -> str:
        codes = [c.strip() for c in str(self.cleaned_data.get("kktu", "")).split(",") if c.strip()]
        if not 1 <= len(codes) <= 16:
            raise forms.ValidationError(_("Enter one KKTU code, or up to 16 for a co-branded ad."))
        for code in codes:
            if not KKTU.match(code):
                raise forms.ValidationError(
                    _("«%(code)s» is not a KKTU code: three numbers 1–999 with dots, e.g. 30.10.1.")
                    % {"code": code[:40]})
        return ", ".join(codes)


class MonthForm(forms.Form):
    month = forms.DateField(label=_("Month"), input_formats=["%Y-%m"],
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))


class ShowsForm(forms.Form):
    shows = forms.IntegerField(label=_("Impressions"), min_value=0, max_value=2_000_000_000)


class InvoiceForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["number", "date", "amount"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def clean_number(self) -> str:
        number = clean_text(str(self.cleaned_data.get("number", ""))).strip()
        if not number:
            raise forms.ValidationError(_("Enter the act's number."))
        return number

    def clean_amount(self) -> Any:
        amount = self.cleaned_data.get("amount")
        if amount is None or amount < 0:
            raise forms.ValidationError(_("The amount cannot be negative."))
        return amount
