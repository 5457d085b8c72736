from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kosmmos.links.models import CostCategory, Medium, MoneySettings, Network
from kosmmos.links.targets import clean_target


class LinkForm(forms.Form):
    target_url = forms.CharField(
        label=_("Target URL"), max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://shop.example/sale"}),
        help_text=_("Checked once now; UTM tags are added automatically."),
    )
    network = forms.ChoiceField(label=_("Network (utm_source)"), choices=Network.choices)
    medium = forms.ChoiceField(label=_("Medium (utm_medium)"), choices=Medium.choices)
    campaign = forms.CharField(label=_("Campaign (utm_campaign)"), max_length=100, required=False)
    post_ref = forms.CharField(label=_("Post (utm_content)"), max_length=100, required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    tags = forms.CharField(label=_("Tags"), max_length=200, required=False,
                           help_text=_("Comma-separated."))

    def clean_target_url(self) -> str:
        return clean_target(self.cleaned_data["target_url"])


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]  # a month as a date
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return datetime.strptime(text[:7], "%Y-%m").date()
        except ValueError as exc:
            raise ValidationError(_("Enter a month like 2025-03.")) from exc


class CostForm(forms.Form):
    month = MonthField(label=_("Month"))
    category = forms.ChoiceField(label=_("Category"), choices=CostCategory.choices)
    network = forms.ChoiceField(label=_("Network"), choices=[("", "—"), *Network.choices], required=False)
    amount = forms.DecimalField(label=_("Amount, ₽"), min_value=0, max_digits=14, decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > 10 * 2**20:
            raise ValidationError(_("The file is larger than 10 MB."))
        return upload


class MoneySettingsForm(forms.ModelForm):
    metrica_token = forms.CharField(
        label=_("Yandex.Metrica OAuth token"), required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted. Leave empty to keep the current token."),
    )
    clear_token = forms.BooleanField(label=_("Remove the stored token"), required=False)

    class Meta:
        model = MoneySettings
        fields = ["attribution_days", "allowed_origins", "metrica_counter", "metrica_goal"]
        widgets = {"allowed_origins": forms.Textarea(attrs={"rows": 3})}

    def clean_attribution_days(self) -> int:
        days = int(self.cleaned_data["attribution_days"])
        if not 1 <= days <= 365:
            raise ValidationError(_("Between 1 and 365 days."))
        return days

    def clean_metrica_counter(self) -> str:
        value = self.cleaned_data["metrica_counter"].strip()
        if value and not value.isdigit():
            raise ValidationError(_("A counter id is a number."))
        return value

    def save(self, commit: bool = True) -> MoneySettings:
        money: MoneySettings = super().save(commit=False)
        if self.cleaned_data.get("clear_token"):
            money.set_metrica_token("")
        elif self.cleaned_data.get("metrica_token"):
            money.set_metrica_token(self.cleaned_data["metrica_token"].strip())
        if commit:
            money.save()
        return money
