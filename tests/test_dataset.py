"""Aggregation, splits, writing and the dataset CLI (stance.dataset, stance.cli.dataset)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.dataset import (
    FORMAT,
    DatasetOptions,
    aggregate,
    assign_splits,
    build_dataset,
    save_dataset,
    vote,
)
from stance.adjudication import disagreement_tasks, merge_adjudication, review_config
from stance.errors import StanceError
from stance.export import read_export
from stance.schema import load_schema

DATA = Path(__file__).parent / "data"
PAIR_EXPORT = DATA / "export_pair.json"
DISCOVERY_EXPORT = DATA / "export_discovery.json"
SCHEMA_ARGS = ["--schema", str(DATA.parent.parent / "seeds" / "schema.yaml")]
ROLES = ["None", "Claim", "Premise"]
STANCES = ["None", "Favor", "Against"]
TARGETS = ["kuril_sovereignty", "treaty_1956_basis", "us_japan_alliance"]


@pytest.fixture(scope="module")
def schema() -> Any:
    return load_schema(DATA.parent.parent / "seeds" / "schema.yaml")


def _ann(aid: int, user: int, role: str, stance: str, **extra: Any) -> dict[str, Any]:
    result = [
        {"value": {"choices": [role]}, "id": f"r{aid}", "from_name": "role", "to_name": "text", "type": "choices"},
        {"value": {"choices": [stance]}, "id": f"s{aid}", "from_name": "stance", "to_name": "text", "type": "choices"},
    ]
    return {"id": aid, "completed_by": user, "result": result, "was_cancelled": False, "ground_truth": False,
            "created_at": "2026-11-10T09:00:00Z", "updated_at": "2026-11-10T09:00:00Z", "lead_time": 10.0, **extra}


def synthetic_export(path: Path, *, n_docs: int = 40, per_doc: int = 6, seed: int = 0) -> Path:
    """A pair-mode export in Label Studio's format: two annotators per task, some disagreement."""
    rng = random.Random(seed)
    tasks, aid = [], 0
    for d in range(n_docs):
        for i in range(per_doc):
            tid = 1000 + d * per_doc + i
            target = TARGETS[i % len(TARGETS)]
            sid = f"doc{d:03d}:{i:010d}"
            stance = rng.choice(["Favor", "Against", "None", "None"])
            role = "None" if stance == "None" else rng.choice(["Claim", "Premise"])
            second = stance if rng.random() < 0.85 else rng.choice(STANCES)
            aid += 2
            tasks.append({
                "id": tid, "project": 3, "predictions": [], "drafts": [],
                "data": {"text": f"Statement {i} of document {d}.", "target": target, "target_name": target,
                         "statement_id": sid, "doc_id": f"doc{d:03d}", "holder": "Lavrov", "holder_type": "quoted",
                         "genre": "news_report" if d % 2 else "interview", "schema_version": "1",
                         "task_key": f"{sid}|{target}"},
                "annotations": [_ann(aid - 1, 1, role, stance), _ann(aid, 2, role, second)],
            })
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path


def _rows_by_task(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {r["task_id"]: r for r in rows}


# --------------------------------------------------------------------------- aggregation


def test_vote() -> None:
    assert vote(["Favor", "Favor", "Against"]) == ("Favor", False)
    assert vote(["Favor", "Against"]) == (None, True)
    assert vote(["Favor", None]) == ("Favor", False)
    assert vote([None, None]) == (None, False)
    assert vote(["A", "A", "B", "B", "C"]) == (None, True)


def test_aggregate_pair_fixture(schema: Any) -> None:
    rows, counts = aggregate(read_export(PAIR_EXPORT, schema), schema)
    by = _rows_by_task(rows)
    assert sorted(by) == [101, 102, 103, 104, 105, 106, 107, 109, 110, 111]  # 108 unannotated, 112 only a skip
    assert counts["no_valid_annotation"] == 1
    # 102: roles Claim, Premise, Claim; stances Against, Against, None -> majority
    assert (ROLES[by[102]["role"]], STANCES[by[102]["stance"]], by[102]["tie"]) == ("Claim", "Against", False)
    # 103: Favor vs None -> a tie, left unlabelled; the role agrees
    assert by[103]["tie"] and by[103]["stance"] == -1 and ROLES[by[103]["role"]] == "Claim"
    # 104: chen skipped; two votes
    assert by[104]["n_annotators"] == 2
    # 105: the lead's ground truth (Claim) overrides the Premise majority
    assert ROLES[by[105]["role"]] == "Claim" and by[105]["ground_truth"]
    # 106: ben's edited answer counts, his first one does not
    assert STANCES[by[106]["stance"]] == "Favor" and by[106]["n_annotators"] == 2
    # 107: anna cancelled after labelling; her answer does not vote
    assert by[107]["n_annotators"] == 2
    assert {a["annotator"] for a in by[107]["annotations"]} == {"ben.t@example.org", "user3"}
    assert by[101]["id"] == f"{by[101]['statement_id']}|kuril_sovereignty"
    assert by[101]["target_text"] == "Russian sovereignty over the southern Kuril Islands"
    assert by[101]["annotations"][0] == {"annotator": "user1", "role": "Claim", "stance": "Against",
                                         "lead_time": 21.7, "updated_at": by[101]["annotations"][0]["updated_at"]}


def test_aggregate_discovery_fixture(schema: Any) -> None:
    rows, _ = aggregate(read_export(DISCOVERY_EXPORT, schema), schema)
    assert [r["id"].split("|")[1] for r in rows if r["task_id"] == 201] == ["kuril_sovereignty", "treaty_1956_basis"]
    by = {r["id"]: r for r in rows}
    tie = next(r for r in rows if r["task_id"] == 202)
    assert tie["tie"] and tie["stance"] == -1  # Favor vs Against, chen skipped
    kuril = next(r for r in rows if r["task_id"] == 201 and r["target"] == "kuril_sovereignty")
    assert STANCES[kuril["stance"]] == "Favor" and ROLES[kuril["role"]] == "Claim"
    span = kuril["spans"][0]
    assert kuril["text"][span["start"] : span["end"]] == span["text"]
    assert span["doc_start"] - span["start"] == 1725  # the statement's offset in its document
    assert {(r["from_span"], r["to_span"], r["type"]) for r in kuril["relations"]} == {
        ("p201a", "c201a", "supports"), ("p201b", "c201b", "supports")}
    assert len(by) == 4


def test_everything_skipped_is_an_error(tmp_path: Path, schema: Any) -> None:
    tasks = json.loads(PAIR_EXPORT.read_text(encoding="utf-8"))
    for t in tasks:
        for a in t["annotations"]:
            a["was_cancelled"] = True
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    with pytest.raises(StanceError, match=r"no labelled item remains .*2 skipped, 26 cancelled"):
        build_dataset(read_export(path, schema), schema)


def test_bad_split_value_names_tasks(tmp_path: Path, schema: Any) -> None:
    tasks = json.loads(PAIR_EXPORT.read_text(encoding="utf-8"))
    tasks[1]["data"]["split"] = "holdout"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    with pytest.raises(StanceError, match=r"task\(s\) 102 have a 'split' that is not train, validation or test"):
        aggregate(read_export(path, schema), schema)


def test_minimal_pair_export_from_another_tool(tmp_path: Path, schema: Any) -> None:
    """Only text, target and split in the task data; a target outside the schema; no user ids."""
    tasks = []
    for i, (text, split) in enumerate([("Tax cuts help growth.", "train"), ("Tax cuts only help the rich.", "test"),
                                       ("Schools need more money.", None)]):
        data = {"text": text, "target": "tax_cuts"}
        if split:
            data["split"] = split
        anns = [_ann(10 * i + k, k, "Claim", "Against" if (i, k) == (1, 1) else "Favor") for k in (1, 2)]
        for a in anns:
            a.pop("completed_by")  # no user ids at all: two unknown annotators must stay two
        tasks.append({"id": i + 1, "data": data, "annotations": anns})
    path = tmp_path / "other.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    export = read_export(path, schema)
    assert export.counts["targets_outside_schema"] == 3
    assert any("not in the schema" in w for w in export.warnings)
    dd, meta = build_dataset(export, schema, options=DatasetOptions(ties="keep"))
    rows = {r["text"]: r for s in dd.values() for r in s}
    assert rows["Tax cuts help growth."]["target_text"] == "tax_cuts"
    assert rows["Tax cuts help growth."]["statement_id"].startswith("text:")
    assert rows["Tax cuts only help the rich."]["tie"] and rows["Tax cuts only help the rich."]["n_annotators"] == 2
    assert {r["text"] for r in dd["test"]} == {"Tax cuts only help the rich."}
    assert {r["text"] for r in dd["train"]} >= {"Tax cuts help growth."}


# --------------------------------------------------------------------------- splits


def _split_of(splits: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    return {r["id"]: name for name, rows in splits.items() for r in rows}


def test_group_split_keeps_documents_whole_and_is_deterministic(tmp_path: Path, schema: Any) -> None:
    export = read_export(synthetic_export(tmp_path / "e.json"), schema)
    rows, _ = aggregate(export, schema)
    options = DatasetOptions(seed=7, test_size=0.2, val_size=0.1)
    splits = assign_splits(rows, options)
    docs = {name: {r["doc_id"] for r in part} for name, part in splits.items() if name != "ties"}
    assert not docs["train"] & docs["test"] and not docs["train"] & docs["validation"] and not docs["validation"] & docs["test"]
    n = sum(len(splits[s]) for s in ("train", "validation", "test"))
    assert 0.1 * n <= len(splits["test"]) <= 0.3 * n
    assert len(splits["validation"]) > 0
    assert all(r["tie"] for r in splits["ties"]) and not any(r["tie"] for s in ("train", "test") for r in splits[s])
    # stratified as far as grouping allows: every stance label of train also occurs in test
    assert {r["stance"] for r in splits["train"]} == {r["stance"] for r in splits["test"]}
    again = assign_splits(list(reversed(aggregate(export, schema)[0])), options)
    assert _split_of(again) == _split_of(splits)
    other = assign_splits(rows, DatasetOptions(seed=8, test_size=0.2, val_size=0.1))
    assert _split_of(other) != _split_of(splits)


def test_split_field_is_honoured(tmp_path: Path, schema: Any) -> None:
    path = synthetic_export(tmp_path / "e.json", n_docs=10, per_doc=3)
    tasks = json.loads(path.read_text())
    for t in tasks:
        if t["data"]["doc_id"] == "doc004":
            t["data"]["split"] = "test"
        if t["data"]["doc_id"] == "doc005" and t["id"] % 3 == 0:
            t["data"]["split"] = "validation"  # one task of doc005; its siblings follow it
    path.write_text(json.dumps(tasks))
    rows, _ = aggregate(read_export(path, schema), schema)
    where = _split_of(assign_splits(rows, DatasetOptions(ties="keep")))
    assert {where[r["id"]] for r in rows if r["doc_id"] == "doc004"} == {"test"}
    assert {where[r["id"]] for r in rows if r["doc_id"] == "doc005"} == {"validation"}


def test_ties_keep(schema: Any) -> None:
    dd, meta = build_dataset(read_export(PAIR_EXPORT, schema), schema, options=DatasetOptions(ties="keep"))
    assert "ties" not in dd
    tied = [r for s in dd.values() for r in s if r["tie"]]
    assert len(tied) == 1 and tied[0]["stance"] == -1
    assert meta["counts"]["tied_rows"] == 1


def test_options_are_checked() -> None:
    with pytest.raises(StanceError, match="ties='drop'"):
        DatasetOptions(ties="drop")
    with pytest.raises(StanceError, match="leaves nothing to train on"):
        DatasetOptions(test_size=0.5, val_size=0.5)


# --------------------------------------------------------------------------- writing


def test_save_and_load_from_disk(tmp_path: Path, schema: Any) -> None:
    from datasets import ClassLabel, load_from_disk

    dd, meta = build_dataset(read_export(PAIR_EXPORT, schema), schema, options=DatasetOptions(seed=3),
                             project_title="Kuril pairs")
    out = save_dataset(dd, meta, tmp_path / "data")
    loaded = load_from_disk(str(out))
    assert set(loaded) == {"train", "validation", "test", "ties"}
    features = loaded["train"].features
    assert isinstance(features["role"], ClassLabel) and features["role"].names == ROLES
    assert features["stance"].names == STANCES
    assert list(features) == ["id", "task_id", "statement_id", "doc_id", "text", "target", "target_text", "holder",
                              "holder_type", "genre", "role", "stance", "annotations", "n_annotators", "tie",
                              "ground_truth"]
    assert sum(len(s) for s in loaded.values()) == 10
    assert loaded["ties"][0]["task_id"] == 103
    for name in loaded:
        assert (out / "parquet" / f"{name}.parquet").is_file()
    saved = json.loads((out / "stance_dataset.json").read_text())
    assert saved["format"] == FORMAT and saved["schema_version"] == "1" and saved["guidelines_version"] == "1"
    assert saved["counts"]["skipped"] == 2 and saved["counts"]["unannotated"] == 1
    card = (out / "README.md").read_text()
    for needle in ("schema version | 1", "guidelines version | 1", 'project "Kuril pairs" (id(s): 7)', "skipped: 2",
                   "cancelled after labelling: 1", "tied", "without any annotation (left out): 1",
                   "Krippendorff", "| stance | all | 9 |", "kuril_sovereignty", "press_conference"):
        assert needle in card, needle
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # no temporary folder left behind


def test_parquet_rows_match(tmp_path: Path, schema: Any) -> None:
    import pyarrow.parquet as pq

    dd, meta = build_dataset(read_export(PAIR_EXPORT, schema), schema)
    out = save_dataset(dd, meta, tmp_path / "data")
    table = pq.read_table(out / "parquet" / "train.parquet")
    assert table.num_rows == len(dd["train"]) and table.column_names == list(dd["train"].features)


def test_discovery_dataset_round_trip(tmp_path: Path, schema: Any) -> None:
    from datasets import load_from_disk

    dd, meta = build_dataset(read_export(DISCOVERY_EXPORT, schema), schema)
    loaded = load_from_disk(str(save_dataset(dd, meta, tmp_path / "d")))
    rows = [r for s in loaded.values() for r in s]
    assert len(rows) == 4 and all("spans" in r and "relations" in r for r in rows)
    assert meta["agreement"]["spans"]["exact_f1"] == pytest.approx(6 / 9)
    assert "Span F1" in (tmp_path / "d" / "README.md").read_text()


def test_existing_folder_rules(tmp_path: Path, schema: Any) -> None:
    dd, meta = build_dataset(read_export(PAIR_EXPORT, schema), schema)
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me")
    with pytest.raises(StanceError, match="is not a dataset written by `stance dataset`"):
        save_dataset(dd, meta, other)
    assert (other / "mine.txt").read_text() == "keep me"
    out = save_dataset(dd, meta, tmp_path / "data")
    (out / "README.md").write_text("an older card")
    save_dataset(dd, meta, out)  # a rerun replaces what the previous run wrote
    assert (out / "README.md").read_text() != "an older card" and (out / "stance_dataset.json").is_file()
    # Issue 12 #6 (a behaviour change): a file the command did not write is never deleted; the rebuild is refused.
    (out / "stale.txt").write_text("from an older run")
    with pytest.raises(StanceError, match=r"holds 1 file\(s\) that `stance dataset` did not write \(stale.txt\)"):
        save_dataset(dd, meta, out)
    assert (out / "stale.txt").read_text() == "from an older run"


def test_failed_write_leaves_nothing(tmp_path: Path, schema: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import stance.dataset.store as ds

    dd, meta = build_dataset(read_export(PAIR_EXPORT, schema), schema)

    def broken(_: Any) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ds, "dataset_card", broken)
    with pytest.raises(OSError):
        save_dataset(dd, meta, tmp_path / "data")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- adjudication


def test_disagreement_tasks(schema: Any) -> None:
    export = read_export(PAIR_EXPORT, schema, full_data=True)
    tasks = disagreement_tasks(export)
    # 102 and 110 disagree on role, 103 on stance; 105 is decided by ground truth; 106 agrees after the edit
    assert [t["data"]["review_of_task"] for t in tasks] == [102, 103, 110]
    data = tasks[1]["data"]
    assert data["review_answers"].splitlines() == ["user1: role Claim, stance Favor",
                                                   "ben.t@example.org: role Claim, stance None"]
    assert data["task_key"].endswith("|treaty_1956_basis") and "prev_text" in data
    assert data["review_conflicts"] == "stance" and tasks[0]["data"]["review_conflicts"] == "role, stance"


def test_disagreement_tasks_discovery(schema: Any) -> None:
    tasks = disagreement_tasks(read_export(DISCOVERY_EXPORT, schema, full_data=True))
    # 201: the premise spans differ; 202: Favor vs Against; 203: chen marked one more premise
    by = {t["data"]["review_of_task"]: t["data"] for t in tasks}
    assert by[201]["review_conflicts"] == "spans"
    assert by[202]["review_conflicts"] == "stance treaty_1956_basis"
    assert by[203]["review_conflicts"] == "spans"
    assert by[202]["review_answers"].splitlines()[0].startswith("user1: treaty_1956_basis Favor | spans: Claim")


def test_review_config_is_xml_with_answers(schema: Any) -> None:
    for mode in ("pair", "discovery"):
        xml = review_config(schema, mode)
        root = ET.fromstring(xml)
        assert any(el.get("value") == "$review_answers" for el in root.iter("Text"))


def test_adjudication_overrides_tie(tmp_path: Path, schema: Any) -> None:
    export = read_export(PAIR_EXPORT, schema, full_data=True)
    review = [{"id": 900 + i, "project": 9, "data": t["data"], "predictions": [], "drafts": [],
               "annotations": [_ann(9000 + i, 4, "Claim", "Favor")]} for i, t in enumerate(disagreement_tasks(export))]
    path = tmp_path / "review_export.json"
    path.write_text(json.dumps(review), encoding="utf-8")
    merged = merge_adjudication(export, read_export(path, schema))
    assert merged.counts["adjudicated"] == 3
    dd, meta = build_dataset(merged, schema)
    assert len(dd["ties"]) == 0
    rows = {r["task_id"]: r for s in dd.values() for r in s}
    assert rows[103]["ground_truth"] and STANCES[rows[103]["stance"]] == "Favor"


# --------------------------------------------------------------------------- CLI

runner = CliRunner()


def test_cli_dataset(tmp_path: Path) -> None:
    out = tmp_path / "data"
    result = runner.invoke(app, ["dataset", str(PAIR_EXPORT), *SCHEMA_ARGS, "-o", str(out), "--seed", "5", "--no-progress",
                                 "--documents", str(Path(__file__).parent.parent / "seeds")])
    assert result.exit_code == 0, result.output
    assert "10 rows" in result.output and "1 tied" in result.output
    assert (out / "dataset_dict.json").is_file()
    # A plain Python session, without stance imported, loads it back.
    code = ("import sys; from datasets import load_from_disk; dd = load_from_disk(sys.argv[1]); "
            "print(dd['train'].features['stance'].names, sum(len(s) for s in dd.values()))")
    proc = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "['None', 'Favor', 'Against'] 10"


def test_cli_dataset_bad_input_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "export.json"
    bad.write_text('{"tasks": []}', encoding="utf-8")
    result = runner.invoke(app, ["dataset", str(bad), *SCHEMA_ARGS, "-o", str(tmp_path / "data"), "--no-progress"])
    assert result.exit_code == 1
    assert "not a Label Studio export" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.json"]


def test_cli_agreement_table_and_json() -> None:
    result = runner.invoke(app, ["agreement", str(PAIR_EXPORT), *SCHEMA_ARGS])
    assert result.exit_code == 0, result.output
    assert "cohen_k" in result.output and "kuril_sovereignty" in result.output
    result = runner.invoke(app, ["agreement", str(DISCOVERY_EXPORT), *SCHEMA_ARGS, "--json"])
    report = json.loads(result.stdout)
    assert report["mode"] == "discovery" and report["spans"]["n_items"] == 3


def test_cli_disagreements(tmp_path: Path) -> None:
    out = tmp_path / "review.json"
    result = runner.invoke(app, ["disagreements", str(PAIR_EXPORT), *SCHEMA_ARGS, "-o", str(out)])
    assert result.exit_code == 0, result.output
    tasks = json.loads(out.read_text())
    assert len(tasks) == 3 and all("review_answers" in t["data"] for t in tasks)
    assert "$review_answers" in (tmp_path / "review.label_config.xml").read_text()


def test_cli_disagreements_push_needs_project(tmp_path: Path) -> None:
    result = runner.invoke(app, ["disagreements", str(PAIR_EXPORT), *SCHEMA_ARGS, "-o", str(tmp_path / "r.json"), "--push"])
    assert result.exit_code == 1 and "--push needs --project" in result.output


# --------------------------------------------------------------------------- a real Label Studio


@pytest.mark.studio
def test_adjudication_round_trip_through_label_studio(
    studio: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, schema: Any
) -> None:
    """disagreements --push → an adjudicator answers in Label Studio → pull → dataset --adjudicated."""
    import uuid

    from stance.studio import connect, find_project, pull

    monkeypatch.setenv("LABEL_STUDIO_URL", studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", studio.api_key)
    title = f"review {uuid.uuid4().hex[:8]}"
    review = tmp_path / "review.json"
    result = runner.invoke(app, ["disagreements", str(PAIR_EXPORT), *SCHEMA_ARGS, "-o", str(review), "--push", "--project", title])
    assert result.exit_code == 0, result.output
    assert "3 added" in result.output and studio.api_key not in result.output
    rerun = runner.invoke(app, ["disagreements", str(PAIR_EXPORT), *SCHEMA_ARGS, "-o", str(review), "--push", "--project", title])
    assert "0 added, 3 already there" in rerun.output  # idempotent by task_key

    client = connect(studio.url, studio.api_key)
    project = find_project(client, title)
    assert "$review_answers" in client.ls.projects.get(id=project.id).label_config
    tasks = list(client.ls.tasks.list(project=project.id, fields="task_only", include="id,data", page_size=100))
    assert sorted(t.data["review_of_task"] for t in tasks) == [102, 103, 110]
    assert all(t.data["review_answers"].count("\n") >= 1 for t in tasks)
    for t in tasks:
        result_ = [
            {"from_name": "role", "to_name": "text", "type": "choices", "value": {"choices": ["Claim"]}},
            {"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["Favor"]}},
        ]
        client.ls.annotations.create(id=t.id, result=result_, lead_time=20.0)
    pulled = tmp_path / "review_export.json"
    pull(client, title, pulled)

    out = tmp_path / "data"
    result = runner.invoke(app, ["dataset", str(PAIR_EXPORT), *SCHEMA_ARGS, "--adjudicated", str(pulled), "-o", str(out),
                                 "--no-progress"])
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "stance_dataset.json").read_text())
    assert meta["counts"]["adjudicated"] == 3 and meta["counts"]["tied_rows"] == 0
    assert meta["counts"]["ground_truth_rows"] == 4  # 105 had ground truth already
