"""Training the convolutional member (`conv.py`); needs torch (the optional `train` extra).

The embeddings are navec's `navec_news_v1_1B_250K_300d_100q` (Kutuzov/natasha project, MIT),
read from the file inside the `natasha` wheel (or `KOSMMOS_NAVEC=/path/to/that.tar`). They are
used at training time only: the table shipped in the model file is navec's vectors for the
kept vocabulary, projected to `dim` by a learned matrix, plus a learned vector per token (with
`tune_all_tokens=False`, only for tokens navec lacks: emoji, punctuation, slang). Deterministic: fixed seed, one thread.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import tarfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .conv import PAD, UNK, ConvModel, tokenize
from .corpora import LABELS

NAVEC_ENV = "KOSMMOS_NAVEC"
NAVEC_FILE = "navec_news_v1_1B_250K_300d_100q.tar"

DEFAULTS: dict[str, Any] = {
    "top_words": 100_000,  # navec's most frequent words kept even if training never saw them
    "min_count": 3,  # tokens navec lacks are kept if training saw them this often
    "dim": 64,
    "filters": 128,
    "dropout": 0.3,
    # Learn a correction for every token's vector, not only for tokens navec lacks: 0.646 vs
    # 0.592 validation macro-F1 for the member alone (MODEL_CARD.md, "Round 3").
    "tune_all_tokens": True,
    "epochs": 1,
    "batch_size": 64,
    "lr": 2e-3,
    "max_tokens": 100,
    "seed": 13,
}


def navec_path() -> Path:
    """The navec archive: `KOSMMOS_NAVEC`, else the copy inside the installed natasha package."""
    configured = os.environ.get(NAVEC_ENV)
    if configured:
        return Path(configured)
    spec = importlib.util.find_spec("natasha")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"navec embeddings not found: pip install natasha==1.6.0 or set {NAVEC_ENV}")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "emb" / NAVEC_FILE


def read_navec(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(words, counts, vectors float32 (N, 300)) from a navec archive, decoding its PQ codes."""
    with tarfile.open(path) as tar:
        vocab_member = tar.extractfile("vocab.bin")
        pq_member = tar.extractfile("pq.bin")
        if vocab_member is None or pq_member is None:
            raise ValueError(f"{path}: not a navec archive")
        vocab = gzip.decompress(vocab_member.read())
        pq = pq_member.read()
    size = int(np.frombuffer(vocab[:4], np.uint32)[0])
    counts = np.frombuffer(vocab[4 : 4 + 4 * size], np.uint32).astype(np.int64)
    words = vocab[4 + 4 * size :].decode("utf-8").splitlines()
    n, _dim, qdim, centroids = (int(v) for v in np.frombuffer(pq[:16], np.uint32))
    indexes = np.frombuffer(pq[16 : 16 + n * qdim], np.uint8).reshape(n, qdim)
    codes = np.frombuffer(pq[16 + n * qdim :], np.float32).reshape(qdim, centroids, -1)
    vectors = codes[np.arange(qdim), indexes].reshape(n, -1)
    return words, counts, vectors


def _navec_lookup(words: list[str], counts: np.ndarray) -> dict[str, int]:
    """Our normalised form (ё→е) → navec row; the more frequent spelling wins."""
    lookup: dict[str, int] = {}
    for i in np.argsort(-counts, kind="stable"):
        word = words[i]
        if word not in ("<unk>", "<pad>"):
            lookup.setdefault(word.replace("ё", "е"), int(i))
    return lookup


def build_vocab(
    token_lists: Sequence[Sequence[str]],
    lookup: dict[str, int],
    counts: np.ndarray,
    *,
    top_words: int,
    min_count: int,
) -> list[str]:
    """Padding, unknown, then navec's `top_words` plus training tokens (navec's or frequent)."""
    seen = Counter(t for tokens in token_lists for t in tokens)
    top = sorted(lookup, key=lambda w: -int(counts[lookup[w]]))[:top_words]
    keep = set(top) | {t for t, n in seen.items() if t in lookup or n >= min_count}
    return ["<pad>", "<unk>", *sorted(keep)]


def train_conv(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    navec: tuple[list[str], np.ndarray, np.ndarray] | None = None,
    sample_weight: Sequence[float] | None = None,
    **options: Any,
) -> ConvModel:
    """Fit the convolutional member on labelled texts (class-balanced cross-entropy)."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    opt = {**DEFAULTS, **options}
    torch.manual_seed(opt["seed"])
    rng = np.random.default_rng(opt["seed"])
    words, counts, vectors = navec or read_navec(navec_path())
    lookup = _navec_lookup(words, counts)
    token_lists = [tokenize(t, opt["max_tokens"]) for t in texts]
    vocab = build_vocab(token_lists, lookup, counts, top_words=opt["top_words"], min_count=opt["min_count"])
    index = {w: i for i, w in enumerate(vocab)}
    has = np.array([w in lookup for w in vocab])
    learn = np.ones(len(vocab), dtype=bool) if opt["tune_all_tokens"] else ~has
    pre = np.zeros((len(vocab), vectors.shape[1]), np.float32)
    pre[has] = vectors[[lookup[w] for w in vocab if w in lookup]]
    pre /= np.linalg.norm(pre, axis=1, keepdims=True) + 1e-6
    seqs = [[index.get(t, UNK) for t in tokens] or [UNK] for tokens in token_lists]
    present = [lab for lab in LABELS if lab in set(labels)]
    y = torch.tensor([present.index(lab) for lab in labels])
    freq = np.bincount(y.numpy(), minlength=len(present))
    class_weight = torch.tensor(len(labels) / (len(present) * np.maximum(freq, 1)), dtype=torch.float32)
    sw = (
        torch.ones(len(labels))
        if sample_weight is None
        else torch.tensor(np.asarray(sample_weight), dtype=torch.float32)
    )
    dim, filters = opt["dim"], opt["filters"]

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.pre = nn.Parameter(torch.tensor(pre), requires_grad=False)
            self.own_mask = nn.Parameter(torch.tensor(learn, dtype=torch.float32)[:, None], requires_grad=False)
            self.proj = nn.Linear(pre.shape[1], dim, bias=False)
            self.own = nn.Embedding(len(vocab), dim)  # learned correction per token
            nn.init.normal_(self.own.weight, std=0.01)
            self.conv = nn.Conv1d(dim, filters, 3, padding=1)
            self.out = nn.Linear(2 * filters, len(present))
            self.drop = nn.Dropout(opt["dropout"])

        def table(self) -> Any:
            t = self.proj(self.pre) + self.own.weight * self.own_mask
            return torch.cat([torch.zeros(1, dim), t[1:]])  # padding row stays zero

        def forward(self, ids: Any, mask: Any) -> Any:
            h = F.relu(self.conv(self.drop(self.table()[ids]).transpose(1, 2)))
            m = mask[:, None, :]
            pooled = torch.cat([h.masked_fill(~m, 0).amax(2), (h * m).sum(2) / m.sum(2)], 1)
            return self.out(self.drop(pooled))

    def batch(rows: np.ndarray) -> tuple[Any, Any]:
        width = max(len(seqs[i]) for i in rows)
        ids = torch.zeros(len(rows), width, dtype=torch.long)
        for j, i in enumerate(rows):
            ids[j, : len(seqs[i])] = torch.tensor(seqs[i])
        return ids, ids != PAD

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # reproducible weights, and polite on a shared 2-core machine
    try:
        net = Net()
        optimiser = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=opt["lr"])
        order = np.arange(len(seqs))
        for _epoch in range(opt["epochs"]):
            net.train()
            rng.shuffle(order)
            for start in range(0, len(order), opt["batch_size"]):
                rows = order[start : start + opt["batch_size"]]
                losses = F.cross_entropy(net(*batch(rows)), y[rows], weight=class_weight, reduction="none")
                loss = (losses * sw[rows]).sum() / (class_weight[y[rows]] * sw[rows]).sum()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        net.eval()
        with torch.no_grad():
            table = net.table().numpy()
            conv_w = net.conv.weight.numpy()  # (H, D, 3)
            conv_w = np.concatenate([conv_w[:, :, k].T for k in range(3)], axis=0)  # (3D, H)
            return ConvModel(
                vocab=tuple(vocab),
                table=table.astype(np.float16),
                conv_w=conv_w.astype(np.float32),
                conv_b=net.conv.bias.numpy().astype(np.float32),
                out_w=net.out.weight.numpy().T.astype(np.float32).copy(),
                out_b=net.out.bias.numpy().astype(np.float64),
                max_tokens=opt["max_tokens"],
            )
    finally:
        torch.set_num_threads(threads)
