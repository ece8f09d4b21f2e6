"""Train/validation/test splits by whole documents, and the options of a dataset build.

:func:`assign_splits` puts whole documents into train/validation/test, stratified by stance as
far as the grouping allows, deterministic for a seed, honouring a ``split`` in the task data.
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from stance.errors import StanceError

__all__ = ["SPLITS", "TIES", "SPLIT_ALIASES", "DatasetOptions", "assign_splits"]

SPLITS = ("train", "validation", "test")
TIES = "ties"
#: Split names a task's data may give, and the split each means.
SPLIT_ALIASES = {"train": "train", "validation": "validation", "valid": "validation", "val": "validation",
                 "dev": "validation", "test": "test"}


@dataclass(frozen=True)
class DatasetOptions:
    """How to aggregate and split.

    Attributes:
        ties: ``"exclude"`` puts tied rows in a ``ties`` split; ``"keep"`` leaves them in the
            train/validation/test splits with the tied control unlabelled (-1).
        seed: Seed for the document-grouped split.
        test_size: Share of rows (by whole documents) for the test split.
        val_size: Share of rows (by whole documents) for the validation split.
    """

    ties: str = "exclude"
    seed: int = 13
    test_size: float = 0.1
    val_size: float = 0.1

    def __post_init__(self) -> None:
        if self.ties not in ("exclude", "keep"):
            raise StanceError(f"ties={self.ties!r} is not an option", hint="use --ties exclude or --ties keep")
        for name in ("test_size", "val_size"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise StanceError(f"{name}={v} must be at least 0 and below 1", hint="e.g. --test-size 0.1")
        if self.test_size + self.val_size >= 1.0:
            raise StanceError(
                f"test_size + val_size = {self.test_size + self.val_size} leaves nothing to train on",
                hint="keep their sum below 1, e.g. 0.1 and 0.1",
            )


def _group_fold(idx: list[int], groups: list[str], y: list[int], fraction: float, seed: int) -> set[int]:
    """Indices (into ``idx``) of one held-out fold of whole groups, about ``fraction`` of the rows."""
    if fraction <= 0 or not idx:
        return set()
    uniq = sorted(set(groups))
    n_splits = max(2, int(round(1.0 / fraction)))
    if len(uniq) >= n_splits and len(uniq) >= 2:
        from sklearn.model_selection import StratifiedGroupKFold

        splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        target = fraction * len(idx)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "least populated class has fewer members than n_splits"
            folds = [set(test.tolist()) for _, test in splitter.split(np.zeros(len(idx)), y, groups)]
        return min(folds, key=lambda f: (abs(len(f) - target), sorted(f)[:1]))
    # Too few documents for k folds: take whole documents in a seeded order.
    rng = np.random.default_rng(seed)
    order = [uniq[i] for i in rng.permutation(len(uniq))]
    k = int(round(fraction * len(uniq)))
    if k == 0 and len(uniq) >= 3:
        k = 1
    chosen = set(order[:k])
    return {i for i, g in enumerate(groups) if g in chosen}


def assign_splits(rows: list[dict[str, Any]], options: DatasetOptions) -> dict[str, list[dict[str, Any]]]:
    """Put rows into train/validation/test (and ``ties``) without splitting any document.

    A ``split`` given in the task data is honoured as given; other rows of a document with a given
    split follow it. The rest are split by whole documents with scikit-learn's
    ``StratifiedGroupKFold`` (stratified by stance), seeded by ``options.seed``.

    Args:
        rows: Rows from :func:`aggregate` (in any order).
        options: Seed, sizes and the tie policy.

    Returns:
        ``{split: rows}`` for ``train``, ``validation``, ``test`` (and ``ties`` when ties are excluded).

    Example:
        >>> splits = assign_splits(rows, DatasetOptions(seed=1))
        >>> sorted(splits)
        ['test', 'ties', 'train', 'validation']
    """
    rows = sorted(rows, key=lambda r: r["id"])  # the split must not depend on the export's order
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    if options.ties == "exclude":
        out[TIES] = []
    doc_given: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        if r["_split"]:
            doc_given[r["doc_id"]][r["_split"]] += 1
    free: list[dict[str, Any]] = []
    for r in rows:
        if options.ties == "exclude" and r["tie"]:
            out[TIES].append(r)
        elif r["_split"]:
            out[r["_split"]].append(r)
        elif r["doc_id"] in doc_given:
            out[doc_given[r["doc_id"]].most_common(1)[0][0]].append(r)
        else:
            free.append(r)
    # Tied rows of a document follow its other rows' split only for bookkeeping; they never train.
    groups = [r["doc_id"] for r in free]
    y = [r["stance"] for r in free]
    test = _group_fold(list(range(len(free))), groups, y, options.test_size, options.seed)
    rest = [i for i in range(len(free)) if i not in test]
    val_fraction = options.val_size / (1.0 - options.test_size) if options.test_size < 1 else 0.0
    val_local = _group_fold(rest, [groups[i] for i in rest], [y[i] for i in rest], val_fraction, options.seed)
    val = {rest[i] for i in val_local}
    for i, r in enumerate(free):
        out["test" if i in test else "validation" if i in val else "train"].append(r)
    return out
