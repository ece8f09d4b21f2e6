"""`stance info`: the lineage chain of an artifact, with warnings where the files changed since."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from stance.info import render_chain, trace
from stance.lineage import input_ref, write_lineage

DOC_A = ("MOSCOW, March 3. Russian Foreign Minister Sergey Lavrov said on Tuesday that the islands are "
         "Russian territory.\n\nHe added that talks on a peace treaty would continue.\n")
DOC_B = "TOKYO, March 4. Japan's foreign ministry repeated that the four islands belong to Japan.\n"


def _chain(root: Path) -> dict[str, Path]:
    """A hand-made chain, written the way the stages write it: documents → … → predictions."""
    docs = root / "docs"
    docs.mkdir()
    (docs / "lavrov.txt").write_text(DOC_A, encoding="utf-8")
    (docs / "mofa.txt").write_text(DOC_B, encoding="utf-8")
    p = {"docs": docs, "statements": root / "statements.jsonl", "tasks": root / "tasks.json",
         "export": root / "export.json", "dataset": root / "dataset", "model": root / "model",
         "predictions": root / "predictions.jsonl"}
    p["statements"].write_text('{"id": "lavrov:1", "text": "the islands are Russian territory"}\n', encoding="utf-8")
    write_lineage(p["statements"], "statements",
                  inputs=[input_ref(docs / "lavrov.txt", "documents"), input_ref(docs / "mofa.txt", "documents")],
                  details={"segmenter_version": "3", "cleaning_version": "stance.cleaning.v1"})
    p["tasks"].write_text('[{"data": {"task_key": "lavrov:1|kuril_sovereignty"}}]\n', encoding="utf-8")
    write_lineage(p["tasks"], "tasks", inputs=[input_ref(p["statements"], "statements")],
                  details={"schema_version": "1", "guidelines_version": "1"})
    p["export"].write_text('[{"id": 1, "annotations": []}]\n', encoding="utf-8")
    write_lineage(p["export"], "export", inputs=[input_ref(p["tasks"], "tasks", project_id=7)],
                  details={"project": "kurils pilot", "pulled": "2026-12-01T10:00:00+00:00"})
    p["dataset"].mkdir()
    (p["dataset"] / "dataset_dict.json").write_text('{"splits": ["train"]}', encoding="utf-8")
    write_lineage(p["dataset"], "dataset", inputs=[input_ref(p["export"], "export")], details={"seed": 13})
    p["model"].mkdir()
    (p["model"] / "stance_model.json").write_text('{"kind": "tfidf"}', encoding="utf-8")
    write_lineage(p["model"], "model", inputs=[input_ref(p["dataset"], "dataset")],
                  details={"model_version": "tfidf-joint-1a2b"}, versions={"scikit-learn": "1.9.1"})
    p["predictions"].write_text('{"id": "x", "stance": "Favor"}\n', encoding="utf-8")
    write_lineage(p["predictions"], "predictions", inputs=[input_ref(p["model"], "model")])
    return p


def _warnings(step) -> list[str]:
    return [f"{s.kind}: {w}" for s in step.walk() for w in s.warnings]


def test_chain_back_to_the_documents(tmp_path: Path) -> None:
    p = _chain(tmp_path)
    chain = trace(p["predictions"])
    assert [s.kind for s in chain.walk()] == [
        "predictions", "model", "dataset", "export", "tasks", "statements", "documents", "documents"]
    assert _warnings(chain) == []
    model = chain.inputs[0]
    assert model.details == {"model_version": "tfidf-joint-1a2b"}
    assert model.versions["scikit-learn"] == "1.9.1" and "stance" in model.versions
    export = model.inputs[0].inputs[0]
    assert export.inputs[0].extra == {"project_id": 7}
    assert all(s.created for s in chain.walk() if s.kind != "documents")


def test_a_document_edited_after_segmenting_is_named(tmp_path: Path) -> None:
    p = _chain(tmp_path)
    (p["docs"] / "mofa.txt").write_text(DOC_B.replace("four", "two"), encoding="utf-8")
    warnings = _warnings(trace(p["model"]))
    assert len(warnings) == 1
    assert warnings[0].startswith("documents: changed after statements statements.jsonl used it: recorded sha256:")


def test_missing_and_rewritten_artifacts_are_named(tmp_path: Path) -> None:
    p = _chain(tmp_path)
    p["export"].unlink()
    (p["predictions"]).write_text('{"id": "x", "stance": "Against"}\n', encoding="utf-8")  # edited by hand
    warnings = _warnings(trace(p["predictions"]))
    assert warnings[0].startswith("predictions: changed since it was written")
    assert any(w.startswith("export: missing:") and "an input of dataset dataset" in w for w in warnings)
    assert len(warnings) == 2  # the chain stops at the missing export


def test_an_input_without_a_record_ends_the_chain_with_a_warning(tmp_path: Path) -> None:
    p = _chain(tmp_path)
    (tmp_path / "tasks.json.lineage.json").unlink()
    warnings = _warnings(trace(p["export"]))
    assert warnings == ["tasks: no lineage record (tasks.json.lineage.json): the chain stops here"]


def test_no_verify_reads_no_files(tmp_path: Path) -> None:
    p = _chain(tmp_path)
    (p["docs"] / "mofa.txt").write_text("changed", encoding="utf-8")
    chain = trace(p["statements"], verify=False)
    assert _warnings(chain) == [] and all(s.current is None for s in chain.walk())


def test_refusals(tmp_path: Path) -> None:
    with pytest.raises(StanceError, match=r"nope\.jsonl does not exist"):
        trace(tmp_path / "nope.jsonl")
    (tmp_path / "plain.jsonl").write_text("{}\n", encoding="utf-8")
    with pytest.raises(StanceError, match=r"plain\.jsonl has no lineage record .*rerun the command"):
        trace(tmp_path / "plain.jsonl")


def test_a_cycle_stops(tmp_path: Path) -> None:
    a = tmp_path / "a.jsonl"
    a.write_text("{}\n", encoding="utf-8")
    write_lineage(a, "statements", inputs=[{"path": str(a), "kind": "statements", "fingerprint": None}])
    warnings = _warnings(trace(a))
    assert warnings == ["statements: cycle: this artifact is its own input"]


def test_text_rendering_counts_many_documents(tmp_path: Path) -> None:
    docs = []
    for i in range(8):
        doc = tmp_path / f"doc{i}.txt"
        doc.write_text(f"Statement number {i}.\n", encoding="utf-8")
        docs.append(doc)
    out = tmp_path / "s.jsonl"
    out.write_text("{}\n", encoding="utf-8")
    write_lineage(out, "statements", inputs=[input_ref(d, "documents") for d in docs])
    lines = render_chain(trace(out), max_sources=3)
    assert sum("<- documents" in line for line in lines) == 3
    assert lines[-1].strip() == "<- … 5 more documents input(s), all unchanged"


def test_cli_text_and_json(tmp_path: Path) -> None:
    p = _chain(tmp_path)
    (p["docs"] / "lavrov.txt").write_text(DOC_A + "Extra line.\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["info", str(p["model"])])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.splitlines()[0].startswith(f"model  {p['model'].resolve()}  created ")
    assert "model_version: tfidf-joint-1a2b" in out and "project_id: 7" in out
    assert "[CHANGED]" in out and "WARNING changed after statements statements.jsonl used it" in out
    assert "1 warning(s)" in out
    result = runner.invoke(app, ["info", str(p["predictions"]), "--json"])
    tree = json.loads(result.stdout)
    assert tree["kind"] == "predictions" and tree["inputs"][0]["kind"] == "model"
    statements = tree["inputs"][0]["inputs"][0]["inputs"][0]["inputs"][0]["inputs"][0]
    assert statements["details"]["segmenter_version"] == "3"
    assert [d["warnings"] != [] for d in statements["inputs"]] == [True, False]
    missing = runner.invoke(app, ["info", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
