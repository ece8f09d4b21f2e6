"""The readers of ``stance predict``: JSONL, CSV, Parquet, a folder of raw documents, a saved HF dataset.

Each reader yields ``(where, record, problem)`` items: ``record`` is ``None`` and ``problem``
says why for a row that could not be parsed, so that a bad row is reported with its place and
skipped (or stops the run under ``--on-error fail``).
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.io import iter_jsonl

__all__ = ["FORMATS", "BadRow", "Item", "check_row", "check_columns", "detect_format", "input_fingerprint",
           "input_kind", "iter_input", "peek_record"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

FORMATS = ("jsonl", "csv", "parquet")
SUFFIX_FORMAT = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_PEEK_ITEMS = 1000

#: One input row: ``(where, record or None, problem)``.
Item = tuple[str, "dict[str, Any] | None", str]


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
    found = SUFFIX_FORMAT.get(Path(path).suffix.lower())
    if found is None:
        raise StanceError(f"cannot tell the format of {path} from its suffix {Path(path).suffix!r}",
                          hint="use .jsonl, .csv or .parquet, or pass --format")
    return found


def input_kind(path: Path) -> str:
    """``jsonl``, ``csv``, ``parquet``, ``dataset`` (a saved HF dataset) or ``documents`` (a folder)."""
    if not path.exists():
        from stance._util import missing_path_error

        raise missing_path_error(path, "input")
    if path.is_dir():
        if any((path / name).is_file() for name in ("dataset_dict.json", "dataset_info.json", "state.json")):
            return "dataset"
        return "documents"
    return detect_format(path)


def _iter_jsonl(path: Path) -> Iterator[Item]:
    for lineno, record, problem in iter_jsonl(path):
        yield f"{path.name} line {lineno}", record, problem


def _has_surrogates(values: Sequence[str]) -> bool:
    for v in values:
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            return True
    return False


def _csv_header(reader: Any, name: str) -> list[str] | None:
    try:
        header = next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        raise StanceError(f"{name} line 1: not a CSV header ({exc})", hint="the first line must name the columns") from None
    if _has_surrogates(header):
        raise StanceError(f"{name} line 1: undecodable bytes in the header", hint="re-encode the file as UTF-8")
    return header


def _open_csv(path: Path) -> Any:
    # surrogateescape keeps undecodable bytes visible per row instead of failing the whole file.
    return path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="")


def _iter_csv(path: Path) -> Iterator[Item]:
    name = path.name
    with _open_csv(path) as fh:
        reader = csv.reader(fh)
        header = _csv_header(reader, name)
        if header is None:
            return
        line = 1
        while True:
            where = f"{name} line {line + 1}"
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                line = reader.line_num
                yield where, None, f"not valid CSV ({exc})"
                continue
            line = reader.line_num
            if not values:
                continue
            if _has_surrogates(values):
                yield where, None, "undecodable bytes; file is not UTF-8"
            elif len(values) != len(header):
                yield where, None, f"has {len(values)} fields, the header has {len(header)}"
            else:
                yield where, dict(zip(header, values)), ""


def _parquet_file(path: Path) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except Exception as exc:
        raise StanceError(f"{path} is not a readable Parquet file ({exc})", hint="check the file or pass --format") from None


def _iter_parquet(path: Path, batch_rows: int) -> Iterator[Item]:
    row = 0
    for batch in _parquet_file(path).iter_batches(batch_size=batch_rows):
        for record in batch.to_pylist():
            row += 1
            yield f"{path.name} row {row}", record, ""


def _dataset_parts(path: Path, split: str | None) -> list[tuple[str | None, Any]]:
    from datasets import Dataset, DatasetDict, load_from_disk

    from stance.dataset import load_dataset_dir

    if (path / "dataset_dict.json").is_file():  # a DatasetDict, e.g. from `stance dataset`: the one loader
        data, _ = load_dataset_dir(path)
    else:
        try:
            data = load_from_disk(str(path))
        except Exception as exc:
            raise StanceError(f"{path} is not a saved Hugging Face dataset ({type(exc).__name__}: {exc})",
                              hint="save one with dataset.save_to_disk(PATH), or pass a file") from None
    if isinstance(data, Dataset):
        if split is not None:
            raise StanceError(f"{path} holds a single dataset without splits; --split {split} cannot be applied",
                              hint="leave out --split")
        return [(None, data)]
    if not isinstance(data, DatasetDict):  # pragma: no cover - load_from_disk returns one of the two
        raise StanceError(f"{path}: unexpected dataset type {type(data).__name__}")
    if split is None:
        return list(data.items())
    if split not in data:
        raise StanceError(f"{path} has no split {split!r}; it has {', '.join(data)}", hint="choose one of those")
    return [(split, data[split])]


def _iter_dataset(path: Path, split: str | None, batch_rows: int) -> Iterator[Item]:
    for split_name, ds in _dataset_parts(path, split):
        label = split_name or path.name
        row = 0
        for batch in ds.with_format("arrow").iter(batch_size=batch_rows):
            for record in batch.to_pylist():
                row += 1
                if split_name is not None and "split" not in record:
                    record["split"] = split_name
                yield f"{label} row {row}", record, ""


def _iter_documents(path: Path) -> Iterator[Item]:
    from stance.segment import segment_paths

    for n, statement in enumerate(segment_paths([path]), start=1):
        record = statement.to_dict() if hasattr(statement, "to_dict") else dict(statement)
        yield f"{path.name} statement {n} ({record.get('id', '?')})", record, ""


def iter_input(path: Path, kind: str, *, split: str | None, batch_rows: int) -> Iterator[Item]:
    """The input's rows as :data:`Item` triples, in file order."""
    if kind == "jsonl":
        return _iter_jsonl(path)
    if kind == "csv":
        return _iter_csv(path)
    if kind == "parquet":
        return _iter_parquet(path, batch_rows)
    if kind == "dataset":
        return _iter_dataset(path, split, batch_rows)
    return _iter_documents(path)


def _columns(path: Path, kind: str) -> list[str] | None:
    """The column names of a CSV or Parquet input (``None`` for other kinds or an empty file)."""
    if kind == "csv":
        with _open_csv(path) as fh:
            return _csv_header(csv.reader(fh), path.name)
    if kind == "parquet":
        return list(_parquet_file(path).schema_arrow.names)
    return None


def check_columns(path: Path, kind: str, text_field: str) -> None:
    """Stop before reading rows when a CSV or Parquet input has no ``text_field`` column.

    Raises:
        StanceError: naming the columns found and suggesting ``--text-field``.
    """
    columns = _columns(path, kind)
    if columns is None or text_field in columns:
        return
    shown = ", ".join(repr(c) for c in columns[:20]) + (" ..." if len(columns) > 20 else "")
    guess = next((c for c in columns if c.lower() in ("text", "sentence", "statement", "body", "content", "tweet")), None)
    raise StanceError(
        f"{path} has no {text_field!r} column; its columns are {shown or '(none)'}",
        hint=f"name the column that holds the statements with --text-field {guess or 'COLUMN'}",
    )


def peek_record(path: Path, kind: str, *, split: str | None) -> dict[str, Any] | None:
    """The first parseable record of a file or dataset input (``None`` for documents or none found)."""
    if kind == "documents":
        return None
    items = iter_input(path, kind, split=split, batch_rows=256)
    for _, record, _ in itertools.islice(items, _PEEK_ITEMS):
        if record is not None:
            return record
    return None


def input_fingerprint(path: Path) -> str:
    """The input's fingerprint for resume checks and lineage.

    A file: its sha256, the same value :func:`stance.lineage.fingerprint` records, so one read
    serves both. A folder: sha1 over names, sizes and times of its files (documents or a saved
    dataset: cheap, and enough to notice a change).
    """
    if path.is_file():
        from stance.lineage import fingerprint

        return fingerprint(path)
    h = hashlib.sha1()
    for p in sorted(q for q in path.rglob("*") if q.is_file()):
        st = p.stat()
        h.update(f"{p.relative_to(path)}\x1f{st.st_size}\x1f{st.st_mtime_ns}\x1e".encode())
    return f"sha1-tree:{h.hexdigest()}"


def check_row(record: dict[str, Any], text_field: str, target_field: str | None) -> str:
    """Why a parsed record cannot be used (``''`` when it can)."""
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
