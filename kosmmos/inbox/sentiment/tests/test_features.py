from __future__ import annotations

import numpy as np

from kosmmos.inbox.sentiment import features
from kosmmos.inbox.sentiment.features import MENTION_MARK, URL_MARK, FeatureConfig


def test_it_normalises_case_yo_links_mentions_and_runs() -> None:
    text = "Ёлки, СУПЕР!!!!!! https://t.co/abc [id123|Маша] @brand ооооочень 2024"
    norm = features.normalize(text)
    assert norm == f"елки, супер!!! {URL_MARK} {MENTION_MARK} {MENTION_MARK} ооочень 000"


def test_it_gives_a_text_the_same_features_in_any_batch() -> None:
    cfg = FeatureConfig(char_bits=12, word_bits=10)
    idf = np.ones(cfg.n_features, dtype=np.float32)
    alone = features.extract(["доставка опоздала"], cfg, idf)
    rows, cols, values = features.extract(["привет", "доставка опоздала", ""], cfg, idf)
    mask = rows == 1
    assert np.array_equal(cols[mask], alone[1])
    assert np.allclose(values[mask], alone[2])


def test_it_keeps_columns_in_their_blocks_and_norms_each_block() -> None:
    cfg = FeatureConfig(char_bits=12, word_bits=10, word_weight=0.5)
    idf = np.ones(cfg.n_features, dtype=np.float32)
    rows, cols, values = features.extract(["очень плохо", "спасибо"], cfg, idf)
    assert cols.min() >= 0 and cols.max() < cfg.n_features
    for row in (0, 1):
        char = values[(rows == row) & (cols < 1 << cfg.char_bits)]
        word = values[(rows == row) & (cols >= 1 << cfg.char_bits)]
        assert np.isclose(np.linalg.norm(char), 1.0, atol=1e-5)
        assert np.isclose(np.linalg.norm(word), 0.5, atol=1e-5)


def test_it_hashes_the_same_way_in_every_process() -> None:
    # A fixed expectation catches any switch to a salted hash (Python's hash()).
    cfg = FeatureConfig(char_bits=12, word_bits=10)
    _, cols, _ = features.counts(["да"], cfg)
    assert cols.tolist() == sorted(cols.tolist())
    assert cols.tolist() == EXPECTED_DA_COLUMNS


EXPECTED_DA_COLUMNS = [404, 663, 1441, 1720, 2484, 2693, 3183, 3512, 3782, 5080]


def test_it_extracts_features_of_a_batch_shorter_than_an_ngram() -> None:
    # One emoji or a lone line break, alone in its batch (a webhook brings one comment).
    for text in ("😀", "\r\n", "\u200b", ""):
        rows, cols, _n = features.counts([text], FeatureConfig())
        assert len(rows) == len(cols)
