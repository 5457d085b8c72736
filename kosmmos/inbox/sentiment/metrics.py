"""Precision, recall, F1 and macro-F1 in plain Python, so evaluation needs no scikit-learn."""

from __future__ import annotations

from collections import Counter
from typing import Any


def classification_report(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    """`{"n", "macro_f1", "per_class": {label: {precision, recall, f1, support}}}`.

    Labels are those seen in `gold` or `predicted` (as scikit-learn's default does), so
    predicting a class the gold set lacks is still penalised. A class with no predictions
    has precision 0, like scikit-learn's `zero_division=0`.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    labels = sorted(set(gold) | set(predicted))
    support = Counter(gold)
    guessed = Counter(predicted)
    hits = Counter(g for g, p in zip(gold, predicted, strict=True) if g == p)
    per_class: dict[str, dict[str, float | int]] = {}
    for label in labels:
        precision = hits[label] / guessed[label] if guessed[label] else 0.0
        recall = hits[label] / support[label] if support[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": support[label],
        }
    macro = sum(float(c["f1"]) for c in per_class.values()) / len(labels) if labels else 0.0
    return {"n": len(gold), "macro_f1": round(macro, 4), "per_class": per_class}
