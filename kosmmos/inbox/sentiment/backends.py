"""Pluggable sentiment backends, chosen by a spec string.

- `linear:<path>` — our numpy model (`linear.py`), the committed default;
- `transformers:<dir>` — a Hugging Face sequence-classification checkpoint the user keeps on
  disk, loaded with `local_files_only=True` so nothing is ever fetched from a hub.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from . import linear
from .corpora import LABELS

MODEL_ENV = "KOSMMOS_SENTIMENT_MODEL"
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "model" / "ru_sentiment_linear.npz"


class BackendError(RuntimeError):
    """A backend cannot be loaded; the message says what to install or fix."""


@runtime_checkable
class Backend(Protocol):
    """Anything that turns texts into one probability dict per text (keys: label names)."""

    def predict_proba(self, texts: list[str]) -> list[dict[str, float]]: ...


def model_spec() -> str:
    """The spec to load by default: `KOSMMOS_SENTIMENT_MODEL`, else the committed model.

    The one place that reads the environment, so settings can later supply the value instead.
    """
    return os.environ.get(MODEL_ENV) or f"linear:{DEFAULT_MODEL_PATH}"


class LinearBackend:
    def __init__(self, model: linear.LinearModel) -> None:
        self.model = model

    def predict_proba(self, texts: list[str]) -> list[dict[str, float]]:
        proba = self.model.predict_proba(list(texts))
        labels = self.model.labels
        return [dict(zip(labels, map(float, row), strict=True)) for row in proba]


class TransformersBackend:
    """Wraps a local `AutoModelForSequenceClassification`; its id2label must name our labels."""

    batch_size = 32
    max_length = 256

    def __init__(self, directory: Path) -> None:
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:
            raise BackendError(
                "the transformers backend needs the optional packages `transformers` and "
                f"`torch` (pip install transformers torch): {exc}"
            ) from exc
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        self.model = AutoModelForSequenceClassification.from_pretrained(directory, local_files_only=True)
        self.model.eval()
        self.labels = _map_labels(self.model.config.id2label, directory)

    def predict_proba(self, texts: list[str]) -> list[dict[str, float]]:
        out: list[dict[str, float]] = []
        texts = list(texts)
        for start in range(0, len(texts), self.batch_size):
            batch = self.tokenizer(
                texts[start : start + self.batch_size],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            with self._torch.no_grad():
                proba = self.model(**batch).logits.softmax(dim=-1).tolist()
            out.extend(dict(zip(self.labels, map(float, row), strict=True)) for row in proba)
        return out


def _map_labels(id2label: dict[Any, str], directory: Path) -> tuple[str, ...]:
    """Model outputs as our label names; public Russian checkpoints spell them in any case."""
    names = tuple(str(id2label[i]).strip().lower() for i in sorted(id2label, key=int))
    unknown = [n for n in names if n not in LABELS]
    if unknown:
        raise BackendError(f"{directory}: config id2label must use {list(LABELS)} (any case), got {list(names)}")
    return names


def load_backend(spec: str) -> Backend:
    """Load the backend a spec names; raises BackendError/FileNotFoundError with a clear reason."""
    kind, sep, location = spec.partition(":")
    if not sep or not location:
        raise BackendError(f"bad sentiment model spec {spec!r}: use linear:<path> or transformers:<dir>")
    path = Path(location).expanduser()
    if kind == "linear":
        if not path.is_file():
            raise FileNotFoundError(f"sentiment model file not found: {path}")
        return LinearBackend(linear.load(path))
    if kind == "transformers":
        if not path.is_dir():
            raise FileNotFoundError(f"transformers model directory not found: {path}")
        return TransformersBackend(path)
    raise BackendError(f"unknown sentiment backend {kind!r}: use linear:<path> or transformers:<dir>")
