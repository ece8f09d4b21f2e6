"""Where Label Studio exports become typed per-annotation records.

A Label Studio JSON export (``stance pull``, or *Export → JSON* in the UI) is a list of tasks;
each carries our task data (DESIGN.md section 2) and the annotations made on it.

- :mod:`stance.export.stream`: stream the task objects of a large export;
- :mod:`stance.export.records`: the typed records (:class:`Task`, :class:`Annotation`, ...);
- :mod:`stance.export.decode`: one annotation's results → an :class:`Annotation`;
- :mod:`stance.export.validate`: the validation pass shared by ``dataset`` and ``agreement``;
- :mod:`stance.export.parse`: :func:`read_export`, all of the above in one call;
- :mod:`stance.export.documents`: source documents to check statement offsets against.
"""

from __future__ import annotations

from stance.export.documents import read_documents
from stance.export.parse import read_export
from stance.export.records import (
    CANCELLED,
    EMPTY,
    OK,
    SKIPPED,
    DATA_FIELDS,
    DISCOVERY,
    PAIR,
    Annotation,
    LabelExport,
    Relation,
    Span,
    Task,
    annotation_role,
    answers_by_target,
    format_ids,
    statement_key,
)
from stance.export.stream import iter_export_tasks

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
    "OK",
    "SKIPPED",
    "CANCELLED",
    "EMPTY",
    "DATA_FIELDS",
    "annotation_role",
    "answers_by_target",
    "statement_key",
    "format_ids",
]
