"""CLI commands for the predict stage (registered on import by stance.cli)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from stance.cli._app import PROGRESS_OPTION, app, cli_command

_MAX_SHOWN_BAD = 10


@app.command("predict")
@cli_command
def predict_command(
    model_dir: Path = typer.Argument(..., help="Stance model folder (from `stance train`), or a two-stage folder with role/ and stance/."),
    input_path: Path = typer.Argument(..., metavar="INPUT",
                                      help="JSONL, CSV or Parquet file of statements, a folder of documents, or a saved Hugging Face dataset."),
    output: Path = typer.Option(..., "--output", "-o", help="Output file (.jsonl, .csv or .parquet)."),
    fmt: Optional[str] = typer.Option(None, "--format", help="jsonl, csv or parquet (default: from the output suffix)."),
    targets: Optional[str] = typer.Option(None, "--targets", help="Comma-separated target ids: every statement against each."),
    target_field: Optional[str] = typer.Option(None, "--target-field",
                                               help="Field holding each row's target id or text "
                                                    "(default: 'target' when the rows have it)."),
    all_targets: bool = typer.Option(False, "--all-targets",
                                     help="Every statement against each target of the model, even when rows carry a target."),
    role_model: Optional[Path] = typer.Option(None, "--role-model", help="Role model folder (adds role and role_scores)."),
    two_stage: Optional[bool] = typer.Option(None, "--two-stage/--no-two-stage",
                                             help="Predict stance only for statements the role model marks Claim or Premise "
                                                  "(default: on for a two-stage folder)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run into the same output."),
    on_error: str = typer.Option("skip", "--on-error", help="Bad rows: skip (report them) or fail (stop at the first)."),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Transformer batch size."),
    chunk_size: int = typer.Option(10_000, "--chunk-size", min=1, help="Statements per read-score-write step."),
    split: Optional[str] = typer.Option(None, "--split", help="Dataset input: predict this split only."),
    text_field: str = typer.Option("text", "--text-field", help="Field holding the statement text."),
    quantize: bool = typer.Option(False, "--quantize", help="Run a transformer model in int8: the ONNX Runtime file `stance quantize DIR` saved and checked (its label agreement with fp32 is recorded in stance_model.json; the fp32 weights are then not loaded), else torch int8 made at load time (slower to start, more labels change). Faster; some labels change."),
    progress: Optional[bool] = PROGRESS_OPTION,
    engine: str = typer.Option("local", "--engine", help="local (this process) or ray (Ray Data; OUTPUT becomes a "
                                                         "folder of JSONL or Parquet shards)."),
    address: Optional[str] = typer.Option(None, "--address", help="Ray engine: auto, HOST:PORT or ray://HOST:PORT "
                                                                  "(default: start a local Ray on 127.0.0.1)."),
    num_workers: Optional[int] = typer.Option(None, "--num-workers", min=1,
                                              help="Ray engine: scoring actors (default: the cluster's CPUs less one)."),
) -> None:
    """Predict stance (and argument role) for every statement of INPUT, streaming in chunks."""
    from stance.predict import PredictOptions, predict_file

    target_list = [t.strip() for t in targets.split(",")] if targets is not None else None
    options = PredictOptions(
        fmt=fmt, targets=target_list, target_field=target_field, all_targets=all_targets, role_model_dir=role_model,
        two_stage=two_stage, resume=resume, on_error=on_error, batch_size=batch_size, chunk_size=chunk_size,
        split=split, text_field=text_field, quantize=quantize, show_progress=progress,
    )
    if engine == "ray":
        _predict_on_ray(model_dir, input_path, output, options, address=address, num_workers=num_workers)
        return
    if engine != "local" or address is not None or num_workers is not None:
        from stance.errors import StanceError

        if engine != "local":
            raise StanceError(f"unknown engine {engine!r}", hint="use --engine local or --engine ray")
        raise StanceError("--address and --num-workers apply to the Ray engine", hint="add --engine ray")
    summary = predict_file(model_dir, input_path, output, options)
    for bad in summary.bad_examples[:_MAX_SHOWN_BAD]:
        typer.echo(f"skipped {bad}", err=True)
    if summary.bad_rows > _MAX_SHOWN_BAD:
        typer.echo(f"... and {summary.bad_rows - _MAX_SHOWN_BAD} more bad rows", err=True)
    for warning in summary.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if summary.resumed_statements:
        typer.echo(f"resumed after {summary.resumed_statements:,} statements already done")
    typer.echo(
        f"read {summary.statements:,} statements ({summary.bad_rows:,} bad, skipped); "
        f"wrote {summary.rows_written:,} rows to {summary.output} ({summary.format}); "
        f"{summary.statements_per_second:,.0f} statements/s; model {summary.model_version}; "
        f"targets: {summary.target_source}"
    )
    if summary.role_kept is not None:
        typer.echo(
            f"two-stage: role stage scored {summary.pairs:,} statement-target pairs and kept {summary.role_kept:,} "
            f"as Claim/Premise; stance stage scored {summary.stance_scored:,}"
        )


def _predict_on_ray(model_dir: Path, input_path: Path, output: Path, options: object, *, address: Optional[str],
                    num_workers: Optional[int]) -> None:
    from stance.predict.ray_engine import predict_ray

    summary = predict_ray(model_dir, input_path, output, options, address=address,  # type: ignore[arg-type]
                          num_workers=num_workers)
    for where, reason in summary.bad_examples[:_MAX_SHOWN_BAD]:
        typer.echo(f"skipped {where}: {reason}", err=True)
    if summary.bad_rows > _MAX_SHOWN_BAD:
        typer.echo(f"... and {summary.bad_rows - _MAX_SHOWN_BAD} more bad rows", err=True)
    typer.echo(
        f"read {summary.statements:,} statements ({summary.bad_rows:,} bad, skipped); wrote {summary.rows_written:,} "
        f"rows in {summary.shards} {summary.format} shards to {summary.output}/; {summary.workers} Ray workers; "
        f"{summary.statements_per_second:,.0f} statements/s; model {summary.model_version}"
    )
