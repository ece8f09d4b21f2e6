"""CLI: ``stance serve MODEL_DIR --project NAME``: a live ML backend for a Label Studio project."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from stance.cli._app import app, cli_command


@app.command("serve")
@cli_command
def serve_command(
    model_dir: Path = typer.Argument(..., help="Model folder from `stance train` (the starting model)."),
    project: str = typer.Option(..., "--project", "-p", help="Label Studio project title."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (default: this machine only)."),
    port: int = typer.Option(9090, "--port", min=1, max=65535, help="Port to listen on."),
    url: Optional[str] = typer.Option(None, "--url", help="URL Label Studio calls [default: http://HOST:PORT]."),
    work_dir: Optional[Path] = typer.Option(None, "--work-dir",
                                            help="Exports, datasets and retrained models [default: MODEL_DIR.live/PROJECT]."),
    schema: Path = typer.Option(..., "--schema", help="Label schema YAML the project's tasks were built with."),
    retrain_every: int = typer.Option(20, "--retrain-every", min=1, help="Retrain after this many new or changed labels…"),
    quiet: float = typer.Option(30.0, "--quiet", min=0.0, help="…or this many seconds after the last one."),
    retrain: bool = typer.Option(True, "--retrain/--no-retrain", help="Retrain while people label."),
    basic_auth_user: Optional[str] = typer.Option(
        None, "--basic-auth-user", help="Require basic auth; the password is read from STANCE_BACKEND_PASSWORD."),
    attach: bool = typer.Option(True, "--attach/--no-attach", help="Register the backend with the project."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", envvar="STANCE_STUDIO_DIR",
                                            help="Local studio data folder [default: ~/.local/share/stance/studio]."),
) -> None:
    """Serve a model to a Label Studio project and retrain it on new labels in the background.

    Connects to LABEL_STUDIO_URL with LABEL_STUDIO_API_KEY, else to the local studio; registers
    itself as the project's ML backend (predictions shown to annotators), and runs until Ctrl-C.
    """
    from stance.backend import BackendOptions, default_work_dir, serve
    from stance.errors import StanceError
    from stance.studio import connect

    auth = None
    if basic_auth_user:
        password = os.environ.get("STANCE_BACKEND_PASSWORD")
        if not password:
            raise StanceError("--basic-auth-user needs a password in STANCE_BACKEND_PASSWORD")
        auth = (basic_auth_user, password)
    client = connect(data_dir=data_dir)
    options = BackendOptions(model_dir=model_dir, project=project,
                             work_dir=work_dir or default_work_dir(model_dir, project), schema_path=schema,
                             retrain_every=retrain_every, quiet_s=quiet, retrain=retrain)
    handle = serve(options, client=client, host=host, port=port, public_url=url, basic_auth=auth,
                   attach_to_project=attach)
    att = handle.attachment
    typer.echo(f"serving {model_dir} (model version {handle.backend.live.model_version}) at {handle.url} "
               f"for project {project!r}")
    if att is not None:
        typer.echo(f"attached as ML backend {att.ml_backend_id} ({att.title!r}); "
                   + ("retrains on new labels" if att.webhook and retrain else "no retraining (no webhook)"))
    typer.echo(f"work folder: {options.work_dir}; Ctrl-C to stop")
    try:
        while handle.thread.is_alive():
            handle.thread.join(0.5)
    finally:
        handle.stop()
