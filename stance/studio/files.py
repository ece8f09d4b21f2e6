"""The files of a Label Studio import: the tasks JSON and its labelling config beside it."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from stance.io import atomic_write, write_json

__all__ = ["CONFIG_SUFFIX", "config_path_for", "write_task_files"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

CONFIG_SUFFIX = ".label_config.xml"


def config_path_for(tasks_path: str | os.PathLike[str]) -> Path:
    """Where the labelling config of a tasks file goes: ``tasks.json`` → ``tasks.label_config.xml``."""
    return Path(tasks_path).with_suffix(CONFIG_SUFFIX)


def write_task_files(
    output: str | os.PathLike[str],
    tasks: Sequence[dict[str, Any]],
    label_config: str,
    *,
    indent: int | None = None,
    inputs: Iterable[dict[str, Any]] = (),
    details: dict[str, Any] | None = None,
) -> Path:
    """Write Label Studio import tasks (JSON) and their labelling config (XML) atomically, with lineage.

    Args:
        output: The tasks file; the config goes beside it (:func:`config_path_for`).
        tasks: Tasks in Label Studio's import format.
        label_config: The labelling config XML.
        indent: JSON indentation (None: one line, smallest file).
        inputs: Lineage inputs (:func:`stance.lineage.input_ref`), e.g. the statements.
        details: Lineage details, e.g. schema and guidelines versions.

    Returns:
        The path of the config file.

    Example:
        >>> write_task_files("tasks.json", tasks, xml)  # doctest: +SKIP
        PosixPath('tasks.label_config.xml')
    """
    from stance.lineage import write_lineage

    config_path = config_path_for(output)
    write_json(output, list(tasks), indent=indent)
    with atomic_write(config_path) as fh:
        fh.write(label_config)
    write_lineage(output, "tasks", inputs=inputs, details=dict(details or {}, n_tasks=len(tasks)))
    return config_path
