"""A new project's files to edit (``stance init``), the way ``spacy init config`` starts one.

``init_project(DIR)`` writes:

- ``schema.yaml``: the generic schema template (``stance/resources/schema.template.yaml``),
  with the project's targets when given;
- ``training.tfidf.yaml`` and ``training.transformer.yaml``: every hyperparameter at its
  default, commented (:func:`stance.config.render_config`);
- ``cleaning.yaml``: a copy of the cleaning patterns ``stance segment`` uses by default.

It never overwrites a file unless asked to: all files are checked before any is written.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from stance.config import MODEL_TYPES, render_config
from stance.errors import StanceError
from stance.io import atomic_write
from stance.schema import Target, render_schema

__all__ = ["PROJECT_FILES", "InitResult", "default_cleaning_text", "init_project", "parse_targets"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

SCHEMA_FILE = "schema.yaml"
CLEANING_FILE = "cleaning.yaml"
#: The files ``stance init`` writes, in the order it writes them.
PROJECT_FILES = (SCHEMA_FILE, *(f"training.{m}.yaml" for m in MODEL_TYPES), CLEANING_FILE)
_MAX_ID = 64


@dataclass(frozen=True)
class InitResult:
    """What :func:`init_project` wrote: the folder, the files and the target ids of the schema."""

    folder: Path
    files: tuple[Path, ...]
    target_ids: tuple[str, ...]


def _target_id(name: str) -> str:
    """A valid target id from a name: lower case, words joined by underscores, at most 64 characters."""
    words = re.findall(r"[a-z0-9]+", name.lower())
    out = ""
    for word in words:
        if len(out) + len(word) + 1 > _MAX_ID:
            break
        out = f"{out}_{word}" if out else word
    if not out or not out[0].isalpha():
        out = ("t_" + out)[:_MAX_ID].rstrip("_") if out else "target"
    return out


def parse_targets(spec: str) -> list[Target]:
    """Parse ``"Name: definition; Name: definition"`` into targets with ids made from the names.

    Args:
        spec: Targets separated by ``;``; each is a name, a colon and its definition.

    Returns:
        The targets in the order given.

    Raises:
        StanceError: a part without a name or a definition, or two names that give the same id.

    Example:
        >>> [t.id for t in parse_targets("Remote work: Favor: ... Against: ...; Four-day week: ...")]
        ['remote_work', 'four_day_week']
    """
    targets: list[Target] = []
    seen: dict[str, str] = {}
    for i, part in enumerate(p for p in spec.split(";") if p.strip()):
        name, sep, definition = part.partition(":")
        name, definition = " ".join(name.split()), " ".join(definition.split())
        if not sep or not name or not definition:
            raise StanceError(f"--targets part {i + 1} ({part.strip()!r}) is not 'Name: definition'",
                              hint='write --targets "Remote work: Favor means ...; Four-day week: ..."')
        tid = _target_id(name)
        if tid in seen:
            raise StanceError(f"--targets: {seen[tid]!r} and {name!r} both give the target id {tid!r}",
                              hint="give the targets names that differ in their letters or digits")
        seen[tid] = name
        targets.append(Target(id=tid, name=name, definition=definition))
    if not targets:
        raise StanceError("--targets is empty", hint='write --targets "Name: definition; Name: definition"')
    return targets


def default_cleaning_text() -> str:
    """The text of the cleaning patterns ``stance segment`` uses when given none."""
    from stance.segment import clean

    finder = getattr(clean, "default_cleaning_config_path", None)
    path = finder() if finder is not None else clean.DEFAULT_CONFIG_PATH
    return Path(path).read_text(encoding="utf-8")


def init_project(folder: str | os.PathLike[str] = ".", *, targets: list[Target] | None = None,
                 force: bool = False) -> InitResult:
    """Write a project's ``schema.yaml`` and config files to edit into ``folder``.

    Args:
        folder: The project folder (created when missing).
        targets: The schema's targets (see :func:`parse_targets`); the template's example when None.
        force: Overwrite files that already exist.

    Returns:
        An :class:`InitResult`.

    Raises:
        StanceError: when a file exists and ``force`` is false (naming every such file; nothing is written).

    Example:
        >>> init_project("my-project", targets=parse_targets("Remote work: ...")).files[0].name
        'schema.yaml'
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise StanceError(f"{folder} is a file, not a folder", hint="name a new or existing folder")
    paths = [folder / name for name in PROJECT_FILES]
    existing = [p for p in paths if p.exists() or p.is_symlink()]
    if existing and not force:
        raise StanceError(f"{', '.join(map(str, existing))} already exist(s); nothing written",
                          hint="pass --force to overwrite them, or choose another folder")
    name = folder.resolve().name or None
    texts = {SCHEMA_FILE: render_schema(targets, name=name), CLEANING_FILE: default_cleaning_text()}
    texts.update({f"training.{m}.yaml": render_config(m) for m in MODEL_TYPES})
    folder.mkdir(parents=True, exist_ok=True)
    for path in paths:
        with atomic_write(path) as fh:
            fh.write(texts[path.name])
        logger.info("wrote %s", path)
    ids = tuple(t.id for t in targets) if targets else ("example_position",)
    return InitResult(folder=folder, files=tuple(paths), target_ids=ids)
