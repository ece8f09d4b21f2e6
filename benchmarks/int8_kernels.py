"""Kernel-level check, interleaved: our fp32 ``score_pairs`` vs ONNX Runtime fp32 vs the saved int8 file.

Run: PYTHONPATH=. python benchmarks/int8_kernels.py MODEL_DIR PAIRS_JSONL [N]
(PAIRS_JSONL: rows with text and target, e.g. the pairs.jsonl benchmarks/predict_int8.py writes.)
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from stance.models import load_model
    from stance.models.quantize import INT8_FILE, OrtClassifier, agreement, export_onnx, scores_with

    model_dir, pairs = Path(sys.argv[1]), Path(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1500
    X = [{"text": r["text"], "target": r["target"]} for r in map(json.loads, pairs.open(encoding="utf-8"))][:n]
    est = load_model(model_dir).estimator
    fp = est.model_
    tmp = Path(tempfile.mkdtemp(prefix="int8-kernels-"))
    variants = {"our fp32": fp, "ONNX Runtime fp32": OrtClassifier(export_onnx(fp, tmp / "fp32.onnx"), fp.config)}
    if (model_dir / INT8_FILE).is_file():
        variants["saved int8"] = OrtClassifier(model_dir / INT8_FILE, fp.config)
    for m in variants.values():
        scores_with(est, m, X[:64])
    times: dict[str, list[float]] = {k: [] for k in variants}
    probs = {}
    for _ in range(2):
        for k, m in variants.items():
            t = time.perf_counter()
            probs[k] = scores_with(est, m, X)
            times[k].append(time.perf_counter() - t)
    base = statistics.median(times["our fp32"])
    print(f"{len(X)} pairs, medians of 2 interleaved runs, load {os.getloadavg()[0]:.1f}")
    for k in variants:
        t = statistics.median(times[k])
        print(f"{k:20s} {t:6.2f} s  {base / t:5.2f}x  agreement {agreement(probs['our fp32'], probs[k]):.2%}")


if __name__ == "__main__":
    main()
