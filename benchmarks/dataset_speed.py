"""How fast `stance dataset` converts a large Label Studio export, and how much memory it needs.

Generates a pair-mode JSON export of N tasks (default 100,000) with two annotators per task, shaped
like a real export (full annotation objects, task metadata, realistic statement lengths), in a
temporary folder; then runs the real command, `stance dataset EXPORT -o DIR --no-progress`, in a
fresh process, several times, and prints the median wall time and the peak resident memory of that
process. Target: at most 20 s.

    python benchmarks/dataset_speed.py            # 100,000 tasks, 3 runs
    python benchmarks/dataset_speed.py --tasks 20000 --runs 1
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["kuril_sovereignty", "treaty_1956_basis", "us_japan_alliance", "japan_sanctions_g7", "ru_jp_cooperation"]
ROLES = ["Claim", "Premise", "None"]
STANCES = ["Favor", "Against", "None"]


def _sentences() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
    found = [s.strip() for s in re.findall(r"[A-Z][^.!?\n]{30,240}[.!?]", text)]
    return found or ["Japan must recognize the results of World War II in their entirety."]


def _annotation(aid: int, task_id: int, user: int, role: str, stance: str, rng: random.Random) -> dict:
    stamp = f"2026-11-{10 + aid % 18:02d}T{aid % 24:02d}:{aid % 60:02d}:{(aid * 7) % 60:02d}.{aid % 999999:06d}Z"
    result = [
        {"value": {"choices": [role]}, "id": f"r{aid}a", "from_name": "role", "to_name": "text", "type": "choices", "origin": "manual"},
        {"value": {"choices": [stance]}, "id": f"r{aid}b", "from_name": "stance", "to_name": "text", "type": "choices", "origin": "manual"},
    ]
    return {
        "id": aid, "completed_by": user, "result": result, "was_cancelled": False, "ground_truth": False,
        "created_at": stamp, "updated_at": stamp, "draft_created_at": None, "lead_time": round(rng.uniform(3, 60), 3),
        "prediction": {}, "result_count": 2, "unique_id": hashlib.md5(str(aid).encode()).hexdigest(),
        "import_id": None, "last_action": None, "bulk_created": False, "task": task_id, "project": 3,
        "updated_by": user, "parent_prediction": None, "parent_annotation": None, "last_created_by": None,
    }


def generate(path: Path, n_tasks: int, *, seed: int = 0) -> None:
    """Write an export of ``n_tasks`` pair-mode tasks, two annotators each, about 80 % agreement."""
    rng = random.Random(seed)
    sentences = _sentences()
    aid = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write("[")
        for i in range(n_tasks):
            task_id = 1000 + i
            doc = f"doc{i // 50:05d}"
            text = sentences[i % len(sentences)]
            sid = f"{doc}:{hashlib.sha1(f'{i // len(TARGETS)}{text}'.encode()).hexdigest()[:10]}"
            target = TARGETS[i % len(TARGETS)]
            start = (i % 50) * 200
            data = {
                "text": text, "target": target, "target_name": target.replace("_", " "), "target_definition": "…",
                "statement_id": sid, "doc_id": doc, "holder": "Sergey Lavrov", "holder_type": "quoted",
                "genre": "news_report" if i % 3 else "press_conference", "title": "Lavrov on relations with Japan",
                "prev_text": "", "next_text": "", "start": start, "end": start + len(text), "schema_version": "1",
                "task_key": f"{sid}|{target}",
            }
            role, stance = rng.choice(ROLES), rng.choice(STANCES)
            anns = []
            for user in (1, 2):
                aid += 1
                agree = rng.random() < 0.8
                anns.append(_annotation(aid, task_id, user, role if agree else rng.choice(ROLES),
                                        stance if agree else rng.choice(STANCES), rng))
            task = {
                "id": task_id, "annotations": anns, "file_upload": "tasks.json", "drafts": [], "predictions": [],
                "data": data, "meta": {}, "created_at": "2026-11-09T16:40:11.532119Z",
                "updated_at": "2026-11-10T11:02:45.100233Z", "inner_id": i + 1, "total_annotations": 2,
                "cancelled_annotations": 0, "total_predictions": 0, "comment_count": 0,
                "unresolved_comment_count": 0, "last_comment_updated_at": None, "project": 3, "updated_by": 1,
                "comment_authors": [],
            }
            if i:
                fh.write(", ")
            fh.write(json.dumps(task, ensure_ascii=False))
        fh.write("]\n")


def run_once(export: Path, out: Path) -> tuple[float, float, float]:
    """Run `stance dataset` in a fresh process; return (wall s, CPU s, peak RSS MiB) of that process."""
    code = (
        "import resource, sys, time\n"
        "from stance.cli import app\n"
        "t = time.perf_counter()\n"
        "try:\n"
        "    app(sys.argv[1:], standalone_mode=False)\n"
        "finally:\n"
        "    print(f'__wall__ {time.perf_counter() - t:.3f}', file=sys.stderr)\n"
        "    print(f'__rss__ {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}', file=sys.stderr)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, "dataset", str(export), "-o", str(out), "--no-progress"],
        capture_output=True, text=True, env=env,
    )
    total = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"stance dataset failed:\n{proc.stderr[-2000:]}")
    rss = float(re.search(r"__rss__ ([\d.]+)", proc.stderr).group(1))
    return total, cpu, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="stance-dataset-bench-"))
    try:
        export = tmp / "export.json"
        t = time.perf_counter()
        generate(export, args.tasks)
        size = export.stat().st_size / 2**20
        print(f"generated {args.tasks:,} tasks x 2 annotators: {size:.0f} MiB in {time.perf_counter() - t:.1f} s")
        walls, cpus, peaks = [], [], []
        for i in range(args.runs):
            load = os.getloadavg()[0]
            wall, cpu, rss = run_once(export, tmp / "data")
            walls.append(wall)
            cpus.append(cpu)
            peaks.append(rss)
            print(f"run {i + 1}: {wall:.2f} s wall (process start to exit), {cpu:.2f} s CPU, peak RSS {rss:.0f} MiB "
                  f"(load average before: {load:.1f} on {os.cpu_count()} cores)")
        rows = json.loads((tmp / "data" / "stance_dataset.json").read_text())["splits"]
        print(f"splits: {rows}")
        print(f"median wall {statistics.median(walls):.2f} s (target <= 20 s); median CPU {statistics.median(cpus):.2f} s "
              "(what the wall time would be on an idle core); "
              f"peak RSS max {max(peaks):.0f} MiB; "
              f"export {size:.0f} MiB; {args.tasks / statistics.median(walls):,.0f} tasks/s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
