from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kosmmos.notifications.kinds import KINDS
from kosmmos.notifications.webhooks import BadWebhookUrl, check_url


class SettingsForm(forms.Form):
    email_digest = forms.BooleanField(label=_("Daily digest instead of immediate emails"),
                                      required=False)
    quiet_from = forms.TimeField(label=_("Quiet hours from"), required=False)
    quiet_to = forms.TimeField(label=_("Quiet hours to"), required=False)


class BotForm(forms.Form):
    token = forms.CharField(label=_("Bot token from @BotFather"), max_length=100,
                            widget=forms.PasswordInput(render_value=False))

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip()
        head, sep, tail = token.partition(":")
        if not (sep and head.isdigit() and tail and tail.replace("-", "").replace("_", "")
                .isalnum() and tail.isascii()):
            raise forms.ValidationError(_("A bot token looks like 123456:ABC-DEF…"))
        return token


class WebhookForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500)
    kinds = forms.MultipleChoiceField(label=_("Events (none: all)"), required=False,
                                      choices=[(k.code, k.label) for k in KINDS.values()],
                                      widget=forms.CheckboxSelectMultiple)

    def clean_url(self) -> str:
        try:
            return check_url(self.cleaned_data["url"])
        except BadWebhookUrl as exc:
            raise forms.ValidationError(_("This address cannot receive webhooks: %(reason)s")
                                        % {"reason": exc}) from exc

    def clean(self) -> dict[str, Any]:
        return super().clean() or {}
