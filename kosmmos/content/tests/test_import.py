from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kosmmos.conftest import client_for
from kosmmos.content import importer
from kosmmos.content.models import ImportRun, Post, Rubric, TargetStatus
from kosmmos.content.tests.conftest import Plan, make_media

EN = {"language": "en"}
HEADER = ["date", "time", "text", "channels", "rubric", "hashtags", "is_ad", "advertiser", "erid", "media"]


def rows() -> list[list[Any]]:
    day = (timezone.localdate() + timedelta(days=10)).strftime("%d.%m.%Y")
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    return [
        HEADER,
        [day, "10:00", "Хороший пост", "vk, telegram", "Новости", "осень", "no", "", "", "cover.png"],
        [day, "11:00", "Реклама без erid", "vk", "", "", "yes", "ООО «Ромашка»", "", ""],
        ["32.13.2027", "25:00", "Плохая дата", "vk", "", "", "no", "", "", ""],
        [past, "12:00", "В прошлом", "vk", "", "", "no", "", "", ""],
        [day, "", "Без времени", "Alpha TG", "", "", "да", "ИП Иванов", "2Vtz", ""],
        [day, "12:00", "", "instagram", "Нет такой", "", "maybe", "", "", "missing.jpg"],
        ["", "", "", "", "", "", "", "", "", ""],
        [day, "13:00", "a" * 1100, "telegram", "", "", "no", "", "", "cover.png"],
    ]


EXPECTED = [
    (2, True, []),
    (3, False, ["An advertising post needs the erid token from the ORD."]),
    (4, False, ["The date «32.13.2027» is not a date (use 2027-05-12 or 12.05.2027).",
                "The time «25:00» is not a time (use 10:30)."]),
    (5, False, ["{past} 12:00 is in the past."]),
    (6, True, ["No time given; 12:00 is used."]),
    (7, False, ["Unknown channel «instagram».",
                "Unknown rubric «Нет такой» (the workspace has: Новости).",
                "is_ad must be yes or no, not «maybe».",
                "No file «missing.jpg» in the media library.",
                "The post has neither text nor media."]),
    (9, True, ["The Telegram caption is 1,100 characters; the limit with media is 1,024."]),
]


def as_csv(table: list[list[Any]]) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(table)
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(table: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in table:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def ready(plan: Plan) -> Plan:
    Rubric.objects.create(organisation=plan.workspace.organisation, workspace=plan.workspace, name="Новости")
    make_media(plan.workspace, "cover.png")
    return plan


@pytest.mark.parametrize(("name", "encode"), [("plan.csv", as_csv), ("plan.xlsx", as_xlsx)])
def test_it_imports_the_good_rows_and_reports_each_bad_one(ready: Plan, name: str, encode: Any) -> None:
    browser = client_for(ready.world.alpha.manager, **EN)
    upload = SimpleUploadedFile(name, encode(rows()))
    response = browser.post(f"/workspaces/{ready.workspace.pk}/content/import/", {"file": upload})
    run = ImportRun.objects.get()
    assert response["Location"] == f"/content/imports/{run.pk}/"
    past = (timezone.localdate() - timedelta(days=1)).strftime("%d.%m.%Y")
    expected = [(n, ok, [m.format(past=past) for m in msgs]) for n, ok, msgs in EXPECTED]
    assert [(r.number, r.ok, r.messages) for r in run.rows.all()] == expected
    assert (run.status, run.total, run.processed, run.imported, run.rejected) == ("done", 7, 7, 3, 4)
    posts = {p.text[:20]: p for p in Post.objects.all()}
    assert set(posts) == {"Хороший пост", "Без времени", "a" * 20}
    good = posts["Хороший пост"]
    assert (good.rubric.name, good.hashtags, good.status) == ("Новости", "#осень", "draft")
    assert sorted(t.channel.name for t in good.targets.all()) == ["Alpha TG", "Alpha VK"]
    assert {t.status for t in good.targets.all()} == {TargetStatus.DRAFT}
    assert [pm.media.name for pm in good.post_media.all()] == ["cover.png"]
    assert timezone.localtime(good.publish_at).hour == 10
    ad = posts["Без времени"]
    assert (ad.is_ad, ad.advertiser, ad.erid, timezone.localtime(ad.publish_at).hour) == (True, "ИП Иванов", "2Vtz", 12)
    assert f"Imported from {name}, row 2" in good.events.get().text
    page = browser.get(f"/content/imports/{run.pk}/").content.decode()
    assert "Unknown channel «instagram»." in page and "Хороший пост" in page


def test_it_refuses_a_file_without_the_needed_columns(plan: Plan) -> None:
    browser = client_for(plan.world.alpha.manager, **EN)
    response = browser.post(f"/workspaces/{plan.workspace.pk}/content/import/",
                            {"file": SimpleUploadedFile("x.csv", b"foo,bar\n1,2\n")})
    assert response.status_code == 400
    assert "The first row must name the columns; missing: date, text, channels." in response.content.decode()
    assert not ImportRun.objects.exists()


def test_it_offers_templates_that_import_cleanly(plan: Plan) -> None:
    browser = client_for(plan.world.alpha.manager, **EN)
    for fmt in ("csv", "xlsx"):
        response = browser.get(f"/workspaces/{plan.workspace.pk}/content/import/template.{fmt}")
        assert response.status_code == 200
        table = importer.read_rows(f"t.{fmt}", response.content)
        catalogue = importer.Catalogue.of(plan.workspace)
        assert [importer.parse_row(row, catalogue).errors for _n, row in table] == [[], []]


def test_it_imports_a_big_file_in_a_job_with_progress(plan: Plan, monkeypatch: pytest.MonkeyPatch,
                                                       django_capture_on_commit_callbacks: Any) -> None:
    monkeypatch.setattr(importer, "SYNC_MAX_ROWS", 2)
    day = (timezone.localdate() + timedelta(days=4)).isoformat()
    table = [["date", "time", "text", "channels"], *[[day, "10:00", f"Пост {i}", "vk"] for i in range(5)]]
    browser = client_for(plan.world.alpha.manager, **EN)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(f"/workspaces/{plan.workspace.pk}/content/import/",
                                {"file": SimpleUploadedFile("big.csv", as_csv(table))})
    run = ImportRun.objects.get()
    assert response["Location"] == f"/content/imports/{run.pk}/"
    run.refresh_from_db()
    assert (run.status, run.processed, run.imported) == ("done", 5, 5)
    assert Post.objects.count() == 5
    # Running it again (a redelivered message, a restarted worker) imports nothing twice.
    ImportRun.objects.filter(pk=run.pk).update(status="queued")
    from kosmmos.content.tasks import import_plan

    import_plan(str(run.pk))
    assert Post.objects.count() == 5
