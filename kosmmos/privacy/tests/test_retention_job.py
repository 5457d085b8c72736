from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kosmmos.briefs.models import Brief
from kosmmos.conftest import World
from kosmmos.privacy.dispatch import run_retention
from kosmmos.privacy.models import Retention


def test_it_runs_each_organisations_retention_once_a_day(world: World) -> None:
    alpha, beta = world.alpha, world.beta
    Brief.objects.filter(organisation__in=[alpha.org, beta.org]).update(
        submitted_at=timezone.now() - timedelta(days=100))
    Retention.objects.create(organisation=alpha.org, months=2)
    Retention.objects.create(organisation=beta.org, months=None)

    first, second = run_retention(), run_retention()

    assert (first, second) == (1, 0)
    assert not Brief.objects.filter(organisation=alpha.org).exclude(
        email__endswith="@anonymised.invalid").exists()
    assert not Brief.objects.filter(organisation=beta.org,
                                    email__endswith="@anonymised.invalid").exists()
    row = Retention.objects.get(organisation=alpha.org)
    assert row.last_result["leads"] == len(alpha.leads)
    assert row.next_run_at > timezone.now() + timedelta(hours=23)
