"""A workspace retrains on its own labelled items; the new model is kept only if it is better."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from kosmmos.channels.models import Channel
from kosmmos.conftest import World, client_for
from kosmmos.inbox.models import InboxProfile, Item, RetrainRun
from kosmmos.inbox.pipeline import model_specs
from kosmmos.inbox.testing import make_item

pytestmark = pytest.mark.django_db

pytest.importorskip("sklearn")

# This brand's clients say "огонь" and "бомба" about products they hate (a made-up in-joke the
# default model cannot know), and "жесть" about ones they love.
NEGATIVE = ["огонь, опять {} сломался", "бомба: {} пришёл разбитым", "огонь просто, {} не работает",
            "бомба, {} вернули без денег", "огонь, а {} так и не доставили"]
POSITIVE = ["жесть какой {} классный", "жесть, {} пришёл за день", "жесть, беру второй {}",
            "жесть как {} нравится", "жесть, лучший {}"]
THINGS = ["чайник", "утюг", "фен", "тостер", "миксер", "блендер"]


def label(vk: Channel) -> None:
    n = 0
    for template, sentiment in [(t, "negative") for t in NEGATIVE] + [(t, "positive") for t in POSITIVE]:
        for thing in THINGS:
            n += 1
            make_item(vk, template.format(thing), sentiment=sentiment, sentiment_manual=True,
                      external_id=f"l{n}")


def test_it_keeps_a_retrained_model_only_when_it_scores_better(world: World, vk: Channel) -> None:
    label(vk)
    browser = client_for(world.alpha.manager)
    assert browser.post(f"/workspaces/{vk.workspace_id}/inbox/retrain/").status_code == 302
    run = RetrainRun.objects.get()
    assert (run.status, run.progress, run.kept) == ("done", 100, True), run.error
    assert run.new_score > run.current_score
    profile = InboxProfile.objects.get(workspace=vk.workspace)
    path = Path(profile.model_path)
    assert path.is_file() and path.suffix == ".npz"
    assert str(path).startswith(str(settings.VAR_DIR))
    assert model_specs({vk.workspace_id}) == {vk.workspace_id: f"linear:{path}"}
    progress = browser.get(f"/inbox/retrain/{run.pk}/").content.decode()
    assert "100%" in progress and "hx-trigger" not in progress

    # Retraining the same data cannot beat the model that has now seen all of it: not kept.
    browser.post(f"/workspaces/{vk.workspace_id}/inbox/retrain/")
    second = RetrainRun.objects.order_by("-created_at").first()
    assert second.status == "done" and not second.kept
    assert InboxProfile.objects.get(workspace=vk.workspace).model_path == str(path)


def test_it_refuses_to_train_on_too_few_items(world: World, vk: Channel) -> None:
    make_item(vk, "плохо", sentiment="negative", sentiment_manual=True)
    client_for(world.alpha.owner).post(f"/workspaces/{vk.workspace_id}/inbox/retrain/")
    run = RetrainRun.objects.get()
    assert run.status == "failed" and run.n_items == 1
    assert (run.error, run.error_values) == ("not_enough_items", {"n": 1, "k": 1, "min": 20})
    assert not Item.objects.filter(workspace=vk.workspace).exclude(sentiment_manual=True).exists()


def test_it_shows_the_progress_in_the_readers_language(world: World, vk: Channel) -> None:
    # The worker's language is nobody's choice: the run stores codes, the page translates them.
    make_item(vk, "плохо", sentiment="negative", sentiment_manual=True)
    with translation.override("ru"):
        client_for(world.alpha.owner, language="ru").post(
            f"/workspaces/{vk.workspace_id}/inbox/retrain/")
    run = RetrainRun.objects.get()
    analytics = f"/workspaces/{vk.workspace_id}/inbox/analytics/"

    english = client_for(world.alpha.manager, language="en").get(analytics).content.decode()
    russian = client_for(world.alpha.manager, language="ru").get(analytics).content.decode()
    progress = client_for(world.alpha.manager, language="en").get(f"/inbox/retrain/{run.pk}/")

    assert "Collecting labelled items" in english
    assert ("Not enough labelled items: 1, with 1 label(s). Correct at least 20 items, with at least "
            "two different labels.") in english
    assert "Собираем" not in english and "Мало размеченных" not in english
    assert "Собираем размеченные сообщения" in russian
    assert "Мало размеченных сообщений: 1, меток: 1." in russian
    assert "Not enough labelled items: 1" in progress.content.decode()


def test_it_shows_text_stored_before_codes_as_it_was(world: World, vk: Channel) -> None:
    RetrainRun.objects.create(
        organisation_id=vk.workspace.organisation_id, workspace=vk.workspace, status="failed",
        stage="Собираем размеченные сообщения", error="Мало размеченных сообщений: 3, меток: 1.")
    page = client_for(world.alpha.manager, language="en").get(
        f"/workspaces/{vk.workspace_id}/inbox/analytics/").content.decode()
    assert "Собираем размеченные сообщения" in page
    assert "Мало размеченных сообщений: 3, меток: 1." in page
