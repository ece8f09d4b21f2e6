"""Labelled data from outside Label Studio: CSV, TSV, JSONL, Parquet or a saved Hugging Face dataset.

Users arrive with public corpora and earlier projects: rows with a text, a target and a label.
:func:`load_labelled_table` turns such a file (or a folder of them) into the same typed
``DatasetDict`` as ``stance dataset`` builds from a Label Studio export (DESIGN.md section 3):
the same columns, ``stance`` and ``role`` as ``ClassLabel`` with the schema's names, and
``train`` / ``validation`` / ``test`` splits. A ``split`` column is honoured as given (``val``
and ``dev`` mean validation); in a folder without one, a file named ``train``, ``dev``,
``validation`` or ``test`` gives its rows that split; rows without any split are split by
statement (all targets of one text stay together), stratified and seeded as for exports.

Example (UKP Sentential, eight TSVs with a ``set`` column)::

    stance dataset ../shared/benchmarks/ukp-sentential -o data/ukp --text-field sentence \\
        --target-field topic --label-field annotation --split-field set \\
        --label-map NoArgument=None,Argument_for=Favor,Argument_against=Against
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import logging
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stance.errors import StanceError

__all__ = ["TABLE_SUFFIXES", "is_table_input", "parse_label_map", "read_table", "load_labelled_table",
           "build_table_dataset"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: File suffixes read as tables.
TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".parquet")
_SPLIT_NAMES = {"train": "train", "training": "train", "validation": "validation", "valid": "validation",
                "val": "validation", "dev": "validation", "test": "test"}


def is_table_input(path: str | os.PathLike[str]) -> bool:
    """True for a CSV/TSV/JSONL/Parquet file, a saved HF dataset folder or a folder of tables.

    A Label Studio export (a ``.json`` file) is not a table.

    Example:
        >>> is_table_input("corpus.csv"), is_table_input("export.json")
        (True, False)
    """
    p = Path(path)
    if p.is_dir():
        return _is_hf_folder(p) or bool(_table_files(p))
    return p.suffix.lower() in TABLE_SUFFIXES


def _is_hf_folder(p: Path) -> bool:
    return (p / "dataset_dict.json").is_file() or (p / "state.json").is_file()


def _table_files(folder: Path) -> list[Path]:
    files = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in TABLE_SUFFIXES)
    kinds = {f.suffix.lower() for f in files}
    if len(kinds) > 1:
        raise StanceError(f"{folder} mixes table formats ({', '.join(sorted(kinds))})",
                          hint="keep one format per folder, or pass one file")
    return files


def parse_label_map(text: str | Mapping[str, str] | None) -> dict[str, str]:
    """``"pro=Favor,con=Against"`` → ``{"pro": "Favor", "con": "Against"}``.

    Example:
        >>> parse_label_map("pro=Favor, con=Against")
        {'pro': 'Favor', 'con': 'Against'}
    """
    if text is None:
        return {}
    if isinstance(text, Mapping):
        return {str(k): str(v) for k, v in text.items()}
    out: dict[str, str] = {}
    for part in str(text).split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise StanceError(f"--label-map entry {part.strip()!r} is not FROM=TO",
                              hint="e.g. --label-map pro=Favor,con=Against,neutral=None")
        src, dst = part.split("=", 1)
        out[src.strip()] = dst.strip()
    return out


def _read_one(path: Path) -> Any:
    import pandas as pd

    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        if suffix == ".tsv":  # UKP-style TSVs carry unbalanced quotes: read them literally
            return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE)
        if suffix == ".jsonl":
            return pd.read_json(path, lines=True, dtype=False)
        if suffix == ".parquet":
            return pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StanceError(f"{path}: cannot read it as {suffix[1:].upper()} ({first})",
                          hint="check the file, or convert it to CSV, JSONL or Parquet") from None
    raise StanceError(f"{path}: unknown table format {suffix!r}", hint=f"use one of {', '.join(TABLE_SUFFIXES)}")


def read_table(path: str | os.PathLike[str]) -> Any:
    """Read a table file, a folder of table files, or a saved HF dataset into one DataFrame.

    Rows get a ``__source_split`` column: the HF split name, or the file stem when it names a
    split (``train.jsonl``, ``dev.jsonl``), else empty.

    Raises:
        StanceError: for a missing path, an unreadable file, or a folder without tables.
    """
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise StanceError(f"{p} does not exist", hint="give a CSV, TSV, JSONL or Parquet file, or a saved HF dataset folder")
    if p.is_dir() and _is_hf_folder(p):
        import datasets

        try:
            loaded = datasets.load_from_disk(str(p))
        except Exception as exc:  # datasets raises several types for damaged folders
            raise StanceError(f"{p}: cannot load the saved dataset ({exc})", hint="save it with save_to_disk") from None
        parts = loaded.items() if isinstance(loaded, datasets.DatasetDict) else [("", loaded)]
        frames = [_hf_frame(ds).assign(__source_split=name) for name, ds in parts]
    else:
        files = _table_files(p) if p.is_dir() else [p]
        if not files:
            raise StanceError(f"{p} holds no {', '.join(TABLE_SUFFIXES)} files",
                              hint="give a table file, a folder of them, or a saved HF dataset folder")
        frames = [_read_one(f).assign(__source_split=f.stem.lower() if f.stem.lower() in _SPLIT_NAMES else "")
                  for f in files]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _hf_frame(ds: Any) -> Any:
    """A saved split as a DataFrame, ClassLabel integers turned back into their names (-1 → empty)."""
    df = ds.to_pandas()
    for name, feature in ds.features.items():
        if hasattr(feature, "names") and hasattr(feature, "int2str"):
            df[name] = [feature.names[v] if v is not None and v >= 0 else "" for v in df[name]]
    return df


def _check_columns(df: Any, path: Path, fields: dict[str, str | None]) -> None:
    found = [c for c in df.columns if c != "__source_split"]
    for option, name in fields.items():
        if name is not None and name not in df.columns:
            raise StanceError(f"{path}: no column {name!r} (the {option.split('_')[0]} field); "
                              f"columns found: {', '.join(map(str, found))}",
                              hint=f"name the right column with --{option.replace('_', '-')}")


def _labels_to_index(values: list[Any], names: list[str], label_map: dict[str, str], path: Path,
                     field: str) -> list[int]:
    """Label values → ClassLabel indices (-1 for empty); unknown values are an error naming them."""
    lower = {n.lower(): i for i, n in enumerate(names)}
    out, unknown = [], Counter()
    for v in values:
        raw = "" if v is None or (isinstance(v, float) and v != v) else str(v).strip()
        if raw == "":
            out.append(-1)
            continue
        mapped = label_map.get(raw, raw)
        idx = lower.get(mapped.lower())
        if idx is None:
            unknown[raw] += 1
            idx = -1
        out.append(idx)
    if unknown:
        shown = ", ".join(f"{k!r} ({n})" for k, n in unknown.most_common(8))
        example = ",".join(f"{k}={_guess(k, names)}" for k in list(unknown)[:3])
        raise StanceError(f"{path}: column {field!r} has values that are not labels {names}: {shown}",
                          hint=f"map them with --label-map, e.g. --label-map {example}")
    return out


_GUESS = {"favor": ("pro", "for", "favor", "favour", "support", "positive", "agree", "argument_for"),
          "against": ("con", "against", "oppose", "negative", "disagree", "argument_against"),
          "none": ("neutral", "none", "noargument", "no_argument", "other", "unrelated")}


def _guess(value: str, names: list[str]) -> str:
    """The schema name a common label spelling probably means, else a placeholder."""
    low = value.lower()
    for name in names:
        if low in _GUESS.get(name.lower(), ()):
            return name
    return "|".join(names)


def _statement_id(doc: str, text: str) -> str:
    return f"{doc}:{hashlib.sha1(text.encode('utf-8')).hexdigest()[:10]}"


def _split_of(value: Any, source: str, path: Path, field: str | None, row: int) -> str | None:
    raw = "" if value is None else str(value).strip().lower()
    if raw == "":
        return _SPLIT_NAMES.get(source) if source else None
    if raw not in _SPLIT_NAMES:
        raise StanceError(f"{path}: row {row + 1}: {field} = {value!r} is not train, validation (val, dev) or test",
                          hint=f"fix the {field!r} column, or leave the cell empty to let stance split the row")
    return _SPLIT_NAMES[raw]


def _rows(df: Any, path: Path, f: dict[str, str | None], label_map: dict[str, str], schema: Any) -> list[dict[str, Any]]:
    """One export-shaped row per table row, with ``_split`` for :func:`stance.dataset.assign_splits`."""
    from stance.dataset import label_names

    stances, roles = label_names(schema.stances), label_names(schema.roles)
    n = len(df)
    col = lambda name: [None] * n if name is None else df[name].tolist()  # noqa: E731
    texts = ["" if t is None else str(t) for t in col(f["text_field"])]
    targets = ["" if t is None else str(t) for t in col(f["target_field"])]
    stance = _labels_to_index(col(f["label_field"]), stances, label_map, path, str(f["label_field"]))
    role = _labels_to_index(col(f["role_field"]), roles, label_map, path, str(f["role_field"])) if f["role_field"] else [-1] * n
    split_values = col(f["split_field"] if f["split_field"] in df.columns else None)
    sources = df["__source_split"].tolist()
    docs, ids = col(f["doc_field"]), col(f["id_field"])
    empty_text = [i for i, t in enumerate(texts) if not t.strip()]
    if empty_text:
        raise StanceError(f"{path}: row(s) {', '.join(str(i + 1) for i in empty_text[:5])} have an empty "
                          f"{f['text_field']!r}", hint="remove those rows, or name the text column with --text-field")
    rows, seen = [], Counter()
    for i in range(n):
        target = targets[i].strip()
        doc = str(docs[i]) if docs[i] not in (None, "") else hashlib.sha1(texts[i].encode("utf-8")).hexdigest()[:12]
        sid = _statement_id(doc, texts[i])
        rid = str(ids[i]) if ids[i] not in (None, "") else f"{sid}|{target}"
        seen[rid] += 1
        if seen[rid] > 1:
            rid = f"{rid}-{seen[rid]}"
        rows.append({"id": rid, "task_id": i, "statement_id": sid, "doc_id": doc, "text": texts[i],
                     "target": target, "target_text": target, "holder": "", "holder_type": "", "genre": "",
                     "role": role[i], "stance": stance[i], "annotations": [], "n_annotators": 0, "tie": False,
                     "ground_truth": True, "_split": _split_of(split_values[i], sources[i], path, f["split_field"], i)})
    return rows


def build_table_dataset(path: str | os.PathLike[str], *, text_field: str = "text", target_field: str = "target",
                        label_field: str = "label", label_map: str | Mapping[str, str] | None = None,
                        split_field: str | None = "split", role_field: str | None = None,
                        doc_field: str | None = None, id_field: str | None = None, schema: Any = None,
                        options: Any = None) -> tuple[Any, dict[str, Any]]:
    """A labelled table → ``(DatasetDict, metadata)``, as :func:`stance.dataset.build_dataset` returns.

    Args:
        path: CSV, TSV, JSONL or Parquet file, a folder of them, or a ``save_to_disk`` folder.
        text_field, target_field, label_field: Column names of the statement, the target and the
            stance label.
        label_map: Label renames, ``"pro=Favor,con=Against"`` or a dict; labels are then matched to
            the schema's stance names case-insensitively. An empty label means unlabelled (-1).
        split_field: Column with ``train`` / ``validation`` (``val``, ``dev``) / ``test``; used when present.
        role_field: Optional column with the argument role (Claim / Premise / None).
        doc_field: Optional column grouping rows into documents (kept in one split); default: the text.
        id_field: Optional column of unique row ids; default ``"{statement_id}|{target}"``.
        schema: Label schema (default: the packaged template's role and stance names).
        options: :class:`stance.dataset.DatasetOptions` for rows without a split.

    Raises:
        StanceError: for a missing column (the columns found are named), unknown labels (named, with
            a ``--label-map`` hint), a bad split value, or an empty ``train`` split.

    Example:
        >>> dd, meta = build_table_dataset("vast", label_map="pro=Favor,con=Against,neutral=None")
        >>> dd["train"].features["stance"].names
        ['None', 'Favor', 'Against']
    """
    from datasets import DatasetDict

    from stance import __version__
    from stance.dataset import FORMAT, DatasetOptions, assign_splits
    from stance.dataset.build import _label_counts
    from stance.dataset.features import features as dataset_features
    from stance.dataset.features import to_dataset
    p = Path(path)
    if schema is None:  # labels only need the generic role and stance names of the packaged template
        import yaml

        from stance.schema import render_schema, schema_from_dict

        schema = schema_from_dict(yaml.safe_load(render_schema()), where="the packaged schema template")
    options = options or DatasetOptions()
    df = read_table(p)
    fields = {"text_field": text_field, "target_field": target_field, "label_field": label_field,
              "role_field": role_field, "doc_field": doc_field, "id_field": id_field}
    _check_columns(df, p, fields)
    if split_field is not None and split_field not in df.columns and split_field != "split":
        _check_columns(df, p, {"split_field": split_field})
    if len(df) == 0:
        raise StanceError(f"{p}: the table has no rows", hint="check the file")
    rows = _rows(df, p, {**fields, "split_field": split_field}, parse_label_map(label_map), schema)
    splits = assign_splits(rows, DatasetOptions(ties="keep", seed=options.seed, test_size=options.test_size,
                                                val_size=options.val_size))
    sizes = {name: len(part) for name, part in splits.items()}
    if not splits["train"]:
        raise StanceError(f"{p}: the train split is empty ({', '.join(f'{k} {v}' for k, v in sizes.items())})",
                          hint=f"give some rows the split 'train' in the {split_field!r} column, or leave cells empty")
    labelled = sum(r["stance"] >= 0 or r["role"] >= 0 for r in splits["train"])
    if not labelled:
        raise StanceError(f"{p}: no row of the train split has a label in {label_field!r}",
                          hint="check --label-field and --label-map")
    warnings = [f"the {name} split is empty" for name in ("validation", "test") if not splits[name]]
    from stance.dataset import label_names

    roles, stances = label_names(schema.roles), label_names(schema.stances)
    meta: dict[str, Any] = {
        "format": FORMAT, "created_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "stance_version": __version__, "schema_version": str(schema.version),
        "guidelines_version": str(getattr(schema, "guidelines_version", "") or ""),
        "schema_name": str(getattr(schema, "name", "") or ""), "mode": "pair",
        "source": {"export": f"{p.name} (a labelled table, not a Label Studio export)", "table": str(p.resolve()),
                   "project_title": None, "projects": [], "export_schema_version": None,
                   "fields": {**fields, "split_field": split_field}, "label_map": parse_label_map(label_map)},
        "options": {"ties": "keep", "seed": options.seed, "test_size": options.test_size, "val_size": options.val_size},
        "role_names": roles, "stance_names": stances,
        "counts": {"rows": len(rows), "tied_rows": 0, "ground_truth_rows": len(rows)},
        "unannotated_task_ids": [], "splits": sizes,
        "labels": {name: {"role": _label_counts(part, "role", roles), "stance": _label_counts(part, "stance", stances)}
                   for name, part in splits.items()},
        "targets": {name: dict(sorted(Counter(r["target"] for r in part).items())) for name, part in splits.items()},
        "genres": {name: {"(none)": len(part)} for name, part in splits.items()},
        "documents": {name: len({r["doc_id"] for r in part}) for name, part in splits.items()},
        "agreement": {"controls": []}, "warnings": warnings,
    }
    features = dataset_features(schema, "pair")
    dd = DatasetDict({name: to_dataset(part, features) for name, part in splits.items()})
    return dd, meta


def load_labelled_table(path: str | os.PathLike[str], *, text_field: str = "text", target_field: str = "target",
                        label_field: str = "label", label_map: str | Mapping[str, str] | None = None,
                        split_field: str | None = "split", **kwargs: Any) -> Any:
    """A labelled table → the typed ``DatasetDict`` (see :func:`build_table_dataset` for the arguments).

    Example:
        >>> dd = load_labelled_table("corpus.csv", label_field="stance", label_map="pro=Favor,con=Against")
        >>> sorted(dd)
        ['test', 'train', 'validation']
    """
    dd, _ = build_table_dataset(path, text_field=text_field, target_field=target_field, label_field=label_field,
                                label_map=label_map, split_field=split_field, **kwargs)
    return dd
