"""A small convolutional member over word embeddings, numpy only at run time.

What it adds to the n-gram model: words it never saw in training still get a meaningful
vector, because the table starts from pretrained Russian embeddings (navec, MIT, projected
down at training time; see `train_conv.py`). The table is a fixed vocabulary shipped in the
model file, so nothing is downloaded or imported from natasha/navec at run time.

Network, per text: tokens (the same normalisation and tokeniser as the word n-grams, cut to
`max_tokens`) → rows of `table` (unknown tokens → row 1, padding → row 0, all zeros) →
width-3 convolution with zero padding → ReLU → max and mean over the text's tokens →
one linear layer → logits. `logits` computes a whole batch at once over a flat token array,
which keeps this member above the 5,000 texts/s the inbox needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import _TOKEN_RE, normalize

PAD, UNK = 0, 1


def tokenize(text: str, max_tokens: int) -> list[str]:
    """The word n-grams' normalisation and tokens (words and single symbols), cut to length."""
    return _TOKEN_RE.findall(normalize(text))[:max_tokens]


@dataclass(frozen=True, eq=False)
class ConvModel:
    vocab: tuple[str, ...]  # row i of `table` is vocab[i]; vocab[0] = padding, vocab[1] = unknown
    table: np.ndarray  # (V, D) token vectors
    conv_w: np.ndarray  # (3 * D, H): the window [previous, current, next] → H filters
    conv_b: np.ndarray  # (H,)
    out_w: np.ndarray  # (2 * H, k): [max-pool, mean-pool] → logits
    out_b: np.ndarray  # (k,)
    max_tokens: int = 100

    def __post_init__(self) -> None:
        object.__setattr__(self, "_ids", {w: i for i, w in enumerate(self.vocab) if i > UNK})

    def _table32(self) -> np.ndarray:
        """The table as float32, converted on first use and kept (float16 on disk)."""
        cached = self.__dict__.get("_float32")
        if cached is None:
            cached = self.table.astype(np.float32)
            object.__setattr__(self, "_float32", cached)
        return cached

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Token rows per text; an empty text is one unknown token so every text has a row."""
        ids: dict[str, int] = self.__dict__["_ids"]
        out = []
        for text in texts:
            tokens = tokenize(text, self.max_tokens)
            out.append([ids.get(t, UNK) for t in tokens] or [UNK])
        return out

    def logits(self, texts: list[str]) -> np.ndarray:
        """Raw scores (n_texts, k)."""
        n = len(texts)
        if n == 0:
            return np.empty((0, self.out_b.shape[0]))
        seqs = self.token_ids(texts)
        lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=n)
        # One flat sequence with a padding token before every text and at the very end, so a
        # width-3 window centred on a text's token never sees a neighbouring text: token j of
        # text i sits at (tokens before text i) + j + (i + 1 paddings).
        total = int(lengths.sum())
        positions = np.arange(total) + np.repeat(np.arange(1, n + 1), lengths)
        flat = np.zeros(total + n + 1, dtype=np.int64)
        flat[positions] = np.fromiter((t for s in seqs for t in s), dtype=np.int64, count=total)
        table = self._table32()
        windows = np.concatenate(
            (table[flat[positions - 1]], table[flat[positions]], table[flat[positions + 1]]), axis=1
        )
        h = np.maximum(windows @ self.conv_w + self.conv_b, 0.0)
        first = np.cumsum(lengths) - lengths  # each text's first row in `h`
        pooled_max = np.maximum.reduceat(h, first, axis=0)
        pooled_mean = np.add.reduceat(h, first, axis=0) / lengths[:, None]
        return np.concatenate((pooled_max, pooled_mean), axis=1) @ self.out_w + self.out_b
