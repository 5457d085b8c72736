from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Invitation, Organisation, Role, Workspace
from kosmmos.lib.forms import model_choices

User = get_user_model()


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True}))
    error_messages = {
        "invalid_login": _("Wrong email or password. Both are case-sensitive for the password."),
        "inactive": _("This account is disabled."),
    }


class PasswordFields(forms.Form):
    password1 = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif data.get("password1"):
            probe = User(email=data.get("email", ""), first_name=data.get("name", ""))
            try:
                password_validation.validate_password(data["password1"], probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class SignUpForm(PasswordFields):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Email"))
    organisation = forms.CharField(label=_("Agency name"), max_length=200)
    field_order = ["name", "email", "organisation", "password1", "password2"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this email exists already. Sign in or reset the password.")
            )
        return email


class InvitedSignUpForm(PasswordFields):
    name = forms.CharField(label=_("Your name"), max_length=150)
    field_order = ["name", "password1", "password2"]


class OrganisationCreateForm(forms.Form):
    organisation = forms.CharField(label=_("Agency name"), max_length=200)


class OrganisationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = [
            "name", "timezone", "notify_email", "policy_url", "website", "phone",
            "contact_email", "brand_color", "show_costs_to_clients",
        ]
        widgets = {"brand_color": forms.TextInput(attrs={"type": "color"})}

    def clean_brand_color(self) -> str:
        value = self.cleaned_data["brand_color"]
        if len(value) != 7 or not value.startswith("#"):
            raise forms.ValidationError(_("Choose a colour."))
        return value


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["email", "role", "workspace"]

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        model_choices(self, "workspace").queryset = Workspace.objects.filter(organisation=organisation)
        self.fields["workspace"].help_text = _("Required for the client role: what they will see.")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if self.organisation.memberships.filter(user__email__iexact=email).exists():
            raise forms.ValidationError(_("This person is a member already."))
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("role") == Role.CLIENT and not data.get("workspace"):
            self.add_error("workspace", _("Choose the client's workspace."))
        return data


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class WorkspaceForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name", "brand", "website", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"name": {"required": _("Name the workspace, e.g. the client's brand.")}}
