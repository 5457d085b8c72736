from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from kosmmos.lib.dates import FIRST_YEAR, LAST_YEAR
from kosmmos.lib.untrusted import clean_text
from kosmmos.reports.models import (
    DEFAULT_SECTIONS,
    SECTION_LABELS,
    ReportSettings,
    ReportTemplate,
)

MAX_TEXT = 5000


class TextField(forms.CharField):
    """Free text a person typed: NUL and lone surrogates removed, length limited."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=MAX_TEXT, required=False, strip=True,
                         widget=forms.Textarea(attrs={"rows": 4}), **kwargs)

    def to_python(self, value: Any) -> str:
        return clean_text(super().to_python(value) or "")


class SettingsForm(forms.ModelForm):
    class Meta:
        model = ReportSettings
        fields = ["enabled", "cadence", "day", "at", "auto_send", "sender_name", "reply_to",
                  "show_product"]
        widgets = {"at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def clean_day(self) -> int:
        day = self.cleaned_data["day"]
        if not 1 <= day <= 28:
            raise forms.ValidationError(_("Choose a day from 1 to 28."))
        return int(day)

    def clean_sender_name(self) -> str:
        return clean_text(self.cleaned_data["sender_name"]).replace("\n", " ").strip()


class TemplateForm(forms.ModelForm):
    """Sections as a checkbox and a position each; the rest as the model has it."""

    summary = TextField(label=SECTION_LABELS["summary"])
    done = TextField(label=SECTION_LABELS["done"])
    next = TextField(label=SECTION_LABELS["next"])

    class Meta:
        model = ReportTemplate
        fields = ["language", "summary", "done", "next", "extra_recipients"]
        widgets = {"extra_recipients": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chosen = self.instance.section_list()
        for index, code in enumerate(DEFAULT_SECTIONS):
            self.fields[f"on_{code}"] = forms.BooleanField(
                label=SECTION_LABELS[code], required=False, initial=code in chosen)
            self.fields[f"pos_{code}"] = forms.IntegerField(
                label=_("Position"), min_value=1, max_value=99, required=False,
                initial=(chosen.index(code) if code in chosen else len(chosen) + index) + 1)

    def section_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"on_{code}"], self[f"pos_{code}"]) for code in DEFAULT_SECTIONS]

    def clean_extra_recipients(self) -> str:
        lines = [line.strip() for line in
                 clean_text(self.cleaned_data["extra_recipients"]).splitlines() if line.strip()]
        if len(lines) > 20:
            raise forms.ValidationError(_("At most 20 addresses."))
        for line in lines:
            try:
                validate_email(line)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("Not an email address: %(value)s"), params={"value": line[:80]}) from None
        return "\n".join(lines)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        picked = [(data.get(f"pos_{code}") or 99, i, code)
                  for i, code in enumerate(DEFAULT_SECTIONS) if data.get(f"on_{code}")]
        if not picked:
            raise forms.ValidationError(_("Choose at least one section."))
        self.instance.sections = [code for _pos, _i, code in sorted(picked)]
        return data


class CommentaryForm(forms.Form):
    summary = TextField(label=SECTION_LABELS["summary"])
    done = TextField(label=SECTION_LABELS["done"])
    next = TextField(label=SECTION_LABELS["next"])


class DraftForm(forms.Form):
    """Draft a report by hand: a workspace and a month (YYYY-MM)."""

    workspace = forms.ChoiceField(label=_("Client"))
    month = forms.CharField(label=_("Month"), max_length=7,
                            widget=forms.TextInput(attrs={"type": "month"}))

    def __init__(self, *args: Any, workspaces: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspaces = {str(w.pk): w for w in workspaces}
        field = self.fields["workspace"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(w.pk), w.name) for w in workspaces]
        if not self.is_bound:
            last = date.today().replace(day=1) - timedelta(days=1)
            self.initial.setdefault("month", f"{last:%Y-%m}")

    def clean_month(self) -> tuple[date, date]:
        text = self.cleaned_data["month"]
        try:
            first = datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Enter a month as YYYY-MM.")) from None
        if not FIRST_YEAR <= first.year <= LAST_YEAR:
            raise forms.ValidationError(_("Enter a month as YYYY-MM."))
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return first, last

    def clean_workspace(self) -> Any:
        return self.workspaces[self.cleaned_data["workspace"]]


