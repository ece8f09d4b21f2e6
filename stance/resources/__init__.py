"""Defaults that ship inside the package: templates and configs read with ``importlib.resources``.

An installed wheel and a source checkout read the same files from here, so nothing depends on
the current folder or on a repository layout.

- ``schema.template.yaml``: the generic label schema that ``stance init`` fills in;
- ``cleaning.yaml``: the cleaning patterns of ``stance segment``.

Example:
    >>> "targets:" in resource_text("schema.template.yaml")
    True
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

__all__ = ["resource", "resource_text"]


def resource(name: str) -> Traversable:
    """The packaged file ``stance/resources/<name>`` (a ``Traversable``; ``str()`` of it is a path
    when the package is installed as files, which pip always does).

    Raises:
        FileNotFoundError: when the file is not in the package: a broken install, not a user error.
    """
    item = files(__name__) / name
    if not item.is_file():
        raise FileNotFoundError(f"stance/resources/{name} is missing from the installed package; reinstall stance")
    return item


def resource_text(name: str) -> str:
    """The text of the packaged file ``stance/resources/<name>`` (UTF-8)."""
    return resource(name).read_text(encoding="utf-8")
