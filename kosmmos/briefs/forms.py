from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from kosmmos.briefs.choices import Goal, Messenger, Network, Niche, ProductType
from kosmmos.briefs.models import Brief, Lead, LeadStatus
from kosmmos.lib.forms import model_choices

# The field bots fill and people never see; named like a real field so bots take the bait.
HONEYPOT = "fax_number"

PHONE_DIGITS = re.compile(r"\d")


class BriefForm(forms.ModelForm):
    networks = forms.MultipleChoiceField(
        label=_("Which social networks and platforms interest you?"),
        choices=Network.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one network.")},
    )
    goals = forms.MultipleChoiceField(
        label=_("What are the goals of promotion in social networks?"),
        choices=Goal.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one goal.")},
    )
    product_type = forms.ChoiceField(
        label=_("What do you sell?"),
        choices=ProductType.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the type of product.")},
    )
    # Optional, so a brief from an older form (or a client who cannot say) still goes through;
    # the planner counts a blank niche as "other".
    niche = forms.ChoiceField(
        label=_("What is your business?"),
        choices=[("", _("Choose…")), *Niche.choices],
        required=False,
    )
    budget_rub = forms.DecimalField(
        label=_("Desired or available budget per month, RUB"),
        min_value=Decimal("1000"),
        max_value=Decimal("1000000000"),
        decimal_places=2,
        error_messages={
            "required": _("Enter the monthly budget in roubles."),
            "invalid": _("Enter the budget as a number of roubles, e.g. 150000."),
            "min_value": _("The budget must be at least 1,000 RUB per month."),
            "max_value": _("The budget is too large; enter it per month."),
        },
    )
    period_months = forms.IntegerField(
        label=_("For how many months?"),
        min_value=1,
        max_value=60,
        error_messages={
            "required": _("Enter the period in months."),
            "invalid": _("Enter the period as a whole number of months."),
            "min_value": _("The period must be at least one month."),
            "max_value": _("The period can be at most 60 months."),
        },
    )
    email = forms.EmailField(
        label=_("Email"),
        error_messages={
            "required": _("Enter your email: the proposal will be sent there."),
            "invalid": _("Enter a valid email address, e.g. name@company.ru."),
        },
    )
    website = forms.URLField(
        label=_("Website"),
        required=False,
        max_length=200,
        assume_scheme="https",
        error_messages={"invalid": _("Enter a valid website address, e.g. https://shop.ru.")},
    )
    messenger = forms.ChoiceField(
        label=_("Messenger"), choices=Messenger.choices, required=False
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("Please agree to the processing of personal data.")},
    )

    class Meta:
        model = Brief
        fields = [
            "networks", "country", "regions", "cities", "goals", "product_type", "niche", "budget_rub",
            "period_months", "kpis", "contact_name", "company", "phone", "email", "website",
            "messenger", "messenger_handle", "consent",
        ]
        labels = {
            "country": _("Country"),
            "regions": _("Regions"),
            "cities": _("Cities"),
            "kpis": _("Which indicators will confirm that the work is effective?"),
            "contact_name": _("Your name"),
        }
        help_texts = {
            "regions": _("Comma-separated, e.g. Московская область, Татарстан"),
            "cities": _("Comma-separated, e.g. Москва, Казань"),
        }
        error_messages = {
            "contact_name": {"required": _("Enter your name.")},
            "country": {"required": _("Enter the country of promotion.")},
        }
        widgets = {"kpis": forms.Textarea(attrs={"rows": 3})}

    # Every field has a length limit; the model's CharFields bring theirs, the KPIs' TextField
    # none, so it gets one here (the form is shown again with the text kept when it is too long).
    KPIS_MAX_LENGTH = 2000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[HONEYPOT] = forms.CharField(required=False, label=_("Fax"), max_length=200)
        kpis = self.fields["kpis"]
        assert isinstance(kpis, forms.CharField)
        kpis.max_length = self.KPIS_MAX_LENGTH
        kpis.validators.append(MaxLengthValidator(self.KPIS_MAX_LENGTH))
        self.fields["messenger_handle"].widget.attrs["placeholder"] = "@username"
        self.fields["phone"].widget.attrs["placeholder"] = "+7 900 000-00-00"

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone", "").strip()
        if phone and not 10 <= len(PHONE_DIGITS.findall(phone)) <= 15:
            raise forms.ValidationError(_("Enter a phone number with 10 to 15 digits."))
        return phone

    def clean_contact_name(self) -> str:
        name = self.cleaned_data.get("contact_name", "").strip()
        if not name:
            raise forms.ValidationError(_("Enter your name."))
        return name

    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())


class LeadStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=LeadStatus.choices)


class LeadAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=get_user_model().objects.none(), required=False,
        empty_label=_("Nobody"),
    )

    def __init__(self, *args: Any, lead: Lead, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from kosmmos.accounts.models import STAFF_ROLES

        model_choices(self, "assignee").queryset = get_user_model().objects.filter(
            memberships__organisation=lead.organisation, memberships__role__in=STAFF_ROLES
        ).order_by("email")


class LeadNoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the note first.")},
    )
