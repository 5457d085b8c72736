from __future__ import annotations

from django.http import HttpRequest

from kosmmos.accounts.models import Membership


def organisation(request: HttpRequest) -> dict[str, object]:
    membership = getattr(request, "membership", None)
    others: list[Membership] = []
    if membership is not None:
        others = list(
            Membership.objects.select_related("organisation")
            .filter(user_id=membership.user_id)
            .exclude(pk=membership.pk)
        )
    return {
        "membership": membership,
        "organisation": membership.organisation if membership else None,
        "other_memberships": others,
    }
