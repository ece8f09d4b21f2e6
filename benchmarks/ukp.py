"""UKP Sentential Argument Mining, cross-topic protocol, through the library's own models.

For each held-out topic: train on the ``train`` rows of the other seven topics, select the
model / early-stop on their ``val`` rows, test on the held-out topic's ``test`` rows. Input is
the (topic, sentence) pair; labels map NoArgument → None, Argument_for → Favor,
Argument_against → Against (the ``joint`` task setting). Reports macro-F1 over the three
classes and over argument / no argument, per topic and as the mean over topics, with the
training time of each fold. Results are written after every fold, so a killed run keeps its
finished folds, and a rerun with the same settings skips them.

The corpus is read from ``--data`` (never copied into the repository)::

    python benchmarks/ukp.py --data ../shared/benchmarks/ukp-sentential --model tfidf --out ukp-tfidf.json
    python benchmarks/ukp.py --data ... --model transformer --config configs/ukp-transformer.yaml \
        --topics cloning --out ukp-transformer.json
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from stance.config import TrainConfig, load_config
from stance.io import read_json, write_json
from stance.models import build_model

LABELS = {"NoArgument": "None", "Argument_for": "Favor", "Argument_against": "Against"}
TOPICS = ["abortion", "cloning", "death_penalty", "gun_control", "marijuana_legalization", "minimum_wage",
          "nuclear_energy", "school_uniforms"]
BERT_BASE = {"abortion": 53.3, "cloning": 69.4, "death_penalty": 56.2, "gun_control": 53.0,
             "marijuana_legalization": 60.7, "minimum_wage": 67.0, "nuclear_energy": 66.1, "school_uniforms": 67.8}

logger = logging.getLogger("benchmarks.ukp")


def read_corpus(data: Path) -> Any:
    """All eight topic TSVs as one DataFrame with ``file_topic``, ``target``, ``text``, ``label``, ``set``."""
    import pandas as pd

    frames = []
    for topic in TOPICS:
        path = data / f"{topic}.tsv"
        if not path.is_file():
            raise SystemExit(f"error: {path} not found (expected the UKP Sentential folder with {topic}.tsv)")
        df = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False)
        df["file_topic"] = topic
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    bad = sorted(set(df["annotation"]) - set(LABELS))
    if bad:
        raise SystemExit(f"error: unknown annotation values {bad}")
    return pd.DataFrame({"file_topic": df["file_topic"], "target": df["topic"], "text": df["sentence"],
                         "label": df["annotation"].map(LABELS), "set": df["set"]})


def macro_f1(gold: np.ndarray, pred: np.ndarray, labels: list[str]) -> float:
    """Macro-F1 over ``labels`` (a class never predicted nor gold counts as 0, as in the published protocol)."""
    from sklearn.metrics import f1_score

    return float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0))


def run_fold(corpus: Any, topic: str, config: TrainConfig, *, frozen_cache: dict | None, progress: bool,
             train_rows: int | None = None) -> dict[str, Any]:
    """Train on the other topics' train rows (early stopping on their val rows), test on ``topic``'s test rows.

    With ``train_rows``, a seeded random sample of that many training rows is used (CPU-bound runs).
    """
    other = corpus["file_topic"] != topic
    train = corpus[other & (corpus["set"] == "train")]
    if train_rows and train_rows < len(train):
        train = train.sample(n=train_rows, random_state=config.seed)
    val = corpus[other & (corpus["set"] == "val")]
    test = corpus[(corpus["file_topic"] == topic) & (corpus["set"] == "test")]
    model = build_model(config, **({"progress": progress} if config.model == "transformer" else {}))
    started = time.perf_counter()
    if config.model == "transformer":
        model.fit(train[["text", "target"]], train["label"].to_numpy(),
                  validation=(val[["text", "target"]], val["label"].to_numpy()), frozen_cache=frozen_cache)
    else:  # settings chosen on the other topics' val rows (select: grid), never on test rows
        model.fit(train[["text", "target"]], train["label"].to_numpy(),
                  validation=(val[["text", "target"]], val["label"].to_numpy()))
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    pred = model.predict(test[["text", "target"]])
    predict_s = time.perf_counter() - started
    gold = test["label"].to_numpy()
    arg = lambda a: np.where(a == "None", "NoArgument", "Argument")  # noqa: E731
    counts = {lab: {"gold": int((gold == lab).sum()), "predicted": int((pred == lab).sum())} for lab in LABELS.values()}
    return {
        "topic": topic, "n_train": len(train), "n_val": len(val), "n_test": len(test),
        "macro_f1_3class": round(100 * macro_f1(gold, pred, ["None", "Favor", "Against"]), 2),
        "macro_f1_2class": round(100 * macro_f1(arg(gold), arg(pred), ["NoArgument", "Argument"]), 2),
        "bert_base_3class": BERT_BASE[topic], "train_seconds": round(train_s, 1), "predict_seconds": round(predict_s, 2),
        "label_counts": counts, "training": getattr(model, "training_log_", None),
    }


def summarise(folds: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Means over the finished folds, with BERT-base's mean on the same topics for comparison."""
    done = [folds[t] for t in TOPICS if t in folds]
    if not done:
        return {}
    return {"topics_done": len(done),
            "mean_macro_f1_3class": round(float(np.mean([f["macro_f1_3class"] for f in done])), 2),
            "mean_macro_f1_2class": round(float(np.mean([f["macro_f1_2class"] for f in done])), 2),
            "mean_bert_base_3class_same_topics": round(float(np.mean([f["bert_base_3class"] for f in done])), 2),
            "total_train_seconds": round(sum(f["train_seconds"] for f in done), 1)}


def main(argv: list[str] | None = None) -> int:
    """Run the requested folds, writing ``--out`` after each, and print the per-topic table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="UKP Sentential folder (the eight topic TSVs).")
    parser.add_argument("--topics", nargs="+", choices=TOPICS, default=TOPICS, help="Held-out topics to run.")
    parser.add_argument("--model", choices=["tfidf", "transformer"], default=None)
    parser.add_argument("--config", type=Path, default=None, help="Training config YAML (configs/).")
    parser.add_argument("--epochs", type=int, default=None, help="Override the config's epochs (transformer).")
    parser.add_argument("--max-steps", type=int, default=None, help="Cap optimisation steps per fold (transformer).")
    parser.add_argument("--train-rows", type=int, default=None,
                        help="Train each fold on a seeded sample of this many training rows (CPU-bound runs; recorded).")
    parser.add_argument("--out", type=Path, default=Path("ukp-results.json"), help="Results JSON (updated per fold).")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    config = load_config(args.config) if args.config else TrainConfig(model=args.model or "tfidf")
    if args.model and args.model != config.model:
        config = config.replace(model=args.model)
    overrides = {k: v for k, v in (("epochs", args.epochs), ("max_steps", args.max_steps)) if v is not None}
    if overrides and config.model == "transformer":
        config = config.replace(params=overrides)
    config = config.replace(task="joint")

    corpus = read_corpus(args.data)
    results: dict[str, Any] = {}
    if args.out.is_file():
        previous = read_json(args.out)
        if previous.get("config") == config.to_dict() and previous.get("train_rows_sample") == args.train_rows:
            results = previous
            logger.info("resuming %s: %s already done", args.out, ", ".join(previous.get("folds", {})))
    results.setdefault("benchmark", "UKP Sentential Argument Mining, cross-topic (SOURCE.md protocol)")
    results["config"] = config.to_dict()
    results["train_rows_sample"] = args.train_rows
    results["selection"] = "only the other topics' val rows were used for any choice (grid, early stopping); test rows only scored"
    results["machine"] = f"{platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores, CPU only"
    results.setdefault("folds", {})
    frozen_cache: dict = {}  # frozen-layer outputs per (topic, sentence), shared by every fold
    for topic in args.topics:
        if topic in results["folds"]:
            continue
        logger.info("fold %s: training %s", topic, config.model)
        fold = run_fold(corpus, topic, config, frozen_cache=frozen_cache, progress=not args.no_progress,
                        train_rows=args.train_rows)
        results["folds"][topic] = fold
        results["summary"] = summarise(results["folds"])
        results["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        write_json(args.out, results)
        logger.info("fold %s: macro-F1 3-class %.2f, 2-class %.2f, trained in %.0f s", topic,
                    fold["macro_f1_3class"], fold["macro_f1_2class"], fold["train_seconds"])
    summary = summarise(results["folds"])
    print(f"{'topic':<24}{'3-class':>9}{'2-class':>9}{'BERT-base':>11}{'train s':>9}")
    for topic in TOPICS:
        if topic in results["folds"]:
            f = results["folds"][topic]
            print(f"{topic:<24}{f['macro_f1_3class']:>9.2f}{f['macro_f1_2class']:>9.2f}{f['bert_base_3class']:>11.1f}"
                  f"{f['train_seconds']:>9.0f}")
    if summary:
        print(f"{'mean (' + str(summary['topics_done']) + ' topics)':<24}{summary['mean_macro_f1_3class']:>9.2f}"
              f"{summary['mean_macro_f1_2class']:>9.2f}{summary['mean_bert_base_3class_same_topics']:>11.2f}"
              f"{summary['total_train_seconds']:>9.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
