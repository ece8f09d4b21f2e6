"""The Arrow features (column types) of a stance dataset, and rows → a typed ``Dataset``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from stance.dataset.aggregate import OPTIONAL_COLUMNS, label_names
from stance.export import DISCOVERY

if TYPE_CHECKING:
    from datasets import Features

__all__ = ["OPTIONAL_COLUMNS", "features", "optional_columns", "to_dataset"]

def optional_columns(rows: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The optional columns (:data:`OPTIONAL_COLUMNS`) that at least one row has."""
    present = {column for row in rows for column in OPTIONAL_COLUMNS if column in row}
    return tuple(column for column in OPTIONAL_COLUMNS if column in present)


def features(schema: Any, mode: str, optional: Sequence[str] = ()) -> Features:
    """The columns of a dataset built from a ``mode`` export labelled with ``schema`` (DESIGN.md section 3),
    with the optional columns named in ``optional`` after ``holder_type``."""
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
        **{column: Value("string") for column in OPTIONAL_COLUMNS if column in optional},
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


def to_dataset(rows: list[dict[str, Any]], features: Features) -> Any:
    """Rows (dicts) → a ``datasets.Dataset`` with exactly these features."""
    import pyarrow as pa
    from datasets import Dataset, DatasetInfo

    columns = {name: [r.get(name) if name in OPTIONAL_COLUMNS else r[name] for r in rows] for name in features}
    table = pa.Table.from_pydict(columns, schema=features.arrow_schema)
    return Dataset(table, info=DatasetInfo(features=features))
