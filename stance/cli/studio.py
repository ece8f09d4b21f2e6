"""CLI commands for the labeling stage (registered on import by stance.cli):
``stance tasks``, ``stance studio start|stop|status``, ``stance push`` and ``stance pull``."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer

from stance.cli._app import PROGRESS_OPTION, app, cli_command, progress_enabled
from stance.errors import StanceError


class Mode(str, Enum):
    pair = "pair"
    discovery = "discovery"


_STATEMENTS = typer.Argument(..., help="Statements JSONL written by `stance segment`.")
_MODE = typer.Option(Mode.pair, "--mode", help="pair: one task per statement × target; discovery: one per statement.")
_TARGETS = typer.Option(None, "--targets", help="Comma-separated target ids [default: all targets of the schema].")
_SCHEMA = typer.Option(None, "--schema", help="Label schema YAML (required; `stance init` writes one, the demo corpus has seeds/schema.yaml).")
_MODEL = typer.Option(None, "--model", help="Model folder from `stance train`: adds pre-annotations (predictions).")
_DATA_DIR = typer.Option(None, "--data-dir", envvar="STANCE_STUDIO_DIR",
                         help="Local studio data folder [default: ~/.local/share/stance/studio].")
_PROJECT = typer.Option(..., "--project", "-p", help="Label Studio project title (3 to 50 characters).")

studio_app = typer.Typer(name="studio", help="Run a local Label Studio (needs `pip install 'stance[studio]'`).",
                         no_args_is_help=True)
app.add_typer(studio_app, name="studio")


def _targets(value: Optional[str]) -> Optional[list[str]]:
    if not value:
        return None
    ids = [t.strip() for t in value.split(",") if t.strip()]
    if not ids:
        raise StanceError(f"--targets {value!r} names no target", hint="e.g. --targets kuril_sovereignty,us_japan_alliance")
    return ids


def _build(statements: Path, mode: Mode, targets: Optional[str], schema_path: Optional[Path],
           model: Optional[Path], progress: bool, *, predict: bool = True,
           choose: Any = None) -> tuple[list[dict], str, Any, Any]:
    """Tasks, config and schema; with ``predict=False`` the predictions are left to a callback
    (returned last) so that ``stance push`` runs the model only on tasks the project lacks."""
    from stance.schema import labeling_config, load_schema
    from stance.tasks import add_predictions, build_tasks, read_statements

    schema = load_schema(schema_path)
    ids = _targets(targets)
    chosen = schema.select_targets(ids)  # fail on a bad id before reading anything big
    rows = read_statements(statements)
    predictor, version = None, None
    if model is not None:  # the CLI loads the model; tasks only receives a predictor
        from stance.models import load_model

        predictor = load_model(model)
        version = predictor.model_version
    if choose is not None:  # active learning: `stance push --select` (stance.select)
        rows = choose(rows, predictor, [t.name for t in chosen])
    tasks = build_tasks(rows, schema, mode=mode.value, targets=ids, predictor=predictor if predict else None,
                        model_version=version, progress=progress)
    xml = labeling_config(schema, mode.value, targets=chosen if mode is Mode.discovery else None)

    def _predict(new: list[dict]) -> None:
        add_predictions(new, schema, predictor, mode=mode.value, targets=ids, model_version=version, progress=progress)

    return tasks, xml, schema, _predict if predictor is not None and not predict else None


@app.command("tasks")
@cli_command
def tasks_command(
    statements: Path = _STATEMENTS,
    output: Path = typer.Option(..., "--output", "-o", help="Label Studio import JSON to write."),
    mode: Mode = _MODE,
    targets: Optional[str] = _TARGETS,
    schema: Optional[Path] = _SCHEMA,
    model: Optional[Path] = _MODEL,
    progress: Optional[bool] = PROGRESS_OPTION,
) -> None:
    """Turn statements into Label Studio tasks (and the labeling config beside them).

    The JSON can be pushed with `stance push` or uploaded by hand in the Label Studio UI;
    the config is written to OUTPUT with the suffix .label_config.xml.
    """
    from stance.io import check_not_input, check_output_path
    from stance.tasks import write_tasks

    check_output_path(output)
    check_not_input(output, [statements], option="-o")
    tasks, xml, loaded, _ = _build(statements, mode, targets, schema, model, progress_enabled(progress))
    version = next((t["predictions"][0]["model_version"] for t in tasks if t.get("predictions")), None)
    config_path = write_tasks(output, tasks, loaded, mode=mode.value, label_config=xml, statements_path=statements,
                              model_version=version)
    with_pred = sum(1 for t in tasks if t.get("predictions"))
    typer.echo(f"wrote {len(tasks)} {mode.value}-mode task(s) (schema version {loaded.version}"
               f"{f', {with_pred} with predictions' if with_pred else ''}) to {output}; labeling config: {config_path}")


@app.command("push")
@cli_command
def push_command(
    statements: Path = _STATEMENTS,
    project: str = _PROJECT,
    mode: Mode = _MODE,
    targets: Optional[str] = _TARGETS,
    schema: Optional[Path] = _SCHEMA,
    model: Optional[Path] = _MODEL,
    force_schema: bool = typer.Option(False, "--force-schema",
                                      help="Push into a project recorded with another schema version (and switch it)."),
    chunk_size: int = typer.Option(2000, "--chunk-size", min=1, help="Tasks per import request."),
    select: Optional[str] = typer.Option(
        None, "--select", help="Push only --n statements not yet in the project, chosen by the --model: uncertainty, "
                               "margin, entropy, diverse (spread over MiniLM embedding clusters) or random."),
    n: int = typer.Option(200, "--n", min=1, help="With --select: how many statements to push."),
    data_dir: Optional[Path] = _DATA_DIR,
    progress: Optional[bool] = PROGRESS_OPTION,
) -> None:
    """Push statements to a Label Studio project; tasks already there are skipped.

    Connects to LABEL_STUDIO_URL with LABEL_STUDIO_API_KEY, else to the local studio.
    """
    from stance.studio import connect, push

    progress = progress_enabled(progress)
    client = connect(data_dir=data_dir)
    choose = _chooser(client, project, select, n, model) if select else None
    tasks, _, loaded, prepare = _build(statements, mode, targets, schema, model, progress, predict=False,
                                       choose=choose)
    result = push(client, project, tasks, loaded, mode=mode.value, targets=_targets(targets), force=force_schema,
                  chunk_size=chunk_size, progress=progress, prepare=prepare)
    action = "created project" if result.created_project else "project"
    typer.echo(f"{action} {result.project!r} (id {result.project_id}) at {client.url}: "
               f"{result.added} new task(s) added, {result.skipped} skipped as already present "
               f"({result.seconds:.1f} s)")


def _chooser(client: Any, project: str, strategy: str, n: int, model: Optional[Path]) -> Any:
    """``choose(rows, predictor, target_names)`` for `stance push --select` (see stance.select)."""
    from stance.select import STRATEGIES, minilm_embedder, select_statements, statement_ids_of_keys
    from stance.studio import existing_task_keys, find_project

    if strategy not in STRATEGIES:
        raise StanceError(f"--select {strategy!r} is not a strategy", hint=f"choose one of: {', '.join(STRATEGIES)}")
    if model is None and strategy != "random":
        raise StanceError(f"--select {strategy} needs --model DIR", hint="or use --select random")
    found = find_project(client, project)
    pushed = statement_ids_of_keys(existing_task_keys(client, int(found.id))) if found is not None else set()

    def choose(rows: list[dict], predictor: Any, target_names: list[str]) -> list[dict]:
        return select_statements(rows, predictor, n, target_names=target_names, strategy=strategy,
                                 exclude_ids=pushed, embed=minilm_embedder() if strategy == "diverse" else None)

    return choose


@app.command("pull")
@cli_command
def pull_command(
    project: str = _PROJECT,
    output: Path = typer.Option(..., "--output", "-o", help="JSON export file to write (atomically)."),
    incremental: bool = typer.Option(False, "--incremental",
                                     help="Fetch only tasks changed since the last pull into OUTPUT and merge them in."),
    data_dir: Optional[Path] = _DATA_DIR,
) -> None:
    """Download the full JSON export of a project: every task, every annotation and its flags."""
    from stance.io import check_not_input, check_output_path
    from stance.studio import connect, pull

    check_output_path(output)
    check_not_input(output, [data_dir] if data_dir is not None else [])
    client = connect(data_dir=data_dir)
    if incremental:
        from stance.studio.incremental import pull_incremental

        inc = pull_incremental(client, project, output)
        what = "full export (first pull)" if inc.full else f"{inc.fetched} changed task(s), {inc.added} new"
        typer.echo(f"{what}: {output} now holds {inc.tasks} task(s) with {inc.annotations} annotation(s) "
                   f"({inc.seconds:.1f} s)")
        return
    r = pull(client, project, output)
    typer.echo(f"wrote {r.tasks} task(s) with {r.annotations} annotation(s) by {r.annotators} annotator(s) "
               f"({r.cancelled} cancelled/skipped, {r.ground_truth} ground truth; {r.drafts} draft(s) kept apart) "
               f"to {r.path} ({r.seconds:.1f} s)")


@studio_app.command("start")
@cli_command
def studio_start(
    data_dir: Optional[Path] = _DATA_DIR,
    port: int = typer.Option(8080, "--port", min=1, max=65535, help="Port on 127.0.0.1."),
    timeout: float = typer.Option(300.0, "--timeout", help="Seconds to wait for the server to answer."),
) -> None:
    """Start a local Label Studio on 127.0.0.1 (first start: about a minute)."""
    from stance.studio import start

    st = start(data_dir, port=port, timeout=timeout)
    typer.echo(f"Label Studio runs at {st.url} (pid {st.pid})")
    typer.echo(f"login: {st.email}; password and API token are in {st.credentials_file} (readable only by you)")
    typer.echo(f"data: {st.data_dir}; log: {st.log_file}; stop it with `stance studio stop`")


@studio_app.command("stop")
@cli_command
def studio_stop(data_dir: Optional[Path] = _DATA_DIR) -> None:
    """Stop the local Label Studio."""
    from stance.studio import stop
    from stance.studio.server import resolve_data_dir

    stopped = stop(data_dir)
    typer.echo("stopped Label Studio" if stopped else f"no Label Studio was running for {resolve_data_dir(data_dir)}")


@studio_app.command("status")
@cli_command
def studio_status(
    data_dir: Optional[Path] = _DATA_DIR,
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Say whether the local Label Studio runs, where, and where its credentials are."""
    from stance.studio import status

    st = status(data_dir)
    if as_json:
        typer.echo(json.dumps(st.as_dict(), indent=2))
    elif st.running:
        health = "answers" if st.healthy else "does not answer /health yet"
        typer.echo(f"Label Studio runs at {st.url} (pid {st.pid}) and {health}; login {st.email}; "
                   f"credentials in {st.credentials_file}")
    else:
        typer.echo(f"Label Studio is not running (data folder {st.data_dir})")
