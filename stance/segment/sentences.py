"""Sentence spans with exact offsets, and quotation marks tracked across sentences.

Sentences come from blingfire's finite-state sentence breaker (offline, C++, several MB/s;
it keeps "Art. 107", "Mr Abe", "U.S." and "No. 10" together and splits after ``."``).
Quotation state is computed over a whole paragraph or turn, not per sentence, so that
every sentence of a multi-sentence quotation knows it is quoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["QuoteSpan", "quote_spans", "split_sentences"]

_ALNUM = re.compile(r"\w")
_LEADING_MARKER = re.compile(r"(?:[•·▪◦‣∙●■►▶*]|[-–—](?=\s))\s*")

OPENING = {"“": "”", "«": "»", "„": "”", "‚": "’"}
CLOSING = {"”", "»"}
STRAIGHT = '"'


def split_sentences(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` offsets of the sentences of ``text[start:end]``.

    Offsets are into ``text``; spans are trimmed of surrounding whitespace and of a leading
    bullet or dash marker, and spans without a letter or digit are dropped.

    Args:
        text: The whole source text.
        start: Start of the paragraph.
        end: End of the paragraph.

    Yields:
        Sentence offsets, in order.

    Example:
        >>> t = "Art. 107 says so. Mr Abe agreed."
        >>> [t[s:e] for s, e in split_sentences(t, 0, len(t))]
        ['Art. 107 says so.', 'Mr Abe agreed.']
    """
    import blingfire  # imported here: keeps `import stance` light

    chunk = text[start:end]
    if not chunk.strip():
        return
    _, offsets = blingfire.text_to_sentences_and_offsets(chunk)
    for s, e in offsets:
        s, e = _trim(chunk, s, e)
        if s < e and _ALNUM.search(chunk, s, e):
            yield start + s, start + e


def _trim(chunk: str, s: int, e: int) -> tuple[int, int]:
    while s < e and chunk[s].isspace():
        s += 1
    while e > s and chunk[e - 1].isspace():
        e -= 1
    m = _LEADING_MARKER.match(chunk, s, e) if s < e else None
    if m and m.end() < e:
        s = m.end()
    return s, e


@dataclass(frozen=True)
class QuoteSpan:
    """A top-level quotation: from its opening mark to just after its closing mark.

    ``closed`` is False when the paragraph ended before the quotation did.
    """

    start: int
    end: int
    closed: bool


def _is_opening_straight(text: str, i: int, depth: int) -> bool:
    prev = text[i - 1] if i > 0 else " "
    nxt = text[i + 1] if i + 1 < len(text) else " "
    if prev.isspace() or prev in "([{—–-/:" or i == 0:
        return not nxt.isspace()
    if nxt.isspace() or nxt in ".,;:!?)]}…" or i + 1 == len(text):
        return False
    return depth == 0


def quote_spans(text: str, start: int, end: int) -> list[QuoteSpan]:
    """Find the top-level quotations of ``text[start:end]``, with nesting.

    Curly quotes and guillemets open and close by shape; a straight ``"`` opens after a
    space or bracket and closes before a space or punctuation, so that a quotation inside
    a quotation (``"... the term "Northern Territories". It's ..."``) nests instead of
    ending the outer one. A quotation left open at ``end`` is closed there.

    Args:
        text: The whole source text.
        start: Start of the region (a paragraph or a turn).
        end: End of the region.

    Returns:
        Top-level quotation spans in order.

    Example:
        >>> t = '"We agree," he said. "So do they."'
        >>> [(q.start, q.end) for q in quote_spans(t, 0, len(t))]
        [(0, 10), (21, 34)]
    """
    spans: list[QuoteSpan] = []
    stack: list[str] = []
    top_start = 0
    for i in range(start, end):
        ch = text[i]
        if ch == STRAIGHT:
            if stack and stack[-1] == STRAIGHT and not _is_opening_straight(text, i, len(stack)):
                stack.pop()
                closed = True
            elif _is_opening_straight(text, i, len(stack)) or not stack:
                stack.append(STRAIGHT)
                closed = False
            else:
                continue
        elif ch in OPENING and ch != "‚":
            stack.append(OPENING[ch])
            closed = False
        elif ch in CLOSING:
            if ch in stack:
                while stack and stack.pop() != ch:
                    pass
                closed = True
            else:
                continue
        else:
            continue
        if not closed and len(stack) == 1:
            top_start = i
        elif closed and not stack:
            spans.append(QuoteSpan(top_start, i + 1, True))
    if stack:
        spans.append(QuoteSpan(top_start, end, False))
    return spans
