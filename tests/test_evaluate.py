"""`stance evaluate`: metrics against hand-computed values, pictures, report, refusals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.config import TfidfParams, TrainConfig
from stance.errors import StanceError
from stance.evaluation import classification_metrics, evaluate, expected_calibration_error
from stance.training import train
from stance_fixture import build_dataset

os.environ.setdefault("HF_HUB_OFFLINE", "1")
runner = CliRunner()


def test_metrics_match_hand_computed() -> None:
    gold = ["Favor", "Favor", "Against", "Against", "None", "None"]
    pred = ["Favor", "Against", "Against", "None", "None", "None"]
    m = classification_metrics(gold, pred, ["None", "Favor", "Against"])
    # Favor: P 1/1, R 1/2, F1 2/3. Against: P 1/2, R 1/2, F1 1/2. None: P 2/3, R 2/2, F1 4/5.
    assert m["per_class"]["Favor"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert m["per_class"]["Against"]["f1"] == 0.5
    assert m["per_class"]["None"]["precision"] == 0.6667 and m["per_class"]["None"]["f1"] == 0.8
    assert m["macro_f1"] == round((2 / 3 + 1 / 2 + 4 / 5) / 3, 4)
    assert m["accuracy"] == round(4 / 6, 4)
    assert m["semeval_score"] == round((2 / 3 + 1 / 2) / 2, 4)
    assert m["confusion_matrix"]["rows_gold_cols_predicted"] == [[2, 0, 0], [0, 1, 1], [1, 0, 1]]


def test_role_has_no_semeval_score() -> None:
    assert classification_metrics(["Claim", "None"], ["Claim", "Premise"], ["None", "Claim", "Premise"])["semeval_score"] is None


def test_ece_hand_computed() -> None:
    probs = np.array([[0.85, 0.15], [0.85, 0.15], [0.35, 0.65], [0.35, 0.65], [0.3, 0.7]])
    gold = np.array([0, 1, 1, 0, 0])
    ece, bins = expected_calibration_error(probs, gold)
    # bin (0.8, 0.9]: conf 0.85, acc 1/2 (n 2); bin (0.6, 0.7]: conf (0.65+0.65+0.7)/3, acc 1/3 (n 3)
    assert ece == pytest.approx(2 / 5 * 0.35 + 3 / 5 * abs(2.0 / 3 - 1 / 3))
    assert [(b["low"], b["n"]) for b in bins if b["n"]] == [(0.6, 3), (0.8, 2)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("eval")
    data = build_dataset(root / "dataset")
    model = train(data, root / "model", config=TrainConfig(model="tfidf", task="joint")).model_dir
    return model, data


def test_evaluate_writes_report(trained: tuple[Path, Path], tmp_path: Path) -> None:
    model, data = trained
    result = evaluate(model, data, tmp_path / "r", split="test")
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics == json.loads(json.dumps(result.metrics))
    assert metrics["task"] == "joint" and metrics["n"] == 7
    assert set(metrics["breakdowns"]) == {"target", "genre", "holder_type"}
    assert sum(v["n"] for v in metrics["breakdowns"]["target"].values()) == 7
    assert 0 <= metrics["expected_calibration_error"] <= 1
    assert metrics["human_agreement"]["pooled"]["cohen_kappa"] == 0.71
    for name in ("confusion_matrix.png", "reliability.png"):
        assert (tmp_path / "r" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (tmp_path / "r" / "report.md").read_text()
    assert "joint setting" in report and "Beside human agreement" in report and "| annotators | 0.710" in report


def test_cli_evaluate(trained: tuple[Path, Path], tmp_path: Path) -> None:
    model, data = trained
    result = runner.invoke(app, ["evaluate", str(model), str(data), "-o", str(tmp_path / "r"), "--split", "validation"])
    assert result.exit_code == 0, result.output
    assert "task 'joint' on split 'validation'" in result.stdout
    result = runner.invoke(app, ["evaluate", str(model), str(data), "-o", str(tmp_path / "r"), "--split", "dev"])
    assert result.exit_code == 1 and "has no 'dev' split" in result.stderr


def test_report_without_agreement(trained: tuple[Path, Path], tmp_path: Path) -> None:
    model, _ = trained
    data = build_dataset(tmp_path / "d", with_info=False)
    report = evaluate(model, data, tmp_path / "r").report_dir / "report.md"
    assert "carries no agreement figures" in report.read_text()


def test_schema_mismatch_refused(trained: tuple[Path, Path], tmp_path: Path) -> None:
    model, _ = trained
    meta_path = model / "stance_model.json"
    data = build_dataset(tmp_path / "d")
    info = json.loads((data / "stance_dataset.json").read_text())
    info["schema_version"] = "1.1"  # same major: accepted
    (data / "stance_dataset.json").write_text(json.dumps(info))
    evaluate(model, data, tmp_path / "ok")
    info["schema_version"] = "3"
    (data / "stance_dataset.json").write_text(json.dumps(info))
    with pytest.raises(StanceError, match="label schema version '3'"):
        evaluate(model, data, tmp_path / "r")
    assert json.loads(meta_path.read_text())["schema_version"] == "1"


# --------------------------------------------------------------------------- bootstrap intervals

LABELS = ["None", "Favor", "Against"]


def _noisy(n: int, keep: float, seed: int) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    gold = rng.choice(LABELS, n, p=[0.7, 0.15, 0.15])
    pred = np.where(rng.random(n) < keep, gold, rng.choice(LABELS, n))
    return gold.tolist(), pred.tolist()


def test_bootstrap_scores_use_the_definitions_of_classification_metrics() -> None:
    from stance.evaluation import _codes, _scores

    gold, pred = _noisy(300, 0.6, 1)
    pred[:5] = ["Neutral"] * 5  # a label outside the set counts as wrong, as it does for scikit-learn
    pred = [p if p != "Against" else "None" for p in pred]  # a class never predicted: F1 0
    m = classification_metrics(gold, pred, LABELS)
    scores = _scores(_codes(gold, LABELS), _codes(pred, LABELS), 3, [1, 2])
    assert scores == pytest.approx([m["macro_f1"], m["accuracy"], m["semeval_score"]], abs=1e-4)


def test_bootstrap_intervals_are_seeded_and_hold_the_point_estimate() -> None:
    from stance.evaluation import bootstrap_intervals

    gold, pred = _noisy(400, 0.7, 2)
    first = bootstrap_intervals(gold, pred, LABELS, resamples=300, seed=5)
    assert first == bootstrap_intervals(gold, pred, LABELS, resamples=300, seed=5)
    assert first != bootstrap_intervals(gold, pred, LABELS, resamples=300, seed=6)
    point = classification_metrics(gold, pred, LABELS)
    for key in ("macro_f1", "accuracy", "semeval_score"):
        low, high = first["intervals"][key]
        assert low < point[key] < high
    assert first["unit"] == "row" and first["n_units"] == 400
    assert bootstrap_intervals(gold[:1], pred[:1], LABELS) is None  # one unit: no interval


def test_bootstrap_draws_the_pairs_of_one_statement_together() -> None:
    from stance.evaluation import bootstrap_intervals

    # Each statement's five target pairs agree perfectly here: 400 rows carry the information of
    # 80. Resampling rows would give an interval as narrow as for 400 independent rows.
    gold, pred = _noisy(80, 0.7, 3)
    gold5, pred5 = [g for g in gold for _ in range(5)], [p for p in pred for _ in range(5)]
    groups = [i // 5 for i in range(400)]
    by_row = bootstrap_intervals(gold5, pred5, LABELS, resamples=400)["intervals"]["accuracy"]
    by_statement = bootstrap_intervals(gold5, pred5, LABELS, groups=groups, resamples=400)
    alone = bootstrap_intervals(gold, pred, LABELS, resamples=400)["intervals"]["accuracy"]
    width = by_statement["intervals"]["accuracy"][1] - by_statement["intervals"]["accuracy"][0]
    assert by_statement["unit"] == "statement" and by_statement["n_units"] == 80
    assert width > 1.8 * (by_row[1] - by_row[0])
    assert width == pytest.approx(alone[1] - alone[0], abs=0.03)


def test_bootstrap_difference_of_two_models() -> None:
    from stance.evaluation import bootstrap_intervals

    gold, better = _noisy(500, 0.8, 4)
    _, worse = _noisy(500, 0.4, 4)
    worse = [g if w == g and i % 3 else w for i, (g, w) in enumerate(zip(gold, worse))]
    out = bootstrap_intervals(gold, better, LABELS, against=worse, resamples=300)
    d = out["difference"]["macro_f1"]
    m_better, m_worse = (classification_metrics(gold, p, LABELS)["macro_f1"] for p in (better, worse))
    assert d["value"] == pytest.approx(m_better - m_worse, abs=2e-4)
    assert 0 < d["interval"][0] < d["value"] < d["interval"][1] and d["share_better"] == 1.0
    same = bootstrap_intervals(gold, better, LABELS, against=better, resamples=100)["difference"]["macro_f1"]
    assert same == {"value": 0.0, "interval": [0.0, 0.0], "share_better": 0.0}


def test_evaluate_against_another_model(trained: tuple[Path, Path], tmp_path: Path) -> None:
    model, data = trained
    other = train(data, tmp_path / "other", config=TrainConfig(model="tfidf", task="joint", seed=7,
                                                              params=TfidfParams(C=0.01, select="none"))).model_dir
    result = runner.invoke(app, ["evaluate", str(model), str(data), "-o", str(tmp_path / "r"), "--split", "validation",
                                 "--against", str(other), "--resamples", "200"])
    assert result.exit_code == 0, result.output
    assert "95 % interval" in result.stdout and f"against {other}" in result.stdout
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["against"]["model_dir"] == str(other) and "macro_f1" in metrics["against"]
    assert metrics["bootstrap"]["unit"] == "statement" and metrics["bootstrap"]["resamples"] == 200
    assert set(metrics["bootstrap"]["difference"]) == {"macro_f1", "accuracy", "semeval_score"}
    assert "## Against another model" in (tmp_path / "r" / "report.md").read_text()
    role = train(data, tmp_path / "role", config=TrainConfig(model="tfidf", task="role")).model_dir
    result = runner.invoke(app, ["evaluate", str(model), str(data), "-o", str(tmp_path / "r2"), "--against", str(role)])
    assert result.exit_code == 1 and "trained for the 'role' task" in result.stderr
    no_ci = evaluate(model, data, tmp_path / "r3", resamples=0).metrics
    assert "bootstrap" not in no_ci
