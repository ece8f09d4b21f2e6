"""Where a Label Studio JSON export becomes a validated :class:`~stance.export.records.LabelExport`.

:func:`read_export` streams the tasks (:mod:`stance.export.stream`), decodes every annotation
against the label schema (:mod:`stance.export.decode`) and runs the one validation pass
(:mod:`stance.export.validate`) that ``stance dataset`` and ``stance agreement`` share.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance._util import gc_paused
from stance.errors import StanceError
from stance.export.decode import SchemaLabels, decode_annotation, labels_of
from stance.export.records import DATA_FIELDS, DISCOVERY, OK, PAIR, Annotation, LabelExport, Task, format_ids
from stance.export.stream import iter_export_tasks, not_export
from stance.export.validate import Problems, TaskIds, check_offsets, check_versions

__all__ = ["read_export"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

_KEEP = frozenset(DATA_FIELDS)
_REPEATED = frozenset({"target", "target_name", "doc_id", "holder", "holder_type", "genre", "title", "schema_version"})
_COUNTED = ("tasks", "unannotated", "annotations", "skipped", "cancelled", "empty", "superseded")


@dataclass
class _Reading:
    """What is known so far while an export streams past."""

    path: Path
    labels: SchemaLabels
    documents: Mapping[str, str] | None
    repair_spans: bool
    full_data: bool
    problems: Problems = field(default_factory=Problems)
    ids: TaskIds = field(default_factory=TaskIds)
    counts: Counter[str] = field(default_factory=Counter)
    emails: dict[int, str] = field(default_factory=dict)
    tasks: list[Task] = field(default_factory=list)
    unannotated: list[int] = field(default_factory=list)
    projects: set[int] = field(default_factory=set)
    versions: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    mode: str | None = None
    mode_first: int | None = None
    shared: dict[str, str] = field(default_factory=dict)


def read_export(
    path: str | os.PathLike[str],
    schema: Any,
    *,
    documents: Mapping[str, str] | None = None,
    repair_spans: bool = False,
    full_data: bool = True,
    progress: bool = False,
) -> LabelExport:
    """Parse and validate a Label Studio JSON export against the label schema.

    Args:
        path: The export file (a JSON list of tasks).
        schema: The label schema (``stance.schema.load_schema``): ``version``, ``roles``,
            ``stances``, ``targets``.
        documents: Optional ``{doc_id: source text}`` (:func:`stance.export.read_documents`);
            statements whose ``text`` is not ``source[start:end]`` any more are refused.
        repair_spans: Realign discovery spans whose offsets do not match their text to the
            nearest occurrence of that text (counted in ``counts["spans_repaired"]``) instead of
            refusing them.
        full_data: Keep every task-data field (needed to re-import tasks); with False only
            :data:`~stance.export.records.DATA_FIELDS` are kept, which saves memory on large exports.
        progress: Show a progress bar while reading.

    Returns:
        A :class:`LabelExport`.

    Raises:
        StanceError: not an export, a control or label outside the schema, mixed modes or schema
            versions, offsets that do not match, two tasks with one id, an annotation without an
            annotator among named ones, a relation to a missing region, or no annotated task at
            all; the message names the task ids and the fix.

    Example:
        >>> export = read_export("export.json", load_schema("seeds/schema.yaml"))  # doctest: +SKIP
        >>> export.mode, len(export.tasks)  # doctest: +SKIP
        ('pair', 120)
    """
    reading = _Reading(Path(path), labels_of(schema), documents, repair_spans, full_data)
    with gc_paused():
        for index, raw in enumerate(iter_export_tasks(path, progress=progress)):
            _read_task(reading, index, raw)
        return _finish(reading)


def _task_shape(path: Path, index: int, raw: Any) -> tuple[dict[str, Any], list[Any], int]:
    """The task's data, annotations and id; refuses anything that is not an exported task."""
    data = raw.get("data") if type(raw) is dict else None
    if type(data) is not dict:
        what = type(raw).__name__ if type(raw) is not dict else f"an object with keys {sorted(raw)[:6]}"
        flat = " (a JSON-MIN or CSV-like export?)" if type(raw) is dict else ""
        raise not_export(path, f"item {index + 1} is {what}, not a task with 'data'{flat}")
    annotations = raw.get("annotations")
    if annotations is None:
        raise not_export(
            path,
            f"task {raw.get('id', index + 1)} has no 'annotations' list; this looks like a task file for import, not an export",
        )
    task_id = raw.get("id")
    if type(task_id) is not int:
        raise not_export(path, f"item {index + 1} has no integer task 'id'")
    if type(annotations) is not list:
        raise not_export(path, f"task {task_id} has 'annotations' that are a {type(annotations).__name__}, not a list")
    return data, annotations, task_id


def _read_task(r: _Reading, index: int, raw: Any) -> None:
    data, annotations, task_id = _task_shape(r.path, index, raw)
    if not r.ids.first_time(task_id, raw, r.problems):
        return
    r.counts["tasks"] += 1
    if type(raw.get("project")) is int:
        r.projects.add(raw["project"])
    r.counts["predictions"] += len(raw.get("predictions") or ())
    r.counts["drafts"] += len(raw.get("drafts") or ())
    text = _checked_text(r, task_id, data)
    if text is None:
        return
    doc_start = check_offsets(task_id, data, text, r.documents, r.problems, r.counts)
    if r.mode == PAIR and data["target"] not in r.labels.targets:
        r.counts["targets_outside_schema"] += 1
    if not annotations:
        r.unannotated.append(task_id)
        return
    if any(type(a) is not dict for a in annotations):
        r.problems.add("data", "an annotation that is not a JSON object", task_id)
    decoded = [
        decode_annotation(task_id, a, r.mode or PAIR, r.labels, text, doc_start, r.emails, r.problems,
                          repair_spans=r.repair_spans, counts=r.counts)
        for a in annotations
        if type(a) is dict
    ]
    r.counts["annotations"] += len(decoded)
    for a in decoded:
        if a.status != OK:
            r.counts[a.status] += 1
    if not r.full_data:
        # Values repeated across tasks (document ids, holders, targets) share one string object.
        data = {k: (r.shared.setdefault(v, v) if k in _REPEATED and type(v) is str else v)
                for k, v in data.items() if k in _KEEP}
    r.tasks.append(Task(task_id, data, _latest_per_annotator(decoded, r.counts), raw.get("project")))


def _checked_text(r: _Reading, task_id: int, data: dict[str, Any]) -> str | None:
    """The statement text of a task whose mode and data fit the export; None (a problem recorded) otherwise."""
    task_mode = PAIR if "target" in data else DISCOVERY
    if r.mode is None:
        r.mode, r.mode_first = task_mode, task_id
    elif task_mode != r.mode:
        r.problems.add("mode", f"{task_mode}-mode tasks in a {r.mode}-mode export (first task {r.mode_first})", task_id)
        return None
    text = data.get("text")
    if type(text) is not str or (r.mode == PAIR and type(data.get("target")) is not str):
        r.problems.add("data", "task data without a 'text' string" + (" or 'target' id" if r.mode == PAIR else ""), task_id)
        return None
    version = data.get("schema_version")
    if version is not None:
        r.versions[str(version)].append(task_id)
    return text


def _finish(r: _Reading) -> LabelExport:
    """Raise what the validation pass found, else assemble the export with its counts and warnings."""
    anonymous = r.problems.check_anonymous()
    r.problems.raise_first(r.path)
    _use_emails(r)
    if r.mode is None:
        raise StanceError(f"{r.path} holds no tasks", hint="export a project that has tasks and annotations")
    schema_version = check_versions(r.versions, r.labels.version, r.path)
    if not r.tasks:
        raise StanceError(
            f"{r.path}: none of its {r.counts['tasks']} task(s) has an annotation",
            hint="label some tasks in Label Studio, then export again (Export → JSON, or `stance pull`)",
        )
    warnings = [w for w in (r.ids.warning(), anonymous) if w]
    if r.unannotated:
        warnings.append(f"{len(r.unannotated)} task(s) have no annotation and are left out: {format_ids(r.unannotated)}")
    if r.counts.get("offsets_unchecked"):
        warnings.append(f"{r.counts['offsets_unchecked']} statement(s) come from documents missing in --documents; "
                        "their offsets were not checked")
    if r.counts["targets_outside_schema"]:
        warnings.append(f"{r.counts['targets_outside_schema']} task(s) have a target that is not in the schema")
    for w in warnings:
        logger.info("%s: %s", r.path, w)
    counts = dict(r.counts)
    for key in (*_COUNTED, "predictions", "drafts", "targets_outside_schema"):
        counts.setdefault(key, 0)
    counts["unannotated"] = len(r.unannotated)
    counts["repeated_tasks"] = len(r.ids.repeated)
    return LabelExport(r.path, r.mode, r.tasks, counts, r.unannotated, sorted(r.projects), schema_version, warnings)


def _use_emails(r: _Reading) -> None:
    """An export can name a user by id before it shows that user's email: use the email throughout."""
    rename = {f"user{uid}": email for uid, email in r.emails.items() if email != f"user{uid}"}
    if not rename:
        return
    for task in r.tasks:
        if any(a.annotator in rename for a in task.annotations):
            task.annotations = _latest_per_annotator(
                [dataclasses.replace(a, annotator=rename.get(a.annotator, a.annotator)) for a in task.annotations],
                r.counts,
            )


def _latest_per_annotator(annotations: list[Annotation], counts: Counter[str]) -> list[Annotation]:
    """Keep one answer per annotator: the latest non-skipped one (an edit or a redo replaces the old)."""
    if len({a.annotator for a in annotations}) == len(annotations):
        return annotations
    by: dict[str, Annotation] = {}
    for a in annotations:
        old = by.get(a.annotator)
        if old is None:
            by[a.annotator] = a
            continue
        counts["superseded"] += 1
        # A real answer beats a skip; among equals the later update wins.
        rank_new = (a.status == OK, a.updated_at or "")
        rank_old = (old.status == OK, old.updated_at or "")
        if rank_new >= rank_old:
            by[a.annotator] = a
    return list(by.values())
