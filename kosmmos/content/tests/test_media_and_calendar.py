from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kosmmos.conftest import client_for
from kosmmos.content.models import MediaItem, PostStatus, Rubric
from kosmmos.content.tests.conftest import Plan, future, make_media, make_post, png_bytes, png_upload

EN = {"language": "en"}


def test_it_uploads_photos_and_refuses_what_is_not_one(plan: Plan) -> None:
    browser = client_for(plan.world.alpha.manager, **EN)
    url = f"/workspaces/{plan.workspace.pk}/content/media/"
    assert browser.post(url, {"files": [png_upload("a.png"), png_upload("b.png")]}).status_code == 302
    item = MediaItem.objects.get(name="a.png")
    assert (item.kind, item.mime, item.width, item.height, item.size) == ("photo", "image/png", 8, 6, len(png_bytes()))
    fake = SimpleUploadedFile("virus.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    response = browser.post(url, {"files": [fake]})
    assert response.status_code == 400
    assert "«virus.jpg» is not a photo (JPG, PNG, GIF, WebP) or a video (MP4, MOV, WebM)." in response.content.decode()
    broken = SimpleUploadedFile("broken.png", png_bytes()[:40], content_type="image/png")
    assert "«broken.png» is damaged" in browser.post(url, {"files": [broken]}).content.decode()
    assert MediaItem.objects.count() == 2


def test_it_serves_media_only_to_members_who_see_the_workspace(plan: Plan) -> None:
    item = make_media(plan.workspace, "cover.png")
    secret = make_media(plan.world.alpha.other_workspace, "secret.png")
    url = f"/content/media/{item.pk}/"
    response = client_for(plan.world.alpha.manager).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert client_for(plan.world.alpha.client).get(url).status_code == 200
    assert client_for(plan.world.alpha.client).get(f"/content/media/{secret.pk}/").status_code == 404
    assert client_for(plan.world.beta.owner).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302


def test_it_uploads_from_the_editor_and_keeps_the_ticks(plan: Plan) -> None:
    first = make_media(plan.workspace, "first.png")
    browser = client_for(plan.world.alpha.manager, **EN)
    response = browser.post(f"/workspaces/{plan.workspace.pk}/content/media/",
                            {"files": [png_upload("new.png")], "media": [str(first.pk)]}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    new = MediaItem.objects.get(name="new.png")
    assert body.count("checked") == 2 and str(new.pk) in body


def test_it_shows_month_week_and_list_views(plan: Plan) -> None:
    rubric = Rubric.objects.create(organisation=plan.workspace.organisation, workspace=plan.workspace,
                                   name="Акции", color="#ff0066")
    when = future(2, 15)
    make_post(plan.workspace, channels=[plan.vk, plan.telegram], title="Распродажа", rubric=rubric, at=when,
              status=PostStatus.SCHEDULED)
    browser = client_for(plan.world.alpha.manager, **EN)
    base = f"/workspaces/{plan.workspace.pk}/content/?date={when.date().isoformat()}"
    for view in ("month", "week", "list"):
        body = browser.get(f"{base}&view={view}").content.decode()
        assert "Распродажа" in body and "15:00" in body and "#ff0066" in body, view
        assert ">VK<" in body and ">TG<" in body and "Scheduled" in body, view
    body = browser.get(f"{base}&status=draft").content.decode()
    assert "Распродажа" not in body


def test_it_shows_this_month_for_an_impossible_date(plan: Plan) -> None:
    import zoneinfo

    from django.utils import translation
    from django.utils.dateformat import format as date_format

    browser = client_for(plan.world.alpha.manager, **EN)
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(plan.world.alpha.org.timezone)).date()
    new_url = f"/workspaces/{plan.workspace.pk}/content/new/"
    # A date it can use is kept: the editor's time is preset to that day (the contrast).
    given = browser.get(f"{new_url}?date=2026-03-10").context["form"]["publish_at"].value()
    assert given is not None and given.date().isoformat() == "2026-03-10"
    for typed in ("2024-99-99", "2026-02-30", "0001-01-01", "9999-12-31"):
        for url in (f"/workspaces/{plan.workspace.pk}/content/?date={typed}",
                    f"/content/?date={typed}"):
            response = browser.get(url)
            assert response.status_code == 200, url
            body = response.content.decode()
            assert response.context["period"].anchor == today, url
            assert f'name="date" value="{today.isoformat()}"' in body, url
            with translation.override("en"):
                assert date_format(today, "F Y") in body, url
        response = browser.get(f"{new_url}?date={typed}")
        assert response.status_code == 200, typed
        assert response.context["form"]["publish_at"].value() in (None, ""), typed


def test_it_shows_every_client_on_the_agency_calendar(plan: Plan) -> None:
    when = future(2, 9)
    make_post(plan.workspace, title="Пост магазина", at=when)
    make_post(plan.world.alpha.other_workspace, title="Пост матрасов", at=when)
    make_post(plan.world.beta.client_workspace, title="Пост чужого агентства", at=when)
    browser = client_for(plan.world.alpha.owner, **EN)
    body = browser.get(f"/content/?date={when.date().isoformat()}").content.decode()
    assert "Пост магазина" in body and "Пост матрасов" in body and "Пост чужого агентства" not in body
    only = browser.get(f"/content/?date={when.date().isoformat()}&workspace={plan.workspace.pk}").content.decode()
    assert "Пост магазина" in only and "Пост матрасов" not in only
    assert client_for(plan.world.alpha.client).get("/content/").status_code == 403


def test_it_shows_undated_posts_beside_the_calendar(plan: Plan) -> None:
    post = make_post(plan.workspace, title="Идея без даты")
    post.publish_at = None
    post.save(update_fields=["publish_at"])
    body = client_for(plan.world.alpha.manager, **EN).get(f"/workspaces/{plan.workspace.pk}/content/").content.decode()
    assert "No date yet" in body and "Идея без даты" in body


def test_it_links_the_content_plan_from_the_workspace_and_the_nav(plan: Plan) -> None:
    browser = client_for(plan.world.alpha.manager, **EN)
    body = browser.get(f"/workspaces/{plan.workspace.pk}/").content.decode()
    assert f'href="/workspaces/{plan.workspace.pk}/content/"' in body and 'href="/content/"' in body
    client_page = client_for(plan.world.alpha.client).get(f"/workspaces/{plan.workspace.pk}/").content.decode()
    assert f'href="/workspaces/{plan.workspace.pk}/content/"' in client_page and 'href="/content/"' not in client_page
    assert timezone.now()  # the pages above rendered in the agency's time zone without errors


def test_it_shows_a_busy_days_first_posts_and_every_failure_in_the_month(plan: Plan) -> None:
    from datetime import timedelta

    from kosmmos.content.calendar import MONTH_CARDS_PER_DAY
    from kosmmos.content.models import PostTarget

    day = future(2, 8)
    posts = [make_post(plan.workspace, title=f"Пост {i:02d}", at=day + timedelta(minutes=i))
             for i in range(MONTH_CARDS_PER_DAY + 4)]
    failed = make_post(plan.workspace, title="Сломанный пост", at=day + timedelta(hours=5),
                       channels=[plan.vk])
    PostTarget.objects.filter(post=failed).update(status="failed", last_error="Токен отозван")
    browser = client_for(plan.world.alpha.manager, **EN)
    url = f"/workspaces/{plan.workspace.pk}/content/?date={day.date().isoformat()}"

    month = browser.get(url).content.decode()
    week = browser.get(url + "&view=week").content.decode()

    shown = [p for p in posts if p.title in month]
    assert shown == posts[:MONTH_CARDS_PER_DAY]
    assert "Сломанный пост" in month and "Токен отозван" in month
    assert "1 post failed to publish" in month
    assert "+4 more" in month and f"?view=week&date={day.date().isoformat()}" in month
    assert all(p.title in week for p in posts)
    assert "+4 more" not in week


def test_it_windows_a_busy_week_day_and_shows_it_whole_on_demand(plan: Plan) -> None:
    from datetime import timedelta

    from kosmmos.content.calendar import WEEK_CARDS_PER_DAY
    from kosmmos.content.models import PostTarget

    day = future(3, 9)
    posts = [make_post(plan.workspace, title=f"Пост {i:02d}", at=day + timedelta(minutes=i))
             for i in range(WEEK_CARDS_PER_DAY + 3)]
    failed = make_post(plan.workspace, title="Сломанный пост", at=day + timedelta(hours=6),
                       channels=[plan.vk])
    PostTarget.objects.filter(post=failed).update(status="failed", last_error="Токен отозван")
    browser = client_for(plan.world.alpha.manager, **EN)
    iso = day.date().isoformat()
    url = f"/workspaces/{plan.workspace.pk}/content/?view=week&date={iso}"

    week = browser.get(url).content.decode()
    whole = browser.get(url + f"&day={iso}").content.decode()
    hostile = [browser.get(url + f"&day={value}") for value in ("x", "9999-99-99", "\x00", "")]

    assert [p for p in posts if p.title in week] == posts[:WEEK_CARDS_PER_DAY]
    assert "Сломанный пост" in week and "Токен отозван" in week
    assert "1 post failed to publish" in week
    assert "+3 more" in week and f"?view=week&date={iso}&day={iso}" in week
    assert all(p.title in whole for p in posts) and "+3 more" not in whole
    assert all(r.status_code == 200 and "+3 more" in r.content.decode() for r in hostile)
