"""Connect/edit forms, one per network. Secrets are write-only: never rendered back.

On an edit, a secret left empty keeps the saved value (the field says "•••• saved"); on a new
channel every required secret must be typed. After a failed check the non-secret fields keep
what was typed, the secrets must be typed again (they are never echoed into the page).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SAVED = _("•••• saved")


def _secret(label: StrOrPromise, *, required: bool = True, help_text: StrOrPromise = "") -> forms.CharField:
    return forms.CharField(
        label=label, required=required, help_text=help_text, strip=True, max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


def _digits(value: str, patterns: tuple[str, ...], message: str) -> str:
    value = value.strip()
    for pattern in patterns:
        found = re.fullmatch(pattern, value, flags=re.IGNORECASE)
        if found:
            return found.group("id")
    raise forms.ValidationError(message)


def _end_of_day(day: Any) -> datetime | None:
    if not day:
        return None
    return timezone.make_aware(datetime.combine(day, time(23, 59)), timezone.get_current_timezone())


class ChannelForm(forms.Form):
    """What every network form has: an optional name (the network's title is used otherwise)."""

    network = ""
    secrets: tuple[str, ...] = ()
    name = forms.CharField(label=_("Name in Kosmmos"), required=False, max_length=200,
                           help_text=_("Leave empty to use the name from the network."))

    def __init__(self, *args: Any, saved: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.saved = saved or {}
        for key in self.secrets:
            if self.saved.get(key):
                field = self.fields[key]
                field.required = False
                field.widget.attrs["placeholder"] = SAVED
                field.help_text = _("Saved. Leave empty to keep the saved value.")

    def credentials(self) -> dict[str, Any]:
        """The credentials to store: typed secrets, else the saved ones."""
        found = dict(self.saved)
        for key in self.secrets:
            typed = self.cleaned_data.get(key)
            if typed:
                found[key] = typed
        return found

    def external_id(self) -> str:
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        return {}


class VkForm(ChannelForm):
    network = "vk"
    secrets = ("user_token", "community_token")
    group = forms.CharField(
        label=_("Community id"), max_length=200,
        help_text=_("The number from the community address: vk.com/club123456 → 123456."))
    user_token = _secret(_("User access token"), help_text=_(
        "A token of an editor or administrator of the community with the wall, photos, video, "
        "groups and stats scopes. Publishing needs it."))
    community_token = _secret(_("Community access token"), required=False, help_text=_(
        "Community settings → API usage. Used to read comments and events."))
    user_token_expires = forms.DateField(
        label=_("User token valid until"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a token without expiry."))

    def clean_group(self) -> str:
        return _digits(self.cleaned_data["group"], (
            r"-?(?P<id>\d+)", r"(?:club|public|event)(?P<id>\d+)",
            r"(?:https?://)?(?:m\.)?vk\.com/(?:club|public|event)(?P<id>\d+)/?",
        ), str(_("Enter the community's numeric id, e.g. 123456 or vk.com/club123456.")))

    def external_id(self) -> str:
        return str(self.cleaned_data["group"])

    def credentials(self) -> dict[str, Any]:
        found = super().credentials()
        expires = _end_of_day(self.cleaned_data.get("user_token_expires"))
        if expires:
            found["user_token_expires_at"] = expires.astimezone(UTC).isoformat()
        else:
            found.pop("user_token_expires_at", None)
        return found


class OkForm(ChannelForm):
    network = "ok"
    secrets = ("application_secret_key", "access_token")
    gid = forms.CharField(label=_("Group id"), max_length=200,
                          help_text=_("The number from the group address: ok.ru/group/5412345."))
    application_key = forms.CharField(label=_("Application public key"), max_length=200)
    application_secret_key = _secret(_("Application secret key"))
    access_token = _secret(_("Access token"), help_text=_(
        "An eternal or long-lived token of a group administrator with GROUP_CONTENT, "
        "PHOTO_CONTENT, VALUABLE_ACCESS and LONG_ACCESS_TOKEN."))
    access_token_expires = forms.DateField(
        label=_("Access token valid until"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A long-lived token lasts 30 days; empty means 30 days from today."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.saved.get("application_key") and not self.is_bound:
            self.initial.setdefault("application_key", self.saved["application_key"])

    def clean_gid(self) -> str:
        return _digits(self.cleaned_data["gid"], (
            r"(?P<id>\d+)", r"(?:https?://)?(?:m\.)?ok\.ru/group/(?P<id>\d+)/?",
        ), str(_("Enter the group's numeric id, e.g. 5412345.")))

    def external_id(self) -> str:
        return str(self.cleaned_data["gid"])

    def credentials(self) -> dict[str, Any]:
        found = super().credentials()
        found["application_key"] = self.cleaned_data["application_key"].strip()
        day = self.cleaned_data.get("access_token_expires") or (
            timezone.localdate() + timedelta(days=30))
        found["access_token_expires_at"] = _end_of_day(day).astimezone(UTC).isoformat()  # type: ignore[union-attr]  # a day
        return found


class TelegramForm(ChannelForm):
    network = "telegram"
    secrets = ("bot_token",)
    chat = forms.CharField(label=_("Channel"), max_length=200, help_text=_(
        "@username of a public channel, or the numeric id of a private one (-100…)."))
    bot_token = _secret(_("Bot token"), help_text=_(
        "From @BotFather. Add the bot to the channel as an administrator allowed to post."))

    def clean_chat(self) -> str:
        value = self.cleaned_data["chat"].strip()
        found = re.fullmatch(r"(?:https?://)?t(?:elegram)?\.me/(?P<name>\w{4,})/?", value)
        if found:
            value = "@" + found.group("name")
        if re.fullmatch(r"@?[A-Za-z]\w{3,}", value):
            return value if value.startswith("@") else "@" + value
        if re.fullmatch(r"-?\d+", value):
            return value
        raise forms.ValidationError(_("Enter @username or a numeric chat id such as "
                                      "-1001234567890."))

    def clean_bot_token(self) -> str:
        value = self.cleaned_data.get("bot_token", "")
        if value and not re.fullmatch(r"\d+:[\w-]{20,}", value):
            raise forms.ValidationError(_("This does not look like a bot token "
                                          "(123456789:AA…)."))
        return value

    def external_id(self) -> str:
        return str(self.cleaned_data["chat"])


class SandboxForm(ChannelForm):
    network = "sandbox"
    name = forms.CharField(label=_("Name in Kosmmos"), max_length=200, help_text=_(
        "A rehearsal channel on the local sandbox network: nothing is published anywhere."))

    def external_id(self) -> str:
        raise AssertionError("a sandbox channel gets a random id when it is created")


FORMS: dict[str, type[ChannelForm]] = {
    "vk": VkForm, "ok": OkForm, "telegram": TelegramForm, "sandbox": SandboxForm,
}
