"""``stance info``: the lineage chain of any artifact, back to the documents (registered on import)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from stance.cli._app import app, cli_command


@app.command("info")
@cli_command
def info_command(
    path: Path = typer.Argument(..., help="Any file or folder stance wrote: statements, tasks, export, dataset, "
                                          "model, predictions."),
    as_json: bool = typer.Option(False, "--json", help="Print the chain as JSON (every input, every detail)."),
    verify: bool = typer.Option(True, "--verify/--no-verify",
                                help="Recompute fingerprints and warn where an input changed after it was used."),
    max_documents: int = typer.Option(5, "--max-documents", min=0,
                                      help="Documents listed per step in the text output; the rest are counted."),
) -> None:
    """Show what an artifact was made from: each step's kind, path, time, versions and details."""
    from stance.info import render_chain, trace

    chain = trace(path, verify=verify)
    warnings = [w for step in chain.walk() for w in step.warnings]
    if as_json:
        typer.echo(json.dumps(chain.to_json(), indent=2, ensure_ascii=False))
    else:
        for line in render_chain(chain, max_sources=max_documents):
            typer.echo(line)
    if warnings:
        typer.echo(f"{len(warnings)} warning(s) in the lineage of {path}", err=True)
