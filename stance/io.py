"""Small, shared file helpers: atomic writes and line-numbered JSONL reading.

Every file the toolkit writes goes through :func:`atomic_write` so that a failure
(or a kill) never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from stance.errors import StanceError

__all__ = ["atomic_write", "write_jsonl", "read_jsonl", "write_json", "read_json", "read_yaml", "check_output_path", "check_not_input", "iter_jsonl"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """Fail early, with a fix, when an output file cannot be created.

    Args:
        path: The file the caller is about to write.

    Returns:
        The path as a :class:`Path`.

    Example:
        >>> check_output_path("out.jsonl")
        PosixPath('out.jsonl')
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise StanceError(
            f"cannot write {path}: folder {parent} does not exist",
            hint=f"create it first (mkdir -p {parent}) or choose another output path",
        )
    if path.is_dir():
        raise StanceError(f"cannot write {path}: it is a folder", hint="give a file path")
    return path


def check_not_input(output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]], *,
                    option: str = "-o") -> None:
    """Refuse to write ``output`` when it is one of the command's inputs (same path, symlink or hard link).

    Args:
        output: The file or folder the command is about to write.
        inputs: The files and folders the command reads.
        option: The option that names the output, for the hint.

    Raises:
        StanceError: naming both paths, with a fix.

    Example:
        >>> check_not_input("statements.jsonl", ["docs.jsonl"])
    """
    out = Path(output)
    for item in inputs:
        src = Path(item)
        same = False
        if out.exists() and src.exists():
            try:
                same = os.path.samefile(out, src)
            except OSError:
                same = False
        if not same:
            same = out.resolve() == src.resolve()
        if same:
            raise StanceError(
                f"output {out} is the input {src}: writing it would destroy the input",
                hint=f"give {option} another path",
            )


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` and move it into place only on success.

    Args:
        path: The final file.
        mode: ``"w"`` (text) or ``"wb"`` (bytes).
        encoding: Text encoding; ignored for binary mode.

    Example:
        >>> with atomic_write("out.txt") as fh:
        ...     _ = fh.write("done")
    """
    path = check_output_path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        # mkstemp creates the file 0600; give it the permissions a plain open() would have.
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_jsonl(path: str | os.PathLike[str], records: Iterable[dict[str, Any]]) -> int:
    """Write records as JSON Lines, atomically. Returns the number of records written.

    Example:
        >>> write_jsonl("s.jsonl", [{"id": "a"}])
        1
    """
    n = 0
    with atomic_write(path) as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False))
            fh.write("\n")
            n += 1
    return n


def write_json(path: str | os.PathLike[str], obj: Any, *, indent: int | None = 2) -> None:
    """Write one JSON document atomically."""
    with atomic_write(path) as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=indent)
        fh.write("\n")


def read_json(path: str | os.PathLike[str], *, what: str = "JSON file") -> Any:
    """Read one JSON document, naming the file and position when it is broken."""
    path = Path(path)
    if not path.is_file():
        raise StanceError(f"{what} {path} does not exist", hint="check the path")
    try:
        with path.open("r", encoding="utf-8") as fh:
            return json.load(fh)
    except UnicodeDecodeError as exc:
        raise StanceError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})", hint=f"expected a {what}") from None
    except json.JSONDecodeError as exc:
        raise StanceError(
            f"{path} line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})", hint=f"expected a {what}"
        ) from None


def read_yaml(path: str | os.PathLike[str], *, what: str = "YAML file", hint: str | None = None) -> Any:
    """Read one YAML document, naming the file and line when it is missing or broken.

    Args:
        path: The file.
        what: What the file is, for messages ("schema file", "training config", ...).
        hint: How to fix a missing file.

    Returns:
        The parsed document (``None`` for an empty file).

    Example:
        >>> read_yaml("configs/tfidf.yaml", what="training config")["model"]
        'tfidf'
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise StanceError(f"{what} {path} does not exist", hint=hint or "check the path")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise StanceError(f"{what} {path}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                          hint="re-save the file as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise StanceError(f"{what} {path}{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})",
                          hint="fix the YAML syntax") from None


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """Stream ``(line_number, record, problem)`` from a JSON Lines file, never raising for a bad line.

    ``record`` is ``None`` and ``problem`` says why for a line that is not one UTF-8 JSON object;
    blank lines are skipped. :func:`read_jsonl` (strict) and ``stance predict`` (which reports
    and skips bad rows) both read through this one function.

    Example:
        >>> for lineno, rec, problem in iter_jsonl("statements.jsonl"):
        ...     print(lineno, rec["id"] if rec else problem)
    """
    with Path(path).open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                line = raw.rstrip(b"\r\n")
                if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):  # a byte-order mark from a Windows editor
                    line = line[3:]
                record = json.loads(line.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield lineno, None, f"undecodable bytes ({exc.reason} at byte {exc.start}); file is not UTF-8"
                continue
            except json.JSONDecodeError as exc:
                yield lineno, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
                continue
            if not isinstance(record, dict):
                yield lineno, None, f"expected a JSON object, found {type(record).__name__}"
                continue
            yield lineno, record, ""


def read_jsonl(path: str | os.PathLike[str], *, what: str = "JSONL file") -> Iterator[tuple[int, dict[str, Any]]]:
    """Stream ``(line_number, record)`` pairs from a JSON Lines file; blank lines are skipped.

    Raises:
        StanceError: naming the file and line when a line is not a JSON object.

    Example:
        >>> for lineno, rec in read_jsonl("statements.jsonl"):
        ...     print(lineno, rec["id"])
    """
    path = Path(path)
    if not path.is_file():
        raise StanceError(f"{what} {path} does not exist", hint="check the path")
    hints = {"undecodable": "re-encode the file as UTF-8", "not valid JSON": "fix or remove that line"}
    for lineno, record, problem in iter_jsonl(path):
        if record is None:
            hint = next((h for k, h in hints.items() if problem.startswith(k)),
                        "each line must be one object such as {\"text\": ...}")
            raise StanceError(f"{path} line {lineno}: {problem}", hint=hint)
        yield lineno, record
