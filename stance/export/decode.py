"""Decoding one Label Studio annotation into an :class:`~stance.export.records.Annotation`.

Every result is checked against the label schema; what does not fit is recorded in a
:class:`~stance.export.validate.Problems` with the task id, never silently dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stance.export.records import CANCELLED, EMPTY, OK, PAIR, SKIPPED, SPAN_LABELS, Annotation, Relation, Span
from stance.export.validate import Problems

__all__ = ["SchemaLabels", "labels_of", "decode_annotation"]


@dataclass(frozen=True, slots=True)
class SchemaLabels:
    """The schema's label sets, as the decoder checks them."""

    version: str
    roles: frozenset[str]
    stances: frozenset[str]
    targets: frozenset[str]
    canonical: Mapping[str, str]


def labels_of(schema: Any) -> SchemaLabels:
    """The label sets of a :class:`stance.schema.Schema` (or any object with the same fields)."""
    targets = frozenset(t.id if hasattr(t, "id") else t["id"] for t in schema.targets)
    canonical = {v: v for v in (*schema.roles, *schema.stances, *targets)}
    return SchemaLabels(str(schema.version), frozenset(schema.roles), frozenset(schema.stances), targets, canonical)


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


@dataclass(frozen=True, slots=True)
class _Meta:
    """The fields every annotation has, whatever its mode."""

    task_id: int
    annotation_id: int | None
    annotator: str
    ground_truth: bool
    lead_time: float | None
    created_at: str | None
    updated_at: str | None

    def make(self, status: str, **fields: Any) -> Annotation:
        return Annotation(self.task_id, self.annotation_id, self.annotator, status, self.ground_truth,
                          self.lead_time, self.created_at, self.updated_at, **fields)


def _meta(task_id: int, raw: dict[str, Any], emails: dict[int, str], problems: Problems) -> _Meta:
    aid = raw.get("id")
    lead = raw.get("lead_time")
    created = raw.get("created_at")
    annotator = _annotator(raw.get("completed_by"), emails)
    if not annotator:
        # Judged once the whole export is read: refused when other annotations do name their annotator.
        problems.anonymous.append(task_id)
        annotator = f"unknown-{aid}"
    else:
        problems.named += 1
    return _Meta(task_id, aid if type(aid) is int else None, annotator, bool(raw.get("ground_truth")),
                 float(lead) if type(lead) in (int, float) else None, created, raw.get("updated_at") or created)


def decode_annotation(
    task_id: int,
    raw: dict[str, Any],
    mode: str,
    labels: SchemaLabels,
    text: str,
    doc_start: int | None,
    emails: dict[int, str],
    problems: Problems,
    *,
    repair_spans: bool,
    counts: Counter[str],
) -> Annotation:
    """Decode one exported annotation of a task (see the module docstring).

    Args:
        task_id: The task's id, for messages.
        raw: The annotation as exported.
        mode: ``"pair"`` or ``"discovery"``.
        labels: From :func:`labels_of`.
        text: The statement text (span offsets are checked against it).
        doc_start: The statement's offset in its document, or None.
        emails: User id → email, filled as the export names users.
        problems: Where problems are recorded.
        repair_spans: Realign spans whose offsets do not match their text.
        counts: Counters (``spans_repaired``).

    Returns:
        The :class:`Annotation` (status ``skipped``/``cancelled``/``empty``/``ok``).
    """
    results = raw.get("result") or []
    if type(results) is not list:
        problems.add("data", "an annotation whose 'result' is not a list", task_id)
        results = []
    meta = _meta(task_id, raw, emails, problems)
    if raw.get("was_cancelled"):
        return meta.make(CANCELLED if results else SKIPPED)
    if mode == PAIR:
        return _decode_pair(meta, results, labels, problems)
    return _decode_discovery(meta, results, labels, text, doc_start, problems, repair_spans=repair_spans, counts=counts)


def _decode_pair(meta: _Meta, results: list[Any], labels: SchemaLabels, problems: Problems) -> Annotation:
    task_id = meta.task_id
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
    return meta.make(OK if role is not None or stance is not None else EMPTY, role=role, stance=stance)


def _decode_discovery(
    meta: _Meta,
    results: list[Any],
    labels: SchemaLabels,
    text: str,
    doc_start: int | None,
    problems: Problems,
    *,
    repair_spans: bool,
    counts: Counter[str],
) -> Annotation:
    task_id = meta.task_id
    targets: list[str] = []
    stances: dict[str, str] = {}
    spans: list[Span] = []
    relations: list[Relation] = []
    regions: set[str] = set()
    for res in results:
        if type(res) is not dict:
            problems.add("data", "a result entry that is not an object", task_id)
            continue
        name = res.get("from_name")
        if res.get("type") == "relation":
            rel_labels = _single(res, "labels")
            rel_type = rel_labels[0] if rel_labels else str(res.get("direction") or "related")
            relations.append(Relation(str(res.get("from_id")), str(res.get("to_id")), rel_type.lower()))
            continue
        if res.get("id") is not None:
            regions.add(str(res.get("id")))
        if name == "targets":
            _targets(res, labels, targets, problems, task_id)
        elif isinstance(name, str) and name.startswith("stance_"):
            _stance(res, name, labels, stances, problems, task_id)
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
    for r in relations:
        if r.from_span not in regions or r.to_span not in regions:
            missing = r.from_span if r.from_span not in regions else r.to_span
            problems.add("relations", f"a relation pointing to region id {missing!r}, which does not exist", task_id)
    ids = {s.id for s in spans}
    relations = [r for r in relations if r.from_span in ids and r.to_span in ids]
    return meta.make(OK if targets or spans else EMPTY, targets=tuple(targets), stances=stances,
                     spans=tuple(spans), relations=tuple(relations))


def _targets(res: dict[str, Any], labels: SchemaLabels, targets: list[str], problems: Problems, task_id: int) -> None:
    value = res.get("value")
    for t in _single(value if type(value) is dict else {}, "choices"):
        if t not in labels.targets:
            problems.add("label", f"target {t!r} (schema targets: {sorted(labels.targets)})", task_id)
        elif t not in targets:
            targets.append(t)


def _stance(res: dict[str, Any], name: str, labels: SchemaLabels, stances: dict[str, str], problems: Problems,
            task_id: int) -> None:
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


def _span(
    task_id: int,
    res: Mapping[str, Any],
    value: Mapping[str, Any],
    text: str,
    doc_start: int | None,
    labels: SchemaLabels,
    problems: Problems,
    *,
    repair_spans: bool,
    counts: Counter[str],
) -> Span | None:
    got = _single(value, "labels")
    allowed = {r for r in labels.roles if r != "None"} or set(SPAN_LABELS)
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
