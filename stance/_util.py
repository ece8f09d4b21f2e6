"""Small helpers shared across stages (no stance imports beyond ``errors``)."""

from __future__ import annotations

import contextlib
import errno
import gc
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from stance.errors import StanceError

__all__ = ["gc_paused", "missing_path_error"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    Building tens of thousands of small dicts triggers the collector over and over (about
    15% of the TF-IDF prediction path); code that makes no reference cycles can pause it.

    Example:
        >>> with gc_paused():
        ...     rows = [{"i": i} for i in range(3)]
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def missing_path_error(path: str | os.PathLike[str], what: str, hint: str = "check the path") -> StanceError:
    """The error for a path that cannot be opened: a dangling or looping symlink is named as such.

    Example:
        >>> str(missing_path_error("nowhere.jsonl", "input"))[:30]
        'input nowhere.jsonl does not e'
    """
    p = Path(path)
    if p.is_symlink():
        try:
            target = os.readlink(p)
        except OSError:
            target = "?"
        try:
            p.resolve(strict=True)
        except (RuntimeError, OSError) as exc:  # Python < 3.13 raises RuntimeError for a loop, later ELOOP
            if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
                return StanceError(f"{what} {p} is a symbolic link that loops (it points to {target})",
                                   hint=f"point it at a real file: ln -sfn REAL_PATH {p}")
        return StanceError(f"{what} {p} is a symbolic link to {target}, which does not exist",
                           hint=f"point it at a real file (ln -sfn REAL_PATH {p}) or give the real path")
    return StanceError(f"{what} {p} does not exist", hint=hint)
