from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kosmmos.competitors.models import Network
from kosmmos.lib.untrusted import clean_text


class Styled(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            kind = ("form-check-input" if isinstance(field.widget, forms.CheckboxInput)
                    else "form-select" if isinstance(field.widget, forms.Select)
                    else "form-control")
            field.widget.attrs.setdefault("class", kind)


class FollowForm(Styled):
    address = forms.CharField(label=_("Link or @name"), max_length=300, widget=forms.TextInput(
        attrs={"placeholder": "https://vk.com/… · t.me/… · ok.ru/group/… · @name"}))
    network = forms.ChoiceField(label=_("Network (for an @name)"), required=False,
                                choices=[("", "—"), *Network.choices])

    def clean_address(self) -> str:
        return clean_text(self.cleaned_data["address"]).strip()


class KeysForm(Styled):
    """Empty keeps what is stored; "-" removes it. Stored values are never shown."""

    vk_service_token = forms.CharField(label=_("VK service token"), required=False,
                                       max_length=500, widget=forms.PasswordInput)
    ok_application_key = forms.CharField(label=_("OK application key"), required=False,
                                         max_length=200)
    ok_secret_key = forms.CharField(label=_("OK application secret key"), required=False,
                                    max_length=200, widget=forms.PasswordInput)
    tgstat_token = forms.CharField(label=_("TGStat token"), required=False, max_length=200,
                                   widget=forms.PasswordInput)
    sandbox_key = forms.CharField(label=_("Sandbox key"), required=False, max_length=200)

    def clean(self) -> dict[str, str]:
        data = super().clean() or {}
        for name, value in list(data.items()):
            value = clean_text(value or "").strip()
            if any(c.isspace() for c in value):
                self.add_error(name, _("A key has no spaces."))
            data[name] = value
        return data


class QueryForm(Styled):
    words = forms.CharField(label=_("Words"), max_length=2000, widget=forms.Textarea(
        attrs={"rows": 3}), help_text=_(
        "One word or phrase per line, as people write it: the brand, its Latin and Cyrillic "
        "spellings, the product names. Each is searched as typed — VK search finds the word "
        "forms of Russian words itself, TGStat looks for the exact phrase."))
    exclusions = forms.CharField(label=_("Exclusions"), max_length=2000, required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}), help_text=_(
        "One per line: a post containing any of them is left out (a namesake company, job ads)."))
    enabled = forms.BooleanField(label=_("Search for mentions"), required=False, initial=True)

    def clean_words(self) -> str:
        words = [w.strip() for w in clean_text(self.cleaned_data["words"]).splitlines()
                 if w.strip()]
        if not words:
            raise forms.ValidationError(_("Give at least one word."))
        if len(words) > 20 or any(len(w) > 100 for w in words):
            raise forms.ValidationError(_("At most 20 words of up to 100 characters each."))
        return "\n".join(words)

    def clean_exclusions(self) -> str:
        words = [w.strip() for w in clean_text(self.cleaned_data["exclusions"]).splitlines()
                 if w.strip()]
        if len(words) > 50 or any(len(w) > 100 for w in words):
            raise forms.ValidationError(_("At most 50 exclusions of up to 100 characters each."))
        return "\n".join(words)
