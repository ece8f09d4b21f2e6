"""Speed and memory of `stance segment` on a large corpus: the seeds replicated to about 50 MB.

Run: ``.venv/bin/python benchmarks/segment_speed.py [--mb 50] [--runs 3] [--case files|one-paragraph|both]``

Two cases:

- ``files``: the seeds copied as many files (one document each, like a real crawl);
- ``one-paragraph``: the seeds' sentences joined into documents that are each one line of
  ``--paragraph-mb`` MB (one-line exports, old Mac files): segmentation time must stay
  linear in paragraph length (it was quadratic: 16 MB took 40 s);
- ``wrapped`` (with ``--case all``): the same paragraphs as lines of 72 characters (plain-text
  mail, books), where joining wrapped lines copied the paragraph for every line.

Prints MB/s (median of the runs), the ratio of the two cases and peak memory. Statements are
streamed to a JSONL file exactly as the CLI does, so memory stays bounded by one document.
Each case runs in its own process so that peak memory is the case's own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
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


def build_one_paragraph_corpus(
    folder: Path, target_mb: float, paragraph_mb: float, *, wrap: bool = False
) -> tuple[int, int]:
    """Documents of one paragraph each (a title line, then ``paragraph_mb`` MB of text), written
    as one line, or with ``wrap`` as lines of at most 72 characters (plain-text mail and books)."""
    sentences = []
    for path in sorted((REPO / "seeds").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line.endswith((".", '"', "”", "?", "!")):
                sentences.append(line)
    body = " ".join(sentences)
    total = n = 0
    while total < target_mb * 1e6:
        size = min(paragraph_mb * 1e6, target_mb * 1e6 - total)
        reps = max(1, int(size / len(body.encode("utf-8")) + 0.5))
        paragraph = " ".join([body] * reps)
        if wrap:
            paragraph = "\n".join(textwrap.wrap(paragraph, 72, break_long_words=False, break_on_hyphens=False))
        data = ("Ministers meet in Geneva\n\n" + paragraph + "\n").encode("utf-8")
        (folder / f"{n:04d}_one_paragraph.txt").write_bytes(data)
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
    parser.add_argument("--case", choices=("files", "one-paragraph", "wrapped", "both", "all"), default="both")
    parser.add_argument(
        "--paragraph-mb", type=float, default=4.0, help="size of each one-paragraph document (default 4)"
    )
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)  # a corpus built by the parent
    args = parser.parse_args()
    if args.corpus is not None:
        run_case(args.corpus, args.runs)
        return
    cases = {"both": ("files", "one-paragraph"), "all": ("files", "one-paragraph", "wrapped")}.get(args.case, (args.case,))
    medians = {}
    tmp = Path(tempfile.mkdtemp(prefix="stance-segment-bench-"))
    try:
        for case in cases:
            # The corpus is built here and segmented in a child process, so that the child's
            # peak memory is segmentation's own.
            corpus = tmp / case
            corpus.mkdir()
            if case == "files":
                size, n_docs = build_corpus(corpus, args.mb)
                what = "seeds replicated"
            else:
                wrap = case == "wrapped"
                size, n_docs = build_one_paragraph_corpus(corpus, args.mb, args.paragraph_mb, wrap=wrap)
                what = f"one paragraph of about {args.paragraph_mb:g} MB each" + (", lines of 72" if wrap else "")
            print(f"== {case}: {size / 1e6:.1f} MB in {n_docs} documents ({what})", flush=True)
            cmd = [sys.executable, __file__, "--corpus", str(corpus), "--runs", str(args.runs)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            print(out, end="", flush=True)
            medians[case] = float(out.split("median wall: ")[1].split(" MB/s")[0])
            shutil.rmtree(corpus, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for case in ("one-paragraph", "wrapped"):
        if case in medians and "files" in medians:
            print(f"{case} / files: {medians[case] / medians['files']:.2f} (median wall MB/s)")


def peak_rss_kib() -> int:
    """Peak resident memory of this process in KiB.

    /proc's VmHWM belongs to the process image: ru_maxrss survives exec, so a child would
    report the parent's peak from building the corpus.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def run_case(corpus: Path, runs: int) -> None:
    """Segment a corpus ``runs`` times and print the figures (runs in a child process)."""
    size = sum(p.stat().st_size for p in corpus.rglob("*.txt"))
    tmp = Path(tempfile.mkdtemp(prefix="stance-segment-bench-out-"))
    try:
        times, cpu_times = [], []
        rss_before = peak_rss_kib()
        for r in range(runs):
            seconds, cpu, n_statements = run_once(corpus, tmp / "statements.jsonl")
            times.append(seconds)
            cpu_times.append(cpu)
            print(
                f"run {r + 1}: {seconds:.1f} s wall ({size / 1e6 / seconds:.2f} MB/s), "
                f"{cpu:.1f} s CPU ({size / 1e6 / cpu:.2f} MB/s), {n_statements} statements",
                flush=True,
            )
        median, median_cpu = statistics.median(times), statistics.median(cpu_times)
        peak_kb = peak_rss_kib()
        load = os.getloadavg()[0]
        print(f"median wall: {size / 1e6 / median:.2f} MB/s ({median:.1f} s for {size / 1e6:.1f} MB)")
        print(
            f"median CPU:  {size / 1e6 / median_cpu:.2f} MB/s of process CPU time (load average {load:.1f} on {os.cpu_count()} cores)"
        )
        print(f"peak memory (VmHWM): {peak_kb / 1024:.0f} MiB ({rss_before / 1024:.0f} MiB before the first run)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
