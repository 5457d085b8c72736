"""An ad post from approval to the month's statistics, against the fake ORD."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kosmmos.connectors.vkord import client as vkord
from kosmmos.content import actions as content
from kosmmos.content.labels import text_for
from kosmmos.content.models import Post, PostStatus, PostTarget, TargetStatus
from kosmmos.content.tests.conftest import future
from kosmmos.notifications.models import Event
from kosmmos.ord import actions, alerts
from kosmmos.ord.models import Call, Creative, ErirStatus, Invoice, Job, JobStatus, Statistic
from kosmmos.ord.tests.conftest import TOKEN, Ord, run_jobs
from kosmmos.publishing.models import PostStatsSnapshot


def ad_post(env: Ord, text: str = "Скидка 20% на пледы: https://shop.test/sale",
            erid: str = "") -> Post:
    alpha = env.world.alpha
    post = Post.objects.create(organisation=alpha.org, workspace=alpha.client_workspace,
                               text=text, is_ad=True, advertiser="ООО «Ромашка»", erid=erid,
                               publish_at=future(), status=PostStatus.IN_REVIEW)
    PostTarget.objects.create(organisation=alpha.org, post=post, channel=env.channel,
                              publish_at=post.publish_at)
    return post


def approve(post: Post, env: Ord) -> Post:
    content.approve_post(post, by=env.world.alpha.manager)
    run_jobs()
    post.refresh_from_db()
    return post


def test_it_registers_an_approved_ad_and_puts_the_erid_in_every_label(ord_env: Ord) -> None:
    post = approve(ad_post(ord_env), ord_env)
    creative = Creative.objects.get(post=post)
    assert post.erid and post.erid == creative.erid and not creative.manual
    stored = ord_env.state()["objects"]["creative"][creative.external_id]
    assert stored["texts"] == ["Скидка 20% на пледы: https://shop.test/sale"]
    assert stored["target_urls"] == ["https://shop.test/sale"]
    assert stored["contract_external_ids"] == [ord_env.contract.external_id]
    assert stored["kktus"] == ["30.10.1"]
    for network in ("vk", "telegram", "ok", "sandbox"):
        assert text_for(post, network).endswith(f"Реклама. ООО «Ромашка». erid: {post.erid}")
    # the parties and the contract went first
    assert ord_env.contract.external_id in ord_env.state()["objects"]["contract"]


def test_it_refuses_to_schedule_an_ad_before_the_ord_answers(ord_env: Ord) -> None:
    post = ad_post(ord_env)
    content.approve_post(post, by=ord_env.world.alpha.manager)  # the job has not run yet
    with pytest.raises(content.ContentError, match="erid token from the ORD"):
        content.schedule(Post.objects.get(pk=post.pk), by=ord_env.world.alpha.manager)
    run_jobs()
    assert content.schedule(Post.objects.get(pk=post.pk), by=ord_env.world.alpha.manager) == 1


def test_it_updates_the_creative_before_a_scheduled_ad_runs_with_new_text(ord_env: Ord) -> None:
    post = approve(ad_post(ord_env), ord_env)
    erid = post.erid
    content.schedule(post, by=ord_env.world.alpha.manager)
    data = content.PostData(text="Скидка 30% на пледы", is_ad=True, advertiser=post.advertiser,
                            erid=erid, publish_at=post.publish_at, channels=[ord_env.channel])
    content.save_post(post.workspace, data, by=ord_env.world.alpha.manager, post=post)
    post.refresh_from_db()
    assert post.erid == ""  # withdrawn: the publishing engine will not send it meanwhile
    run_jobs()
    post.refresh_from_db()
    creative = Creative.objects.get(post=post)
    assert post.erid == erid and not creative.stale
    assert ord_env.state()["objects"]["creative"][creative.external_id]["texts"] == [
        "Скидка 30% на пледы"]
    assert ord_env.summary()["creative"] == 1


def test_it_keeps_a_typed_erid_from_another_ord_and_marks_it(ord_env: Ord) -> None:
    post = approve(ad_post(ord_env, erid="2VtzqwOtherOrd"), ord_env)
    creative = Creative.objects.get(post=post)
    assert creative.manual and creative.erid == "2VtzqwOtherOrd" == post.erid
    assert ord_env.summary()["creative"] == 0 and not Job.objects.filter(
        kind=Job.Kind.CREATIVE).exists()


def test_it_sends_again_after_a_5xx_and_a_lost_answer_without_duplicates(
        ord_env: Ord, monkeypatch: pytest.MonkeyPatch) -> None:
    ord_env.config(error_rate=1.0)
    post = ad_post(ord_env)
    content.approve_post(post, by=ord_env.world.alpha.manager)
    run_jobs()
    job = Job.objects.get(kind=Job.Kind.CREATIVE)
    assert job.status == JobStatus.PENDING and "Internal Server Error" in job.last_error
    ord_env.config(error_rate=0.0, lost_rate=1.0, hang_s=1)
    monkeypatch.setattr(vkord, "TIMEOUT", 0.3)  # a late answer is past the client's timeout
    run_jobs()
    assert Job.objects.get(pk=job.pk).status == JobStatus.PENDING  # stored, answer lost
    ord_env.config(lost_rate=0.0)
    run_jobs()
    post.refresh_from_db()
    assert post.erid and Job.objects.get(pk=job.pk).status == JobStatus.DONE
    assert ord_env.summary()["creative"] == 1


def test_it_keeps_every_call_with_the_key_redacted(ord_env: Ord) -> None:
    approve(ad_post(ord_env), ord_env)
    calls = list(Call.objects.all())
    assert [c.path.split("/")[2] for c in reversed(calls)][:4] == [
        "person", "person", "contract", "creative"]
    assert all(TOKEN not in f"{c.request}{c.answer}{c.error}" for c in calls)


def test_it_refuses_an_unlinked_client_with_a_message_and_an_alert(ord_env: Ord) -> None:
    ord_env.link.delete()
    post = ad_post(ord_env)
    content.approve_post(post, by=ord_env.world.alpha.manager)
    run_jobs()
    job = Job.objects.get(kind=Job.Kind.CREATIVE)
    assert job.status == JobStatus.FAILED and "no contract" in job.last_error
    assert Event.objects.filter(kind="ord.rejected").count() == 1


def publish(post: Post, views: int | None) -> PostTarget:
    target = post.targets.get()
    PostTarget.objects.filter(pk=target.pk).update(status=TargetStatus.PUBLISHED,
                                                   published_at=timezone.now())
    Post.objects.filter(pk=post.pk).update(status=PostStatus.PUBLISHED)
    if views is not None:
        PostStatsSnapshot.objects.create(organisation=post.organisation, target=target,
                                         taken_at=timezone.now().replace(minute=0, second=0,
                                                                         microsecond=0),
                                         views=views)
    return target


def test_it_sends_the_month_once_from_collected_stats_and_asks_for_missing_ones(
        ord_env: Ord) -> None:
    first = approve(ad_post(ord_env), ord_env)
    second = approve(ad_post(ord_env, text="Вторая реклама"), ord_env)
    publish(first, 1200)
    publish(second, None)  # the network gave no views
    report = actions.close_month(ord_env.world.alpha.org, timezone.localdate())
    rows = {r.creative.post_id: r for r in Statistic.objects.filter(report=report)}
    assert rows[first.pk].shows == 1200 and rows[second.pk].shows is None
    actions.send_report(report)
    run_jobs()
    job = Job.objects.get(kind=Job.Kind.REPORT)
    assert job.status == JobStatus.FAILED and "enter them by hand" in job.last_error
    actions.enter_shows(rows[second.pk], 300)
    actions.send_report(report)
    run_jobs()
    report.refresh_from_db()
    assert report.status == report.Status.SENT
    stats = ord_env.state()["statistics"]
    assert sorted(s["shows_count"] for s in stats.values()) == [300, 1200]
    assert Statistic.objects.get(pk=rows[second.pk].pk).manual
    actions.send_report(report)  # again: the same rows, nothing new
    run_jobs()
    assert len(ord_env.state()["statistics"]) == 2 and ord_env.summary()[
        "duplicate_statistics"] == 0
    invoice = Invoice.objects.get(report=report)
    assert invoice.status == Invoice.Status.DRAFT and invoice.amount == ord_env.contract.amount
    actions.confirm_invoice(invoice, number="A-1", day=invoice.date, amount=invoice.amount)
    run_jobs()
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.SENT
    assert ord_env.state()["objects"]["invoice"][invoice.external_id]["status"] == "ready"


def test_it_follows_the_erir_status_and_alerts_on_a_rejection(ord_env: Ord) -> None:
    ord_env.config(bad_rate=1.0)
    post = approve(ad_post(ord_env), ord_env)
    run_jobs()
    creative = Creative.objects.get(post=post)
    assert creative.erir_status == ErirStatus.BAD and "ИНН" in creative.erir_message
    assert Event.objects.filter(kind="ord.rejected").exists()
    ord_env.config(bad_rate=0.0)


def test_it_warns_once_when_a_month_is_due_within_five_days(ord_env: Ord) -> None:
    report = actions.close_month(ord_env.world.alpha.org, timezone.localdate())
    report.due_on = timezone.localdate() + timedelta(days=4)
    report.save(update_fields=["due_on"])
    assert alerts.warn_due_reports() == 1
    assert alerts.warn_due_reports() == 0
    assert Event.objects.get(kind="ord.deadline").dedupe_key == f"ord.deadline:{report.pk}"


def test_it_stops_at_a_409_with_the_ords_message(ord_env: Ord) -> None:
    ord_env.state()["objects"]["person"]["someone-else"] = {
        "name": "Другой", "roles": ["advertiser"],
        "juridical_details": {"type": "juridical", "inn": ord_env.client.inn}}
    content.approve_post(ad_post(ord_env), by=ord_env.world.alpha.manager)
    run_jobs()
    job = Job.objects.get(kind=Job.Kind.CREATIVE)
    assert job.status == JobStatus.FAILED and job.attempts == 1
    assert "Person with this INN already exists (someone-else)" in job.last_error
    assert Call.objects.filter(status=409).count() == 1  # refused once, not tried again


def test_it_retries_a_lost_answer_at_once_within_the_job(ord_env: Ord) -> None:
    ord_env.config(error_rate=0.5)
    ord_env.network.rng.seed(11)
    post = approve(ad_post(ord_env), ord_env)
    assert post.erid and Call.objects.filter(status=500).exists()
    assert Job.objects.get(kind=Job.Kind.CREATIVE).attempts == 1


def test_it_keeps_the_erid_of_a_published_ad_whose_text_is_edited(ord_env: Ord) -> None:
    post = approve(ad_post(ord_env), ord_env)
    erid = post.erid
    publish(post, 10)
    post.refresh_from_db()
    data = content.PostData(text="Исправленный текст", is_ad=True, advertiser=post.advertiser,
                            erid=erid, publish_at=post.publish_at, channels=[ord_env.channel])
    content.save_post(post.workspace, data, by=ord_env.world.alpha.manager, post=post)
    assert Post.objects.get(pk=post.pk).erid == erid  # the edit goes out with its erid
    run_jobs()
    creative = Creative.objects.get(post=post)
    assert not creative.stale and ord_env.state()["objects"]["creative"][creative.external_id][
        "texts"] == ["Исправленный текст"]
