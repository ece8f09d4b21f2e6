"""Adjudication: conflicting items → Label Studio review tasks, and the review's answers merged back.

:func:`disagreement_tasks` turns the items annotators disagree on into review tasks (the original
task data plus every annotator's answer); :func:`review_config` is their labeling config, made by
:func:`stance.schema.labeling_config`; :func:`merge_adjudication` adds the review's answers to the
original export as ground truth, which then overrides the vote in :func:`stance.dataset.build_dataset`.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from stance.errors import StanceError
from stance.export import PAIR, Annotation, LabelExport, Task, answers_by_target
from stance.schema import labeling_config

__all__ = ["disagreement_tasks", "review_config", "merge_adjudication"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


def _answers_text(task: Task, mode: str) -> str:
    lines = []
    for a in task.valid:
        if mode == PAIR:
            lines.append(f"{a.annotator}: role {a.role or '-'}, stance {a.stance or '-'}")
            continue
        stances = ", ".join(f"{t} {a.stances.get(t, '-')}" for t in a.targets) or "no target"
        spans = "; ".join(f'{s.label} "{s.text}"' for s in a.spans) or "no spans"
        lines.append(f"{a.annotator}: {stances} | spans: {spans}")
    return "\n".join(lines)


def _conflicts(task: Task, mode: str) -> list[str]:
    """What the voting annotators of a task disagree on (empty when they agree or ground truth decides)."""
    valid = task.valid
    if len(valid) < 2 or any(a.ground_truth for a in valid):
        return []
    found = []
    for target, answers in answers_by_target(task, mode).items():
        for control, pos in (("role", 1), ("stance", 2)):
            if len({ans[pos] for ans in answers if ans[pos] is not None}) > 1:
                found.append(control if mode == PAIR else f"{control} {target}")
    if mode != PAIR and len({frozenset((s.label, s.start, s.end) for s in a.spans) for a in valid}) > 1:
        found.append("spans")
    return list(dict.fromkeys(found))


def disagreement_tasks(export: LabelExport) -> list[dict[str, Any]]:
    """Conflicting items as Label Studio tasks for an adjudication pass.

    An item conflicts when two or more voting annotators gave different role or stance labels
    (ties included) or, in discovery mode, marked different spans, and no ground-truth
    annotation decides it. Each review task keeps the original task data (so its ``task_key``
    matches) and adds ``review_answers`` (one line per annotator), ``review_conflicts`` (what
    differs), ``review_of_task`` (the original task id) and ``review_annotators``.

    Args:
        export: A parsed export (read with ``full_data=True`` to keep the context fields).

    Returns:
        Tasks in Label Studio's import format (``[{"data": {...}}, ...]``), one per conflicting task.

    Example:
        >>> tasks = disagreement_tasks(export)
        >>> tasks[0]["data"]["review_answers"].splitlines()[0]
        'anna@example.org: role Claim, stance Favor'
    """
    out = []
    for task in export.tasks:
        conflicts = _conflicts(task, export.mode)
        if not conflicts:
            continue
        data = {**task.data, "review_answers": _answers_text(task, export.mode),
                "review_conflicts": ", ".join(conflicts), "review_of_task": task.task_id,
                "review_annotators": sorted(a.annotator for a in task.valid)}
        out.append({"data": data})
    return out


def review_config(schema: Any, mode: str) -> str:
    """The labeling config for the review project: the usual config plus every annotator's answers.

    Example:
        >>> "$review_answers" in review_config(load_schema("seeds/schema.yaml"), "pair")  # doctest: +SKIP
        True
    """
    return labeling_config(schema, mode, review=True)


def merge_adjudication(export: LabelExport, review: LabelExport) -> LabelExport:
    """Add the answers of an adjudication pass as ground truth, matched by ``task_key``.

    Args:
        export: The original export.
        review: The export of the review project (``stance disagreements`` tasks, annotated).

    Returns:
        A new :class:`LabelExport` whose tasks carry the review's voting answers with
        ``ground_truth=True`` (so they override the vote).

    Example:
        >>> merged = merge_adjudication(read_export("export.json", s), read_export("review_export.json", s))
    """
    if review.mode != export.mode:
        raise StanceError(
            f"{review.path} is a {review.mode}-mode export but {export.path} is {export.mode}-mode",
            hint="give the export of the review project made from this export",
        )
    by_key: dict[str, list[Annotation]] = {}
    for t in review.tasks:
        key = t.data.get("task_key")
        if key and t.valid:
            by_key.setdefault(str(key), []).extend(dataclasses.replace(a, ground_truth=True) for a in t.valid)
    tasks = []
    used = 0
    for t in export.tasks:
        extra = by_key.get(str(t.data.get("task_key")))
        if extra:
            used += 1
            t = dataclasses.replace(t, annotations=[*t.annotations, *extra])
        tasks.append(t)
    if by_key and not used:
        raise StanceError(
            f"none of the {len(by_key)} adjudicated task(s) in {review.path} matches a task of {export.path} by task_key",
            hint="give the review export made from this export by `stance disagreements`",
        )
    counts = dict(export.counts)
    counts["adjudicated"] = used
    return dataclasses.replace(export, tasks=tasks, counts=counts)
