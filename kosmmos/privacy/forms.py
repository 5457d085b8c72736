from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kosmmos.privacy.models import Retention


class PersonForm(forms.Form):
    kind = forms.ChoiceField(label=_("Identifier"), choices=[
        ("email", _("Email")), ("phone", _("Phone")), ("vk", _("VK id")),
        ("telegram", _("Telegram id"))])
    value = forms.CharField(label=_("Value"), max_length=254)


class RetentionForm(forms.ModelForm):
    class Meta:
        model = Retention
        fields = ["months"]


class ConsentTextForm(forms.Form):
    text = forms.CharField(label=_("Consent text on the brief form"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 4}))


class DeletionForm(forms.Form):
    confirm = forms.CharField(label=_("Type the agency's name to confirm"), max_length=200)
