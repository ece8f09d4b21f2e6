"""Voting: the answers of several annotators → one label per control (DESIGN.md section 3).

:func:`aggregate` turns each (statement, target) into one row: labels by majority vote per
control, a ground-truth annotation overriding the vote, ties flagged and never resolved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from stance.errors import StanceError
from stance.export import DISCOVERY, Annotation, LabelExport, Task, answers_by_target, format_ids, statement_key
from stance.dataset.splits import SPLIT_ALIASES

# Columns a dataset has only when its tasks carry them: ``holder_id`` (one id per holder across
# documents) and ``speaker`` (a transcript turn's speaker), which statement files written before
# issue 13 lack. A row whose task lacks one holds null there.
OPTIONAL_COLUMNS = ("holder_id", "speaker")

__all__ = ["OPTIONAL_COLUMNS", "label_names", "vote", "aggregate"]


def label_names(values: Sequence[str]) -> list[str]:
    """ClassLabel names: ``"None"`` first, then the schema's other values in schema order.

    Example:
        >>> label_names(["Claim", "Premise", "None"])
        ['None', 'Claim', 'Premise']
    """
    return (["None"] if "None" in values else []) + [v for v in values if v != "None"]


def vote(values: Sequence[str | None]) -> tuple[str | None, bool]:
    """Majority label of the given values (``None`` values are not votes).

    Returns:
        ``(label, tie)``: the label with the most votes, or ``(None, True)`` when two or more
        labels share the top count, or ``(None, False)`` when there is no vote.

    Example:
        >>> vote(["Favor", "Favor", "Against"])
        ('Favor', False)
        >>> vote(["Favor", "Against"])
        (None, True)
    """
    counts: dict[str, int] = {}
    for v in values:
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    if len(counts) <= 1:
        return (next(iter(counts)) if counts else None), False
    first, second = sorted(counts.values(), reverse=True)[:2]
    if first == second:
        return None, True
    return max(counts, key=counts.__getitem__), False


def _decide(answers: list[tuple[Annotation, str | None, str | None]], pos: int) -> tuple[str | None, bool, bool]:
    """(label, tie, from ground truth) for one control."""
    gt = [ans[pos] for ans in answers if ans[0].ground_truth and ans[pos] is not None]
    if gt:
        label, tie = vote(gt)
        return label, tie, True
    label, tie = vote([ans[pos] for ans in answers])
    return label, tie, False


def aggregate(export: LabelExport, schema: Any) -> tuple[list[dict[str, Any]], Counter[str]]:
    """One row per labelled (statement, target), with aggregated labels and the raw answers.

    Args:
        export: A parsed export (:func:`stance.export.read_export`).
        schema: The label schema (for label names and target names).

    Returns:
        ``(rows, counts)``. Each row has the DESIGN.md section 3 columns (labels as ClassLabel
        indices, -1 where unlabelled or tied; ties are flagged here and placed by
        :func:`stance.dataset.assign_splits`) plus ``_split`` (the split given in the task data,
        or None). ``counts`` has ``rows``, ``tied_rows``, ``ground_truth_rows``,
        ``no_valid_annotation`` (tasks whose every answer was skipped, cancelled or empty).

    Example:
        >>> rows, counts = aggregate(export, schema)  # doctest: +SKIP
        >>> rows[0]["annotations"][0]["annotator"]  # doctest: +SKIP
        'anna@example.org'
    """
    index = {"role": {r: i for i, r in enumerate(label_names(schema.roles))},
             "stance": {s: i for i, s in enumerate(label_names(schema.stances))},
             "names": {t.id: t.name for t in schema.targets}}
    counts: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    bad_split: list[int] = []
    for task in export.tasks:
        by_target = answers_by_target(task, export.mode)
        if not by_target:
            counts["no_valid_annotation"] += 1
            continue
        split = _given_split(task, bad_split)
        for target, answers in by_target.items():
            row = _row(task, target, answers, split, index, export.mode)
            counts["rows"] += 1
            counts["tied_rows"] += row["tie"]
            counts["ground_truth_rows"] += row["ground_truth"]
            rows.append(row)
    if bad_split:
        raise StanceError(
            f"{export.path}: task(s) {format_ids(bad_split)} have a 'split' that is not train, validation or test",
            hint="fix the 'split' field in the task data, or remove it to let `stance dataset` split by document",
        )
    if not rows:
        raise StanceError(
            f"{export.path}: no labelled item remains after leaving out skipped, cancelled and empty annotations "
            f"({export.counts.get('skipped', 0)} skipped, {export.counts.get('cancelled', 0)} cancelled, "
            f"{export.counts.get('empty', 0)} empty, {export.counts.get('unannotated', 0)} unannotated tasks)",
            hint="label some tasks in Label Studio and export again",
        )
    return rows, counts


def _given_split(task: Task, bad: list[int]) -> str | None:
    """The split named in the task data (None when none; a bad name is recorded in ``bad``)."""
    split = task.data.get("split")
    if split is None or split == "":
        return None
    known = SPLIT_ALIASES.get(str(split).strip().lower())
    if known is None:
        bad.append(task.task_id)
    return known


def _row(task: Task, target: str, answers: list[tuple[Annotation, str | None, str | None]], split: str | None,
         index: dict[str, dict[str, Any]], mode: str) -> dict[str, Any]:
    """The dataset row of one (statement, target) and its voting answers."""
    data = task.data
    sid = statement_key(data)
    role, role_tie, role_gt = _decide(answers, 1)
    stance, stance_tie, stance_gt = _decide(answers, 2)
    row: dict[str, Any] = {
        "id": f"{sid}|{target}",
        "task_id": task.task_id,
        "statement_id": sid,
        "doc_id": str(data.get("doc_id") or sid),
        "text": data["text"],
        "target": target,
        "target_text": index["names"].get(target) or str(data.get("target_name") or target),
        "holder": str(data.get("holder") or ""),
        "holder_type": str(data.get("holder_type") or ""),
        "genre": str(data.get("genre") or ""),
        "role": index["role"][role] if role is not None else -1,
        "stance": index["stance"][stance] if stance is not None else -1,
        "annotations": [
            {"annotator": a.annotator, "role": r, "stance": s, "lead_time": a.lead_time, "updated_at": a.updated_at}
            for a, r, s in answers
        ],
        "n_annotators": len(answers),
        "tie": role_tie or stance_tie,
        "ground_truth": role_gt or stance_gt,
        "_split": split,
    }
    for column in OPTIONAL_COLUMNS:  # tasks built from statement files that have these fields (issue 13)
        if data.get(column) is not None:
            row[column] = str(data[column])
    if mode == DISCOVERY:
        row["spans"] = [
            {"annotator": a.annotator, "span_id": sp.id, "label": sp.label, "text": sp.text,
             "start": sp.start, "end": sp.end, "doc_start": sp.doc_start, "doc_end": sp.doc_end}
            for a, _, _ in answers for sp in a.spans
        ]
        row["relations"] = [
            {"annotator": a.annotator, "from_span": rel.from_span, "to_span": rel.to_span, "type": rel.type}
            for a, _, _ in answers for rel in a.relations
        ]
    return row
