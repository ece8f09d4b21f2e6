"""Saving a dataset folder atomically, and the one loader that training, evaluation and prediction use.

A folder written by :func:`save_dataset` holds the ``save_to_disk`` files, ``parquet/<split>.parquet``,
``README.md`` (the card), ``stance_dataset.json`` (the metadata, whose ``written`` list is the
folder's manifest) and ``lineage.json``. Rebuilding replaces only a folder whose every entry the
manifest names; a folder holding anything else (a user's notes, an analysis) is refused, never
deleted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stance.dataset.card import dataset_card
from stance.errors import StanceError
from stance.io import read_json, write_json

if TYPE_CHECKING:
    from datasets import DatasetDict

__all__ = ["INFO_FILE", "save_dataset", "load_dataset_dir", "written_by_stance"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

INFO_FILE = "stance_dataset.json"
_LINEAGE = "lineage.json"
#: What a dataset folder written before the manifest existed holds, besides one folder per split.
_LEGACY = frozenset({"dataset_dict.json", "parquet", "README.md", INFO_FILE, _LINEAGE})


def written_by_stance(folder: Path) -> set[str] | None:
    """The top-level names ``stance dataset`` wrote into ``folder`` (its manifest), or None for another folder."""
    info_path = folder / INFO_FILE
    if not info_path.is_file():
        return None
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict):
        return None
    if isinstance(info.get("written"), list):
        return {str(n) for n in info["written"]}
    names = set(_LEGACY)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        names |= set(json.loads((folder / "dataset_dict.json").read_text(encoding="utf-8")).get("splits", []))
    return names


def _check_replaceable(out: Path) -> None:
    """Refuse an output folder that holds anything ``stance dataset`` did not write there."""
    if not out.exists():
        return
    if not out.is_dir():
        raise StanceError(f"{out} exists and is a file, not a dataset folder", hint="choose another -o folder")
    present = {p.name for p in out.iterdir()}
    if not present:
        return
    written = written_by_stance(out)
    if written is None:
        raise StanceError(
            f"{out} exists and is not a dataset written by `stance dataset`",
            hint="choose a new output folder, or remove it first",
        )
    foreign = sorted(present - written)
    if foreign:
        shown = ", ".join(n + ("/" if (out / n).is_dir() else "") for n in foreign[:8])
        more = f" and {len(foreign) - 8} more" if len(foreign) > 8 else ""
        raise StanceError(
            f"{out} holds {len(foreign)} file(s) that `stance dataset` did not write ({shown}{more}); "
            "rebuilding would delete them",
            hint=f"move them out of {out}, or write the dataset to another -o folder",
        )


def save_dataset(
    dd: DatasetDict,
    meta: Mapping[str, Any],
    out_dir: str | os.PathLike[str],
    *,
    progress: bool = False,
    export_path: str | os.PathLike[str] | None = None,
) -> Path:
    """Write the dataset folder atomically: built beside ``out_dir``, then renamed into place.

    An existing folder is replaced only when it is empty or holds nothing but a previous
    ``stance dataset`` output (the names its manifest lists); anything else is refused.

    Args:
        dd: The dataset.
        meta: Its metadata (:func:`stance.dataset.build_dataset`).
        out_dir: The folder to create or replace.
        progress: Show the ``datasets`` progress bars while writing.
        export_path: The export it was built from; recorded (with its fingerprint) in the
            folder's lineage.

    Returns:
        The output folder.

    Example:
        >>> save_dataset(dd, meta, "data/v1")  # doctest: +SKIP
        PosixPath('data/v1')
    """
    out = Path(out_dir)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise StanceError(f"cannot write {out}: folder {parent} does not exist", hint=f"mkdir -p {parent}")
    _check_replaceable(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=parent))
    try:
        build = tmp / "data"
        _write_folder(dd, meta, build, progress=progress)
        _swap(build, out, tmp)
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
    _write_lineage(out, meta, export_path)
    return out


def _write_folder(dd: DatasetDict, meta: Mapping[str, Any], build: Path, *, progress: bool) -> None:
    with _progress_bars(progress):
        # One shard per split, also for empty ones: zero shards cannot be loaded back.
        dd.save_to_disk(str(build), num_shards={name: 1 for name in dd})
        (build / "parquet").mkdir()
        for name, ds in dd.items():
            ds.to_parquet(str(build / "parquet" / f"{name}.parquet"))
    (build / "README.md").write_text(dataset_card(meta), encoding="utf-8")
    written = sorted({p.name for p in build.iterdir()} | {INFO_FILE, _LINEAGE})
    write_json(build / INFO_FILE, {**meta, "written": written})


def _swap(build: Path, out: Path, tmp: Path) -> None:
    """Rename ``build`` to ``out``; a previous ``out`` is moved into ``tmp`` first and put back on failure."""
    old = None
    if out.exists():
        old = tmp / "old"
        os.replace(out, old)
    try:
        os.replace(build, out)
    except BaseException:
        if old is not None:
            os.replace(old, out)
        raise


def _write_lineage(out: Path, meta: Mapping[str, Any], export_path: str | os.PathLike[str] | None) -> None:
    from stance.lineage import input_ref, write_lineage

    inputs = [input_ref(export_path, "export")] if export_path is not None else []
    details = {"schema_version": meta.get("schema_version"), "guidelines_version": meta.get("guidelines_version"),
               "mode": meta.get("mode"), "format": meta.get("format"), "splits": dict(meta.get("splits") or {}),
               "export_fingerprint": inputs[0]["fingerprint"] if inputs else None}
    write_lineage(out, "dataset", inputs=inputs, details=details)


@contextlib.contextmanager
def _progress_bars(enabled: bool) -> Iterator[None]:
    """Switch the ``datasets`` progress bars on or off for a block, restoring the previous state."""
    from datasets.utils import logging as ds_logging

    was_enabled = ds_logging.is_progress_bar_enabled()
    (ds_logging.enable_progress_bar if enabled else ds_logging.disable_progress_bar)()
    try:
        yield
    finally:
        (ds_logging.enable_progress_bar if was_enabled else ds_logging.disable_progress_bar)()


def _empty_shards(data_dir: Path) -> list[str]:
    """Splits saved with zero shards (``datasets`` cannot load those back)."""
    empty = []
    with contextlib.suppress(OSError, ValueError, AttributeError):
        splits = json.loads((data_dir / "dataset_dict.json").read_text(encoding="utf-8")).get("splits", [])
        for name in splits:
            state = json.loads((data_dir / name / "state.json").read_text(encoding="utf-8"))
            if not state.get("_data_files"):
                empty.append(str(name))
    return empty


def load_dataset_dir(data_dir: str | os.PathLike[str]) -> tuple[Any, dict[str, Any] | None]:
    """Load a dataset folder written by ``stance dataset`` (or any ``DatasetDict.save_to_disk`` folder).

    Args:
        data_dir: The folder.

    Returns:
        ``(dataset_dict, info)`` where ``info`` is ``stance_dataset.json`` or ``None`` when absent.

    Raises:
        StanceError: no such folder, not a saved ``DatasetDict``, a split saved with zero shards,
            or a damaged folder.

    Example:
        >>> ds, info = load_dataset_dir("out/dataset")  # doctest: +SKIP
        >>> sorted(ds)  # doctest: +SKIP
        ['test', 'train', 'validation']
    """
    import datasets

    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise StanceError(f"dataset folder {data_dir} does not exist", hint="build it with `stance dataset`")
    if not (data_dir / "dataset_dict.json").is_file():
        raise StanceError(f"{data_dir} is not a dataset folder (no dataset_dict.json)",
                          hint="point to the folder written by `stance dataset`")
    empty = _empty_shards(data_dir)
    if empty:
        raise StanceError(
            f"{data_dir}: split(s) {', '.join(empty)} were saved with zero shards (an empty split saved without "
            "num_shards), which `datasets` cannot load",
            hint="rebuild the folder with `stance dataset`, or save it with save_to_disk(..., num_shards={split: 1})",
        )
    try:
        ds = datasets.load_from_disk(str(data_dir))
    except Exception as exc:  # datasets raises several types for damaged folders
        raise StanceError(f"{data_dir}: cannot load the dataset ({type(exc).__name__}: {exc})",
                          hint="rebuild it with `stance dataset`") from None
    info_path = data_dir / INFO_FILE
    info = read_json(info_path, what="dataset metadata") if info_path.is_file() else None
    return ds, info
