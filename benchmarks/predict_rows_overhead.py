"""Overhead of ``stance.predict.predict_rows`` (pairing and output records, no model time), this
checkout against ``main``'s ``stance/predict.py`` before the split (read with ``git show``).

A constant-time stand-in estimator isolates the code that the split touched. The garbage
collector is off for the whole measurement: both versions pause it inside predict_rows, and
with it on, the collection of one call's output lands in the next call's time.

    PYTHONPATH=$PWD python benchmarks/predict_rows_overhead.py [--rev c870ec3]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from stance.models import StanceModel
from stance.predict import predict_rows


class _Constant:
    classes_ = np.array(["Against", "Favor", "None"], dtype=object)

    def predict_proba(self, X):  # noqa: N803
        return np.full((len(X), 3), 1 / 3)


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rev", default="c870ec3", help="git revision holding the old stance/predict.py")
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=11)
    args = ap.parse_args()
    src = subprocess.run(["git", "show", f"{args.rev}:stance/predict.py"], capture_output=True, text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "old_predict.py"
    path.write_text(src, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_predict", path)
    old = importlib.util.module_from_spec(spec)
    sys.modules["old_predict"] = old
    spec.loader.exec_module(old)

    meta = {"task": "joint", "targets": {"k": "Kuril sovereignty"}, "model_version": "v1", "labels": list(_Constant.classes_)}
    new_model = StanceModel(_Constant(), meta, Path("m"))
    old_model = old.LoadedModel(path=Path("m"), estimator=_Constant(), meta=meta)
    rows = [{"id": f"s{i}", "text": f"statement number {i} about the islands", "doc_id": "d"} for i in range(args.rows)]
    gc.collect()
    gc.disable()
    t_new = _median_ms(lambda: predict_rows(rows, new_model, targets=["k"]), args.repeats)
    t_old = _median_ms(lambda: old.predict_rows(rows, old_model, targets=["k"]), args.repeats)
    gc.enable()
    print(f"predict_rows overhead, {args.rows:,} rows x 1 target, median of {args.repeats}: "
          f"this checkout {t_new:.1f} ms, {args.rev} {t_old:.1f} ms, ratio {t_new / t_old:.2f}")


if __name__ == "__main__":
    main()
