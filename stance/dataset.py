"""Where parsed Label Studio exports become a Hugging Face ``DatasetDict`` (DESIGN.md section 3).

:func:`aggregate` turns each (statement, target) into one row: labels by majority vote per
control, a ground-truth annotation overriding the vote, ties flagged and never resolved.
:func:`assign_splits` puts whole documents into train/validation/test, stratified by stance
as far as the grouping allows, deterministic for a seed, honouring a ``split`` in the task data.
:func:`build_dataset` does both and returns the ``DatasetDict`` with its metadata;
:func:`save_dataset` writes it (``save_to_disk``, Parquet per split, dataset card, metadata)
atomically. :func:`disagreement_tasks` turns conflicting items into Label Studio review tasks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import logging
import os
import shutil
import tempfile
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stance.errors import StanceError
from stance.io import write_json
from stance.labels import (
    DISCOVERY,
    PAIR,
    Annotation,
    LabelExport,
    Task,
    answers_by_target,
    format_ids,
    gc_paused,
    statement_key,
)

if TYPE_CHECKING:
    from datasets import DatasetDict, Features

__all__ = [
    "FORMAT",
    "SPLITS",
    "DatasetOptions",
    "vote",
    "aggregate",
    "assign_splits",
    "build_dataset",
    "save_dataset",
    "dataset_card",
    "disagreement_tasks",
    "review_config",
    "merge_adjudication",
    "label_names",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

FORMAT = "stance.dataset.v1"
SPLITS = ("train", "validation", "test")
TIES = "ties"
_SPLIT_ALIASES = {"train": "train", "validation": "validation", "valid": "validation", "val": "validation",
                  "dev": "validation", "test": "test"}


@dataclass(frozen=True)
class DatasetOptions:
    """How to aggregate and split.

    Attributes:
        ties: ``"exclude"`` puts tied rows in a ``ties`` split; ``"keep"`` leaves them in the
            train/validation/test splits with the tied control unlabelled (-1).
        seed: Seed for the document-grouped split.
        test_size: Share of rows (by whole documents) for the test split.
        val_size: Share of rows (by whole documents) for the validation split.
    """

    ties: str = "exclude"
    seed: int = 13
    test_size: float = 0.1
    val_size: float = 0.1

    def __post_init__(self) -> None:
        if self.ties not in ("exclude", "keep"):
            raise StanceError(f"ties={self.ties!r} is not an option", hint="use --ties exclude or --ties keep")
        for name in ("test_size", "val_size"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise StanceError(f"{name}={v} must be at least 0 and below 1", hint="e.g. --test-size 0.1")
        if self.test_size + self.val_size >= 1.0:
            raise StanceError(
                f"test_size + val_size = {self.test_size + self.val_size} leaves nothing to train on",
                hint="keep their sum below 1, e.g. 0.1 and 0.1",
            )


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
        export: A parsed export (:func:`stance.labels.read_export`).
        schema: The label schema (for label names and target names).

    Returns:
        ``(rows, counts)``. Each row has the DESIGN.md section 3 columns (labels as ClassLabel
        indices, -1 where unlabelled or tied; ties are flagged here and placed by
        :func:`assign_splits`) plus ``_split`` (the split given in the task data, or None). ``counts`` has ``rows``, ``tied_rows``, ``ground_truth_rows``,
        ``no_valid_annotation`` (tasks whose every answer was skipped, cancelled or empty).

    Example:
        >>> rows, counts = aggregate(export, schema)
        >>> rows[0]["annotations"][0]["annotator"]
        'anna@example.org'
    """
    roles = label_names(schema.roles)
    stances = label_names(schema.stances)
    role_index = {r: i for i, r in enumerate(roles)}
    stance_index = {s: i for i, s in enumerate(stances)}
    names = {t.id: t.name for t in schema.targets}
    counts: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    bad_split: list[int] = []
    for task in export.tasks:
        data = task.data
        by_target = answers_by_target(task, export.mode)
        if not by_target:
            counts["no_valid_annotation"] += 1
            continue
        split = data.get("split")
        if split is not None and split != "":
            split = _SPLIT_ALIASES.get(str(split).strip().lower())
            if split is None:
                bad_split.append(task.task_id)
        else:
            split = None
        sid = statement_key(data)
        for target, answers in by_target.items():
            role, role_tie, role_gt = _decide(answers, 1)
            stance, stance_tie, stance_gt = _decide(answers, 2)
            tie = role_tie or stance_tie
            row: dict[str, Any] = {
                "id": f"{sid}|{target}",
                "task_id": task.task_id,
                "statement_id": sid,
                "doc_id": str(data.get("doc_id") or sid),
                "text": data["text"],
                "target": target,
                "target_text": names.get(target) or str(data.get("target_name") or target),
                "holder": str(data.get("holder") or ""),
                "holder_type": str(data.get("holder_type") or ""),
                "genre": str(data.get("genre") or ""),
                "role": role_index[role] if role is not None else -1,
                "stance": stance_index[stance] if stance is not None else -1,
                "annotations": [
                    {"annotator": a.annotator, "role": r, "stance": s, "lead_time": a.lead_time, "updated_at": a.updated_at}
                    for a, r, s in answers
                ],
                "n_annotators": len(answers),
                "tie": tie,
                "ground_truth": role_gt or stance_gt,
                "_split": split,
            }
            if export.mode == DISCOVERY:
                row["spans"] = [
                    {"annotator": a.annotator, "span_id": sp.id, "label": sp.label, "text": sp.text,
                     "start": sp.start, "end": sp.end, "doc_start": sp.doc_start, "doc_end": sp.doc_end}
                    for a, _, _ in answers for sp in a.spans
                ]
                row["relations"] = [
                    {"annotator": a.annotator, "from_span": rel.from_span, "to_span": rel.to_span, "type": rel.type}
                    for a, _, _ in answers for rel in a.relations
                ]
            counts["rows"] += 1
            counts["tied_rows"] += tie
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


# --------------------------------------------------------------------------- splits


def _group_fold(idx: list[int], groups: list[str], y: list[int], fraction: float, seed: int) -> set[int]:
    """Indices (into ``idx``) of one held-out fold of whole groups, about ``fraction`` of the rows."""
    if fraction <= 0 or not idx:
        return set()
    uniq = sorted(set(groups))
    n_splits = max(2, int(round(1.0 / fraction)))
    if len(uniq) >= n_splits and len(uniq) >= 2:
        from sklearn.model_selection import StratifiedGroupKFold

        splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        target = fraction * len(idx)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "least populated class has fewer members than n_splits"
            folds = [set(test.tolist()) for _, test in splitter.split(np.zeros(len(idx)), y, groups)]
        return min(folds, key=lambda f: (abs(len(f) - target), sorted(f)[:1]))
    # Too few documents for k folds: take whole documents in a seeded order.
    rng = np.random.default_rng(seed)
    order = [uniq[i] for i in rng.permutation(len(uniq))]
    k = int(round(fraction * len(uniq)))
    if k == 0 and len(uniq) >= 3:
        k = 1
    chosen = set(order[:k])
    return {i for i, g in enumerate(groups) if g in chosen}


def assign_splits(rows: list[dict[str, Any]], options: DatasetOptions) -> dict[str, list[dict[str, Any]]]:
    """Put rows into train/validation/test (and ``ties``) without splitting any document.

    A ``split`` given in the task data is honoured as given; other rows of a document with a given
    split follow it. The rest are split by whole documents with scikit-learn's
    ``StratifiedGroupKFold`` (stratified by stance), seeded by ``options.seed``.

    Args:
        rows: Rows from :func:`aggregate` (in any order).
        options: Seed, sizes and the tie policy.

    Returns:
        ``{split: rows}`` for ``train``, ``validation``, ``test`` (and ``ties`` when ties are excluded).

    Example:
        >>> splits = assign_splits(rows, DatasetOptions(seed=1))
        >>> sorted(splits)
        ['test', 'ties', 'train', 'validation']
    """
    rows = sorted(rows, key=lambda r: r["id"])  # the split must not depend on the export's order
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    if options.ties == "exclude":
        out[TIES] = []
    doc_given: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        if r["_split"]:
            doc_given[r["doc_id"]][r["_split"]] += 1
    free: list[dict[str, Any]] = []
    for r in rows:
        if options.ties == "exclude" and r["tie"]:
            out[TIES].append(r)
        elif r["_split"]:
            out[r["_split"]].append(r)
        elif r["doc_id"] in doc_given:
            out[doc_given[r["doc_id"]].most_common(1)[0][0]].append(r)
        else:
            free.append(r)
    # Tied rows of a document follow its other rows' split only for bookkeeping; they never train.
    groups = [r["doc_id"] for r in free]
    y = [r["stance"] for r in free]
    test = _group_fold(list(range(len(free))), groups, y, options.test_size, options.seed)
    rest = [i for i in range(len(free)) if i not in test]
    val_fraction = options.val_size / (1.0 - options.test_size) if options.test_size < 1 else 0.0
    val_local = _group_fold(rest, [groups[i] for i in rest], [y[i] for i in rest], val_fraction, options.seed)
    val = {rest[i] for i in val_local}
    for i, r in enumerate(free):
        out["test" if i in test else "validation" if i in val else "train"].append(r)
    return out


# --------------------------------------------------------------------------- dataset


def _features(schema: Any, mode: str) -> Features:
    from datasets import ClassLabel, Features, Value

    feats = {
        "id": Value("string"),
        "task_id": Value("int64"),
        "statement_id": Value("string"),
        "doc_id": Value("string"),
        "text": Value("string"),
        "target": Value("string"),
        "target_text": Value("string"),
        "holder": Value("string"),
        "holder_type": Value("string"),
        "genre": Value("string"),
        "role": ClassLabel(names=label_names(schema.roles)),
        "stance": ClassLabel(names=label_names(schema.stances)),
        # A list literal (not datasets.List) so that datasets 3.x reads it too.
        "annotations": [
            {
                "annotator": Value("string"),
                "role": Value("string"),
                "stance": Value("string"),
                "lead_time": Value("float64"),
                "updated_at": Value("string"),
            }
        ],
        "n_annotators": Value("int32"),
        "tie": Value("bool"),
        "ground_truth": Value("bool"),
    }
    if mode == DISCOVERY:
        feats["spans"] = [
            {
                "annotator": Value("string"),
                "span_id": Value("string"),
                "label": Value("string"),
                "text": Value("string"),
                "start": Value("int64"),
                "end": Value("int64"),
                "doc_start": Value("int64"),
                "doc_end": Value("int64"),
            }
        ]
        feats["relations"] = [
            {"annotator": Value("string"), "from_span": Value("string"), "to_span": Value("string"), "type": Value("string")}
        ]
    return Features(feats)


def _to_dataset(rows: list[dict[str, Any]], features: Features) -> Any:
    import pyarrow as pa
    from datasets import Dataset, DatasetInfo

    columns = {name: [r[name] for r in rows] for name in features}
    table = pa.Table.from_pydict(columns, schema=features.arrow_schema)
    return Dataset(table, info=DatasetInfo(features=features))


def _label_counts(rows: list[dict[str, Any]], key: str, names: list[str]) -> dict[str, int]:
    c = Counter(r[key] for r in rows)
    out = {names[i]: c.get(i, 0) for i in range(len(names))}
    if c.get(-1):
        out["(unlabelled)"] = c[-1]
    return out


def build_dataset(
    export: LabelExport,
    schema: Any,
    *,
    options: DatasetOptions | None = None,
    agreement: Mapping[str, Any] | None = None,
    project_title: str | None = None,
) -> tuple[DatasetDict, dict[str, Any]]:
    """Aggregate, split and type an export.

    Args:
        export: A parsed export (:func:`stance.labels.read_export`).
        schema: The label schema it was parsed with.
        options: Tie policy, seed and split sizes (defaults: exclude ties, seed 13, 10 % / 10 %).
        agreement: Agreement figures to record (:func:`stance.agreement.export_agreement`);
            computed here when None.
        project_title: Title of the Label Studio project the export came from, for the card
            (an export names its project only by id).

    Returns:
        ``(DatasetDict, metadata)``; the metadata is what ``stance_dataset.json`` holds.

    Example:
        >>> dd, meta = build_dataset(read_export("export.json", schema), schema)
        >>> dd["train"].features["stance"].names
        ['None', 'Favor', 'Against']
    """
    from datasets import DatasetDict

    from stance import __version__

    options = options or DatasetOptions()
    with gc_paused():
        rows, counts = aggregate(export, schema)
        splits = assign_splits(rows, options)
        if not any(splits[s] for s in SPLITS):
            raise StanceError(
                f"{export.path}: every labelled item is tied ({counts['tied_rows']}), nothing is left for "
                "train/validation/test",
                hint="adjudicate the ties (`stance disagreements`), or pass --ties keep",
            )
    if agreement is None:
        from stance.agreement import export_agreement

        agreement = export_agreement(export)
    roles, stances = label_names(schema.roles), label_names(schema.stances)
    meta: dict[str, Any] = {
        "format": FORMAT,
        "created_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "stance_version": __version__,
        "schema_version": str(schema.version),
        "guidelines_version": str(getattr(schema, "guidelines_version", "") or ""),
        "schema_name": str(getattr(schema, "name", "") or ""),
        "mode": export.mode,
        "source": {"export": export.path.name, "project_title": project_title, "projects": export.projects,
                   "export_schema_version": export.schema_version},
        "options": dataclasses.asdict(options),
        "role_names": roles,
        "stance_names": stances,
        "counts": {**export.counts, **counts},
        "unannotated_task_ids": export.unannotated_ids[:100],
        "splits": {name: len(part) for name, part in splits.items()},
        "labels": {
            name: {"role": _label_counts(part, "role", roles), "stance": _label_counts(part, "stance", stances)}
            for name, part in splits.items()
        },
        "targets": {name: dict(sorted(Counter(r["target"] for r in part).items())) for name, part in splits.items()},
        "genres": {name: dict(sorted(Counter(r["genre"] or "(none)" for r in part).items())) for name, part in splits.items()},
        "documents": {name: len({r["doc_id"] for r in part}) for name, part in splits.items()},
        "agreement": agreement,
        "warnings": list(export.warnings),
    }
    # Convert split by split, dropping each split's row dicts once it is in Arrow: keeps the peak lower.
    features = _features(schema, export.mode)
    del rows
    dd = DatasetDict()
    for name in list(splits):
        dd[name] = _to_dataset(splits.pop(name), features)
    return dd, meta


# --------------------------------------------------------------------------- writing


def _fmt(x: Any) -> str:
    return "n/a" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def dataset_card(meta: Mapping[str, Any]) -> str:
    """The dataset card (``README.md``) for a built dataset, from its metadata.

    Example:
        >>> dataset_card(meta).splitlines()[0]
        '---'
    """
    splits = [s for s, n in meta["splits"].items() if n]
    lines = ["---", "configs:", "- config_name: default", "  data_files:"]
    for s in splits:
        lines += [f"  - split: {s}", f"    path: parquet/{s}.parquet"]
    lines += ["tags:", "- stance-detection", "- argument-mining", "---", ""]
    c = meta["counts"]
    title = meta.get("schema_name") or "stance"
    lines += [
        f"# {title}: stance and argument-role annotations",
        "",
        f"Built by `stance dataset` (stance {meta['stance_version']}) on {meta['created_at']} from the Label Studio "
        f"export `{meta['source']['export']}` of project "
        + (f"\"{meta['source']['project_title']}\" " if meta["source"].get("project_title") else "")
        + f"(id(s): {', '.join(map(str, meta['source']['projects'])) or 'unknown'}).",
        "",
        "| | |",
        "| --- | --- |",
        f"| format | `{meta['format']}` |",
        f"| schema version | {meta['schema_version']} |",
        f"| guidelines version | {meta['guidelines_version']} |",
        f"| task mode | {meta['mode']} |",
        f"| ties | {meta['options']['ties']} |",
        f"| split seed | {meta['options']['seed']} (test {meta['options']['test_size']}, validation {meta['options']['val_size']}, by document) |",
        "",
        "Load it with `datasets.load_from_disk(DATA_DIR)`, or read the Parquet files in `parquet/`.",
        "",
        "## Annotations",
        "",
        f"- tasks in the export: {c.get('tasks', 0)}; without any annotation (left out): {c.get('unannotated', 0)}",
        f"- annotations: {c.get('annotations', 0)}; skipped: {c.get('skipped', 0)}; cancelled after labelling: "
        f"{c.get('cancelled', 0)}; submitted empty: {c.get('empty', 0)}; replaced by the same annotator's later answer: "
        f"{c.get('superseded', 0)} (none of these vote)",
        f"- tasks left out because no answer votes: {c.get('no_valid_annotation', 0)}",
        f"- rows: {c.get('rows', 0)}; tied (never resolved silently, "
        f"{'kept with the tied label unset (-1)' if meta['options']['ties'] == 'keep' else 'in the `ties` split'}): "
        f"{c.get('tied_rows', 0)}; decided by a ground-truth annotation: {c.get('ground_truth_rows', 0)}",
    ]
    if c.get("spans_repaired"):
        lines.append(f"- discovery spans whose offsets were realigned to their text: {c['spans_repaired']}")
    if "offsets_checked" in c or "offsets_unchecked" in c:
        lines.append(f"- statement offsets checked against source documents: {c.get('offsets_checked', 0)}; "
                     f"source not found: {c.get('offsets_unchecked', 0)}")
    for w in meta.get("warnings", []):
        lines.append(f"- note: {w}")
    lines += ["", "## Splits", "", "| split | rows | documents |", "| --- | --- | --- |"]
    for s, n in meta["splits"].items():
        lines.append(f"| {s} | {n} | {meta['documents'][s]} |")
    for key, title_ in (("role", "Role"), ("stance", "Stance")):
        names = list(next(iter(meta["labels"].values()))[key])
        lines += ["", f"## {title_} labels", "", "| split | " + " | ".join(names) + " |", "|" + " --- |" * (len(names) + 1)]
        for s in meta["splits"]:
            lines.append(f"| {s} | " + " | ".join(str(meta["labels"][s][key].get(n, 0)) for n in names) + " |")
    for key, title_ in (("targets", "Targets"), ("genres", "Genres")):
        names = sorted({n for part in meta[key].values() for n in part})
        lines += ["", f"## {title_}", "", "| split | " + " | ".join(names) + " |", "|" + " --- |" * (len(names) + 1)]
        for s in meta["splits"]:
            lines.append(f"| {s} | " + " | ".join(str(meta[key][s].get(n, 0)) for n in names) + " |")
    lines += [
        "",
        "## Agreement",
        "",
        "On items answered by two or more annotators. Cohen's kappa is the mean over annotator pairs; "
        "Fleiss' kappa uses the items with the most common number of answers.",
        "",
        "| control | target | items | annotators | Cohen κ | Fleiss κ | Krippendorff α | all agree |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in meta["agreement"]["controls"]:
        lines.append(
            f"| {row['control']} | {row['target'] or 'all'} | {row['n_items']} | {row['n_annotators']} | "
            f"{_fmt(row['cohen_kappa'])} | {_fmt(row['fleiss_kappa'])} | {_fmt(row['krippendorff_alpha'])} | {_fmt(row['observed'])} |"
        )
    spans = meta["agreement"].get("spans")
    if spans:
        lines += ["", f"Span F1 between annotators ({spans['n_items']} items, {spans['n_pairs']} pairs): "
                      f"exact {_fmt(spans['exact_f1'])}, overlap {_fmt(spans['overlap_f1'])}."]
    lines += [
        "",
        "## Columns",
        "",
        "`id` (`statement_id|target`), `task_id`, `statement_id`, `doc_id`, `text`, `target`, `target_text`, "
        "`holder`, `holder_type`, `genre`, `role` and `stance` (ClassLabel, -1 where unlabelled or tied), "
        "`annotations` (every voting annotator's `annotator`, `role`, `stance`, `lead_time`, `updated_at`), "
        "`n_annotators`, `tie`, `ground_truth`"
        + (", `spans` (per annotator: label, text, offsets into the statement and the document), "
           "`relations` (`from_span`, `to_span`, `type`). Discovery mode has one row per (statement, target) "
           "that an annotator ticked; an annotator who did not tick the target answers stance `None` for it, "
           "and each annotator's role is read off their spans (`Claim` if they marked a claim span, else "
           "`Premise` if a premise span, else `None`)." if meta["mode"] == DISCOVERY else "."),
        "",
    ]
    return "\n".join(lines)


def save_dataset(
    dd: DatasetDict, meta: Mapping[str, Any], out_dir: str | os.PathLike[str], *, progress: bool = False
) -> Path:
    """Write the dataset folder atomically: built beside ``out_dir``, then renamed into place.

    The folder holds the ``save_to_disk`` files, ``parquet/<split>.parquet``, ``README.md``
    (the card) and ``stance_dataset.json`` (the metadata). An existing folder is replaced only
    when it is empty or a previous ``stance dataset`` output.

    Args:
        dd: The dataset.
        meta: Its metadata (:func:`build_dataset`).
        out_dir: The folder to create or replace.
        progress: Show the ``datasets`` progress bars while writing.

    Returns:
        The output folder.

    Example:
        >>> save_dataset(dd, meta, "data/v1")
        PosixPath('data/v1')
    """
    out = Path(out_dir)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise StanceError(f"cannot write {out}: folder {parent} does not exist", hint=f"mkdir -p {parent}")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "stance_dataset.json").is_file())):
        raise StanceError(
            f"{out} exists and is not a dataset written by `stance dataset`",
            hint="choose a new output folder, or remove it first",
        )
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=parent))
    try:
        build = tmp / "data"
        with _progress_bars(progress):
            # One shard per split, also for empty ones: zero shards cannot be loaded back.
            dd.save_to_disk(str(build), num_shards={name: 1 for name in dd})
            (build / "parquet").mkdir()
            for name, ds in dd.items():
                ds.to_parquet(str(build / "parquet" / f"{name}.parquet"))
        write_json(build / "stance_dataset.json", dict(meta))
        (build / "README.md").write_text(dataset_card(meta), encoding="utf-8")
        old = None
        if out.exists():
            old = tmp / "old"
            os.replace(out, old)
        try:
            os.replace(build, out)
        except BaseException:
            if old is not None:
                os.replace(old, out)
            raise
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
    return out


@contextlib.contextmanager
def _progress_bars(enabled: bool) -> Iterator[None]:
    """Switch the ``datasets`` progress bars on or off for a block, restoring the previous state."""
    from datasets.utils import logging as ds_logging

    was_enabled = ds_logging.is_progress_bar_enabled()
    (ds_logging.enable_progress_bar if enabled else ds_logging.disable_progress_bar)()
    try:
        yield
    finally:
        (ds_logging.enable_progress_bar if was_enabled else ds_logging.disable_progress_bar)()


# --------------------------------------------------------------------------- adjudication


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
        >>> "$review_answers" in review_config(load_schema(), "pair")
        True
    """
    from stance.schema import labeling_config

    lines = labeling_config(schema, mode).splitlines()
    block = [
        '  <View style="padding: 6px 10px; border-left: 4px solid #d9822b; margin-bottom: 8px">',
        '    <Header value="Answers to adjudicate: they differ on $review_conflicts" size="5"/>',
        '    <Text name="review_answers" value="$review_answers" granularity="word"/>',
        "  </View>",
    ]
    return "\n".join(lines[:2] + block + lines[2:]) + "\n"


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
