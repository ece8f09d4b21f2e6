"""The dataset card (``README.md``) of a built dataset, rendered from its metadata."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stance.export import DISCOVERY

__all__ = ["dataset_card"]


def _fmt(x: Any) -> str:
    return "n/a" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def dataset_card(meta: Mapping[str, Any]) -> str:
    """The dataset card (``README.md``) for a built dataset, from its metadata.

    Example:
        >>> dataset_card(meta).splitlines()[0]
        '---'
    """
    splits = [s for s, n in meta["splits"].items() if n]
    lines = ["---", "configs:", "- config_name: default", "  data_files:"]
    for s in splits:
        lines += [f"  - split: {s}", f"    path: parquet/{s}.parquet"]
    lines += ["tags:", "- stance-detection", "- argument-mining", "---", ""]
    lines += _intro(meta)
    lines += _counts(meta)
    lines += _tables(meta)
    lines += _agreement(meta)
    lines += _columns(meta)
    return "\n".join(lines)


def _intro(meta: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    title = meta.get("schema_name") or "stance"
    lines += [
        f"# {title}: stance and argument-role annotations",
        "",
        f"Built by `stance dataset` (stance {meta['stance_version']}) on {meta['created_at']} from the Label Studio "
        f"export `{meta['source']['export']}` of project "
        + (f"\"{meta['source']['project_title']}\" " if meta["source"].get("project_title") else "")
        + f"(id(s): {', '.join(map(str, meta['source']['projects'])) or 'unknown'}).",
        "",
        "| | |",
        "| --- | --- |",
        f"| format | `{meta['format']}` |",
        f"| schema version | {meta['schema_version']} |",
        f"| guidelines version | {meta['guidelines_version']} |",
        f"| task mode | {meta['mode']} |",
        f"| ties | {meta['options']['ties']} |",
        f"| split seed | {meta['options']['seed']} (test {meta['options']['test_size']}, validation {meta['options']['val_size']}, by document) |",
        "",
        "Load it with `datasets.load_from_disk(DATA_DIR)`, or read the Parquet files in `parquet/`.",
        "",
    ]
    return lines


def _counts(meta: Mapping[str, Any]) -> list[str]:
    c = meta["counts"]
    lines = [
        "## Annotations",
        "",
        f"- tasks in the export: {c.get('tasks', 0)}; without any annotation (left out): {c.get('unannotated', 0)}",
        f"- annotations: {c.get('annotations', 0)}; skipped: {c.get('skipped', 0)}; cancelled after labelling: "
        f"{c.get('cancelled', 0)}; submitted empty: {c.get('empty', 0)}; replaced by the same annotator's later answer: "
        f"{c.get('superseded', 0)} (none of these vote)",
        f"- tasks left out because no answer votes: {c.get('no_valid_annotation', 0)}",
        f"- rows: {c.get('rows', 0)}; tied (never resolved silently, "
        f"{'kept with the tied label unset (-1)' if meta['options']['ties'] == 'keep' else 'in the `ties` split'}): "
        f"{c.get('tied_rows', 0)}; decided by a ground-truth annotation: {c.get('ground_truth_rows', 0)}",
    ]
    if c.get("spans_repaired"):
        lines.append(f"- discovery spans whose offsets were realigned to their text: {c['spans_repaired']}")
    if "offsets_checked" in c or "offsets_unchecked" in c:
        lines.append(f"- statement offsets checked against source documents: {c.get('offsets_checked', 0)}; "
                     f"source not found: {c.get('offsets_unchecked', 0)}")
    for w in meta.get("warnings", []):
        lines.append(f"- note: {w}")
    return lines


def _tables(meta: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    lines += ["", "## Splits", "", "| split | rows | documents |", "| --- | --- | --- |"]
    for s, n in meta["splits"].items():
        lines.append(f"| {s} | {n} | {meta['documents'][s]} |")
    for key, title_ in (("role", "Role"), ("stance", "Stance")):
        names = list(next(iter(meta["labels"].values()))[key])
        lines += ["", f"## {title_} labels", "", "| split | " + " | ".join(names) + " |", "|" + " --- |" * (len(names) + 1)]
        for s in meta["splits"]:
            lines.append(f"| {s} | " + " | ".join(str(meta["labels"][s][key].get(n, 0)) for n in names) + " |")
    for key, title_ in (("targets", "Targets"), ("genres", "Genres")):
        names = sorted({n for part in meta[key].values() for n in part})
        lines += ["", f"## {title_}", "", "| split | " + " | ".join(names) + " |", "|" + " --- |" * (len(names) + 1)]
        for s in meta["splits"]:
            lines.append(f"| {s} | " + " | ".join(str(meta[key][s].get(n, 0)) for n in names) + " |")
    return lines


def _agreement(meta: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    lines += [
        "",
        "## Agreement",
        "",
        "On items answered by two or more annotators. Cohen's kappa is the mean over annotator pairs; "
        "Fleiss' kappa uses the items with the most common number of answers.",
        "",
        "| control | target | items | annotators | Cohen κ | Fleiss κ | Krippendorff α | all agree |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in meta["agreement"]["controls"]:
        lines.append(
            f"| {row['control']} | {row['target'] or 'all'} | {row['n_items']} | {row['n_annotators']} | "
            f"{_fmt(row['cohen_kappa'])} | {_fmt(row['fleiss_kappa'])} | {_fmt(row['krippendorff_alpha'])} | {_fmt(row['observed'])} |"
        )
    spans = meta["agreement"].get("spans")
    if spans:
        lines += ["", f"Span F1 between annotators ({spans['n_items']} items, {spans['n_pairs']} pairs): "
                      f"exact {_fmt(spans['exact_f1'])}, overlap {_fmt(spans['overlap_f1'])}."]
    return lines


def _columns(meta: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    lines += [
        "",
        "## Columns",
        "",
        "`id` (`statement_id|target`), `task_id`, `statement_id`, `doc_id`, `text`, `target`, `target_text`, "
        "`holder`, `holder_type`, `genre`, `role` and `stance` (ClassLabel, -1 where unlabelled or tied), "
        "`annotations` (every voting annotator's `annotator`, `role`, `stance`, `lead_time`, `updated_at`), "
        "`n_annotators`, `tie`, `ground_truth`"
        + (", `spans` (per annotator: label, text, offsets into the statement and the document), "
           "`relations` (`from_span`, `to_span`, `type`). Discovery mode has one row per (statement, target) "
           "that an annotator ticked; an annotator who did not tick the target answers stance `None` for it, "
           "and each annotator's role is read off their spans (`Claim` if they marked a claim span, else "
           "`Premise` if a premise span, else `None`)." if meta["mode"] == DISCOVERY else "."),
        "",
    ]
    optional = meta.get("optional_columns") or []
    if optional:
        described = {"holder_id": "`holder_id` (one id per holder across documents: `person:surname/fir`, "
                                  "`outlet:slug`, `source:slug`)",
                     "speaker": "`speaker` (the speaker of a transcript turn)"}
        lines += ["Also " + " and ".join(described.get(c, f"`{c}`") for c in optional)
                  + ", null where a statement file written before them did not carry them.", ""]
    return lines
