"""The lineage chain of an artifact, back to the documents (``stance info``).

Built on :mod:`stance.lineage`: each artifact's record names its inputs with the fingerprint
they had when they were read. :func:`trace` follows the inputs back, recomputes each
fingerprint, and attaches a warning to every step whose file changed after it was used (or
after it was written), is missing, or has no record where one was expected.

Example:
    >>> chain = trace("runs/tfidf")                     # doctest: +SKIP
    >>> [step.kind for step in chain.walk()]            # doctest: +SKIP
    ['model', 'dataset', 'export', 'tasks', 'statements', 'documents', 'documents']
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.lineage import fingerprint, lineage_path, read_lineage

__all__ = ["Step", "trace", "render_chain"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: Kinds that end a chain: they are read, never written, by stance.
_SOURCE_KINDS = ("documents",)


@dataclass
class Step:
    """One artifact in a lineage chain.

    Attributes:
        path: The file or folder.
        kind: Its lineage kind (``model``, ``dataset`` …), as recorded.
        created: When it was written (ISO time, UTC), when it has a record.
        versions: The library versions that wrote it.
        details: Kind-specific facts from its record (schema version, project id …).
        fingerprint: Its fingerprint as recorded by the step that used it (or by its own record).
        current: Its fingerprint now (``None`` when missing or not checked).
        extra: Other fields the using step recorded about it (a project id, a pull time …).
        warnings: What no longer holds: changed, missing, no record.
        inputs: The steps it was made from.
    """

    path: str
    kind: str
    created: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    fingerprint: str | None = None
    current: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    inputs: list[Step] = field(default_factory=list)

    def walk(self) -> Iterator[Step]:
        """This step and every step before it, depth first."""
        yield self
        for step in self.inputs:
            yield from step.walk()

    def to_json(self) -> dict[str, Any]:
        """A plain dict (for ``stance info --json``)."""
        return {"path": self.path, "kind": self.kind, "created": self.created, "versions": self.versions,
                "details": self.details, "fingerprint": self.fingerprint, "current": self.current,
                "extra": self.extra, "warnings": self.warnings, "inputs": [s.to_json() for s in self.inputs]}


class _Tracer:
    """Walks records depth first; remembers fingerprints and visited paths (a cycle stops)."""

    def __init__(self, verify: bool) -> None:
        self.verify = verify
        self.fingerprints: dict[str, str] = {}
        self.open: set[str] = set()

    def current(self, path: Path) -> str | None:
        if not self.verify:
            return None
        key = str(path.resolve())
        if key not in self.fingerprints:
            self.fingerprints[key] = fingerprint(path)
        return self.fingerprints[key]

    def step(self, path: Path, kind: str, recorded: str | None, extra: dict[str, Any], used_by: str | None) -> Step:
        step = Step(path=str(path), kind=kind, fingerprint=recorded, extra=extra)
        if not path.exists():
            step.warnings.append(f"missing: {path} no longer exists" + (f" (an input of {used_by})" if used_by else ""))
            return step
        step.current = self.current(path)
        if recorded and step.current and recorded != step.current:
            step.warnings.append(f"changed after {used_by or 'it was written'} used it: "
                                 f"recorded {_short(recorded)}, now {_short(step.current)}")
        self._record(step, path, used_by)
        return step

    def _record(self, step: Step, path: Path, used_by: str | None) -> None:
        try:
            record = read_lineage(path)
        except StanceError as exc:
            step.warnings.append(f"unreadable lineage record: {exc}")
            return
        if record is None:
            if step.kind not in _SOURCE_KINDS:
                step.warnings.append(f"no lineage record ({lineage_path(path).name}): the chain stops here")
            return
        step.kind, step.created = record.kind, record.created
        step.versions, step.details = dict(record.versions), dict(record.details)
        if used_by is None:
            step.fingerprint = record.fingerprint
            if record.fingerprint and step.current and record.fingerprint != step.current:
                step.warnings.append(f"changed since it was written: recorded {_short(record.fingerprint)}, "
                                     f"now {_short(step.current)}")
        key = str(path.resolve())
        if key in self.open:
            step.warnings.append("cycle: this artifact is its own input")
            return
        self.open.add(key)
        for ref in record.inputs:
            ref = dict(ref)
            in_path = Path(str(ref.pop("path", "?")))
            in_kind = str(ref.pop("kind", "?"))
            in_fp = ref.pop("fingerprint", None)
            step.inputs.append(self.step(in_path, in_kind, in_fp, ref, used_by=f"{record.kind} {path.name}"))
        self.open.discard(key)


def _short(fp: str) -> str:
    return fp[:19] + "…" if len(fp) > 20 else fp


def trace(path: str | os.PathLike[str], *, verify: bool = True) -> Step:
    """Follow an artifact's lineage records back to the documents.

    Args:
        path: Any artifact stance wrote (statements, tasks, export, dataset, model, predictions).
        verify: Recompute fingerprints and warn where they no longer match (reads every file once).

    Returns:
        The artifact's :class:`Step`, whose ``inputs`` hold the steps before it.

    Raises:
        StanceError: when ``path`` does not exist or has no lineage record.

    Example:
        >>> trace("out/statements.jsonl").kind              # doctest: +SKIP
        'statements'
    """
    path = Path(path)
    if not path.exists():
        raise StanceError(f"{path} does not exist", hint="check the path")
    if not lineage_path(path).is_file():
        raise StanceError(f"{path} has no lineage record ({lineage_path(path)} is missing)",
                          hint="it was written by hand or by an older stance; rerun the command that made it")
    return _Tracer(verify).step(path, "?", None, {}, used_by=None)


def _value(value: Any, limit: int = 80) -> str:
    if isinstance(value, dict):
        text = ", ".join(f"{k}={v}" for k, v in value.items()) if len(value) <= 4 else f"{{{len(value)} entries}}"
    elif isinstance(value, list):
        text = ", ".join(map(str, value)) if len(value) <= 4 else f"[{len(value)} items]"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_chain(step: Step, *, max_sources: int = 5) -> list[str]:
    """Plain-text lines for a chain: one block per step, inputs indented under the step.

    Args:
        step: The artifact's step from :func:`trace`.
        max_sources: Show at most this many documents of one step; the rest are counted
            (a document with a warning is always shown).
    """
    lines: list[str] = []
    _render(step, 0, lines, max_sources)
    return lines


def _render(step: Step, depth: int, lines: list[str], max_sources: int) -> None:
    pad = "  " * depth
    arrow = "<- " if depth else ""
    status = "MISSING" if any(w.startswith("missing") for w in step.warnings) else (
        "CHANGED" if any(w.startswith("changed") for w in step.warnings) else ("ok" if step.current else ""))
    when = f"  created {step.created}" if step.created else ""
    lines.append(f"{pad}{arrow}{step.kind}  {step.path}{when}{'  [' + status + ']' if status else ''}")
    inner = pad + ("   " if depth else "") + "  "
    if step.versions:
        lines.append(f"{inner}versions: {', '.join(f'{k} {v}' for k, v in step.versions.items())}")
    for key, value in {**step.details, **step.extra}.items():
        if value is not None:  # unset options say nothing in text; --json keeps them
            lines.append(f"{inner}{key}: {_value(value)}")
    for warning in step.warnings:
        lines.append(f"{inner}WARNING {warning}")
    sources = [s for s in step.inputs if s.kind in _SOURCE_KINDS and not s.warnings and not s.inputs]
    hidden = sources[max_sources:]
    skip = {id(s) for s in hidden}
    for child in step.inputs:
        if id(child) not in skip:
            _render(child, depth + 1, lines, max_sources)
    if hidden:
        state = "all unchanged" if all(s.current for s in hidden) else "not checked"
        lines.append(f"{pad}  <- … {len(hidden)} more {hidden[0].kind} input(s), {state}")
