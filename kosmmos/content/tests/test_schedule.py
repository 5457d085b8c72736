from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from kosmmos.conftest import client_for
from kosmmos.content import history
from kosmmos.content.models import Post, PostEvent, PostStatus, PostTarget, TargetStatus
from kosmmos.content.targets import post_status, roll_up
from kosmmos.content.tests.conftest import Plan, future, make_post

EN = {"language": "en"}
Kind = PostEvent.Kind


def statuses(post: Post) -> list[str]:
    return sorted(PostTarget.objects.filter(post=post).values_list("status", flat=True))


def test_it_schedules_an_approved_post_through_the_engine(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk, plan.telegram], status=PostStatus.APPROVED)
    response = client_for(plan.world.alpha.manager, **EN).post(f"/content/posts/{post.pk}/schedule/")
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    assert statuses(post) == [TargetStatus.SCHEDULED, TargetStatus.SCHEDULED]
    assert set(PostTarget.objects.filter(post=post).values_list("next_attempt_at", flat=True)) == {post.publish_at}
    assert post.events.filter(kind=Kind.SCHEDULED).count() == 1


def test_it_refuses_to_schedule_an_ad_post_without_erid(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk], status=PostStatus.APPROVED, is_ad=True,
                     advertiser="ООО «Ромашка»")
    browser = client_for(plan.world.alpha.manager, **EN)
    response = browser.post(f"/content/posts/{post.pk}/schedule/", follow=True)
    assert "An advertising post needs the erid token from the ORD" in response.content.decode()
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED and statuses(post) == [TargetStatus.DRAFT]
    assert not post.events.filter(kind=Kind.SCHEDULED).exists()


def test_it_refuses_to_schedule_over_a_network_limit_or_in_the_past(plan: Plan) -> None:
    too_long = make_post(plan.workspace, channels=[plan.telegram], status=PostStatus.APPROVED, text="a" * 5000)
    past = make_post(plan.workspace, channels=[plan.vk], status=PostStatus.APPROVED,
                     at=timezone.now() - timedelta(hours=1))
    unapproved = make_post(plan.workspace, channels=[plan.vk], status=PostStatus.IN_REVIEW)
    browser = client_for(plan.world.alpha.manager, **EN)
    body = browser.post(f"/content/posts/{too_long.pk}/schedule/", follow=True).content.decode()
    assert "The Telegram text is 5,000 characters; the limit is 4,096." in body
    body = browser.post(f"/content/posts/{past.pk}/schedule/", follow=True).content.decode()
    assert "The publication time has passed; choose a time in the future." in body
    body = browser.post(f"/content/posts/{unapproved.pk}/schedule/", follow=True).content.decode()
    assert "Only an approved post can be scheduled." in body
    assert PostTarget.objects.filter(status=TargetStatus.SCHEDULED).count() == 0


def test_it_unschedules_back_to_approved(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk], status=PostStatus.APPROVED)
    browser = client_for(plan.world.alpha.manager, **EN)
    browser.post(f"/content/posts/{post.pk}/schedule/")
    browser.post(f"/content/posts/{post.pk}/unschedule/")
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED and statuses(post) == [TargetStatus.DRAFT]
    assert [k for k in post.events.order_by("created_at", "id").values_list("kind", flat=True)][-2:] == [
        Kind.SCHEDULED, Kind.UNSCHEDULED]


def test_it_moves_a_post_dropped_on_another_day_and_keeps_its_time(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk], status=PostStatus.APPROVED, at=future(3, 18))
    browser = client_for(plan.world.alpha.manager, **EN)
    browser.post(f"/content/posts/{post.pk}/schedule/")
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    response = browser.post(f"/content/posts/{post.pk}/reschedule/", {"date": day},
                            HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["ok"] is True and data["message"].startswith("Moved to ")
    post.refresh_from_db()
    local = timezone.localtime(post.publish_at)
    assert (local.date().isoformat(), local.hour) == (day, 18)
    assert post.status == PostStatus.SCHEDULED
    # The engine's rows follow the new time.
    assert set(PostTarget.objects.filter(post=post).values_list("next_attempt_at", flat=True)) == {post.publish_at}
    assert history.render(post.events.get(kind=Kind.RESCHEDULED),
                          plan.workspace.organisation.timezone).endswith("18:00")


def test_it_refuses_a_drop_in_the_past_for_a_scheduled_post(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk], status=PostStatus.APPROVED)
    browser = client_for(plan.world.alpha.manager, **EN)
    browser.post(f"/content/posts/{post.pk}/schedule/")
    before = Post.objects.get(pk=post.pk).publish_at
    response = browser.post(f"/content/posts/{post.pk}/reschedule/",
                            {"date": (timezone.localdate() - timedelta(days=2)).isoformat()},
                            HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert json.loads(response.content) == {
        "ok": False, "error": "The publication time has passed; choose a time in the future."}
    assert Post.objects.get(pk=post.pk).publish_at == before
    assert not post.events.filter(kind=Kind.RESCHEDULED).exists()


def test_it_moves_a_post_with_the_keyboard_fallback(plan: Plan) -> None:
    post = make_post(plan.workspace)
    when = future(6, 9)
    response = client_for(plan.world.alpha.manager, **EN).post(
        f"/content/posts/{post.pk}/reschedule/", {"publish_at": when.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.publish_at == when


def test_it_refuses_to_move_a_published_post(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk], status=PostStatus.PUBLISHED)
    PostTarget.objects.filter(post=post).update(status=TargetStatus.PUBLISHED)
    response = client_for(plan.world.alpha.manager, **EN).post(
        f"/content/posts/{post.pk}/reschedule/", {"date": (timezone.localdate() + timedelta(days=9)).isoformat()},
        HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "A published post keeps its publication time."


def test_it_shows_a_failure_with_its_reason_and_retries_it(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk], status=PostStatus.SCHEDULED, text="Пост с ошибкой")
    target = post.targets.get()
    # The engine fails the target and rolls the post up in the same transaction.
    PostTarget.objects.filter(pk=target.pk).update(status=TargetStatus.FAILED,
                                                   last_error="VK 214: posting denied")
    roll_up([post.pk])
    browser = client_for(plan.world.alpha.manager, **EN)
    page = browser.get(f"/workspaces/{plan.workspace.pk}/content/").content.decode()
    assert "VK 214: posting denied" in page and f"/content/targets/{target.pk}/retry/" in page
    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert post.events.get(kind=Kind.FAILED).text == "VK: Alpha VK: VK 214: posting denied"
    response = browser.post(f"/content/targets/{target.pk}/retry/",
                            {"next": f"/workspaces/{plan.workspace.pk}/content/"})
    assert response["Location"] == f"/workspaces/{plan.workspace.pk}/content/"
    target.refresh_from_db()
    post.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED and target.last_error == ""
    assert post.status == PostStatus.SCHEDULED
    assert post.events.filter(kind=Kind.RETRIED).count() == 1


def test_it_reads_the_plan_without_writing(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk], status=PostStatus.SCHEDULED)
    PostTarget.objects.filter(post=post).update(status=TargetStatus.FAILED)  # no roll-up
    browser = client_for(plan.world.alpha.manager, **EN)
    assert browser.get(f"/workspaces/{plan.workspace.pk}/content/").status_code == 200
    assert browser.get(f"/content/posts/{post.pk}/").status_code == 200
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED and not post.events.filter(kind=Kind.FAILED).exists()


def test_it_rolls_a_post_up_from_its_targets() -> None:
    assert post_status({"published", "deleted"}) == PostStatus.PUBLISHED
    assert post_status({"published", "needs_check"}) == PostStatus.FAILED
    assert post_status({"published", "reconciling"}) == PostStatus.SCHEDULED
    assert post_status({"draft"}) is None and post_status(set()) is None


def test_it_deletes_a_draft_and_asks_the_networks_to_delete_a_published_post(plan: Plan) -> None:
    draft = make_post(plan.workspace, channels=[plan.vk])
    published = make_post(plan.workspace, channels=[plan.vk], status=PostStatus.PUBLISHED, text="Вышедший пост")
    PostTarget.objects.filter(post=published).update(status=TargetStatus.PUBLISHED, external_id="1")
    browser = client_for(plan.world.alpha.manager, **EN)
    browser.post(f"/content/posts/{draft.pk}/delete/")
    assert not Post.objects.filter(pk=draft.pk).exists()
    browser.post(f"/content/posts/{published.pk}/delete/")
    published.refresh_from_db()
    assert published.deleted_at is not None
    assert published.targets.get().pending_action == "delete"
    assert browser.get(f"/content/posts/{published.pk}/").status_code == 404
    assert "Вышедший пост" not in browser.get(f"/workspaces/{plan.workspace.pk}/content/?view=list").content.decode()


def test_it_marks_a_telegram_post_past_48_hours_not_deletable_instead_of_asking(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk, plan.telegram], status=PostStatus.PUBLISHED)
    long_ago = timezone.now() - timedelta(hours=49)
    PostTarget.objects.filter(post=post).update(status=TargetStatus.PUBLISHED, external_id="7",
                                                published_at=long_ago)
    browser = client_for(plan.world.alpha.manager, **EN)
    page = browser.get(f"/content/posts/{post.pk}/").content.decode()
    assert "Telegram deletes only messages sent less than 48 hours ago: in " + plan.telegram.name in page
    answer = browser.post(f"/content/posts/{post.pk}/delete/", follow=True).content.decode()
    assert "the post stays on: " + plan.telegram.name in answer
    vk, telegram = (post.targets.get(channel=plan.vk), post.targets.get(channel=plan.telegram))
    assert (vk.status, vk.pending_action) == (TargetStatus.PUBLISHED, "delete")
    assert (telegram.status, telegram.pending_action) == (TargetStatus.NOT_DELETABLE, "")
    assert "delete it in the network itself" in telegram.last_error
    assert post.events.filter(kind=Kind.NOT_DELETABLE).count() == 1
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED  # kept by the network is no failure
    assert post_status({"deleted", "not_deletable"}) == PostStatus.PUBLISHED


def test_it_asks_telegram_to_delete_a_post_inside_48_hours(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.telegram], status=PostStatus.PUBLISHED)
    PostTarget.objects.filter(post=post).update(status=TargetStatus.PUBLISHED, external_id="7",
                                                published_at=timezone.now() - timedelta(hours=47))
    browser = client_for(plan.world.alpha.manager, **EN)
    assert "48 hours" not in browser.get(f"/content/posts/{post.pk}/").content.decode()
    browser.post(f"/content/posts/{post.pk}/delete/")
    assert post.targets.get().pending_action == "delete"


def test_it_sends_the_new_text_of_a_published_post_to_the_networks(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk], status=PostStatus.PUBLISHED, text="Было")
    PostTarget.objects.filter(post=post).update(status=TargetStatus.PUBLISHED, external_id="1")
    browser = client_for(plan.world.alpha.manager, **EN)
    local = timezone.localtime(post.publish_at).strftime("%Y-%m-%dT%H:%M")
    response = browser.post(f"/content/posts/{post.pk}/edit/", {"text": "Стало", "publish_at": local})
    assert response.status_code == 302
    assert post.targets.get().pending_action == "edit"
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED and post.text == "Стало"
