"""Part files, the progress manifest and the final join of a prediction run.

Each finished chunk is written to ``OUTPUT.parts/chunk-NNNNNN.<fmt>``; the manifest
``OUTPUT.parts/manifest.json`` records the run (input fingerprint, model versions, options)
and, for every part, its row count, sha256 and counters, so that ``--resume`` can verify each
part and recompute the first one that fails. The parts are joined into ``OUTPUT`` through one
atomic rename at the end. In CSV output the mappings (``stance_scores``, ``role_scores``) are
JSON text in one cell; in Parquet they are structs with one float field per label.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.io import atomic_write, write_json

__all__ = ["MANIFEST_FORMAT", "Parts", "remove_stale_temporaries", "write_empty"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

MANIFEST_FORMAT = "stance.predict-progress.v2"  # v2: per-part rows, sha256 and counters
#: Per-part counters kept in the manifest; the run's totals are their sums.
PART_COUNTERS = ("statements", "rows", "pairs", "role_kept", "stance_scored", "bad_rows", "bad_kept")


@contextmanager
def output_errors(output: Path) -> Iterator[None]:
    """Name the real output (not a hidden temporary) when the file system refuses a write."""
    try:
        yield
    except OSError as exc:
        raise StanceError(
            f"cannot write {output}: {exc.strerror or exc}",
            hint=f"the file or its folder {output.parent} is read-only or immutable (check `ls -l` and `lsattr`); "
                 "lift the protection or choose another -o",
        ) from None


def remove_stale_temporaries(output: Path) -> list[Path]:
    """Remove hidden ``.part`` temporaries of ``output`` (and of its parts) left by killed runs."""
    found = list(output.parent.glob(f".{output.name}.*.part"))
    parts_dir = output.with_name(output.name + ".parts")
    if parts_dir.is_dir():
        found += list(parts_dir.glob(".*.part"))
    removed = []
    for path in found:
        try:
            path.unlink()
            removed.append(path)
        except OSError as exc:
            logger.warning("could not remove the stale temporary %s (%s)", path, exc.strerror)
    if removed:
        logger.info("removed %d stale temporary file(s) of %s left by an interrupted run", len(removed), output)
    return removed


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


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


class Parts:
    """The ``OUTPUT.parts/`` folder: one file per finished chunk plus the progress manifest."""

    def __init__(self, output: Path, fmt: str) -> None:
        self.output = output
        self.fmt = fmt
        self.dir = output.with_name(output.name + ".parts")
        self.manifest_path = self.dir / "manifest.json"

    def part_path(self, index: int) -> Path:
        """The file of chunk ``index``."""
        return self.dir / f"chunk-{index:06d}.{self.fmt}"

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest of an earlier run, or ``None``."""
        if not self.manifest_path.is_file():
            return None
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def reset(self) -> None:
        """Start an empty parts folder."""
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)

    def count_rows(self, index: int) -> int:
        """Rows in the part file of chunk ``index``."""
        path = self.part_path(index)
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        with path.open("r", encoding="utf-8", newline="") as fh:
            if self.fmt == "csv":
                return sum(1 for _ in csv.reader(fh))
            return sum(1 for line in fh if line.strip())

    def verify(self, index: int, entry: dict[str, Any]) -> str:
        """Why the part file of chunk ``index`` does not match its manifest entry (``''`` when it does)."""
        path = self.part_path(index)
        if not path.is_file():
            return "the file is missing"
        if _sha256(path) != entry.get("sha256"):
            return "its sha256 differs from the one recorded (truncated or changed)"
        try:
            rows = self.count_rows(index)
        except Exception as exc:  # an unreadable part is recomputed like a damaged one
            return f"it cannot be read ({type(exc).__name__})"
        if rows != entry.get("rows"):
            return f"it holds {rows} rows, the manifest records {entry.get('rows')}"
        return ""

    def _write_csv(self, path: Path, index: int, rows: list[dict[str, Any]], state: dict[str, Any]) -> None:
        fields = state.get("csv_fields")
        if fields is None:
            fields = state["csv_fields"] = _field_order(rows)
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

    def _write_parquet(self, path: Path, index: int, rows: list[dict[str, Any]], state: dict[str, Any]) -> None:
        import pyarrow.parquet as pq

        schema = _schema_from_state(state)
        table = _to_table(rows, schema, index)
        if schema is None:
            state["parquet_schema"] = base64.b64encode(table.schema.serialize().to_pybytes()).decode("ascii")
        with atomic_write(path, "wb") as fh:
            pq.write_table(table, fh)

    def write_chunk(self, index: int, rows: list[dict[str, Any]], state: dict[str, Any], entry: dict[str, Any]) -> None:
        """Write chunk ``index`` and record it (with ``entry``'s counters, its rows and sha256) in the manifest."""
        path = self.part_path(index)
        if self.fmt == "jsonl":
            with atomic_write(path) as fh:
                fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        elif self.fmt == "csv":
            self._write_csv(path, index, rows, state)
        else:
            self._write_parquet(path, index, rows, state)
        entry = {**entry, "rows": len(rows), "sha256": _sha256(path)}
        state["parts"] = state.get("parts", [])[:index] + [entry]
        state["chunks_done"] = len(state["parts"])  # totals kept for readers of the v1 manifest
        state["statements_done"] = sum(int(p.get("statements", 0)) for p in state["parts"])
        write_json(self.manifest_path, state)

    def _join(self, out: Any, n_chunks: int) -> None:
        for i in range(n_chunks):
            with self.part_path(i).open("rb") as fh:
                shutil.copyfileobj(fh, out, 1 << 20)

    def finish(self, n_chunks: int, state: dict[str, Any]) -> None:
        """Join the parts into the output file (one atomic rename), then remove the parts folder."""
        with output_errors(self.output):
            if self.fmt == "parquet":
                self._finish_parquet(n_chunks, state)
            else:
                with atomic_write(self.output, "wb", encoding=None) as out:
                    if self.fmt == "csv":
                        buf = io.StringIO()
                        csv.writer(buf, lineterminator="\n").writerow(state.get("csv_fields") or [])
                        out.write(buf.getvalue().encode("utf-8"))
                    self._join(out, n_chunks)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _finish_parquet(self, n_chunks: int, state: dict[str, Any]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = _schema_from_state(state)
        with atomic_write(self.output, "wb", encoding=None) as out:
            with pq.ParquetWriter(out, schema if schema is not None else pa.schema([])) as writer:
                for i in range(n_chunks):
                    for batch in pq.ParquetFile(self.part_path(i)).iter_batches():
                        writer.write_batch(batch)


def write_empty(output: Path, fmt: str) -> None:
    """Write an empty output file of the format (a run that found no rows)."""
    with output_errors(output):
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            with atomic_write(output, "wb", encoding=None) as fh:
                pq.write_table(pa.table({}), fh)
        else:
            with atomic_write(output) as fh:
                fh.write("")
    shutil.rmtree(output.with_name(output.name + ".parts"), ignore_errors=True)
