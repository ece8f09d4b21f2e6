"""Whole `stance predict` runs: fp32 against `--quantize` (saved int8 and load-time int8), with agreement and macro-F1.

Every run is a fresh `python -m stance predict` process, so imports, model load, tokenising and
writing count. Variants are interleaved, repeated, and the medians compared. Agreement is the
share of pairs whose label equals the fp32 run's; macro-F1 is against gold (UKP test rows:
Argument_for/against/NoArgument → Favor/Against/None; seed pairs: the dataset's test split).
Test rows are only MEASURED here; nothing is chosen on them.

Run (after `stance quantize MODEL --data DATASET`):
    python benchmarks/predict_int8.py --model M --plain-model M_WITHOUT_INT8 --dataset DATASET \\
        --ukp /work/shared/benchmarks/ukp-sentential --copies 2 --repeats 3
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# one-word topics would read as target ids; stance predict scores free target texts (with a space)
TOPIC_TEXT = {"abortion": "legal abortion", "cloning": "human cloning"}
UKP_LABELS = {"Argument_for": "Favor", "Argument_against": "Against", "NoArgument": "None"}


def ukp_rows(folder: Path) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.tsv")):
        with open(path, encoding="utf-8") as fh:
            for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                if r["set"] == "test":
                    rows.append({"id": f"ukp:{r['sentenceHash']}:{r['topic']}", "text": r["sentence"],
                                 "target": TOPIC_TEXT.get(r["topic"], r["topic"].replace("_", " ")), "gold": UKP_LABELS[r["annotation"]], "part": "ukp"})
    return rows


def seed_rows(dataset: Path, task: str) -> list[dict]:
    from stance.dataset import load_dataset_dir
    from stance.training import task_data

    ds, _ = load_dataset_dir(dataset)
    rows = []
    for split in ("train", "validation", "test"):
        td = task_data(ds, split, task, data_dir=dataset)
        for i, (text, target, y) in enumerate(zip(td.X["text"], td.X["target"], td.y)):
            rows.append({"id": f"seed:{split}:{i}", "text": text, "target": target,
                         "gold": y if split == "test" else None, "part": "seed"})
    return rows


def macro_f1(gold: list[str], pred: list[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, pred, average="macro", labels=sorted(set(gold)), zero_division=0))


def run(model: Path, inp: Path, out: Path, quantize: bool) -> float:
    cmd = [sys.executable, "-m", "stance", "predict", str(model), str(inp), "-o", str(out), "--no-progress"]
    if quantize:
        cmd.append("--quantize")
    if out.exists():
        out.unlink()
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="model folder with model.int8.onnx (stance quantize)")
    ap.add_argument("--plain-model", type=Path, help="the same model without the int8 file (load-time int8)")
    ap.add_argument("--also", action="append", default=[], metavar="NAME=DIR",
                    help="another --quantize variant: a copy of the model quantized another way (repeatable)")
    ap.add_argument("--dataset", type=Path, required=True)
    ap.add_argument("--ukp", type=Path, default=Path("/work/shared/benchmarks/ukp-sentential"))
    ap.add_argument("--copies", type=int, default=2, help="each pair repeated this often (whole-run size)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from stance.models import load_model

    task = load_model(args.model).task
    rows = ukp_rows(args.ukp) + seed_rows(args.dataset, task)
    work = Path(tempfile.mkdtemp(prefix="int8-bench-"))
    inp = work / "pairs.jsonl"
    with open(inp, "w", encoding="utf-8") as fh:
        for c in range(args.copies):
            for r in rows:
                fh.write(json.dumps({"id": f"{r['id']}#{c}", "text": r["text"], "target": r["target"]}) + "\n")
    n = len(rows) * args.copies
    variants = {"fp32": (args.model, False), "int8 saved": (args.model, True)}
    if args.plain_model:
        variants["int8 load-time"] = (args.plain_model, True)
    for spec in args.also:
        name, _, folder = spec.partition("=")
        variants[name] = (Path(folder), True)
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(args.repeats):
        for name, (model, q) in variants.items():
            times[name].append(run(model, inp, work / f"{name.replace(' ', '_')}.jsonl", q))
    labels = {}
    for name in variants:
        got = {}
        for line in open(work / f"{name.replace(' ', '_')}.jsonl", encoding="utf-8"):
            rec = json.loads(line)
            if rec["id"].endswith("#0"):
                got[rec["id"][:-2]] = rec.get("label") or rec.get("stance")
        labels[name] = got
    common = set.intersection(*(set(v) for v in labels.values()))
    if len(common) < len(rows):  # UKP repeats a few (sentence, topic) rows under one hash
        print(f"{len(rows) - len(common)} of {len(rows)} pairs not compared (duplicate ids or skipped rows)")
        rows = [r for r in rows if r["id"] in common]
    load = os.getloadavg()
    print(f"{n} pairs ({len(rows)} unique ones compared: UKP test rows and seed pairs) x {args.copies}; medians of {args.repeats} "
          f"interleaved whole runs; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    base = statistics.median(times["fp32"])
    for name in variants:
        t = statistics.median(times[name])
        line = f"{name:15s} {t:7.1f} s  {n / t:7.1f} pairs/s  {base / t:5.2f}x fp32"
        for part in ("ukp", "seed"):
            ids = [r["id"] for r in rows if r["part"] == part]
            agree = sum(labels[name][i] == labels["fp32"][i] for i in ids) / len(ids)
            gold = [(r["gold"], r["id"]) for r in rows if r["part"] == part and r["gold"] is not None]
            f1 = macro_f1([g for g, _ in gold], [labels[name][i] for _, i in gold])
            f1_0 = macro_f1([g for g, _ in gold], [labels["fp32"][i] for _, i in gold])
            line += f" | {part}: agreement {agree:6.2%} ({len(ids)}), macro-F1 {f1:.4f} ({f1 - f1_0:+.4f})"
            if part == "seed":  # train/validation seed pairs may have been check pairs of stance quantize; test never
                tids = [i for _, i in gold]
                line += f", test split only {sum(labels[name][i] == labels['fp32'][i] for i in tids) / len(tids):6.2%} ({len(tids)})"
        print(line)
    print("times:", json.dumps({k: [round(x, 1) for x in v] for k, v in times.items()}))


if __name__ == "__main__":
    main()
