"""Active-learning selection on small hand-made pools: the strategies pick what they should."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from stance.errors import StanceError
from stance.select import informativeness, select, select_statements, statement_ids_of_keys

# Six statements' probabilities over (None, Favor, Against), written by hand:
# row 1 is a coin toss between two labels, row 3 is flat over three, rows 0/5 are sure.
POOL = np.array([
    [0.96, 0.02, 0.02],   # 0 sure
    [0.48, 0.50, 0.02],   # 1 tiny margin, low entropy-ish
    [0.70, 0.20, 0.10],   # 2 fairly sure
    [0.34, 0.33, 0.33],   # 3 flat: least confident, highest entropy
    [0.55, 0.05, 0.40],   # 4 medium
    [0.01, 0.98, 0.01],   # 5 sure
])


def test_uncertainty_picks_the_least_confident_first() -> None:
    assert select(POOL, 3, strategy="uncertainty") == [3, 1, 4]


def test_margin_picks_the_closest_call_first() -> None:
    # margins: 0.94, 0.02, 0.50, 0.01, 0.15, 0.97
    assert select(POOL, 3, strategy="margin") == [3, 1, 4]
    assert select(POOL[[0, 1, 2]], 1, strategy="margin") == [1]


def test_entropy_ranks_the_flat_row_first_and_sure_rows_last() -> None:
    order = select(POOL, 6, strategy="entropy")
    assert order[0] == 3
    assert set(order[-2:]) == {0, 5}
    assert informativeness([[1.0, 0.0]], "entropy")[0] == pytest.approx(0.0)


def test_margin_and_uncertainty_disagree_where_they_should() -> None:
    # a two-way tie with a third class left over: small margin, yet not the least confident
    pool = np.array([[0.45, 0.45, 0.10], [0.40, 0.30, 0.30]])
    assert select(pool, 1, strategy="margin") == [0]
    assert select(pool, 1, strategy="uncertainty") == [1]


def test_excluded_rows_are_never_picked_and_rounds_do_not_repeat() -> None:
    labelled: list[int] = []
    for _ in range(3):
        picked = select(POOL, 2, strategy="margin", exclude=labelled)
        assert not set(picked) & set(labelled)
        labelled += picked
    assert sorted(labelled) == list(range(6))
    assert select(POOL, 2, strategy="margin", exclude=labelled) == []


def test_random_is_seeded_and_respects_exclusions() -> None:
    a = select(POOL, 3, strategy="random", seed=1, exclude=[3])
    assert a == select(POOL, 3, strategy="random", seed=1, exclude=[3])
    assert 3 not in a and len(set(a)) == 3


def test_diverse_spreads_the_batch_over_clusters() -> None:
    # 20 near-duplicates of one sentence that are all uncertain, and 4 distinct uncertain rows.
    rng = np.random.default_rng(0)
    dup = np.tile([1.0, 0.0, 0.0], (20, 1)) + rng.normal(0, 0.01, (20, 3))
    others = np.eye(3)[[1, 2, 1, 2]] * 1.0 + np.array([[0, 0, 0.0], [0, 0, 0], [0.5, 0, 0], [0.5, 0, 0]])
    emb = np.vstack([dup, others])
    proba = np.vstack([np.tile([0.50, 0.49, 0.01], (20, 1)), np.tile([0.52, 0.46, 0.02], (4, 1))])
    by_margin = select(proba, 4, strategy="margin")
    assert all(i < 20 for i in by_margin)  # margin alone fills the batch with near-duplicates
    diverse = select(proba, 4, strategy="diverse", embeddings=emb)
    assert len(set(diverse)) == 4
    assert sum(i < 20 for i in diverse) == 1  # one of the duplicates, three distinct rows


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(StanceError, match="unknown selection strategy"):
        select(POOL, 2, strategy="confidence")
    with pytest.raises(StanceError, match="needs embeddings"):
        select(POOL, 2, strategy="diverse")
    with pytest.raises(StanceError, match="probability matrix"):
        select([0.5, 0.5], 1)


class _Keyword:
    """A tiny real predictor: unsure about statements mentioning 'maybe', sure otherwise."""

    classes_ = ["None", "Favor", "Against"]

    def predict_proba(self, X: list[dict[str, Any]]) -> np.ndarray:
        return np.array([[0.4, 0.35, 0.25] if "maybe" in r["text"] else [0.9, 0.05, 0.05] for r in X])


def test_select_statements_skips_pushed_ones_and_scores_each_statement_by_its_worst_target() -> None:
    rows = [{"id": f"doc:{i}", "text": t} for i, t in enumerate([
        "The islands belong to Russia.", "Maybe talks resume next year, maybe not.",
        "Tokyo will maybe reconsider the treaty.", "Moscow rejected the proposal."])]
    pushed = statement_ids_of_keys(["doc:1|kuril_sovereignty"])
    chosen = select_statements(rows, _Keyword(), 2, target_names=["Kuril sovereignty", "1956 treaty"],
                               strategy="uncertainty", exclude_ids=pushed)
    assert [r["id"] for r in chosen][0] == "doc:2"
    assert "doc:1" not in [r["id"] for r in chosen]
