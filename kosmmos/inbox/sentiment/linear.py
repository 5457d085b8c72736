"""The linear model and its on-disk format (numpy only at run time).

Format, version 1: one `.npz` file written with `numpy.savez_compressed` and read with
`allow_pickle=False`, so loading a model can never execute code. Members:

- `weights` float16 (n_features, n_labels) — hashed-feature weights;
- `idf` float16 (n_features,) — inverse document frequencies fitted at training;
- `bias` float32 (n_labels,) — intercepts;
- `offsets` float32 (n_labels,) — decision offsets added to the logits after calibration
  (this is where the "prefer catching a complaint" bias for `negative` lives);
- `meta_json` uint8 — UTF-8 JSON: format name and version, labels, feature config,
  temperature, and free-form training facts for the model card.

Version 2 adds an optional convolutional member over word embeddings (`conv.py`), whose
logits are added to the linear ones (its output layer already carries the ensemble weight):
`conv_vocab` uint8 (UTF-8, one token per line), `conv_table` float16 (V, D), `conv_w`
float32 (3D, H), `conv_b` float32 (H,), `conv_out_w` float32 (2H, k), `conv_out_b` float32
(k,); `meta_json` then holds `conv_max_tokens`. Version 1 files (no member) still load; files
without the member are written as version 1, so older readers keep reading them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .conv import ConvModel
from .features import FeatureConfig, extract

FORMAT_NAME = "kosmmos-sentiment-linear"
FORMAT_VERSION = 2
_CONV_MEMBERS = ("conv_vocab", "conv_table", "conv_w", "conv_b", "conv_out_w", "conv_out_b")


class ModelFormatError(ValueError):
    """The file is not a model in our format (or a version this code does not read)."""


@dataclass(frozen=True, eq=False)
class LinearModel:
    """Softmax over `x · weights + bias` (+ the conv member's logits, if any), divided by
    `temperature`, plus `offsets`."""

    config: FeatureConfig
    labels: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray
    idf: np.ndarray
    offsets: np.ndarray
    temperature: float = 1.0
    info: dict[str, Any] = field(default_factory=dict)
    conv: ConvModel | None = None

    def logits(self, texts: list[str]) -> np.ndarray:
        """Raw scores (n_texts, n_labels) before calibration and offsets."""
        n = len(texts)
        out = np.empty((n, len(self.labels)), dtype=np.float64)
        if n == 0:
            return out
        rows, cols, values = extract(texts, self.config, self.idf)
        gathered = self.weights[cols].astype(np.float32) * values[:, None]
        # bincount per class is the sparse dot product without scipy.
        for k in range(len(self.labels)):
            out[:, k] = np.bincount(rows, weights=gathered[:, k], minlength=n)
        out += self.bias
        if self.conv is not None:
            out += self.conv.logits(texts)
        return out

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities (n_texts, n_labels), rows summing to 1, columns in `labels` order."""
        z = self.logits(texts) / self.temperature + self.offsets
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, texts: list[str]) -> list[str]:
        proba = self.predict_proba(texts)
        return [self.labels[i] for i in proba.argmax(axis=1)]

    def with_offsets(self, offsets: dict[str, float]) -> LinearModel:
        """A copy whose decision offsets are set per label (unnamed labels get 0)."""
        arr = np.array([offsets.get(lab, 0.0) for lab in self.labels], dtype=np.float32)
        return replace(self, offsets=arr)


def save(model: LinearModel, path: str | Path) -> Path:
    """Write `model` to `path` (a `.npz` file) and return the path actually written."""
    path = Path(path)
    if path.suffix != ".npz":
        # numpy would silently append ".npz"; make the caller's path and the file agree.
        path = path.with_suffix(".npz")
    meta = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "labels": list(model.labels),
        "config": model.config.to_json(),
        "temperature": model.temperature,
        "info": model.info,
    }
    conv: dict[str, np.ndarray] = {}
    if model.conv is None:
        meta["version"] = 1
    else:
        c = model.conv
        meta["conv_max_tokens"] = c.max_tokens
        conv = {
            "conv_vocab": np.frombuffer("\n".join(c.vocab).encode("utf-8"), np.uint8),
            "conv_table": c.table.astype(np.float16),
            "conv_w": c.conv_w.astype(np.float32),
            "conv_b": c.conv_b.astype(np.float32),
            "conv_out_w": c.out_w.astype(np.float32),
            "conv_out_b": c.out_b.astype(np.float32),
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        weights=model.weights.astype(np.float16),
        idf=model.idf.astype(np.float16),
        bias=model.bias.astype(np.float32),
        offsets=model.offsets.astype(np.float32),
        meta_json=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), np.uint8),
        allow_pickle=True,  # the default; named, or mypy takes **conv as possibly filling it
        **conv,
    )
    return path


def load(path: str | Path) -> LinearModel:
    """Read a model written by `save`; raises ModelFormatError for anything else."""
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"{path}: not a readable .npz model ({exc})") from exc
    missing = {"weights", "idf", "bias", "offsets", "meta_json"} - arrays.keys()
    if missing:
        raise ModelFormatError(f"{path}: missing members {sorted(missing)}")
    meta = json.loads(arrays["meta_json"].tobytes().decode("utf-8"))
    if meta.get("format") != FORMAT_NAME or meta.get("version") not in (1, FORMAT_VERSION):
        raise ModelFormatError(f"{path}: format {meta.get('format')} v{meta.get('version')}")
    config = FeatureConfig.from_json(meta["config"])
    weights = arrays["weights"]
    if weights.shape != (config.n_features, len(meta["labels"])):
        raise ModelFormatError(f"{path}: weights shape {weights.shape} does not match config")
    conv = None
    if meta["version"] >= 2 and "conv_table" in arrays:
        if not set(_CONV_MEMBERS) <= arrays.keys():
            raise ModelFormatError(f"{path}: incomplete conv member")
        conv = ConvModel(
            vocab=tuple(arrays["conv_vocab"].tobytes().decode("utf-8").split("\n")),
            table=arrays["conv_table"],
            conv_w=arrays["conv_w"],
            conv_b=arrays["conv_b"],
            out_w=arrays["conv_out_w"],
            out_b=arrays["conv_out_b"].astype(np.float64),
            max_tokens=int(meta["conv_max_tokens"]),
        )
        if conv.table.shape[0] != len(conv.vocab) or conv.out_w.shape[1] != len(meta["labels"]):
            raise ModelFormatError(f"{path}: conv member shapes do not match")
    return LinearModel(
        config=config,
        labels=tuple(meta["labels"]),
        weights=weights,
        bias=arrays["bias"].astype(np.float64),
        idf=arrays["idf"].astype(np.float32),
        offsets=arrays["offsets"].astype(np.float64),
        temperature=float(meta["temperature"]),
        info=meta.get("info", {}),
        conv=conv,
    )
