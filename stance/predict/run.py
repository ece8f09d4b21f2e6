"""The prediction run: ``predict_file`` reads the input chunk by chunk, scores it and writes parts.

How it stays within memory and survives interruption:

- input is read ``chunk_size`` statements at a time and each chunk's rows are written
  to their own part file in ``OUTPUT.parts/`` before the next chunk is read;
- after each chunk, ``OUTPUT.parts/manifest.json`` (input fingerprint, model versions,
  options, and each part's row count, sha256 and counters) is rewritten atomically;
- ``resume=True`` checks that manifest against the current run, verifies every recorded part
  and continues after the last good one; a truncated or changed part is recomputed;
- at the end the parts are joined into ``OUTPUT`` through one atomic rename, and the lineage
  record ``OUTPUT.lineage.json`` names the input and the model.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.io import check_not_input, check_output_path
from stance.models import StanceModel
from stance.predict.inputs import (FORMATS, SUFFIX_FORMAT, BadRow, Item, check_columns, check_row, detect_format,
                                   input_fingerprint, input_kind, iter_input, peek_record)
from stance.predict.loading import is_two_stage_folder, load_predictor
from stance.predict.outputs import (MANIFEST_FORMAT, PART_COUNTERS, Parts, output_errors, remove_stale_temporaries,
                                    write_empty)
from stance.predict.scoring import UnknownTarget, predict_rows, resolve_target

__all__ = ["PredictOptions", "PredictSummary", "predict_file"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

_MAX_BAD_KEPT = 1000
DEFAULT_TARGET_FIELD = "target"


@dataclass(frozen=True)
class PredictOptions:
    """The options of a prediction run (see :func:`predict_file`).

    Attributes:
        fmt: Output format ``jsonl``, ``csv`` or ``parquet`` (default: output suffix, else the input's).
        targets: Pair every statement with each of these target ids (or texts).
        target_field: Take each row's target from this field. Default: ``target`` when the rows
            carry it, else every target the model was trained on.
        all_targets: Every statement against each of the model's targets, even when rows carry a target.
        role_model_dir: Role model folder; adds ``role`` and ``role_scores``.
        two_stage: Stance only for pairs the role model marks Claim/Premise (``None``: on for a two-stage folder).
        resume: Continue an interrupted run of the same input, model and options.
        on_error: ``skip`` (report and drop bad rows) or ``fail`` (stop at the first).
        batch_size: Inference batch size of transformer models.
        chunk_size: Statements read, scored and written per step (bounds memory).
        split: For a dataset with splits: predict only this one.
        text_field: Field holding the statement text.
        quantize: int8 dynamic quantization of transformer models.
        show_progress: tqdm bar with the statement rate (only on a terminal when ``None``).
    """

    fmt: str | None = None
    targets: Sequence[str] | None = None
    target_field: str | None = None
    all_targets: bool = False
    role_model_dir: str | os.PathLike[str] | None = None
    two_stage: bool | None = None
    resume: bool = False
    on_error: str = "skip"
    batch_size: int = 64
    chunk_size: int = 10_000
    split: str | None = None
    text_field: str = "text"
    quantize: bool = False
    show_progress: bool | None = True

    def checked(self) -> PredictOptions:
        """These options with ``targets`` cleaned, or a StanceError for a contradiction."""
        if self.on_error not in ("skip", "fail"):
            raise StanceError(f"on_error must be 'skip' or 'fail', got {self.on_error!r}",
                              hint="use --on-error skip or --on-error fail")
        if self.chunk_size < 1:
            raise StanceError(f"chunk size must be at least 1, got {self.chunk_size}", hint="e.g. --chunk-size 10000")
        given = [name for name, on in (("--targets", self.targets is not None), ("--target-field", self.target_field is not None),
                                       ("--all-targets", self.all_targets)) if on]
        if len(given) > 1:
            raise StanceError(f"give only one of {', '.join(given)}",
                              hint="--targets pairs each statement with every listed target; --target-field reads one "
                                   "per row; --all-targets uses every target of the model")
        if self.targets is None:
            return self
        targets = [t.strip() for t in self.targets if t and t.strip()]
        if not targets:
            raise StanceError("--targets is empty", hint="e.g. --targets kuril_sovereignty,sanctions")
        return dataclasses.replace(self, targets=targets)


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
        role_kept: Two-stage mode: pairs the role model marked as position-taking (``None`` otherwise).
        stance_scored: Pairs the stance model scored.
        resumed_statements: Statements skipped because an earlier run had finished them.
        seconds: Wall time of this call.
        load_seconds: Part of it spent loading the models.
        model_version: The stance model's version.
        role_model_version: The role model's version, if one was used.
        target_source: Where each row's targets came from, in words.
        unseen_targets: Targets scored that the model never saw in training.
        warnings: Things the user should know (empty input, unseen targets, recomputed parts).
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
    target_source: str = ""
    unseen_targets: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def statements_per_second(self) -> float:
        """Statements processed by this call per second (model loading excluded)."""
        done = self.statements - self.resumed_statements
        busy = self.seconds - self.load_seconds
        return done / busy if busy > 0 else 0.0


@dataclass
class _Run:
    """Everything one run needs once the options are checked and the models loaded."""

    input_path: Path
    output: Path
    kind: str
    out_fmt: str
    opts: PredictOptions
    stance_model: StanceModel
    role_model: StanceModel | None
    target_source: str
    warnings: list[str] = field(default_factory=list)
    unseen: set[str] = field(default_factory=set)
    cache: dict[str, str] = field(default_factory=dict)


def _output_format(opts: PredictOptions, output: Path, kind: str) -> str:
    out_fmt = opts.fmt or SUFFIX_FORMAT.get(output.suffix.lower()) or (kind if kind in FORMATS else "jsonl")
    return detect_format(output, out_fmt)


def _choose_targets(opts: PredictOptions, input_path: Path, kind: str, model: StanceModel) -> tuple[PredictOptions, str]:
    """Apply the target-field default: rows that carry ``target`` are scored against it."""
    if opts.targets is not None:
        return opts, "--targets " + ",".join(opts.targets)
    if opts.target_field is not None:
        return opts, f"each row's {opts.target_field!r} field"
    if not opts.all_targets:
        first = peek_record(input_path, kind, split=opts.split)
        value = first.get(DEFAULT_TARGET_FIELD) if first is not None else None
        if value is not None and str(value).strip():
            return (dataclasses.replace(opts, target_field=DEFAULT_TARGET_FIELD),
                    f"each row's {DEFAULT_TARGET_FIELD!r} field (--targets or --all-targets overrides)")
    if not model.targets:
        raise StanceError(f"model {model.path} has no target list, so targets must be given",
                          hint="pass --targets T1,T2 or --target-field target")
    return opts, f"all {len(model.targets)} targets of the model"


def _prepare(model_dir: Path, input_path: Path, output: Path, opts: PredictOptions,
             models: tuple[StanceModel, StanceModel | None] | None) -> _Run:
    kind = input_kind(input_path)
    out_fmt = _output_format(opts, output, kind)
    check_not_input(output, [input_path], option="-o")
    check_columns(input_path, kind, opts.text_field)
    if models is None:
        models = load_predictor(model_dir, role_model_dir=opts.role_model_dir, quantize=opts.quantize,
                                batch_size=opts.batch_size)
    stance_model, role_model = models
    if opts.two_stage is None:
        opts = dataclasses.replace(opts, two_stage=role_model is not None and is_two_stage_folder(model_dir))
    if opts.two_stage and role_model is None:
        raise StanceError("--two-stage needs a role model", hint="pass --role-model DIR, or a folder holding role/ and stance/")
    opts, source = _choose_targets(opts, input_path, kind, stance_model)
    run = _Run(input_path, output, kind, out_fmt, opts, stance_model, role_model, source)
    for t in opts.targets or []:  # fail before reading any input
        for model in (stance_model, role_model):
            if model is not None:
                resolve_target(t, model, "--targets", {}, run.unseen if model is stance_model else None)
    return run


def _initial_state(run: _Run) -> dict[str, Any]:
    o = run.opts
    return {
        "format": MANIFEST_FORMAT,
        "input": str(run.input_path.resolve()),
        "input_fingerprint": input_fingerprint(run.input_path),
        "model_version": run.stance_model.model_version,
        "role_model_version": run.role_model.model_version if run.role_model is not None else None,
        "options": {
            "output_format": run.out_fmt, "targets": list(o.targets) if o.targets else None,
            "target_field": o.target_field, "two_stage": bool(o.two_stage), "chunk_size": o.chunk_size,
            "split": o.split, "text_field": o.text_field, "on_error": o.on_error, "quantize": bool(o.quantize),
        },
        "parts": [], "bad_examples": [], "unseen_targets": [],
    }


def _totals(state: dict[str, Any]) -> dict[str, int]:
    """The run's counters: sums over the recorded parts."""
    return {k: sum(int(p.get(k, 0)) for p in state["parts"]) for k in PART_COUNTERS}


def _check_resume(previous: dict[str, Any], current: dict[str, Any], parts: Parts) -> None:
    """Refuse to continue a run whose input, models or options differ from this one."""
    if previous.get("format") != MANIFEST_FORMAT or not isinstance(previous.get("parts"), list):
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


def _start(run: _Run, parts: Parts, state: dict[str, Any]) -> None:
    """Continue a verified earlier run (``resume``), or start an empty parts folder."""
    previous = parts.read_manifest()
    if not (run.opts.resume and previous is not None):
        if previous is not None or parts.dir.exists():
            logger.warning("discarding the unfinished run in %s (pass --resume to continue it)", parts.dir)
        parts.reset()
        return
    _check_resume(previous, state, parts)
    good = []
    for i, entry in enumerate(previous["parts"]):
        problem = parts.verify(i, entry)
        if problem:
            run.warnings.append(f"part {parts.part_path(i).name} of the interrupted run failed its check ({problem}); "
                                f"recomputing from chunk {i + 1}")
            break
        good.append(entry)
    state.update({k: v for k, v in previous.items() if k not in ("input", "parts")})
    state["parts"] = good
    state["bad_examples"] = state["bad_examples"][: _totals(state)["bad_kept"]]
    run.unseen.update(state.get("unseen_targets") or [])


def _skip(items: Iterator[Item], n: int) -> Iterator[Item]:
    for _ in range(n):
        if next(items, None) is None:
            return
    yield from items


def _chunks(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _row_problem(run: _Run, where: str, record: dict[str, Any]) -> str:
    """Why a record cannot be scored ('' when it can), an unknown target of the row included."""
    problem = check_row(record, run.opts.text_field, run.opts.target_field)
    if problem or run.opts.target_field is None:
        return problem
    try:
        for model in (run.stance_model, run.role_model):
            if model is not None:
                resolve_target(record[run.opts.target_field], model, where, run.cache if model is run.stance_model else {},
                               run.unseen if model is run.stance_model else None)
    except UnknownTarget as exc:
        return str(exc.args[0])[len(where) + 2:]
    return ""


def _split_chunk(run: _Run, chunk: list[Item], state: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str], dict[str, int]]:
    """The chunk's good rows and their places; bad rows are recorded (or stop the run under ``fail``)."""
    good: list[dict[str, Any]] = []
    wheres: list[str] = []
    bad = {"bad_rows": 0, "bad_kept": 0}
    for where, record, reason in chunk:
        if record is not None:
            reason = _row_problem(run, where, record)
        if not reason:
            good.append(record)  # type: ignore[arg-type]
            wheres.append(where)
            continue
        row = BadRow(where, reason)
        if run.opts.on_error == "fail":
            raise StanceError(f"{row}", hint="fix or remove that row, or pass --on-error skip to skip bad rows")
        logger.debug("skipping %s", row)
        bad["bad_rows"] += 1
        if len(state["bad_examples"]) < _MAX_BAD_KEPT:
            state["bad_examples"].append([row.where, row.reason])
            bad["bad_kept"] += 1
    return good, wheres, bad


def _run_chunks(run: _Run, parts: Parts, state: dict[str, Any],
                after_chunk: Callable[[int, int], None] | None) -> None:
    o = run.opts
    done = _totals(state)["statements"]
    items = iter_input(run.input_path, run.kind, split=o.split, batch_rows=min(o.chunk_size, 65_536))
    bar = None
    if o.show_progress is not False:
        from tqdm.auto import tqdm

        bar = tqdm(unit="stmt", desc="predicting", initial=done, smoothing=0.05, dynamic_ncols=True,
                   disable=None if o.show_progress is None else False)
    try:
        for index, chunk in enumerate(_chunks(_skip(items, done), o.chunk_size), start=len(state["parts"])):
            good, wheres, entry = _split_chunk(run, chunk, state)
            rows, counts = predict_rows(good, run.stance_model, role_model=run.role_model, two_stage=bool(o.two_stage),
                                        targets=o.targets, target_field=o.target_field, text_field=o.text_field,
                                        wheres=wheres)
            state["unseen_targets"] = sorted(run.unseen)
            with output_errors(parts.output):
                parts.write_chunk(index, rows, state, {**entry, **counts, "statements": len(chunk)})
            done += len(chunk)
            if bar is not None:
                bar.update(len(chunk))
            if after_chunk is not None:
                after_chunk(index, done)
    finally:
        if bar is not None:
            bar.close()


def _summary(run: _Run, state: dict[str, Any], t0: float, load_seconds: float, resumed: int) -> PredictSummary:
    totals = _totals(state)
    s = PredictSummary(
        output=run.output, format=run.out_fmt, statements=totals["statements"], bad_rows=totals["bad_rows"],
        bad_examples=[BadRow(w, r) for w, r in state["bad_examples"]], pairs=totals["pairs"],
        rows_written=totals["rows"], role_kept=totals["role_kept"] if run.opts.two_stage else None,
        stance_scored=totals["stance_scored"], resumed_statements=resumed, load_seconds=load_seconds,
        model_version=run.stance_model.model_version,
        role_model_version=run.role_model.model_version if run.role_model is not None else None,
        target_source=run.target_source, unseen_targets=sorted(run.unseen), warnings=list(run.warnings),
    )
    if s.unseen_targets:
        s.warnings.append(f"target(s) never seen in training, scored zero-shot: {', '.join(map(repr, s.unseen_targets))}")
    if s.statements == 0:
        s.warnings.append(f"{run.input_path} holds no statements; wrote an empty {run.output}")
    elif s.statements == s.bad_rows:
        s.warnings.append(f"every row of {run.input_path} was bad; wrote an empty {run.output}")
    for w in s.warnings:
        logger.info("%s", w)
    s.seconds = time.perf_counter() - t0
    return s


def _write_lineage(run: _Run, model_dir: Path, input_fp: str) -> None:
    from stance.lineage import input_ref, read_lineage, write_lineage

    model_kind = {"documents": "documents", "dataset": "dataset"}.get(run.kind, "statements")
    # A file's resume fingerprint is its sha256 already: no second read of the input.
    known = {"fingerprint_value": input_fp} if input_fp.startswith("sha256:") else {}
    inputs = [input_ref(run.input_path, model_kind, **known)]
    for model in (run.stance_model, run.role_model):
        if model is not None:
            record = read_lineage(model.path) if (model.path / "lineage.json").is_file() else None
            inputs.append(input_ref(model.path, "model", model_version=model.model_version,
                                    **({"fingerprint_value": record.fingerprint} if record is not None else {})))
    o = run.opts
    write_lineage(run.output, "predictions", inputs=inputs, details={
        "model_version": run.stance_model.model_version,
        "role_model_version": run.role_model.model_version if run.role_model is not None else None,
        "targets": list(o.targets) if o.targets else None, "target_field": o.target_field,
        "two_stage": bool(o.two_stage), "format": run.out_fmt})


def predict_file(
    model_dir: str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    options: PredictOptions | None = None,
    *,
    models: tuple[StanceModel, StanceModel | None] | None = None,
    after_chunk: Callable[[int, int], None] | None = None,
    **option_values: Any,
) -> PredictSummary:
    """Predict stance for every statement of ``input_path`` and write ``output_path``.

    Args:
        model_dir: Stance (or joint) model folder, or a two-stage folder with ``role/`` and ``stance/``.
        input_path: JSONL, CSV or Parquet file, folder of documents, or saved Hugging Face dataset.
        output_path: File to write; its format comes from ``fmt``, its suffix, or the input's.
        options: A :class:`PredictOptions`; ``**option_values`` (its field names, e.g. ``targets=[...]``)
            override single fields.
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
    opts = dataclasses.replace(options or PredictOptions(), **option_values).checked()
    model_dir, input_path = Path(model_dir), Path(input_path)
    output = check_output_path(output_path)
    run = _prepare(model_dir, input_path, output, opts, models)
    load_seconds = time.perf_counter() - t0
    if remove_stale_temporaries(output):
        run.warnings.append(f"removed temporary files of {output} left by an interrupted run")
    state = _initial_state(run)
    parts = Parts(output, run.out_fmt)
    _start(run, parts, state)
    resumed = _totals(state)["statements"]
    if resumed:
        logger.info("resuming after %d statements (%d chunks)", resumed, len(state["parts"]))
    _run_chunks(run, parts, state, after_chunk)
    if state["parts"]:
        parts.finish(len(state["parts"]), state)
    else:
        write_empty(output, run.out_fmt)
    _write_lineage(run, model_dir, state["input_fingerprint"])
    return _summary(run, state, t0, load_seconds, resumed)
