"""Batch stance prediction: stream statements through a trained model, chunk by chunk.

``predict_file(MODEL_DIR, INPUT, OUTPUT)`` reads a JSONL, CSV or Parquet file of statements,
a folder of raw documents (segmented on the fly by :mod:`stance.segment`) or a saved
Hugging Face dataset, pairs each statement with its targets, and writes every input row
back with ``stance``, ``stance_scores`` (label → probability), ``model_version`` and, when a
role model is used, ``role``/``role_scores`` (see DESIGN.md section 5).

How it stays within memory and survives interruption:

- input is read ``chunk_size`` statements at a time and each chunk's rows are written
  to their own part file in ``OUTPUT.parts/`` before the next chunk is read;
- after each chunk, ``OUTPUT.parts/manifest.json`` (input fingerprint, model versions,
  options, statements done) is rewritten atomically and fsynced;
- ``resume=True`` checks that manifest against the current run and continues after the
  last finished chunk; nothing is recomputed or written twice;
- at the end the parts are joined into ``OUTPUT`` through one atomic rename.

In CSV output the mappings (``stance_scores``, ``role_scores``) are JSON text in one cell; in
Parquet they are structs with one float field per label.

Two-stage mode runs the role model first and the stance model only on pairs it marks as
position-taking (Claim or Premise); the others get ``stance: None`` and ``stage: "role"``.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError
from stance.io import atomic_write, check_output_path, write_json

__all__ = [
    "FORMATS",
    "POSITION_ROLES",
    "BadRow",
    "LoadedModel",
    "PredictSummary",
    "load_predictor",
    "predict_file",
    "predict_rows",
    "detect_format",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

FORMATS = ("jsonl", "csv", "parquet")
#: Roles that take a position on the target; two-stage mode predicts stance only for these.
POSITION_ROLES = frozenset({"Claim", "Premise"})
MANIFEST_FORMAT = "stance.predict-progress.v1"
_SUFFIX_FORMAT = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_MAX_BAD_KEPT = 1000


# --------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class BadRow:
    """One input row that could not be used.

    Attributes:
        where: ``"statements.jsonl line 7"``, ``"data.parquet row 12"``, ``"train row 3"``.
        reason: What was wrong with it.
    """

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class PredictSummary:
    """What a prediction run did; returned by :func:`predict_file`.

    Attributes:
        output: The file written.
        format: Its format.
        statements: Input statements read (bad ones included).
        bad_rows: Number of bad input rows (skipped).
        bad_examples: The first bad rows with their line numbers.
        pairs: Statement-target pairs scored by the first stage.
        rows_written: Output rows.
        role_kept: Two-stage mode: pairs the role model marked as position-taking
            (``None`` outside two-stage mode).
        stance_scored: Pairs the stance model scored.
        resumed_statements: Statements skipped because an earlier run had finished them.
        seconds: Wall time of this call.
        load_seconds: Part of it spent loading the models.
        model_version: The stance model's version.
        role_model_version: The role model's version, if one was used.
    """

    output: Path
    format: str
    statements: int = 0
    bad_rows: int = 0
    bad_examples: list[BadRow] = field(default_factory=list)
    pairs: int = 0
    rows_written: int = 0
    role_kept: int | None = None
    stance_scored: int = 0
    resumed_statements: int = 0
    seconds: float = 0.0
    load_seconds: float = 0.0
    model_version: str = ""
    role_model_version: str | None = None

    @property
    def statements_per_second(self) -> float:
        """Statements processed by this call per second (model loading excluded)."""
        done = self.statements - self.resumed_statements
        busy = self.seconds - self.load_seconds
        return done / busy if busy > 0 else 0.0


@dataclass
class LoadedModel:
    """A loaded stance model with its metadata.

    Attributes:
        path: The model folder.
        estimator: The object returned by :func:`stance.models.load_model`.
        meta: The parsed ``stance_model.json``.
    """

    path: Path
    estimator: Any
    meta: dict[str, Any]

    @property
    def task(self) -> str:
        """``role``, ``stance`` or ``joint``."""
        return str(self.meta.get("task"))

    @property
    def kind(self) -> str:
        """``tfidf`` or ``transformer``."""
        return str(self.meta.get("kind"))

    @property
    def version(self) -> str:
        """The model version recorded in its metadata (falls back to the folder name)."""
        return str(self.meta.get("model_version") or self.path.name)

    @property
    def labels(self) -> list[str]:
        """Class labels in the column order of ``predict_proba``."""
        classes = getattr(self.estimator, "classes_", None)
        if classes is not None:
            return [str(c) for c in classes]
        return [str(c) for c in self.meta.get("labels", [])]

    @property
    def targets(self) -> dict[str, str]:
        """Target id → target text the model was trained on (empty for target-free models)."""
        return {str(k): str(v) for k, v in (self.meta.get("targets") or {}).items()}

    def predict_proba(self, texts: Sequence[str], targets: Sequence[str]) -> np.ndarray:
        """Probabilities ``(n, len(labels))`` for (statement, target text) pairs."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        import pandas as pd

        X = pd.DataFrame({"text": list(texts), "target": list(targets)})
        return np.asarray(self.estimator.predict_proba(X))


# --------------------------------------------------------------------------------------------
# Models


def _load_one(path: Path, *, what: str, quantize: bool = False, batch_size: int | None = None) -> LoadedModel:
    from stance.models import load_model
    from stance.models.base import read_metadata

    meta = read_metadata(path)  # raises StanceError for a missing folder or metadata file
    try:
        estimator = load_model(path)
    except StanceError:
        raise
    except Exception as exc:  # a damaged weights or pickle file surfaces as many exception types
        raise StanceError(
            f"{what} {path} could not be loaded ({type(exc).__name__}: {str(exc)[:200]})",
            hint="the folder looks damaged or incomplete; copy it again or retrain it with `stance train`",
        ) from None
    if batch_size is not None:
        for attr in ("batch_size", "eval_batch_size"):
            if hasattr(estimator, attr):
                try:
                    setattr(estimator, attr, batch_size)
                except AttributeError:
                    pass
    if quantize:
        _quantize(estimator, path)
    return LoadedModel(path=path, estimator=estimator, meta=meta)


def _torch_module(estimator: Any) -> tuple[Any, str] | None:
    """The torch model inside a transformer estimator, and the attribute that holds it."""
    for attr in ("model_", "model", "_model"):
        obj = getattr(estimator, attr, None)
        if obj is not None and hasattr(obj, "named_modules") and hasattr(obj, "config"):
            return obj, attr
    return None


def _quantize(estimator: Any, path: Path) -> None:
    """Replace the estimator's Linear layers by int8 dynamic-quantized ones (CPU, opt-in)."""
    found = _torch_module(estimator)
    if found is None:
        logger.warning("--quantize ignored for %s: not a transformer model", path)
        return
    import torch

    import warnings

    model, attr = found
    with warnings.catch_warnings():  # torch marks eager dynamic quantization deprecated; it still works in 2.x
        warnings.simplefilter("ignore")
        # Per-channel weight scales: on a trained MiniLM they kept 97% of fp32 labels against 94% per-tensor,
        # at the same speed (benchmarks/predict_speed.py).
        from torch.ao.quantization import per_channel_dynamic_qconfig

        qmodel = torch.ao.quantization.quantize_dynamic(model.eval(), {torch.nn.Linear: per_channel_dynamic_qconfig},
                                                        dtype=torch.qint8)
    setattr(estimator, attr, qmodel)


def _is_two_stage_folder(path: Path) -> bool:
    return (path / "role").is_dir() and (path / "stance").is_dir() and not (path / "stance_model.json").exists()


def load_predictor(
    model_dir: str | os.PathLike[str],
    *,
    role_model_dir: str | os.PathLike[str] | None = None,
    quantize: bool = False,
    batch_size: int | None = None,
) -> tuple[LoadedModel, LoadedModel | None]:
    """Load the stance model and the optional role model.

    ``model_dir`` may be a model folder or a two-stage folder holding ``role/`` and
    ``stance/`` model folders; an explicit ``role_model_dir`` wins over ``role/``.

    Args:
        model_dir: Stance model folder, or two-stage folder.
        role_model_dir: Role model folder (task ``role``).
        quantize: int8 dynamic quantization of transformer models (faster on CPU, slightly
            different scores).
        batch_size: Inference batch size passed to the estimators that have one.

    Returns:
        ``(stance_model, role_model_or_None)``.

    Raises:
        StanceError: for a missing or damaged folder, or a role model whose task is not ``role``.

    Example:
        >>> stance_model, role_model = load_predictor("runs/two-stage")
    """
    model_dir = Path(model_dir)
    if not model_dir.exists():
        raise StanceError(f"model folder {model_dir} does not exist",
                          hint="train one with `stance train DATA_DIR -o MODEL_DIR`, or check the path")
    role_path: Path | None = Path(role_model_dir) if role_model_dir is not None else None
    stance_path = model_dir
    if _is_two_stage_folder(model_dir):
        stance_path = model_dir / "stance"
        role_path = role_path or model_dir / "role"
    stance_model = _load_one(stance_path, what="model", quantize=quantize, batch_size=batch_size)
    if stance_model.task == "role":
        raise StanceError(f"{stance_path} is a role model (task 'role'), expected a stance model",
                          hint="pass it with --role-model and give a stance or joint model as MODEL_DIR")
    role_model = None
    if role_path is not None:
        role_model = _load_one(role_path, what="role model", quantize=quantize, batch_size=batch_size)
        if role_model.task != "role" or not POSITION_ROLES & set(role_model.labels):
            raise StanceError(
                f"{role_path} has task {role_model.task!r} and labels {role_model.labels}; a role model "
                f"predicts None/Claim/Premise",
                hint="train one with `stance train DATA_DIR --task role -o ROLE_DIR`",
            )
    return stance_model, role_model


# --------------------------------------------------------------------------------------------
# Input


def detect_format(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The file format from an explicit ``fmt`` or the file suffix.

    Example:
        >>> detect_format("out.parquet")
        'parquet'
    """
    if fmt is not None:
        if fmt not in FORMATS:
            raise StanceError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
        return fmt
    found = _SUFFIX_FORMAT.get(Path(path).suffix.lower())
    if found is None:
        raise StanceError(f"cannot tell the format of {path} from its suffix {Path(path).suffix!r}",
                          hint="use .jsonl, .csv or .parquet, or pass --format")
    return found


def _input_kind(path: Path) -> str:
    if not path.exists():
        raise StanceError(f"input {path} does not exist", hint="check the path")
    if path.is_dir():
        if (path / "dataset_dict.json").is_file() or (path / "dataset_info.json").is_file() or (path / "state.json").is_file():
            return "dataset"
        return "documents"
    return detect_format(path)


# A chunk is a list of (where, record-or-None, reason) triples; record None means a bad row.
_Item = tuple[str, "dict[str, Any] | None", str]


def _iter_jsonl(path: Path) -> Iterator[_Item]:
    name = path.name
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            where = f"{name} line {lineno}"
            try:
                record = json.loads(raw.rstrip(b"\r\n").decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield where, None, f"undecodable bytes ({exc.reason} at byte {exc.start}); file is not UTF-8"
                continue
            except json.JSONDecodeError as exc:
                yield where, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
                continue
            if not isinstance(record, dict):
                yield where, None, f"expected a JSON object, found {type(record).__name__}"
                continue
            yield where, record, ""


def _has_surrogates(values: Sequence[str]) -> bool:
    for v in values:
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            return True
    return False


def _iter_csv(path: Path) -> Iterator[_Item]:
    name = path.name
    # surrogateescape keeps undecodable bytes visible per row instead of failing the whole file.
    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise StanceError(f"{name} line 1: not a CSV header ({exc})", hint="the first line must name the columns") from None
        if _has_surrogates(header):
            raise StanceError(f"{name} line 1: undecodable bytes in the header", hint="re-encode the file as UTF-8")
        width = len(header)
        line = 1
        while True:
            start_line = line + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                line = reader.line_num
                yield f"{name} line {start_line}", None, f"not valid CSV ({exc})"
                continue
            line = reader.line_num
            where = f"{name} line {start_line}"
            if not values:
                continue
            if _has_surrogates(values):
                yield where, None, "undecodable bytes; file is not UTF-8"
                continue
            if len(values) != width:
                yield where, None, f"has {len(values)} fields, the header has {width}"
                continue
            yield where, dict(zip(header, values)), ""


def _iter_parquet(path: Path, batch_rows: int) -> Iterator[_Item]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:
        raise StanceError(f"{path} is not a readable Parquet file ({exc})", hint="check the file or pass --format") from None
    name = path.name
    row = 0
    for batch in pf.iter_batches(batch_size=batch_rows):
        for record in batch.to_pylist():
            row += 1
            yield f"{name} row {row}", record, ""


def _iter_dataset(path: Path, split: str | None, batch_rows: int) -> Iterator[_Item]:
    from datasets import Dataset, DatasetDict, load_from_disk

    try:
        data = load_from_disk(str(path))
    except Exception as exc:
        raise StanceError(f"{path} is not a saved Hugging Face dataset ({type(exc).__name__}: {exc})",
                          hint="save one with dataset.save_to_disk(PATH), or pass a file") from None
    if isinstance(data, Dataset):
        if split is not None:
            raise StanceError(f"{path} holds a single dataset without splits; --split {split} cannot be applied",
                              hint="leave out --split")
        parts: list[tuple[str | None, Any]] = [(None, data)]
    elif isinstance(data, DatasetDict):
        if split is not None:
            if split not in data:
                raise StanceError(f"{path} has no split {split!r}; it has {', '.join(data)}", hint="choose one of those")
            parts = [(split, data[split])]
        else:
            parts = list(data.items())
    else:  # pragma: no cover - load_from_disk returns one of the two
        raise StanceError(f"{path}: unexpected dataset type {type(data).__name__}")
    for split_name, ds in parts:
        label = split_name or path.name
        row = 0
        for batch in ds.with_format("arrow").iter(batch_size=batch_rows):
            for record in batch.to_pylist():
                row += 1
                if split_name is not None and "split" not in record:
                    record["split"] = split_name
                yield f"{label} row {row}", record, ""


def _iter_documents(path: Path) -> Iterator[_Item]:
    from stance.segment import segment_paths

    name = path.name
    for n, statement in enumerate(segment_paths([path]), start=1):
        record = statement.to_dict() if hasattr(statement, "to_dict") else dict(statement)
        yield f"{name} statement {n} ({record.get('id', '?')})", record, ""


def _iter_input(path: Path, kind: str, *, split: str | None, batch_rows: int) -> Iterator[_Item]:
    if kind == "jsonl":
        return _iter_jsonl(path)
    if kind == "csv":
        return _iter_csv(path)
    if kind == "parquet":
        return _iter_parquet(path, batch_rows)
    if kind == "dataset":
        return _iter_dataset(path, split, batch_rows)
    return _iter_documents(path)


def _fingerprint(path: Path) -> str:
    """sha1 over the bytes of a file, or over names, sizes and times of a folder's files."""
    h = hashlib.sha1()
    if path.is_file():
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return f"sha1:{h.hexdigest()}"
    for p in sorted(q for q in path.rglob("*") if q.is_file()):
        st = p.stat()
        h.update(f"{p.relative_to(path)}\x1f{st.st_size}\x1f{st.st_mtime_ns}\x1e".encode())
    return f"sha1-tree:{h.hexdigest()}"


# --------------------------------------------------------------------------------------------
# Prediction on one chunk


def _resolve_target(value: Any, model: LoadedModel, where: str, cache: dict[str, str]) -> str:
    """Target text for a target id or text; an unknown target of a per-target model is fatal."""
    key = str(value)
    hit = cache.get(key)
    if hit is not None:
        return hit
    targets = model.targets
    if key in targets:
        text = targets[key]
    elif key in targets.values() or not targets:
        text = key
    else:
        shown = ", ".join(sorted(targets)[:20])
        raise StanceError(
            f"{where}: target {key!r} is unknown to model {model.path} (it was trained on {len(targets)} target(s): {shown})",
            hint="use one of those target ids, or train a model that includes this target",
        )
    cache[key] = text
    return text


def predict_rows(
    rows: Sequence[dict[str, Any]],
    stance_model: LoadedModel,
    *,
    role_model: LoadedModel | None = None,
    two_stage: bool = False,
    targets: Sequence[str] | None = None,
    target_field: str | None = None,
    text_field: str = "text",
    wheres: Sequence[str] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Predict one chunk of good rows; the core of :func:`predict_file`, usable on its own.

    Args:
        rows: Statement records, each with a non-empty ``text_field``.
        stance_model: The stance (or joint) model.
        role_model: Optional role model.
        two_stage: Score stance only where the role model says Claim or Premise.
        targets: Target ids (or texts) to pair every row with.
        target_field: Field holding each row's target (id or text).
        text_field: Field holding the statement.
        wheres: Row locations for error messages (defaults to ``row N``).

    Returns:
        ``(output_rows, counts)`` with counts ``pairs``, ``role_kept``, ``stance_scored``.

    Example:
        >>> out, counts = predict_rows([{"text": "Give the islands back."}], model, targets=["kurils"])
        >>> out[0]["stance"]
        'Against'
    """
    import gc

    # Building tens of thousands of small dicts triggers the cyclic collector over and over
    # (about 15% of the TF-IDF path); nothing here makes cycles, so pause it for the chunk.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _predict_rows(rows, stance_model, role_model=role_model, two_stage=two_stage, targets=targets,
                             target_field=target_field, text_field=text_field, wheres=wheres)
    finally:
        if was_enabled:
            gc.enable()


def _predict_rows(
    rows: Sequence[dict[str, Any]],
    stance_model: LoadedModel,
    *,
    role_model: LoadedModel | None,
    two_stage: bool,
    targets: Sequence[str] | None,
    target_field: str | None,
    text_field: str,
    wheres: Sequence[str] | None,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    if two_stage and role_model is None:
        raise StanceError("two-stage mode needs a role model", hint="pass --role-model DIR or a two-stage model folder")
    wheres = wheres if wheres is not None else [f"row {i + 1}" for i in range(len(rows))]
    cache: dict[str, str] = {}
    pair_src: list[int] = []
    pair_target: list[str | None] = []
    pair_text: list[str] = []
    pair_target_text: list[str] = []
    if target_field is not None:
        for i, row in enumerate(rows):
            value = row.get(target_field)
            text = _resolve_target(value, stance_model, wheres[i], cache)
            if role_model is not None:
                _resolve_target(value, role_model, wheres[i], {})
            pair_src.append(i)
            pair_target.append(None)
            pair_text.append(row[text_field])
            pair_target_text.append(text)
    else:
        chosen = list(targets) if targets is not None else list(stance_model.targets)
        resolved = [_resolve_target(t, stance_model, "--targets", cache) for t in chosen]
        if role_model is not None:
            for t in chosen:
                _resolve_target(t, role_model, "--targets", {})
        for i, row in enumerate(rows):
            for t, text in zip(chosen, resolved):
                pair_src.append(i)
                pair_target.append(t)
                pair_text.append(row[text_field])
                pair_target_text.append(text)

    n = len(pair_src)
    counts = {"pairs": n, "role_kept": 0, "stance_scored": 0}
    role_labels: list[str] = []
    role_probs = None
    if role_model is not None:
        role_probs = role_model.predict_proba(pair_text, pair_target_text)
        role_labels = role_model.labels
    if two_stage and role_probs is not None:
        role_arg = role_probs.argmax(axis=1) if n else np.zeros(0, dtype=np.int64)
        keep_label = np.array([lab in POSITION_ROLES for lab in role_labels], dtype=bool)
        keep = keep_label[role_arg] if n else np.zeros(0, dtype=bool)
    else:
        keep = np.ones(n, dtype=bool)
    kept_idx = np.flatnonzero(keep)
    counts["role_kept"] = int(keep.sum()) if two_stage else 0
    stance_probs = stance_model.predict_proba([pair_text[j] for j in kept_idx], [pair_target_text[j] for j in kept_idx])
    counts["stance_scored"] = len(kept_idx)
    stance_labels = stance_model.labels
    stance_arg = stance_probs.argmax(axis=1) if len(kept_idx) else np.zeros(0, dtype=np.int64)
    slot = np.full(n, -1, dtype=np.int64)
    slot[kept_idx] = np.arange(len(kept_idx))

    version = stance_model.version
    role_version = role_model.version if role_model is not None else None
    role_arg_all = role_probs.argmax(axis=1) if role_probs is not None and n else None
    stance_list = stance_probs.tolist()
    role_list = role_probs.tolist() if role_probs is not None else None
    added = {"stance", "stance_scores", "model_version"}
    if target_field is None:
        added.add("target")
    if role_model is not None:
        added.update(("role", "role_scores", "role_model_version"))
    if two_stage:
        added.add("stage")
    out: list[dict[str, Any]] = []
    bases = [_without_added(row, added) for row in rows]
    stance_names = [stance_labels[a] for a in stance_arg.tolist()]
    slots = slot.tolist()
    if role_list is None and not two_stage and target_field is None and len(kept_idx) == n:
        # The common case, kept free of per-field branches: every pair scored by one model.
        for j, i in enumerate(pair_src):
            out.append({**bases[i], "target": pair_target[j], "stance": stance_names[j],
                        "stance_scores": dict(zip(stance_labels, stance_list[j])), "model_version": version})
        return out, counts
    role_names = [role_labels[a] for a in role_arg_all.tolist()] if role_arg_all is not None else None
    for j, i in enumerate(pair_src):
        rec = dict(bases[i])
        if pair_target[j] is not None:
            rec["target"] = pair_target[j]
        k = slots[j]
        if k >= 0:
            rec["stance"] = stance_names[k]
            rec["stance_scores"] = dict(zip(stance_labels, stance_list[k]))
        else:
            rec["stance"] = None
            rec["stance_scores"] = None
        if role_list is not None:
            rec["role"] = role_names[j]  # type: ignore[index]
            rec["role_scores"] = dict(zip(role_labels, role_list[j]))
        if two_stage:
            rec["stage"] = "stance" if k >= 0 else "role"
        rec["model_version"] = version
        if role_version is not None:
            rec["role_model_version"] = role_version
        out.append(rec)
    return out, counts


def _without_added(row: dict[str, Any], added: set[str]) -> dict[str, Any]:
    """The input row, with fields this run writes kept as ``input_<name>`` (e.g. gold labels)."""
    if added.isdisjoint(row):
        return row
    return {(f"input_{k}" if k in added else k): v for k, v in row.items()}


# --------------------------------------------------------------------------------------------
# Output parts


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


class _Parts:
    """The ``OUTPUT.parts/`` folder: one file per finished chunk plus the progress manifest."""

    def __init__(self, output: Path, fmt: str) -> None:
        self.output = output
        self.fmt = fmt
        self.dir = output.with_name(output.name + ".parts")
        self.manifest_path = self.dir / "manifest.json"

    def part_path(self, index: int) -> Path:
        return self.dir / f"chunk-{index:06d}.{self.fmt}"

    def read_manifest(self) -> dict[str, Any] | None:
        if not self.manifest_path.is_file():
            return None
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def reset(self) -> None:
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)

    def write_chunk(self, index: int, rows: list[dict[str, Any]], state: dict[str, Any]) -> None:
        path = self.part_path(index)
        if self.fmt == "jsonl":
            with atomic_write(path) as fh:
                fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        elif self.fmt == "csv":
            fields = state.get("csv_fields")
            if fields is None:
                fields = _field_order(rows)
                state["csv_fields"] = fields
            extra = [k for k in _field_order(rows) if k not in set(fields)]
            if extra:
                raise StanceError(
                    f"CSV output: rows of chunk {index + 1} have field(s) {', '.join(extra)} that earlier rows lack; "
                    "a CSV file has one fixed header",
                    hint="write JSONL or Parquet output instead (--format jsonl)",
                )
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
            for r in rows:
                writer.writerow({k: _csv_cell(v) for k, v in r.items()})
            with atomic_write(path) as fh:
                fh.write(buf.getvalue())
        else:
            import pyarrow.parquet as pq

            schema = _schema_from_state(state)
            table = _to_table(rows, schema, index)
            if schema is None:
                state["parquet_schema"] = base64.b64encode(table.schema.serialize().to_pybytes()).decode("ascii")
            with atomic_write(path, "wb") as fh:
                pq.write_table(table, fh)
        self._save_manifest(state)

    def _save_manifest(self, state: dict[str, Any]) -> None:
        write_json(self.manifest_path, state)

    def finish(self, n_chunks: int, state: dict[str, Any]) -> None:
        """Join the parts into the output file (one atomic rename), then remove the parts folder."""
        if self.fmt == "jsonl":
            with atomic_write(self.output, "wb", encoding=None) as out:
                for i in range(n_chunks):
                    with self.part_path(i).open("rb") as fh:
                        shutil.copyfileobj(fh, out, 1 << 20)
        elif self.fmt == "csv":
            fields = state.get("csv_fields") or []
            with atomic_write(self.output, "wb", encoding=None) as out:
                buf = io.StringIO()
                csv.writer(buf, lineterminator="\n").writerow(fields)
                out.write(buf.getvalue().encode("utf-8"))
                for i in range(n_chunks):
                    with self.part_path(i).open("rb") as fh:
                        shutil.copyfileobj(fh, out, 1 << 20)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            schema = _schema_from_state(state)
            if schema is None:
                schema = pa.schema([])
            with atomic_write(self.output, "wb", encoding=None) as out:
                with pq.ParquetWriter(out, schema) as writer:
                    for i in range(n_chunks):
                        for batch in pq.ParquetFile(self.part_path(i)).iter_batches():
                            writer.write_batch(batch)
        shutil.rmtree(self.dir, ignore_errors=True)


def _field_order(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        for k in r:
            seen.setdefault(k, None)
    return list(seen)


def _schema_from_state(state: dict[str, Any]) -> Any:
    raw = state.get("parquet_schema")
    if raw is None:
        return None
    import pyarrow as pa

    return pa.ipc.read_schema(pa.py_buffer(base64.b64decode(raw)))


def _to_table(rows: list[dict[str, Any]], schema: Any, index: int) -> Any:
    import pyarrow as pa

    if schema is not None:
        try:
            return pa.Table.from_pylist(rows, schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError) as exc:
            raise StanceError(
                f"Parquet output: rows of chunk {index + 1} do not fit the columns of the first chunk ({exc})",
                hint="give every input row the same fields and types, or write JSONL output (--format jsonl)",
            ) from None
    table = pa.Table.from_pylist(rows)
    # A column that is empty in the first chunk would be typed null and refuse later values.
    fields = []
    for f in table.schema:
        if pa.types.is_null(f.type):
            fields.append(pa.field(f.name, pa.string()))
        elif f.name in ("stance_scores", "role_scores") and pa.types.is_struct(f.type):
            fields.append(pa.field(f.name, pa.struct([pa.field(c.name, pa.float64()) for c in f.type])))
        else:
            fields.append(f)
    schema = pa.schema(fields)
    return table.cast(schema) if schema != table.schema else table


# --------------------------------------------------------------------------------------------
# The run


def _chunks(items: Iterator[_Item], size: int) -> Iterator[list[_Item]]:
    chunk: list[_Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _check_row(record: dict[str, Any], text_field: str, target_field: str | None) -> str:
    """Why a parsed record cannot be used ('' when it can)."""
    if text_field not in record or record[text_field] is None:
        return f"no {text_field!r} field"
    text = record[text_field]
    if not isinstance(text, str):
        return f"{text_field!r} is {type(text).__name__}, expected text"
    if not text.strip():
        return f"empty {text_field!r}"
    if target_field is not None:
        value = record.get(target_field)
        if value is None or (isinstance(value, str) and not value.strip()):
            return f"no target in field {target_field!r}"
    return ""


def predict_file(
    model_dir: str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    targets: Sequence[str] | None = None,
    target_field: str | None = None,
    role_model_dir: str | os.PathLike[str] | None = None,
    two_stage: bool | None = None,
    resume: bool = False,
    on_error: str = "skip",
    batch_size: int = 64,
    chunk_size: int = 10_000,
    split: str | None = None,
    text_field: str = "text",
    quantize: bool = False,
    show_progress: bool = True,
    models: tuple[LoadedModel, LoadedModel | None] | None = None,
    after_chunk: Callable[[int, int], None] | None = None,
) -> PredictSummary:
    """Predict stance for every statement of ``input_path`` and write ``output_path``.

    Args:
        model_dir: Stance (or joint) model folder, or a two-stage folder with ``role/`` and ``stance/``.
        input_path: JSONL, CSV or Parquet file, folder of documents, or saved Hugging Face dataset.
        output_path: File to write; its format comes from ``fmt``, its suffix, or the input's.
        fmt: ``jsonl``, ``csv`` or ``parquet``.
        targets: Pair every statement with each of these target ids (or texts).
        target_field: Take each row's target from this field instead.
            Neither given: every statement against each target the model was trained on.
        role_model_dir: Role model folder; adds ``role`` and ``role_scores``.
        two_stage: Stance only for pairs the role model marks Claim/Premise.
            ``None``: on for a two-stage folder, off otherwise.
        resume: Continue an interrupted run of the same input, model and options.
        on_error: ``skip`` (report and drop bad rows) or ``fail`` (stop at the first).
        batch_size: Inference batch size of transformer models.
        chunk_size: Statements read, scored and written per step (bounds memory).
        split: For a dataset with splits: predict only this one.
        text_field: Field holding the statement text.
        quantize: int8 dynamic quantization of transformer models (opt-in, faster, scores differ slightly).
        show_progress: tqdm bar with the statement rate.
        models: Already loaded ``(stance_model, role_model)`` (skips loading ``model_dir``).
        after_chunk: Called as ``after_chunk(chunk_index, statements_done)`` once a chunk is on disk.

    Returns:
        A :class:`PredictSummary`.

    Raises:
        StanceError: bad model folder, unknown target, unreadable input, a bad row with
            ``on_error="fail"``, or a ``resume`` that does not match the earlier run.

    Example:
        >>> s = predict_file("runs/tfidf", "statements.jsonl", "preds.jsonl", targets=["kurils"])
        >>> s.rows_written
        2
    """
    t0 = time.perf_counter()
    if on_error not in ("skip", "fail"):
        raise StanceError(f"on_error must be 'skip' or 'fail', got {on_error!r}", hint="use --on-error skip or --on-error fail")
    if chunk_size < 1:
        raise StanceError(f"chunk size must be at least 1, got {chunk_size}", hint="e.g. --chunk-size 10000")
    if targets is not None and target_field is not None:
        raise StanceError("give either --targets or --target-field, not both",
                          hint="--targets pairs each statement with every listed target; --target-field reads one per row")
    if targets is not None:
        targets = [t.strip() for t in targets if t and t.strip()]
        if not targets:
            raise StanceError("--targets is empty", hint="e.g. --targets kuril_sovereignty,sanctions")
    input_path = Path(input_path)
    output_path = check_output_path(output_path)
    kind = _input_kind(input_path)
    out_fmt = fmt or _SUFFIX_FORMAT.get(output_path.suffix.lower()) or (kind if kind in FORMATS else "jsonl")
    out_fmt = detect_format(output_path, out_fmt)
    if input_path.resolve() == output_path.resolve():
        raise StanceError(f"output {output_path} is the input file", hint="write to another file")

    if models is None:
        models = load_predictor(model_dir, role_model_dir=role_model_dir, quantize=quantize, batch_size=batch_size)
    load_seconds = time.perf_counter() - t0
    stance_model, role_model = models
    if two_stage is None:
        two_stage = role_model is not None and _is_two_stage_folder(Path(model_dir))
    if two_stage and role_model is None:
        raise StanceError("--two-stage needs a role model", hint="pass --role-model DIR, or a folder holding role/ and stance/")
    if targets is None and target_field is None and not stance_model.targets:
        raise StanceError(f"model {stance_model.path} has no target list, so targets must be given",
                          hint="pass --targets T1,T2 or --target-field target")
    for t in targets or []:  # fail before reading any input
        _resolve_target(t, stance_model, "--targets", {})
        if role_model is not None:
            _resolve_target(t, role_model, "--targets", {})

    state: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "input": str(input_path.resolve()),
        "input_fingerprint": _fingerprint(input_path),
        "model_version": stance_model.version,
        "role_model_version": role_model.version if role_model is not None else None,
        "options": {
            "output_format": out_fmt, "targets": list(targets) if targets else None, "target_field": target_field,
            "two_stage": bool(two_stage), "chunk_size": chunk_size, "split": split, "text_field": text_field,
            "on_error": on_error, "quantize": bool(quantize),
        },
        "chunks_done": 0, "statements_done": 0, "rows_written": 0, "pairs": 0, "role_kept": 0, "stance_scored": 0,
        "bad_rows": 0, "bad_examples": [],
    }
    parts = _Parts(output_path, out_fmt)
    summary = PredictSummary(output=output_path, format=out_fmt, model_version=stance_model.version,
                             role_model_version=state["role_model_version"])
    previous = parts.read_manifest()
    if resume and previous is not None:
        _check_resume(previous, state, parts)
        state.update({k: previous[k] for k in previous if k not in ("input",)})
        summary.resumed_statements = state["statements_done"]
        logger.info("resuming after %d statements (%d chunks)", state["statements_done"], state["chunks_done"])
    else:
        if previous is not None or parts.dir.exists():
            logger.warning("discarding the unfinished run in %s (pass --resume to continue it)", parts.dir)
        parts.reset()

    items = _iter_input(input_path, kind, split=split, batch_rows=min(chunk_size, 65_536))
    skip = state["statements_done"]
    bar = None
    if show_progress:
        from tqdm.auto import tqdm

        bar = tqdm(unit="stmt", desc="predicting", initial=skip, smoothing=0.05, dynamic_ncols=True)
    try:
        index = state["chunks_done"]
        for chunk in _chunks(_skip(items, skip), chunk_size):
            good: list[dict[str, Any]] = []
            wheres: list[str] = []
            for where, record, reason in chunk:
                if record is not None:
                    reason = _check_row(record, text_field, target_field)
                if reason:
                    bad = BadRow(where, reason)
                    if on_error == "fail":
                        raise StanceError(f"{bad}", hint="fix or remove that row, or pass --on-error skip to skip bad rows")
                    logger.warning("skipping %s", bad)
                    state["bad_rows"] += 1
                    if len(state["bad_examples"]) < _MAX_BAD_KEPT:
                        state["bad_examples"].append([bad.where, bad.reason])
                    continue
                good.append(record)  # type: ignore[arg-type]
                wheres.append(where)
            rows, counts = predict_rows(good, stance_model, role_model=role_model, two_stage=bool(two_stage),
                                        targets=targets, target_field=target_field, text_field=text_field, wheres=wheres)
            state["statements_done"] += len(chunk)
            state["rows_written"] += len(rows)
            state["chunks_done"] = index + 1
            for key in ("pairs", "role_kept", "stance_scored"):
                state[key] += counts[key]
            parts.write_chunk(index, rows, state)
            if bar is not None:
                bar.update(len(chunk))
            if after_chunk is not None:
                after_chunk(index, state["statements_done"])
            index += 1
        parts.finish(state["chunks_done"], state) if state["chunks_done"] else _write_empty(output_path, out_fmt)
    finally:
        if bar is not None:
            bar.close()

    summary.statements = state["statements_done"]
    summary.bad_rows = state["bad_rows"]
    summary.bad_examples = [BadRow(w, r) for w, r in state["bad_examples"]]
    summary.pairs = state["pairs"]
    summary.rows_written = state["rows_written"]
    summary.role_kept = state["role_kept"] if two_stage else None
    summary.stance_scored = state["stance_scored"]
    summary.seconds = time.perf_counter() - t0
    summary.load_seconds = load_seconds
    return summary


def _write_empty(output: Path, fmt: str) -> None:
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        with atomic_write(output, "wb", encoding=None) as fh:
            pq.write_table(pa.table({}), fh)
    else:
        with atomic_write(output) as fh:
            fh.write("")
    shutil.rmtree(output.with_name(output.name + ".parts"), ignore_errors=True)


def _skip(items: Iterator[_Item], n: int) -> Iterator[_Item]:
    for _ in range(n):
        if next(items, None) is None:
            return
    yield from items


def _check_resume(previous: dict[str, Any], current: dict[str, Any], parts: _Parts) -> None:
    """Refuse to continue a run whose input, models or options differ from this one."""
    if previous.get("format") != MANIFEST_FORMAT:
        raise StanceError(f"{parts.manifest_path} is not a progress file of this stance release",
                          hint=f"delete {parts.dir} and run again without --resume")
    checks = [
        ("input_fingerprint", "the input file changed since the interrupted run"),
        ("model_version", "the model is not the one the interrupted run used"),
        ("role_model_version", "the role model is not the one the interrupted run used"),
        ("options", "the options differ from the interrupted run"),
    ]
    for key, what in checks:
        if previous.get(key) != current.get(key):
            raise StanceError(
                f"cannot resume into {parts.output}: {what} ({key}: {previous.get(key)!r} then, {current.get(key)!r} now)",
                hint=f"rerun with the same input, model and options, or drop --resume to start over (this discards {parts.dir})",
            )
    for i in range(int(previous.get("chunks_done", 0))):
        if not parts.part_path(i).is_file():
            raise StanceError(f"cannot resume: part file {parts.part_path(i)} is missing",
                              hint="drop --resume to start over")
