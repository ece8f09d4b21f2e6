"""CLI: ``stance next``: one active-learning round (pull, dataset, retrain, select, push)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from stance.cli._app import PROGRESS_OPTION, app, cli_command, progress_enabled

_STRATEGY_HELP = ("uncertainty (least confident), margin (smallest gap between the two best labels), entropy, "
                  "diverse (uncertain ones spread over MiniLM embedding clusters) or random.")


@app.command("next")
@cli_command
def next_command(
    project: str = typer.Option(..., "--project", "-p", help="Label Studio project title."),
    pool: Path = typer.Option(..., "--pool", help="Candidate statements (JSONL from `stance segment`)."),
    n: int = typer.Option(200, "--n", min=1, help="Statements to push this round."),
    select: str = typer.Option("margin", "--select", help=_STRATEGY_HELP),
    work_dir: Optional[Path] = typer.Option(None, "--work-dir",
                                            help="Export, dataset and models of the rounds [default: POOL.rounds/PROJECT]."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Training config YAML [default: TF-IDF, joint]."),
    targets: Optional[str] = typer.Option(None, "--targets", help="Comma-separated target ids [default: all]."),
    schema: Path = typer.Option(..., "--schema", help="Label schema YAML (the project's)."),
    seed: int = typer.Option(0, "--seed", help="Seed for random and diverse selection."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", envvar="STANCE_STUDIO_DIR",
                                            help="Local studio data folder [default: ~/.local/share/stance/studio]."),
    as_json: bool = typer.Option(False, "--json", help="Print the round's summary as JSON."),
    progress: Optional[bool] = PROGRESS_OPTION,
) -> None:
    """Run one active-learning round: pull the labels, retrain, choose the next batch, push it.

    Statements already in the project are never chosen again, so rerunning repeats nothing.
    The first round (no labels yet) pushes a random batch.
    """
    import re

    from stance.config import load_config
    from stance.errors import StanceError
    from stance.schema import load_schema
    from stance.select import STRATEGIES, next_round
    from stance.studio import connect
    from stance.tasks import read_statements

    progress = progress_enabled(progress)
    if select not in STRATEGIES:
        raise StanceError(f"--select {select!r} is not a strategy", hint=f"choose one of: {', '.join(STRATEGIES)}")
    ids = [t.strip() for t in targets.split(",") if t.strip()] if targets else None
    loaded = load_schema(schema)
    cfg = load_config(config) if config is not None else None
    rows = read_statements(pool)
    work = work_dir or pool.with_name(pool.name + ".rounds") / re.sub(r"[^A-Za-z0-9_.-]+", "-", project)
    client = connect(data_dir=data_dir)
    summary = next_round(client, project, rows, n, work_dir=work, strategy=select, schema=loaded, targets=ids,
                         config=cfg, seed=seed, progress=progress)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    push = summary["push"] or {}
    typer.echo(f"round: {summary['labelled']} labelled row(s); strategy {summary['strategy']}; "
               f"model {summary['model_dir'] or '(none yet)'}")
    typer.echo(f"selected {summary['selected']} new statement(s) of {len(rows)} "
               f"({summary['already_in_project']} already in the project); pushed {push.get('added', 0)} task(s) "
               f"to {project!r}")
