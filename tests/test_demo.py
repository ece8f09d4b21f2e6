"""`stance demo` end to end: the bundled seeds through every stage, with real models.

The transformer trains with configs/transformer-tiny.yaml (a few steps) to keep CI short; the
demo's own config only changes how long training runs, not what gets produced.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest
from typer.testing import CliRunner

from stance.cli import app

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "configs" / "transformer-tiny.yaml"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _check_outputs(out: Path) -> None:
    from datasets import load_from_disk

    from stance.schema import load_schema

    statements = _lines(out / "statements.jsonl")
    assert len(statements) > 200 and len({s["doc_id"] for s in statements}) == 5
    targets = load_schema(REPO / "seeds" / "schema.yaml").target_ids

    dd = load_from_disk(str(out / "dataset"))
    pairs = sum(len(split) for split in dd.values())
    assert pairs == len(statements) * len(targets)
    assert len(dd["train"]) and len(dd["test"])
    docs = {name: set(split["doc_id"]) for name, split in dd.items()}
    assert not docs["train"] & docs["test"], "a document leaked across train and test"
    card = (out / "dataset" / "README.md").read_text(encoding="utf-8")
    assert "schema version" in card.lower()

    for kind in ("tfidf", "transformer"):
        assert (out / "models" / kind / "stance_model.json").is_file()
        report = out / "reports" / kind
        metrics = json.loads((report / "metrics.json").read_text(encoding="utf-8"))
        assert metrics["task"] == "joint" and metrics["n"] == len(dd["test"])
        assert 0.0 <= metrics["macro_f1"] <= 1.0
        for name in ("report.md", "confusion_matrix.png", "reliability.png"):
            assert (report / name).stat().st_size > 0
    (out / "models" / "transformer" / "config.json").is_file()

    predictions = _lines(out / "predictions.jsonl")
    assert len(predictions) == len(statements) * len(targets)
    got = {(p["id"], p["target"]) for p in predictions}
    assert got == {(s["id"], t) for s in statements for t in targets}, "a statement or target has no prediction"
    for p in predictions[:50]:
        assert p["stance"] in {"None", "Favor", "Against"}
        assert abs(sum(p["stance_scores"].values()) - 1.0) < 1e-4


@pytest.mark.slow
def test_demo_without_studio(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--no-studio", "--out", str(out), "--no-progress",
                                      "--transformer-config", str(TINY)])
    assert result.exit_code == 0, result.output
    _check_outputs(out)
    assert "Summary" in result.output and "macro-F1" in result.output
    assert "transformer − tfidf, macro-F1:" in result.output  # the paired comparison, with its interval
    metrics = json.loads((out / "reports" / "transformer" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["against"]["model_dir"] == str(out / "models" / "tfidf")
    assert "Label Studio:" not in result.output


@pytest.mark.slow
@pytest.mark.studio
def test_demo_with_studio_twice_adds_no_task_twice(tmp_path: Path, studio) -> None:
    if studio.data_dir is None:
        pytest.skip("the demo manages a local studio; this server was given by URL and key only")
    port = str(urlparse(studio.url).port)
    args = ["demo", "--out", str(tmp_path / "demo"), "--studio-dir", str(studio.data_dir), "--port", port,
            "--no-progress", "--transformer-config", str(TINY)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    _check_outputs(tmp_path / "demo")
    export = json.loads((tmp_path / "demo" / "export.json").read_text(encoding="utf-8"))
    statements = _lines(tmp_path / "demo" / "statements.jsonl")
    assert len(export) == len(statements) * 5
    annotators = {a["completed_by"] for t in export for a in t["annotations"]}
    assert len(annotators) == 3  # two annotators and the adjudicator
    assert all(t.get("predictions") for t in export), "tasks lack the baseline's pre-annotations"
    assert "Label Studio:" in first.output and "/projects/" in first.output

    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "0 tasks added now" in again.output
    export2 = json.loads((tmp_path / "demo" / "export.json").read_text(encoding="utf-8"))
    assert len(export2) == len(export)
