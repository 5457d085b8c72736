"""Where the training corpora live and how their rows map to our three labels.

The corpora are never copied into the repository (RuSentiment's licence is share-alike and
non-commercial); they are read from `../shared/data/sentiment` next to the checkout, or from the
directory named by `KOSMMOS_SENTIMENT_DATA`.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
DATA_ENV = "KOSMMOS_SENTIMENT_DATA"
REPO_ROOT = Path(__file__).resolve().parents[3]

TRAIN_FILES: dict[str, tuple[str, ...]] = {
    "rusentiment": (
        "rusentiment/rusentiment_random_posts.csv",
        "rusentiment/rusentiment_preselected_posts.csv",
    ),
    "rusentitweet": ("rusentitweet/rusentitweet_train.csv",),
}
TEST_FILES: dict[str, str] = {
    "rusentiment": "rusentiment/rusentiment_test.csv",
    "rusentitweet": "rusentitweet/rusentitweet_test.csv",
}


@dataclass(frozen=True)
class Sample:
    text: str
    label: str  # raw corpus label: one of LABELS, "speech" or "skip"
    source: str  # corpus name, for per-corpus validation splits


def data_dir() -> Path:
    """The corpora directory; raises FileNotFoundError naming the env var if it is absent."""
    configured = os.environ.get(DATA_ENV)
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "data" / "sentiment"
    if not path.is_dir():
        raise FileNotFoundError(f"sentiment corpora not found at {path}; set {DATA_ENV} to their directory")
    return path


def read_csv(path: Path, source: str = "") -> list[Sample]:
    """Rows of a `label,text[,...]` CSV in any column order; blank texts are dropped."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Sample(row["text"], row["label"].strip().lower(), source or path.stem)
            for row in csv.DictReader(fh)
            if row.get("text", "").strip()
        ]


def train_samples(root: Path | None = None) -> list[Sample]:
    root = root or data_dir()
    return [
        sample for source, files in TRAIN_FILES.items() for name in files for sample in read_csv(root / name, source)
    ]


def test_samples(source: str, root: Path | None = None) -> list[Sample]:
    """The official test split of `source`, restricted to the three target labels.

    `speech` and `skip` rows are dropped: the corpora's guidelines define three-class sentiment
    as positive/neutral/negative, and scoring `speech` as positive would grade the model on our
    mapping choice rather than on sentiment.
    """
    root = root or data_dir()
    return [s for s in read_csv(root / TEST_FILES[source], source) if s.label in LABELS]
