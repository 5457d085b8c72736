"""Tiny in-test data: the tests never need the shared corpora."""

from __future__ import annotations

import pytest

from kosmmos.inbox.sentiment.features import FeatureConfig

TINY = {
    "positive": [
        "спасибо большое, всё отлично",
        "очень понравилось, рекомендую",
        "супер, вы лучшие",
        "отличный сервис, спасибо",
        "всё пришло быстро, спасибо",
        "класс, очень довольна",
        "прекрасно, благодарю",
        "вкусно и быстро, спасибо",
    ],
    "negative": [
        "ужасный сервис, верните деньги",
        "заказ не пришёл, это кошмар",
        "очень плохо, больше не закажу",
        "курьер опоздал, ужасно",
        "товар сломан, отвратительно",
        "деньги списали, заказа нет, позор",
        "плохо, не рекомендую",
        "кошмар, а не доставка",
    ],
    "neutral": [
        "во сколько вы открываетесь",
        "есть ли доставка в казань",
        "сколько стоит доставка",
        "какой размер есть в наличии",
        "где ближайший магазин",
        "можно оплатить картой",
        "какая гарантия на товар",
        "как узнать статус заказа",
    ],
}


@pytest.fixture
def tiny_data() -> tuple[list[str], list[str]]:
    texts = [t for label in sorted(TINY) for t in TINY[label]]
    labels = [label for label in sorted(TINY) for _ in TINY[label]]
    return texts, labels


@pytest.fixture
def small_config() -> FeatureConfig:
    # A small hash space keeps the tests fast; the code paths are the same.
    return FeatureConfig(char_bits=12, word_bits=10)
