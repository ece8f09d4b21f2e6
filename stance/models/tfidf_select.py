"""Choosing the TF-IDF model's settings on validation rows (or by cross-validation inside train).

A small grid, scored by macro-F1: character n-grams off / on and the regularisation ``C``; the
class weighting is the configured one (``balanced`` by default: what macro-F1 rewards). The feature matrices are built once per feature setting and shared by every
linear fit of that setting, so the grid costs two vectorisations and a dozen linear fits.
Only validation rows (or held-out folds of the training rows) are scored; test rows never are.
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

import numpy as np

from stance.models.base import as_frame_columns

__all__ = ["GRID", "DEFAULT_CHAR_NGRAMS", "select_settings"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: Character n-gram range tried when the configuration has none.
DEFAULT_CHAR_NGRAMS = (2, 5)
#: Values tried for each setting (``char_ngrams`` is "off" and the configured or default range).
GRID: dict[str, tuple[Any, ...]] = {"C": (0.5, 2.0, 8.0)}


def _macro_f1(gold: np.ndarray, pred: np.ndarray, labels: list[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0))


def _splits(est: Any, rows: Any, labels: np.ndarray, validation: tuple[Any, Any] | None) -> tuple[str, list]:
    """``(how, [(train_rows, train_y, eval_rows, eval_y), ...])``: the validation split, or 3 folds of train."""
    import pandas as pd
    from sklearn.model_selection import StratifiedKFold

    if validation is not None:
        v_texts, v_targets = as_frame_columns(validation[0])
        v_y = np.asarray([str(v) for v in validation[1]], dtype=object)
        keep = np.isin(v_y, np.unique(labels))
        if keep.sum() >= 2:
            v_rows = pd.DataFrame({"text": v_texts, "target": v_targets})[keep].reset_index(drop=True)
            return f"validation split ({int(keep.sum())} rows)", [(rows, labels, v_rows, v_y[keep])]
    _, counts = np.unique(labels, return_counts=True)
    folds = int(min(3, counts.min()))
    if folds < 2:
        return "none (too few rows of the rarest class)", []
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=est.random_state)
    parts = [(rows.iloc[a].reset_index(drop=True), labels[a], rows.iloc[b].reset_index(drop=True), labels[b])
             for a, b in cv.split(np.zeros(len(labels)), labels)]
    return f"{folds}-fold cross-validation inside train ({len(labels)} rows)", parts


def select_settings(est: Any, rows: Any, labels: np.ndarray,
                    validation: tuple[Any, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Score the grid and return ``(chosen settings, log)``.

    Args:
        est: The :class:`~stance.models.tfidf.TfidfStanceClassifier` (its other settings are kept).
        rows: Training rows (DataFrame with ``text`` and ``target``).
        labels: Training labels.
        validation: ``(X_val, y_val)`` or ``None`` (then cross-validation inside train).

    Returns:
        The chosen ``char_ngrams``, ``C`` (and the configured ``class_weight``), and a log with every score.

    Example:
        >>> chosen, log = select_settings(TfidfStanceClassifier(), rows, labels, None)
        >>> sorted(chosen)
        ['C', 'char_ngrams', 'class_weight']
    """
    started = time.perf_counter()
    how, parts = _splits(est, rows, labels, validation)
    char_options = (None, tuple(est.char_ngrams) if est.char_ngrams else DEFAULT_CHAR_NGRAMS)
    names = sorted(set(labels))
    scores: dict[tuple, list[float]] = {}
    fitted: dict[tuple, tuple[Any, Any]] = {}
    weight = est.class_weight
    for train_rows, train_y, eval_rows, eval_y in parts:
        for char in char_options:
            feats = est._features(char_ngrams=char).fit(train_rows, train_y)
            Xt, Xe = feats.transform(train_rows), feats.transform(eval_rows)
            linear = est._linear().set_params(warm_start=True)  # each C starts from the previous solution
            for C in GRID["C"]:
                linear.set_params(C=C).fit(Xt, train_y)
                scores.setdefault((char, C, weight), []).append(_macro_f1(eval_y, linear.predict(Xe), names))
                if validation is not None and len(parts) == 1:
                    fitted[(char, C, weight)] = (feats, copy.deepcopy(linear).set_params(warm_start=False))
    table = [{"char_ngrams": list(k[0]) if k[0] else None, "C": k[1], "class_weight": k[2],
              "macro_f1": round(float(np.mean(v)), 4)} for k, v in scores.items()]
    if not table:
        chosen = {"char_ngrams": est.char_ngrams, "C": est.C, "class_weight": est.class_weight}
    else:
        best = max(table, key=lambda r: r["macro_f1"])  # ties: the first, i.e. the simpler features
        chosen = {"char_ngrams": tuple(best["char_ngrams"]) if best["char_ngrams"] else None, "C": best["C"],
                  "class_weight": best["class_weight"]}
    log = {"selection": "grid", "selected_on": how, "metric": "macro-F1", "grid": table,
           "chosen": {k: (list(v) if isinstance(v, tuple) else v) for k, v in chosen.items()},
           "selection_seconds": round(time.perf_counter() - started, 1)}
    logger.info("tfidf settings chosen on %s: %s", how, log["chosen"])
    key = (chosen["char_ngrams"], chosen["C"], chosen["class_weight"])
    if key in fitted:  # fitted on exactly the training rows: the caller may reuse it instead of refitting
        log["_fitted"] = fitted[key]
    return chosen, log
