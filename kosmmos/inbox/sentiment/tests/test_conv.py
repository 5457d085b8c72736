from __future__ import annotations

import numpy as np
import pytest

from kosmmos.inbox.sentiment import linear
from kosmmos.inbox.sentiment.conv import UNK, ConvModel, tokenize
from kosmmos.inbox.sentiment.train import load, save, train_model, with_conv

VOCAB = ("<pad>", "<unk>", "спасибо", "ужасно", "доставка", "!", "не")


def _random_conv(seed: int = 0, dim: int = 4, filters: int = 5) -> ConvModel:
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(len(VOCAB), dim)).astype(np.float16)
    table[0] = 0
    return ConvModel(
        vocab=VOCAB,
        table=table,
        conv_w=rng.normal(size=(3 * dim, filters)).astype(np.float32),
        conv_b=rng.normal(size=filters).astype(np.float32),
        out_w=rng.normal(size=(2 * filters, 3)).astype(np.float32),
        out_b=rng.normal(size=3),
        max_tokens=6,
    )


def _one_by_one(model: ConvModel, text: str) -> np.ndarray:
    """The network written the slow, obvious way: one text, explicit zero padding."""
    ids = {w: i for i, w in enumerate(model.vocab)}
    rows = [ids.get(t, UNK) if ids.get(t, UNK) > UNK else UNK for t in tokenize(text, model.max_tokens)] or [UNK]
    emb = np.vstack(
        [np.zeros((1, model.table.shape[1])), model.table[rows].astype(np.float32), np.zeros((1, model.table.shape[1]))]
    )
    h = np.array([np.concatenate(emb[i - 1 : i + 2]) @ model.conv_w + model.conv_b for i in range(1, len(rows) + 1)])
    h = np.maximum(h, 0)
    return np.concatenate((h.max(0), h.mean(0))) @ model.out_w + model.out_b


def test_it_computes_a_batch_like_one_text_at_a_time() -> None:
    model = _random_conv()
    texts = ["Спасибо!", "", "ужасно ужасно, не доставка", "неизвестное слово", "!" * 2 + " спасибо " * 9]
    batch = model.logits(texts)
    for text, row in zip(texts, batch, strict=True):
        assert np.allclose(row, _one_by_one(model, text), atol=1e-4)
    assert model.logits([]).shape == (0, 3)


def test_it_round_trips_a_model_with_a_conv_member(tiny_data, small_config, tmp_path) -> None:
    pytest.importorskip("sklearn", reason="training needs scikit-learn (dev dependency)")
    model = with_conv(train_model(*tiny_data, config=small_config), _random_conv(), scale=0.5)
    again = load(save(model, tmp_path / "m.npz"))
    assert again.conv is not None and again.conv.vocab == VOCAB
    probe = ["сколько стоит доставка", "ужасно!", "спасибо"]
    assert np.allclose(again.predict_proba(probe), model.predict_proba(probe), atol=2e-3)
    # The member really counts: without it the scores change.
    assert not np.allclose(again.logits(probe), train_model(*tiny_data, config=small_config).logits(probe))


def test_it_still_reads_version_1_files_and_writes_them_without_a_member(tiny_data, small_config, tmp_path) -> None:
    pytest.importorskip("sklearn", reason="training needs scikit-learn (dev dependency)")
    path = save(train_model(*tiny_data, config=small_config), tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as data:
        assert b'"version": 1' in data["meta_json"].tobytes()
    assert load(path).conv is None
    assert linear.FORMAT_VERSION == 2


def test_it_trains_a_conv_member_that_numpy_runs_like_torch(tiny_data) -> None:
    torch = pytest.importorskip("torch", reason="training the conv member needs torch (train extra)")
    from kosmmos.inbox.sentiment import train_conv

    texts, labels = tiny_data
    rng = np.random.default_rng(1)
    words = ["спасибо", "отлично", "ужасно", "плохо", "доставка", "сколько", "<unk>", "<pad>"]
    navec = (words, np.arange(len(words), 0, -1), rng.normal(size=(len(words), 8)).astype(np.float32))
    model = train_conv.train_conv(
        texts, labels, navec=navec, dim=4, filters=6, epochs=40, top_words=5, min_count=1, lr=0.03, dropout=0.0
    )
    assert model.vocab[:2] == ("<pad>", "<unk>") and "ужасно" in model.vocab
    assert model.table.shape == (len(model.vocab), 4) and not model.table[0].any()
    z = model.logits(["спасибо, отлично", "ужасно, плохо"])
    assert z[0].argmax() == 2 and z[1].argmax() == 0
    assert torch.get_num_threads() >= 1  # the trainer restores the thread count it changed
