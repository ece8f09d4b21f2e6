"""Parsing and validating Label Studio exports (stance.export)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import stance.export.stream as labels_module
from stance.errors import StanceError
from stance.export import (
    CANCELLED,
    DISCOVERY,
    OK,
    PAIR,
    SKIPPED,
    answers_by_target,
    iter_export_tasks,
    read_documents,
    read_export,
)
from stance.schema import load_schema

DATA = Path(__file__).parent / "data"
SEEDS = Path(__file__).parent.parent / "seeds"


@pytest.fixture(scope="module")
def schema() -> Any:
    return load_schema(SEEDS / "schema.yaml")


def _pair() -> list[dict[str, Any]]:
    return json.loads((DATA / "export_pair.json").read_text(encoding="utf-8"))


def _discovery() -> list[dict[str, Any]]:
    return json.loads((DATA / "export_discovery.json").read_text(encoding="utf-8"))


def _write(tmp_path: Path, obj: Any, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return path


def _task(tasks: list[dict[str, Any]], task_id: int) -> dict[str, Any]:
    return next(t for t in tasks if t["id"] == task_id)


# --------------------------------------------------------------------------- the happy path


def test_pair_export_is_parsed(schema: Any) -> None:
    export = read_export(DATA / "export_pair.json", schema)
    assert export.mode == PAIR
    assert [t.task_id for t in export.tasks] == [101, 102, 103, 104, 105, 106, 107, 109, 110, 111, 112]
    assert export.unannotated_ids == [108]
    assert export.projects == [7]
    assert export.schema_version == "1"
    c = export.counts
    assert (c["tasks"], c["unannotated"], c["annotations"]) == (12, 1, 28)
    assert (c["skipped"], c["cancelled"], c["superseded"]) == (2, 1, 1)
    assert any("108" in w for w in export.warnings)


def test_statuses_ground_truth_and_edits(schema: Any) -> None:
    tasks = {t.task_id: t for t in read_export(DATA / "export_pair.json", schema).tasks}
    assert {a.status for a in tasks[104].annotations} == {OK, SKIPPED}
    assert {a.status for a in tasks[107].annotations} == {OK, CANCELLED}
    assert [a.ground_truth for a in tasks[105].annotations] == [False, False, False, True]
    # 106: ben answered twice; the later, edited answer replaces the first
    bens = [a for a in tasks[106].annotations if a.annotator == "ben.t@example.org"]
    assert len(bens) == 1 and bens[0].stance == "Favor" and bens[0].updated_at.startswith("2026-11-12")
    assert tasks[101].annotations[0].lead_time == pytest.approx(21.7)


def test_completed_by_as_id_or_object_is_one_annotator(schema: Any) -> None:
    # ben appears as {"id": 2, "email": ...} in task 101 and as plain 2 elsewhere
    tasks = {t.task_id: t for t in read_export(DATA / "export_pair.json", schema).tasks}
    assert {a.annotator for a in tasks[102].annotations} == {"user1", "ben.t@example.org", "user3"}


def test_email_learned_later_renames_earlier_ids(schema: Any, tmp_path: Path) -> None:
    tasks = _pair()
    for t in tasks:
        for a in t["annotations"]:
            if isinstance(a["completed_by"], dict):
                a["completed_by"] = a["completed_by"]["id"]
    last = _task(tasks, 112)["annotations"][0]
    last["completed_by"] = {"id": 1, "email": "anna.k@example.org", "first_name": "Anna", "last_name": "K"}
    export = read_export(_write(tmp_path, tasks), schema)
    names = {a.annotator for t in export.tasks for a in t.annotations}
    assert "anna.k@example.org" in names and "user1" not in names


def test_discovery_export_spans_relations_and_targets(schema: Any) -> None:
    export = read_export(DATA / "export_discovery.json", schema)
    assert export.mode == DISCOVERY
    task = export.tasks[0]
    anna = task.annotations[0]
    assert anna.targets == ("kuril_sovereignty",)
    assert dict(anna.stances) == {"kuril_sovereignty": "Favor"}
    claim = anna.spans[0]
    assert claim.label == "Claim" and task.data["text"][claim.start : claim.end] == claim.text
    source = (SEEDS / f"{task.data['doc_id']}.txt").read_text(encoding="utf-8")
    assert source[claim.doc_start : claim.doc_end] == claim.text
    assert [(r.from_span, r.to_span, r.type) for r in anna.relations] == [("p201a", "c201a", "supports")]


def test_discovery_answers_per_target(schema: Any) -> None:
    export = read_export(DATA / "export_discovery.json", schema)
    answers = answers_by_target(export.tasks[0], DISCOVERY)
    assert list(answers) == ["kuril_sovereignty", "treaty_1956_basis"]
    # anna did not tick treaty_1956_basis: her answer for it is stance None; roles come from spans
    assert [(r, s) for _, r, s in answers["treaty_1956_basis"]] == [("Claim", "None"), ("Claim", "None")]


def test_streaming_matches_json_load_across_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(labels_module, "_CHUNK", 37)
    assert list(iter_export_tasks(DATA / "export_pair.json")) == _pair()


def test_documents_from_folder_and_jsonl(tmp_path: Path) -> None:
    docs = read_documents(SEEDS)
    assert "000_195aff00a3928bad" in docs
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps({"doc_id": "d1", "text": "Hello."}) + "\n", encoding="utf-8")
    assert read_documents(path) == {"d1": "Hello."}


def test_segment_side_file_gives_the_same_texts(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from stance.cli import app

    side = tmp_path / "documents.jsonl"
    result = CliRunner().invoke(app, ["segment", str(SEEDS), "-o", str(tmp_path / "s.jsonl"), "--documents", str(side)])
    assert result.exit_code == 0, result.output
    assert read_documents(side) == read_documents(SEEDS)


def test_offsets_checked_against_documents(schema: Any) -> None:
    export = read_export(DATA / "export_pair.json", schema, documents=read_documents(SEEDS))
    assert export.counts["offsets_checked"] == 12


# --------------------------------------------------------------------------- bad input


def test_not_json(tmp_path: Path, schema: Any) -> None:
    path = tmp_path / "export.json"
    path.write_text('[{"id": 1, "data": {"text": "a"}, "annotations": []}, {"id": 2,', encoding="utf-8")
    with pytest.raises(StanceError, match=r"not valid JSON in task 2.*hint: download the export again"):
        read_export(path, schema)


def test_csv_is_not_an_export(tmp_path: Path, schema: Any) -> None:
    path = tmp_path / "export.csv"
    path.write_text("id,text,stance\n1,hello,Favor\n", encoding="utf-8")
    with pytest.raises(StanceError, match=r"not a Label Studio export: a CSV.*expected a Label Studio JSON export"):
        read_export(path, schema)


def test_single_object_is_not_an_export(tmp_path: Path, schema: Any) -> None:
    with pytest.raises(StanceError, match="one JSON object, not a list of tasks"):
        read_export(_write(tmp_path, {"id": 7, "title": "stance pair"}), schema)


def test_json_min_is_not_an_export(tmp_path: Path, schema: Any) -> None:
    flat = [{"id": 101, "text": "x", "target": "kuril_sovereignty", "role": "Claim", "stance": "Favor", "annotator": 1}]
    with pytest.raises(StanceError, match=r"item 1 is an object with keys .* not a task with 'data'.*JSON-MIN"):
        read_export(_write(tmp_path, flat), schema)


def test_import_file_is_not_an_export(tmp_path: Path, schema: Any) -> None:
    tasks = [{"data": t["data"]} for t in _pair()]
    with pytest.raises(StanceError, match="task file for import, not an export"):
        read_export(_write(tmp_path, tasks), schema)


def test_control_not_in_schema(tmp_path: Path, schema: Any) -> None:
    tasks = _pair()
    for tid in (102, 110):
        _task(tasks, tid)["annotations"][0]["result"].append(
            {"value": {"choices": ["negative"]}, "id": "s1", "from_name": "sentiment", "to_name": "text", "type": "choices"}
        )
    with pytest.raises(StanceError, match=r"control 'sentiment'.* in task\(s\) 102, 110.*hint: .*--schema"):
        read_export(_write(tmp_path, tasks), schema)


def test_label_outside_schema(tmp_path: Path, schema: Any) -> None:
    tasks = _pair()
    _task(tasks, 109)["annotations"][1]["result"][1]["value"]["choices"] = ["Neutral"]
    with pytest.raises(StanceError, match=r"stance value 'Neutral' .* in task\(s\) 109"):
        read_export(_write(tmp_path, tasks), schema)


def test_two_values_in_a_single_choice(tmp_path: Path, schema: Any) -> None:
    tasks = _pair()
    _task(tasks, 101)["annotations"][0]["result"][0]["value"]["choices"] = ["Claim", "Premise"]
    with pytest.raises(StanceError, match=r"control 'role' with 2 values in task\(s\) 101"):
        read_export(_write(tmp_path, tasks), schema)


def test_unknown_target_in_discovery(tmp_path: Path, schema: Any) -> None:
    tasks = _discovery()
    tasks[0]["annotations"][0]["result"][0]["value"]["choices"] = ["whaling"]
    with pytest.raises(StanceError, match=r"target 'whaling' .* in task\(s\) 201"):
        read_export(_write(tmp_path, tasks), schema)


def test_statement_no_longer_matches_source(tmp_path: Path, schema: Any) -> None:
    tasks = _pair()
    for tid in (109, 110):
        data = _task(tasks, tid)["data"]
        data["start"] += 3
        data["end"] += 3
    with pytest.raises(StanceError, match=r"not the source text at its offsets .* in task\(s\) 109, 110.*re-run `stance segment`"):
        read_export(_write(tmp_path, tasks), schema, documents=read_documents(SEEDS))


def test_statement_length_does_not_fit_offsets(tmp_path: Path, schema: Any) -> None:
    tasks = _pair()
    _task(tasks, 101)["data"]["text"] += " (edited)"
    with pytest.raises(StanceError, match=r"statement text of \d+ characters at offsets .* in task\(s\) 101"):
        read_export(_write(tmp_path, tasks), schema)


def test_span_offsets_that_do_not_match_their_text(tmp_path: Path, schema: Any) -> None:
    tasks = _discovery()
    value = tasks[2]["annotations"][1]["result"][3]["value"]  # chen's "Japan votes against us"
    value["start"] -= 2
    value["end"] -= 2
    path = _write(tmp_path, tasks)
    with pytest.raises(StanceError, match=r"span offsets that do not match the span text in task\(s\) 203.*--repair-spans"):
        read_export(path, schema)
    export = read_export(path, schema, repair_spans=True)
    assert export.counts["spans_repaired"] == 1
    span = export.tasks[2].annotations[1].spans[1]
    assert export.tasks[2].data["text"][span.start : span.end] == "Japan votes against us"


def test_schema_version_mismatch(tmp_path: Path, schema: Any) -> None:
    tasks = _pair()
    for t in tasks:
        t["data"]["schema_version"] = "2"
    with pytest.raises(StanceError, match=r"schema version 2, but the schema given is version 1"):
        read_export(_write(tmp_path, tasks), schema)


def test_mixed_modes(tmp_path: Path, schema: Any) -> None:
    tasks = _pair() + copy.deepcopy(_discovery()[:1])
    with pytest.raises(StanceError, match=r"discovery-mode tasks in a pair-mode export .* in task\(s\) 201"):
        read_export(_write(tmp_path, tasks), schema)


def test_no_annotated_task(tmp_path: Path, schema: Any) -> None:
    tasks = _pair()
    for t in tasks:
        t["annotations"] = []
    with pytest.raises(StanceError, match="none of its 12 task"):
        read_export(_write(tmp_path, tasks), schema)


def test_missing_file(tmp_path: Path, schema: Any) -> None:
    with pytest.raises(StanceError, match="does not exist"):
        read_export(tmp_path / "nope.json", schema)
