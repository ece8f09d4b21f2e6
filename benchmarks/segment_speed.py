"""Speed and memory of `stance segment` on a large corpus: the seeds replicated to about 50 MB.

Run: ``.venv/bin/python benchmarks/segment_speed.py [--mb 50] [--runs 3]``

Prints MB/s (median of the runs) and peak memory. The corpus is written to a temporary
folder as many files (one document each, like a real crawl); statements are streamed
to a JSONL file exactly as the CLI does, so memory stays bounded by one document.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def build_corpus(folder: Path, target_mb: float) -> tuple[int, int]:
    """Copy the seed documents into ``folder`` until it holds about ``target_mb`` MB."""
    seeds = sorted((REPO / "seeds").glob("*.txt"))
    texts = [p.read_bytes() for p in seeds]
    total = n = 0
    while total < target_mb * 1e6:
        data = texts[n % len(texts)]
        sub = folder / f"part{n // 1000:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"{n:06d}_{seeds[n % len(seeds)].stem}.txt").write_bytes(data)
        total += len(data)
        n += 1
    return total, n


def run_once(folder: Path, out: Path) -> tuple[float, float, int]:
    """Segment the corpus once, writing statements as the CLI does; returns (wall s, CPU s, statements)."""
    from stance.io import atomic_write
    from stance.segment import iter_segmented

    start, cpu_start = time.perf_counter(), time.process_time()
    n = 0
    with atomic_write(out) as fh:
        for seg in iter_segmented([folder]):
            for statement in seg.statements:
                fh.write(json.dumps(statement.to_dict(), ensure_ascii=False) + "\n")
                n += 1
    return time.perf_counter() - start, time.process_time() - cpu_start, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0, help="corpus size in MB (default 50)")
    parser.add_argument("--runs", type=int, default=3, help="number of timed runs (default 3)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="stance-segment-bench-"))
    try:
        corpus = tmp / "corpus"
        corpus.mkdir()
        size, n_docs = build_corpus(corpus, args.mb)
        print(f"corpus: {size / 1e6:.1f} MB in {n_docs} documents (seeds replicated)", flush=True)
        times, cpu_times = [], []
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        for r in range(args.runs):
            seconds, cpu, n_statements = run_once(corpus, tmp / "statements.jsonl")
            times.append(seconds)
            cpu_times.append(cpu)
            print(
                f"run {r + 1}: {seconds:.1f} s wall ({size / 1e6 / seconds:.2f} MB/s), "
                f"{cpu:.1f} s CPU ({size / 1e6 / cpu:.2f} MB/s), {n_statements} statements",
                flush=True,
            )
        median, median_cpu = statistics.median(times), statistics.median(cpu_times)
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        load = os.getloadavg()[0]
        print(f"median wall: {size / 1e6 / median:.2f} MB/s ({median:.1f} s for {size / 1e6:.1f} MB)")
        print(
            f"median CPU:  {size / 1e6 / median_cpu:.2f} MB/s of process CPU time (load average {load:.1f} on {os.cpu_count()} cores)"
        )
        print(f"peak memory (ru_maxrss): {peak_kb / 1024:.0f} MiB ({rss_before / 1024:.0f} MiB before the first run)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
