"""The saved int8 model: built once by `stance quantize`, checked against fp32, used by `--quantize`, refused when stale."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from stance.cli import app  # noqa: E402
from stance.errors import StanceError  # noqa: E402

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]
STATEMENTS = DATA / "statements_small.jsonl"
K, T = "kuril_sovereignty", "treaty_1956_basis"


def _pairs() -> tuple[list[str], list[str], list[str]]:
    schema = yaml.safe_load((ROOT / "seeds" / "schema.yaml").read_text(encoding="utf-8"))
    names = {t["id"]: t["name"] for t in schema["targets"]}
    rows = [json.loads(line) for line in (DATA / "predict_train.jsonl").open(encoding="utf-8")]
    return [r["text"] for r in rows], [names[r["target"]] for r in rows], [r["stance"] for r in rows]


@pytest.fixture(scope="module")
def int8_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A MiniLM joint model fine-tuned a few steps on the hand-labelled fixture, with its int8 file saved."""
    from stance.config import TrainConfig, TransformerParams
    from stance.io import write_json
    from stance.models import build_model, save_model
    from stance.models.base import data_fingerprint, make_metadata
    from stance.models.quantize import build_int8

    texts, targets, y = _pairs()
    X = [{"text": a, "target": b} for a, b in zip(texts, targets)]
    cfg = TrainConfig(model="transformer", task="joint",
                      params=TransformerParams(max_steps=3, batch_size=8, max_length=64, progress=False))
    model = build_model(cfg).fit(X, y)
    meta = make_metadata(kind="transformer", task="joint", labels=[str(c) for c in model.classes_], config=cfg.to_dict(),
                         fingerprint=data_fingerprint(texts, targets, y), targets={}, schema_version="1")
    folder = tmp_path_factory.mktemp("int8") / "joint"
    save_model(model, folder, meta)
    # target 0: one quantization, no sensitivity pass (seconds); the CLI default is 0.99
    record = build_int8(model, folder, X, target=0.0)
    meta = json.loads((folder / "stance_model.json").read_text(encoding="utf-8"))
    meta["int8"] = record
    write_json(folder / "stance_model.json", meta)
    return folder


@pytest.mark.slow
def test_int8_agrees_with_fp32_on_the_fixture(int8_model: Path) -> None:
    from stance.models import load_model
    from stance.models.quantize import OrtClassifier, agreement

    texts, targets, _ = _pairs()
    X = [{"text": a, "target": b} for a, b in zip(texts, targets)]
    fp32 = load_model(int8_model).predict_proba(X)
    q = load_model(int8_model).quantize()
    assert isinstance(q.estimator.model_, OrtClassifier)  # the saved file, not load-time quantization
    int8 = q.predict_proba(X)
    record = q.metadata["int8"]
    assert record["check_agreement"] == pytest.approx(agreement(fp32, int8), abs=1e-4)
    assert agreement(fp32, int8) >= 0.9
    assert np.abs(fp32 - int8).max() < 0.05


@pytest.mark.slow
def test_layer_sensitivity_ranks_the_given_layers(int8_model: Path) -> None:
    from stance.models import load_model
    from stance.models.quantize import default_candidates, layer_sensitivity

    est = load_model(int8_model).estimator
    texts, targets, _ = _pairs()
    cands = default_candidates(est.model_)
    assert any(c.endswith("layer.0.output.dense") for c in cands) and cands[-1] == "head", cands
    X = [{"text": a, "target": b} for a, b in zip(texts[:8], targets[:8])]
    ranked = layer_sensitivity(est, X, cands[:3])
    assert sorted(n for n, _, _ in ranked) == sorted(cands[:3])
    assert ranked[0][1] >= ranked[-1][1] >= 0


@pytest.mark.slow
def test_predict_quantize_uses_the_saved_int8_model(int8_model: Path, tmp_path: Path) -> None:
    from stance.models import load_model

    out_q, out_plain = tmp_path / "q.jsonl", tmp_path / "plain.jsonl"
    res = CliRunner().invoke(app, ["predict", str(int8_model), str(STATEMENTS), "-o", str(out_q), "--targets", f"{K},{T}",
                                   "--quantize", "--no-progress"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out_q.open(encoding="utf-8")]
    # the same scores as the ONNX Runtime int8 session gives directly
    q = load_model(int8_model).quantize()
    names = q.targets
    X = [{"text": r["text"], "target": names.get(r["target"], r["target"])} for r in rows]
    direct = q.predict_proba(X)
    got = np.array([[r["stance_scores"][c] for c in q.estimator.classes_] for r in rows])
    assert np.abs(direct - got).max() < 1e-5
    res = CliRunner().invoke(app, ["predict", str(int8_model), str(STATEMENTS), "-o", str(out_plain), "--targets",
                                   f"{K},{T}", "--no-progress"])
    plain = [json.loads(line) for line in out_plain.open(encoding="utf-8")]
    assert any(abs(a["stance_scores"][c] - b["stance_scores"][c]) > 1e-6 for a, b in zip(rows, plain) for c in a["stance_scores"])


@pytest.mark.slow
def test_stale_or_missing_int8_file_is_refused(int8_model: Path, tmp_path: Path) -> None:
    import shutil

    from stance.models import load_model

    stale = tmp_path / "stale"
    shutil.copytree(int8_model, stale)
    meta = json.loads((stale / "stance_model.json").read_text(encoding="utf-8"))
    meta["int8"]["weights_sha256"] = "sha256:" + "0" * 64  # as if the model had been retrained since
    (stale / "stance_model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(StanceError, match="stale"):
        load_model(stale).quantize()
    res = CliRunner().invoke(app, ["predict", str(stale), str(STATEMENTS), "-o", str(tmp_path / "o.jsonl"),
                                   "--targets", K, "--quantize"])
    assert res.exit_code == 1 and "stale" in res.output and "stance quantize" in res.output
    (stale / "model.int8.onnx").unlink()
    with pytest.raises(StanceError, match="model.int8.onnx is missing"):
        load_model(stale).quantize()
