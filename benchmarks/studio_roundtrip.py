"""Benchmark the Label Studio round trip against a real local server.

10,000 statements (the fixture statements replicated with distinct texts), pair mode with one
target (10,000 tasks), pre-annotations from a real TF-IDF stance model:

- push with predictions (build tasks, predict, create the project, bulk import): target ≤ 40 s;
- re-push of the same file: adds 0 tasks, target ≤ 15 s;
- pull (full JSON export written to disk): target ≤ 45 s;
- ratio against creating tasks one at a time (measured on a small sample, extrapolated);
- ``--incremental``: incremental pull (``stance pull --incremental``) of 100 changed tasks in
  the 10,000-task project, target ≤ 3 s (3 rounds of 100 new annotations, median), against
  the full export.

``--incremental-only`` skips the push/pull repeats and the one-at-a-time sample: one project
is pushed, measured and deleted. Every project it creates is deleted at the end, so it can
run against a shared server.

Usage::

    python benchmarks/studio_roundtrip.py                       # starts its own server in a temp folder
    python benchmarks/studio_roundtrip.py --url URL --api-key-env LABEL_STUDIO_API_KEY
    python benchmarks/studio_roundtrip.py --data-dir DIR        # a running `stance studio start` folder

The API key is never printed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def replicate(statements: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """``n`` statements with distinct texts and ids, cycling through the given ones."""
    out = []
    for i in range(n):
        s = dict(statements[i % len(statements)])
        s["text"] = f"{s['text']} (copy {i})"
        s["id"] = f"{s['doc_id']}:{hashlib.sha1(s['text'].encode()).hexdigest()[:10]}"
        s["index"], s["start"], s["end"] = i, None, None
        out.append(s)
    return out


def fixture_model() -> Any:
    """A real target-aware TF-IDF joint model fitted on the hand-labelled rows of the test fixtures."""
    sys.path.insert(0, str(ROOT / "tests"))
    from stance_fixture import ROWS, TARGETS

    from stance.models.tfidf import TfidfStanceClassifier

    X = [{"text": text, "target": TARGETS[target]} for target, text, *_ in ROWS]
    y = [stance for _, _, _, stance, *_ in ROWS]
    model = TfidfStanceClassifier(calibration="none", min_df=1).fit(X, y)
    model.model_version = "tfidf-joint-benchmark"
    return model


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure_incremental(client: Any, title: str, args: Any) -> dict[str, Any]:
    """Full pull, then rounds of ``--changed`` new annotations, each followed by an incremental pull."""
    from stance.io import read_json
    from stance.studio import find_project
    from stance.studio.incremental import pull_incremental

    tmp_dir = tempfile.TemporaryDirectory(prefix="stance-bench-inc-")
    export = Path(tmp_dir.name) / "export.json"
    t0 = time.perf_counter()
    first = pull_incremental(client, title, export)
    full_s = time.perf_counter() - t0
    assert first.full and first.tasks == args.statements, first
    print(f"incremental: first (full) pull {full_s:.1f} s")
    pid = find_project(client, title).id
    ids = sorted(int(t.id) for t in client.ls.tasks.list(project=pid, include="id", page_size=1000))
    result = [{"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["Favor"]}}]
    rounds: list[dict[str, Any]] = []
    for r in range(args.repeats + 1):  # round 0 also refetches the push's last seconds (the overlap)
        batch = ids[r * args.changed : (r + 1) * args.changed]
        for task_id in batch:
            client.ls.annotations.create(id=task_id, result=result)
        t0 = time.perf_counter()
        res = pull_incremental(client, title, export)
        dt = time.perf_counter() - t0
        rounds.append({"round": r, "annotated": len(batch), "fetched": res.fetched, "seconds": dt,
                       "annotations": res.annotations})
        print(f"incremental round {r}: {len(batch)} annotated, {res.fetched} fetched, {dt:.2f} s")
    tasks = read_json(export)
    n_ann = sum(len(t["annotations"]) for t in tasks)
    assert len(tasks) == args.statements and n_ann == (args.repeats + 1) * args.changed, (len(tasks), n_ann)
    assert len({t["id"] for t in tasks}) == len(tasks)
    tmp_dir.cleanup()
    med = statistics.median(x["seconds"] for x in rounds[1:])
    print(f"  incremental pull, {args.changed} changed of {args.statements}: median {med:.2f} s over "
          f"{args.repeats} rounds (target <= 3 s: {'ok' if med <= 3 else 'MISSED'}); full pull {full_s:.1f} s, "
          f"{full_s / med:.0f}x slower")
    return {"full_pull_s": full_s, "rounds": rounds, "median_s": med, "changed": args.changed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="Label Studio URL (default: start a local one in a temp folder)")
    parser.add_argument("--api-key-env", default="LABEL_STUDIO_API_KEY", help="environment variable holding the key")
    parser.add_argument("--data-dir", help="folder of a running `stance studio start` server")
    parser.add_argument("--statements", type=int, default=10_000)
    parser.add_argument("--target", default="kuril_sovereignty")
    parser.add_argument("--model", help="model folder from `stance train` (default: a TF-IDF model fitted here)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sample", type=int, default=50, help="tasks created one at a time for the ratio")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--incremental", action="store_true", help="also measure incremental pulls")
    parser.add_argument("--incremental-only", action="store_true", help="measure only incremental pulls")
    parser.add_argument("--changed", type=int, default=100, help="tasks annotated between incremental pulls")
    args = parser.parse_args()

    from stance.schema import labeling_config, load_schema
    from stance.studio import connect, pull, push
    from stance.studio.server import read_credentials, start, stop
    from stance.models import load_model
    from stance.tasks import add_predictions, build_tasks, read_statements

    started: Path | None = None
    if args.url:
        client = connect(args.url, os.environ.get(args.api_key_env))
    elif args.data_dir:
        client = connect(data_dir=args.data_dir)
    else:
        started = Path(tempfile.mkdtemp(prefix="stance-bench-studio-"))
        t = time.perf_counter()
        st = start(started, port=_free_port())
        print(f"started Label Studio at {st.url} in {time.perf_counter() - t:.0f} s (first start: migrations)")
        client = connect(st.url, read_credentials(started).token)

    created_projects: list[int] = []
    try:
        schema = load_schema(ROOT / "seeds" / "schema.yaml")
        rows = replicate(read_statements(ROOT / "tests" / "data" / "statements_small.jsonl"), args.statements)
        if args.model:
            predictor = load_model(args.model)
            version = predictor.model_version
        else:
            predictor, version = fixture_model(), "tfidf-joint-benchmark"
        xml = labeling_config(schema, "pair")

        def push_once(title: str) -> tuple[float, Any]:
            # What `stance push --model` does: build tasks, list the project's keys, predict and
            # import only the new ones.
            t0 = time.perf_counter()
            tasks = build_tasks(rows, schema, targets=[args.target])
            result = push(client, title, tasks, schema, targets=[args.target],
                          prepare=lambda new: add_predictions(new, schema, predictor, targets=[args.target],
                                                              model_version=version))
            return time.perf_counter() - t0, result

        if args.incremental_only:
            title = f"bench {uuid.uuid4().hex[:8]}"
            dt, res = push_once(title)
            created_projects.append(res.project_id)
            print(f"pushed {res.added} tasks in {dt:.1f} s")
            figures = {"statements": args.statements, "incremental": measure_incremental(client, title, args)}
            if args.json:
                Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
            return 0

        push_s, repush_s, pull_s = [], [], []
        tmp_dir = tempfile.TemporaryDirectory(prefix="stance-bench-")
        tmp = Path(tmp_dir.name)
        for r in range(args.repeats):
            title = f"bench {uuid.uuid4().hex[:8]}"
            dt, res = push_once(title)
            created_projects.append(res.project_id)
            assert res.added == args.statements and res.skipped == 0, res
            push_s.append(dt)
            dt, res = push_once(title)
            assert res.added == 0 and res.skipped == args.statements, res
            repush_s.append(dt)
            t0 = time.perf_counter()
            pulled = pull(client, title, tmp / "export.json")
            pull_s.append(time.perf_counter() - t0)
            assert pulled.tasks == args.statements, pulled
            n_pred = sum(len(t["predictions"]) for t in json.loads((tmp / "export.json").read_text(encoding="utf-8")))
            assert n_pred == args.statements, n_pred
            print(f"run {r + 1}: push {push_s[-1]:.1f} s, re-push {repush_s[-1]:.1f} s (0 added), pull {pull_s[-1]:.1f} s")
        tmp_dir.cleanup()

        # One task at a time (the slow path this toolkit avoids), on a small sample.
        sample = build_tasks(rows[: args.sample], schema, targets=[args.target], predictor=predictor, model_version=version)
        project = client.ls.projects.create(title=f"bench single {uuid.uuid4().hex[:8]}", label_config=xml)
        created_projects.append(project.id)
        t0 = time.perf_counter()
        for task in sample:
            created = client.ls.tasks.create(project=project.id, data=task["data"])
            client.ls.predictions.create(task=created.id, result=task["predictions"][0]["result"],
                                         score=task["predictions"][0]["score"], model_version=version)
        single_s = time.perf_counter() - t0
        per_task = single_s / len(sample)
        extrapolated = per_task * args.statements

        med = {k: statistics.median(v) for k, v in (("push", push_s), ("repush", repush_s), ("pull", pull_s))}
        figures = {
            "statements": args.statements, "tasks": args.statements, "repeats": args.repeats, "url": client.url,
            "push_with_predictions_s": push_s, "repush_s": repush_s, "pull_s": pull_s, "median": med,
            "single_sample": len(sample), "single_s": single_s, "single_per_task_s": per_task,
            "single_extrapolated_s": extrapolated, "ratio_single_vs_bulk_push": extrapolated / med["push"],
        }
        print()
        print(f"{args.statements} statements x 1 target = {args.statements} pair-mode tasks with predictions, "
              f"{args.repeats} runs (median):")
        print(f"  push with predictions  {med['push']:6.1f} s   target <= 40 s   {'ok' if med['push'] <= 40 else 'MISSED'}")
        print(f"  re-push (0 added)      {med['repush']:6.1f} s   target <= 15 s   {'ok' if med['repush'] <= 15 else 'MISSED'}")
        print(f"  pull (full export)     {med['pull']:6.1f} s   target <= 45 s   {'ok' if med['pull'] <= 45 else 'MISSED'}")
        print(f"  one at a time: {len(sample)} tasks (+ their predictions) in {single_s:.1f} s = {per_task * 1000:.0f} ms/task; "
              f"{args.statements} would take {extrapolated:.0f} s, {extrapolated / med['push']:.1f}x the bulk push")
        if args.incremental:
            figures["incremental"] = measure_incremental(client, title, args)
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        return 0
    finally:
        for pid in created_projects if started is None else []:
            try:
                client.ls.projects.delete(id=pid)
            except Exception as exc:  # noqa: BLE001 - report, keep cleaning up
                print(f"could not delete benchmark project {pid}: {type(exc).__name__}")
        if started is not None:
            stop(started)
            shutil.rmtree(started, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
