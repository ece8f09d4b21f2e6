"""``stance quantize MODEL_DIR``: quantize a transformer model once and keep the int8 file in its folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from stance.cli._app import app, cli_command


@app.command("quantize")
@cli_command
def quantize_command(
    model_dir: Path = typer.Argument(..., help="Transformer model folder written by `stance train`."),
    data: Path = typer.Option(None, "--data", "-d", help="Dataset folder whose pairs (labels unused) check the int8 model and choose the layers kept in fp32."),
    split: str = typer.Option("train,validation", "--split", help="Split(s) of --data to check on, comma-separated; never the test split you report on."),
    check_pairs: list[Path] = typer.Option(None, "--check-pairs", help="JSONL file of more check pairs (text, target: an id or a text), e.g. unlabelled statements x every target; repeatable. Never test rows."),
    max_check_pairs: int = typer.Option(8000, "--max-check-pairs", help="Check on at most this many distinct pairs (a fixed random sample)."),
    target: float = typer.Option(0.995, "--target", help="Label agreement with fp32 to reach on the check pairs (half a point above the 99 % wanted: on the demo MiniLM, pairs not checked agreed 0.1-0.4 points less)."),
    max_fp32_layers: int = typer.Option(0, "--max-fp32-layers", help="Try keeping up to this many Linear layers in fp32, ranked by the label flips each one causes (each costs about 3 % of the speed and, on the demo MiniLM, removed an eighth of the flips at most)."),
    recheck: bool = typer.Option(True, "--recheck/--no-recheck", help="When int8 alone misses --target: keep the fp32 graph too and rescore near ties with it (the smallest margin that reaches --target on the check pairs)."),
) -> None:
    """Write MODEL_DIR/model.int8.onnx (ONNX Runtime int8; near ties rescored by the fp32 graph when int8 alone misses --target); `stance predict --quantize` then uses it.

    Label agreement needs no gold labels, so check on many pairs: 1 % of 230 pairs is two labels.
    With --max-fp32-layers, ranking the layers runs the int8 model once per Linear layer (minutes).
    """
    from stance.errors import StanceError
    from stance.models import load_model
    from stance.models.quantize import build_int8

    model = load_model(model_dir)
    est = model.estimator
    if model.kind != "transformer":
        raise StanceError(f"model {model_dir} ({model.kind}) cannot be quantized", hint="stance quantize applies to transformer models only")
    if data is None and not check_pairs:
        raise StanceError("no check pairs", hint="give --data DATASET (its train and validation splits) and/or --check-pairs FILE")
    X, sources = _check_rows(model, data, split, check_pairs or [], max_check_pairs)
    record = build_int8(est, model_dir, X, target=target, max_keep=max_fp32_layers, recheck=recheck)
    record["check_data"] = [s["path"] + (f":{s['split']}" if "split" in s else "") for s in sources]
    _write_records(model, record, sources)
    rec = record.get("recheck")
    how = (f"near ties (margin < {rec['margin']}, {rec['share']:.1%} of the pairs) rescored in fp32"
           if rec else "no fp32 rescoring")
    typer.echo(f"int8 model → {Path(model_dir) / record['file']}: {record['check_agreement']:.2%} label agreement with fp32 "
               f"on {record['check_pairs']} check pairs ({record['int8_only_agreement']:.2%} int8 alone; {how}; "
               f"{len(record['fp32_layers'])} layer(s) kept fp32), {record['seconds']} s")
    if record["check_agreement"] < target:
        typer.echo(f"warning: below the {target:.0%} target; predictions with --quantize will differ more", err=True)


def _check_rows(model: Any, data: Path | None, split: str, files: list[Path], limit: int) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Distinct (text, target) check pairs from dataset splits and pair files, sampled to ``limit``; and their sources."""
    import random

    from stance.errors import StanceError
    from stance.io import read_jsonl

    pairs: dict[tuple[str, str], None] = {}
    sources: list[dict[str, Any]] = []
    if data is not None:
        from stance.dataset import load_dataset_dir
        from stance.training import task_data

        ds, _ = load_dataset_dir(data)
        splits = [s.strip() for s in split.split(",") if s.strip()]
        for name in splits:
            if name == "test":
                typer.echo("warning: checking on the test split makes its agreement figure optimistic", err=True)
            X = task_data(ds, name, model.task, data_dir=data).X
            pairs.update(dict.fromkeys(zip(X["text"], X["target"])))
        sources.append({"path": str(data), "kind": "dataset", "split": ",".join(splits)})
    names = model.targets or {}
    for path in files:
        for lineno, row in read_jsonl(path, what="check pairs file"):
            if not row.get("text") or not row.get("target"):
                raise StanceError(f"{path}:{lineno}: a check pair needs text and target", hint="one JSON object per line")
            pairs[(str(row["text"]), names.get(row["target"], str(row["target"])))] = None
        sources.append({"path": str(path), "kind": "statements"})
    if not pairs:
        raise StanceError("no check pairs found", hint="choose another --split or give --check-pairs FILE")
    rows = list(pairs)
    if len(rows) > limit:
        rows = random.Random(0).sample(rows, limit)
    return [{"text": t, "target": g} for t, g in rows], sources


def _write_records(model: Any, record: dict[str, Any], sources: list[dict[str, Any]]) -> None:
    """The int8 record into stance_model.json, and the model's lineage record rewritten (its files changed)."""
    import json

    from stance.io import atomic_write
    from stance.lineage import input_ref, read_lineage, write_lineage

    model_dir = Path(model.path)
    meta = dict(model.metadata)
    meta["int8"] = record
    with atomic_write(model_dir / "stance_model.json") as fh:
        fh.write(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    old = read_lineage(model_dir)
    details = dict(old.details) if old else {}
    details["int8"] = {k: record[k] for k in ("file", "int8_sha256", "method", "fp32_layers", "recheck", "check_pairs",
                                              "check_agreement", "int8_only_agreement", "target", "created")}
    inputs = [i for i in (old.inputs if old else []) if i.get("role") != "int8 check"]
    inputs += [input_ref(s["path"], s["kind"], role="int8 check", **({"split": s["split"]} if "split" in s else {}))
               for s in sources]
    write_lineage(model_dir, "model", inputs=inputs, details=details, versions=old.versions if old else None)
