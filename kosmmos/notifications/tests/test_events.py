import pytest
from django.db import transaction

from kosmmos.accounts.models import Organisation
from kosmmos.notifications.events import emit
from kosmmos.notifications.models import Event


@pytest.mark.django_db
def test_it_records_an_event_once_per_dedupe_key() -> None:
    org = Organisation.objects.create(name="A")
    first = emit("post.failed", organisation=org, title="x", dedupe_key="k1")
    again = emit("post.failed", organisation=org, title="x", dedupe_key="k1")
    assert first is not None and again is None
    assert Event.objects.get().severity == "urgent"


@pytest.mark.django_db(transaction=True)
def test_it_leaves_the_callers_transaction_usable_after_a_duplicate() -> None:
    org = Organisation.objects.create(name="A")
    with transaction.atomic():
        emit("lead.created", organisation=org, title="a", dedupe_key="k")
        emit("lead.created", organisation=org, title="a", dedupe_key="k")
        Organisation.objects.create(name="B")
    assert Organisation.objects.count() == 2 and Event.objects.count() == 1


def test_it_refuses_an_unknown_kind() -> None:
    with pytest.raises(KeyError):
        emit("no.such", organisation=None, title="x")


@pytest.mark.django_db
def test_it_records_what_any_layer_raises_through_lib_events() -> None:
    from kosmmos.lib.events import emit as raise_event

    org = Organisation.objects.create(name="A")
    stored = raise_event("lead.created", organisation=org, title="Новая заявка", dedupe_key="l1")
    assert isinstance(stored, Event) and stored.title == "Новая заявка"
    assert raise_event("lead.created", organisation=org, title="x", dedupe_key="l1") is None
