"""The TF-IDF model chooses its settings on validation rows (or CV inside train) and records them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from stance.config import TrainConfig
from stance.io import read_json
from stance.models.tfidf import TfidfStanceClassifier
from stance.models.tfidf_select import GRID
from stance_fixture import fixture_rows

STANCE = ["None", "Favor", "Against"]


def _rows(split: str) -> tuple[pd.DataFrame, np.ndarray]:
    rows = [r for r in fixture_rows() if r["split"] == split]
    X = pd.DataFrame({"text": [r["text"] for r in rows], "target": [r["target_text"] for r in rows]})
    return X, np.array([STANCE[r["stance"]] for r in rows], dtype=object)


def test_grid_on_validation_rows_is_logged_and_used() -> None:
    X, y = _rows("train")
    Xv, yv = _rows("validation")
    clf = TfidfStanceClassifier(calibration="none", min_df=1).fit(X, y, validation=(Xv, yv))
    log = clf.training_log_
    assert log["selection"] == "grid" and log["selected_on"].startswith("validation split")
    assert len(log["grid"]) == 2 * len(GRID["C"])  # char n-grams off/on × C
    best = max(log["grid"], key=lambda r: r["macro_f1"])
    assert log["chosen"]["C"] == best["C"] and log["chosen"]["char_ngrams"] == best["char_ngrams"]
    linear = clf.pipeline_.named_steps["clf"]
    assert linear.C == best["C"]
    has_char = len(clf.pipeline_.named_steps["features"].vectorizers_) == 2
    assert has_char == (best["char_ngrams"] is not None)
    assert "_fitted" not in log  # nothing unserialisable left in the log


def test_without_validation_rows_it_cross_validates_inside_train() -> None:
    X, y = _rows("train")
    clf = TfidfStanceClassifier(min_df=1).fit(X, y)
    assert "cross-validation inside train" in clf.training_log_["selected_on"]
    fixed = TfidfStanceClassifier(min_df=1, select="none").fit(X, y)
    assert fixed.training_log_ is None and fixed.pipeline_.named_steps["features"].char_ngrams is None


def test_train_writes_the_choice_into_metadata_and_card(tmp_path) -> None:
    from stance.tabular import load_labelled_table
    from stance.training import train

    rows = fixture_rows()
    table = pd.DataFrame({"text": [r["text"] for r in rows], "target": [r["target_text"] for r in rows],
                          "label": [STANCE[r["stance"]] for r in rows], "split": [r["split"] for r in rows]})
    table.to_csv(tmp_path / "rows.csv", index=False)
    load_labelled_table(tmp_path / "rows.csv").save_to_disk(str(tmp_path / "data"))
    result = train(tmp_path / "data", tmp_path / "model", config=TrainConfig(model="tfidf").replace(params={"min_df": 1}))
    meta = read_json(tmp_path / "model" / "stance_model.json")
    assert meta["training"]["chosen"] == result.metadata["training"]["chosen"]
    assert meta["training"]["selected_on"].startswith("validation split")
    card = (tmp_path / "model" / "README.md").read_text(encoding="utf-8")
    assert "## Selection: grid on validation split" in card and f"Chosen: {meta['training']['chosen']}" in card


def test_a_per_target_block_too_large_to_hold_is_refused(monkeypatch) -> None:
    import pytest

    import stance.models.tfidf as tfidf
    from stance.errors import StanceError

    X, y = _rows("train")
    monkeypatch.setattr(tfidf, "MAX_TARGET_BLOCK_FEATURES", 100)
    with pytest.raises(StanceError, match="targets ×") as err:
        TfidfStanceClassifier(min_df=1, select="none").fit(X, y)
    assert "target_features: false" in err.value.hint
    TfidfStanceClassifier(min_df=1, select="none", target_features=False).fit(X, y)  # the way out works
