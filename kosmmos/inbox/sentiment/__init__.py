"""Offline Russian sentiment (positive / neutral / negative) for inbox items.

Stable contract for the rest of Kosmmos:

- `classify(texts) -> list[Prediction]` with the configured model, loaded once, lazily;
- `Backend` (anything with `predict_proba(texts) -> list[dict[str, float]]`) and
  `load_backend("linear:<path>" | "transformers:<dir>")`;
- `model_spec()` — the spec used by default (env `KOSMMOS_SENTIMENT_MODEL`, else the committed
  model). Training lives in `kosmmos.inbox.sentiment.train` (needs scikit-learn).

Run-time dependencies: numpy and the standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .backends import Backend, BackendError, load_backend, model_spec
from .corpora import LABELS

__all__ = [
    "LABELS",
    "Backend",
    "BackendError",
    "Prediction",
    "classify",
    "get_backend",
    "load_backend",
    "model_spec",
]


@dataclass(frozen=True)
class Prediction:
    label: str  # "positive" | "neutral" | "negative"
    scores: dict[str, float]  # probability per label, all three keys present, summing to 1


@lru_cache(maxsize=4)
def _cached_backend(spec: str) -> Backend:
    return load_backend(spec)


def get_backend(spec: str | None = None) -> Backend:
    """The backend for `spec` (default `model_spec()`), loaded on first use and then reused."""
    return _cached_backend(spec or model_spec())


def classify(texts: list[str], spec: str | None = None) -> list[Prediction]:
    """One Prediction per text, in order; an empty list gives an empty list.

    A backend trained on fewer than three labels scores the missing ones 0.0, so callers can
    always index `scores["negative"]`.
    """
    if not texts:
        return []
    out = []
    for proba in get_backend(spec).predict_proba(list(texts)):
        scores = {label: float(proba.get(label, 0.0)) for label in LABELS}
        out.append(Prediction(label=max(scores, key=scores.__getitem__), scores=scores))
    return out
