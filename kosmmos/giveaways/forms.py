from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Workspace
from kosmmos.content.models import Post
from kosmmos.giveaways.models import Excluded, Network, Partner
from kosmmos.lib.untrusted import clean_text

NETWORK_ID = RegexValidator(r"^-?\d{1,19}$", _("A number as the network shows it (−123 for a "
                                               "community)."))
ACCOUNT = RegexValidator(r"^(vk|sandbox):\d{1,19}$", _("Write it as vk:123 or sandbox:123."))


class Styled(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            kind = ("form-check-input" if isinstance(field.widget, forms.CheckboxInput)
                    else "form-select" if isinstance(field.widget, forms.Select | forms.SelectMultiple)
                    else "form-control")
            field.widget.attrs.setdefault("class", kind)


def _text(value: str) -> str:
    return clean_text(value or "").strip()


class GiveawayForm(Styled):
    title = forms.CharField(label=_("Title"), max_length=200)
    post = forms.ModelChoiceField(label=_("Post in the content plan"), required=False,
                                  queryset=Post.objects.none())
    network = forms.ChoiceField(label=_("Network"), choices=Network.choices)
    # Empty: taken from the chosen post's publication on VK (its community and post id).
    owner_id = forms.CharField(label=_("Owner id of the post"), max_length=20, required=False,
                               validators=[NETWORK_ID])
    item_id = forms.CharField(label=_("Post id"), max_length=20, required=False,
                              validators=[NETWORK_ID])
    group_id = forms.CharField(label=_("Community id"), max_length=20, required=False,
                               validators=[NETWORK_ID])
    token = forms.CharField(label=_("Reading token (VK service token)"), required=False,
                            max_length=500, widget=forms.PasswordInput)
    like = forms.BooleanField(label=_("Like"), required=False, initial=True)
    repost = forms.BooleanField(label=_("Repost"), required=False)
    comment = forms.BooleanField(label=_("Comment"), required=False)
    word = forms.CharField(label=_("Required word in the comment"), max_length=50,
                           required=False)
    tag_friend = forms.BooleanField(label=_("Comment tags a friend"), required=False)
    member = forms.BooleanField(label=_("Member of the community"), required=False,
                                initial=True)
    partners = forms.ModelMultipleChoiceField(label=_("Partners' communities (joint giveaway)"),
                                              required=False, queryset=Partner.objects.none())
    starts_at = forms.DateTimeField(label=_("Starts"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Ends"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}))
    winners_count = forms.IntegerField(label=_("Winners"), min_value=1, max_value=100,
                                       initial=1)
    reserves_count = forms.IntegerField(label=_("Reserve winners"), min_value=0, max_value=20,
                                        initial=2)
    answer_days = forms.IntegerField(label=_("Days a winner has to answer"), min_value=1,
                                     max_value=30, initial=3)
    min_age_days = forms.IntegerField(label=_("Exclude accounts younger than, days"),
                                      min_value=0, max_value=3650, initial=30)
    no_avatar = forms.BooleanField(label=_("Exclude accounts without an avatar"),
                                   required=False, initial=True)
    closed = forms.BooleanField(label=_("Exclude closed profiles"), required=False)
    prize_name = forms.CharField(label=_("Prize"), max_length=200, required=False)
    prize_cost = forms.DecimalField(label=_("Prize cost, ₽"), required=False, min_value=Decimal(0),
                                    max_digits=12, decimal_places=2)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        posts = self.fields["post"]
        assert isinstance(posts, forms.ModelChoiceField)
        posts.queryset = Post.objects.filter(workspace=workspace, deleted_at__isnull=True)
        partners = self.fields["partners"]
        assert isinstance(partners, forms.ModelMultipleChoiceField)
        partners.queryset = Partner.objects.filter(workspace=workspace)

    def clean_title(self) -> str:
        return _text(self.cleaned_data["title"])

    def clean_word(self) -> str:
        return _text(self.cleaned_data["word"])

    def clean_token(self) -> str:
        value = _text(self.cleaned_data["token"])
        if any(c.isspace() for c in value):
            raise forms.ValidationError(_("A token has no spaces."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(k) for k in ("like", "repost", "comment")):
            raise forms.ValidationError(_("Choose at least one action: like, repost or comment."))
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The giveaway must end after it starts."))
        if not (data.get("owner_id") and data.get("item_id")) and not self._from_post(data):
            self.add_error("item_id", _("Give the post's ids, or choose a post published on VK."))
        if data.get("member") and not data.get("group_id"):
            self.add_error("group_id", _("Membership needs the community id."))
        if data.get("prize_cost") and not data.get("prize_name"):
            self.add_error("prize_name", _("Name the prize that costs this."))
        if data.get("network") == Network.VK and not data.get("token"):
            self.add_error("token", _("VK needs a token to read likes and members."))
        for partner in data.get("partners") or []:
            if partner.network != data.get("network"):
                self.add_error("partners", _("A partner's community must be on the same network."))
        return data


    @staticmethod
    def _from_post(data: dict[str, Any]) -> bool:
        """Fill the ids from the post's VK publication (VK: owner −community id, post id)."""
        post, network = data.get("post"), data.get("network")
        if post is None or network != Network.VK:
            return False
        target = post.targets.filter(channel__network="vk", status="published").exclude(
            external_id="").select_related("channel").first()
        community = target.channel.external_id.lstrip("-") if target else ""
        if target is None or not community.isdigit() or not target.external_id.isdigit():
            return False
        data["owner_id"], data["item_id"] = f"-{community}", target.external_id
        data["group_id"] = data.get("group_id") or community
        return True


class ExcludeForm(Styled):
    kind = forms.ChoiceField(label=_("Kind"), choices=Excluded.Kind.choices)
    user_id = forms.CharField(label=_("Account"), max_length=40, validators=[ACCOUNT])
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_note(self) -> str:
        return _text(self.cleaned_data["note"])


class PartnerForm(Styled):
    name = forms.CharField(label=_("Partner"), max_length=200)
    network = forms.ChoiceField(label=_("Network"), choices=Network.choices)
    group_id = forms.CharField(label=_("Community id"), max_length=20, validators=[NETWORK_ID])
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)

    def clean_name(self) -> str:
        return _text(self.cleaned_data["name"])


class ExchangeForm(Styled):
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.none())
    our_post = forms.ModelChoiceField(label=_("Our post about the partner"),
                                      queryset=Post.objects.none())
    their_text = forms.CharField(label=_("The partner's post about us"), max_length=4000,
                                 widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partner = self.fields["partner"]
        assert isinstance(partner, forms.ModelChoiceField)
        partner.queryset = Partner.objects.filter(workspace=workspace)
        post = self.fields["our_post"]
        assert isinstance(post, forms.ModelChoiceField)
        post.queryset = Post.objects.filter(workspace=workspace, deleted_at__isnull=True)

    def clean_their_text(self) -> str:
        value = _text(self.cleaned_data["their_text"])
        if not value:
            raise forms.ValidationError(_("Write the partner's post."))
        return value


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("changes", "changes")])
    comment = forms.CharField(max_length=2000, required=False)

    def clean_comment(self) -> str:
        return _text(self.cleaned_data["comment"])
