"""Batch prediction on a Ray cluster (``stance predict --engine ray``), built on Ray Data.

``predict_ray(MODEL_DIR, INPUT, OUTPUT_DIR, options)`` gives the rows of :func:`stance.predict.predict_file`
(same fields, same labels, same scores) for inputs too large for one machine:

- input: a JSONL, CSV or Parquet file, or a folder of such shards (one format). Raw documents and
  saved Hugging Face datasets are read only by the local engine; they are refused with the
  command that converts them;
- JSONL lines are parsed with :func:`json.loads` inside the workers (not by Arrow's JSON reader,
  which would turn date-like strings into timestamps) and CSV cells are read as text, exactly as
  the local engine reads them;
- targets: chosen as the local engine chooses them (``--targets``, ``--target-field``, a row's
  ``target`` field by default, else every target of the model); a row whose target the model
  does not know is a bad row;
- scoring: ``map_batches`` over an actor pool, one actor per worker, each loading the model once
  and calling :func:`stance.predict.predict_rows` on its batches;
- output: a folder of sharded JSONL or Parquet files, written into ``OUTPUT.ray-tmp/`` and
  renamed to ``OUTPUT`` when every shard is in place.

Faults: Ray restarts an actor that dies and re-runs the batches it held (``max_restarts=-1``,
``max_task_retries=-1`` are Ray Data's defaults for actor pools); shards are written only after
scoring, one file per write task, so a retried batch is not written twice.

Every process of a local cluster binds to 127.0.0.1 and the dashboard is off.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.predict.run import PredictOptions

__all__ = ["RaySummary", "predict_ray", "ray_input", "connect"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

_SHARD_SUFFIX = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet",
                 ".pq": "parquet"}
_OUT_FORMATS = ("jsonl", "parquet")
_DATASET_MARKERS = ("dataset_dict.json", "dataset_info.json", "state.json")
_MAX_BAD_KEPT = 1000
_INSTALL_HINT = "pip install 'stance[ray]' (it installs ray[data]==2.60.0), or use --engine local"


@dataclass
class RaySummary:
    """What a Ray prediction run did; returned by :func:`predict_ray`.

    Attributes:
        output: The output folder (shards inside).
        format: ``jsonl`` or ``parquet``.
        shards: Output files written.
        statements: Input statements read (bad ones included).
        bad_rows: Bad input rows (skipped).
        bad_examples: ``(where, reason)`` of the first bad rows.
        pairs: Statement-target pairs scored by the first stage.
        rows_written: Output rows.
        role_kept: Two-stage mode: pairs kept for the stance stage (``None`` otherwise).
        stance_scored: Pairs the stance model scored.
        workers: Actors in the pool.
        seconds: Wall time, connecting to Ray included.
        connect_seconds: Part of it spent starting or reaching Ray.
        model_version: The stance model's version.
    """

    output: Path
    format: str
    shards: int = 0
    statements: int = 0
    bad_rows: int = 0
    bad_examples: list[tuple[str, str]] = field(default_factory=list)
    pairs: int = 0
    rows_written: int = 0
    role_kept: int | None = None
    stance_scored: int = 0
    workers: int = 0
    seconds: float = 0.0
    connect_seconds: float = 0.0
    model_version: str = ""

    @property
    def statements_per_second(self) -> float:
        """Statements per second of wall time after Ray was reached."""
        busy = self.seconds - self.connect_seconds
        return self.statements / busy if busy > 0 else 0.0


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise StanceError("the Ray engine needs the ray[data] package, which is not installed",
                          hint=_INSTALL_HINT) from None
    return ray


# --------------------------------------------------------------------------------------------
# Input


def ray_input(path: str | os.PathLike[str]) -> tuple[str, list[str]]:
    """The input format and the files Ray reads for ``path`` (a file, or a folder of shards).

    Raises:
        StanceError: for a missing path, a saved Hugging Face dataset, a folder of documents,
            or a folder mixing formats.

    Example:
        >>> ray_input("statements/")
        ('jsonl', ['statements/part-0.jsonl', 'statements/part-1.jsonl'])
    """
    path = Path(path)
    if not path.exists():
        raise StanceError(f"input {path} does not exist", hint="check the path")
    if path.is_file():
        fmt = _SHARD_SUFFIX.get(path.suffix.lower())
        if fmt is None:
            raise StanceError(f"the Ray engine cannot tell the format of {path} from its suffix {path.suffix!r}",
                              hint="name it .jsonl, .csv or .parquet")
        return fmt, [str(path)]
    if any((path / m).is_file() for m in _DATASET_MARKERS):
        raise StanceError(f"{path} is a saved Hugging Face dataset, which only the local engine reads",
                          hint="write it as Parquet first (python -c \"import datasets; "
                               f"datasets.load_from_disk('{path}')['test'].to_parquet('statements.parquet')\"), "
                               "or use --engine local")
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith((".", "_")))
    formats = {_SHARD_SUFFIX.get(p.suffix.lower()) for p in files}
    if not files or None in formats:
        others = [p.name for p in files if p.suffix.lower() not in _SHARD_SUFFIX][:3]
        raise StanceError(
            f"{path} is not a folder of JSONL, CSV or Parquet shards"
            + (f" (it holds {', '.join(others)})" if others else " (it is empty)"),
            hint="a folder of documents must be segmented first: `stance segment DOCS -o statements.jsonl`, "
                 "then predict on statements.jsonl (or use --engine local, which segments on the fly)",
        )
    if len(formats) > 1:
        raise StanceError(f"{path} mixes shard formats ({', '.join(sorted(f for f in formats if f))})",
                          hint="keep one format per input folder")
    return formats.pop(), [str(p) for p in files]  # type: ignore[return-value]


def _csv_string_columns(files: Sequence[str]) -> dict[str, Any]:
    """Every CSV column read as text, as the local engine's csv module reads it."""
    import csv

    import pyarrow as pa

    names: dict[str, Any] = {}
    for f in files:
        with open(f, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
        names.update({name: pa.string() for name in header})
    return names


def _read(ray: Any, fmt: str, files: Sequence[str], num_blocks: int | None) -> Any:
    args: dict[str, Any] = {"num_cpus": 0}  # the actors hold their cores; reads must not wait for them
    if num_blocks:
        args["override_num_blocks"] = num_blocks
    if fmt == "jsonl":
        return ray.data.read_text(list(files), drop_empty_lines=True, include_paths=True, **args)
    if fmt == "parquet":
        return ray.data.read_parquet(list(files), **args)
    import pyarrow.csv as pacsv

    convert = pacsv.ConvertOptions(column_types=_csv_string_columns(files), strings_can_be_null=False)
    return ray.data.read_csv(list(files), convert_options=convert, **args)


# --------------------------------------------------------------------------------------------
# Ray


def _check_reachable(address: str) -> None:
    """Fail in seconds, not minutes, when HOST:PORT of ``address`` does not answer."""
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise StanceError(f"--address {address!r} is not auto, HOST:PORT or ray://HOST:PORT",
                          hint="e.g. --address ray://10.0.0.5:10001, or leave it out to start a local Ray")
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            pass
    except OSError as exc:
        raise StanceError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc})",
                          hint="start it with `ray start --head` on that machine, check the address and port, "
                               "or leave out --address to start a local Ray") from None


def connect(address: str | None = None, *, num_workers: int | None = None) -> tuple[Any, int]:
    """Start a local Ray (bound to 127.0.0.1, no dashboard) or join the cluster at ``address``.

    Args:
        address: ``None`` (start a local Ray, or use the one this process already joined),
            ``"auto"`` (the cluster started on this machine with ``ray start``), ``HOST:PORT``
            or ``ray://HOST:PORT``.
        num_workers: Actors wanted; a local Ray gets this many CPUs (default: the usable cores).

    Returns:
        ``(ray module, workers)``: workers is ``num_workers`` or the cluster's CPU count less one
        (that CPU runs Ray Data's listing, read and write tasks).

    Raises:
        StanceError: ray missing (names the extra), or the address cannot be reached.
    """
    ray = _import_ray()
    if address not in (None, "auto"):
        _check_reachable(address)
    if not ray.is_initialized():
        if address is None:
            from stance.models._inference import available_cores

            # One logical CPU more than actors: Ray Data's listing, reading and writing tasks need one
            # while the actors hold theirs (without it a parquet read waits forever).
            ray.init(num_cpus=(num_workers or available_cores()) + 1, _node_ip_address="127.0.0.1",
                     include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
        else:
            try:
                ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
            except (ConnectionError, RuntimeError, TimeoutError) as exc:
                raise StanceError(f"cannot reach the Ray cluster at {address} ({str(exc).splitlines()[0][:200]})",
                                  hint="start one with `ray start --head --node-ip-address 127.0.0.1`, check the "
                                       "address, or leave out --address to start a local Ray") from None
    cpus = int(ray.cluster_resources().get("CPU", 1))
    if num_workers is not None and num_workers > cpus - 1 and cpus > 1:
        raise StanceError(f"--num-workers {num_workers} needs {num_workers + 1} CPUs in the Ray cluster, which has {cpus}",
                          hint=f"use --num-workers {cpus - 1} or fewer (one CPU stays free for reading and writing)")
    return ray, max(1, num_workers or cpus - 1)


# --------------------------------------------------------------------------------------------
# The actor


class _Scorer:
    """One actor of the pool: loads the models once, scores batches with ``predict_rows``."""

    def __init__(self, model_dir: str, role_model_dir: str | None, options: dict[str, Any]) -> None:
        from stance.predict.loading import load_predictor

        self.options = options
        self.stance_model, self.role_model = load_predictor(
            model_dir, role_model_dir=role_model_dir, quantize=options["quantize"], batch_size=options["batch_size"])
        if hasattr(self.stance_model.estimator, "progress"):
            self.stance_model.estimator.progress = False

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        from stance.predict.inputs import BadRow
        from stance.predict.scoring import predict_rows

        opts = self.options
        if opts.get("batch_delay"):
            time.sleep(opts["batch_delay"])  # tests only: keeps a batch in flight long enough to kill its worker
        records, wheres, bad = self._records(batch)
        good: list[dict[str, Any]] = []
        good_wheres: list[str] = []
        for where, record in zip(wheres, records):
            reason = record if isinstance(record, str) else self._problem(where, record)
            if reason:
                if opts["on_error"] == "fail":
                    raise StanceError(f"{BadRow(where, reason)}",
                                      hint="fix or remove that row, or pass --on-error skip to skip bad rows")
                bad.append((where, reason))
                continue
            good.append(record)  # type: ignore[arg-type]
            good_wheres.append(where)
        rows, counts = predict_rows(good, self.stance_model, role_model=self.role_model, two_stage=opts["two_stage"],
                                    targets=opts["targets"], target_field=opts["target_field"],
                                    text_field=opts["text_field"], wheres=good_wheres)
        self._save_stats(records, bad, counts, len(rows))
        if opts["format"] == "jsonl":
            return pa.table({"__line": pa.array([json.dumps(r, ensure_ascii=False) for r in rows], pa.string())})
        return _typed_table(rows, self.stance_model.labels,
                            self.role_model.labels if self.role_model is not None else None)

    def _problem(self, where: str, record: dict[str, Any]) -> str:
        """Why a record cannot be scored ('' when it can), an unknown target of the row included."""
        from stance.predict.inputs import check_row
        from stance.predict.scoring import UnknownTarget, resolve_target

        opts = self.options
        problem = check_row(record, opts["text_field"], opts["target_field"])
        if problem or opts["target_field"] is None:
            return problem
        try:
            for model in (self.stance_model, self.role_model):
                if model is not None:
                    resolve_target(record[opts["target_field"]], model, where, {})
        except UnknownTarget as exc:
            return str(exc.args[0])[len(where) + 2:]
        return ""

    def _records(self, batch: Any) -> tuple[list[Any], list[str], list[tuple[str, str]]]:
        """Parsed records (or a reason string for an unparsable JSONL line) and their locations."""
        fmt = self.options["input_format"]
        if fmt != "jsonl":
            rows = batch.to_pylist()
            return rows, [_where(r, None, i) for i, r in enumerate(rows)], []
        lines = batch.column("text").to_pylist()
        paths = batch.column("path").to_pylist()
        records: list[Any] = []
        wheres: list[str] = []
        for i, (line, path) in enumerate(zip(lines, paths)):
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    record = f"expected a JSON object, found {type(record).__name__}"
            except json.JSONDecodeError as exc:
                record = f"not valid JSON ({exc.msg} at column {exc.colno})"
            records.append(record)
            wheres.append(_where(record, path, i))
        return records, wheres, []

    def _save_stats(self, records: list[Any], bad: list[tuple[str, str]], counts: dict[str, int], rows: int) -> None:
        """Counts of this batch in a file named by the batch's content: a retried batch overwrites it."""
        key = hashlib.sha1(repr(records).encode("utf-8", "surrogatepass")).hexdigest()
        stats = {"statements": len(records), "rows": rows, "bad": bad[:_MAX_BAD_KEPT], "bad_rows": len(bad), **counts}
        work = Path(self.options["work_dir"])
        tmp = work / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(stats), encoding="utf-8")
        os.replace(tmp, work / f"{key}.json")


def _where(record: Any, path: str | None, index: int) -> str:
    name = Path(path).name if path else "input"
    if isinstance(record, dict) and record.get("id") is not None:
        return f"{name} row id {record['id']!r}"
    return f"{name} (batch row {index + 1})"


def _typed_table(rows: list[dict[str, Any]], stance_labels: list[str], role_labels: list[str] | None) -> Any:
    """Arrow table with fixed types for the columns prediction adds, so every shard has one schema."""
    import pyarrow as pa

    table = pa.Table.from_pylist(rows)
    scores = {"stance_scores": stance_labels, "role_scores": role_labels or []}
    fields = []
    for f in table.schema:
        if f.name in scores:
            fields.append(pa.field(f.name, pa.struct([pa.field(lab, pa.float64()) for lab in scores[f.name]])))
        elif pa.types.is_null(f.type):
            fields.append(pa.field(f.name, pa.string()))
        else:
            fields.append(f)
    schema = pa.schema(fields)
    return table.cast(schema) if schema != table.schema else table


def _jsonl_sink(path: str) -> Any:
    """A Ray datasink that writes the ``__line`` column as JSONL lines, one file per write task."""
    from ray.data.datasource import BlockBasedFileDatasink

    class JsonlLines(BlockBasedFileDatasink):
        def __init__(self, path: str) -> None:
            super().__init__(path, file_format="jsonl")

        def write_block_to_file(self, block: Any, file: Any) -> None:
            lines = block.to_arrow().column("__line").to_pylist()
            file.write("".join(line + "\n" for line in lines).encode("utf-8"))

    return JsonlLines(path)


# --------------------------------------------------------------------------------------------
# The run


def predict_ray(
    model_dir: str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    options: PredictOptions | None = None,
    *,
    address: str | None = None,
    num_workers: int | None = None,
    num_blocks: int | None = None,
    _batch_delay: float = 0.0,
) -> RaySummary:
    """Predict every statement of ``input_path`` on Ray and write sharded output to ``output_dir``.

    Args:
        model_dir: Stance (or joint) model folder, or a two-stage folder; it must be readable
            at the same path on every node (shared storage).
        input_path: JSONL, CSV or Parquet file, or a folder of shards of one format.
        output_dir: Folder to create; holds ``*.jsonl`` or ``*.parquet`` shards.
        options: As for :func:`stance.predict.predict_file`; ``fmt`` is ``jsonl`` or ``parquet``
            (default: the folder's suffix, else the input's format, else jsonl); ``chunk_size``
            is the number of statements per ``map_batches`` call (the unit Ray retries);
            ``resume`` and ``split`` are refused (Ray retries failed blocks itself).
        address: ``None`` (local Ray on 127.0.0.1), ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``.
        num_workers: Actors (default: the cluster's CPUs less one).
        num_blocks: Read blocks (default: Ray's choice).

    Returns:
        A :class:`RaySummary`.

    Raises:
        StanceError: ray missing, unreachable address, an input only the local engine reads,
            a bad model or target, or a bad row with ``on_error="fail"``.

    Example:
        >>> s = predict_ray("runs/tfidf", "statements/", "preds.parquet", PredictOptions(targets=["kurils"]))
        >>> s.rows_written
        200000
    """
    t0 = time.perf_counter()
    opts = (options or PredictOptions()).checked()
    if opts.resume or opts.split is not None:
        raise StanceError("--resume and --split apply to the local engine only",
                          hint="the Ray engine retries failed blocks itself; convert a dataset split to Parquet first")
    in_fmt, files = ray_input(input_path)
    output_dir = Path(output_dir)
    out_fmt = opts.fmt or _SHARD_SUFFIX.get(output_dir.suffix.lower()) or (in_fmt if in_fmt in _OUT_FORMATS else "jsonl")
    if out_fmt not in _OUT_FORMATS:
        raise StanceError(f"the Ray engine writes JSONL or Parquet shards, not {out_fmt}",
                          hint="pass --format jsonl or --format parquet (or --engine local for one CSV file)")
    _check_output(output_dir, [input_path, model_dir])
    opts, stance_version, role_path = _check_models(model_dir, Path(files[0]), in_fmt, opts)
    ray, workers = connect(address, num_workers=num_workers)
    connected = time.perf_counter()
    tmp_dir = output_dir.with_name(output_dir.name + ".ray-tmp")
    work_dir = output_dir.with_name(output_dir.name + ".ray-work")
    for d in (tmp_dir, work_dir):
        shutil.rmtree(d, ignore_errors=True)
    work_dir.mkdir()
    options = {"quantize": opts.quantize, "batch_size": opts.batch_size, "text_field": opts.text_field,
               "target_field": opts.target_field, "targets": list(opts.targets) if opts.targets else None,
               "two_stage": bool(opts.two_stage), "on_error": opts.on_error, "format": out_fmt,
               "input_format": in_fmt, "work_dir": str(work_dir.resolve()), "batch_delay": _batch_delay}
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = bool(opts.show_progress)
    try:
        ds = _read(ray, in_fmt, files, num_blocks).map_batches(
            _Scorer, batch_format="pyarrow", batch_size=opts.chunk_size, zero_copy_batch=True,
            compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=1,
            fn_constructor_args=(str(Path(model_dir).resolve()), role_path, options))
        if out_fmt == "jsonl":
            ds.write_datasink(_jsonl_sink(str(tmp_dir)), ray_remote_args={"num_cpus": 0})
        else:
            ds.write_parquet(str(tmp_dir), ray_remote_args={"num_cpus": 0})
    except Exception as exc:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        shutil.rmtree(work_dir, ignore_errors=True)
        raise _as_stance_error(exc) from None
    summary = _collect(work_dir, tmp_dir, output_dir, out_fmt, two_stage=bool(opts.two_stage))
    from stance.lineage import input_ref, write_lineage

    write_lineage(output_dir, "predictions", inputs=[input_ref(input_path, "statements"), input_ref(model_dir, "model")],
                  details={"engine": "ray", "model_version": stance_version, "format": out_fmt,
                           "rows": summary.rows_written, "shards": summary.shards, "quantize": bool(opts.quantize),
                           "targets": list(opts.targets) if opts.targets else None, "target_field": opts.target_field})
    summary.workers = workers
    summary.model_version = stance_version
    summary.seconds = time.perf_counter() - t0
    summary.connect_seconds = connected - t0
    return summary


def _check_output(output_dir: Path, inputs: list[Any]) -> None:
    from stance.io import check_not_input

    check_not_input(output_dir, inputs)
    if output_dir.exists() and (not output_dir.is_dir() or any(output_dir.iterdir())):
        raise StanceError(f"output {output_dir} already exists",
                          hint="the Ray engine writes a new folder; delete it or choose another -o")
    if not output_dir.parent.is_dir():
        raise StanceError(f"cannot write {output_dir}: folder {output_dir.parent} does not exist",
                          hint=f"create it first (mkdir -p {output_dir.parent})")


def _check_models(model_dir: Any, first_file: Path, in_fmt: str,
                  opts: PredictOptions) -> tuple[PredictOptions, str, str | None]:
    """Load the models on the driver once to check them and the targets before any worker starts.

    Returns the options with ``two_stage`` and the target choice settled, the stance model's
    version and the role model folder to give the workers.
    """
    import dataclasses

    from stance.predict.loading import is_two_stage_folder, load_predictor
    from stance.predict.run import _choose_targets
    from stance.predict.scoring import resolve_target

    stance_model, role_model = load_predictor(model_dir, role_model_dir=opts.role_model_dir)
    if opts.two_stage is None:
        opts = dataclasses.replace(opts, two_stage=role_model is not None and is_two_stage_folder(Path(model_dir)))
    if opts.two_stage and role_model is None:
        raise StanceError("--two-stage needs a role model", hint="pass --role-model DIR, or a folder holding role/ and stance/")
    opts, _ = _choose_targets(opts, first_file, in_fmt, stance_model)
    for t in opts.targets or []:
        for model in (stance_model, role_model):
            if model is not None:
                resolve_target(t, model, "--targets", {})
    role_path = str(Path(opts.role_model_dir).resolve()) if opts.role_model_dir is not None else None
    return opts, stance_model.model_version, role_path


def _as_stance_error(exc: BaseException) -> StanceError:
    """The StanceError a worker raised, or one line saying what Ray reported."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StanceError):
            return current
        current = getattr(current, "cause", None) or current.__cause__
    text = str(exc)
    import re

    found = re.search(r"^stance\.errors\.StanceError: (.*?)(?: \(hint: (.*)\))?$", text, re.MULTILINE)
    if found:
        return StanceError(found.group(1), hint=found.group(2))
    first = next((ln for ln in text.splitlines() if ln.strip()), type(exc).__name__)
    return StanceError(f"the Ray job failed: {first[:300]}", hint="see the Ray logs under /tmp/ray/session_latest/logs")


def _collect(work_dir: Path, tmp_dir: Path, output_dir: Path, out_fmt: str, *, two_stage: bool) -> RaySummary:
    """Sum the per-batch counts, move the shards into place, and write the lineage record."""
    summary = RaySummary(output=output_dir, format=out_fmt)
    summary.role_kept = 0 if two_stage else None
    for stats_file in sorted(work_dir.glob("*.json")):
        stats = json.loads(stats_file.read_text(encoding="utf-8"))
        summary.statements += stats["statements"]
        summary.rows_written += stats["rows"]
        summary.bad_rows += stats["bad_rows"]
        summary.pairs += stats["pairs"]
        summary.stance_scored += stats["stance_scored"]
        if two_stage:
            summary.role_kept = (summary.role_kept or 0) + stats["role_kept"]
        room = _MAX_BAD_KEPT - len(summary.bad_examples)
        summary.bad_examples.extend(tuple(b) for b in stats["bad"][:room])  # type: ignore[misc]
    shutil.rmtree(work_dir, ignore_errors=True)
    if not tmp_dir.exists():
        tmp_dir.mkdir()  # an input without rows: an empty output folder
    summary.shards = sum(1 for p in tmp_dir.iterdir() if p.is_file())
    if output_dir.exists():
        output_dir.rmdir()  # checked empty before the run
    os.replace(tmp_dir, output_dir)
    return summary


def read_output(output_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """All rows of a Ray output folder (JSONL or Parquet shards), in no particular order."""
    rows: list[dict[str, Any]] = []
    for p in sorted(Path(output_dir).iterdir()):
        if p.suffix == ".jsonl":
            with p.open(encoding="utf-8") as fh:
                rows.extend(json.loads(line) for line in fh if line.strip())
        elif p.suffix == ".parquet":
            import pyarrow.parquet as pq

            rows.extend(pq.read_table(p).to_pylist())
    return rows
