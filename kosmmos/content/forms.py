"""Forms of the content plan. The post form turns into ``PostData`` (to save) or a ``Draft`` (to
preview and check) without touching the database."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kosmmos.accounts.models import Workspace
from kosmmos.channels.models import Channel, ChannelStatus
from kosmmos.content.actions import PostData
from kosmmos.content.media import ACCEPT
from kosmmos.content.models import MediaItem, Post, Rubric
from kosmmos.content.validation import Draft, MediaInfo, network_name
from kosmmos.lib.forms import model_choices

DATETIME_INPUT = "%Y-%m-%dT%H:%M"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_INPUT, **kwargs)


def publish_at_field(required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=_("Publish at"), required=required, widget=DateTimeLocalInput(),
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
        help_text=_("In the agency's time zone."),
    )


def workspace_channels(workspace: Workspace) -> Any:
    return Channel.objects.filter(workspace=workspace).exclude(status=ChannelStatus.DISABLED)


class PostForm(forms.Form):
    title = forms.CharField(label=_("Working title"), max_length=200, required=False,
                            help_text=_("Only the team and the client see it."))
    text = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 9}))
    hashtags = forms.CharField(label=_("Hashtags"), max_length=500, required=False,
                               help_text=_("Separated by spaces or commas; added at the end."))
    rubric = forms.ModelChoiceField(label=_("Rubric"), queryset=Rubric.objects.none(), required=False)
    publish_at = publish_at_field()
    channels = forms.ModelMultipleChoiceField(
        label=_("Channels"), queryset=Channel.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    media = forms.ModelMultipleChoiceField(  # type: ignore[assignment]  # a field: Form.media stays (the metaclass takes it)
        label=_("Media"), queryset=MediaItem.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    is_ad = forms.BooleanField(label=_("Advertising post"), required=False, help_text=_(
        "Adds «Реклама», the advertiser and the erid to the text (38-FZ). An advertising post "
        "names its advertiser; it is scheduled only with its erid, which the ORD issues when the "
        "post is approved (the client's contract under «Ad marking»), or type one from another "
        "ORD."))
    advertiser = forms.CharField(label=_("Advertiser"), max_length=300, required=False,
                                 help_text=_("As registered with the ORD, e.g. ООО «Ромашка», ИНН 7700000000."))
    erid = forms.CharField(label=_("erid token"), max_length=100, required=False,
                           help_text=_("The token the ORD issued for this creative."))

    def __init__(self, *args: Any, workspace: Workspace, locked_channels: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.locked_channels = locked_channels
        model_choices(self, "rubric").queryset = Rubric.objects.filter(workspace=workspace)
        channels = workspace_channels(workspace)
        model_choices(self, "channels").queryset = channels
        self.fields["channels"].disabled = locked_channels
        model_choices(self, "media").queryset = MediaItem.objects.filter(workspace=workspace)
        self.networks: list[str] = []
        for channel in channels:
            if channel.network not in self.networks:
                self.networks.append(channel.network)
        for network in self.networks:
            self.fields[f"variant_{network}"] = forms.CharField(
                label=_("Text for %(network)s") % {"network": network_name(network)}, required=False,
                widget=forms.Textarea(attrs={"rows": 7}),
                help_text=_("Leave empty to use the main text."))

    @property
    def variant_fields(self) -> list[tuple[str, forms.BoundField]]:
        return [(n, self[f"variant_{n}"]) for n in self.networks]

    def clean_erid(self) -> str:
        return str(self.cleaned_data.get("erid", "")).strip()

    def clean(self) -> dict[str, Any]:
        """One rule for ad posts, here because the editor and the API both save through this
        form: an advertising post names its advertiser to be saved. Its erid may come later —
        the ORD issues it when the post is approved — and scheduling refuses a post without one
        (``validation.ad_problems``, asked again by the engine just before it sends)."""
        data = super().clean() or {}
        if data.get("is_ad") and not str(data.get("advertiser", "")).strip():
            self.add_error("advertiser", _("An advertising post must name the advertiser."))
        return data

    def ordered_media(self) -> list[MediaItem]:
        """The chosen media in the order typed into their position boxes (then upload order)."""
        chosen = list(self.cleaned_data.get("media") or [])

        def position(item: MediaItem) -> tuple[int, int]:
            raw = self.data.get(f"media_order_{item.pk}", "")
            return (int(raw) if str(raw).isdigit() else 999, chosen.index(item))

        return sorted(chosen, key=position)

    def to_data(self) -> PostData:
        c = self.cleaned_data
        return PostData(
            title=c.get("title", ""), text=c.get("text", ""), hashtags=c.get("hashtags", ""),
            variants={n: c.get(f"variant_{n}", "") for n in self.networks},
            rubric=c.get("rubric"), publish_at=c.get("publish_at"), is_ad=bool(c.get("is_ad")),
            advertiser=c.get("advertiser", ""), erid=c.get("erid", ""),
            channels=list(c.get("channels") or []), media=self.ordered_media(),
        )

    def draft(self) -> Draft:
        """What the typed post would be, for the preview and the checks (call after is_valid)."""
        data = self.to_data()
        networks: list[str] = []
        for channel in data.channels:
            if channel.network not in networks:
                networks.append(channel.network)
        return Draft(
            text=data.text, variant_texts={k: v for k, v in data.variants.items() if v.strip()},
            hashtags=data.hashtags, is_ad=data.is_ad, advertiser=data.advertiser, erid=data.erid,
            media=[MediaInfo(m.kind, m.size, m.name, m.mime) for m in data.media],
            networks=networks, publish_at=data.publish_at,
        )


def initial_for(post: Post) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "title": post.title, "text": post.text, "hashtags": post.hashtags, "rubric": post.rubric_id,
        "publish_at": post.publish_at, "is_ad": post.is_ad, "advertiser": post.advertiser,
        "erid": post.erid, "channels": [t.channel_id for t in post.targets.all()],
        "media": [pm.media_id for pm in post.post_media.all()],
    }
    for variant in post.variants.all():
        initial[f"variant_{variant.network}"] = variant.text
    return initial


class RubricForm(forms.ModelForm):
    class Meta:
        model = Rubric
        fields = ["name", "color"]
        widgets = {"color": forms.TextInput(attrs={"type": "color"})}

    def clean_color(self) -> str:
        color = str(self.cleaned_data["color"])
        if not _HEX.match(color):
            raise forms.ValidationError(_("Choose a colour."))
        return color.lower()


class UploadForm(forms.Form):
    files = forms.FileField(label=_("Photos and videos"),  # type: ignore[assignment]  # a field; Form.files stays
                            widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.allow_multiple_selected = True
        self.fields["files"].widget.attrs["multiple"] = True


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or Excel file"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    """The client's decision through an approval link (no account: they give their name)."""

    author_name = forms.CharField(label=_("Your name"), max_length=200)
    comment = forms.CharField(label=_("Comment"), max_length=4000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


class RescheduleForm(forms.Form):
    # Seconds are accepted (step=1) so a rehearsal can be set a few seconds ahead.
    publish_at = forms.DateTimeField(
        required=False, widget=DateTimeLocalInput(attrs={"class": "form-control", "step": "1"}),
        input_formats=[DATETIME_INPUT, f"{DATETIME_INPUT}:%S", "%Y-%m-%d %H:%M"])
    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Template name"), max_length=200,
                           widget=forms.TextInput(attrs={"class": "form-control"}))


class ApprovalLinkForm(forms.Form):
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"),
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"),
                              widget=forms.DateInput(attrs={"type": "date"}))
    email = forms.EmailField(label=_("Send the link to"), required=False,
                             help_text=_("Optional: the client's email. You can also copy the link."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if isinstance(start, date) and isinstance(end, date):
            if end < start:
                self.add_error("date_to", _("The end is before the start."))
            elif (end - start).days > 93:
                self.add_error("date_to", _("A link covers at most three months."))
        return data
