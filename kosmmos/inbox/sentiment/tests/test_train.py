from __future__ import annotations

import zipfile

import numpy as np
import pytest

from kosmmos.inbox.sentiment import linear
from kosmmos.inbox.sentiment.train import (
    evaluate,
    holdout_evaluate,
    load,
    save,
    train_model,
    tune_negative_offset,
    tune_offsets,
)

pytest.importorskip("sklearn", reason="training needs scikit-learn (dev dependency)")


def test_it_learns_obvious_sentiment_from_a_few_examples(tiny_data, small_config) -> None:
    texts, labels = tiny_data
    model = train_model(texts, labels, config=small_config)
    assert model.labels == ("negative", "neutral", "positive")
    assert model.predict(["спасибо, отлично", "ужасно, верните деньги"]) == [
        "positive",
        "negative",
    ]
    assert evaluate(model, texts, labels)["macro_f1"] == 1.0


def test_it_round_trips_save_and_load_exactly(tiny_data, small_config, tmp_path) -> None:
    texts, labels = tiny_data
    model = train_model(texts, labels, config=small_config).with_offsets({"negative": 0.3})
    path = save(model, tmp_path / "m.npz")
    again = load(path)
    assert again.labels == model.labels
    assert again.config == model.config
    assert np.array_equal(again.offsets, model.offsets)
    # Weights are stored as float16, so probabilities agree to that precision.
    probe = ["сколько стоит доставка", "ужасный сервис", "спасибо"]
    assert np.allclose(again.predict_proba(probe), model.predict_proba(probe), atol=2e-3)


def test_it_writes_no_pickle(tiny_data, small_config, tmp_path) -> None:
    path = save(train_model(*tiny_data, config=small_config), tmp_path / "m.npz")
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            assert name.endswith(".npy")
            header = zf.read(name)[:128]
            assert b"'descr': '|O'" not in header  # object arrays are the pickled ones
    # allow_pickle=False is what load() uses; it must read every member.
    with np.load(path, allow_pickle=False) as data:
        for key in data.files:
            assert data[key].dtype != object


def test_it_appends_the_npz_suffix_it_really_writes(tiny_data, small_config, tmp_path) -> None:
    path = save(train_model(*tiny_data, config=small_config), tmp_path / "model.bin")
    assert path == tmp_path / "model.npz" and path.is_file()


def test_it_refuses_a_file_in_another_format(tmp_path) -> None:
    bogus = tmp_path / "x.npz"
    np.savez(bogus, weights=np.zeros(3))
    with pytest.raises(linear.ModelFormatError, match="missing members"):
        load(bogus)
    (tmp_path / "y.npz").write_text("not a zip")
    with pytest.raises(linear.ModelFormatError):
        load(tmp_path / "y.npz")


def test_it_trains_on_two_labels_and_scores_the_missing_one_zero(tiny_data, small_config):
    texts, labels = tiny_data
    pairs = [(t, lab) for t, lab in zip(texts, labels, strict=True) if lab != "neutral"]
    model = train_model([t for t, _ in pairs], [lab for _, lab in pairs], config=small_config)
    assert model.labels == ("negative", "positive")
    proba = model.predict_proba(["спасибо, супер"])
    assert proba.shape == (1, 2) and proba[0, 1] > 0.5


def test_it_reports_macro_f1_on_a_held_out_part(small_config) -> None:
    labels = [label for label in ("negative", "neutral", "positive") for _ in range(8)]
    # One word per label, the same in the kept and the held-out part: every answer is right.
    words = {"negative": "ужасно", "neutral": "вопрос", "positive": "спасибо"}
    _model, report = holdout_evaluate([f"{words[x]} {words[x]}" for x in labels], labels,
                                      test_fraction=0.25, config=small_config)
    assert report["n"] == 6  # 2 of 8 per label
    assert report["macro_f1"] == 1.0
    assert set(report["per_class"]) == {"negative", "neutral", "positive"}
    # Neutral and positive texts the same: the four held-out ones get one answer, so one of the
    # two labels has F1 2/3 (2 right of 4 guesses, both found) and the other 0; negative is 1.
    words["neutral"] = words["positive"]
    _model, report = holdout_evaluate([f"{words[x]} {words[x]}" for x in labels], labels,
                                      test_fraction=0.25, config=small_config)
    assert report["per_class"]["negative"]["f1"] == 1.0
    assert sorted(report["per_class"][x]["f1"] for x in ("neutral", "positive")) == [0.0, 0.6667]
    assert report["macro_f1"] == round((1.0 + 0.6667 + 0.0) / 3, 4)


def test_it_raises_negative_recall_with_an_offset(tiny_data, small_config) -> None:
    model = train_model(*tiny_data, config=small_config)
    offset, table = tune_negative_offset(model, *tiny_data, max_f1_loss=1.0)
    assert offset == table[-1]["offset"]  # any loss allowed: the largest offset wins
    recalls = [row["negative_recall"] for row in table]
    assert recalls == sorted(recalls)


def test_it_keeps_negative_recall_above_the_floor_when_tuning_offsets(tiny_data, small_config) -> None:
    texts, labels = tiny_data
    model = train_model(texts, labels, config=small_config)
    offsets, table = tune_offsets(model, texts, labels, min_negative_recall=1.0)
    assert set(offsets) == {"negative", "positive"}
    tuned = evaluate(model.with_offsets(offsets), texts, labels)
    assert tuned["per_class"]["negative"]["recall"] == 1.0
    assert len(table) == 21 and all(0.0 <= row["macro_f1"] <= 1.0 for row in table)


def test_it_rejects_unknown_labels(small_config) -> None:
    with pytest.raises(ValueError, match="unknown labels"):
        train_model(["a", "b"], ["good", "bad"], config=small_config)


def test_it_needs_two_labels(small_config) -> None:
    with pytest.raises(ValueError, match="at least two"):
        train_model(["a", "b"], ["neutral", "neutral"], config=small_config)
