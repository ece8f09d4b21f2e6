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
def test_measured_ranking_runs_the_int8_kernels_per_layer(int8_model: Path, tmp_path: Path) -> None:
    from stance.models import load_model
    from stance.models.quantize import export_onnx, linear_names, measured_ranking, scores_with

    est = load_model(int8_model).estimator
    texts, targets, _ = _pairs()
    X = [{"text": a, "target": b} for a, b in zip(texts[:8], targets[:8])]
    names = linear_names(est.model_)
    cands = [names[0], names[5], names[-1]]
    ranked = measured_ranking(est, export_onnx(est.model_, tmp_path / "fp32.onnx"), X,
                              scores_with(est, est.model_, X), cands, tmp_path)
    assert sorted(n for n, _, _ in ranked) == sorted(cands)
    assert [(f, kl) for _, f, kl in ranked] == sorted((f, kl) for _, f, kl in ranked)  # fewest flips first
    assert all(0 <= f <= len(X) and kl >= 0 for _, f, kl in ranked)


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


def _trimmed(int8_model: Path, tmp_path: Path) -> Path:
    """A copy of the model folder without its fp32 weights (as deployed with the int8 file only)."""
    import shutil

    folder = tmp_path / "int8-only"
    shutil.copytree(int8_model, folder)
    for f in [*folder.glob("*.safetensors"), *folder.glob("*/*.safetensors")]:
        f.unlink()
    return folder


@pytest.mark.slow
def test_quantize_never_reads_the_fp32_weights(int8_model: Path, tmp_path: Path) -> None:
    """With a checked int8 file, --quantize works without the fp32 weights; the fp32 path then says why it cannot."""
    from stance.models import load_model

    folder = _trimmed(int8_model, tmp_path)
    out, ref = tmp_path / "q.jsonl", tmp_path / "ref.jsonl"
    args = [str(STATEMENTS), "--targets", f"{K},{T}", "--quantize", "--no-progress"]
    res = CliRunner().invoke(app, ["predict", str(folder), *args, "-o", str(out)])
    assert res.exit_code == 0, res.output
    CliRunner().invoke(app, ["predict", str(int8_model), *args, "-o", str(ref)])
    got = [json.loads(line)["stance_scores"] for line in out.open(encoding="utf-8")]
    want = [json.loads(line)["stance_scores"] for line in ref.open(encoding="utf-8")]
    assert got == want
    est = load_model(folder).estimator
    assert "_model" not in vars(est)  # nothing read yet
    with pytest.raises(StanceError, match="could not be loaded"):
        est.predict_proba([{"text": "The islands are Russian.", "target": "Kuril sovereignty"}])


@pytest.mark.slow
def test_unverifiable_or_changed_int8_file_is_refused(int8_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stance.models.quantize as q
    from stance.models import load_model

    folder = _trimmed(int8_model, tmp_path)
    meta_path = folder / "stance_model.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    # weights gone and no sha256 of the int8 file itself: nothing left to check it by
    bare = {**meta, "int8": {k: v for k, v in meta["int8"].items() if k != "int8_sha256"}}
    meta_path.write_text(json.dumps(bare), encoding="utf-8")
    with pytest.raises(StanceError, match="missing or unreadable"):
        load_model(folder).quantize()
    # the int8 file replaced after it was checked
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with open(folder / "model.int8.onnx", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(StanceError, match="changed since"):
        load_model(folder).quantize()
    # unreadable fp32 weights (root reads any file, so the read error is simulated): the int8 sha256 decides
    def unreadable(_: object) -> str:
        raise PermissionError("model.safetensors")

    monkeypatch.setattr(q, "weights_sha256", unreadable)
    assert isinstance(load_model(int8_model).quantize().estimator.model_, q.OrtClassifier)


@pytest.mark.slow
def test_quantize_cli_records_the_check_and_the_lineage(int8_model: Path, tmp_path: Path) -> None:
    import shutil

    from stance.lineage import fingerprint, read_lineage

    folder = tmp_path / "m"
    shutil.copytree(int8_model, folder)
    pairs = tmp_path / "pairs.jsonl"
    texts, _, _ = _pairs()
    with pairs.open("w", encoding="utf-8") as fh:  # unlabelled: every statement x every target (ids or texts)
        for text in texts[:12]:
            for tgt in (K, T, "The US-Japan military alliance"):
                fh.write(json.dumps({"text": text, "target": tgt}) + "\n")
    res = CliRunner().invoke(app, ["quantize", str(folder), "--check-pairs", str(pairs), "--target", "0"])
    assert res.exit_code == 0, res.output
    record = json.loads((folder / "stance_model.json").read_text(encoding="utf-8"))["int8"]
    assert record["check_pairs"] == 36 and record["check_data"] == [str(pairs)]
    assert record["int8_sha256"].startswith("sha256:") and "model.safetensors" in record["weights_files"]
    lineage = read_lineage(folder)
    assert lineage.fingerprint == fingerprint(folder)  # rewritten after the folder changed
    assert lineage.details["int8"]["fp32_layers"] == record["fp32_layers"]
    assert any(i.get("role") == "int8 check" and i["path"] == str(pairs.resolve()) for i in lineage.inputs)
    res = CliRunner().invoke(app, ["quantize", str(folder)])
    assert res.exit_code == 1 and "--check-pairs" in res.output


def test_choose_recheck_takes_the_smallest_margin_that_reaches_the_target() -> None:
    from stance.models.quantize import choose_recheck

    ref = np.array([[0.6, 0.4], [0.9, 0.1], [0.2, 0.8], [0.51, 0.49]])
    p8 = np.array([[0.49, 0.51], [0.9, 0.1], [0.2, 0.8], [0.47, 0.53]])  # rows 0 and 3 flipped, int8 margins 0.02, 0.06
    assert choose_recheck(ref, p8, 0.5) == (0.0, 0.5, 0.0)
    tau, agree, share = choose_recheck(ref, p8, 0.75)
    assert 0.02 < tau <= 0.0225 and agree == 0.75 and share == 0.25
    tau, agree, share = choose_recheck(ref, p8, 1.0)
    assert 0.06 < tau <= 0.0625 and agree == 1.0 and share == 0.5


@pytest.mark.slow
def test_near_ties_are_rescored_by_the_fp32_graph(int8_model: Path, tmp_path: Path) -> None:
    from stance.models import load_model
    from stance.models.quantize import OrtClassifier, export_onnx, file_sha256, scores_with

    est = load_model(int8_model).estimator
    texts, targets, _ = _pairs()
    X = [{"text": a, "target": b} for a, b in zip(texts, targets)]
    fp32 = export_onnx(est.model_, tmp_path / "fp32.onnx")
    want = scores_with(est, est.model_, X)
    every = OrtClassifier(int8_model / "model.int8.onnx", est.config_, recheck=(fp32, 1.0))  # every row is a near tie
    assert np.abs(scores_with(est, every, X) - want).max() < 1e-5 and every.rechecked == every.rows == len(X)
    none = OrtClassifier(int8_model / "model.int8.onnx", est.config_, recheck=(fp32, 1e-9))
    assert np.abs(scores_with(est, none, X) - want).max() > 1e-5 and none.rechecked == 0
    # recorded in the folder: loaded with the int8 file, refused when the fp32 graph changed
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(int8_model, folder)
    shutil.copy(fp32, folder / "model.fp32.onnx")
    meta = json.loads((folder / "stance_model.json").read_text(encoding="utf-8"))
    meta["int8"]["recheck"] = {"file": "model.fp32.onnx", "sha256": file_sha256(fp32), "margin": 1.0, "share": 1.0}
    (folder / "stance_model.json").write_text(json.dumps(meta), encoding="utf-8")
    q = load_model(folder).quantize()
    assert np.abs(q.predict_proba(X) - want).max() < 1e-5
    with open(folder / "model.fp32.onnx", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(StanceError, match="changed"):
        load_model(folder).quantize()


def test_score_pairs_rescores_the_near_ties_of_every_batch_together(int8_model: Path, tmp_path: Path) -> None:
    """The near ties of many small batches are rescored at the end, with the same result as batch by batch."""
    from stance.models import load_model
    from stance.models.quantize import OrtClassifier, export_onnx, margins, scores_with

    est = load_model(int8_model).estimator
    est.set_params(eval_batch_size=4)  # many batches, a few near ties in each
    texts, targets, _ = _pairs()
    X = [{"text": a, "target": b} for a, b in zip(texts, targets)]
    fp32 = export_onnx(est.model_, tmp_path / "fp32.onnx")
    want32 = scores_with(est, est.model_, X)
    p8 = scores_with(est, OrtClassifier(int8_model / "model.int8.onnx", est.config_), X)
    tau = float(np.median(margins(p8)))
    near = margins(p8) < tau
    assert 0 < near.sum() < len(X)
    model = OrtClassifier(int8_model / "model.int8.onnx", est.config_, recheck=(fp32, tau))
    calls: list[int] = []
    session = model.fp32

    class Counting:  # counts the fp32 graph's runs and their rows
        def run(self, names, feed):  # noqa: ANN001, ANN202
            calls.append(len(next(iter(feed.values()))))
            return session.run(names, feed)

    model.fp32 = Counting()
    got = scores_with(est, model, X)
    assert model.rechecked == int(near.sum()) and model.rows == len(X)
    assert len(calls) == -(-int(near.sum()) // 4) and sum(calls) == int(near.sum())  # full batches of 4
    assert np.abs(got[near] - want32[near]).max() < 1e-5
    assert np.abs(got[~near] - p8[~near]).max() < 1e-6
