"""Damaged exports and clobbered folders (issue 12, items 5 and 6, and the output checks).

Each case starts from a real-looking export (tests/data/export_*.json, as Label Studio writes
them) and damages it the way a hand edit, a concatenation or a half-migrated project does.
`stance dataset` and `stance agreement` share one validation pass, so each case is checked
through both commands where it matters.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stance.agreement import export_agreement
from stance.cli import app
from stance.dataset import build_dataset, load_dataset_dir, save_dataset
from stance.errors import StanceError
from stance.export import read_export
from stance.schema import load_schema

DATA = Path(__file__).parent / "data"
PAIR_EXPORT = DATA / "export_pair.json"
DISCOVERY_EXPORT = DATA / "export_discovery.json"
runner = CliRunner()


@pytest.fixture(scope="module")
def schema() -> Any:
    return load_schema(DATA.parent.parent / "seeds" / "schema.yaml")


def _tasks(path: Path = PAIR_EXPORT) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(tmp_path: Path, tasks: list[dict[str, Any]], name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    return path


def _cli(*args: str) -> Any:
    if args[0] in ("dataset", "agreement", "disagreements", "tasks", "push"):  # every command that reads a schema names it
        args = (*args, "--schema", DATA.parent.parent / "seeds" / "schema.yaml")
    return runner.invoke(app, [str(a) for a in args])


# ------------------------------------------------------------------------- 5. damaged exports


def test_task_exported_twice_counts_once_in_dataset_and_agreement(tmp_path: Path, schema: Any) -> None:
    tasks = _tasks()
    twice = tasks + [copy.deepcopy(tasks[3])]  # e.g. two exports pasted together
    export = read_export(_write(tmp_path, twice), schema)
    clean = read_export(PAIR_EXPORT, schema)
    assert len(export.tasks) == len(clean.tasks)
    assert any(f"appear more than once" in w and str(tasks[3]["id"]) in w for w in export.warnings)
    dd, _ = build_dataset(export, schema)
    ids = [r for split in dd.values() for r in split["id"]]
    assert len(ids) == len(set(ids))  # the old code gave two rows with the same id
    assert export_agreement(export) == export_agreement(clean)


def test_two_different_tasks_with_one_id_are_refused(tmp_path: Path, schema: Any) -> None:
    tasks = _tasks()
    other = copy.deepcopy(tasks[5])
    other["id"] = tasks[2]["id"]  # a task of another project with a colliding id
    path = _write(tmp_path, tasks + [other])
    with pytest.raises(StanceError, match=rf"two different tasks with the same id in task\(s\) {tasks[2]['id']}"):
        read_export(path, schema)
    for command in (["dataset", path, "-o", tmp_path / "d"], ["agreement", path]):
        result = _cli(*command)
        assert result.exit_code == 1 and "do not concatenate exports" in result.output + result.stderr


def test_a_task_of_another_schema_version_is_refused(tmp_path: Path, schema: Any) -> None:
    tasks = _tasks()
    for t in tasks:
        t["data"]["schema_version"] = "1"
    tasks[4]["data"]["schema_version"] = "2"
    with pytest.raises(StanceError, match=rf"made with schema version 1, but version 2 in task\(s\) {tasks[4]['id']}"):
        read_export(_write(tmp_path, tasks), schema)


def test_missing_completed_by_is_no_phantom_annotator(tmp_path: Path, schema: Any) -> None:
    tasks = _tasks()
    victim = next(t for t in tasks if len(t["annotations"]) >= 2)
    del victim["annotations"][0]["completed_by"]
    path = _write(tmp_path, tasks)
    with pytest.raises(StanceError, match=rf"without 'completed_by' .* in task\(s\) {victim['id']}") as err:
        read_export(path, schema)
    assert "stance pull" in err.value.hint
    result = _cli("agreement", path)
    assert result.exit_code == 1 and "completed_by" in result.stderr


def test_relation_to_a_missing_region_is_refused(tmp_path: Path, schema: Any) -> None:
    tasks = _tasks(DISCOVERY_EXPORT)
    ann = tasks[0]["annotations"][0]
    rel = next(r for r in ann["result"] if r.get("type") == "relation")
    rel["to_id"] = "c999z"  # its region was deleted, the relation kept
    with pytest.raises(StanceError, match=rf"relation pointing to region id 'c999z'.* in task\(s\) {tasks[0]['id']}"):
        read_export(_write(tmp_path, tasks), schema)


def test_annotations_that_are_not_objects_are_named(tmp_path: Path, schema: Any) -> None:
    """Found by trying more: a hand edit that leaves a bare value in the list, or a dict for the list."""
    tasks = _tasks()
    tasks[1]["annotations"].append(5099)
    with pytest.raises(StanceError, match=rf"an annotation that is not a JSON object in task\(s\) {tasks[1]['id']}"):
        read_export(_write(tmp_path, tasks), schema)
    tasks = _tasks()
    tasks[2]["annotations"] = tasks[2]["annotations"][0]
    with pytest.raises(StanceError, match=rf"task {tasks[2]['id']} has 'annotations' that are a dict, not a list"):
        read_export(_write(tmp_path, tasks, "dict.json"), schema)


# ------------------------------------------------------------------------- 6. folders


def test_rebuild_keeps_the_users_files(tmp_path: Path) -> None:
    out = tmp_path / "data"
    assert _cli("dataset", PAIR_EXPORT, "-o", out, "--no-progress").exit_code == 0
    (out / "notes.txt").write_text("which targets to merge", encoding="utf-8")
    (out / "analysis").mkdir()
    (out / "analysis" / "confusions.csv").write_text("a,b\n", encoding="utf-8")
    result = _cli("dataset", PAIR_EXPORT, "-o", out, "--no-progress")
    assert result.exit_code == 1
    assert "did not write (analysis/, notes.txt)" in result.stderr
    assert (out / "notes.txt").read_text(encoding="utf-8") == "which targets to merge"
    assert (out / "analysis" / "confusions.csv").is_file()
    (out / "notes.txt").unlink()
    (out / "analysis" / "confusions.csv").unlink()
    (out / "analysis").rmdir()
    assert _cli("dataset", PAIR_EXPORT, "-o", out, "--no-progress").exit_code == 0
    lineage = json.loads((out / "lineage.json").read_text(encoding="utf-8"))
    assert lineage["kind"] == "dataset" and lineage["inputs"][0]["kind"] == "export"
    assert lineage["details"]["export_fingerprint"].startswith("sha256:")


def test_export_inside_the_output_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "data"
    assert _cli("dataset", PAIR_EXPORT, "-o", out, "--no-progress").exit_code == 0
    inside = out / "export.json"  # kept beside the dataset it made
    inside.write_bytes(PAIR_EXPORT.read_bytes())
    result = _cli("dataset", inside, "-o", out, "--no-progress")
    assert result.exit_code == 1 and "lies inside the output folder" in result.stderr
    assert inside.read_bytes() == PAIR_EXPORT.read_bytes()


def test_split_saved_with_zero_shards_is_named(tmp_path: Path) -> None:
    import datasets

    out = tmp_path / "zero"
    dd = datasets.DatasetDict({"train": datasets.Dataset.from_dict({"text": ["Tokyo rejects the claim."]}),
                               "ties": datasets.Dataset.from_dict({"text": []})})
    dd.save_to_disk(str(out))  # datasets writes no shard for the empty split
    with pytest.raises(StanceError, match=r"split\(s\) ties were saved with zero shards") as err:
        load_dataset_dir(out)
    assert "num_shards" in err.value.hint
    result = _cli("train", out, "-o", tmp_path / "m", "--model", "tfidf")
    assert result.exit_code == 1 and "zero shards" in result.stderr and "list index" not in result.stderr


# ------------------------------------------------------------------------- outputs that are inputs


def test_disagreements_never_overwrite_the_export(tmp_path: Path) -> None:
    path = _write(tmp_path, _tasks())
    before = path.read_bytes()
    result = _cli("disagreements", path, "-o", path)
    assert result.exit_code == 1 and "would destroy the input" in result.stderr
    assert path.read_bytes() == before


def test_agreement_writes_json_but_never_over_its_input(tmp_path: Path) -> None:
    path = _write(tmp_path, _tasks())
    before = path.read_bytes()
    result = _cli("agreement", path, "-o", path)
    assert result.exit_code == 1 and "would destroy the input" in result.stderr
    assert path.read_bytes() == before
    report = tmp_path / "agreement.json"
    assert _cli("agreement", path, "-o", report).exit_code == 0
    assert json.loads(report.read_text(encoding="utf-8"))["mode"] == "pair"


def test_the_export_is_not_its_own_adjudication(tmp_path: Path) -> None:
    """Found by trying more: --adjudicated naming the export made every answer ground truth."""
    result = _cli("dataset", PAIR_EXPORT, "-o", tmp_path / "d", "--adjudicated", PAIR_EXPORT, "--no-progress")
    assert result.exit_code == 1 and "is the export itself" in result.stderr
    assert not (tmp_path / "d").exists()


def test_save_dataset_over_an_unrelated_folder_is_refused(tmp_path: Path, schema: Any) -> None:
    dd, meta = build_dataset(read_export(PAIR_EXPORT, schema), schema)
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.md").write_text("# Stance", encoding="utf-8")
    with pytest.raises(StanceError, match="not a dataset written by `stance dataset`"):
        save_dataset(dd, meta, mine)
    assert (mine / "chapter1.md").is_file()


def test_tasks_file_records_its_lineage_and_never_overwrites_its_statements(tmp_path: Path) -> None:
    statements = tmp_path / "statements.jsonl"
    statements.write_bytes((DATA / "statements_small.jsonl").read_bytes())
    out = tmp_path / "tasks.json"
    result = _cli("tasks", statements, "-o", out, "--no-progress")
    assert result.exit_code == 0, result.output
    lineage = json.loads((tmp_path / "tasks.json.lineage.json").read_text(encoding="utf-8"))
    assert lineage["kind"] == "tasks" and lineage["details"]["schema_version"] == "1"
    assert lineage["details"]["guidelines_version"] and lineage["inputs"][0]["kind"] == "statements"
    assert (tmp_path / "tasks.label_config.xml").is_file()
    before = statements.read_bytes()
    assert _cli("tasks", statements, "-o", statements, "--no-progress").exit_code == 1
    assert statements.read_bytes() == before

