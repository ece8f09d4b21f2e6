"""Find input files, decode them and attach metadata: paths → :class:`Document` records.

Supported inputs: ``.txt`` and ``.md`` (decoded text), ``.html``/``.htm`` (text extracted
with inscriptis), ``.jsonl`` (one document per line: a ``text`` field plus optional
``id``/``doc_id`` and metadata fields). A ``metadata.yaml`` beside the files maps a file
stem to ``title``, ``source``, ``author``, ``date``, ``genre`` and ``url``.

Documents are produced one at a time so that a large corpus never sits in memory.
"""

from __future__ import annotations

import codecs
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.io import read_jsonl, read_yaml

__all__ = [
    "Document",
    "METADATA_FIELDS",
    "SUPPORTED_SUFFIXES",
    "collect_files",
    "decode_bytes",
    "iter_documents",
    "load_metadata",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl")
METADATA_FIELDS = ("title", "source", "author", "date", "genre", "url")
METADATA_FILES = ("metadata.yaml", "metadata.yml")

# Control characters that never occur in text (tab, newline, carriage return, form feed do),
# and the replacement character left by undecodable bytes.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


@dataclass(frozen=True)
class Document:
    """One decoded input document.

    Attributes:
        doc_id: File stem, or the ``id``/``doc_id`` of a JSONL line.
        text: The source text; statement offsets point into it.
        source_path: The file it came from.
        meta: Metadata given by the user (metadata.yaml or JSONL fields), possibly empty.
        kind: ``txt``, ``md``, ``html`` or ``jsonl``.
    """

    doc_id: str
    text: str
    source_path: str
    meta: dict[str, Any] = field(default_factory=dict)
    kind: str = "txt"


def collect_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files and folders into the sorted list of supported input files.

    Args:
        paths: Files or folders; folders are searched recursively.

    Returns:
        Input files in a stable order (folder order, then sorted names).

    Raises:
        StanceError: a path does not exist, a named file has an unsupported suffix,
            or a folder holds no supported file.

    Example:
        >>> collect_files(["seeds"])[0].name
        '000_195aff00a3928bad.txt'
    """
    files: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
            if not found:
                raise StanceError(
                    f"folder {path} holds no input documents",
                    hint=f"put {', '.join(SUPPORTED_SUFFIXES)} files in it, or name the files directly",
                )
            files.extend(found)
        elif path.is_file():
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise StanceError(
                    f"{path}: unsupported file type {path.suffix or '(no suffix)'!r}",
                    hint=f"stance segment reads {', '.join(SUPPORTED_SUFFIXES)} files",
                )
            files.append(path)
        else:
            raise StanceError(f"input {path} does not exist", hint="check the path")
    if not files:
        raise StanceError("no input given", hint="name one or more files or folders")
    unique = []
    for f in files:  # a file named twice, or named and inside a named folder, is read once
        key = f.resolve()
        if key in seen:
            logger.warning("%s is named more than once; reading it once", f)
            continue
        seen.add(key)
        unique.append(f)
    return unique


def decode_bytes(data: bytes, *, name: str) -> str:
    """Decode file bytes to text: UTF-8 (with or without BOM), a UTF-16/32 BOM, else a detected charset.

    Args:
        data: The raw file content.
        name: The file name, used in error messages.

    Returns:
        The decoded text.

    Raises:
        StanceError: the file is empty, binary, or in no encoding that can be detected.

    Example:
        >>> decode_bytes("Les cafés de Zürich ont protesté lundi.".encode("cp1252"), name="x.txt")
        'Les cafés de Zürich ont protesté lundi.'
    """
    if not data.strip():
        raise StanceError(f"{name}: the file is empty", hint="remove it or add text to it")
    marked = _decode_marked(data, name=name)
    if marked is not None:
        return marked
    try:
        return _check_text(data.decode("utf-8"), name=name)
    except UnicodeDecodeError as exc:
        utf8_error = f"not UTF-8 (byte {exc.start})"
    repaired = _mostly_utf8(data, name=name)
    if repaired is not None:
        return _check_text(repaired, name=name)
    from charset_normalizer import from_bytes  # imported here: only needed for non-UTF-8 files

    # Candidates come best first; text without NUL bytes is not UTF-16/32, and an encoding
    # that does not keep ASCII as ASCII (EBCDIC) would turn plain letters into other letters.
    matches = [m for m in from_bytes(data) if m.encoding and _ascii_compatible(m.encoding)]
    if matches:
        best = matches[0]
        # On short texts many code pages fit equally well; Windows-1252 is the most common
        # legacy encoding of Western web text, so it wins a tie.
        western = next(iter(from_bytes(data, cp_isolation=["cp1252"])), None)
        if western is not None and western.encoding != best.encoding and western.chaos <= best.chaos + 0.01:
            best = western
        logger.warning("%s: %s; decoded as %s (a guess: check the text)", name, utf8_error, best.encoding)
        return _check_text(str(best), name=name)
    raise StanceError(
        f"{name}: cannot decode the text: {utf8_error} and no other encoding fits",
        hint="re-save the file as UTF-8",
    )


# At most this many invalid sequences, and fewer than the valid non-ASCII characters, make a
# file "UTF-8 with a few bad bytes" rather than a file in another encoding.
MAX_BAD_UTF8 = 32


def _mostly_utf8(data: bytes, *, name: str) -> str | None:
    """Decode UTF-8 with a few invalid bytes replaced by U+FFFD (one per invalid sequence).

    A file that is valid UTF-8 apart from a stray byte (0xFF in a copy-paste) is UTF-8: a
    charset guess would garble every other non-ASCII character ("Russia‚Äôs"). Returns
    ``None`` when UTF-8 fails broadly: more than :data:`MAX_BAD_UTF8` invalid sequences, or
    no more valid multi-byte characters than invalid ones (a legacy 8-bit file).
    """
    parts: list[str] = []
    bad: list[tuple[int, int]] = []  # (byte offset, character offset) of each replacement
    pos = chars = bad_bytes = 0
    while True:
        try:
            tail = data[pos:].decode("utf-8")
        except UnicodeDecodeError as exc:
            good = data[pos : pos + exc.start].decode("utf-8")
            parts += [good, "\ufffd"]
            chars += len(good)
            bad.append((pos + exc.start, chars))
            chars += 1
            bad_bytes += exc.end - exc.start
            pos += exc.end
            if len(bad) > MAX_BAD_UTF8:
                return None
            continue
        parts.append(tail)
        break
    non_ascii = len(data.translate(None, bytes(range(128))))  # ASCII bytes deleted
    if non_ascii - bad_bytes <= bad_bytes:  # the valid non-ASCII bytes do not outnumber the bad ones
        return None
    where = ", ".join(f"byte {b} (character {c})" for b, c in bad[:5]) + (" ..." if len(bad) > 5 else "")
    logger.warning(
        "%s: %d invalid UTF-8 byte sequence(s) replaced by U+FFFD at %s; the rest is UTF-8",
        name,
        len(bad),
        where,
    )
    return "".join(parts)


def _decode_marked(data: bytes, *, name: str) -> str | None:
    """Text with a byte-order mark, or UTF-16 without one; ``None`` for other files.

    Raises:
        StanceError: a BOM that the bytes after it contradict, or NUL bytes in a file that is
            not UTF-16 (a binary file).
    """
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return _check_text(data.decode(encoding), name=name)
            except UnicodeDecodeError as exc:
                raise StanceError(
                    f"{name}: starts with a {encoding} byte-order mark but is not valid {encoding} "
                    f"(byte {exc.start})",
                    hint="re-save the file as UTF-8",
                ) from None
    if b"\x00" not in data[:8192]:
        return None
    bomless = _bomless_utf16(data)
    if bomless is not None:
        logger.warning("%s: UTF-16 without a byte-order mark (%s); decoded as such", name, bomless)
        try:
            return _check_text(data.decode(bomless), name=name)
        except UnicodeDecodeError:
            pass
    raise StanceError(
        f"{name}: looks like a binary file (NUL bytes), not text",
        hint="convert it to .txt, .md, .html or .jsonl first",
    )


def _bomless_utf16(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when NUL bytes sit at every odd/even position of the sample
    (Latin text saved as UTF-16 without a byte-order mark, as some Windows tools do), else ``None``."""
    sample = data[: 8192 - 8192 % 2]
    if len(sample) < 4:
        return None
    odd, even = sample[1::2], sample[0::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _ascii_compatible(encoding: str) -> bool:
    probe = b"The quick brown fox, 1-2-3: jumps over (the) lazy dog.\n"
    try:
        return probe.decode(encoding) == probe.decode("ascii")
    except (UnicodeDecodeError, LookupError):
        return False


def _check_text(text: str, *, name: str) -> str:
    """Refuse decoded text that is mostly control characters (a binary file in disguise)."""
    if not text.strip():
        raise StanceError(f"{name}: the file is empty (only whitespace)", hint="remove it or add text to it")
    sample = text[:20000]
    bad = len(_CONTROL.findall(sample))
    if bad > max(3, len(sample) // 100):
        raise StanceError(
            f"{name}: {bad} control or undecodable characters in the first {len(sample)}; this is not text",
            hint="convert it to UTF-8 text first",
        )
    return text


def load_metadata(folder: Path) -> dict[str, dict[str, Any]]:
    """Read ``metadata.yaml`` (file stem → fields) from a folder; an empty dict when there is none.

    Args:
        folder: The folder holding the documents.

    Returns:
        Mapping of document stem to its metadata fields.

    Raises:
        StanceError: the file is not YAML, not a mapping, or names an unknown field.

    Example:
        >>> load_metadata(Path("seeds"))["002_5ce20cb9e0b1a5b5"]["source"]
        'TASS'
    """
    for name in METADATA_FILES:
        path = folder / name
        if path.is_file():
            break
    else:
        return {}
    data = read_yaml(path, what="metadata file") or {}
    if not isinstance(data, dict):
        raise StanceError(f"{path}: expected a mapping of document stem to fields", hint="see seeds/metadata.yaml")
    out: dict[str, dict[str, Any]] = {}
    for stem, fields in data.items():
        if not isinstance(fields, dict):
            raise StanceError(f"{path}: entry {stem!r} must be a mapping of fields", hint="see seeds/metadata.yaml")
        unknown = sorted(set(fields) - set(METADATA_FIELDS))
        if unknown:
            raise StanceError(
                f"{path}: entry {stem!r} has unknown field(s) {', '.join(map(str, unknown))}",
                hint=f"allowed fields: {', '.join(METADATA_FIELDS)}",
            )
        out[str(stem)] = {k: (None if v is None else str(v)) for k, v in fields.items()}
    return out


def _html_to_text(html: str) -> str:
    """Extract readable text from HTML with inscriptis, dropping scripts, styles and page chrome tags."""
    from inscriptis import get_text
    from inscriptis.css_profiles import CSS_PROFILES
    from inscriptis.html_properties import Display
    from inscriptis.model.config import ParserConfig
    from inscriptis.model.html_element import HtmlElement

    css = CSS_PROFILES["strict"].copy()
    # Page chrome that is never article text: hide it at extraction time.
    for tag in ("nav", "script", "style", "noscript", "form", "button", "svg", "iframe", "template"):
        css[tag] = HtmlElement(display=Display.none)
    return get_text(html, ParserConfig(css=css))


def iter_documents(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Document]:
    """Yield the documents of the given files and folders one at a time.

    Args:
        paths: Files or folders (see :func:`collect_files`).

    Yields:
        :class:`Document` records, in input order.

    Raises:
        StanceError: for any bad input, naming the file (and line for JSONL).

    Example:
        >>> next(iter_documents(["seeds"])).doc_id
        '000_195aff00a3928bad'
    """
    metadata_cache: dict[Path, dict[str, dict[str, Any]]] = {}
    for path in collect_files(paths):
        folder = path.parent
        if folder not in metadata_cache:
            metadata_cache[folder] = load_metadata(folder)
        folder_meta = metadata_cache[folder]
        suffix = path.suffix.lower()
        if suffix == ".jsonl":
            yield from _jsonl_documents(path, folder_meta)
            continue
        text = decode_bytes(path.read_bytes(), name=str(path))
        kind = suffix.lstrip(".")
        if suffix in (".html", ".htm"):
            kind = "html"
            text = _html_to_text(text)
            if not text.strip():
                raise StanceError(f"{path}: the HTML page holds no text", hint="check that it is the article page")
        yield Document(path.stem, text, str(path), dict(folder_meta.get(path.stem, {})), kind)


def _jsonl_documents(path: Path, folder_meta: dict[str, dict[str, Any]]) -> Iterator[Document]:
    """Documents of a JSONL file: one per line, with ``text`` and optional id and metadata."""
    n = 0
    for lineno, record in read_jsonl(path, what="input JSONL file"):
        text = record.get("text")
        if not isinstance(text, str) or not text.strip():
            raise StanceError(
                f"{path} line {lineno}: no 'text' field with text in it",
                hint='each line must be an object such as {"id": "doc1", "text": "..."}',
            )
        doc_id = record.get("doc_id", record.get("id"))
        doc_id = str(doc_id) if doc_id not in (None, "") else f"{path.stem}-{lineno}"
        meta = dict(folder_meta.get(doc_id, {}))
        meta.update({k: str(record[k]) for k in METADATA_FIELDS if record.get(k) is not None})
        n += 1
        yield Document(doc_id, text, str(path), meta, "jsonl")
    if n == 0:
        raise StanceError(f"{path}: the file holds no documents", hint="add one JSON object per line")
