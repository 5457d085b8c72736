from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Workspace
from kosmmos.ads.models import Cabinet
from kosmmos.audiences.models import SegmentKind


class ExportForm(forms.Form):
    cabinet = forms.ModelChoiceField(label=_("Cabinet"), queryset=Cabinet.objects.none())
    kind = forms.ChoiceField(label=_("Segment"), choices=SegmentKind.choices)
    refresh_days = forms.IntegerField(label=_("Refresh every, days (0: never)"), min_value=0,
                                      max_value=90, initial=7)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["cabinet"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Cabinet.objects.filter(workspace=workspace)
        only = list(field.queryset[:2])
        if len(only) == 1:
            field.initial = only[0].pk
