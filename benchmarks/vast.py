"""VAST (Allaway and McKeown, EMNLP 2020): stance toward many targets, zero-shot and few-shot.

Protocol (``SOURCE.md`` of the benchmark copy): train on ``train``, select on ``dev`` (early
stopping, the TF-IDF grid), report macro-F1 over pro / con / neutral on ``test``: all rows, the
zero-shot rows (``seen == 0``: targets never in train) and the few-shot rows (``seen == 1``) apart.
Labels map pro → Favor, con → Against, neutral → None (the ``joint`` task setting). The test
rows are never used to choose anything.

The rows are read through :func:`stance.tabular.read_table` (the same reader as
``stance dataset vast/``); the corpus is never copied into the repository::

    python benchmarks/vast.py --data ../shared/benchmarks/vast --config configs/tfidf.yaml --out vast-tfidf.json
    python benchmarks/vast.py --data ... --config configs/vast-transformer.yaml --train-rows 2000 --out vast-tr.json

``--train-rows N`` trains on a seeded random sample of N training rows (for CPU-bound runs;
the results file records it).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from stance.config import TrainConfig, load_config
from stance.io import write_json
from stance.models import build_model
from stance.tabular import read_table

LABELS = {"pro": "Favor", "con": "Against", "neutral": "None"}
PUBLISHED = {"TGA Net (all / zero-shot / few-shot)": [0.666, 0.666, 0.665],
             "TATA (zero-shot / few-shot)": [None, 0.771, 0.741]}

logger = logging.getLogger("benchmarks.vast")


def read_split(data: Path, name: str) -> Any:
    """One VAST file as a DataFrame with ``text``, ``target``, ``label`` (stance names) and ``seen``."""
    df = read_table(data / f"{name}.jsonl")
    bad = sorted(set(df["label"].astype(str)) - set(LABELS))
    if bad:
        raise SystemExit(f"error: {data / name}.jsonl: unknown labels {bad}")
    df["label"] = df["label"].astype(str).map(LABELS)
    df["text"] = df["text"].astype(str)
    df["target"] = df["target"].astype(str)
    return df


def macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    """Macro-F1 over the three classes, in percent."""
    from sklearn.metrics import f1_score

    return round(100 * float(f1_score(gold, pred, labels=["None", "Favor", "Against"], average="macro", zero_division=0)), 2)


def run(data: Path, config: TrainConfig, *, train_rows: int | None, progress: bool) -> dict[str, Any]:
    """Train on train (a sample when ``train_rows``), select on dev, score the test rows."""
    train, dev, test = (read_split(data, n) for n in ("train", "dev", "test"))
    if train_rows and train_rows < len(train):
        train = train.sample(n=train_rows, random_state=config.seed).reset_index(drop=True)
    model = build_model(config, **({"progress": progress} if config.model == "transformer" else {}))
    started = time.perf_counter()
    model.fit(train[["text", "target"]], train["label"].to_numpy(),
              validation=(dev[["text", "target"]], dev["label"].to_numpy()))
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    pred = np.asarray(model.predict(test[["text", "target"]]), dtype=object)
    predict_s = time.perf_counter() - started
    gold = test["label"].to_numpy()
    seen = test["seen"].astype(int).to_numpy()
    return {"n_train": len(train), "n_dev": len(dev), "n_test": len(test),
            "macro_f1_all": macro_f1(gold, pred), "macro_f1_zero_shot": macro_f1(gold[seen == 0], pred[seen == 0]),
            "macro_f1_few_shot": macro_f1(gold[seen == 1], pred[seen == 1]),
            "n_zero_shot": int((seen == 0).sum()), "n_few_shot": int((seen == 1).sum()),
            "train_seconds": round(train_s, 1), "predict_seconds": round(predict_s, 1),
            "training": getattr(model, "training_log_", None)}


def main(argv: list[str] | None = None) -> int:
    """Run one configuration and write ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="VAST folder (train.jsonl, dev.jsonl, test.jsonl).")
    parser.add_argument("--config", type=Path, default=None, help="Training config YAML (configs/).")
    parser.add_argument("--model", choices=["tfidf", "transformer"], default=None)
    parser.add_argument("--train-rows", type=int, default=None, help="Train on a seeded sample of this many rows.")
    parser.add_argument("--epochs", type=int, default=None, help="Override the config's epochs (transformer).")
    parser.add_argument("--out", type=Path, default=Path("vast-results.json"))
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    config = load_config(args.config) if args.config else TrainConfig(model=args.model or "tfidf")
    if args.model and args.model != config.model:
        config = config.replace(model=args.model)
    if args.epochs and config.model == "transformer":
        config = config.replace(params={"epochs": args.epochs})
    config = config.replace(task="joint")
    result = run(args.data, config, train_rows=args.train_rows, progress=not args.no_progress)
    out = {"benchmark": "VAST (SOURCE.md protocol): train on train, select on dev only, score test",
           "selection": "only dev (validation) rows were used for any choice; test rows only scored",
           "config": config.to_dict(), "train_rows_sample": args.train_rows,
           "machine": f"{platform.node()}, {os.cpu_count()} cores, CPU only",
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "published": PUBLISHED, **result}
    write_json(args.out, out)
    print(f"VAST macro-F1: all {result['macro_f1_all']:.2f}, zero-shot {result['macro_f1_zero_shot']:.2f}, "
          f"few-shot {result['macro_f1_few_shot']:.2f} (train {result['train_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
