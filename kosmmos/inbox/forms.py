from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Workspace
from kosmmos.connectors.base import Setting
from kosmmos.inbox.models import CannedReply, InboxProfile, Sentiment
from kosmmos.lib.forms import model_choices

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

    def __init__(self, *args: Any, workspaces: QuerySet[Workspace] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choices(self, "workspace").queryset = workspaces
        self.fields["workspace"].required = False
        # The inbox calls a workspace a client everywhere else; "empty" means all of them.
        self.fields["workspace"].label = _("Client")
        model_choices(self, "workspace").empty_label = _("All clients")


class SlaForm(forms.ModelForm):
    class Meta:
        model = InboxProfile
        fields = ["sla_minutes"]
        widgets = {"sla_minutes": forms.NumberInput(attrs={"min": 1, "max": 10080})}


class ConnectionForm(forms.Form):
    """Inbound settings of one channel, as its network declares them (``Inbound.settings``).
    Secrets are write-only: empty keeps the stored one."""

    def __init__(self, settings: tuple[Setting, ...], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings
        for setting in settings:
            widget = forms.PasswordInput(render_value=False) if setting.secret else None
            self.fields[setting.name] = forms.CharField(
                label=setting.label, max_length=setting.max_length, required=False,
                widget=widget, help_text=setting.help_text)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for setting in self.settings:
            value = data.get(setting.name) or ""
            if setting.token_chars and value and not all(c.isalnum() or c in "_-" for c in value):
                self.add_error(setting.name,
                               _("Only letters, digits, _ and - are allowed."))
        return data
