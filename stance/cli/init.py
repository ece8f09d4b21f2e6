"""``stance init``: write a project's schema and config files to edit (registered on import)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from stance.cli._app import app, cli_command


@app.command("init")
@cli_command
def init_command(
    folder: Path = typer.Argument(Path("."), help="Project folder (created when missing)."),
    targets: Optional[str] = typer.Option(
        None, "--targets",
        help='The stance targets, "Name: definition; Name: definition" (ids are made from the names) '
             "[default: one example target to replace]."),
    force: bool = typer.Option(False, "--force", help="Overwrite files that already exist."),
) -> None:
    """Write schema.yaml, training.tfidf.yaml, training.transformer.yaml and cleaning.yaml to edit."""
    from stance.project import init_project, parse_targets

    result = init_project(folder, targets=parse_targets(targets) if targets is not None else None, force=force)
    for path in result.files:
        typer.echo(f"wrote {path}")
    typer.echo(f"targets: {', '.join(result.target_ids)}")
    schema = result.folder / "schema.yaml"
    typer.echo(
        "next: edit the files, then\n"
        f"  stance segment DOCS -o statements.jsonl --config {result.folder / 'cleaning.yaml'}\n"
        f"  stance push statements.jsonl --schema {schema} --project NAME\n"
        f"  stance dataset export.json --schema {schema} -o dataset\n"
        f"  stance train dataset -c {result.folder / 'training.tfidf.yaml'} -o model"
    )
