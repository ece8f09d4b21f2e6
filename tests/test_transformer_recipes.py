"""The transformer recipes (mean pooling + fine-tuning, SetFit-style) on tiny data, and the saved folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stance.config import TrainConfig
from stance.models import build_model, load_model, save_model
from stance.models.base import make_metadata
from stance_fixture import TARGETS, fixture_rows

os.environ.setdefault("HF_HUB_OFFLINE", "1")
STANCE = ["None", "Favor", "Against"]
TINY = {"epochs": 1, "batch_size": 8, "max_length": 48, "freeze_layers": 4, "eval_every": 2, "progress": False}


def _rows(split: str) -> tuple[pd.DataFrame, np.ndarray]:
    rows = [r for r in fixture_rows() if r["split"] == split]
    X = pd.DataFrame({"text": [r["text"] for r in rows], "target": [r["target_text"] for r in rows]})
    return X, np.array([STANCE[r["stance"]] for r in rows], dtype=object)


def _save(model, tmp_path: Path) -> Path:
    meta = make_metadata(kind="transformer", task="joint", labels=STANCE, config=TrainConfig(model="transformer").to_dict(),
                         fingerprint="sha256:test", targets=TARGETS, schema_version="1")
    save_model(model, tmp_path / "model", meta)
    return tmp_path / "model"


@pytest.mark.slow
def test_finetune_recipe_steps_saves_a_sentence_transformers_folder(tmp_path: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    X, y = _rows("train")
    Xv, yv = _rows("validation")
    clf = build_model(TrainConfig(model="transformer").replace(params={**TINY, "max_steps": 3}))
    clf.fit(X, y, validation=(Xv, yv))
    log = clf.training_log_
    assert log["recipe"] == "finetune" and log["pooling"] == "mean"
    assert log["steps"] == 3 and len(log["evaluations"]) == 2 and log["best_val_macro_f1"] is not None
    proba = clf.predict_proba(Xv)
    assert proba.shape == (len(Xv), 3) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)

    folder = _save(clf, tmp_path)
    assert (folder / "modules.json").is_file() and (folder / "2_Dense").is_dir()
    model = load_model(folder)
    assert list(model.classes_) == list(clf.classes_)
    loaded = model.estimator
    assert np.allclose(loaded.predict_proba(Xv), proba, atol=1e-5)
    # a standard library loads it: sentence-transformers gives the logits of "target [SEP] statement"
    st = SentenceTransformer(str(folder), device="cpu")
    logits = st.encode([f"{Xv.target[0]} [SEP] {Xv.text[0]}"], convert_to_tensor=True)
    assert np.allclose(torch.softmax(logits, -1).numpy()[0], proba[0], atol=1e-4)

    # the frozen-layer cache gives the same pooled embeddings as the full encoder (float16 storage)
    cache: dict = {}
    cached = loaded._rows(list(Xv.target), list(Xv.text), cache)
    loaded.freeze_layers = 4
    cached = loaded._rows(list(Xv.target), list(Xv.text), cache)
    plain = loaded._rows(list(Xv.target), list(Xv.text), None)
    with torch.inference_mode():
        a = loaded._embed(range(len(Xv)), cached)
        b = loaded._embed(range(len(Xv)), plain)
    assert torch.allclose(a, b, atol=3e-3)


@pytest.mark.slow
def test_setfit_recipe_trains_the_encoder_then_a_logistic_head(tmp_path: Path) -> None:
    import torch

    X, y = _rows("train")
    Xv, yv = _rows("validation")
    clf = build_model(TrainConfig(model="transformer").replace(params={**TINY, "recipe": "setfit", "setfit_steps": 3}))
    clf.fit(X, y, validation=(Xv, yv))
    log = clf.training_log_
    assert log["recipe"] == "setfit" and log["contrastive"]["steps"] == 3
    assert log["best_val_macro_f1"] is not None
    # the head is the logistic regression fitted on the pooled embeddings: it reproduces its decisions
    emb = clf._all_embeddings(clf._rows(list(X.target), list(X.text), None))
    with torch.inference_mode():
        head_pred = clf.model_.head(torch.from_numpy(emb)).argmax(-1).numpy()
    assert (clf.classes_[head_pred] == clf.predict(X)).all()
    folder = _save(clf, tmp_path)
    assert np.allclose(load_model(folder).predict_proba(Xv), clf.predict_proba(Xv), atol=1e-5)


def test_unknown_recipe_is_refused() -> None:
    from stance.errors import StanceError

    with pytest.raises(StanceError, match="recipe"):
        TrainConfig(model="transformer").replace(params={"recipe": "distil"})


def test_holdout_split_keeps_statements_whole_and_every_label_in_train() -> None:
    from stance.models.transformer import holdout_split

    X, y = _rows("train")
    texts = X.text.tolist()
    keep, held = holdout_split(texts, y, 0.2, seed=3, min_rows=20)
    assert len(keep) + len(held) == len(y) and 0 < len(held) < len(y) / 2
    assert {texts[i] for i in keep}.isdisjoint({texts[i] for i in held})
    assert set(y[keep]) == set(y)
    assert holdout_split(texts, y, 0.0) is None
    assert holdout_split(texts, y, 0.2) is None  # fewer than 40 rows: too few to hold any out


@pytest.mark.slow
def test_finetune_without_validation_rows_holds_out_part_of_train() -> None:
    X, y = _rows("train")
    again = X.assign(text=X.text + " That is what we heard again today.")
    X, y = pd.concat([X, again], ignore_index=True), np.concatenate([y, y])
    clf = build_model(TrainConfig(model="transformer").replace(params={**TINY, "max_steps": 2, "validation_fraction": 0.2}))
    clf.fit(X, y)
    log = clf.training_log_
    assert "held out for early stopping" in log["validation"]
    assert log["evaluations"] and log["best_val_macro_f1"] is not None
    off = build_model(TrainConfig(model="transformer").replace(params={**TINY, "max_steps": 2, "validation_fraction": 0}))
    off.fit(X, y)
    assert "validation" not in off.training_log_ and not off.training_log_.get("evaluations")


@pytest.mark.slow
def test_learning_rates_are_chosen_on_validation_macro_f1() -> None:
    X, y = _rows("train")
    Xv, yv = _rows("validation")
    rates = (3e-4, 1e-6)  # the better one first: keeping the last model would fail below
    clf = build_model(TrainConfig(model="transformer").replace(params={**TINY, "max_steps": 3, "learning_rates": rates}))
    clf.fit(X, y, validation=(Xv, yv))
    log = clf.training_log_
    grid = log["learning_rate_grid"]
    assert [t["learning_rate"] for t in grid] == list(rates) and all(t["steps"] == 3 for t in grid)
    best = max(grid, key=lambda t: t["best_val_macro_f1"])
    assert log["learning_rate"] == best["learning_rate"] and log["best_val_macro_f1"] == best["best_val_macro_f1"]
    assert clf._val_f1(*clf._validation_rows((Xv, yv), None)) == pytest.approx(best["best_val_macro_f1"], abs=1e-4)
    # each rate starts from the same model: one rate alone gives the grid's figure for it
    alone = build_model(TrainConfig(model="transformer").replace(params={**TINY, "max_steps": 3, "learning_rate": rates[1]}))
    alone.fit(X, y, validation=(Xv, yv))
    assert alone.training_log_["best_val_macro_f1"] == pytest.approx(grid[1]["best_val_macro_f1"], abs=1e-4)
    assert grid[0]["best_val_macro_f1"] != grid[1]["best_val_macro_f1"]  # the fixture tells the two apart


def test_learning_rates_config_is_checked() -> None:
    from stance.config import config_from_dict
    from stance.errors import StanceError

    cfg = config_from_dict({"model": "transformer", "params": {"learning_rates": ["2e-5", 5.0e-5]}})
    assert cfg.params.learning_rates == (2e-5, 5e-5)
    with pytest.raises(StanceError, match="params.learning_rates .* should be a list of numbers"):
        config_from_dict({"model": "transformer", "params": {"learning_rates": 5e-5}})
    with pytest.raises(StanceError, match="out of range"):
        config_from_dict({"model": "transformer", "params": {"learning_rates": [0, 1e-5]}})
    with pytest.raises(StanceError, match="only used by the finetune recipe"):
        config_from_dict({"model": "transformer", "params": {"recipe": "setfit", "learning_rates": [1e-5, 2e-5]}})
