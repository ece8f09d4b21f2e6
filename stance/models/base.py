"""What every stance model shares: input normalisation, label checks and ``stance_model.json``.

A model folder always holds ``stance_model.json`` (format ``stance.model.v1``)::

    {"format": "stance.model.v1", "kind": "tfidf", "task": "joint",
     "labels": ["None", "Favor", "Against"], "schema_version": "1",
     "targets": {"kuril_sovereignty": "Russian sovereignty over ..."},
     "data_fingerprint": "sha256:...", "config": {...}, "versions": {...},
     "model_version": "tfidf-joint-2026-11-22T16:40:00Z-1a2b3c4d"}
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import logging
import os
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError
from stance.io import read_json, write_json

__all__ = [
    "MODEL_FORMAT",
    "METADATA_FILE",
    "SUPPORTED_SCHEMA_MAJOR",
    "TASK_LABELS",
    "as_frame_columns",
    "check_labels",
    "data_fingerprint",
    "library_versions",
    "make_metadata",
    "write_metadata",
    "read_metadata",
    "check_schema_version",
    "StanceModel",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

MODEL_FORMAT = "stance.model.v1"
METADATA_FILE = "stance_model.json"
#: Label-schema major versions whose labels this code understands.
SUPPORTED_SCHEMA_MAJOR = ("1",)

#: The label set of each task setting, in the order models report them.
TASK_LABELS: dict[str, tuple[str, ...]] = {
    "joint": ("None", "Favor", "Against"),
    "stance": ("Favor", "Against"),
    "role": ("None", "Claim", "Premise"),
}


def as_frame_columns(X: Any) -> tuple[list[str], list[str]]:
    """Split model input into parallel lists of statement texts and target texts.

    Args:
        X: A pandas DataFrame with ``text`` and ``target`` columns, or a list of dicts with those keys.

    Returns:
        ``(texts, targets)``, both lists of str.

    Example:
        >>> as_frame_columns([{"text": "Return the islands.", "target": "Kuril sovereignty"}])
        (['Return the islands.'], ['Kuril sovereignty'])
    """
    if hasattr(X, "columns"):  # a DataFrame
        missing = [c for c in ("text", "target") if c not in X.columns]
        if missing:
            raise StanceError(
                f"model input lacks column(s) {', '.join(missing)}; it has {', '.join(map(str, X.columns))}",
                hint="pass rows with 'text' (the statement) and 'target' (the target text)",
            )
        return [str(t) for t in X["text"].tolist()], [str(t) for t in X["target"].tolist()]
    if isinstance(X, dict) and "text" in X:
        raise StanceError("model input is one dict, expected a list of dicts", hint="wrap it in a list: [row]")
    if isinstance(X, (str, bytes)) or not isinstance(X, Iterable):
        raise StanceError(f"model input must be a DataFrame or a list of dicts, got {type(X).__name__}",
                          hint="e.g. [{'text': 'Return the islands.', 'target': 'Kuril sovereignty'}]")
    texts: list[str] = []
    targets: list[str] = []
    for i, row in enumerate(X):
        if not isinstance(row, dict) or "text" not in row or "target" not in row:
            raise StanceError(f"model input row {i} lacks 'text' or 'target': {str(row)[:80]}",
                              hint="each row needs 'text' (the statement) and 'target' (the target text)")
        texts.append(str(row["text"]))
        targets.append(str(row["target"]))
    return texts, targets


def check_labels(y: Any, *, what: str = "training labels") -> np.ndarray:
    """Turn labels into an array of str and refuse what cannot be trained on.

    Raises:
        StanceError: for no labels, or a single class.

    Example:
        >>> check_labels(["Favor", "Against"]).tolist()
        ['Favor', 'Against']
    """
    arr = np.asarray([str(v) for v in (y.tolist() if hasattr(y, "tolist") else y)], dtype=object)
    if arr.size == 0:
        raise StanceError(f"{what}: no rows", hint="label more statements, or check the split and --task")
    classes, counts = np.unique(arr, return_counts=True)
    if classes.size < 2:
        raise StanceError(
            f"{what}: only one class ({classes[0]!r}, {counts[0]} rows); a classifier needs at least two",
            hint="label examples of the other classes, or choose another --task",
        )
    return arr


def data_fingerprint(texts: Sequence[str], targets: Sequence[str], labels: Sequence[str]) -> str:
    """A sha256 over the training rows (order-independent), recorded with the model.

    Example:
        >>> data_fingerprint(["a"], ["t"], ["Favor"])[:7]
        'sha256:'
    """
    rows = sorted(f"{t}\x1f{g}\x1f{y}" for t, g, y in zip(texts, targets, labels))
    h = hashlib.sha256()
    for row in rows:
        h.update(row.encode("utf-8"))
        h.update(b"\x1e")
    return f"sha256:{h.hexdigest()}"


def library_versions(extra: Iterable[str] = ()) -> dict[str, str]:
    """Versions of the libraries a saved model depends on.

    Example:
        >>> "scikit-learn" in library_versions()
        True
    """
    names = ["stance", "numpy", "scikit-learn", "scipy", "skops", *extra]
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def make_metadata(*, kind: str, task: str, labels: Sequence[str], config: dict[str, Any], fingerprint: str,
                  targets: dict[str, str] | None = None, schema_version: str | None = None,
                  extra_versions: Iterable[str] = (), extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the ``stance_model.json`` record for a freshly fitted model.

    Example:
        >>> make_metadata(kind="tfidf", task="joint", labels=["None"], config={}, fingerprint="x")["format"]
        'stance.model.v1'
    """
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    short = fingerprint.split(":")[-1][:8]
    meta = {
        "format": MODEL_FORMAT,
        "kind": kind,
        "task": task,
        "labels": list(labels),
        "schema_version": None if schema_version is None else str(schema_version),
        "targets": dict(targets or {}),
        "data_fingerprint": fingerprint,
        "config": config,
        "versions": library_versions(extra_versions),
        "model_version": f"{kind}-{task}-{now.strftime('%Y%m%dT%H%M%SZ')}-{short}",
        "created_at": now.isoformat().replace("+00:00", "Z"),
    }
    if extra:
        meta.update(extra)
    return meta


def write_metadata(model_dir: str | os.PathLike[str], meta: dict[str, Any]) -> Path:
    """Write ``stance_model.json`` into ``model_dir`` (atomically)."""
    path = Path(model_dir) / METADATA_FILE
    write_json(path, meta)
    return path


def check_schema_version(version: Any, *, where: str) -> None:
    """Refuse a label-schema version this code cannot read.

    Example:
        >>> check_schema_version("1", where="model")
    """
    if version is None:
        return
    major = str(version).split(".")[0]
    if major not in SUPPORTED_SCHEMA_MAJOR:
        raise StanceError(
            f"{where} uses label schema version {version!r}; this stance release reads version(s) "
            f"{', '.join(SUPPORTED_SCHEMA_MAJOR)}",
            hint="retrain the model on a dataset built with the current schema, or install the stance release that made it",
        )


def read_metadata(model_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check ``stance_model.json`` of a model folder.

    Raises:
        StanceError: when the folder is not a stance model, has an unknown format or an incompatible schema version.

    Example:
        >>> read_metadata("runs/tfidf")["kind"]
        'tfidf'
    """
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        from stance._util import missing_path_error

        raise missing_path_error(model_dir, "model folder", hint="train one with `stance train DATA_DIR -o MODEL_DIR`")
    path = model_dir / METADATA_FILE
    if not path.is_file():
        raise StanceError(f"{model_dir} is not a stance model folder: {METADATA_FILE} is missing",
                          hint="train one with `stance train DATA_DIR -o MODEL_DIR`")
    meta = read_json(path, what="model metadata")
    if not isinstance(meta, dict):
        found = {"list": "a JSON list", "str": "a JSON string", "NoneType": "null"}.get(type(meta).__name__,
                                                                                       f"a JSON {type(meta).__name__}")
        raise StanceError(f"{path} holds {found}, expected a JSON object with \"format\": \"{MODEL_FORMAT}\"",
                          hint="the file was edited or damaged; restore it from a copy of the model folder, or retrain the model")
    if meta.get("format") != MODEL_FORMAT:
        raise StanceError(f"{path}: format {meta.get('format')!r} is not {MODEL_FORMAT!r}",
                          hint="retrain the model with this stance release")
    for key in ("kind", "task", "labels"):
        if key not in meta:
            raise StanceError(f"{path}: field {key!r} is missing", hint="the file is damaged; retrain the model")
    check_schema_version(meta.get("schema_version"), where=f"model {model_dir}")
    return meta


@dataclass
class StanceModel:
    """A fitted estimator together with its model folder and ``stance_model.json``.

    The one model-with-metadata type of the toolkit: :func:`stance.models.load_model` returns
    it, and prediction, task pre-annotation and evaluation use it alike. It also follows the
    estimator contract itself (``classes_``, ``predict_proba``, ``predict``), so it can be passed
    wherever a predictor is expected.

    Attributes:
        estimator: The fitted scikit-learn-style estimator.
        metadata: The parsed ``stance_model.json``.
        path: The model folder.

    Example:
        >>> model = load_model("runs/tfidf")
        >>> model.task, model.labels
        ('joint', ['Against', 'Favor', 'None'])
    """

    estimator: Any
    metadata: dict[str, Any]
    path: Path

    @property
    def task(self) -> str:
        """``role``, ``stance`` or ``joint``."""
        return str(self.metadata.get("task"))

    @property
    def kind(self) -> str:
        """``tfidf`` or ``transformer``."""
        return str(self.metadata.get("kind"))

    @property
    def model_version(self) -> str:
        """The version recorded in the metadata (falls back to the folder name)."""
        return str(self.metadata.get("model_version") or self.path.name)

    @property
    def classes_(self) -> np.ndarray:
        """Class labels in the column order of :meth:`predict_proba`."""
        classes = getattr(self.estimator, "classes_", None)
        if classes is None:
            classes = self.metadata.get("labels", [])
        return np.asarray([str(c) for c in classes], dtype=object)

    @property
    def labels(self) -> list[str]:
        """Class labels as a list of str, in the column order of :meth:`predict_proba`."""
        return [str(c) for c in self.classes_]

    @property
    def targets(self) -> dict[str, str]:
        """Target id → target text the model was trained on (empty for target-free models)."""
        return {str(k): str(v) for k, v in (self.metadata.get("targets") or {}).items()}

    def predict_proba(self, X: Any) -> np.ndarray:  # noqa: N803 (scikit-learn naming)
        """The estimator's class probabilities for rows with ``text`` and ``target``."""
        return np.asarray(self.estimator.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:  # noqa: N803
        """The estimator's most probable label per row."""
        return np.asarray(self.estimator.predict(X))

    def set_batch_size(self, batch_size: int) -> StanceModel:
        """Set the inference batch size through ``set_params`` (estimators without one ignore it).

        A transformer keeps its training batch size in ``batch_size`` and its inference batch
        size in ``eval_batch_size``; the latter is set when the estimator has it.
        """
        params = self.estimator.get_params(deep=False) if hasattr(self.estimator, "get_params") else {}
        for key in ("eval_batch_size", "batch_size"):
            if key in params:
                self.estimator.set_params(**{key: batch_size})
                break
        return self

    def quantize(self) -> StanceModel:
        """int8 dynamic quantization through the estimator's ``quantize()``.

        Raises:
            StanceError: when the estimator does not support it (TF-IDF).
        """
        method = getattr(self.estimator, "quantize", None)
        if method is None:
            raise StanceError(f"model {self.path} ({self.kind}) does not support quantization",
                              hint="--quantize applies to transformer models only")
        self.estimator = method()
        return self
