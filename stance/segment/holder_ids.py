"""One ``holder_id`` for one holder, across a document and across documents.

A holder's surface form stays in ``holder``; ``holder_id`` is a key built from it by general
rules only (no list of people or outlets):

- a person's name (two or more name words): ``person:{surname}/{first three letters of the
  first name}``, after titles ("Mr.", "Sen.") and middle initials are dropped and accents are
  folded, so that "Sergei Lavrov", "Sergey Lavrov" and "Mr. Sergey V. Lavrov" share
  ``person:lavrov/ser`` while "Ada Moreau" and "Paul Moreau" stay apart;
- one name word ("Lavrov"): ``person:lavrov`` (the document resolves a surname to the full
  name before this, where it introduced one);
- the outlet or author of a document (``holder_type == "author"``): ``outlet:{slug}``;
- anything else (a group, an organisation, an unresolved description): ``source:{slug}``.

Example:
    >>> holder_id("Sergei Lavrov", "quoted"), holder_id("Sergey Lavrov", "speaker")
    ('person:lavrov/ser', 'person:lavrov/ser')
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata

__all__ = ["holder_id"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

_TITLES = {
    "mr", "mrs", "ms", "miss", "dr", "sir", "madam", "sen", "senator", "gov", "governor", "rep",
    "gen", "general", "prof", "professor", "rev", "president", "secretary", "minister", "judge",
    "justice", "lt", "col", "capt", "adm", "sgt", "hon", "jr", "sr", "ii", "iii",
}  # fmt: skip
_NAME_WORD = re.compile(r"^[A-Z][a-z]+(?:[-'’][A-Za-z][a-z]+)*$")
_ORG_WORDS = re.compile(
    r"\b(?:party|committee|department|ministry|agency|council|house|times|post|news|network|campaign|"
    r"association|union|institute|tribune|herald|gazette|globe|daily|magazine|reuters|press|university|office|foundation|group|bank|company|corp|inc|commission|"
    r"court|congress|senate|administration|government|journal|press|service|center|centre)\b",
    re.IGNORECASE,
)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _fold(text).lower()).strip("-") or "unknown"


def person_tokens(name: str) -> list[str] | None:
    """The name words of a person's name without titles and initials, or ``None`` if it is not one."""
    words = [w.strip(".,") for w in _fold(name).split()]
    words = [w for w in words if w and w.lower() not in _TITLES and not re.fullmatch(r"[A-Z]\.?", w)]
    if not words or len(words) > 4 or _ORG_WORDS.search(" ".join(words)):
        return None
    if not all(_NAME_WORD.match(w) for w in words):
        return None
    return words


@functools.lru_cache(maxsize=8192)
def holder_id(holder: str | None, holder_type: str) -> str:
    """The stable id of a holder (see the module docstring).

    Args:
        holder: The holder's surface form ("Sergey Lavrov", "TASS", "officials").
        holder_type: ``speaker``, ``quoted``, ``author`` or ``commenter``.

    Returns:
        ``person:...``, ``outlet:...`` or ``source:...``.

    Example:
        >>> holder_id("Mr. Lavrov", "quoted"), holder_id("TASS", "author")
        ('person:lavrov', 'outlet:tass')
    """
    holder = holder or "unknown"
    if holder_type == "author":
        return f"outlet:{_slug(holder)}"
    words = person_tokens(holder)
    if words is None:
        return f"source:{_slug(holder)}"
    surname = words[-1].lower()
    if len(words) == 1:
        return f"person:{_slug(surname)}"
    return f"person:{_slug(surname)}/{words[0][:3].lower()}"
