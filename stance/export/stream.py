"""Streaming a Label Studio JSON export: one task object at a time, never the whole file.

The export is one JSON list; each element is decoded as soon as it is complete, so peak memory
is one read chunk plus one task, not the whole parsed document.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from stance.errors import StanceError

__all__ = ["EXPECTED", "iter_export_tasks", "not_export"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

EXPECTED = (
    "a Label Studio JSON export: a JSON list of tasks, each with 'id', 'data' and 'annotations' "
    "(from `stance pull`, or Export → JSON in Label Studio; not JSON-MIN, CSV or the task file you imported)"
)
_CHUNK = 1 << 20  # characters read per step when streaming the export
_WS = " \t\r\n"


def not_export(path: Path, found: str) -> StanceError:
    """The error for a file that is not a Label Studio JSON export, saying what was found."""
    return StanceError(f"{path} is not a Label Studio export: {found}", hint=f"expected {EXPECTED}")


class _Reader:
    """A growing window over the file: ``buf[pos:]`` is what is left to parse."""

    def __init__(self, path: Path, fh: IO[str], bar: Any) -> None:
        self.path, self.fh, self.bar = path, fh, bar
        self.buf = ""
        self.pos = 0
        self.consumed = 0  # characters dropped from the front of buf
        self.eof = False

    def more(self) -> bool:
        """Read the next chunk; False at the end of the file."""
        if self.eof:
            return False
        try:
            chunk = self.fh.read(_CHUNK)
        except UnicodeDecodeError as exc:
            raise StanceError(f"{self.path}: not UTF-8 text ({exc.reason})", hint=f"expected {EXPECTED}") from None
        if not chunk:
            self.eof = True
            return False
        self.bar.update(len(chunk))  # characters, close enough to bytes for a progress bar
        self.consumed += self.pos
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next non-blank character ("" at the end of the file)."""
        while True:
            buf, pos = self.buf, self.pos
            while pos < len(buf) and buf[pos] in _WS:
                pos += 1
            self.pos = pos
            if pos < len(buf):
                return buf[pos]
            if not self.more():
                return ""

    def where(self) -> str:
        """The line of the current position; counted only when reporting an error."""
        offset, line = self.consumed + self.pos, 1
        with self.path.open("r", encoding="utf-8", errors="replace") as again:
            while offset > 0:
                chunk = again.read(min(offset, _CHUNK))
                if not chunk:
                    break
                line += chunk.count("\n")
                offset -= len(chunk)
        return f"line {line}"

    def decode(self, decoder: json.JSONDecoder, index: int) -> Any:
        """Decode the JSON value at the current position, reading more until it is complete."""
        while True:
            try:
                obj, end = decoder.raw_decode(self.buf, self.pos)
                self.pos = end
                return obj
            except json.JSONDecodeError as exc:
                if self.more():
                    continue
                raise StanceError(
                    f"{self.path} {self.where()}: not valid JSON in task {index + 1} ({exc.msg})",
                    hint=f"download the export again; expected {EXPECTED}",
                ) from None


def _open_list(reader: _Reader) -> None:
    """Consume the opening ``[``, refusing anything that is not a JSON list."""
    first = reader.peek()
    if first == "\ufeff":
        reader.pos += 1
        first = reader.peek()
    if first == "":
        raise not_export(reader.path, "the file is empty")
    if first == "{":
        raise not_export(reader.path, "it is one JSON object, not a list of tasks (a project or a single task?)")
    if first != "[":
        found = "a CSV/TSV or text file" if first.isalpha() or first == '"' else f"it starts with {first!r}"
        raise not_export(reader.path, found)
    reader.pos += 1


def _next_item(reader: _Reader, index: int) -> bool:
    """Move to the next list element; False at the closing ``]``."""
    c = reader.peek()
    if c == "]":
        return False
    if c == "":
        raise StanceError(f"{reader.path}: the JSON list is not closed (file cut short?)", hint="download the export again")
    if index > 0:
        if c != ",":
            raise StanceError(
                f"{reader.path} {reader.where()}: not valid JSON (expected ',' or ']' after task {index})",
                hint=f"expected {EXPECTED}",
            )
        reader.pos += 1
        reader.peek()
    return True


def iter_export_tasks(path: str | os.PathLike[str], *, progress: bool = False) -> Iterator[dict[str, Any]]:
    """Stream the task objects of a Label Studio JSON export without loading the whole file.

    Args:
        path: The export file.
        progress: Show a progress bar (characters read) on stderr.

    Yields:
        Each task as a dict.

    Raises:
        StanceError: the file is missing, not UTF-8, not JSON, or not a list of objects.

    Example:
        >>> for task in iter_export_tasks("export.json"):  # doctest: +SKIP
        ...     print(task["id"], len(task["annotations"]))
    """
    path = Path(path)
    if not path.is_file():
        raise StanceError(f"export {path} does not exist", hint="check the path; `stance pull` writes one")
    from tqdm.auto import tqdm

    decoder = json.JSONDecoder()
    bar = tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc="reading export",
               disable=None if progress else True)
    with bar, path.open("r", encoding="utf-8") as fh:
        reader = _Reader(path, fh, bar)
        _open_list(reader)
        index = 0
        while _next_item(reader, index):
            obj = reader.decode(decoder, index)
            index += 1
            yield obj
