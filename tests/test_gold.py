"""The gold-labelled seed corpus (labels/): coverage, drift detection, the export, the round trip.

The coverage tests run the *current* segmenter on the seeds, so a change of statement
boundaries that leaves labels behind fails here, naming the ids.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from stance.errors import StanceError

REPO = Path(__file__).resolve().parent.parent
LABELS = REPO / "labels"


def _load_make_gold() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stance_make_gold", LABELS / "make_gold.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


mg = _load_make_gold()


@pytest.fixture(scope="module")
def schema() -> Any:
    from stance.schema import load_schema

    return load_schema(mg.SCHEMA_PATH)


@pytest.fixture(scope="module")
def statements() -> list[dict[str, Any]]:
    return mg.segment_seeds(mg.SEEDS_DIR)


@pytest.fixture(scope="module")
def gold(schema: Any) -> dict[tuple[str, str], Any]:
    return mg.read_labels(mg.ANNOTATIONS_1, schema, annotator=mg.ANNOTATOR_1)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- coverage


def test_every_current_statement_has_a_label_for_every_target(statements, gold, schema) -> None:
    result = mg.check_labels(statements, gold, schema.target_ids, path=mg.ANNOTATIONS_1)
    assert result.labelled_statements == len(statements)
    assert len(gold) == len(statements) * len(schema.target_ids)


def test_position_taking_labels_exist_for_every_target(gold, schema) -> None:
    # Most pairs are None, but a gold set with no positions on a target would be useless.
    for target in schema.target_ids:
        assert any(lab.role != "None" for (sid, t), lab in gold.items() if t == target), target


def test_second_annotator_sample_matches_the_segmentation(statements, schema) -> None:
    if not mg.ANNOTATIONS_2.is_file():
        pytest.skip("the second annotator's file labels/seeds.gold.v1.annotator2.jsonl is not there yet")
    second = mg.read_labels(mg.ANNOTATIONS_2, schema, annotator=mg.ANNOTATOR_2)
    result = mg.check_labels(statements, second, schema.target_ids, path=mg.ANNOTATIONS_2, complete=False)
    assert result.labelled_statements >= 80


# --------------------------------------------------------------------------- drift is loud


def test_changed_statement_id_fails_loudly(tmp_path, statements, schema) -> None:
    records = _lines(mg.ANNOTATIONS_1)
    old_id = records[0]["statement_id"]
    for r in records:
        if r["statement_id"] == old_id:
            r["statement_id"] = old_id.split(":")[0] + ":0000000000"
    path = _write(tmp_path / "moved.jsonl", records)
    labels = mg.read_labels(path, schema)
    with pytest.raises(StanceError, match=r"orphaned\): \S+:0000000000") as err:
        mg.check_labels(statements, labels, schema.target_ids, path=path)
    # The statement that lost its labels is named too, and the hint says what to do.
    assert old_id in str(err.value)
    assert "without a label for every target" in str(err.value)
    assert "guidelines" in (err.value.hint or "")


def test_changed_statement_text_fails_loudly(tmp_path, statements, schema) -> None:
    records = _lines(mg.ANNOTATIONS_1)
    victim = records[10]["statement_id"]
    for r in records:
        if r["statement_id"] == victim:
            r["text"] = r["text"] + " (edited)"
    path = _write(tmp_path / "edited.jsonl", records)
    with pytest.raises(StanceError, match=rf"text changed since labelling: {victim}"):
        mg.check_labels(statements, mg.read_labels(path, schema), schema.target_ids, path=path)


def test_missing_target_label_fails_loudly(tmp_path, statements, schema) -> None:
    records = _lines(mg.ANNOTATIONS_1)
    dropped = records.pop(3)
    path = _write(tmp_path / "short.jsonl", records)
    with pytest.raises(StanceError, match=rf"1 current statement\(s\) without a label .*{dropped['statement_id']}"):
        mg.check_labels(statements, mg.read_labels(path, schema), schema.target_ids, path=path)


def test_changed_segmentation_fails_loudly(statements, gold, schema) -> None:
    # Simulate a segmenter that merges the first two statements of a document.
    a, b = statements[0], statements[1]
    merged = {**a, "id": a["doc_id"] + ":ffffffffff", "text": a["text"] + " " + b["text"]}
    with pytest.raises(StanceError, match="no longer produced by the segmenter") as err:
        mg.check_labels([merged, *statements[2:]], gold, schema.target_ids, path=mg.ANNOTATIONS_1)
    assert a["id"] in str(err.value) and b["id"] in str(err.value)
    assert merged["id"] in str(err.value)


def test_check_command_exits_1_with_one_line(tmp_path, capsys) -> None:
    records = _lines(mg.ANNOTATIONS_1)
    path = _write(tmp_path / "bad.jsonl", [r for r in records if r["statement_id"] != records[0]["statement_id"]])
    assert mg.main(["--check", "--annotations", str(path), "--second", str(tmp_path / "none.jsonl")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and records[0]["statement_id"] in err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"role": "Claim", "stance": "None"}, "role Claim with stance None"),
        ({"role": "None", "stance": "Favor"}, "role None with stance Favor"),
        ({"target": "crimea"}, "unknown target 'crimea'"),
        ({"stance": "Neutral", "role": "Claim"}, "unknown stance 'Neutral'"),
    ],
)
def test_bad_label_lines_are_named(tmp_path, schema, change, message) -> None:
    records = _lines(mg.ANNOTATIONS_1)[:5]
    records[2].update(change)
    path = _write(tmp_path / "bad.jsonl", records)
    with pytest.raises(StanceError, match=rf"line 3: {message}"):
        mg.read_labels(path, schema)


def test_repeated_pair_is_refused(tmp_path, schema) -> None:
    records = _lines(mg.ANNOTATIONS_1)[:5]
    path = _write(tmp_path / "twice.jsonl", [*records, records[1]])
    with pytest.raises(StanceError, match="line 6: .* already labelled on line 2"):
        mg.read_labels(path, schema)


# --------------------------------------------------------------------------- the committed export


def test_export_matches_the_current_labels(statements, gold, schema) -> None:
    """The committed export holds exactly the current statements x targets, every annotator's own
    labels, and ground truth only where the adjudicator settled a disagreement."""
    from stance.gold import read_gold

    labels = read_gold(LABELS, schema)
    assert labels.adjudicated, "labels/seeds.gold.v1.adjudications.jsonl is missing"
    export = json.loads(mg.EXPORT.read_text(encoding="utf-8"))
    keys = {(t["data"]["statement_id"], t["data"]["target"]) for t in export}
    assert keys == set(gold), "labels/seeds.gold.v1.json is stale: rerun labels/make_gold.py"
    for task in export:
        key = (task["data"]["statement_id"], task["data"]["target"])
        expected = [labels.first[key]]
        expected += [labels.second[key]] if key in labels.second else []
        expected += [labels.adjudicated[key]] if key in labels.adjudicated else []
        answers = [(a["ground_truth"], {r["from_name"]: r["value"]["choices"][0] for r in a["result"]})
                   for a in task["annotations"]]
        assert sorted((c["role"], c["stance"]) for _, c in answers) == sorted((x.role, x.stance) for x in expected)
        truth = [c for is_truth, c in answers if is_truth]
        assert len(truth) == (key in labels.adjudicated)
        for c in truth:
            assert (c["role"], c["stance"]) == labels.gold()[key]
        assert task["data"]["text"] == gold[key].text


def test_dataset_labels_are_the_adjudicated_gold_and_agreement_compares_independent_passes(schema) -> None:
    from stance.agreement import export_agreement
    from stance.dataset import build_dataset
    from stance.gold import read_gold
    from stance.export import read_export

    labels = read_gold(LABELS, schema)
    export = read_export(mg.EXPORT, schema)
    dd, _ = build_dataset(export, schema)
    truth = labels.gold()
    rows = [r for split in dd.values() for r in split]
    assert len(rows) == len(truth)
    for r in rows:
        role = dd["train"].features["role"].int2str(r["role"])
        stance = dd["train"].features["stance"].int2str(r["stance"])
        assert (role, stance) == truth[(r["statement_id"], r["target"])]
    pooled = {c["control"]: c for c in export_agreement(export)["controls"] if c["target"] is None}
    # Two independent answers per doubly-annotated pair; the adjudicator is not a third rater.
    assert pooled["stance"]["n_items"] == len(labels.second)
    assert pooled["stance"]["n_annotators"] == 2
    disagreements = sum((labels.first[k].role, labels.first[k].stance) != (v.role, v.stance)
                        for k, v in labels.second.items())
    assert disagreements == len(labels.adjudicated) > 0
    assert pooled["role"]["krippendorff_alpha"] < 1.0


def test_export_loads_with_stance_dataset_without_warnings(schema) -> None:
    dataset = pytest.importorskip("stance.dataset")
    from stance.export import read_export

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        export = read_export(mg.EXPORT, schema)
        dd, meta = dataset.build_dataset(export, schema)
    assert export.warnings == [] and meta["warnings"] == []
    assert meta["guidelines_version"] == "1"
    assert sum(meta["splits"].values()) == len(json.loads(mg.EXPORT.read_text(encoding="utf-8")))


def test_stance_dataset_command_prints_no_warning(tmp_path) -> None:
    from typer.testing import CliRunner

    from stance.cli import app

    result = CliRunner().invoke(app, ["dataset", str(mg.EXPORT), "--schema", str(mg.SCHEMA_PATH), "-o", str(tmp_path / "ds")])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output.lower()
    card = (tmp_path / "ds" / "README.md").read_text(encoding="utf-8")
    assert "guidelines version | 1" in card


# --------------------------------------------------------------------------- the round trip


@pytest.mark.studio
def test_round_trip_through_label_studio(tmp_path, studio, gold, statements) -> None:
    """Labels → tasks with annotations → a real Label Studio → export, with a second annotator."""
    sample = sorted({sid for sid, _ in gold})[:3]
    records = [dict(r, annotator=mg.ANNOTATOR_2) for r in _lines(mg.ANNOTATIONS_1) if r["statement_id"] in sample]
    records[0]["role"], records[0]["stance"] = ("Claim", "Against") if records[0]["role"] == "None" else ("None", "None")
    second = _write(tmp_path / "annotator2.jsonl", records)
    out = tmp_path / "gold.json"

    result = mg.make_gold(second=second, adjudications=None, out=out, url=studio.url, api_key=studio.api_key)

    export = json.loads(out.read_text(encoding="utf-8"))
    assert result.tasks == len(export) == len(statements) * 5
    users = {a["completed_by"] for t in export for a in t["annotations"]}
    assert len(users) == 2
    doubled = [t for t in export if len(t["annotations"]) == 2]
    assert len(doubled) == len(records)
    changed = next(t for t in doubled if (t["data"]["statement_id"], t["data"]["target"])
                   == (records[0]["statement_id"], records[0]["target"]))
    answers = [{r["from_name"]: r["value"]["choices"][0] for r in a["result"]} for a in changed["annotations"]]
    assert {"role": records[0]["role"], "stance": records[0]["stance"]} in answers
    assert answers[0] != answers[1]
    assert not any(a["ground_truth"] for t in export for a in t["annotations"])  # no adjudications given

    # A rerun against the same server finds the finished project and imports nothing again.
    again = mg.make_gold(second=second, adjudications=None, out=tmp_path / "again.json", url=studio.url,
                         api_key=studio.api_key)
    assert again.added == 0 and again.project == result.project
