"""Aggregate, split and type an export: :func:`build_dataset` returns the ``DatasetDict`` and its metadata."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stance._util import gc_paused
from stance.dataset.aggregate import aggregate, label_names
from stance.dataset.features import features as _features
from stance.dataset.features import optional_columns
from stance.dataset.features import to_dataset as _to_dataset
from stance.dataset.splits import SPLITS, DatasetOptions, assign_splits
from stance.errors import StanceError
from stance.export import LabelExport

if TYPE_CHECKING:
    from datasets import DatasetDict

__all__ = ["FORMAT", "build_dataset"]

FORMAT = "stance.dataset.v1"


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
        export: A parsed export (:func:`stance.export.read_export`).
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
    meta = _metadata(export, schema, options, counts, splits, agreement, project_title)
    # Convert split by split, dropping each split's row dicts once it is in Arrow: keeps the peak lower.
    features = _features(schema, export.mode, meta.get("optional_columns", ()))
    del rows
    dd = DatasetDict()
    for name in list(splits):
        dd[name] = _to_dataset(splits.pop(name), features)
    return dd, meta


def _metadata(export: LabelExport, schema: Any, options: DatasetOptions, counts: Counter[str],
              splits: dict[str, list[dict[str, Any]]], agreement: Mapping[str, Any],
              project_title: str | None) -> dict[str, Any]:
    """What ``stance_dataset.json`` holds: versions, source, options, counts and label distributions."""
    from stance import __version__

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
    optional = optional_columns(r for part in splits.values() for r in part)
    if optional:  # statement files written before issue 13 have neither column
        meta["optional_columns"] = list(optional)
    return meta
