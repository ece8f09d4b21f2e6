"""``stance demo``: the whole loop on the bundled seed corpus (the README's main command)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from stance.cli._app import PROGRESS_OPTION, app, cli_command, progress_enabled


def _f(x: Any) -> str:
    return "n/a" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def _agreement_line(agreement: dict[str, Any], control: str) -> str:
    pooled = next((c for c in agreement.get("controls") or []
                   if c.get("control") == control and c.get("target") is None), None)
    if not pooled or not pooled.get("n_items"):
        return "no item was annotated twice"
    return (f"Krippendorff α {_f(pooled.get('krippendorff_alpha'))}, Fleiss κ {_f(pooled.get('fleiss_kappa'))}, "
            f"Cohen κ {_f(pooled.get('cohen_kappa'))} over {pooled['n_items']} doubly-annotated pairs")


@app.command("demo")
@cli_command
def demo_command(
    out: Path = typer.Option(Path("out/demo"), "--out", help="Folder for everything the demo writes."),
    no_studio: bool = typer.Option(False, "--no-studio",
                                   help="Run the loop from the bundled export, without a Label Studio server."),
    studio_dir: Optional[Path] = typer.Option(None, "--studio-dir",
                                              help="Data folder of the local studio [default: OUT/studio]."),
    port: int = typer.Option(8080, "--port", help="Port of the local studio on 127.0.0.1."),
    transformer_config: Optional[Path] = typer.Option(None, "--transformer-config",
                                                      help="Training config [default: configs/demo-transformer.yaml]."),
    progress: Optional[bool] = PROGRESS_OPTION,
) -> None:
    """Run the whole toolkit on the bundled seeds: segment, label in Label Studio, dataset, train, evaluate, predict."""
    from stance.demo import run_demo

    r = run_demo(out, studio=not no_studio, studio_dir=studio_dir, port=port,
                 transformer_config=transformer_config, progress=progress_enabled(progress), say=typer.echo)
    c = r.counts
    typer.echo("")
    typer.echo("Summary (joint setting: None / Favor / Against, test split)")
    typer.echo(f"  documents {c['documents']}, statements {c['statements']}, "
               f"labelled statement-target pairs {c['pairs']} (splits {c['splits']})")
    typer.echo(f"  human agreement, stance: {_agreement_line(r.agreement, 'stance')}")
    typer.echo(f"  human agreement, role:   {_agreement_line(r.agreement, 'role')}")
    typer.echo(f"  {'model':<12} {'n':>5} {'macro-F1':>9} {'95 % interval':>15} {'SemEval F':>10} {'accuracy':>9} {'ECE':>6}")
    for kind, s in r.scores.items():
        ci = s.get("macro_f1_interval")
        ci_text = f"{ci[0]:.3f}–{ci[1]:.3f}" if ci else "–"
        typer.echo(f"  {kind:<12} {_f(s.get('n')):>5} {_f(s.get('macro_f1')):>9} {ci_text:>15} "
                   f"{_f(s.get('semeval_score')):>10} {_f(s.get('accuracy')):>9} {_f(s.get('expected_calibration_error')):>6}")
    for kind, s in r.scores.items():
        d = s.get("against_tfidf")
        if d:
            typer.echo(f"  {kind} − tfidf, macro-F1: {d['value']:+.3f} (95 % interval {d['interval'][0]:+.3f} to "
                       f"{d['interval'][1]:+.3f}, paired bootstrap over test statements)")
    typer.echo(f"  predictions: {c['predictions']} rows (every statement × every target)")
    typer.echo("")
    typer.echo("Wrote:")
    for name, path in r.paths.items():
        typer.echo(f"  {name:<18} {path}")
    if r.studio:
        s = r.studio
        typer.echo("")
        typer.echo(f"Label Studio: {s['project_url']}  (project {s['project']!r}; "
                   f"{s['tasks_added']} tasks added now, {s['tasks_skipped']} already there)")
        typer.echo(f"  login {s['email']}; the password is in {s['credentials_file']}")
        typer.echo(f"  it keeps running; stop it with: stance studio stop --data-dir {s['data_dir']}")
    typer.echo(f"Steps (s): {r.seconds}")
