from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kosmmos.inbox.models import CannedReply, InboxProfile, Sentiment

REPLY_MAX = 4000  # Telegram's message limit; VK allows more, one limit keeps it simple


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Reply"), max_length=REPLY_MAX,
                           widget=forms.Textarea(attrs={"rows": 4}))


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Internal note"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class SentimentForm(forms.Form):
    sentiment = forms.ChoiceField(choices=Sentiment.choices)


class CannedReplyForm(forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ["title", "text", "workspace"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "text": _("Placeholders: {name} (the person), {brand} (the client), {manager} (you), "
                      "{post} (the post's title)."),
            "workspace": _("Empty: offered in every client's inbox."),
        }

    def __init__(self, *args: object, workspaces: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["workspace"].queryset = workspaces  # type: ignore[attr-defined]
        self.fields["workspace"].required = False
        # The inbox calls a workspace a client everywhere else; "empty" means all of them.
        self.fields["workspace"].label = _("Client")
        self.fields["workspace"].empty_label = _("All clients")  # type: ignore[attr-defined]


class SlaForm(forms.ModelForm):
    class Meta:
        model = InboxProfile
        fields = ["sla_minutes"]
        widgets = {"sla_minutes": forms.NumberInput(attrs={"min": 1, "max": 10080})}


class ConnectionForm(forms.Form):
    """Webhook settings of one channel. Secrets are write-only: empty keeps the stored one."""

    vk_confirmation = forms.CharField(
        label=_("VK confirmation string"), max_length=64, required=False,
        help_text=_("VK shows it in the community's Callback API settings."))
    vk_secret = forms.CharField(
        label=_("VK secret key"), max_length=50, required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("The same secret you enter in VK (up to 50 characters). Empty keeps the "
                    "current one."))
    webhook_secret = forms.CharField(
        label=_("Telegram webhook secret token"), max_length=256, required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Passed to setWebhook as secret_token; Telegram sends it back in every "
                    "request. Empty keeps the current one."))
    discussion_chat_id = forms.CharField(
        label=_("Telegram discussion group id"), max_length=40, required=False,
        help_text=_("The channel's linked chat (linked_chat_id), e.g. -1001234567890. The bot "
                    "must be a member to see comments."))

    def clean_webhook_secret(self) -> str:
        value: str = self.cleaned_data["webhook_secret"]
        if value and not all(c.isalnum() or c in "_-" for c in value):
            raise forms.ValidationError(_("Only letters, digits, _ and - are allowed."))
        return value
