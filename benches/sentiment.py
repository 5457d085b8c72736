"""`kosmmos bench sentiment [--json] [--model SPEC] [--repeats N]`.

Measures the configured sentiment model live: macro-F1 and negative recall on both official
test splits (rows labelled positive/neutral/negative only) and on the hand-written brand set,
batched throughput in texts per second (median of `--repeats` passes over all test texts, in
batches of `--batch`), and the model file size.
Needs the corpora (see `kosmmos.inbox.sentiment.corpora.data_dir`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from kosmmos.inbox import sentiment as sentiment_package
from kosmmos.inbox.sentiment import load_backend, model_spec
from kosmmos.inbox.sentiment.corpora import TEST_FILES, read_csv, test_samples
from kosmmos.inbox.sentiment.metrics import classification_report

# The hand-written brand comments (never trained on); see the sentiment MODEL_CARD.
BRAND_EVAL = Path(sentiment_package.__file__).resolve().parent / "data" / "brand_comments.csv"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kosmmos bench sentiment")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--model", default=None, help="backend spec (default: model_spec())")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1000)
    return parser.parse_args(argv)


def _model_mb(spec: str) -> float:
    """Size on disk in MB (10**6 bytes): the file, or the sum of a directory's files."""
    path = Path(spec.partition(":")[2])
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
    return round(size / 1e6, 2)


def run(argv: list[str]) -> dict[str, Any]:
    """The headline figures as a dict (see module docstring)."""
    args = _parse(argv)
    spec = args.model or model_spec()
    backend = load_backend(spec)
    result: dict[str, Any] = {}
    all_texts: list[str] = []
    sets = {source: test_samples(source) for source in TEST_FILES}
    sets["brand"] = read_csv(BRAND_EVAL, "brand")
    for name, samples in sets.items():
        texts = [s.text for s in samples]
        if name in TEST_FILES:
            all_texts.extend(texts)
        predicted = [max(p, key=p.__getitem__) for p in backend.predict_proba(texts)]
        report = classification_report([s.label for s in samples], predicted)
        result[f"{name}_macro_f1"] = report["macro_f1"]
        result[f"{name}_negative_recall"] = report["per_class"]["negative"]["recall"]
    rates = []
    for _ in range(max(1, args.repeats)):
        start = time.perf_counter()
        for i in range(0, len(all_texts), args.batch):
            backend.predict_proba(all_texts[i : i + args.batch])
        rates.append(len(all_texts) / (time.perf_counter() - start))
    result["texts_per_s"] = round(statistics.median(rates))
    result["model_mb"] = _model_mb(spec)
    return result


def main(argv: list[str]) -> int:
    result = run(argv)
    if "--json" in argv:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:24} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
