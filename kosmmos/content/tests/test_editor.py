from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from kosmmos.conftest import client_for
from kosmmos.content import history
from kosmmos.content.models import Post, PostEvent, PostMedia, PostStatus, PostTarget, PostVariant, TargetStatus
from kosmmos.content.tests.conftest import Plan, future, make_media, make_post

EN = {"language": "en"}


def form(plan: Plan, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Autumn picks", "text": "Пять средств для осени", "hashtags": "осень, уход",
        "publish_at": future().strftime("%Y-%m-%dT%H:%M"), "channels": [str(plan.vk.pk), str(plan.telegram.pk)],
        "variant_telegram": "Короче для Telegram", "advertiser": "", "erid": "",
    }
    data.update(extra)
    return data


def test_it_creates_a_post_with_draft_targets_variants_and_ordered_media(plan: Plan) -> None:
    first, second = make_media(plan.workspace, "a.png"), make_media(plan.workspace, "b.png")
    browser = client_for(plan.world.alpha.manager, **EN)
    response = browser.post(f"/workspaces/{plan.workspace.pk}/content/new/", form(
        plan, media=[str(first.pk), str(second.pk)],
        **{f"media_order_{first.pk}": "2", f"media_order_{second.pk}": "1"}))
    assert response.status_code == 302
    post = Post.objects.get(title="Autumn picks")
    assert response["Location"] == f"/content/posts/{post.pk}/"
    assert post.status == PostStatus.DRAFT and post.hashtags == "#осень #уход"
    assert sorted(t.channel.name for t in post.targets.all()) == ["Alpha TG", "Alpha VK"]
    assert set(PostTarget.objects.filter(post=post).values_list("status", flat=True)) == {TargetStatus.DRAFT}
    assert list(PostVariant.objects.filter(post=post).values_list("network", "text")) == [
        ("telegram", "Короче для Telegram")]
    assert [pm.media.name for pm in PostMedia.objects.filter(post=post)] == ["b.png", "a.png"]
    assert list(post.events.values_list("kind", flat=True)) == [PostEvent.Kind.CREATED]


def test_it_keeps_everything_typed_when_the_form_has_an_error(plan: Plan) -> None:
    browser = client_for(plan.world.alpha.manager, **EN)
    response = browser.post(f"/workspaces/{plan.workspace.pk}/content/new/",
                            form(plan, publish_at="not a date", text="Текст, который нельзя терять"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Текст, который нельзя терять" in body and "Короче для Telegram" in body
    assert "Enter a valid date/time." in body
    assert body.count(" checked") == 2  # both channels stay ticked
    assert not Post.objects.exists()


def test_it_previews_each_network_with_the_ad_label_and_the_limits(plan: Plan) -> None:
    photo = make_media(plan.workspace, "a.png")
    browser = client_for(plan.world.alpha.manager, **EN)
    response = browser.post(f"/workspaces/{plan.workspace.pk}/content/preview/", form(
        plan, text="a" * 1250, variant_telegram="", is_ad="on", advertiser="ООО «Ромашка»",
        erid="", media=[str(photo.pk)]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "The Telegram caption is 1,288 characters; the limit with media is 1,024." in body
    assert "Реклама. ООО «Ромашка»" in body
    assert "An advertising post needs the erid token from the ORD" in body
    assert f"/content/media/{photo.pk}/" in body
    assert not Post.objects.exists()


def test_it_records_a_short_diff_when_a_post_is_edited(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk], text="Старый текст про осень")
    browser = client_for(plan.world.alpha.manager, **EN)
    response = browser.post(f"/content/posts/{post.pk}/edit/", form(
        plan, text="Новый текст про осень", channels=[str(plan.vk.pk), str(plan.ok.pk)]))
    assert response.status_code == 302
    edited = post.events.get(kind=PostEvent.Kind.EDITED)
    with translation.override("en"):
        text = history.render(edited, "Europe/Moscow")
    assert "Text: −«Старый» +«Новый»" in text
    assert "Channels: +Odnoklassniki: Alpha OK" in text


@pytest.mark.parametrize(("language", "said", "other"), [
    ("ru", "Текст: −«Старый» +«Новый»", "Text:"), ("en", "Text: −«Старый» +«Новый»", "Текст:")])
def test_it_shows_the_history_in_the_viewers_language(plan: Plan, language: str, said: str,
                                                      other: str) -> None:
    post = make_post(plan.workspace, channels=[plan.vk], text="Старый текст",
                     status=PostStatus.APPROVED)
    # A Russian-speaking manager edits; the entry is made in whoever reads it's language.
    client_for(plan.world.alpha.manager, language="ru").post(
        f"/content/posts/{post.pk}/edit/", form(plan, text="Новый текст", channels=[str(plan.vk.pk)]))
    edited = post.events.get(kind=PostEvent.Kind.EDITED)
    assert edited.message == history.EDITED and edited.text == ""
    page = client_for(plan.world.alpha.owner, language=language).get(
        f"/content/posts/{post.pk}/").content.decode()
    timeline = page.split('class="timeline', 1)[1]
    assert said in timeline and other not in timeline
    withdrawn = {"ru": "Согласование снято", "en": "The approval was withdrawn"}[language]
    assert withdrawn in timeline
    # An entry written before keys existed reads as it was stored.
    PostEvent.objects.create(post=post, kind=PostEvent.Kind.EDITED, text="Заголовок: А → Б")
    page = client_for(plan.world.alpha.owner, language=language).get(
        f"/content/posts/{post.pk}/").content.decode()
    assert "Заголовок: А → Б" in page


def test_it_withdraws_the_approval_when_the_content_changes(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk], status=PostStatus.APPROVED)
    browser = client_for(plan.world.alpha.manager, **EN)
    browser.post(f"/content/posts/{post.pk}/edit/", form(plan, text="Другой текст", channels=[str(plan.vk.pk)]))
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    with translation.override("en"):
        text = history.render(post.events.get(kind=PostEvent.Kind.EDITED), "Europe/Moscow")
    assert "The approval was withdrawn" in text


def test_it_saves_and_sends_for_review_in_one_click(plan: Plan) -> None:
    browser = client_for(plan.world.alpha.manager, **EN)
    browser.post(f"/workspaces/{plan.workspace.pk}/content/new/", form(plan, then="review"))
    post = Post.objects.get()
    assert post.status == PostStatus.IN_REVIEW


def test_it_makes_a_template_and_a_post_from_it(plan: Plan) -> None:
    post = make_post(plan.workspace, text="Шаблонный текст", hashtags="#sale")
    browser = client_for(plan.world.alpha.manager, **EN)
    browser.post(f"/content/posts/{post.pk}/template/", {"name": "Weekly sale"})
    template = plan.workspace.post_templates.get()
    assert (template.name, template.text, template.hashtags) == ("Weekly sale", "Шаблонный текст", "#sale")
    assert "Weekly sale" in browser.get(f"/workspaces/{plan.workspace.pk}/content/templates/").content.decode()
    response = browser.post(f"/content/templates/{template.pk}/use/")
    new = Post.objects.exclude(pk=post.pk).get()
    assert response["Location"] == f"/content/posts/{new.pk}/edit/"
    assert new.text == "Шаблонный текст" and new.status == PostStatus.DRAFT
    assert "From the template «Weekly sale»" in new.events.get().text


def test_it_manages_rubrics(plan: Plan) -> None:
    browser = client_for(plan.world.alpha.manager, **EN)
    browser.post(f"/workspaces/{plan.workspace.pk}/content/rubrics/", {"name": "Новости", "color": "#FF0000"})
    rubric = plan.workspace.rubrics.get()
    assert rubric.color == "#ff0000"
    browser.post(f"/content/rubrics/{rubric.pk}/", {f"{rubric.pk}-name": "Акции", f"{rubric.pk}-color": "#00ff00"})
    rubric.refresh_from_db()
    assert rubric.name == "Акции"
    browser.post(f"/content/rubrics/{rubric.pk}/delete/")
    assert not plan.workspace.rubrics.exists()


def test_it_lets_an_analyst_read_but_not_write(plan: Plan) -> None:
    post = make_post(plan.workspace)
    browser = client_for(plan.world.alpha.analyst, **EN)
    assert browser.get(f"/content/posts/{post.pk}/").status_code == 200
    assert browser.get(f"/content/posts/{post.pk}/edit/").status_code == 403
    assert browser.post(f"/content/posts/{post.pk}/review/").status_code == 403
    assert browser.post(f"/content/posts/{post.pk}/approve/").status_code == 403


def test_it_saves_an_ad_post_only_with_its_advertiser_like_the_api(plan: Plan) -> None:
    browser = client_for(plan.world.alpha.manager, **EN)
    response = browser.post(f"/workspaces/{plan.workspace.pk}/content/new/", form(
        plan, is_ad="on", advertiser="  ", erid="2Vtzqv", then="review"))
    body = response.content.decode()
    assert response.status_code == 400 and not Post.objects.exists()
    assert "An advertising post must name the advertiser." in body
    assert "it is scheduled only with its erid, which the ORD issues" in body  # stated
    assert "2Vtzqv" in body  # what was typed stays
    # Without an erid it is saved and goes for review: the ORD issues one at approval.
    response = browser.post(f"/workspaces/{plan.workspace.pk}/content/new/", form(
        plan, is_ad="on", advertiser="ООО «Ромашка»", erid="", then="review"))
    assert response.status_code == 302
    assert Post.objects.get().status == PostStatus.IN_REVIEW


def test_it_refuses_to_send_an_old_ad_post_without_advertiser_for_review(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk], text="Скидка")
    Post.objects.filter(pk=post.pk).update(is_ad=True, advertiser="", erid="2Vtzqv")
    client_for(plan.world.alpha.manager, **EN).post(f"/content/posts/{post.pk}/review/")
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT


def test_it_refreshes_the_channels_card_while_a_post_is_due_and_not_after(plan: Plan) -> None:
    from datetime import timedelta

    from django.utils import timezone

    post = make_post(plan.workspace, channels=[plan.vk], text="Скоро")
    target = post.targets.get()
    browser = client_for(plan.world.alpha.manager, **EN)
    PostTarget.objects.filter(pk=target.pk).update(
        status=TargetStatus.SCHEDULED, publish_at=timezone.now() + timedelta(minutes=2))
    assert 'hx-select="#post-channels"' in browser.get(f"/content/posts/{post.pk}/").content.decode()
    PostTarget.objects.filter(pk=target.pk).update(publish_at=timezone.now() + timedelta(days=3))
    assert "hx-select" not in browser.get(f"/content/posts/{post.pk}/").content.decode()
