"""`stance train`: dataset folder → model folder, task settings, and the refusals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.config import TrainConfig
from stance.errors import StanceError
from stance.models import load_model
from stance.training import load_dataset_dir, task_data, train
from stance_fixture import build_dataset, fixture_rows

os.environ.setdefault("HF_HUB_OFFLINE", "1")
runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dataset(tmp_path_factory.mktemp("data") / "dataset")


def test_task_settings_select_rows(data_dir: Path) -> None:
    ds, info = load_dataset_dir(data_dir)
    assert info and info["schema_version"] == "1"
    joint = task_data(ds, "train", "joint")
    stance = task_data(ds, "train", "stance")
    role = task_data(ds, "train", "role")
    assert set(joint.y) == {"None", "Favor", "Against"} and len(joint) == len(role)
    assert set(stance.y) == {"Favor", "Against"} and len(stance) == int((joint.y != "None").sum())
    assert set(role.y) == {"None", "Claim", "Premise"}
    # the model sees the target text, the id stays for breakdowns
    assert joint.X.target[0].startswith("Russian sovereignty") and joint.X.target_id[0] == "kuril_sovereignty"


def test_cli_train_tfidf_writes_model_folder(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "m"
    result = runner.invoke(app, ["train", str(data_dir), "-o", str(out), "--model", "tfidf", "--task", "stance"])
    assert result.exit_code == 0, result.output
    assert "task 'stance'" in result.stdout
    meta = json.loads((out / "stance_model.json").read_text())
    assert meta["task"] == "stance" and meta["labels"] == ["Favor", "Against"] and meta["kind"] == "tfidf"
    assert meta["schema_version"] == "1" and meta["data_fingerprint"].startswith("sha256:")
    assert meta["targets"]["kuril_sovereignty"].startswith("Russian sovereignty")
    assert "scikit-learn" in meta["versions"] and meta["config"]["params"]["C"] == 2.0
    model = load_model(out)
    assert set(model.predict([{"text": "The islands are Russian.", "target": meta["targets"]["kuril_sovereignty"]}])) <= {"Favor", "Against"}


def test_train_is_deterministic(data_dir: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(model="tfidf", task="role")
    a = load_model(train(data_dir, tmp_path / "a", config=cfg).model_dir)
    b = load_model(train(data_dir, tmp_path / "b", config=cfg).model_dir)
    rows = [{"text": r["text"], "target": r["target_text"]} for r in fixture_rows()]
    assert np.array_equal(a.predict_proba(rows), b.predict_proba(rows))
    assert a.metadata["data_fingerprint"] == b.metadata["data_fingerprint"]


def test_missing_columns_named(tmp_path: Path) -> None:
    data = build_dataset(tmp_path / "d", drop_columns=("stance", "text"))
    with pytest.raises(StanceError, match=r"lacks column\(s\) text, stance .*`stance dataset` writes them"):
        train(data, tmp_path / "m", config=TrainConfig())


def test_single_class_split_refused(tmp_path: Path) -> None:
    rows = [r for r in fixture_rows() if r["stance"] != 2]  # no Against: stance task has one class
    data = build_dataset(tmp_path / "d", rows=rows)
    with pytest.raises(StanceError, match=r"only one class \('Favor'"):
        train(data, tmp_path / "m", config=TrainConfig(task="stance"))


def test_empty_split_refused(tmp_path: Path) -> None:
    rows = [dict(r, stance=-1) if r["split"] == "train" else r for r in fixture_rows()]
    data = build_dataset(tmp_path / "d", rows=rows)
    with pytest.raises(StanceError, match=r"'train' split has no labeled rows for the 'joint' task"):
        train(data, tmp_path / "m", config=TrainConfig())


def test_cli_errors_are_one_line(data_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", str(data_dir), "-o", str(tmp_path / "m"), "--model", "svm"])
    assert result.exit_code == 1 and "unknown model type 'svm'" in result.stderr
    assert "Traceback" not in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: tfidf\nparams:\n  ngram_range: [1, 2]\n")
    result = runner.invoke(app, ["train", str(data_dir), "-o", str(tmp_path / "m"), "--config", str(bad)])
    assert result.exit_code == 1 and "unknown key params.ngram_range" in result.stderr
    result = runner.invoke(app, ["train", str(tmp_path / "nothing"), "-o", str(tmp_path / "m")])
    assert result.exit_code == 1 and "build it with `stance dataset`" in result.stderr


def test_dataset_of_other_schema_refused(tmp_path: Path) -> None:
    data = build_dataset(tmp_path / "d", schema_version="2")
    with pytest.raises(StanceError, match="label schema version '2'"):
        train(data, tmp_path / "m", config=TrainConfig())


@pytest.mark.slow
def test_cli_train_transformer_tiny(data_dir: Path, tmp_path: Path) -> None:
    config = Path(__file__).resolve().parents[1] / "configs" / "transformer-tiny.yaml"
    out = tmp_path / "t"
    result = runner.invoke(app, ["train", str(data_dir), "-o", str(out), "--config", str(config), "--no-progress"])
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "stance_model.json").read_text())
    assert meta["kind"] == "transformer" and meta["training"]["steps"] == 4
    assert (out / "config.json").is_file() and (out / "tokenizer.json").is_file()
    assert "task `joint`" in (out / "README.md").read_text()


def test_model_lineage_records_the_dataset(data_dir: Path, tmp_path: Path) -> None:
    from stance.info import trace
    from stance.lineage import fingerprint, read_lineage

    result = train(data_dir, tmp_path / "m", config=TrainConfig(model="tfidf", task="joint"))
    record = read_lineage(result.model_dir)
    assert record is not None and record.kind == "model"
    assert record.details["model_version"] == result.metadata["model_version"]
    assert record.details["task"] == "joint" and record.details["n_train"] == result.n_train
    assert "scikit-learn" in record.versions
    assert record.inputs == [{"path": str(data_dir.resolve()), "kind": "dataset", "fingerprint": fingerprint(data_dir)}]
    assert record.fingerprint == fingerprint(result.model_dir)
    chain = trace(result.model_dir)
    assert [s.kind for s in chain.walk()][:2] == ["model", "dataset"]
