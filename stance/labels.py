"""Where Label Studio exports become typed per-annotation records.

A Label Studio JSON export (``stance pull``, or *Export → JSON* in the UI) is a list of
tasks; each task carries our task data (DESIGN.md section 2) and the annotations made on
it. :func:`read_export` streams that list, checks every result against the label schema
and returns a :class:`LabelExport`: one :class:`Task` per task, one :class:`Annotation`
per annotation, with the control values already decoded.

Two task modes exist (DESIGN.md section 2):

- **pair** mode: the task data names one ``target``; controls ``role`` and ``stance``.
- **discovery** mode: no ``target`` in the data; controls ``targets`` (multiple choice of
  target ids), ``stance_<target_id>``, ``span`` (Labels) and relations.

Everything that can be wrong with an export is reported with the task ids involved and
how to fix it (:class:`stance.errors.StanceError`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import json
import logging
import os
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from stance.errors import StanceError

__all__ = [
    "Span",
    "Relation",
    "Annotation",
    "Task",
    "LabelExport",
    "iter_export_tasks",
    "read_export",
    "read_documents",
    "PAIR",
    "DISCOVERY",
    "DATA_FIELDS",
    "annotation_role",
    "answers_by_target",
    "statement_key",
    "gc_paused",
    "format_ids",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

PAIR = "pair"
DISCOVERY = "discovery"

#: Annotation states. Only ``ok`` annotations vote; the others are counted.
OK, SKIPPED, CANCELLED, EMPTY = "ok", "skipped", "cancelled", "empty"

#: Task-data fields a dataset needs; the rest (prev_text, next_text, target_definition) can be dropped.
DATA_FIELDS = ("text", "target", "target_name", "statement_id", "doc_id", "holder", "holder_type", "genre", "title",
               "start", "end", "split", "schema_version", "task_key")

_KEEP = frozenset(DATA_FIELDS)
_REPEATED = frozenset({"target", "target_name", "doc_id", "holder", "holder_type", "genre", "title", "schema_version"})

_EXPECTED = (
    "a Label Studio JSON export: a JSON list of tasks, each with 'id', 'data' and 'annotations' "
    "(from `stance pull`, or Export → JSON in Label Studio; not JSON-MIN, CSV or the task file you imported)"
)
_CHUNK = 1 << 20  # characters read per step when streaming the export
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


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects.

    Reading a large export allocates millions of dicts and records and frees almost none;
    the collector's full passes over them cost about a third of the parse time, and the
    records hold no reference cycles for it to find.

    Example:
        >>> with gc_paused():
        ...     records = [{"i": i} for i in range(3)]
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --------------------------------------------------------------------------- streaming


def _not_export(path: Path, found: str) -> StanceError:
    return StanceError(f"{path} is not a Label Studio export: {found}", hint=f"expected {_EXPECTED}")


def iter_export_tasks(path: str | os.PathLike[str], *, progress: bool = False) -> Iterator[dict[str, Any]]:
    """Stream the task objects of a Label Studio JSON export without loading the whole file.

    The export is one JSON list; each element is decoded as soon as it is complete, so peak
    memory is one read chunk plus one task, not the whole parsed document.

    Args:
        path: The export file.
        progress: Show a progress bar (characters read) on stderr.

    Yields:
        Each task as a dict.

    Raises:
        StanceError: the file is missing, not UTF-8, not JSON, or not a list of objects.

    Example:
        >>> for task in iter_export_tasks("export.json"):
        ...     print(task["id"], len(task["annotations"]))
    """
    path = Path(path)
    if not path.is_file():
        raise StanceError(f"export {path} does not exist", hint="check the path; `stance pull` writes one")
    from tqdm.auto import tqdm

    decoder = json.JSONDecoder()
    bar = tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc="reading export", disable=not progress)
    with bar, path.open("r", encoding="utf-8") as fh:
        buf = ""
        pos = 0
        consumed = 0  # characters dropped from the front of buf
        eof = False

        def more() -> bool:
            nonlocal buf, pos, consumed, eof
            if eof:
                return False
            try:
                chunk = fh.read(_CHUNK)
            except UnicodeDecodeError as exc:
                raise StanceError(f"{path}: not UTF-8 text ({exc.reason})", hint=f"expected {_EXPECTED}") from None
            if not chunk:
                eof = True
                return False
            bar.update(len(chunk))  # characters, close enough to bytes for a progress bar
            consumed += pos
            buf = buf[pos:] + chunk
            pos = 0
            return True

        def skip_ws() -> str:
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in " \t\r\n":
                    pos += 1
                if pos < len(buf):
                    return buf[pos]
                if not more():
                    return ""

        def where() -> str:
            # Counted only when reporting an error, so the happy path never scans for newlines.
            offset, line = consumed + pos, 1
            with path.open("r", encoding="utf-8", errors="replace") as again:
                while offset > 0:
                    chunk = again.read(min(offset, _CHUNK))
                    if not chunk:
                        break
                    line += chunk.count("\n")
                    offset -= len(chunk)
            return f"line {line}"

        first = skip_ws()
        if first == "\ufeff":
            pos += 1
            first = skip_ws()
        if first == "":
            raise _not_export(path, "the file is empty")
        if first != "[":
            if first == "{":
                raise _not_export(
                    path,
                    "it is one JSON object, not a list of tasks (a project or a single task?)",
                )
            found = "a CSV/TSV or text file" if first.isalpha() or first == '"' else f"it starts with {first!r}"
            raise _not_export(path, found)
        pos += 1
        index = 0
        while True:
            c = skip_ws()
            if c == "]":
                return
            if c == "":
                raise StanceError(f"{path}: the JSON list is not closed (file cut short?)", hint="download the export again")
            if index > 0:
                if c != ",":
                    raise StanceError(
                        f"{path} {where()}: not valid JSON (expected ',' or ']' after task {index})",
                        hint=f"expected {_EXPECTED}",
                    )
                pos += 1
                c = skip_ws()
            while True:
                try:
                    obj, end = decoder.raw_decode(buf, pos)
                    break
                except json.JSONDecodeError as exc:
                    if more():
                        continue
                    raise StanceError(
                        f"{path} {where()}: not valid JSON in task {index + 1} ({exc.msg})",
                        hint=f"download the export again; expected {_EXPECTED}",
                    ) from None
            pos = end
            index += 1
            yield obj


# --------------------------------------------------------------------------- documents


def read_documents(path: str | os.PathLike[str]) -> dict[str, str]:
    """Load source document texts to check statement offsets against.

    Documents are read exactly as ``stance segment`` reads them (same decoding, same HTML text
    extraction), so the offsets it wrote point into the same text.

    Args:
        path: The ``--documents`` side file of ``stance segment`` (JSONL with ``doc_id`` and
            ``text``), or the files/folder that were segmented (.txt, .md, .html, .jsonl).

    Returns:
        ``{doc_id: text}``.

    Example:
        >>> docs = read_documents("seeds")
        >>> sorted(docs)[:1]
        ['000_195aff00a3928bad']
    """
    from stance.segment.documents import iter_documents

    path = Path(path)
    if not path.exists():
        raise StanceError(f"documents {path} do not exist", hint="give the --documents file or the folder you segmented")
    docs = {d.doc_id: d.text for d in iter_documents([path])}
    if not docs:
        raise StanceError(f"{path} holds no documents", hint="give the --documents file or the folder you segmented")
    return docs


# --------------------------------------------------------------------------- schema view


@dataclass(frozen=True, slots=True)
class _Labels:
    version: str
    roles: frozenset[str]
    stances: frozenset[str]
    targets: frozenset[str]
    canonical: Mapping[str, str]


def _labels_of(schema: Any) -> _Labels:
    targets = frozenset(t.id if hasattr(t, "id") else t["id"] for t in schema.targets)
    canonical = {v: v for v in (*schema.roles, *schema.stances, *targets)}
    return _Labels(str(schema.version), frozenset(schema.roles), frozenset(schema.stances), targets, canonical)


# --------------------------------------------------------------------------- decoding


class _Problems:
    """Collects problems by kind so that one message names every task id involved."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], list[Any]] = defaultdict(list)

    def add(self, kind: str, detail: str, task_id: Any) -> None:
        ids = self.ids[(kind, detail)]
        if not ids or ids[-1] != task_id:
            ids.append(task_id)

    def raise_first(self, path: Path) -> None:
        if not self.ids:
            return
        (kind, detail), ids = next(iter(self.ids.items()))
        others = len(self.ids) - 1
        also = f"; {others} other problem(s) too, run with -v to list them" if others else ""
        for (k, d), i in list(self.ids.items())[1:]:
            logger.warning("%s: %s in task(s) %s", k, d, format_ids(i))
        hint = _HINTS.get(kind, "fix the export or the schema")
        raise StanceError(f"{path}: {detail} in task(s) {format_ids(ids)}{also}", hint=hint)


_HINTS = {
    "control": "the project's labeling config has controls this schema does not know; pass the --schema the "
    "tasks were made with, or regenerate the project with `stance tasks`",
    "label": "the labeling config offers values the schema does not; pass the matching --schema, or fix the "
    "labeling config and re-annotate those tasks",
    "choice": "a single-choice control holds several values; set choice=\"single\" in the labeling config and "
    "fix those annotations",
    "data": "each task's data needs 'text' (and 'target' in pair mode); export the project made by `stance tasks`",
    "mode": "export pair-mode and discovery-mode projects separately",
    "offsets": "the source text changed since the tasks were made: re-run `stance segment` and `stance tasks`, "
    "or pass the --documents the tasks were made from",
    "spans": "Label Studio stores span offsets as given; fix those annotations in Label Studio, or pass "
    "--repair-spans to realign spans whose text occurs in the statement",
    "schema": "pass the --schema file whose version the tasks were made with (labels/schema.vN.yaml)",
    "split": "a task's 'split' must be train, validation or test",
}


_USER_NAMES: dict[int, str] = {}


def _annotator(completed_by: Any, emails: dict[int, str]) -> str:
    if type(completed_by) is dict:
        uid = completed_by.get("id")
        email = completed_by.get("email")
        if type(uid) is int and email:
            emails[uid] = str(email)
        return str(email or (f"user{uid}" if uid is not None else ""))
    if type(completed_by) is int:
        name = emails.get(completed_by)
        if name is None:
            # Cached so that 100,000 annotations by one user share one string.
            name = emails[completed_by] = _USER_NAMES.setdefault(completed_by, f"user{completed_by}")
        return name
    if isinstance(completed_by, str) and completed_by:
        return completed_by
    return ""  # unknown: the caller names it after the annotation, so two unknowns never merge


def _single(value: dict[str, Any], key: str) -> list[str]:
    got = value.get(key)
    if type(got) is list:
        return [v if type(v) is str else str(v) for v in got]
    return []


def _choice(res: dict[str, Any]) -> Any:
    """The one value of a single Choices result, or the list of values when there is not exactly one."""
    value = res.get("value")
    choices = value.get("choices") if type(value) is dict else None
    if type(choices) is list and len(choices) == 1:
        c = choices[0]
        return c if type(c) is str else str(c)
    return choices if type(choices) is list else []


def _decode(
    task_id: int,
    raw: dict[str, Any],
    mode: str,
    labels: _Labels,
    text: str,
    doc_start: int | None,
    emails: dict[int, str],
    problems: _Problems,
    *,
    repair_spans: bool,
    counts: Counter[str],
) -> Annotation:
    results = raw.get("result") or []
    if type(results) is not list:
        problems.add("data", "an annotation whose 'result' is not a list", task_id)
        results = []
    aid = raw.get("id")
    lead = raw.get("lead_time")
    created = raw.get("created_at")
    annotation_id = aid if type(aid) is int else None
    annotator = _annotator(raw.get("completed_by"), emails) or f"unknown-{aid}"
    ground_truth = bool(raw.get("ground_truth"))
    lead_time = float(lead) if type(lead) in (int, float) else None
    updated = raw.get("updated_at") or created
    if raw.get("was_cancelled"):
        status = CANCELLED if results else SKIPPED
        return Annotation(task_id, annotation_id, annotator, status, ground_truth, lead_time, created, updated)
    if mode == PAIR:
        role = stance = None
        for res in results:
            name = res.get("from_name") if type(res) is dict else None
            if name == "role" or name == "stance":
                c = _choice(res)
                if type(c) is not str:
                    problems.add("choice", f"control {name!r} with {len(c)} values", task_id)
                elif name == "role":
                    if c in labels.roles:
                        role = labels.canonical[c]  # one shared string per label, not one per annotation
                    else:
                        problems.add("label", f"role value {c!r} (schema allows {sorted(labels.roles)})", task_id)
                elif c in labels.stances:
                    stance = labels.canonical[c]
                else:
                    problems.add("label", f"stance value {c!r} (schema allows {sorted(labels.stances)})", task_id)
            elif type(res) is not dict:
                problems.add("data", "a result entry that is not an object", task_id)
            elif res.get("type") == "relation":
                problems.add("control", "a relation (not in the pair-mode schema)", task_id)
            else:
                problems.add("control", f"results from control {name!r}, which the pair-mode schema does not have", task_id)
        status = OK if role is not None or stance is not None else EMPTY
        return Annotation(task_id, annotation_id, annotator, status, ground_truth, lead_time, created, updated, role, stance)
    targets: list[str] = []
    stances: dict[str, str] = {}
    spans: list[Span] = []
    relations: list[Relation] = []
    for res in results:
        if type(res) is not dict:
            problems.add("data", "a result entry that is not an object", task_id)
            continue
        name = res.get("from_name")
        if res.get("type") == "relation":
            rel_labels = _single(res, "labels")
            rel_type = rel_labels[0] if rel_labels else str(res.get("direction") or "related")
            relations.append(Relation(str(res.get("from_id")), str(res.get("to_id")), rel_type.lower()))
        elif name == "targets":
            value = res.get("value")
            for t in _single(value if type(value) is dict else {}, "choices"):
                if t not in labels.targets:
                    problems.add("label", f"target {t!r} (schema targets: {sorted(labels.targets)})", task_id)
                elif t not in targets:
                    targets.append(t)
        elif isinstance(name, str) and name.startswith("stance_"):
            t = name[len("stance_") :]
            c = _choice(res)
            if t not in labels.targets:
                problems.add("control", f"control {name!r} (no target {t!r} in the schema)", task_id)
            elif type(c) is not str:
                problems.add("choice", f"control {name!r} with {len(c)} values", task_id)
            elif c not in labels.stances:
                problems.add("label", f"{name} value {c!r} (schema allows {sorted(labels.stances)})", task_id)
            else:
                stances[t] = c
        elif name == "span":
            value = res.get("value")
            span = _span(task_id, res, value if type(value) is dict else {}, text, doc_start, labels, problems,
                         repair_spans=repair_spans, counts=counts)
            if span is not None:
                spans.append(span)
        else:
            problems.add("control", f"results from control {name!r}, which the discovery-mode schema does not have", task_id)
    # A stance given for a target the annotator did not tick is still an answer about it.
    targets.extend(t for t in stances if t not in targets)
    ids = {s.id for s in spans}
    relations = [r for r in relations if r.from_span in ids and r.to_span in ids]
    status = OK if targets or spans else EMPTY
    return Annotation(
        task_id, annotation_id, annotator, status, ground_truth, lead_time, created, updated,
        None, None, tuple(targets), stances, tuple(spans), tuple(relations),
    )


_SPAN_LABELS = ("Claim", "Premise")


def _span(
    task_id: int,
    res: Mapping[str, Any],
    value: Mapping[str, Any],
    text: str,
    doc_start: int | None,
    labels: _Labels,
    problems: _Problems,
    *,
    repair_spans: bool,
    counts: Counter[str],
) -> Span | None:
    got = _single(value, "labels")
    allowed = {r for r in labels.roles if r != "None"} or set(_SPAN_LABELS)
    if len(got) != 1 or got[0] not in allowed:
        problems.add("label", f"span labels {got!r} (schema allows one of {sorted(allowed)})", task_id)
        return None
    start, end, stext = value.get("start"), value.get("end"), value.get("text")
    if not isinstance(start, int) or not isinstance(end, int):
        problems.add("spans", "a span without integer start/end offsets", task_id)
        return None
    if stext is None:
        stext = text[start:end]
    if not (0 <= start <= end <= len(text)) or text[start:end] != stext:
        found = _realign(text, str(stext), start) if repair_spans else None
        if found is None:
            problems.add("spans", "span offsets that do not match the span text", task_id)
            return None
        start, end = found, found + len(stext)
        counts["spans_repaired"] += 1
    return Span(
        id=str(res.get("id")),
        label=got[0],
        start=start,
        end=end,
        text=str(stext),
        doc_start=None if doc_start is None else doc_start + start,
        doc_end=None if doc_start is None else doc_start + end,
    )


def _realign(text: str, span_text: str, near: int) -> int | None:
    """The occurrence of ``span_text`` in ``text`` nearest to ``near``, or None."""
    if not span_text:
        return None
    best = None
    i = text.find(span_text)
    while i != -1:
        if best is None or abs(i - near) < abs(best - near):
            best = i
        i = text.find(span_text, i + 1)
    return best


# --------------------------------------------------------------------------- reading


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
        documents: Optional ``{doc_id: source text}`` (:func:`read_documents`); statements whose
            ``text`` is not ``source[start:end]`` any more are refused.
        repair_spans: Realign discovery spans whose offsets do not match their text to the
            nearest occurrence of that text (counted in ``counts["spans_repaired"]``) instead of
            refusing them.
        full_data: Keep every task-data field (needed to re-import tasks); with False only
            :data:`DATA_FIELDS` are kept, which saves memory on large exports.
        progress: Show a progress bar while reading.

    Returns:
        A :class:`LabelExport`.

    Raises:
        StanceError: not an export, a control or label outside the schema, mixed modes,
            offsets that do not match, or no annotated task at all; the message names the task ids.

    Example:
        >>> export = read_export("export.json", load_schema("labels/schema.v1.yaml"))
        >>> export.mode, len(export.tasks)
        ('pair', 120)
    """
    with gc_paused():
        return _read_export(path, schema, documents=documents, repair_spans=repair_spans, full_data=full_data,
                            progress=progress)


def _read_export(
    path: str | os.PathLike[str],
    schema: Any,
    *,
    documents: Mapping[str, str] | None,
    repair_spans: bool,
    full_data: bool,
    progress: bool,
) -> LabelExport:
    path = Path(path)
    labels = _labels_of(schema)
    problems = _Problems()
    counts: Counter[str] = Counter()
    emails: dict[int, str] = {}
    tasks: list[Task] = []
    unannotated: list[int] = []
    projects: set[int] = set()
    versions: Counter[str] = Counter()
    mode: str | None = None
    mode_first: int | None = None
    n_tasks = n_annotations = n_predictions = n_drafts = n_outside = 0
    shared: dict[str, str] = {}
    for index, raw in enumerate(iter_export_tasks(path, progress=progress)):
        data = raw.get("data") if type(raw) is dict else None
        if type(data) is not dict:
            what = type(raw).__name__ if type(raw) is not dict else f"an object with keys {sorted(raw)[:6]}"
            flat = " (a JSON-MIN or CSV-like export?)" if type(raw) is dict else ""
            raise _not_export(path, f"item {index + 1} is {what}, not a task with 'data'{flat}")
        annotations = raw.get("annotations")
        if annotations is None:
            raise _not_export(
                path,
                f"task {raw.get('id', index + 1)} has no 'annotations' list; this looks like a task file for import, not an export",
            )
        task_id = raw.get("id")
        if type(task_id) is not int:
            raise _not_export(path, f"item {index + 1} has no integer task 'id'")
        n_tasks += 1
        project = raw.get("project")
        if type(project) is int:
            projects.add(project)
        n_predictions += len(raw.get("predictions") or ())
        n_drafts += len(raw.get("drafts") or ())
        task_mode = PAIR if "target" in data else DISCOVERY
        if mode is None:
            mode, mode_first = task_mode, task_id
        elif task_mode != mode:
            problems.add("mode", f"{task_mode}-mode tasks in a {mode}-mode export (first task {mode_first})", task_id)
            continue
        text = data.get("text")
        if type(text) is not str or (mode == PAIR and type(data.get("target")) is not str):
            problems.add("data", "task data without a 'text' string" + (" or 'target' id" if mode == PAIR else ""), task_id)
            continue
        version = data.get("schema_version")
        if version is not None:
            versions[str(version)] += 1
        doc_start = _check_offsets(task_id, data, text, documents, problems, counts)
        if mode == PAIR and data["target"] not in labels.targets:
            n_outside += 1
        if not annotations:
            unannotated.append(task_id)
            continue
        decoded = [
            _decode(task_id, a, mode, labels, text, doc_start, emails, problems, repair_spans=repair_spans, counts=counts)
            for a in annotations
            if type(a) is dict
        ]
        n_annotations += len(decoded)
        for a in decoded:
            if a.status != OK:
                counts[a.status] += 1
        if not full_data:
            # Values repeated across tasks (document ids, holders, targets) share one string object.
            data = {k: (shared.setdefault(v, v) if k in _REPEATED and type(v) is str else v)
                    for k, v in data.items() if k in _KEEP}
        tasks.append(Task(task_id, data, _latest_per_annotator(decoded, counts), project))
    counts.update(tasks=n_tasks, annotations=n_annotations, predictions=n_predictions, drafts=n_drafts,
                  targets_outside_schema=n_outside)
    problems.raise_first(path)
    rename = {f"user{uid}": email for uid, email in emails.items() if email != f"user{uid}"}
    if rename:
        # An export can name a user by id before it shows that user's email: use the email throughout.
        for task in tasks:
            if any(a.annotator in rename for a in task.annotations):
                task.annotations = _latest_per_annotator(
                    [dataclasses.replace(a, annotator=rename.get(a.annotator, a.annotator)) for a in task.annotations],
                    counts,
                )
    if mode is None:
        raise StanceError(f"{path} holds no tasks", hint="export a project that has tasks and annotations")
    if versions and labels.version not in versions:
        found = ", ".join(sorted(versions))
        raise StanceError(
            f"{path}: tasks were made with schema version {found}, but the schema given is version {labels.version}",
            hint=_HINTS["schema"],
        )
    if not tasks:
        raise StanceError(
            f"{path}: none of its {counts['tasks']} task(s) has an annotation",
            hint="label some tasks in Label Studio, then export again (Export → JSON, or `stance pull`)",
        )
    warnings = []
    if unannotated:
        warnings.append(f"{len(unannotated)} task(s) have no annotation and are left out: {format_ids(unannotated)}")
    if counts.get("offsets_unchecked"):
        warnings.append(f"{counts['offsets_unchecked']} statement(s) come from documents missing in --documents; "
                        "their offsets were not checked")
    if counts["targets_outside_schema"]:
        warnings.append(f"{counts['targets_outside_schema']} task(s) have a target that is not in the schema")
    for w in warnings:
        logger.info("%s: %s", path, w)
    schema_version = versions.most_common(1)[0][0] if versions else labels.version
    for key in ("tasks", "unannotated", "annotations", "skipped", "cancelled", "empty", "superseded"):
        counts.setdefault(key, 0)
    counts["unannotated"] = len(unannotated)
    return LabelExport(path, mode, tasks, dict(counts), unannotated, sorted(projects), schema_version, warnings)


def _check_offsets(
    task_id: int,
    data: Mapping[str, Any],
    text: str,
    documents: Mapping[str, str] | None,
    problems: _Problems,
    counts: Counter[str],
) -> int | None:
    start, end = data.get("start"), data.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    if end - start != len(text):
        problems.add("offsets", f"statement text of {len(text)} characters at offsets {start}:{end}", task_id)
        return start
    if documents is None:
        return start
    source = documents.get(str(data.get("doc_id")))
    if source is None:
        counts["offsets_unchecked"] += 1
        return start
    if source[start:end] != text:
        problems.add("offsets", f"statement text that is not the source text at its offsets (document {data.get('doc_id')})", task_id)
    else:
        counts["offsets_checked"] += 1
    return start


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
    for label in _SPAN_LABELS:
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
