"""Scoring one chunk of rows: pairing statements with targets, one or two models, output records.

Two-stage mode runs the role model first and the stance model only on pairs it marks as
position-taking (Claim or Premise); the others get ``stance: None`` and ``stage: "role"``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stance._util import gc_paused
from stance.errors import StanceError
from stance.models import StanceModel
from stance.predict.loading import POSITION_ROLES

__all__ = ["UnknownTarget", "predict_rows", "resolve_target"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

_ID_LIKE = re.compile(r"^[\w.:-]+$")


class UnknownTarget(StanceError):
    """A target id the model was not trained on (a bad row under ``--on-error skip``)."""


def resolve_target(value: Any, model: StanceModel, where: str, cache: dict[str, str],
                   unseen: set[str] | None = None) -> str:
    """The target text for a target id or text.

    An id the model does not know is an error; a free text (it has spaces) that is not one
    of the model's targets is scored as given and added to ``unseen`` (never seen in training).

    Raises:
        UnknownTarget: for an unknown target id of a model with a target list.
    """
    key = str(value)
    hit = cache.get(key)
    if hit is not None:
        return hit
    targets = model.targets
    if key in targets:
        text = targets[key]
    elif key in targets.values() or not targets:
        text = key
    elif not _ID_LIKE.match(key):
        text = key
        if unseen is not None:
            unseen.add(key)
    else:
        shown = ", ".join(sorted(targets)[:20])
        raise UnknownTarget(
            f"{where}: target {key!r} is unknown to model {model.path} (it was trained on {len(targets)} target(s): {shown})",
            hint="use one of those target ids, give the target as text to score it zero-shot, "
                 "or train a model that includes this target",
        )
    cache[key] = text
    return text


@dataclass
class _Pairs:
    """Statement-target pairs of one chunk: source row, target id (None: the row's own), texts."""

    src: list[int] = field(default_factory=list)
    target: list[str | None] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    target_text: list[str] = field(default_factory=list)


def _make_pairs(rows: Sequence[dict[str, Any]], stance_model: StanceModel, role_model: StanceModel | None, *,
                targets: Sequence[str] | None, target_field: str | None, text_field: str,
                wheres: Sequence[str]) -> _Pairs:
    pairs = _Pairs()
    cache: dict[str, str] = {}
    if target_field is not None:
        for i, row in enumerate(rows):
            value = row.get(target_field)
            text = resolve_target(value, stance_model, wheres[i], cache)
            if role_model is not None:
                resolve_target(value, role_model, wheres[i], {})
            pairs.src.append(i)
            pairs.target.append(None)
            pairs.text.append(row[text_field])
            pairs.target_text.append(text)
        return pairs
    chosen = list(targets) if targets is not None else list(stance_model.targets)
    resolved = [resolve_target(t, stance_model, "--targets", cache) for t in chosen]
    if role_model is not None:
        for t in chosen:
            resolve_target(t, role_model, "--targets", {})
    for i, row in enumerate(rows):
        for t, text in zip(chosen, resolved):
            pairs.src.append(i)
            pairs.target.append(t)
            pairs.text.append(row[text_field])
            pairs.target_text.append(text)
    return pairs


def _proba(model: StanceModel, texts: Sequence[str], targets: Sequence[str]) -> np.ndarray:
    """Probabilities ``(n, len(labels))`` for (statement, target text) pairs."""
    if not texts:
        return np.zeros((0, len(model.labels)), dtype=np.float32)
    import pandas as pd

    return model.predict_proba(pd.DataFrame({"text": list(texts), "target": list(targets)}))


@dataclass
class _Scores:
    """What the models said about a chunk's pairs."""

    stance_names: list[str]
    stance_probs: list[list[float]]
    slot: list[int]  # index into the stance lists per pair, -1 where the stance stage did not run
    role_names: list[str] | None = None
    role_probs: list[list[float]] | None = None


def _score(pairs: _Pairs, stance_model: StanceModel, role_model: StanceModel | None, two_stage: bool) -> _Scores:
    n = len(pairs.src)
    role_probs = _proba(role_model, pairs.text, pairs.target_text) if role_model is not None else None
    keep = np.ones(n, dtype=bool)
    if two_stage and role_probs is not None and n:
        keep_label = np.array([lab in POSITION_ROLES for lab in role_model.labels], dtype=bool)  # type: ignore[union-attr]
        keep = keep_label[role_probs.argmax(axis=1)]
    kept = np.flatnonzero(keep)
    if len(kept) == n:  # every pair goes to the stance model: no copies
        stance_probs = _proba(stance_model, pairs.text, pairs.target_text)
    else:
        idx = kept.tolist()
        stance_probs = _proba(stance_model, [pairs.text[j] for j in idx], [pairs.target_text[j] for j in idx])
    labels = stance_model.labels
    slot = np.full(n, -1, dtype=np.int64)
    slot[kept] = np.arange(len(kept))
    scores = _Scores(stance_names=[labels[a] for a in stance_probs.argmax(axis=1).tolist()] if len(kept) else [],
                     stance_probs=stance_probs.tolist(), slot=slot.tolist())
    if role_probs is not None:
        role_labels = role_model.labels  # type: ignore[union-attr]
        scores.role_names = [role_labels[a] for a in role_probs.argmax(axis=1).tolist()] if n else []
        scores.role_probs = role_probs.tolist()
    return scores


def _without_added(row: dict[str, Any], added: set[str]) -> dict[str, Any]:
    """The input row, with fields this run writes kept as ``input_<name>`` (e.g. gold labels)."""
    if added.isdisjoint(row):
        return row
    return {(f"input_{k}" if k in added else k): v for k, v in row.items()}


def _added_fields(target_field: str | None, role: bool, two_stage: bool) -> set[str]:
    added = {"stance", "stance_scores", "model_version"}
    if target_field is None:
        added.add("target")
    if role:
        added.update(("role", "role_scores", "role_model_version"))
    if two_stage:
        added.add("stage")
    return added


def _records(rows: Sequence[dict[str, Any]], pairs: _Pairs, scores: _Scores, stance_model: StanceModel,
             role_model: StanceModel | None, *, two_stage: bool, target_field: str | None) -> list[dict[str, Any]]:
    added = _added_fields(target_field, role_model is not None, two_stage)
    bases = [_without_added(row, added) for row in rows]
    labels, version = stance_model.labels, stance_model.model_version
    if scores.role_probs is None and not two_stage and target_field is None:
        # The common case, kept free of per-field branches: every pair scored by one model.
        targets, names, probs = pairs.target, scores.stance_names, scores.stance_probs
        return [{**bases[i], "target": targets[j], "stance": names[j],
                 "stance_scores": dict(zip(labels, probs[j])), "model_version": version}
                for j, i in enumerate(pairs.src)]
    role_labels = role_model.labels if role_model is not None else []
    out: list[dict[str, Any]] = []
    for j, i in enumerate(pairs.src):
        rec = dict(bases[i])
        if pairs.target[j] is not None:
            rec["target"] = pairs.target[j]
        k = scores.slot[j]
        rec["stance"] = scores.stance_names[k] if k >= 0 else None
        rec["stance_scores"] = dict(zip(labels, scores.stance_probs[k])) if k >= 0 else None
        if scores.role_probs is not None:
            rec["role"] = scores.role_names[j]  # type: ignore[index]
            rec["role_scores"] = dict(zip(role_labels, scores.role_probs[j]))
        if two_stage:
            rec["stage"] = "stance" if k >= 0 else "role"
        rec["model_version"] = version
        if role_model is not None:
            rec["role_model_version"] = role_model.model_version
        out.append(rec)
    return out


def predict_rows(
    rows: Sequence[dict[str, Any]],
    stance_model: StanceModel,
    *,
    role_model: StanceModel | None = None,
    two_stage: bool = False,
    targets: Sequence[str] | None = None,
    target_field: str | None = None,
    text_field: str = "text",
    wheres: Sequence[str] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Predict one chunk of good rows; the core of :func:`stance.predict.predict_file`, usable on its own.

    Args:
        rows: Statement records, each with a non-empty ``text_field``.
        stance_model: The stance (or joint) model.
        role_model: Optional role model.
        two_stage: Score stance only where the role model says Claim or Premise.
        targets: Target ids (or texts) to pair every row with.
        target_field: Field holding each row's target (id or text).
        text_field: Field holding the statement.
        wheres: Row locations for error messages (defaults to ``row N``).

    Returns:
        ``(output_rows, counts)`` with counts ``pairs``, ``role_kept``, ``stance_scored``.

    Example:
        >>> out, counts = predict_rows([{"text": "Give the islands back."}], model, targets=["kurils"])
        >>> out[0]["stance"]
        'Against'
    """
    if two_stage and role_model is None:
        raise StanceError("two-stage mode needs a role model", hint="pass --role-model DIR or a two-stage model folder")
    wheres = wheres if wheres is not None else [f"row {i + 1}" for i in range(len(rows))]
    with gc_paused():  # nothing here makes reference cycles
        pairs = _make_pairs(rows, stance_model, role_model, targets=targets, target_field=target_field,
                            text_field=text_field, wheres=wheres)
        scores = _score(pairs, stance_model, role_model, two_stage)
        out = _records(rows, pairs, scores, stance_model, role_model, two_stage=two_stage, target_field=target_field)
    kept = len(scores.stance_probs)
    return out, {"pairs": len(pairs.src), "role_kept": kept if two_stage else 0, "stance_scored": kept}
