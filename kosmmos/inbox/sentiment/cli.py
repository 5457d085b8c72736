"""`kosmmos sentiment train|eval ...` — the project's console script dispatches here.

    kosmmos sentiment train [--out PATH] [--json]
    kosmmos sentiment eval FILE.csv [--json] [--model SPEC]

`eval` reads a CSV with columns `text,label`; rows whose label is not positive/neutral/negative
(e.g. `speech`, `skip`) are left out and counted on stderr. With `--json` it prints exactly one
JSON object: {"n", "macro_f1", "per_class": {label: {precision, recall, f1, support}}}.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import get_backend, model_spec
from .backends import DEFAULT_MODEL_PATH
from .corpora import LABELS, read_csv
from .metrics import classification_report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kosmmos sentiment")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train from the corpora and save the model")
    train.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    train.add_argument("--json", action="store_true", help="print the scores as JSON")
    ev = sub.add_parser("eval", help="score a labelled CSV (columns text,label)")
    ev.add_argument("file", type=Path)
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--model", default=None, help="backend spec (default: model_spec())")
    return parser


def _train(args: argparse.Namespace) -> int:
    from .train import save, train_from_corpora  # scikit-learn only when training

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    model, scores = train_from_corpora(log=log)
    path = save(model, args.out)
    log(f"saved {path} ({path.stat().st_size / 1e6:.2f} MB)")
    if args.json:
        print(json.dumps(scores, ensure_ascii=False))
    else:
        for name, report in scores.items():
            if isinstance(report, dict) and "macro_f1" in report:
                recalls = {k: v["recall"] for k, v in report["per_class"].items()}
                print(f"{name:28} macro-F1 {report['macro_f1']:.4f}  recall {recalls}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    samples = read_csv(args.file)
    kept = [s for s in samples if s.label in LABELS]
    if len(kept) < len(samples):
        print(f"left out {len(samples) - len(kept)} rows with other labels", file=sys.stderr)
    backend = get_backend(args.model or model_spec())
    probas = backend.predict_proba([s.text for s in kept]) if kept else []
    predicted = [max(p, key=p.__getitem__) for p in probas]
    report = classification_report([s.label for s in kept], predicted)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(f"n={report['n']} macro-F1 {report['macro_f1']:.4f}")
        for label, row in report["per_class"].items():
            print(
                f"  {label:9} precision {row['precision']:.3f} recall {row['recall']:.3f} "
                f"f1 {row['f1']:.3f} support {row['support']}"
            )
    return 0


def main(argv: list[str]) -> int:
    """Run one sentiment command; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "train":
        return _train(args)
    return _eval(args)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
