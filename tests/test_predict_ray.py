"""Tests of the Ray engine (stance/predict/ray_engine.py) on a real local Ray cluster (2 CPUs, 127.0.0.1 only).

The tests that run a Ray job are slow-marked (a job costs 10-30 s here: actor processes start,
import stance and load the model); the refusals and errors run without a cluster.
Every test of a job compares against the local engine (:func:`stance.predict.predict_file`) on the
same input: the same rows (after sorting by id and target), identical labels, scores within 1e-6.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stance.errors import StanceError
from stance.predict import PredictOptions, predict_file

pytest.importorskip("ray")
import ray  # noqa: E402

from stance.predict.ray_engine import predict_ray, ray_input, read_output  # noqa: E402

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(Path(__file__).parent))
from test_predict import _train_tfidf  # noqa: E402

K, T = "kuril_sovereignty", "treaty_1956_basis"


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    """A small local Ray for this module: 2 workers + 1 CPU for reads and writes, every process on 127.0.0.1, no dashboard."""
    os.environ.setdefault("PYTHONPATH", str(Path(__file__).resolve().parents[1]))
    ray.init(num_cpus=3, _node_ip_address="127.0.0.1", include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    out = {"joint": _train_tfidf(root / "joint", "joint")}
    _train_tfidf(root / "two" / "role", "role")
    _train_tfidf(root / "two" / "stance", "stance")
    out["two"] = root / "two"
    return out


def _many_statements(n: int) -> list[dict[str, Any]]:
    """``n`` statements built from the hand-made fixture: each one a real sentence with a unique id."""
    base = [json.loads(line) for line in (DATA / "statements_small.jsonl").open(encoding="utf-8")]
    rows = []
    for i in range(n):
        row = dict(base[i % len(base)])
        row["id"] = f"{row['id']}#{i:05d}"
        if i % 3 == 1:  # vary the wording so not every copy scores alike
            row["text"] = f"{row['text']} The minister repeated this on day {i % 97}."
        rows.append(row)
    return rows


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _opts(**kw: Any) -> PredictOptions:
    return PredictOptions(show_progress=False, **kw)


def _local_rows(model: Path, src: Path, tmp_path: Path, **kw: Any) -> list[dict[str, Any]]:
    out = tmp_path / "local.jsonl"
    predict_file(model, src, out, _opts(**kw))
    return [json.loads(line) for line in out.open(encoding="utf-8")]


def _key(row: dict[str, Any]) -> tuple[str, str]:
    return row["id"], str(row.get("target"))


def _assert_same(ray_rows: list[dict[str, Any]], local_rows: list[dict[str, Any]]) -> None:
    assert len(ray_rows) == len(local_rows)
    keys = [_key(r) for r in ray_rows]
    assert len(set(keys)) == len(keys), "duplicate rows in the Ray output"
    for a, b in zip(sorted(ray_rows, key=_key), sorted(local_rows, key=_key)):
        assert set(a) == set(b)
        assert a["stance"] == b["stance"]
        for field in ("stance_scores", "role_scores"):
            if b.get(field) is None:
                assert a.get(field) is None
                continue
            assert a[field].keys() == b[field].keys()
            for label, score in b[field].items():
                assert abs(a[field][label] - score) <= 1e-6
        rest = {k: v for k, v in b.items() if k not in ("stance_scores", "role_scores")}
        assert {k: a[k] for k in rest} == rest


@pytest.mark.slow  # a real Ray cluster: 10-30 s per test on 2 cores
def test_ray_matches_the_local_engine_on_jsonl(ray_cluster: None, models: dict[str, Path], tmp_path: Path) -> None:
    src = _write_jsonl(tmp_path / "statements.jsonl", _many_statements(3000))
    summary = predict_ray(models["joint"], src, tmp_path / "preds", _opts(chunk_size=500), num_workers=2, num_blocks=4)
    assert summary.statements == 3000 and summary.rows_written == 6000 and summary.shards >= 2
    assert (tmp_path / "preds" / "lineage.json").is_file()
    _assert_same(read_output(tmp_path / "preds"), _local_rows(models["joint"], src, tmp_path))


@pytest.mark.slow  # a real Ray cluster: 10-30 s per test on 2 cores
def test_two_stage_on_a_folder_of_parquet_shards(ray_cluster: None, models: dict[str, Path], tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = _many_statements(2000)
    shards = tmp_path / "shards"
    shards.mkdir()
    for k in range(2):
        pq.write_table(pa.Table.from_pylist(rows[k * 1000:(k + 1) * 1000]), shards / f"part-{k}.parquet")
    whole = _write_jsonl(tmp_path / "all.jsonl", rows)
    summary = predict_ray(models["two"], shards, tmp_path / "preds.parquet", _opts(targets=[K]), num_workers=2)
    assert summary.role_kept is not None and 0 < summary.role_kept < summary.pairs
    got = read_output(tmp_path / "preds.parquet")
    assert all(p.suffix in (".parquet", ".json") for p in (tmp_path / "preds.parquet").iterdir())
    _assert_same(got, _local_rows(models["two"], whole, tmp_path, targets=[K]))


def _map_workers() -> list[int]:
    """Pids of this test's Ray Data actors (descendants of this process only, never another user's Ray)."""
    import psutil

    found = []
    for proc in psutil.Process(os.getpid()).children(recursive=True):
        try:
            if "MapWorker" in " ".join(proc.cmdline()):
                found.append(proc.pid)
        except psutil.Error:
            continue
    return found


@pytest.mark.slow  # a real Ray cluster: 10-30 s per test on 2 cores
def test_a_killed_worker_is_replaced_and_the_output_is_complete(ray_cluster: None, models: dict[str, Path],
                                                                tmp_path: Path) -> None:
    src = _write_jsonl(tmp_path / "statements.jsonl", _many_statements(2400))
    out = tmp_path / "preds"
    killed: list[int] = []

    def kill_one_mid_run() -> None:
        work = tmp_path / "preds.ray-work"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait until batches are finishing, so the kill lands mid-run
            if work.is_dir() and any(work.glob("*.json")):
                pids = _map_workers()
                if pids:
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(pids[0])
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_mid_run)
    killer.start()
    summary = predict_ray(models["joint"], src, out, _opts(targets=[K], chunk_size=200), num_workers=2, num_blocks=12,
                          _batch_delay=0.5)
    killer.join()
    assert killed, "no worker was killed; the test did not exercise a fault"
    assert summary.statements == 2400
    _assert_same(read_output(out), _local_rows(models["joint"], src, tmp_path, targets=[K]))


@pytest.mark.slow  # a real Ray cluster: 10-30 s per test on 2 cores
def test_bad_rows_are_skipped_and_counted(ray_cluster: None, models: dict[str, Path], tmp_path: Path) -> None:
    rows = _many_statements(40)
    lines = [json.dumps(r) for r in rows] + ['{"id": "x1", "text": "   "}', "{not json", '["a list"]']
    src = tmp_path / "statements.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = predict_ray(models["joint"], src, tmp_path / "preds", _opts(targets=[K]), num_workers=1)
    assert summary.statements == 43 and summary.bad_rows == 3 and summary.rows_written == 40
    reasons = " | ".join(r for _, r in summary.bad_examples)
    assert "empty 'text'" in reasons and "not valid JSON" in reasons and "expected a JSON object" in reasons
    with pytest.raises(StanceError, match="row id 'x1': empty 'text'"):
        predict_ray(models["joint"], src, tmp_path / "preds2", _opts(targets=[K], on_error="fail"), num_workers=1)
    assert not (tmp_path / "preds2").exists()


def test_missing_ray_names_the_extra(models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stance.predict.ray_engine import connect

    # ray is installed here; an uninstalled package cannot be produced for real, so hide it from import.
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(StanceError, match="ray") as err:
        connect(None)
    assert "stance[ray]" in (err.value.hint or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_address_is_a_clear_error(models: dict[str, Path], tmp_path: Path) -> None:
    src = _write_jsonl(tmp_path / "statements.jsonl", _many_statements(5))
    started = time.monotonic()
    with pytest.raises(StanceError, match=r"cannot reach the Ray cluster at ray://127\.0\.0\.1:\d+"):
        predict_ray(models["joint"], src, tmp_path / "preds", _opts(targets=[K]), address=f"ray://127.0.0.1:{_free_port()}")
    assert time.monotonic() - started < 30
    with pytest.raises(StanceError, match="is not auto, HOST:PORT"):
        predict_ray(models["joint"], src, tmp_path / "preds", _opts(targets=[K]), address="my-cluster")


def test_inputs_only_the_local_engine_reads_are_refused(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "speech.txt").write_text("The islands are ours.\n", encoding="utf-8")
    with pytest.raises(StanceError, match="not a folder of JSONL, CSV or Parquet shards") as err:
        ray_input(docs)
    assert "stance segment" in (err.value.hint or "")
    dataset = tmp_path / "ds"
    dataset.mkdir()
    (dataset / "dataset_dict.json").write_text('{"splits": ["test"]}', encoding="utf-8")
    with pytest.raises(StanceError, match="saved Hugging Face dataset"):
        ray_input(dataset)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "a.jsonl").write_text("{}\n", encoding="utf-8")
    (mixed / "b.csv").write_text("text\n", encoding="utf-8")
    with pytest.raises(StanceError, match="mixes shard formats"):
        ray_input(mixed)


@pytest.mark.slow  # a real Ray cluster: 10-30 s per test on 2 cores
def test_cli_engine_ray_writes_shards_and_summarises(ray_cluster: None, models: dict[str, Path], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from stance.cli import app

    src = _write_jsonl(tmp_path / "statements.jsonl", _many_statements(30))
    result = CliRunner().invoke(app, ["predict", str(models["joint"]), str(src), "-o", str(tmp_path / "preds"),
                                      "--targets", K, "--engine", "ray", "--num-workers", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "wrote 30 rows" in result.output and "1 Ray workers" in result.output
    assert len(read_output(tmp_path / "preds")) == 30
    result = CliRunner().invoke(app, ["predict", str(models["joint"]), str(src), "-o", str(tmp_path / "p2.jsonl"),
                                      "--targets", K, "--num-workers", "2"])
    assert result.exit_code == 1 and "apply to the Ray engine" in result.output
