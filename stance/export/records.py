"""Typed records of a parsed Label Studio export, and the helpers that read them.

One :class:`Task` per exported task, one :class:`Annotation` per annotation (controls already
decoded), all held in a :class:`LabelExport`. Two task modes exist (DESIGN.md section 2):

- **pair** mode: the task data names one ``target``; controls ``role`` and ``stance``.
- **discovery** mode: no ``target`` in the data; controls ``targets`` (multiple choice of
  target ids), ``stance_<target_id>``, ``span`` (Labels) and relations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "PAIR",
    "DISCOVERY",
    "OK",
    "SKIPPED",
    "CANCELLED",
    "EMPTY",
    "DATA_FIELDS",
    "SPAN_LABELS",
    "Span",
    "Relation",
    "Annotation",
    "Task",
    "LabelExport",
    "format_ids",
    "statement_key",
    "annotation_role",
    "answers_by_target",
]

PAIR = "pair"
DISCOVERY = "discovery"

#: Annotation states. Only ``ok`` annotations vote; the others are counted.
OK, SKIPPED, CANCELLED, EMPTY = "ok", "skipped", "cancelled", "empty"

#: Task-data fields a dataset needs; the rest (prev_text, next_text, target_definition) can be dropped.
DATA_FIELDS = ("text", "target", "target_name", "statement_id", "doc_id", "holder", "holder_type", "holder_id",
               "speaker", "genre", "title", "start", "end", "split", "schema_version", "task_key")

#: Span labels a discovery annotation can carry, strongest first (the role read off the spans).
SPAN_LABELS = ("Claim", "Premise")

_MAX_IDS = 5  # task ids named in one message


def format_ids(ids: list[Any]) -> str:
    """Name up to five task ids, then how many more: ``"3, 7, 9, 12, 15 and 4 more"``.

    Example:
        >>> format_ids([3, 7])
        '3, 7'
    """
    ids = list(ids)
    shown = ", ".join(str(i) for i in ids[:_MAX_IDS])
    more = f" and {len(ids) - _MAX_IDS} more" if len(ids) > _MAX_IDS else ""
    return f"{shown}{more}"





_NO_STANCES: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Span:
    """One labelled span of a statement (discovery mode).

    Offsets are into the statement text; ``doc_start``/``doc_end`` into the source document
    (``None`` when the task data has no ``start``).
    """

    id: str
    label: str
    start: int
    end: int
    text: str
    doc_start: int | None = None
    doc_end: int | None = None


@dataclass(frozen=True, slots=True)
class Relation:
    """A relation between two spans of one annotation: ``(from_span, to_span, type)``."""

    from_span: str
    to_span: str
    type: str


@dataclass(frozen=True, slots=True)
class Annotation:
    """One annotator's answer on one task, decoded.

    ``role``/``stance`` hold the pair-mode choices (``None`` when not given). In discovery
    mode ``targets`` lists the chosen target ids and ``stances`` maps target id → stance.
    ``status`` is ``ok`` (votes), ``skipped`` (cancelled with no result), ``cancelled``
    (cancelled after labelling something) or ``empty`` (submitted without any result).
    """

    task_id: int
    annotation_id: int | None
    annotator: str
    status: str
    ground_truth: bool = False
    lead_time: float | None = None
    created_at: str | None = None
    updated_at: str | None = None
    role: str | None = None
    stance: str | None = None
    targets: tuple[str, ...] = ()
    stances: Mapping[str, str] = field(default_factory=lambda: _NO_STANCES)
    spans: tuple[Span, ...] = ()
    relations: tuple[Relation, ...] = ()


@dataclass(slots=True)
class Task:
    """One task of the export: its statement fields and its annotations (latest per annotator)."""

    task_id: int
    data: dict[str, Any]
    annotations: list[Annotation]
    project: int | None = None

    @property
    def valid(self) -> list[Annotation]:
        """The annotations that vote (status ``ok``)."""
        return [a for a in self.annotations if a.status == OK]


@dataclass(slots=True)
class LabelExport:
    """A parsed, validated export.

    Attributes:
        path: The export file.
        mode: ``"pair"`` or ``"discovery"``.
        tasks: Tasks with at least one annotation, in file order.
        counts: ``tasks``, ``unannotated``, ``annotations``, ``skipped``, ``cancelled``,
            ``empty``, ``superseded`` (older answers replaced by the same annotator's later one),
            ``predictions``, ``drafts``, ``offsets_checked``, ``offsets_unchecked``, ``spans_repaired``.
        unannotated_ids: Task ids without any annotation (excluded).
        projects: Label Studio project ids seen in the export.
        schema_version: The schema version the tasks were made with.
    """

    path: Path
    mode: str
    tasks: list[Task]
    counts: dict[str, int]
    unannotated_ids: list[int]
    projects: list[int]
    schema_version: str | None
    warnings: list[str] = field(default_factory=list)


def statement_key(data: Mapping[str, Any]) -> str:
    """The statement id of a task, falling back to a hash of its text for tasks made by other tools.

    Example:
        >>> statement_key({"statement_id": "doc1:ab12cd34ef"})
        'doc1:ab12cd34ef'
    """
    sid = data.get("statement_id")
    if isinstance(sid, str) and sid:
        return sid
    return "text:" + hashlib.sha1(str(data.get("text", "")).encode("utf-8")).hexdigest()[:10]


def annotation_role(annotation: Annotation, mode: str) -> str | None:
    """The argument role an annotation gives its statement.

    Pair mode: the ``role`` choice. Discovery mode has no role choice; the role is read off the
    spans: ``Claim`` when any claim span is marked, else ``Premise`` when a premise span is, else
    ``None`` (the statement carries no argument unit).

    Example:
        >>> annotation_role(Annotation(1, 1, "a@x", "ok", role="Claim"), "pair")
        'Claim'
    """
    if mode == PAIR:
        return annotation.role
    labels = {s.label for s in annotation.spans}
    for label in SPAN_LABELS:
        if label in labels:
            return label
    return "None"


def answers_by_target(task: Task, mode: str) -> dict[str, list[tuple[Annotation, str | None, str | None]]]:
    """Each voting annotation's ``(role, stance)`` for every target the task is labelled for.

    Pair mode: the task's one target. Discovery mode: every target that at least one annotator
    ticked; an annotator who did not tick it answers stance ``None`` for it (no position on it).

    Returns:
        ``{target_id: [(annotation, role, stance), ...]}`` in a stable order.

    Example:
        >>> answers_by_target(task, "pair")
        {'us_japan_alliance': [(Annotation(...), 'Claim', 'Against'), ...]}
    """
    valid = task.valid
    if not valid:
        return {}
    if mode == PAIR:
        return {task.data["target"]: [(a, a.role, a.stance) for a in valid]}
    targets: list[str] = []
    for a in valid:
        targets.extend(t for t in a.targets if t not in targets)
    out: dict[str, list[tuple[Annotation, str | None, str | None]]] = {}
    for t in targets:
        out[t] = [
            (a, annotation_role(a, mode), a.stances.get(t) if t in a.targets else "None") for a in valid
        ]
    return out
