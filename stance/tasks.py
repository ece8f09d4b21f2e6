"""Statements (the output of ``stance segment``) → Label Studio import tasks.

Two task modes (DESIGN.md section 2):

- ``pair``: one task per statement × target, controls ``role`` and ``stance``;
- ``discovery``: one task per statement, the annotator ticks the targets it takes a position on.

Every task carries ``task_key`` (``"{statement_id}|{target}"`` in pair mode, the statement id in
discovery mode) and ``schema_version``: ``stance push`` uses them to import each task once.
Optional pre-annotations come from any classifier that follows the estimator contract of
DESIGN.md section 4 (:class:`Predictor`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from stance.errors import StanceError
from stance.io import read_jsonl
from stance.schema import MODES, Schema, Target

__all__ = [
    "Predictor",
    "read_statements",
    "validate_statement",
    "build_tasks",
    "add_predictions",
    "task_key",
    "write_tasks",
    "PREDICTION_BATCH",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

PREDICTION_BATCH = 256

# Fields every statement must have, with their types (the rest of DESIGN.md section 1 is optional
# here so that hand-made statement files stay easy to write).
_REQUIRED: dict[str, tuple[type, ...]] = {"id": (str,), "doc_id": (str,), "text": (str,)}
_OPTIONAL_INT = ("start", "end", "index", "paragraph")
_OPTIONAL_STR = ("holder", "holder_type", "holder_id", "speaker", "genre", "title", "split", "section")
# Statement fields carried into a task's data only when the statement has them (statement files
# written before issue 13 have neither): one id per holder across documents, a transcript turn's speaker.
_CARRIED_IF_PRESENT = ("holder_id", "speaker")


@runtime_checkable
class Predictor(Protocol):
    """What pre-annotation needs from a classifier (the estimator contract of DESIGN.md section 4).

    ``predict_proba(X)`` takes a list of ``{"text": ..., "target": <target text>}`` dicts and returns
    an array of shape ``(len(X), len(classes_))``. ``classes_`` holds label strings: role labels
    (``None``/``Claim``/``Premise``) for a role model, stance labels for a stance or joint model.
    A model may also carry ``task`` (``role``/``stance``/``joint``) and ``model_version``.
    """

    classes_: Sequence[str]

    def predict_proba(self, X: Any) -> Any:  # noqa: N803 (scikit-learn naming)
        """Return class probabilities, one row per input, columns in ``classes_`` order."""
        ...


def task_key(statement_id: str, target_id: str | None) -> str:
    """The idempotency key of a task: ``"{statement_id}|{target}"`` or the statement id alone.

    Example:
        >>> task_key("doc:abc", "us_japan_alliance")
        'doc:abc|us_japan_alliance'
    """
    return f"{statement_id}|{target_id}" if target_id else statement_id


def validate_statement(record: dict[str, Any], where: str) -> dict[str, Any]:
    """Check one statement record; return it unchanged.

    Args:
        record: One parsed line of a statements file.
        where: How to name it in errors, e.g. ``"statements.jsonl line 3"``.

    Raises:
        StanceError: naming the place, the field, what was expected and what was found.

    Example:
        >>> validate_statement({"id": "d:1", "doc_id": "d", "text": "Hi."}, "line 1")["id"]
        'd:1'
    """
    for field, types in _REQUIRED.items():
        value = record.get(field)
        if value is None:
            raise StanceError(f"{where}: statement has no `{field}` field",
                              hint="statements come from `stance segment` (DESIGN.md section 1)")
        if not isinstance(value, types) or not value.strip():
            raise StanceError(f"{where}: `{field}` must be a non-empty string, found {value!r}")
    for field in _OPTIONAL_INT:
        value = record.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise StanceError(f"{where}: `{field}` must be a non-negative integer, found {value!r}")
    for field in _OPTIONAL_STR:
        value = record.get(field)
        if value is not None and not isinstance(value, str):
            raise StanceError(f"{where}: `{field}` must be a string, found {value!r}")
    start, end = record.get("start"), record.get("end")
    if start is not None and end is not None and end - start != len(record["text"]):
        raise StanceError(
            f"{where}: statement {record['id']}: end - start = {end - start} but the text has {len(record['text'])} characters",
            hint="`text` must be exactly source_text[start:end]; re-run `stance segment`",
        )
    return record


def read_statements(path: str | Path) -> list[dict[str, Any]]:
    """Read and validate a statements JSONL file.

    Args:
        path: A file written by ``stance segment``.

    Returns:
        The statements, in file order.

    Raises:
        StanceError: naming the line of a bad or repeated statement.

    Example:
        >>> statements = read_statements("tests/data/statements_small.jsonl")
        >>> statements[0]["doc_id"]
        '000_195aff00a3928bad'
    """
    seen: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for lineno, record in read_jsonl(path, what="statements file"):
        where = f"{path} line {lineno}"
        validate_statement(record, where)
        first = seen.setdefault(record["id"], lineno)
        if first != lineno:
            raise StanceError(f"{where}: statement id {record['id']!r} repeats line {first}",
                              hint="ids must be unique; re-run `stance segment`")
        out.append(record)
    if not out:
        raise StanceError(f"statements file {path} has no statements", hint="run `stance segment` first")
    return out


def _neighbours(statements: Sequence[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Previous and next statement text within each document, ordered by ``index`` (else file order)."""
    by_doc: dict[str, list[tuple[int, int, dict[str, Any]]]] = defaultdict(list)
    for pos, s in enumerate(statements):
        idx = s.get("index")
        by_doc[s["doc_id"]].append((idx if isinstance(idx, int) else pos, pos, s))
    out: dict[str, tuple[str, str]] = {}
    for items in by_doc.values():
        items.sort(key=lambda x: (x[0], x[1]))
        for i, (_, _, s) in enumerate(items):
            prev = items[i - 1][2]["text"] if i > 0 else ""
            nxt = items[i + 1][2]["text"] if i + 1 < len(items) else ""
            out[s["id"]] = (prev, nxt)
    return out


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _base_data(s: dict[str, Any], prev: str, nxt: str, schema: Schema) -> dict[str, Any]:
    data: dict[str, Any] = {
        "text": s["text"],
        "statement_id": s["id"],
        "doc_id": s["doc_id"],
        "holder": _s(s.get("holder")),
        "holder_type": _s(s.get("holder_type")),
        "genre": _s(s.get("genre")),
        "title": _s(s.get("title")),
        "prev_text": prev,
        "next_text": nxt,
        "start": s.get("start"),
        "end": s.get("end"),
        "schema_version": schema.version,
    }
    for field in _CARRIED_IF_PRESENT:
        if s.get(field) is not None:
            data[field] = s[field]
    if s.get("split") is not None:
        data["split"] = s["split"]
    return data


def _predictor_task(predictor: Predictor, schema: Schema) -> str:
    task = getattr(predictor, "task", None)  # a stance.models.StanceModel says it; a bare estimator may not
    if task in ("role", "stance", "joint"):
        return str(task)
    classes = {str(c) for c in predictor.classes_}
    if classes & {"Claim", "Premise"}:
        return "role"
    return "joint" if "None" in classes else "stance"


def _predict(predictor: Predictor, X: list[dict[str, str]], *, progress: bool) -> list[list[float]]:
    """Run ``predict_proba`` in batches (a transformer model needs them), with an optional bar."""
    from tqdm.auto import tqdm

    rows: list[list[float]] = []
    batches = range(0, len(X), PREDICTION_BATCH)
    for i in tqdm(batches, desc="pre-annotating", unit="batch", disable=not progress or len(X) <= PREDICTION_BATCH):
        proba = predictor.predict_proba(X[i : i + PREDICTION_BATCH])
        rows.extend([float(p) for p in row] for row in proba)
    if len(rows) != len(X):
        raise StanceError(f"the model returned {len(rows)} probability rows for {len(X)} inputs",
                          hint="predict_proba must return one row per input")
    return rows


def _choice(from_name: str, value: str, score: float) -> dict[str, Any]:
    return {"from_name": from_name, "to_name": "text", "type": "choices", "value": {"choices": [value]}, "score": score}


def build_tasks(
    statements: Iterable[dict[str, Any]],
    schema: Schema,
    *,
    mode: str = "pair",
    targets: Sequence[str] | None = None,
    predictor: Predictor | None = None,
    model_version: str | None = None,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Turn statements into Label Studio import tasks.

    Args:
        statements: Statement records (DESIGN.md section 1), e.g. from :func:`read_statements`.
        schema: The label schema; its version goes into every task.
        mode: ``"pair"`` (one task per statement × target) or ``"discovery"`` (one per statement).
        targets: Target ids to use (all targets of the schema when None).
        predictor: Optional classifier for pre-annotations (:class:`Predictor`).
        model_version: Recorded in each prediction; defaults to the predictor's ``model_version``.
        progress: Show a progress bar while predicting.

    Returns:
        A list of ``{"data": {...}}`` tasks, with ``"predictions"`` when a predictor is given,
        ready for Label Studio's import (API or UI).

    Example:
        >>> tasks = build_tasks(read_statements("tests/data/statements_small.jsonl"), load_schema("seeds/schema.yaml"),
        ...                     targets=["us_japan_alliance"])
        >>> tasks[0]["data"]["task_key"].endswith("|us_japan_alliance")
        True
    """
    if mode not in MODES:
        raise StanceError(f"unknown mode {mode!r}", hint="use --mode pair or --mode discovery")
    chosen: tuple[Target, ...] = schema.select_targets(list(targets) if targets else None)
    rows = [validate_statement(s, f"statement {i + 1}") for i, s in enumerate(statements)]
    neighbours = _neighbours(rows)

    tasks: list[dict[str, Any]] = []
    for s in rows:
        prev, nxt = neighbours[s["id"]]
        base = _base_data(s, prev, nxt, schema)
        if mode == "pair":
            for t in chosen:
                data = {**base, "target": t.id, "target_name": t.name, "target_definition": t.definition,
                        "task_key": task_key(s["id"], t.id)}
                tasks.append({"data": data})
        else:
            tasks.append({"data": {**base, "task_key": task_key(s["id"], None)}})

    keys = [t["data"]["task_key"] for t in tasks]
    if len(set(keys)) != len(keys):
        dupes = sorted({k for k in keys if keys.count(k) > 1})[:3]
        raise StanceError(f"statement ids repeat: {', '.join(dupes)}", hint="ids must be unique; re-run `stance segment`")

    if predictor is not None:
        add_predictions(tasks, schema, predictor, mode=mode, targets=[t.id for t in chosen],
                        model_version=model_version, progress=progress)
    logger.info("built %d %s-mode tasks from %d statements", len(tasks), mode, len(rows))
    return tasks


def add_predictions(
    tasks: list[dict[str, Any]],
    schema: Schema,
    predictor: Predictor,
    *,
    mode: str = "pair",
    targets: Sequence[str] | None = None,
    model_version: str | None = None,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Add pre-annotations (``predictions``) to tasks built by :func:`build_tasks`, in place.

    ``stance push`` calls this only for the tasks a project does not have yet, so a re-push
    costs no model time.

    Args:
        tasks: Pair- or discovery-mode tasks.
        schema: The schema the tasks were built with.
        predictor: The classifier (:class:`Predictor`).
        mode: The tasks' mode.
        targets: Discovery mode: the targets to predict for (all when None).
        model_version: Recorded in each prediction (default: the model's own).
        progress: Show a progress bar.

    Returns:
        The same task list.

    Example:
        >>> tasks = add_predictions(build_tasks(statements, schema), schema, load_model("runs/tfidf"))
        >>> tasks[0]["predictions"][0]["result"][0]["from_name"]
        'stance'
    """
    if not tasks:
        return tasks
    chosen = schema.select_targets(list(targets) if targets else None)
    classes = [str(c) for c in predictor.classes_]
    kind = _predictor_task(predictor, schema)
    allowed = set(schema.roles if kind == "role" else schema.stances)
    unknown = [c for c in classes if c not in allowed]
    if unknown:
        raise StanceError(
            f"the model's labels {unknown} are not {kind} labels of schema version {schema.version}",
            hint=f"expected labels among {sorted(allowed)}",
        )
    version = model_version or str(getattr(predictor, "model_version", "") or "unknown")
    if mode == "pair":
        _pair_predictions(tasks, predictor, classes, kind, version, progress=progress)
    else:
        _discovery_predictions(tasks, predictor, classes, kind, version, chosen, progress=progress)
    return tasks


def _pair_predictions(tasks: list[dict[str, Any]], predictor: Predictor, classes: list[str], kind: str, version: str,
                      *, progress: bool) -> None:
    control = "role" if kind == "role" else "stance"
    X = [{"text": t["data"]["text"], "target": t["data"]["target_name"]} for t in tasks]
    proba = _predict(predictor, X, progress=progress)
    for task, row in zip(tasks, proba):
        best = max(range(len(classes)), key=row.__getitem__)
        task["predictions"] = [{"model_version": version, "score": row[best],
                                "result": [_choice(control, classes[best], row[best])]}]


def _joint_result(chosen: Sequence[Target], rows: list[list[float]], classes: list[str]) -> tuple[list[dict[str, Any]], float]:
    """Discovery mode, joint model: the targets with a position, and one stance choice for each."""
    picked = []
    for t, row in zip(chosen, rows):
        best = max(range(len(classes)), key=row.__getitem__)
        if classes[best] != "None":
            picked.append((t, classes[best], row[best]))
    if not picked:
        return [], min(max(row) for row in rows)
    score = min(p for _, _, p in picked)
    result = [{"from_name": "targets", "to_name": "text", "type": "choices",
               "value": {"choices": [t.id for t, _, _ in picked]}, "score": score}]
    return result + [_choice(f"stance_{t.id}", label, p) for t, label, p in picked], score


def _role_result(text: str, rows: list[list[float]], classes: list[str]) -> tuple[list[dict[str, Any]], float]:
    """Discovery mode, role model: the statement's role as one span, from its most argumentative pairing."""
    arg = [j for j, c in enumerate(classes) if c != "None"]
    best_row = max(rows, key=lambda r: max((r[j] for j in arg), default=0.0))
    best = max(range(len(classes)), key=best_row.__getitem__)
    score = best_row[best]
    if classes[best] == "None":
        return [], score
    return [{"id": "pred0", "from_name": "span", "to_name": "text", "type": "labels", "score": score,
             "value": {"start": 0, "end": len(text), "text": text, "labels": [classes[best]]}}], score


def _discovery_predictions(tasks: list[dict[str, Any]], predictor: Predictor, classes: list[str], kind: str,
                           version: str, chosen: Sequence[Target], *, progress: bool) -> None:
    """One model run per statement × target, folded back into one prediction a task."""
    if kind == "stance":
        raise StanceError(
            "a `stance` model (Favor/Against only) cannot say which targets a statement takes a position on",
            hint="use a `joint` model (None/Favor/Against) or a `role` model for discovery-mode pre-annotations",
        )
    X = [{"text": task["data"]["text"], "target": t.name} for task in tasks for t in chosen]
    proba = _predict(predictor, X, progress=progress)
    n = len(chosen)
    for i, task in enumerate(tasks):
        rows = proba[i * n : (i + 1) * n]
        if kind == "joint":
            result, score = _joint_result(chosen, rows, classes)
        else:
            result, score = _role_result(task["data"]["text"], rows, classes)
        task["predictions"] = [{"model_version": version, "score": float(score), "result": result}]

def write_tasks(output: str | Path, tasks: list[dict[str, Any]], schema: Schema, *, mode: str,
                label_config: str | None = None, statements_path: str | Path | None = None,
                model_version: str | None = None) -> Path | None:
    """Write tasks as Label Studio import JSON, the labelling config beside it, and their lineage.

    The lineage record (``OUTPUT.lineage.json``) names the statements file and records the
    schema and guidelines versions, the mode and the pre-annotating model's version.

    Args:
        output: The tasks JSON file.
        tasks: Tasks from :func:`build_tasks`.
        schema: The schema they were built with.
        mode: ``pair`` or ``discovery``.
        label_config: The labelling config XML, written to ``OUTPUT`` with suffix ``.label_config.xml``.
        statements_path: The statements file the tasks came from.
        model_version: The model that pre-annotated them, if any.

    Returns:
        The labelling config path (``None`` when no config was given).

    Example:
        >>> write_tasks("tasks.json", tasks, schema, mode="pair", label_config=xml)  # doctest: +SKIP
    """
    from stance.io import atomic_write, write_json
    from stance.lineage import input_ref, write_lineage

    output = Path(output)
    if statements_path is not None:
        from stance.io import check_not_input

        check_not_input(output, [statements_path], option="-o")
    write_json(output, tasks, indent=None)
    config_path = None
    if label_config is not None:
        config_path = output.with_suffix(".label_config.xml")
        with atomic_write(config_path) as fh:
            fh.write(label_config)
    inputs = [input_ref(statements_path, "statements")] if statements_path is not None else []
    write_lineage(output, "tasks", inputs=inputs, details={
        "schema_version": schema.version, "guidelines_version": schema.guidelines_version, "mode": mode,
        "tasks": len(tasks), "model_version": model_version,
        "label_config": str(config_path) if config_path is not None else None})
    return config_path
