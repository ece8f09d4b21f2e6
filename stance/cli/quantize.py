"""``stance quantize MODEL_DIR``: quantize a transformer model once and keep the int8 file in its folder."""

from __future__ import annotations

from pathlib import Path

import typer

from stance.cli._app import app, cli_command


@app.command("quantize")
@cli_command
def quantize_command(
    model_dir: Path = typer.Argument(..., help="Transformer model folder written by `stance train`."),
    data: Path = typer.Option(..., "--data", "-d", help="Dataset folder whose pairs check the int8 model (and choose the layers kept in fp32)."),
    split: str = typer.Option("validation", "--split", help="Split of --data to check on; never the test split you report on."),
    target: float = typer.Option(0.99, "--target", help="Label agreement with fp32 to reach on the check pairs."),
    max_fp32_layers: int = typer.Option(8, "--max-fp32-layers", help="At most this many Linear layers stay in fp32."),
) -> None:
    """Write MODEL_DIR/model.int8.onnx (ONNX Runtime int8, sensitive layers kept fp32); `stance predict --quantize` then uses it."""
    from stance.dataset import load_dataset_dir
    from stance.errors import StanceError
    from stance.io import atomic_write
    from stance.models import load_model
    from stance.models.quantize import build_int8
    from stance.training import task_data

    model = load_model(model_dir)
    est = model.estimator
    if not hasattr(est, "model_") or not hasattr(est, "tokenizer_"):
        raise StanceError(f"model {model_dir} ({model.kind}) cannot be quantized", hint="stance quantize applies to transformer models only")
    if split == "test":
        typer.echo("warning: checking on the test split makes its agreement figure optimistic", err=True)
    ds, _ = load_dataset_dir(data)
    X = task_data(ds, split, model.task, data_dir=data).X
    if len(X) == 0:
        raise StanceError(f"dataset {data} split {split!r} has no pairs for the {model.task!r} task", hint="choose another --split")
    record = build_int8(est, model_dir, X, target=target, max_keep=max_fp32_layers)
    record["check_data"] = f"{data}:{split}"
    import json

    meta = dict(model.metadata)
    meta["int8"] = record
    with atomic_write(Path(model_dir) / "stance_model.json") as fh:
        fh.write(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    typer.echo(f"int8 model → {Path(model_dir) / record['file']}: {record['check_agreement']:.2%} label agreement with fp32 "
               f"on {record['check_pairs']} {split} pairs, {len(record['fp32_layers'])} layer(s) kept fp32, {record['seconds']} s")
