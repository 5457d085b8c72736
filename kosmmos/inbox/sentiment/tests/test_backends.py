from __future__ import annotations

import importlib.util
import json

import pytest

from kosmmos.inbox import sentiment
from kosmmos.inbox.sentiment import backends, cli
from kosmmos.inbox.sentiment.backends import DEFAULT_MODEL_PATH, BackendError, load_backend


def test_it_uses_the_committed_model_unless_the_env_names_another(monkeypatch) -> None:
    monkeypatch.delenv(backends.MODEL_ENV, raising=False)
    assert sentiment.model_spec() == f"linear:{DEFAULT_MODEL_PATH}"
    monkeypatch.setenv(backends.MODEL_ENV, "transformers:/models/rubert")
    assert sentiment.model_spec() == "transformers:/models/rubert"


def test_it_classifies_obvious_comments_with_the_committed_model() -> None:
    predictions = sentiment.classify(
        [
            "Спасибо огромное, всё пришло быстро, очень довольна!",
            "Ужасный сервис, заказ не пришёл, верните деньги",
            "Подскажите, во сколько открывается магазин?",
        ],
        spec=f"linear:{DEFAULT_MODEL_PATH}",
    )
    assert [p.label for p in predictions] == ["positive", "negative", "neutral"]
    for p in predictions:
        assert set(p.scores) == {"positive", "neutral", "negative"}
        assert abs(sum(p.scores.values()) - 1.0) < 1e-6
    assert sentiment.classify([]) == []


def test_it_explains_a_missing_transformers_directory(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="transformers model directory not found"):
        load_backend(f"transformers:{tmp_path / 'nope'}")


def test_it_rejects_an_unknown_backend_or_malformed_spec() -> None:
    with pytest.raises(BackendError, match="unknown sentiment backend"):
        load_backend("onnx:/tmp/x")
    with pytest.raises(BackendError, match="bad sentiment model spec"):
        load_backend("just-a-path")
    with pytest.raises(FileNotFoundError, match="sentiment model file not found"):
        load_backend("linear:/nonexistent/model.npz")


@pytest.mark.skipif(
    importlib.util.find_spec("transformers") is not None and importlib.util.find_spec("torch") is not None,
    reason="transformers and torch are installed",
)
def test_it_says_what_to_install_for_the_transformers_backend(tmp_path) -> None:
    with pytest.raises(BackendError, match="pip install transformers torch"):
        load_backend(f"transformers:{tmp_path}")


def test_it_prints_one_json_report_for_a_labelled_csv(tmp_path, capsys) -> None:
    csv_path = tmp_path / "items.csv"
    csv_path.write_text(
        "text,label\n"
        '"Спасибо, всё супер!",positive\n'
        "Верните деньги за сломанный чайник,negative\n"
        "Сколько стоит доставка?,neutral\n"
        "Привет всем,skip\n",
        encoding="utf-8",
    )
    assert cli.main(["eval", str(csv_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"n", "macro_f1", "per_class"}
    assert report["n"] == 3
    for row in report["per_class"].values():
        assert set(row) == {"precision", "recall", "f1", "support"}


def test_it_loads_a_local_transformers_checkpoint(tmp_path) -> None:
    pytest.importorskip("torch", reason="torch is not installed (optional backend)")
    transformers = pytest.importorskip("transformers", reason="transformers is not installed (optional backend)")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "спасибо", "ужасно", "доставка"]
    vocab_file = tmp_path / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizer(str(vocab_file), do_lower_case=True)
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=32,
        num_labels=3,
        id2label={0: "NEGATIVE", 1: "NEUTRAL", 2: "POSITIVE"},
        label2id={"NEGATIVE": 0, "NEUTRAL": 1, "POSITIVE": 2},
    )
    model_dir = tmp_path / "model"
    transformers.BertForSequenceClassification(config).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    backend = load_backend(f"transformers:{model_dir}")
    (proba,) = backend.predict_proba(["спасибо"])
    assert set(proba) == {"negative", "neutral", "positive"}
    assert abs(sum(proba.values()) - 1.0) < 1e-5
