"""CLI commands for the model stage: ``stance train`` and ``stance evaluate`` (registered on import)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from stance.cli._app import PROGRESS_OPTION, app, cli_command, progress_enabled

TASK_HELP = ("Task setting: joint = None/Favor/Against on every pair; stance = Favor/Against on "
             "position-taking pairs only; role = None/Claim/Premise.")


@app.command("train")
@cli_command
def train_command(
    data_dir: Path = typer.Argument(..., help="Dataset folder written by `stance dataset`."),
    output: Path = typer.Option(..., "--output", "-o", help="Model folder to write."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="tfidf or transformer (default: the config's, else tfidf)."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Training config YAML (see configs/)."),
    task: Optional[str] = typer.Option(None, "--task", "-t", help=TASK_HELP),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (overrides the config)."),
    progress: Optional[bool] = PROGRESS_OPTION,
) -> None:
    """Train a stance or argument-role classifier on a dataset's train split."""
    from stance.config import TrainConfig, load_config
    from stance.errors import StanceError
    from stance.training import train

    cfg = load_config(config) if config is not None else TrainConfig(model=model or "tfidf")
    changes: dict = {}
    if model is not None and model != cfg.model:
        if config is not None:
            raise StanceError(f"--model {model} contradicts {config}, which configures a {cfg.model!r} model",
                              hint="drop --model or pick a config for that model type")
        changes["model"] = model
    if task is not None:
        changes["task"] = task
    if seed is not None:
        changes["seed"] = seed
    if changes:
        cfg = cfg.replace(**changes)
    typer.echo(f"training {cfg.model} model, task setting '{cfg.task}' ({_describe(cfg.task)})", err=True)
    result = train(data_dir, output, config=cfg, progress=progress_enabled(progress))
    counts = ", ".join(f"{k} {v}" for k, v in sorted(result.class_counts.items()))
    typer.echo(
        f"task '{result.task}': trained {result.kind} on {result.n_train} pairs ({counts}), "
        f"{result.n_validation} validation pairs, in {result.seconds:.1f} s → {result.model_dir}"
    )
    log = result.metadata.get("training") or {}
    if log.get("validation"):
        typer.echo(f"  {log['validation']}")
    if log.get("selected_on"):
        typer.echo(f"  settings chosen on the {log['selected_on']}: {log.get('chosen')}")
    if log.get("learning_rate_grid"):
        tried = ", ".join(f"{t['learning_rate']:g}: {t['best_val_macro_f1']}" for t in log["learning_rate_grid"])
        typer.echo(f"  learning rate chosen on validation macro-F1: {log['learning_rate']:g} ({tried})")


def _describe(task: str) -> str:
    return {"joint": "None/Favor/Against on every pair", "stance": "Favor/Against on position-taking pairs",
            "role": "None/Claim/Premise on every pair"}.get(task, task)


@app.command("evaluate")
@cli_command
def evaluate_command(
    model_dir: Path = typer.Argument(..., help="Model folder written by `stance train`."),
    data_dir: Path = typer.Argument(..., help="Dataset folder written by `stance dataset`."),
    output: Path = typer.Option(..., "--output", "-o", help="Report folder (metrics.json, PNGs, report.md)."),
    split: str = typer.Option("test", "--split", "-s", help="Dataset split to evaluate on."),
    against: Optional[Path] = typer.Option(
        None, "--against", help="A second model folder (same task) scored on the same rows: both figures and "
        "the paired bootstrap interval of the difference."),
    resamples: int = typer.Option(1000, "--resamples", min=0,
                                  help="Bootstrap resamples of statements for the 95 % intervals (0: none)."),
    progress: Optional[bool] = PROGRESS_OPTION,
) -> None:
    """Evaluate a trained model on a dataset split and write metrics, plots and a report."""
    from stance.evaluation import evaluate

    result = evaluate(model_dir, data_dir, output, split=split, progress=progress_enabled(progress),
                      against=against, resamples=resamples)
    m = result.metrics
    ci = ((m.get("bootstrap") or {}).get("intervals") or {}).get("macro_f1")
    line = (f"task '{m['task']}' on split '{m['split']}' ({m['n']} pairs): macro-F1 {m['macro_f1']:.3f}"
            + (f" (95 % interval {ci[0]:.3f} to {ci[1]:.3f})" if ci else "") + f", accuracy {m['accuracy']:.3f}")
    if m.get("semeval_score") is not None:
        line += f", SemEval score {m['semeval_score']:.3f}"
    typer.echo(f"{line} → {result.report_dir / 'report.md'}")
    if m.get("against"):
        d = ((m.get("bootstrap") or {}).get("difference") or {}).get("macro_f1")
        text = f"against {m['against']['model_dir']}: macro-F1 {m['against']['macro_f1']:.3f}"
        if d:
            text += (f"; difference {d['value']:+.3f} (95 % interval {d['interval'][0]:+.3f} to {d['interval'][1]:+.3f};"
                     f" this model higher in {100 * d['share_better']:.0f} % of resamples)")
        typer.echo(text)
