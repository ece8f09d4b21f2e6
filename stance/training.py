"""Dataset folder → fitted model folder (``stance train``).

Reads the ``DatasetDict`` written by ``stance dataset`` (DESIGN.md section 3), selects the rows
and labels of one task setting (section 4), fits the configured model on ``train`` (the
transformer early-stops on ``validation``) and writes a model folder with ``stance_model.json``.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stance.config import TASKS, TrainConfig
from stance.dataset.store import INFO_FILE as DATASET_INFO_FILE
from stance.dataset.store import load_dataset_dir
from stance.errors import StanceError
from stance.lineage import input_ref, write_lineage
from stance.models.base import TASK_LABELS, check_labels, check_schema_version, data_fingerprint, make_metadata

__all__ = ["DATASET_INFO_FILE", "REQUIRED_COLUMNS", "TaskData", "TrainResult", "load_dataset_dir",
           "task_data", "train"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: Columns every task needs, and the label column of each task.
REQUIRED_COLUMNS = ("id", "text", "target")
LABEL_COLUMN = {"joint": "stance", "stance": "stance", "role": "role"}
#: Columns carried along for the evaluation breakdowns when present.
META_COLUMNS = ("id", "statement_id", "doc_id", "target", "genre", "holder", "holder_type")


@dataclass
class TaskData:
    """One split's rows for one task setting: model input, gold labels and metadata columns."""

    task: str
    split: str
    X: Any  # pandas DataFrame with text, target (target text) and META_COLUMNS
    y: np.ndarray  # label strings
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class TrainResult:
    """What ``train`` did: where the model went, on how many rows, and the class counts."""

    model_dir: Path
    task: str
    kind: str
    n_train: int
    n_validation: int
    class_counts: dict[str, int]
    seconds: float
    metadata: dict[str, Any] = field(repr=False, default_factory=dict)


def _label_names(split: Any, column: str) -> list[str] | None:
    feature = split.features.get(column)
    return list(feature.names) if hasattr(feature, "names") else None


def task_data(ds: Any, split: str, task: str, *, data_dir: str | os.PathLike[str] = "dataset") -> TaskData:
    """Select the rows and labels of one task setting from one split.

    ``joint``: every pair with a stance label; ``stance``: pairs whose gold stance is Favor or
    Against; ``role``: every pair with a role label. Rows with label -1 (unlabeled) are dropped.

    Args:
        ds: The ``DatasetDict``.
        split: ``train``, ``validation``, ``test`` …
        task: ``joint``, ``stance`` or ``role``.
        data_dir: Named in error messages.

    Returns:
        The :class:`TaskData` (may be empty: callers decide whether that is an error).

    Example:
        >>> td = task_data(ds, "train", "stance")
        >>> set(td.y) <= {"Favor", "Against"}
        True
    """
    import pandas as pd

    if task not in TASKS:
        raise StanceError(f"unknown task setting {task!r}", hint=f"choose one of: {', '.join(TASKS)}")
    if split not in ds:
        raise StanceError(f"dataset {data_dir} has no {split!r} split; it has {', '.join(ds)}",
                          hint="choose one of those with --split, or rebuild with `stance dataset`")
    table = ds[split]
    label_col = LABEL_COLUMN[task]
    missing = [c for c in (*REQUIRED_COLUMNS, label_col) if c not in table.column_names]
    if missing:
        raise StanceError(
            f"dataset {data_dir} split {split!r} lacks column(s) {', '.join(missing)} needed for the {task!r} task",
            hint="`stance dataset` writes them; rebuild the dataset with it",
        )
    names = _label_names(table, label_col) or list(("None", "Claim", "Premise") if label_col == "role" else ("None", "Favor", "Against"))
    keep = [c for c in (*META_COLUMNS, "text", "target_text", label_col) if c in table.column_names]
    frame = table.select_columns(keep).to_pandas()
    raw = frame[label_col].to_numpy()
    if raw.dtype.kind in "iu":
        valid = raw >= 0
        labels = np.array([names[i] if i >= 0 else "" for i in raw], dtype=object)
    else:  # plain strings; empty or None = unlabeled
        labels = np.array(["" if v is None else str(v) for v in raw], dtype=object)
        valid = labels != ""
    if task == "stance":
        valid &= np.isin(labels, TASK_LABELS["stance"])
    frame = frame.loc[valid].reset_index(drop=True)
    labels = labels[valid]
    target_text = frame["target_text"] if "target_text" in frame else frame["target"]
    target_text = [str(t) if t not in (None, "") else str(g) for t, g in zip(target_text, frame["target"])]
    X = frame.drop(columns=[label_col]).rename(columns={"target": "target_id"})
    X["target"] = target_text
    X = X.drop(columns=["target_text"], errors="ignore")
    return TaskData(task=task, split=split, X=pd.DataFrame(X), y=labels, labels=TASK_LABELS[task])


def train(data_dir: str | os.PathLike[str], model_dir: str | os.PathLike[str], *, config: TrainConfig,
          progress: bool = True) -> TrainResult:
    """Fit the configured model on a dataset's ``train`` split and write the model folder.

    Args:
        data_dir: Dataset folder from ``stance dataset``.
        model_dir: Output folder (created; an existing model there is replaced).
        config: Model type, task setting, seed and hyperparameters.
        progress: Show progress bars (transformer).

    Returns:
        A :class:`TrainResult`.

    Raises:
        StanceError: missing columns, an empty split, a split with a single class, an incompatible schema.

    Example:
        >>> train("out/dataset", "runs/tfidf", config=TrainConfig(model="tfidf", task="joint")).n_train
        412
    """
    from stance.models import build_model, save_model

    started = time.perf_counter()
    ds, info = load_dataset_dir(data_dir)
    check_schema_version((info or {}).get("schema_version"), where=f"dataset {data_dir}")
    tr = task_data(ds, "train", config.task, data_dir=data_dir)
    if len(tr) == 0:
        raise StanceError(f"dataset {data_dir}: the 'train' split has no labeled rows for the {config.task!r} task",
                          hint="label more statements, or choose another --task")
    check_labels(tr.y, what=f"dataset {data_dir} 'train' split ({config.task} task)")
    unexpected = sorted(set(tr.y) - set(tr.labels))
    if unexpected:
        raise StanceError(f"dataset {data_dir}: labels {unexpected} are not {config.task!r} labels {list(tr.labels)}",
                          hint="rebuild the dataset with `stance dataset`")
    validation = None
    n_val = 0
    if "validation" in ds:
        va = task_data(ds, "validation", config.task, data_dir=data_dir)
        n_val = len(va)
        if n_val:
            validation = (va.X, va.y)
    if config.model == "transformer":
        model = build_model(config, progress=progress and config.params.progress)  # type: ignore[union-attr]
        model.fit(tr.X, tr.y, validation=validation)
    else:
        model = build_model(config)
        model.fit(tr.X, tr.y, validation=validation)
    targets = {str(i): str(t) for i, t in zip(tr.X["target_id"], tr.X["target"])}
    meta = make_metadata(
        kind=config.model, task=config.task, labels=tr.labels, config=config.to_dict(),
        fingerprint=data_fingerprint(tr.X["text"].tolist(), tr.X["target"].tolist(), list(tr.y)),
        targets=targets, schema_version=(info or {}).get("schema_version"),
        extra_versions=("torch", "transformers") if config.model == "transformer" else (),
        extra={"classes": [str(c) for c in model.classes_], "n_train": len(tr), "n_validation": n_val,
               "dataset": {"path": str(Path(data_dir).resolve()),
                           "guidelines_version": (info or {}).get("guidelines_version")},
               "training": getattr(model, "training_log_", None)},
    )
    save_model(model, model_dir, meta)
    write_lineage(model_dir, "model", inputs=[input_ref(data_dir, "dataset")],
                  details={"kind": config.model, "task": config.task, "model_version": meta["model_version"],
                           "n_train": len(tr), "n_validation": n_val, "data_fingerprint": meta["data_fingerprint"]},
                  versions={k: str(v) for k, v in (meta.get("versions") or {}).items() if v is not None})
    values, counts = np.unique(tr.y, return_counts=True)
    return TrainResult(model_dir=Path(model_dir), task=config.task, kind=config.model, n_train=len(tr),
                       n_validation=n_val, class_counts={str(v): int(c) for v, c in zip(values, counts)},
                       seconds=time.perf_counter() - started, metadata=meta)
