from __future__ import annotations

import pytest
from django.utils import translation

from kosmmos.content import labels
from kosmmos.content.validation import Draft, MediaInfo, blocking, check_content, check_schedulable

MB = 2**20


def photo(n: int = 1, size: int = MB) -> list[MediaInfo]:
    return [MediaInfo("photo", size, f"p{i}.jpg", "image/jpeg") for i in range(n)]


def messages(draft: Draft) -> list[str]:
    with translation.override("en"):
        return [p.message for p in check_content(draft)]


def test_it_measures_the_telegram_caption_against_1024_when_media_is_attached() -> None:
    draft = Draft(text="a" * 1250, media=photo(), networks=["telegram"])
    assert messages(draft) == ["The Telegram caption is 1,250 characters; the limit with media is 1,024."]


def test_it_measures_a_telegram_text_without_media_against_4096() -> None:
    assert messages(Draft(text="a" * 1250, networks=["telegram"])) == []
    assert messages(Draft(text="a" * 5000, networks=["telegram"])) == [
        "The Telegram text is 5,000 characters; the limit is 4,096."]


def test_it_refuses_more_than_ten_media_on_vk() -> None:
    assert messages(Draft(text="x", media=photo(12), networks=["vk"])) == [
        "VK accepts at most 10 media; you attached 12."]


def test_it_checks_each_network_with_its_own_variant_and_counts_hashtags_and_the_ad_label() -> None:
    draft = Draft(text="a" * 1000, variant_texts={"vk": "short"}, hashtags="one two", media=photo(),
                  networks=["vk", "telegram"], is_ad=True, advertiser="ООО «Ромашка»", erid="2Vtzqv")
    # 1000 + "\n\n#one #two" (11) + "\n\nРеклама. ООО «Ромашка». erid: 2Vtzqv" (38) = 1049
    assert messages(draft) == ["The Telegram caption is 1,049 characters; the limit with media is 1,024."]
    assert draft.text_for("vk") == "short\n\n#one #two\n\nРеклама. ООО «Ромашка». erid: 2Vtzqv"


def test_it_refuses_an_ad_post_without_erid_or_advertiser() -> None:
    assert messages(Draft(text="Скидка", is_ad=True, networks=["vk"])) == [
        "An advertising post must name the advertiser.",
        "An advertising post needs the erid token from the ORD; without it the post cannot be scheduled.",
    ]


def test_it_refuses_a_photo_bigger_than_telegram_takes() -> None:
    assert messages(Draft(text="x", media=photo(1, 12 * MB), networks=["telegram"])) == [
        "Telegram accepts a photo of at most 10.0 MB; «p0.jpg» is 12.0 MB."]


def test_it_warns_without_blocking_about_several_links_on_vk() -> None:
    draft = Draft(text="https://a.example https://b.example", networks=["vk"])
    problems = check_content(draft)
    assert len(problems) == 1 and not problems[0].blocking
    assert blocking(problems) == []


def test_it_needs_channels_and_a_future_time_to_schedule() -> None:
    with translation.override("en"):
        found = [p.message for p in check_schedulable(Draft(text="x"))]
    assert found == ["Set the publication date and time.", "Choose at least one channel to publish to."]


def test_it_says_the_numbers_the_russian_way_in_russian() -> None:
    draft = Draft(text="a" * 1250, media=photo(), networks=["telegram"])
    with translation.override("ru"):
        message = check_content(draft)[0].message
    assert "1\xa0250" in message or "1 250" in message, message


@pytest.mark.parametrize(("raw", "expected"), [
    ("осень, #skincare  sale", "#осень #skincare #sale"),
    ("#a #A #b", "#a #b"),
    ("", ""),
])
def test_it_normalises_hashtags(raw: str, expected: str) -> None:
    assert labels.normalize_hashtags(raw) == expected


def test_it_labels_only_ad_posts() -> None:
    assert labels.ad_label(Draft(is_ad=False, advertiser="X", erid="Y")) == ""
    assert labels.ad_label(Draft(is_ad=True, advertiser="ИП Иванов", erid="abc")) == "Реклама. ИП Иванов. erid: abc"
