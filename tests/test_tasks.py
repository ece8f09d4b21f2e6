"""Statements → Label Studio tasks, pre-annotations from a real classifier, and `stance tasks`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from stance.schema import Schema, load_schema
from stance.models import load_model
from stance.tasks import build_tasks, read_statements

SCHEMA_ARGS = ["--schema", str(Path(__file__).resolve().parents[1] / "seeds" / "schema.yaml")]
PAIR_FIELDS = {
    "text", "target", "target_name", "target_definition", "statement_id", "doc_id", "holder", "holder_type",
    "genre", "title", "prev_text", "next_text", "start", "end", "schema_version", "task_key",
}


@pytest.fixture(scope="module")
def schema(repo_root: Path) -> Schema:
    return load_schema(repo_root / "seeds" / "schema.yaml")


@pytest.fixture(scope="module")
def statements(fixtures_dir: Path) -> list[dict[str, Any]]:
    return read_statements(fixtures_dir / "statements_small.jsonl")


@pytest.fixture(scope="module")
def joint_model() -> Any:
    """A real target-aware TF-IDF classifier (None/Favor/Against), fitted on hand-labelled rows."""
    from stance.models.tfidf import TfidfStanceClassifier
    from stance_fixture import ROWS, TARGETS

    X = [{"text": text, "target": TARGETS[target]} for target, text, *_ in ROWS]
    y = [stance for _, _, _, stance, *_ in ROWS]
    return TfidfStanceClassifier(calibration="none", min_df=1, char_ngrams=None).fit(X, y)


def test_fixture_statements_are_exact_spans_of_the_seeds(statements: list[dict[str, Any]], repo_root: Path) -> None:
    assert len(statements) == 14
    for s in statements:
        source = (repo_root / s["source_path"]).read_text(encoding="utf-8")
        assert source[s["start"] : s["end"]] == s["text"]


def test_pair_tasks(statements: list[dict[str, Any]], schema: Schema) -> None:
    tasks = build_tasks(statements, schema)
    assert len(tasks) == len(statements) * len(schema.targets)
    for task in tasks:
        data = task["data"]
        assert set(data) == PAIR_FIELDS
        assert data["task_key"] == f"{data['statement_id']}|{data['target']}"
        assert data["schema_version"] == "1"
        assert data["target_name"] == schema.target(data["target"]).name
        assert "predictions" not in task
    assert len({t["data"]["task_key"] for t in tasks}) == len(tasks)


def test_context_comes_from_neighbours_in_the_same_document(statements: list[dict[str, Any]], schema: Schema) -> None:
    tasks = {t["data"]["statement_id"]: t["data"] for t in build_tasks(statements, schema, mode="discovery")}
    doc = [s for s in statements if s["doc_id"] == "003_2155d83bda041d79"]
    first, second, third = (tasks[s["id"]] for s in doc)
    assert first["prev_text"] == "" and first["next_text"] == second["text"]
    assert second["prev_text"] == first["text"] and second["next_text"] == third["text"]
    assert third["next_text"] == ""


def test_target_subset_and_split(statements: list[dict[str, Any]], schema: Schema) -> None:
    rows = [dict(s, split="train") for s in statements]
    tasks = build_tasks(rows, schema, targets=["us_japan_alliance", "kuril_sovereignty"])
    assert len(tasks) == 2 * len(rows)
    assert {t["data"]["target"] for t in tasks} == {"us_japan_alliance", "kuril_sovereignty"}
    assert all(t["data"]["split"] == "train" for t in tasks)


def test_unknown_target(statements: list[dict[str, Any]], schema: Schema) -> None:
    with pytest.raises(StanceError, match=r"unknown target id\(s\) crimea"):
        build_tasks(statements, schema, targets=["crimea"])


def test_discovery_tasks(statements: list[dict[str, Any]], schema: Schema) -> None:
    tasks = build_tasks(statements, schema, mode="discovery")
    assert len(tasks) == len(statements)
    for task, s in zip(tasks, statements):
        assert set(task["data"]) == PAIR_FIELDS - {"target", "target_name", "target_definition"}
        assert task["data"]["task_key"] == s["id"]


def test_pair_predictions_from_a_real_model(statements: list[dict[str, Any]], schema: Schema, joint_model: Any) -> None:
    tasks = build_tasks(statements, schema, predictor=joint_model, model_version="tfidf-test")
    X = [{"text": t["data"]["text"], "target": t["data"]["target_name"]} for t in tasks]
    proba = joint_model.predict_proba(X)
    for task, row in zip(tasks, proba):
        (pred,) = task["predictions"]
        best = int(np.argmax(row))
        assert pred["model_version"] == "tfidf-test"
        assert pred["score"] == pytest.approx(row[best])
        (result,) = pred["result"]
        assert result["from_name"] == "stance" and result["to_name"] == "text" and result["type"] == "choices"
        assert result["value"]["choices"] == [joint_model.classes_[best]]


def test_discovery_predictions_tick_position_taking_targets(
    statements: list[dict[str, Any]], schema: Schema, joint_model: Any
) -> None:
    tasks = build_tasks(statements, schema, mode="discovery", predictor=joint_model, model_version="v")
    ticked_any = False
    for task in tasks:
        (pred,) = task["predictions"]
        by_name = {r["from_name"]: r for r in pred["result"]}
        ticked = by_name["targets"]["value"]["choices"] if "targets" in by_name else []
        ticked_any |= bool(ticked)
        assert set(by_name) == ({"targets"} if ticked else set()) | {f"stance_{t}" for t in ticked}
        for t in ticked:
            assert by_name[f"stance_{t}"]["value"]["choices"][0] in ("Favor", "Against")
    assert ticked_any


def test_stance_only_model_cannot_discover(statements: list[dict[str, Any]], schema: Schema) -> None:
    from stance.models.tfidf import TfidfStanceClassifier
    from stance_fixture import ROWS, TARGETS

    rows = [r for r in ROWS if r[3] != "None"]
    model = TfidfStanceClassifier(calibration="none", min_df=1, char_ngrams=None).fit(
        [{"text": r[1], "target": TARGETS[r[0]]} for r in rows], [r[3] for r in rows])
    model.task = "stance"
    with pytest.raises(StanceError, match=r"a `stance` model \(Favor/Against only\) cannot say which targets"):
        build_tasks(statements, schema, mode="discovery", predictor=model)


def test_model_labels_must_fit_the_schema(statements: list[dict[str, Any]], schema: Schema) -> None:
    from stance.models.tfidf import TfidfStanceClassifier

    model = TfidfStanceClassifier(calibration="none", min_df=1, char_ngrams=None).fit(
        [{"text": s["text"], "target": "x"} for s in statements], ["Pro", "Con"] * (len(statements) // 2))
    with pytest.raises(StanceError, match=r"the model's labels \['Con', 'Pro'\] are not stance labels of schema version 1"):
        build_tasks(statements, schema, predictor=model)


def test_load_predictor_refuses_a_plain_folder(tmp_path: Path) -> None:
    with pytest.raises(StanceError, match=r"is not a stance model folder"):
        load_model(tmp_path)


def test_saved_model_folder_plugs_in(statements: list[dict[str, Any]], schema: Schema, joint_model: Any,
                                     tmp_path: Path, fixtures_dir: Path) -> None:
    from stance.models import save_model
    from stance.models.base import make_metadata

    meta = make_metadata(kind="tfidf", task="joint", labels=list(joint_model.classes_), config={"params": {}},
                         fingerprint="sha256:0123456789abcdef", schema_version="1")
    save_model(joint_model, tmp_path / "model", meta)
    predictor = load_model(tmp_path / "model")
    version = predictor.model_version
    assert version == meta["model_version"]
    tasks = build_tasks(statements[:3], schema, targets=["kuril_sovereignty"], predictor=predictor, model_version=version)
    assert [t["predictions"][0]["model_version"] for t in tasks] == [version] * 3
    out = tmp_path / "tasks.json"
    result = CliRunner().invoke(app, ["tasks", str(fixtures_dir / "statements_small.jsonl"), *SCHEMA_ARGS, "-o", str(out),
                                      "--model", str(tmp_path / "model"), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "70 with predictions" in result.output


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_statement_names_the_line(tmp_path: Path, fixtures_dir: Path) -> None:
    lines = (fixtures_dir / "statements_small.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    broken = json.loads(lines[1])
    del broken["text"]
    path = _write_lines(tmp_path / "s.jsonl", [lines[0], json.dumps(broken), lines[2]])
    with pytest.raises(StanceError, match=r"s.jsonl line 2: statement has no `text` field"):
        read_statements(path)


def test_repeated_statement_id_names_both_lines(tmp_path: Path, fixtures_dir: Path) -> None:
    lines = (fixtures_dir / "statements_small.jsonl").read_text(encoding="utf-8").splitlines()[:2]
    path = _write_lines(tmp_path / "s.jsonl", [lines[0], lines[1], lines[0]])
    with pytest.raises(StanceError, match=r"s.jsonl line 3: statement id '000_195aff00a3928bad:b5f8f4853d' repeats line 1"):
        read_statements(path)


def test_offsets_must_match_the_text(tmp_path: Path, fixtures_dir: Path) -> None:
    first = json.loads((fixtures_dir / "statements_small.jsonl").read_text(encoding="utf-8").splitlines()[0])
    first["end"] += 3
    path = _write_lines(tmp_path / "s.jsonl", [json.dumps(first)])
    with pytest.raises(StanceError, match=r"line 1: statement .*: end - start = 243 but the text has 240 characters"):
        read_statements(path)


def test_not_json_names_the_line(tmp_path: Path, fixtures_dir: Path) -> None:
    lines = (fixtures_dir / "statements_small.jsonl").read_text(encoding="utf-8").splitlines()[:1]
    path = _write_lines(tmp_path / "s.jsonl", [lines[0], '{"id": "x", "text": '])
    with pytest.raises(StanceError, match=r"line 2: not valid JSON"):
        read_statements(path)


def test_cli_tasks_writes_tasks_and_config(tmp_path: Path, fixtures_dir: Path) -> None:
    out = tmp_path / "tasks.json"
    result = CliRunner().invoke(app, ["tasks", str(fixtures_dir / "statements_small.jsonl"), *SCHEMA_ARGS, "-o", str(out),
                                      "--targets", "us_japan_alliance,ru_jp_cooperation"])
    assert result.exit_code == 0, result.output
    assert "wrote 28 pair-mode task(s) (schema version 1)" in result.output
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert len(tasks) == 28
    assert '<Choices name="role"' in (tmp_path / "tasks.label_config.xml").read_text(encoding="utf-8")


def test_cli_tasks_discovery(tmp_path: Path, fixtures_dir: Path) -> None:
    out = tmp_path / "tasks.json"
    result = CliRunner().invoke(app, ["tasks", str(fixtures_dir / "statements_small.jsonl"), *SCHEMA_ARGS, "-o", str(out),
                                      "--mode", "discovery"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 14
    assert 'whenChoiceValue="kuril_sovereignty"' in (tmp_path / "tasks.label_config.xml").read_text(encoding="utf-8")


def test_cli_tasks_bad_file_is_one_line(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "s.jsonl", ['{"id": "d:1", "doc_id": "d", "text": "Fine."}', '{"id": "d:2", "doc_id": "d", "text": 7}'])
    result = CliRunner().invoke(app, ["tasks", str(path), *SCHEMA_ARGS, "-o", str(tmp_path / "t.json")])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "s.jsonl line 2: `text` must be a non-empty string, found 7" in result.output
    assert not (tmp_path / "t.json").exists()


def test_role_model_marks_the_statement_as_a_span_in_discovery(statements: list[dict[str, Any]], schema: Schema) -> None:
    from stance.models.tfidf import TfidfStanceClassifier
    from stance_fixture import ROWS, TARGETS

    model = TfidfStanceClassifier(calibration="none", min_df=1, char_ngrams=None).fit(
        [{"text": r[1], "target": TARGETS[r[0]]} for r in ROWS], [r[2] for r in ROWS])
    tasks = build_tasks(statements, schema, mode="discovery", predictor=model, model_version="role-v")
    spans = [r for t in tasks for r in t["predictions"][0]["result"]]
    assert spans, "the role model found no Claim or Premise in 14 argumentative statements"
    for task in tasks:
        for r in task["predictions"][0]["result"]:
            assert r["from_name"] == "span" and r["value"]["labels"][0] in ("Claim", "Premise")
            assert r["value"]["text"] == task["data"]["text"][r["value"]["start"] : r["value"]["end"]]


def test_tasks_json_records_schema_and_guidelines_versions(fixtures_dir: Path, schema: Schema, tmp_path: Path) -> None:
    from stance.lineage import read_lineage

    out = tmp_path / "tasks.json"
    result = CliRunner().invoke(app, ["tasks", str(fixtures_dir / "statements_small.jsonl"), *SCHEMA_ARGS, "-o",
                                      str(out), "--targets", "kuril_sovereignty", "--no-progress"])
    assert result.exit_code == 0, result.output
    record = read_lineage(out)
    assert record is not None and record.kind == "tasks"
    assert record.details["schema_version"] == schema.version
    assert record.details["guidelines_version"] == schema.guidelines_version
    assert record.inputs[0]["kind"] == "statements"
    assert record.inputs[0]["path"] == str((fixtures_dir / "statements_small.jsonl").resolve())


def test_tasks_module_does_not_import_models() -> None:
    import subprocess
    import sys

    code = "import sys, stance.tasks; print(any(m == 'stance.models' or m.startswith('stance.models.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
