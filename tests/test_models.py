"""Model estimators: scikit-learn contract, round trips, target handling, the transformer folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from stance.config import TrainConfig
from stance.errors import StanceError
from stance.models import build_model, load_model, save_model
from stance.models.base import make_metadata
from stance.models.tfidf import TfidfStanceClassifier
from stance_fixture import TARGETS, fixture_rows

os.environ.setdefault("HF_HUB_OFFLINE", "1")
STANCE = ["None", "Favor", "Against"]


def _rows(split: str | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    rows = [r for r in fixture_rows() if split is None or r["split"] == split]
    X = pd.DataFrame({"text": [r["text"] for r in rows], "target": [r["target_text"] for r in rows]})
    return X, np.array([STANCE[r["stance"]] for r in rows], dtype=object)


def _save(model, tmp_path: Path, kind: str) -> Path:
    meta = make_metadata(kind=kind, task="joint", labels=STANCE, config=TrainConfig(model=kind).to_dict(),
                         fingerprint="sha256:test", targets=TARGETS, schema_version="1")
    save_model(model, tmp_path / "model", meta)
    return tmp_path / "model"


def test_tfidf_contract_and_round_trip(tmp_path: Path) -> None:
    X, y = _rows("train")
    Xt, _ = _rows("test")
    clf = TfidfStanceClassifier().fit(X, y)
    assert set(clf.classes_) == set(STANCE)
    proba = clf.predict_proba(Xt)
    assert proba.shape == (len(Xt), 3) and np.allclose(proba.sum(axis=1), 1)
    assert list(clf.predict(Xt)) == list(clf.classes_[proba.argmax(axis=1)])
    # list of dicts works the same as a DataFrame
    assert np.allclose(clf.predict_proba(Xt.to_dict("records")), proba)
    loaded = load_model(_save(clf, tmp_path, "tfidf"))
    assert isinstance(loaded.estimator, TfidfStanceClassifier)
    assert np.array_equal(loaded.predict_proba(Xt), proba)
    assert loaded.metadata["labels"] == STANCE and loaded.metadata["format"] == "stance.model.v1"


def test_tfidf_learns_the_fixture() -> None:
    X, y = _rows()
    clf = TfidfStanceClassifier(calibration="none", min_df=1).fit(X, y)
    assert (clf.predict(X) == y).mean() > 0.9  # it can fit what it saw


def test_tfidf_sklearn_clone_and_grid_search() -> None:
    X, y = _rows()
    clf = TfidfStanceClassifier(calibration="none", char_ngrams=None)
    twin = clone(clf)
    assert twin.get_params() == clf.get_params() and not hasattr(twin, "pipeline_")
    grid = GridSearchCV(clf, {"C": [0.5, 4.0]}, cv=StratifiedKFold(2, shuffle=True, random_state=0), scoring="f1_macro")
    grid.fit(X, y)
    assert grid.best_params_["C"] in (0.5, 4.0)
    assert grid.predict(X.head(3)).shape == (3,)


def test_unseen_target_and_mixed_rows_keep_order() -> None:
    X, y = _rows("train")
    clf = TfidfStanceClassifier(calibration="none").fit(X, y)
    rows = [{"text": X.text[0], "target": X.target[0]}, {"text": X.text[1], "target": "The US-Japan military alliance"},
            {"text": X.text[2], "target": X.target[2]}]
    together = clf.predict_proba(rows)
    one_by_one = np.vstack([clf.predict_proba([r]) for r in rows])
    assert np.allclose(together, one_by_one)


@pytest.mark.parametrize("mask_target", [False, True])
def test_predict_proba_grid_matches_rows(mask_target: bool) -> None:
    X, y = _rows("train")
    clf = TfidfStanceClassifier(mask_target=mask_target).fit(X, y)
    texts = list(X.text[:5])
    targets = list(TARGETS.values()) + ["an unseen target"]
    grid = clf.predict_proba_grid(texts, targets)
    assert grid.shape == (5, len(targets), 3)
    for j, target in enumerate(targets):
        assert np.allclose(grid[:, j], clf.predict_proba([{"text": t, "target": target} for t in texts]))


def test_build_model_uses_config() -> None:
    cfg = TrainConfig(model="tfidf", seed=7).replace(params={"C": 0.25})
    model = build_model(cfg)
    assert model.C == 0.25 and model.random_state == 7


def test_input_errors() -> None:
    X, y = _rows("train")
    with pytest.raises(StanceError, match="lacks column"):
        TfidfStanceClassifier().fit(X[["text"]], y)
    with pytest.raises(StanceError, match="only one class"):
        TfidfStanceClassifier().fit(X, ["Favor"] * len(X))
    with pytest.raises(StanceError, match="no rows"):
        TfidfStanceClassifier().fit(X.head(0), [])
    with pytest.raises(StanceError, match="list of dicts"):
        TfidfStanceClassifier().fit({"text": "a", "target": "b"}, ["Favor"])


def test_untrusted_type_refused(tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    folder = _save(TfidfStanceClassifier(calibration="none").fit(*_rows("train")), tmp_path, "tfidf")
    # A model file holding a function reference: skops would call it on load if trusted.
    sio.dump(Pipeline([("f", FunctionTransformer(os.system))]), folder / "model.skops")
    with pytest.raises(StanceError, match="types this release does not trust"):
        load_model(folder)


def test_incompatible_schema_version_refused(tmp_path: Path) -> None:
    folder = _save(TfidfStanceClassifier(calibration="none").fit(*_rows("train")), tmp_path, "tfidf")
    meta = json.loads((folder / "stance_model.json").read_text())
    meta["schema_version"] = "2"
    (folder / "stance_model.json").write_text(json.dumps(meta))
    with pytest.raises(StanceError, match="label schema version '2'"):
        load_model(folder)


def test_not_a_model_folder(tmp_path: Path) -> None:
    with pytest.raises(StanceError, match="stance_model.json is missing"):
        load_model(tmp_path)


# The transformer's training, folder and cache checks are in test_transformer_recipes.py (classif).


def test_temperature_calibration_keeps_decisions() -> None:
    X, y = _rows()
    raw = TfidfStanceClassifier(calibration="none", min_df=1).fit(X, y)
    cal = TfidfStanceClassifier(calibration="temperature", min_df=1).fit(X, y)
    temperature = cal.pipeline_.named_steps["clf"].temperature_
    assert 0.05 < temperature < 20 and temperature != 1.0
    assert list(cal.predict(X)) == list(raw.predict(X))
    # the same scores, only sharper or softer
    assert not np.allclose(cal.predict_proba(X), raw.predict_proba(X))


def test_mask_target_replaces_target_words() -> None:
    from stance.models.tfidf import TargetTextFeatures

    feats = TargetTextFeatures(mask_target=True)
    texts, mention = feats.prepare(["Human cloning should be banned.", "The weather was fine."],
                                   ["cloning", "cloning"])
    assert "zztopic" in texts[0] and "cloning" not in texts[0].lower() and texts[1] == "The weather was fine."
    assert mention.tolist() == [1.0, 0.0]
    # without masking, the mention is read off the vectorised text by the same stem rule
    plain = TargetTextFeatures(min_df=1).fit([{"text": t, "target": "cloning"} for t in
                                              ["Human cloning should be banned.", "Clones are people.", "The weather was fine."]])
    block = plain.vectorize_texts(["Human cloning should be banned.", "Clones are people.", "The weather was fine."])
    assert plain._mention_from_block(block, ["cloning"] * 3).tolist() == [1.0, 1.0, 0.0]


def test_load_model_gives_one_model_with_metadata_type(tmp_path: Path) -> None:
    from stance.models import StanceModel

    X, y = _rows("train")
    clf = TfidfStanceClassifier(min_df=1).fit(X, y)
    loaded = load_model(_save(clf, tmp_path, "tfidf"))
    assert isinstance(loaded, StanceModel) and not hasattr(loaded, "metadata_")
    assert loaded.task == "joint" and loaded.labels == [str(c) for c in clf.classes_]
    assert loaded.model_version == loaded.metadata["model_version"] and loaded.path == tmp_path / "model"
    with pytest.raises(StanceError, match="does not support quantization"):
        loaded.quantize()
