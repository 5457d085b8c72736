from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kosmmos.conftest import client_for
from kosmmos.content.models import ApprovalLink, PostComment, PostEvent, PostStatus
from kosmmos.content.tests.conftest import Plan, make_media, make_post
from kosmmos.mail.models import Delivery

EN = {"language": "en"}
Kind = PostEvent.Kind


def kinds(post) -> list[str]:
    return list(post.events.order_by("created_at", "id").values_list("kind", flat=True))


def test_it_sends_a_post_for_review_and_emails_the_client(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk], title="Осенняя подборка")
    response = client_for(plan.world.alpha.manager, **EN).post(f"/content/posts/{post.pk}/review/")
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    assert kinds(post) == [Kind.CREATED, Kind.SENT_FOR_REVIEW]
    mail = Delivery.objects.get(kind="content_review")
    assert mail.to == ["client@alpha.test"]
    assert "Осенняя подборка" in mail.subject
    assert f"http://kosmmos.test/content/posts/{post.pk}/" in mail.body


def test_it_lets_the_client_approve_and_tells_the_manager(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk])
    manager = plan.world.alpha.manager
    manager.language = "en"  # emails go out in the recipient's language
    manager.save(update_fields=["language"])
    client_for(manager).post(f"/content/posts/{post.pk}/review/")
    client = client_for(plan.world.alpha.client, **EN)
    page = client.get(f"/content/posts/{post.pk}/").content.decode()
    assert "Request changes" in page and "Approve" in page
    client.post(f"/content/posts/{post.pk}/approve/", {"comment": "Отлично"})
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    assert kinds(post)[-1] == Kind.APPROVED
    assert post.comments.get().text == "Отлично"
    mail = Delivery.objects.get(kind="content_decision")
    assert mail.to == ["manager@alpha.test"]
    assert "Alpha Client approved the post." in mail.body


def test_it_lets_the_client_ask_for_changes_with_a_comment(plan: Plan) -> None:
    post = make_post(plan.workspace, channels=[plan.vk], status=PostStatus.IN_REVIEW)
    client = client_for(plan.world.alpha.client, **EN)
    client.post(f"/content/posts/{post.pk}/changes/", {"comment": ""})
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW  # a request for changes needs a comment
    client.post(f"/content/posts/{post.pk}/changes/", {"comment": "Уберите вторую фразу"})
    post.refresh_from_db()
    assert (post.status, post.changes_requested) == (PostStatus.DRAFT, True)
    event = post.events.get(kind=Kind.CHANGES_REQUESTED)
    assert (event.author, event.text) == (plan.world.alpha.client, "Уберите вторую фразу")
    # Nobody sent it for review in this test: the agency's usual recipients hear about it.
    assert sorted(d.to[0] for d in Delivery.objects.filter(kind="content_decision")) == [
        "manager@alpha.test", "owner@alpha.test"]
    # The client still sees the post they returned, with the thread.
    assert "Уберите вторую фразу" in client.get(f"/content/posts/{post.pk}/").content.decode()


def test_it_hides_unsent_drafts_from_the_client(plan: Plan) -> None:
    draft = make_post(plan.workspace, text="Черновик агентства")
    client = client_for(plan.world.alpha.client, **EN)
    assert client.get(f"/content/posts/{draft.pk}/").status_code == 404
    assert "Черновик агентства" not in client.get(f"/workspaces/{plan.workspace.pk}/content/").content.decode()
    assert client.post(f"/content/posts/{draft.pk}/approve/").status_code == 404


def test_it_lets_a_client_only_decide_not_edit(plan: Plan) -> None:
    post = make_post(plan.workspace, status=PostStatus.IN_REVIEW)
    client = client_for(plan.world.alpha.client, **EN)
    assert client.get(f"/content/posts/{post.pk}/edit/").status_code in {403, 404}
    assert client.post(f"/content/posts/{post.pk}/schedule/").status_code in {403, 404}
    assert client.post(f"/content/posts/{post.pk}/comment/", {"text": "Вопрос"}).status_code == 302
    assert post.events.filter(kind=Kind.COMMENT).count() == 1


# --- The approval link ---------------------------------------------------------------------------


def make_link(plan: Plan, **extra) -> ApprovalLink:
    today = timezone.localdate()
    return ApprovalLink.objects.create(organisation=plan.workspace.organisation, workspace=plan.workspace,
                                       date_from=today, date_to=today + timedelta(days=30), **extra)


def test_it_creates_and_emails_an_approval_link(plan: Plan) -> None:
    make_post(plan.workspace, status=PostStatus.IN_REVIEW)
    today = timezone.localdate()
    browser = client_for(plan.world.alpha.manager, **EN)
    response = browser.post(f"/workspaces/{plan.workspace.pk}/content/approval-links/", {
        "date_from": today.isoformat(), "date_to": (today + timedelta(days=30)).isoformat(),
        "email": "boss@client.example"})
    assert response.status_code == 302
    link = ApprovalLink.objects.get()
    assert link.expires_at - timezone.now() > timedelta(days=13, hours=23)
    mail = Delivery.objects.get(kind="content_approval_link")
    assert mail.to == ["boss@client.example"] and link.url() in mail.body


def test_it_approves_through_the_link_without_an_account(plan: Plan) -> None:
    photo = make_media(plan.workspace, "cover.png")
    post = make_post(plan.workspace, channels=[plan.telegram], status=PostStatus.IN_REVIEW,
                     text="Текст на согласование")
    post.post_media.create(media=photo, position=0)
    other = make_post(plan.world.alpha.other_workspace, status=PostStatus.IN_REVIEW, text="Чужой пост")
    link = make_link(plan)
    anonymous = client_for(None, **EN)
    page = anonymous.get(f"/approve/{link.token}/").content.decode()
    assert "Текст на согласование" in page and "Чужой пост" not in page
    assert anonymous.get(f"/approve/{link.token}/media/{photo.pk}/").status_code == 200
    # Without a name nothing happens.
    anonymous.post(f"/approve/{link.token}/posts/{post.pk}/", {f"{post.pk}-author_name": "", "decision": "approve"})
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    anonymous.post(f"/approve/{link.token}/posts/{post.pk}/", {
        f"{post.pk}-author_name": "Ирина Клиентова", f"{post.pk}-comment": "Согласовано", "decision": "approve"})
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    event = post.events.get(kind=Kind.APPROVED)
    assert (event.author, event.author_name, event.text) == (None, "Ирина Клиентова", "Согласовано")
    assert PostComment.objects.get(post=post).author_name == "Ирина Клиентова"
    page = client_for(plan.world.alpha.manager, **EN).get(f"/content/posts/{post.pk}/").content.decode()
    assert page.count("Ирина Клиентова") == 2  # in the thread and in the history
    assert Delivery.objects.filter(kind="content_decision").count() == 2  # owner and manager
    # A post of another workspace cannot be reached through this link.
    assert anonymous.post(f"/approve/{link.token}/posts/{other.pk}/", {
        f"{other.pk}-author_name": "X", "decision": "approve"}).status_code == 404
    other.refresh_from_db()
    assert other.status == PostStatus.IN_REVIEW


def test_it_asks_for_changes_through_the_link(plan: Plan) -> None:
    post = make_post(plan.workspace, status=PostStatus.IN_REVIEW)
    link = make_link(plan)
    client_for(None).post(f"/approve/{link.token}/posts/{post.pk}/", {
        f"{post.pk}-author_name": "Ирина", f"{post.pk}-comment": "Другая картинка", "decision": "changes"})
    post.refresh_from_db()
    assert (post.status, post.changes_requested) == (PostStatus.DRAFT, True)
    assert post.events.get(kind=Kind.CHANGES_REQUESTED).author_name == "Ирина"


def test_it_refuses_expired_revoked_and_forged_links(plan: Plan) -> None:
    post = make_post(plan.workspace, status=PostStatus.IN_REVIEW, text="Секретный пост")
    expired = make_link(plan, expires_at=timezone.now() - timedelta(minutes=1))
    revoked = make_link(plan, revoked_at=timezone.now())
    anonymous = client_for(None, **EN)
    for token in (expired.token, revoked.token, expired.token[:-2] + "xx", "forged"):
        response = anonymous.get(f"/approve/{token}/")
        assert response.status_code == 410
        assert "Секретный пост" not in response.content.decode()
        response = anonymous.post(f"/approve/{token}/posts/{post.pk}/", {
            f"{post.pk}-author_name": "X", "decision": "approve"})
        assert response.status_code == 410
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_it_revokes_a_link(plan: Plan) -> None:
    link = make_link(plan)
    client_for(plan.world.alpha.manager).post(f"/content/approval-links/{link.pk}/revoke/")
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client_for(None).get(f"/approve/{link.token}/").status_code == 410
