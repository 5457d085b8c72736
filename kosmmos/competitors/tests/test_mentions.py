"""Brand mentions: searched on the sandbox, into the inbox as their own kind, once each across
overlapping polls, with sentiment and the source link; a spike raises one alert."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kosmmos.competitors import actions, listening
from kosmmos.competitors.models import MentionQuery
from kosmmos.competitors.tests.conftest import admin
from kosmmos.inbox.models import Item, Kind
from kosmmos.notifications.models import Event

pytestmark = pytest.mark.django_db


def _query(world: Any, django_capture_on_commit_callbacks: Any, **data: Any) -> MentionQuery:
    actions.save_keys(world.alpha.org, {"sandbox_key": "alpha-key"})
    with django_capture_on_commit_callbacks(execute=True):
        return actions.save_query(world.alpha.client_workspace,
                                  {"words": "Альфа", "exclusions": "", "enabled": True, **data})


def test_it_stores_mentions_once_across_polls_with_sentiment_and_link(
        world: Any, sandbox: Any, django_capture_on_commit_callbacks: Any) -> None:
    query = _query(world, django_capture_on_commit_callbacks)
    mentions = Item.objects.filter(workspace=world.alpha.client_workspace, kind=Kind.MENTION)
    first = mentions.count()
    assert first > 0
    item = mentions.first()
    assert item.channel_id is None and item.network == "sandbox"
    assert item.sentiment in {"negative", "neutral", "positive"}
    assert item.raw["url"].startswith("sandbox:search/")
    assert "Альфа" in item.text
    # The next poll overlaps the last one: nothing stored twice.
    MentionQuery.objects.filter(pk=query.pk).update(next_attempt_at=timezone.now())
    listening.searches.dispatch_due()
    assert mentions.count() == first
    assert not Item.objects.filter(workspace=world.beta.client_workspace).filter(
        kind=Kind.MENTION).exists()


def test_it_leaves_out_exclusions(world: Any, sandbox: Any,
                                  django_capture_on_commit_callbacks: Any) -> None:
    _query(world, django_capture_on_commit_callbacks, exclusions="доставку\nрекламу")
    texts = list(Item.objects.filter(kind=Kind.MENTION).values_list("text", flat=True))
    assert texts and not any("доставку" in t or "рекламу" in t for t in texts)


def test_it_raises_one_spike_alert_with_the_posts_that_caused_it(
        world: Any, sandbox: Any, django_capture_on_commit_callbacks: Any) -> None:
    admin("PUT", "_setup", {"queries": {"альфа": {"per_hour": 0.1, "spike_per_hour": 40, "spike_hours_ago": 0.25}}})
    ws = world.alpha.client_workspace
    # A quiet fortnight before today.
    for day in range(1, 15):
        Item.objects.create(organisation=ws.organisation, workspace=ws, channel=None,
                            network="sandbox", kind=Kind.MENTION, external_id=f"old-{day}",
                            text="Альфа", received_at=timezone.now() - timedelta(days=day))
    query = _query(world, django_capture_on_commit_callbacks)
    spikes = Event.objects.filter(kind="mentions.spike", workspace=ws)
    assert spikes.filter(payload__kind="all").count() == 1
    event = spikes.get(payload__kind="all")
    assert "sandbox:search/" in event.body and event.payload["urls"]
    MentionQuery.objects.filter(pk=query.pk).update(next_attempt_at=timezone.now())
    listening.searches.dispatch_due()
    assert spikes.filter(payload__kind="all").count() == 1


def test_it_searches_nowhere_without_keys(world: Any, sandbox: Any,
                                          django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        actions.save_query(world.beta.client_workspace,
                           {"words": "Бета", "exclusions": "", "enabled": True})
    assert not Item.objects.filter(kind=Kind.MENTION).exists()
    assert admin("GET", "_stats")["searches"] == 0
