from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kosmmos.proposals.models import ProposalSettings

MAX_LOGO_BYTES = 200 * 1024


class ProposalPrefsForm(forms.ModelForm):
    logo_file = forms.FileField(
        label=_("Logo for proposals"), required=False,
        help_text=_("PNG or SVG, up to 200 KB. Shown at the top of every proposal."),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = ProposalSettings
        fields = ["auto_send"]

    def clean_logo_file(self) -> tuple[bytes, str] | None:
        upload = self.cleaned_data.get("logo_file")
        if not upload:
            return None
        if upload.size > MAX_LOGO_BYTES:
            raise forms.ValidationError(_("The logo is larger than 200 KB."))
        data = upload.read()
        # Sniff the bytes rather than trust the browser's content type.
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            return data, "image/png"
        head = data[:1024].lstrip().lower()
        if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
            return data, "image/svg+xml"
        raise forms.ValidationError(_("Upload a PNG or SVG image."))


class ChangesForm(forms.Form):
    comment = forms.CharField(
        label=_("What should we change?"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
