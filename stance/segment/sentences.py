"""Sentence spans with exact offsets, and quotation marks tracked across sentences.

Sentences come from blingfire's finite-state sentence breaker (offline, C++, several MB/s;
it keeps "Art. 107", "Mr Abe", "U.S." and "No. 10" together and splits after ``."``).
Quotation state is computed over a whole paragraph or turn, not per sentence, so that
every sentence of a multi-sentence quotation knows it is quoted.
"""

from __future__ import annotations

import bisect
import ctypes
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["TITLE_ABBREVIATIONS", "QuoteSpan", "quote_spans", "repair_spans", "sentence_spans", "split_sentences"]

_ALNUM = re.compile(r"\w")
_LEADING_MARKER = re.compile(r"(?:[•·▪◦‣∙●■►▶]|[*_]+|[-–—](?=\s))\s*")
_TRAILING_EMPHASIS = re.compile(r"(?<=\S)[*_]+$")

OPENING = {"“": "”", "«": "»", "„": "”", "‚": "’"}
CLOSING = {"”", "»"}
STRAIGHT = '"'
_QUOTE_CHARS = re.compile('["“”«»„]')


_BUFFERS: list[Any] = []


def _buffers(capacity: int) -> tuple[Any, Any, Any]:
    """Output buffers for blingfire, reused between calls and grown when a text needs more.

    The C function takes one capacity for its text, start and end buffers; allocating and
    zeroing three buffers of twice the text size for every document was a measurable cost.
    """
    if not _BUFFERS or len(_BUFFERS[0]) < capacity:
        capacity = max(capacity, 1 << 16)
        _BUFFERS[:] = [
            ctypes.create_string_buffer(capacity),
            (ctypes.c_int32 * capacity)(),
            (ctypes.c_int32 * capacity)(),
        ]
    return _BUFFERS[0], _BUFFERS[1], _BUFFERS[2]


# Characters of text given to blingfire at once. Its buffers take about 18 bytes per byte of
# input, so a 50 MB document in one call needed 900 MB; windows keep that bounded.
WINDOW = 1 << 18


def sentence_spans(text: str, *, window: int = WINDOW, repair: bool = True) -> list[tuple[int, int]]:
    """Character offsets of the sentences of a whole text, from blingfire, window by window.

    Each window's last sentence may be cut by the window's end, so it is dropped and the next
    window starts where it started: every sentence is decided with its full context, and
    memory stays bounded whatever the document's length. A "sentence" longer than a window
    (a text without punctuation) is cut at the window's last space.

    Args:
        text: A whole document.
        window: Characters per call into blingfire.
        repair: Apply :func:`repair_spans` (titles, abbreviation-initial sentences).

    Returns:
        ``(start, end)`` character offsets, in order.

    Example:
        >>> t = "Art. 107 says so. Mr Abe agreed."
        >>> [t[s:e] for s, e in sentence_spans(t)]
        ['Art. 107 says so.', 'Mr Abe agreed.']
    """
    out: list[tuple[int, int]] = []
    a, n = 0, len(text)
    while a < n:
        b = min(a + window, n)
        spans = _window_spans(text[a:b])
        if b < n:
            if len(spans) > 1:
                spans.pop()
            else:  # no sentence end in a whole window: cut at its last space
                cut = text.rfind(" ", a + 1, b)
                spans = [(0, (cut if cut > a else b) - a)]
        if not spans:
            break
        out.extend((a + s, a + e) for s, e in spans)
        a += spans[-1][1] if spans[-1][1] > 0 else b - a
    return repair_spans(text, out) if repair else out


# Abbreviations after which a capitalised word does not start a sentence: titles before a
# name ("Sen. Kerry", "MR. NIXON", "Lt. Col. North"), months before a day ("Jan. 5"), "vs.".
TITLE_ABBREVIATIONS = frozenset(
    """mr mrs ms mx messrs mmes dr prof sen sens gov govs rep reps gen lt col capt cmdr sgt adm maj
    cpl pvt brig rev fr msgr hon pres supt insp det atty amb ald st mt ft""".split()
)
# State abbreviations ("Plains, Ga.") end sentences as often as not, so they are not here.
_NO_SPLIT_AFTER = TITLE_ABBREVIATIONS | frozenset("jan feb mar apr jun jul aug sep sept oct nov dec vs jr sr".split())
# ". " then a capitalised word (maybe after an opening quote): a sentence boundary, unless the
# word before the stop is an abbreviation, an initial ("John F. Kennedy") or holds a stop ("U.S.").
# The stop is searched first (rare), the word before it only then: matching the word pattern
# at every word start cost a fifth of segmentation time.
_STOP_THEN_CAPITAL = re.compile(r"(?P<stop>[.!?]+)[\"”’)\]]*(?P<space>[ \t]+)(?=[\"“‘(]?[A-Z])")
_WORD_BEFORE = re.compile(r"(?<![\w.])[A-Za-z][A-Za-z'’-]*$")
_ENDS_WITH_TITLE = re.compile(r"(?<![\w.])(?P<word>[A-Za-z]+)\.$")
_ENDS_WITH_INITIAL = re.compile(r"(?<![\w.])[A-Z][a-z]+\s+[A-Z]\.$")


def repair_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Fix blingfire's two habitual errors on English news and transcripts, keeping offsets exact.

    - It splits after a title in capitals or a title it does not know ("MR." | "NIXON said",
      "Dr." | "King's dream"), leaving a statement that is only a title: such a span is joined
      to the next, as is an initial after a name ("John F." | "Kennedy").
    - It does not split before a sentence that starts with an abbreviation or a short word
      ("... on this. Sen. Kerry said so.", "The U.S. economy grew. U.S. officials ...",
      "Yes. No."): a stop after an ordinary word, followed by a capitalised word, is a boundary.

    Example:
        >>> t = "I agree with Mr. Mondale on this. Sen. Kerry said so. MR. NIXON: No."
        >>> [t[s:e] for s, e in repair_spans(t, [(0, 53), (54, 57), (58, 68)])]
        ['I agree with Mr. Mondale on this.', 'Sen. Kerry said so.', 'MR. NIXON: No.']
    """
    joined: list[tuple[int, int]] = []
    for s, e in spans:
        if joined and (_joins_next(text, *joined[-1]) or _starts_lower(text, s, e)):
            joined[-1] = (joined[-1][0], e)
        else:
            joined.append((s, e))
    out: list[tuple[int, int]] = []
    for s, e in joined:
        for m in _STOP_THEN_CAPITAL.finditer(text, s, e):
            w = _WORD_BEFORE.search(text, max(s, m.start() - 40), m.start())
            if w is None:
                continue
            word, stop = w.group(0), m.group("stop")
            if stop == "." and (len(word) == 1 or word.lower() in _NO_SPLIT_AFTER):
                continue
            cut = m.start("space")
            if text[s:cut].strip():
                out.append((s, cut))
                s = m.end()
        out.append((s, e))
    return out


def _starts_lower(text: str, s: int, e: int) -> bool:
    """Whether a span starts with a lower-case word after a question or exclamation in quotes
    ('"Is this the right time?" asked the senator'), which continues the sentence before it."""
    k = s
    while k < e and text[k].isspace():
        k += 1
    if k >= e or not text[k].islower():
        return False
    before = text[max(0, s - 3) : s].rstrip()
    return before.endswith(("?\"", "!\"", "?”", "!”", ",\"", ",”"))


def _joins_next(text: str, s: int, e: int) -> bool:
    """Whether a span ends in a title ("Dr.", "MR.") or a name's initial ("John F.") and so goes on."""
    tail = text[max(s, e - 40) : e].rstrip()
    m = _ENDS_WITH_TITLE.search(tail)
    if m and m.group("word").lower() in TITLE_ABBREVIATIONS:
        return True
    return bool(_ENDS_WITH_INITIAL.search(tail))


def _window_spans(text: str) -> list[tuple[int, int]]:
    """Character offsets of the sentences of ``text``, from one call into blingfire.

    blingfire's own ``text_to_sentences_and_offsets`` maps byte offsets to characters with a
    Python loop over every byte (about 0.3 MB/s); this calls the same C function once and maps
    only the offsets it returns.

    Args:
        text: A whole document.

    Returns:
        ``(start, end)`` character offsets, in order (:func:`sentence_spans` shows an example).
    """
    import blingfire  # imported here: keeps `import stance` light

    data = text.encode("utf-8")
    if not data:
        return []
    size = len(data)
    out, starts, ends = _buffers(size * 2)
    n_out = blingfire.blingfire.TextToSentencesWithOffsets(
        ctypes.c_char_p(data),
        ctypes.c_int(size),
        ctypes.byref(out),
        ctypes.byref(starts),
        ctypes.byref(ends),
        ctypes.c_int(len(out)),
    )
    if n_out <= 0 or n_out > len(out):
        return [(0, len(text))]
    n = ctypes.string_at(out, n_out).count(b"\n") + 1
    byte_spans = list(zip(starts[:n], [e + 1 for e in ends[:n]]))
    if len(data) == len(text):  # ASCII: bytes are characters
        return byte_spans
    # Map byte offsets to character offsets: end offsets are inclusive bytes, so move each to the
    # next character boundary, then count characters between successive boundaries.
    cuts = sorted({b for span in byte_spans for b in span})
    mapping: dict[int, int] = {}
    chars = prev = 0
    for b in cuts:
        while b < size and (data[b] & 0xC0) == 0x80:
            b += 1
        chars += len(data[prev:b].decode("utf-8", errors="replace")) if b > prev else 0
        prev = max(prev, b)
        mapping[b] = chars

    def to_char(b: int) -> int:
        while b < size and (data[b] & 0xC0) == 0x80:
            b += 1
        return mapping[b]

    return [(to_char(s), to_char(e)) for s, e in byte_spans]


def split_sentences(
    text: str, start: int, end: int, spans: list[tuple[int, int]] | None = None
) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` offsets of the sentences of ``text[start:end]``.

    Offsets are into ``text``; spans are trimmed of surrounding whitespace and of a leading
    bullet or dash marker, and spans without a letter or digit are dropped. A sentence
    never crosses ``start`` or ``end``.

    Args:
        text: The whole source text.
        start: Start of the paragraph.
        end: End of the paragraph.
        spans: Sentence spans of the whole text (:func:`sentence_spans`), to avoid
            splitting again paragraph by paragraph.

    Yields:
        Sentence offsets, in order.

    Example:
        >>> t = "Art. 107 says so. Mr Abe agreed."
        >>> [t[s:e] for s, e in split_sentences(t, 0, len(t))]
        ['Art. 107 says so.', 'Mr Abe agreed.']
    """
    if spans is None:
        chunk_spans = [(start + s, start + e) for s, e in sentence_spans(text[start:end])]
    else:
        i = bisect.bisect_right(spans, (start, 1 << 62)) - 1
        chunk_spans = []
        for s, e in spans[max(i, 0) :]:
            if s >= end:
                break
            if e > start:
                chunk_spans.append((max(s, start), min(e, end)))
    for s, e in chunk_spans:
        s, e = _trim(text, s, e)
        if s < e and _ALNUM.search(text, s, e):
            yield s, e


def _trim(chunk: str, s: int, e: int) -> tuple[int, int]:
    """Trim whitespace and a leading bullet or dash marker from ``chunk[s:e]``."""
    while s < e and chunk[s].isspace():
        s += 1
    while e > s and chunk[e - 1].isspace():
        e -= 1
    m = _LEADING_MARKER.match(chunk, s, e) if s < e else None
    if m and m.end() < e:
        s = m.end()
    m = _TRAILING_EMPHASIS.search(chunk, s, e) if s < e and chunk[e - 1] in "*_" else None
    if m:  # Markdown emphasis closing a sentence: "... rules.**"
        e = m.start()
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
        [(0, 11), (21, 34)]
    """
    spans: list[QuoteSpan] = []
    stack: list[str] = []
    top_start = 0
    for m in _QUOTE_CHARS.finditer(text, start, end):
        i = m.start()
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
