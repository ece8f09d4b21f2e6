"""Lineage: every artifact records what it was made from, so ``stance info`` can walk back.

Each artifact the toolkit writes gets a small JSON record beside it:

- a file ``out.jsonl`` gets ``out.jsonl.lineage.json``;
- a folder (a dataset, a model) gets ``lineage.json`` inside it.

A record names its ``kind`` (``documents``, ``statements``, ``tasks``, ``export``,
``dataset``, ``model``, ``predictions``), the artifact's fingerprint, the versions that made
it, kind-specific ``details`` and its ``inputs``: each with a path, a kind and the fingerprint
the input had when it was read. ``stance info PATH`` follows the inputs back to the documents
and says where a fingerprint no longer matches (an input changed after it was used).

Example:
    >>> write_lineage("statements.jsonl", "statements",
    ...               inputs=[input_ref("seeds/001.txt", "documents")],
    ...               details={"segmenter_version": "2"})   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.io import read_json, write_json

__all__ = [
    "LINEAGE_FORMAT",
    "KINDS",
    "Lineage",
    "fingerprint",
    "input_ref",
    "lineage_path",
    "read_lineage",
    "write_lineage",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

LINEAGE_FORMAT = "stance.lineage.v1"
KINDS = ("documents", "statements", "tasks", "export", "dataset", "model", "predictions")
_FOLDER_FILE = "lineage.json"
_SIDECAR_SUFFIX = ".lineage.json"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Lineage:
    """One artifact's lineage record (see the module docstring)."""

    kind: str
    path: str
    fingerprint: str | None
    created: str
    versions: dict[str, str]
    details: dict[str, Any] = field(default_factory=dict)
    inputs: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"format": LINEAGE_FORMAT, "kind": self.kind, "path": self.path, "fingerprint": self.fingerprint,
                "created": self.created, "versions": self.versions, "details": self.details, "inputs": self.inputs}


def lineage_path(artifact: str | os.PathLike[str]) -> Path:
    """Where the lineage record of ``artifact`` lives: inside a folder, beside a file."""
    artifact = Path(artifact)
    if artifact.is_dir():
        return artifact / _FOLDER_FILE
    return artifact.with_name(artifact.name + _SIDECAR_SUFFIX)


def fingerprint(path: str | os.PathLike[str], *, exclude: Sequence[str] = ()) -> str:
    """sha256 of a file, or of a folder's files (relative names and contents, sorted).

    The lineage record itself and names in ``exclude`` are left out, so writing the record
    does not change the fingerprint it states.

    Example:
        >>> fingerprint("seeds/001.txt")[:7]   # doctest: +SKIP
        'sha256:'
    """
    path = Path(path)
    h = hashlib.sha256()
    if path.is_file():
        _hash_file(h, path)
    elif path.is_dir():
        skip = {_FOLDER_FILE, *exclude}
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            rel = child.relative_to(path).as_posix()
            if rel in skip or child.name.startswith("."):
                continue
            h.update(rel.encode("utf-8") + b"\0")
            _hash_file(h, child)
    else:
        raise StanceError(f"cannot fingerprint {path}: it does not exist", hint="check the path")
    return "sha256:" + h.hexdigest()


def _hash_file(h: Any, path: Path) -> None:
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)


def input_ref(path: str | os.PathLike[str], kind: str, *, fingerprint_value: str | None = None,
              **extra: Any) -> dict[str, Any]:
    """Describe one input of an artifact: its path, kind and fingerprint as read now.

    Args:
        path: The input file or folder.
        kind: One of :data:`KINDS`.
        fingerprint_value: A fingerprint already computed (saves reading the input twice).
        **extra: Anything else worth keeping (a project id, a pull time).
    """
    _check_kind(kind)
    p = Path(path)
    fp = fingerprint_value if fingerprint_value is not None else (fingerprint(p) if p.exists() else None)
    return {"path": str(p.resolve()) if p.exists() else str(p), "kind": kind, "fingerprint": fp, **extra}


def write_lineage(artifact: str | os.PathLike[str], kind: str, *, inputs: Iterable[dict[str, Any]] = (),
                  details: dict[str, Any] | None = None, versions: dict[str, str] | None = None) -> Lineage:
    """Write the lineage record of a finished artifact (atomically) and return it.

    Call it after the artifact itself is in place: the record states the artifact's
    fingerprint.

    Args:
        artifact: The file or folder just written.
        kind: One of :data:`KINDS`.
        inputs: :func:`input_ref` dicts, one per input.
        details: Kind-specific facts (schema version, project id, model version, ...).
        versions: Library versions; stance's own is always added.
    """
    _check_kind(kind)
    artifact = Path(artifact)
    from stance import __version__

    record = Lineage(
        kind=kind,
        path=str(artifact.resolve()),
        fingerprint=fingerprint(artifact),
        created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        versions={"stance": __version__, **(versions or {})},
        details=dict(details or {}),
        inputs=list(inputs),
    )
    write_json(lineage_path(artifact), record.to_json())
    return record


def read_lineage(artifact: str | os.PathLike[str]) -> Lineage | None:
    """The lineage record of ``artifact``, or ``None`` when it has none."""
    path = lineage_path(artifact)
    if not path.is_file():
        return None
    raw = read_json(path, what="lineage record")
    if not isinstance(raw, dict) or raw.get("format") != LINEAGE_FORMAT:
        raise StanceError(f"{path}: not a stance lineage record (format {raw.get('format') if isinstance(raw, dict) else type(raw).__name__!r})",
                          hint=f"delete it, or rerun the command that wrote {artifact}")
    return Lineage(kind=raw.get("kind", "?"), path=raw.get("path", str(artifact)), fingerprint=raw.get("fingerprint"),
                   created=raw.get("created", "?"), versions=dict(raw.get("versions") or {}),
                   details=dict(raw.get("details") or {}), inputs=list(raw.get("inputs") or []))


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown lineage kind {kind!r}; expected one of {', '.join(KINDS)}")
