"""CLI commands for the dataset stage (registered on import by stance.cli):
``stance dataset``, ``stance agreement`` and ``stance disagreements``."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer

from stance.cli._app import PROGRESS_OPTION, app, cli_command, progress_enabled
from stance.errors import StanceError

_EXPORT = typer.Argument(..., help="Label Studio JSON export (`stance pull`, or Export → JSON in Label Studio).")
_SCHEMA = typer.Option(None, "--schema", help="Label schema YAML the tasks were made with (required; `stance init` writes one, the demo corpus has seeds/schema.yaml).")
_DOCS = typer.Option(
    None, "--documents",
    help="Source documents to check statement offsets against: the --documents JSONL of `stance segment`, "
    "or the folder of source .txt/.md files.",
)
_REPAIR = typer.Option(False, "--repair-spans", help="Realign discovery spans whose offsets do not match their text.")


class Ties(str, Enum):
    """What `stance dataset` does with tied items."""

    exclude = "exclude"
    keep = "keep"


def _read(
    export: Path, schema_path: Optional[Path], documents: Optional[Path], repair_spans: bool, *,
    full_data: bool = False, progress: bool = False,
) -> tuple[Any, Any]:
    from stance.export import read_documents, read_export
    from stance.schema import load_schema

    schema = load_schema(schema_path)
    docs = read_documents(documents) if documents is not None else None
    parsed = read_export(export, schema, documents=docs, repair_spans=repair_spans, full_data=full_data, progress=progress)
    return parsed, schema


def _load_schema(path: Optional[Path]) -> Any:
    from stance.schema import load_schema

    return None if path is None else load_schema(path)


def _fmt(x: Any) -> str:
    return "-" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def render_agreement(report: dict[str, Any]) -> str:
    """The agreement report as a plain-text table, one line per control and target.

    Example:
        >>> print(render_agreement(export_agreement(export)).splitlines()[0])
        control  target  items  annotators  cohen_k  fleiss_k  kripp_a  all_agree
    """
    head = ("control", "target", "items", "annotators", "cohen_k", "fleiss_k", "kripp_a", "all_agree")
    rows = [head] + [
        (
            r["control"], r["target"] or "(all)", str(r["n_items"]), str(r["n_annotators"]), _fmt(r["cohen_kappa"]),
            _fmt(r["fleiss_kappa"]), _fmt(r["krippendorff_alpha"]), _fmt(r["observed"]),
        )
        for r in report["controls"]
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if not any(r["n_items"] for r in report["controls"]):
        lines.append("no item was answered by two or more annotators: agreement needs overlapping annotations")
    spans = report.get("spans")
    if spans:
        lines.append("")
        lines.append(
            f"span F1 between annotators: exact {_fmt(spans['exact_f1'])}, overlap {_fmt(spans['overlap_f1'])} "
            f"({spans['n_items']} items, {spans['n_pairs']} annotator pairs)"
        )
    lines.append("items: answered by two or more annotators; cohen_k: mean over annotator pairs; "
                 "fleiss_k: on items with the most common number of answers")
    return "\n".join(lines)


def _check_output_folder(output: Path, inputs: list[Path]) -> None:
    """Refuse an output folder that is an input or holds one (replacing it would delete the input)."""
    from stance.io import check_not_input

    check_not_input(output, inputs)
    out = output.resolve()
    for item in inputs:
        if out in item.resolve().parents:
            raise StanceError(f"input {item} lies inside the output folder {output}: rebuilding would delete it",
                              hint="move the input out of that folder, or give -o another folder")


@app.command("dataset")
@cli_command
def dataset_command(
    export: Path = _EXPORT,
    output: Path = typer.Option(..., "--output", "-o", help="Dataset folder to write (created, or replaced if it is a previous output)."),
    schema: Optional[Path] = _SCHEMA,
    ties: Ties = typer.Option(Ties.exclude, "--ties", help="exclude: tied items go to a `ties` split; keep: they stay, tied label unset."),
    seed: int = typer.Option(13, "--seed", help="Seed for the document-grouped split."),
    test_size: float = typer.Option(0.1, "--test-size", help="Share of rows (whole documents) for test."),
    val_size: float = typer.Option(0.1, "--val-size", help="Share of rows (whole documents) for validation."),
    documents: Optional[Path] = _DOCS,
    repair_spans: bool = _REPAIR,
    progress: Optional[bool] = PROGRESS_OPTION,
    project_title: Optional[str] = typer.Option(
        None, "--project", "-p", help="Title of the Label Studio project the export came from (for the dataset card)."
    ),
    adjudicated: Optional[Path] = typer.Option(
        None, "--adjudicated", help="Export of the review project (`stance disagreements`); its answers count as ground truth."
    ),
    # Labelled tables (CSV, TSV, JSONL, Parquet, a saved HF dataset or a folder of them): stance.tabular.
    text_field: str = typer.Option("text", "--text-field", help="Table input: column of the statement text."),
    target_field: str = typer.Option("target", "--target-field", help="Table input: column of the target."),
    label_field: str = typer.Option("label", "--label-field", help="Table input: column of the stance label."),
    label_map: Optional[str] = typer.Option(None, "--label-map", help="Table input: label renames, e.g. pro=Favor,con=Against,neutral=None."),
    split_field: str = typer.Option("split", "--split-field", help="Table input: column with train/validation(val, dev)/test, honoured when present."),
) -> None:
    """Turn a Label Studio export, or a labelled table (CSV, TSV, JSONL, Parquet, saved HF dataset), into a Hugging Face dataset."""
    from stance.adjudication import merge_adjudication
    from stance.dataset import DatasetOptions, build_dataset, save_dataset
    from stance.export import read_export
    from stance.tabular import build_table_dataset, is_table_input

    _check_output_folder(output, [p for p in (export, schema, documents, adjudicated) if p is not None])
    options = DatasetOptions(ties=ties.value, seed=seed, test_size=test_size, val_size=val_size)
    if is_table_input(export):
        dd, meta = build_table_dataset(export, text_field=text_field, target_field=target_field, label_field=label_field,
                                       label_map=label_map, split_field=split_field, schema=_load_schema(schema),
                                       options=options)
    else:
        parsed, loaded = _read(export, schema, documents, repair_spans, progress=progress_enabled(progress))
        if adjudicated is not None:
            if adjudicated.resolve() == export.resolve() or (adjudicated.exists() and adjudicated.samefile(export)):
                raise StanceError(f"--adjudicated {adjudicated} is the export itself: every answer would become ground truth",
                                  hint="give the export of the review project made by `stance disagreements`")
            parsed = merge_adjudication(parsed, read_export(adjudicated, loaded, repair_spans=repair_spans))
        dd, meta = build_dataset(parsed, loaded, options=options, project_title=project_title)
    out = save_dataset(dd, meta, output, progress=progress_enabled(progress), export_path=export)
    splits = ", ".join(f"{name} {n}" for name, n in meta["splits"].items())
    c = meta["counts"]
    typer.echo(
        f"wrote {out}: {c['rows']} rows ({splits}); {c['tied_rows']} tied, {c.get('skipped', 0)} skipped, "
        f"{c.get('cancelled', 0)} cancelled, {c.get('unannotated', 0)} unannotated task(s)"
    )
    for w in meta["warnings"]:
        typer.echo(f"note: {w}", err=True)


@app.command("agreement")
@cli_command
def agreement_command(
    export: Path = _EXPORT,
    schema: Optional[Path] = _SCHEMA,
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    include_ground_truth: bool = typer.Option(
        False, "--include-ground-truth",
        help="Count ground-truth annotations (adjudications) as answers; by default agreement is between "
        "independent annotations only."),
    documents: Optional[Path] = _DOCS,
    repair_spans: bool = _REPAIR,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Also write the figures as JSON to this file."),
) -> None:
    """Inter-annotator agreement per control and target: Cohen's and Fleiss' kappa, Krippendorff's alpha, span F1."""
    from stance.agreement import export_agreement
    from stance.io import check_not_input, check_output_path, write_json

    if output is not None:
        check_output_path(output)
        check_not_input(output, [p for p in (export, schema, documents) if p is not None])
    parsed, _ = _read(export, schema, documents, repair_spans)
    report = export_agreement(parsed, include_ground_truth=include_ground_truth)
    if output is not None:
        write_json(output, report)
    for w in parsed.warnings:
        typer.echo(f"note: {w}", err=True)
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        typer.echo(f"{export} ({report['mode']} mode, {len(parsed.tasks)} annotated tasks)")
        typer.echo(render_agreement(report))
        if not include_ground_truth:
            typer.echo("ground-truth annotations (adjudications) are left out: agreement is between independent "
                       "answers (--include-ground-truth counts them)")


@app.command("disagreements")
@cli_command
def disagreements_command(
    export: Path = _EXPORT,
    output: Path = typer.Option(..., "--output", "-o", help="Review tasks to write (Label Studio import JSON)."),
    schema: Optional[Path] = _SCHEMA,
    push: bool = typer.Option(False, "--push", help="Also create a review project in Label Studio and import the tasks."),
    project: Optional[str] = typer.Option(None, "--project", "-p", help="Review project title (with --push)."),
    data_dir: Optional[Path] = typer.Option(
        None, "--data-dir", envvar="STANCE_STUDIO_DIR",
        help="Local studio folder (with --push, when LABEL_STUDIO_URL/LABEL_STUDIO_API_KEY are not set).",
    ),
    documents: Optional[Path] = _DOCS,
    repair_spans: bool = _REPAIR,
) -> None:
    """Write conflicting items as Label Studio tasks showing every annotator's answer, for adjudication."""
    from stance.adjudication import disagreement_tasks, review_config
    from stance.io import check_not_input, check_output_path
    from stance.tasks import write_tasks

    if push and not project:
        raise StanceError("--push needs --project NAME", hint="e.g. --push --project 'stance review 1'")
    check_output_path(output)
    inputs = [p for p in (export, schema, documents) if p is not None]
    check_not_input(output, inputs)
    check_not_input(output.with_suffix(".label_config.xml"), inputs)
    parsed, loaded = _read(export, schema, documents, repair_spans, full_data=True)
    tasks = disagreement_tasks(parsed)
    if not tasks:
        typer.echo(f"no conflicting items in {export}: nothing to adjudicate")
        return
    config = review_config(loaded, parsed.mode)
    config_path = write_tasks(output, tasks, loaded, mode=parsed.mode, label_config=config)
    typer.echo(f"wrote {len(tasks)} review task(s) to {output} and the labeling config to {config_path}")
    if push:
        _push(tasks, config, str(project), loaded, parsed.mode, export, data_dir)


def _push(tasks: list[dict[str, Any]], config: str, project: str, schema: Any, mode: str, source: Path,
          data_dir: Optional[Path]) -> None:
    from stance.studio import connect, push_tasks

    client = connect(data_dir=data_dir)
    r = push_tasks(client, project, tasks, config, schema_version=str(schema.version), mode=mode,
                   description=f"Adjudication of the disagreements in {source.name} (stance disagreements).")
    typer.echo(f"pushed to Label Studio project {project!r} (id {r.project_id}): {r.added} added, "
               f"{r.skipped} already there")
