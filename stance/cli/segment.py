"""``stance segment``: documents → statements.jsonl (with optional audit side files)."""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import typer

from stance.cli._app import PROGRESS_OPTION, app, cli_command, progress_enabled
from stance.errors import StanceError
from stance.io import atomic_write, check_not_input, check_output_path

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


def _jsonl_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


@app.command("segment")
@cli_command
def segment_command(
    paths: list[Path] = typer.Argument(..., help="Files or folders of .txt, .md, .html or .jsonl documents."),
    output: Path = typer.Option(..., "--output", "-o", help="Statements file to write (JSON Lines)."),
    fmt: str = typer.Option(
        "jsonl", "--format", help="Also print the statements: 'jsonl' prints nothing, 'table' a readable view."
    ),
    summary: bool = typer.Option(False, "--summary", help="Print statements, holders and removed lines per document."),
    show_removed: bool = typer.Option(False, "--show-removed", help="Print every removed span with its rule."),
    removed: Path | None = typer.Option(None, "--removed", help="Write removed spans to this JSONL file."),
    documents: Path | None = typer.Option(
        None, "--documents", help="Write each document's source text and metadata (JSONL)."
    ),
    config: Path | None = typer.Option(None, "--config", help="Cleaning patterns (default: the packaged stance/resources/cleaning.yaml)."),
    progress: bool | None = PROGRESS_OPTION,
) -> None:
    """Split documents into clean, attributed statements, one JSON object per line."""
    from stance.segment import iter_segmented, load_cleaning_config

    if fmt not in ("jsonl", "table"):
        raise StanceError(f"--format {fmt!r} is not known", hint="use --format jsonl or --format table")
    _check_outputs(paths, {"-o": output, "--removed": removed, "--documents": documents})
    cleaning = load_cleaning_config(config)

    n_statements = n_docs = 0
    per_file: dict[str, int] = {}  # input file -> documents read from it
    with contextlib.ExitStack() as stack:
        out_fh = stack.enter_context(atomic_write(output))
        removed_fh = stack.enter_context(atomic_write(removed)) if removed else None
        docs_fh = stack.enter_context(atomic_write(documents)) if documents else None
        segmented = iter_segmented(paths, config=cleaning)
        if progress_enabled(progress):
            from tqdm import tqdm

            segmented = tqdm(segmented, unit="doc", desc="segment", leave=False)
        for seg in segmented:
            n_docs += 1
            per_file[seg.document.source_path] = per_file.get(seg.document.source_path, 0) + 1
            for statement in seg.statements:
                out_fh.write(_jsonl_line(statement.to_dict()))
            n_statements += len(seg.statements)
            if removed_fh is not None:
                for removal in seg.removed:
                    removed_fh.write(_jsonl_line(removal.to_dict()))
            if docs_fh is not None:
                docs_fh.write(_jsonl_line(seg.document_record()))
            if fmt == "table":
                _print_table(seg)
            if show_removed:
                for r in seg.removed:
                    typer.echo(f"removed {r.doc_id} [{r.start}:{r.end}] {r.rule:<16} {r.text[:100]!r}")
            if summary:
                _print_summary(seg)
    _write_lineage(output, per_file, cleaning)
    typer.echo(f"wrote {n_statements} statements from {n_docs} documents to {output}", err=True)


def _check_outputs(inputs: list[Path], outputs: dict[str, Path | None]) -> None:
    """Refuse outputs that collide with each other or with an input; clear stale temporaries."""
    given = {option: path for option, path in outputs.items() if path is not None}
    if len({p.resolve() for p in given.values()}) < len(given):
        raise StanceError("-o, --removed and --documents must be different files", hint="give each its own path")
    for option, path in given.items():
        check_output_path(path)
        check_not_input(path, inputs, option=option)
        _check_not_inside_input(path, inputs, option)
        _remove_stale_parts(path)


def _write_lineage(output: Path, per_file: dict[str, int], cleaning: Any) -> None:
    """Record what made the statements: segmenter and cleaning versions, each input file's sha256."""
    from stance.lineage import input_ref, write_lineage
    from stance.segment import SEGMENTER_VERSION

    write_lineage(
        output,
        "statements",
        inputs=[input_ref(path, "documents", documents=n) for path, n in per_file.items()],
        details={
            "segmenter_version": SEGMENTER_VERSION,
            "cleaning_format": cleaning.version,
            "cleaning_config": cleaning.path,
            "cleaning_fingerprint": cleaning.fingerprint,
            "documents": sum(per_file.values()),
        },
    )


def _check_not_inside_input(output: Path, inputs: list[Path], option: str) -> None:
    """Refuse an output that an input folder would read as a document on the next run."""
    from stance.segment.documents import SUPPORTED_SUFFIXES

    if output.suffix.lower() not in SUPPORTED_SUFFIXES:
        return
    out = output.resolve()
    for item in inputs:
        if item.is_dir() and out.is_relative_to(item.resolve()):
            raise StanceError(
                f"output {output} lies inside the input folder {item}: the next run would read it as a document",
                hint=f"give {option} a path outside {item}",
            )


def _remove_stale_parts(output: Path) -> None:
    """Delete hidden temporaries of ``output`` left by a run that was killed (``.NAME.*.part``)."""
    parent = output.parent if str(output.parent) else Path(".")
    for stale in parent.glob(f".{glob.escape(output.name)}.*.part"):
        try:
            size = stale.stat().st_size
            os.unlink(stale)
        except OSError:  # already gone, or not ours to delete: leave it
            continue
        logger.warning("removed %s (%d bytes), left by an interrupted run", stale, size)


def _print_summary(seg: Any) -> None:
    holders = Counter((s.holder, s.holder_type) for s in seg.statements)
    rules = Counter(r.rule for r in seg.removed)
    meta = seg.metadata
    typer.echo(f"{seg.document.doc_id}  [{meta.get('genre')}]  {meta.get('title') or '(no title)'}")
    typer.echo(f"  source: {meta.get('source')}  date: {meta.get('date')}  dateline: {meta.get('dateline')}")
    typer.echo(f"  statements: {len(seg.statements)}")
    top = ", ".join(f"{h} ({t}) {n}" for (h, t), n in holders.most_common(6))
    typer.echo(f"  holders: {top}")
    typer.echo(f"  removed: {len(seg.removed)} spans: " + ", ".join(f"{r} {n}" for r, n in sorted(rules.items())))


def _print_table(seg: Any) -> None:
    meta = seg.metadata
    typer.echo(f"\n== {seg.document.doc_id}: {meta.get('title') or '(no title)'}")
    for s in seg.statements:
        where = s.section if not s.comment_id else f"comment {s.comment_id}"
        who = f"{s.holder} ({s.holder_type}{', quote' if s.in_quote else ''})"
        head = f"{s.index:>4} p{s.paragraph:<3} {where:<12} {who}"
        typer.echo(head)
        typer.echo(textwrap.indent(textwrap.fill(s.text, 96), "       "))
