"""Boilerplate rules: which lines of a page are debris, and why.

Two kinds of rules decide:

- configurable patterns (``stance/resources/cleaning.yaml`` inside the package, or a file
  given with ``--config``; :class:`CleaningConfig`): navigation
  labels, page counters, photo credits, sign-in calls, recruitment notices, title prefixes;
- general, position-aware rules applied by :mod:`stance.segment.structure`: short unpunctuated
  lines in the page header, menu blocks, unpunctuated lines after the last sentence of the
  article (footer links, product and book advertisements), subheadings, bullet remnants,
  comment-widget lines, repeated paragraphs.

Every removal becomes a :class:`Removal` record so that a user can audit it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.io import read_yaml

__all__ = [
    "CLEANING_FORMAT",
    "CleaningConfig",
    "Removal",
    "ends_like_sentence",
    "is_bullet_only",
    "default_cleaning_config_path",
    "load_cleaning_config",
    "word_count",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

CLEANING_FORMAT = "stance.cleaning.v1"
# The default patterns ship inside the package (importlib.resources), so an installed wheel
# segments exactly like a checkout; a missing file is a broken install, never a silent fallback.
RESOURCE_PACKAGE = "stance.resources"
RESOURCE_NAME = "cleaning.yaml"

_EXAMPLE_HINT = "see the packaged default (stance init writes a copy to edit: cleaning.yaml)"
_PATTERN_GROUPS = ("navigation", "counters", "credits", "sign_in", "recruitment")
_KNOWN_KEYS = {"version", "title_prefixes", "comment_status_words", *_PATTERN_GROUPS}

BULLETS = "•·▪▫◦‣∙●○■□►▶–—-*"
_BULLET_ONLY = re.compile(rf"^[\s{re.escape(BULLETS)}]*$")
# A sentence ends with terminal punctuation, possibly followed by closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?…](?:[\"'”’»)\]*_]*)\s*$|[\"”»]\s*[.!?]?\s*$")


@dataclass(frozen=True)
class Removal:
    """A span of the source text that did not become a statement.

    Attributes:
        doc_id: Document id.
        start: Start offset in the document's source text.
        end: End offset (exclusive).
        text: ``source_text[start:end]``.
        rule: Why it was removed (``navigation``, ``header_nav``, ``footer``, ``credits``, ...)
            or which structural part it is (``dateline``, ``turn_label``, ``comment_header``, ...).
    """

    doc_id: str
    start: int
    end: int
    text: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain dict (for the ``--removed`` JSONL side file)."""
        return {"doc_id": self.doc_id, "start": self.start, "end": self.end, "text": self.text, "rule": self.rule}


@dataclass(frozen=True)
class CleaningConfig:
    """Pattern lists of the cleaning stage, loaded from ``stance/resources/cleaning.yaml`` or ``--config``.

    Attributes:
        navigation, counters, credits, sign_in, recruitment: regular expressions matched
            case-insensitively against a whole line (bullets and surrounding spaces removed).
        title_prefixes: regular expressions cut from the start of a title line.
        comment_status_words: status words of comment widgets ("Offline", "Online").
        path: The file the patterns came from (``None`` when built in code).
        fingerprint: ``sha256:`` of that file's bytes, for lineage records.
    """

    navigation: tuple[str, ...] = ()
    counters: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()
    sign_in: tuple[str, ...] = ()
    recruitment: tuple[str, ...] = ()
    title_prefixes: tuple[str, ...] = ()
    comment_status_words: tuple[str, ...] = ("Offline", "Online")
    version: str = CLEANING_FORMAT
    path: str | None = field(default=None, compare=False)
    fingerprint: str | None = field(default=None, compare=False)
    _compiled: dict[str, re.Pattern[str]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.version != CLEANING_FORMAT:
            raise StanceError(
                f"cleaning config version {self.version!r} is not supported",
                hint=f"expected version: {CLEANING_FORMAT}",
            )
        for group in (*_PATTERN_GROUPS, "title_prefixes"):
            patterns = getattr(self, group)
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise StanceError(
                        f"cleaning config: pattern {pattern!r} in {group} is not a valid regular expression ({exc})",
                        hint="fix the pattern (YAML needs doubled backslashes inside double quotes)",
                    ) from None
            if patterns:
                joined = "|".join(f"(?:{p})" for p in patterns)
                anchored = rf"^(?:{joined})" if group == "title_prefixes" else rf"^(?:{joined})$"
                self._compiled[group] = re.compile(anchored, re.IGNORECASE)

    def match_line(self, line: str) -> str | None:
        """Name the pattern group that matches a whole line, or ``None``.

        Args:
            line: One line (paragraph) of text.

        Returns:
            ``navigation``, ``counters``, ``credits``, ``sign_in``, ``recruitment`` or ``None``.

        Example:
            >>> load_cleaning_config().match_line("1 pages in this article")
            'counters'
        """
        core = line.strip().strip(BULLETS).strip()
        if not core:
            return None
        for group in _PATTERN_GROUPS:
            pattern = self._compiled.get(group)
            if pattern is not None and pattern.match(core):
                return group
        return None

    def title_prefix_length(self, title: str) -> int:
        """Length of a prefix such as "Breaking! " to cut from a title line (0 when none).

        Example:
            >>> load_cleaning_config().title_prefix_length("Breaking! Lavrov: peace")
            10
        """
        pattern = self._compiled.get("title_prefixes")
        m = pattern.match(title) if pattern is not None else None
        return m.end() if m and m.end() < len(title) else 0


def default_cleaning_config_path() -> Path:
    """The cleaning patterns that ship inside the package: ``stance/resources/cleaning.yaml``.

    Returns:
        Its path (pip installs packages as files, so the resource is a real file).

    Raises:
        StanceError: the file is missing from the installed package (a broken install).

    Example:
        >>> default_cleaning_config_path().name
        'cleaning.yaml'
    """
    item = files(RESOURCE_PACKAGE) / RESOURCE_NAME
    if not item.is_file():
        raise StanceError(
            f"the default cleaning patterns {RESOURCE_PACKAGE.replace('.', '/')}/{RESOURCE_NAME} are missing "
            "from the installed package",
            hint="reinstall stance (pip install --force-reinstall stance), or pass --config FILE",
        )
    return Path(str(item))


def load_cleaning_config(path: str | Path | None = None) -> CleaningConfig:
    """Load the cleaning patterns; the packaged ``stance/resources/cleaning.yaml`` when no path is given.

    Args:
        path: A YAML file with the keys of :class:`CleaningConfig`.

    Returns:
        The validated config, with its path and fingerprint.

    Raises:
        StanceError: the file is missing, not YAML, has unknown keys or bad patterns.

    Example:
        >>> load_cleaning_config().version
        'stance.cleaning.v1'
    """
    path = Path(path) if path is not None else default_cleaning_config_path()
    data = read_yaml(path, what="cleaning config", hint="check the --config path") or {}
    if not isinstance(data, dict):
        raise StanceError(f"{path}: expected a mapping of rule groups", hint=_EXAMPLE_HINT)
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise StanceError(
            f"{path}: unknown key(s) {', '.join(map(str, unknown))}",
            hint=f"allowed keys: {', '.join(sorted(_KNOWN_KEYS))}",
        )
    kwargs: dict[str, Any] = {"path": str(path), "fingerprint": "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()}
    for key, value in data.items():
        if key == "version":
            kwargs[key] = str(value)
            continue
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise StanceError(f"{path}: {key} must be a list of strings, found {value!r}", hint=_EXAMPLE_HINT)
        kwargs[key] = tuple(value)
    try:
        return CleaningConfig(**kwargs)
    except StanceError as exc:
        raise StanceError(f"{path}: {exc.message}", hint=exc.hint) from None


def word_count(text: str, *, cap: int | None = None) -> int:
    """Number of words in a line; with ``cap``, at most ``cap + 1`` (enough for a comparison).

    The cap keeps a 50 MB one-line document from being split into millions of words just to
    learn that it has more than 40.

    Example:
        >>> word_count("All news"), word_count("one two three four", cap=2)
        (2, 3)
    """
    return len(text.split(None, cap) if cap is not None else text.split())


def ends_like_sentence(text: str) -> bool:
    """Whether a line ends as a sentence does (terminal punctuation, maybe inside closing quotes).

    Example:
        >>> ends_like_sentence('he said."'), ends_like_sentence("Show more")
        (True, False)
    """
    return bool(_SENTENCE_END.search(text))


def is_bullet_only(text: str) -> bool:
    """Whether a line holds nothing but bullet characters (a bullet remnant).

    Example:
        >>> is_bullet_only("  • ")
        True
    """
    return bool(_BULLET_ONLY.match(text))
