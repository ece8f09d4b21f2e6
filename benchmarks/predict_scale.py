"""`stance predict`: the local engine against the Ray engine with 1 and 2 workers, in one run.

What it measures, on the same inputs:

1. 200k statements × 1 target with a TF-IDF model, and 5k pairs with a MiniLM transformer:
   wall time of a whole run (model loading included) for the local engine and for Ray with 1 and
   2 workers; statements/s; scaling efficiency from 1 to 2 workers (rate₂ / (2 · rate₁));
2. Ray's fixed cost: starting the local cluster (once), a job on 10 statements (actor start,
   model load, scheduling), and the cost of one more block (same input read as 1 block and as
   --blocks blocks, same workers).

Medians over --repeats. The machine is shared (2 cores, eight engineers): read ratios, not
absolute rates, and rerun when the load was high. Ray runs its own workers as processes: with 2
workers on 2 cores the driver and the read/write tasks compete with them.

Run:
    HF_HUB_OFFLINE=1 PYTHONPATH=. .venv/bin/python benchmarks/predict_scale.py
    HF_HUB_OFFLINE=1 PYTHONPATH=. .venv/bin/python benchmarks/predict_scale.py --tfidf-statements 50000 --pairs 1000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)

from predict_speed import make_transformer, median_time as timed, seed_statements, tfidf_model  # noqa: E402


def write_statements(path: Path, texts: list[str], n: int) -> Path:
    """``n`` distinct statements (a number appended, so no per-text cache flatters a figure)."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"s{i:07d}", "text": f"{texts[i % len(texts)]} ({i})"}) + "\n")
    return path


def bench_model(name: str, model: Path, src: Path, n: int, target: str, work: Path, args: Any) -> dict[str, float]:
    import shutil

    from stance.predict import PredictOptions, predict_file
    from stance.predict.ray_engine import predict_ray

    print(f"\n== {name}: {n:,} statement-target pairs ==")
    out: dict[str, float] = {}
    k = 0

    def local() -> Any:
        return predict_file(model, src, work / f"{name}-local.jsonl",
                            PredictOptions(targets=[target], show_progress=False, batch_size=args.batch_size))

    secs, _ = timed(local, args.repeats)
    out["local"] = n / secs
    print(f"local engine          {secs:8.1f} s  {n / secs:10,.0f} pairs/s")
    for workers in (1, 2):
        def ray_run() -> Any:
            nonlocal k
            k += 1
            dest = work / f"{name}-ray{workers}-{k}"
            # At least 4 batches per worker, so that every worker gets work (5k pairs in 5k-statement
            # batches would be one batch, and a second worker would idle).
            chunk = max(1, min(args.chunk_size, n // (4 * workers)))
            opts = PredictOptions(targets=[target], show_progress=False, batch_size=args.batch_size, chunk_size=chunk)
            summary = predict_ray(model, src, dest, opts, num_workers=workers,
                                  num_blocks=max(4 * workers, n // args.chunk_size // 2 or 1))
            shutil.rmtree(dest, ignore_errors=True)
            return summary

        secs, summary = timed(ray_run, args.repeats)
        out[f"ray{workers}"] = n / secs
        print(f"ray, {workers} worker(s)     {secs:8.1f} s  {n / secs:10,.0f} pairs/s  ({summary.shards} shards)")
    eff = out["ray2"] / (2 * out["ray1"])
    print(f"1→2 workers scaling efficiency: {eff:.0%}; ray 2 workers / local: {out['ray2'] / out['local']:.2f}x")
    return out


def bench_overheads(model: Path, texts: list[str], target: str, work: Path, args: Any) -> None:
    import shutil

    from stance.predict import PredictOptions
    from stance.predict.ray_engine import predict_ray

    print("\n== Ray fixed costs (TF-IDF, 1 worker) ==")
    tiny = write_statements(work / "tiny.jsonl", texts, 10)
    mid = write_statements(work / "mid.jsonl", texts, args.block_statements)
    k = 0

    def run(src: Path, blocks: int) -> float:
        nonlocal k
        k += 1
        dest = work / f"over-{k}"
        t = time.perf_counter()
        opts = PredictOptions(targets=[target], show_progress=False, chunk_size=max(1, args.block_statements // blocks))
        predict_ray(model, src, dest, opts, num_workers=1, num_blocks=blocks)
        secs = time.perf_counter() - t
        shutil.rmtree(dest, ignore_errors=True)
        return secs

    job = statistics.median(run(tiny, 1) for _ in range(args.repeats))
    one = statistics.median(run(mid, 1) for _ in range(args.repeats))
    many = statistics.median(run(mid, args.blocks) for _ in range(args.repeats))
    print(f"job on 10 statements: {job:.1f} s (actor start, model load, scheduling, write)")
    print(f"{args.block_statements:,} statements as 1 block: {one:.1f} s; as {args.blocks} blocks: {many:.1f} s "
          f"→ {(many - one) / (args.blocks - 1) * 1000:.0f} ms per extra block")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tfidf-statements", type=int, default=200_000)
    ap.add_argument("--pairs", type=int, default=5_000, help="statement-target pairs for the transformer")
    ap.add_argument("--transformer", type=Path, help="trained transformer folder (default: fine-tune MiniLM a few steps)")
    ap.add_argument("--finetune-steps", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--chunk-size", type=int, default=5_000, help="statements per map_batches call")
    ap.add_argument("--block-statements", type=int, default=20_000)
    ap.add_argument("--blocks", type=int, default=40)
    ap.add_argument("--skip-transformer", action="store_true")
    args = ap.parse_args()

    import ray

    from stance.models._inference import available_cores

    print(f"cores usable: {available_cores()}; load average: {os.getloadavg()[0]:.1f}; repeats: {args.repeats}")
    texts, how = seed_statements()
    print(f"statements: {len(texts)} seed sentences ({how}), numbered to {args.tfidf_statements:,} distinct texts")
    with tempfile.TemporaryDirectory(prefix="stance-scale-") as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        ray.init(num_cpus=3, _node_ip_address="127.0.0.1", include_dashboard=False, log_to_driver=False,
                 logging_level="WARNING")
        print(f"starting a local Ray (3 logical CPUs, 127.0.0.1, no dashboard): {time.perf_counter() - t:.1f} s")
        tfidf = tfidf_model(work)
        target = "kuril_sovereignty"
        src = write_statements(work / "statements.jsonl", texts, args.tfidf_statements)
        results = {"tfidf": bench_model("tfidf", tfidf, src, args.tfidf_statements, target, work, args)}
        bench_overheads(tfidf, texts, target, work, args)
        if not args.skip_transformer:
            folder = args.transformer
            if folder is None:
                folder = work / "minilm"
                print(f"\ntransformer: {make_transformer(folder, args.finetune_steps)}")
            tsrc = write_statements(work / "pairs.jsonl", texts, args.pairs)
            results["transformer"] = bench_model("transformer", folder, tsrc, args.pairs, target, work, args)
        ray.shutdown()
    print("\n" + json.dumps({k: {m: round(v, 1) for m, v in r.items()} for k, r in results.items()}))


if __name__ == "__main__":
    main()
