"""The corpus stage: documents → clean, attributed statements (``stance segment``).

One module per concern:

- :mod:`~stance.segment.documents`: find, decode and load input files (.txt, .md, .html, .jsonl)
  and their ``metadata.yaml``;
- :mod:`~stance.segment.clean`: boilerplate rules and the cleaning patterns (``stance/resources/cleaning.yaml``);
- :mod:`~stance.segment.structure`: title, dateline, paragraphs, transcript turns, comment threads;
- :mod:`~stance.segment.sentences`: sentence spans (blingfire) and quotation tracking;
- :mod:`~stance.segment.holders`: people, aliases and attribution cues;
- this module: puts them together into :class:`Statement` records.

Offsets are always into the document's source text: ``text[start:end] == statement.text``.
A dateline ("MOSCOW, January 16. /TASS/.") and a transcript turn label ("Sergey Lavrov:") are
not part of the statement text; they go to the ``dateline`` field and the holder.

Example:
    >>> from stance.segment import segment_paths
    >>> first = next(segment_paths(["seeds"]))
    >>> first.section, first.holder
    ('title', 'Sergey Lavrov')
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from stance.errors import StanceError
from stance.segment.clean import CleaningConfig, Removal, load_cleaning_config
from stance.segment.documents import Document, iter_documents
from stance.segment.attribution import finish_attribution
from stance.segment.holders import (
    PersonRegistry,
    attribution_after,
    attribution_before,
    reported_subject,
    title_subject,
)
from stance.segment.sentences import QuoteSpan, quote_spans, sentence_spans, split_sentences
from stance.segment.structure import Block, Layout, analyze
from stance.segment.transcripts import is_role_label

__all__ = [
    "SEGMENTER_VERSION",
    "STATEMENT_FIELDS",
    "CleaningConfig",
    "Document",
    "Removal",
    "SegmentedDocument",
    "Statement",
    "iter_documents",
    "iter_segmented",
    "load_cleaning_config",
    "segment_document",
    "segment_paths",
    "statement_id",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

# Bump when the same input and cleaning patterns can give different statements (lineage records it).
# 2: transcripts by structure and the speaker field, sentence repair pass, line-break normalisation.
SEGMENTER_VERSION = "stance.segment.v2"

_ALNUM = re.compile(r"\w")
# Line breaks other than "\n" and "\r\n" (old Mac exports, form feeds, Unicode separators).
_ODD_BREAK = re.compile("\r(?!\n)|[\x0b\x0c\x85\u2028\u2029]")


@dataclass(slots=True)
class Statement:
    """One statement: a sentence (or a title) with its holder and document metadata.

    The fields and their order are the contract of DESIGN.md section 1.
    """

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    index: int
    paragraph: int
    section: str
    holder: str
    holder_type: str
    holder_id: str
    speaker: str | None
    in_quote: bool
    genre: str | None
    title: str | None
    source: str | None
    date: str | None
    dateline: str | None
    url: str | None
    comment_id: str | None
    reply_to: str | None
    comment_author: str | None
    comment_time: str | None
    source_path: str

    def to_dict(self) -> dict[str, Any]:
        """The statement as a plain dict, in contract field order.

        Every field is a plain value, so this skips ``dataclasses.asdict``'s recursive deep
        copy (it was the largest cost of writing statements).
        """
        return {name: getattr(self, name) for name in STATEMENT_FIELDS}


STATEMENT_FIELDS = tuple(Statement.__dataclass_fields__)


@dataclass
class SegmentedDocument:
    """The result of segmenting one document: statements, removed spans and metadata."""

    document: Document
    statements: list[Statement] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    metadata: dict[str, str | None] = field(default_factory=dict)

    def document_record(self) -> dict[str, Any]:
        """The record of the ``--documents`` side file: id, path, metadata and the source text."""
        return {
            "doc_id": self.document.doc_id,
            "source_path": self.document.source_path,
            **self.metadata,
            "text": self.document.text,
        }


def statement_id(doc_id: str, text: str, seen: dict[str, int]) -> str:
    """The stable id of a statement: ``{doc_id}:{sha1(text)[:10]}``, ``-2``, ``-3`` ... for repeats.

    Args:
        doc_id: Document id.
        text: Statement text.
        seen: Counts of ids already given in this document (updated).

    Example:
        >>> seen = {}
        >>> statement_id("d", "Yes.", seen), statement_id("d", "Yes.", seen)
        ('d:...', 'd:...-2')
    """
    base = f"{doc_id}:{hashlib.sha1(text.encode('utf-8')).hexdigest()[:10]}"
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}-{seen[base]}"


class _Attributor:
    """Assigns holder, holder_type and in_quote to the sentences of one document, in order."""

    def __init__(self, text: str, layout: Layout, registry: PersonRegistry, author: str) -> None:
        self.text = text
        self.registry = registry
        self.author = author
        self.last_speaker: str | None = None
        self._turn_spans: dict[int, _SpanIndex] = {}
        ranges: dict[int, tuple[int, int]] = {}
        for b in layout.blocks:
            if b.turn is not None:
                s, e = ranges.get(b.turn, (b.start, b.end))
                ranges[b.turn] = (min(s, b.start), max(e, b.end))
        self._turn_ranges = ranges

    def _resolve(self, subject: str | None, pos: int) -> str | None:
        if not subject:
            return None
        return self.registry.resolve(subject, pos, last_speaker=self.last_speaker)

    def speaker_name(self, label: str) -> str:
        """The speaker of a turn: a role label as it is, a person by the registry's full name."""
        if is_role_label(label):
            return label
        return self.registry.canonical(label)

    def assign(self, block: Block, sents: list[tuple[int, int]]) -> list[tuple[str, str, bool]]:
        text = self.text
        firsts = [_first_alnum(text, s, e) for s, e in sents]
        if block.section == "comment":
            index = _SpanIndex(quote_spans(text, block.start, block.end))
            holder = block.comment_author or "anonymous"
            return [(holder, "commenter", index.containing(f) is not None) for f in firsts]
        if block.section == "turn":
            assert block.turn is not None and block.speaker is not None
            if block.turn not in self._turn_spans:
                s, e = self._turn_ranges[block.turn]
                self._turn_spans[block.turn] = _SpanIndex(quote_spans(text, s, e))
            index = self._turn_spans[block.turn]
            speaker = self.speaker_name(block.speaker)
            if not is_role_label(speaker):
                self.last_speaker = speaker
            return [(speaker, "speaker", index.containing(f) is not None) for f in firsts]
        if block.whole:  # a headline reports the position of the person it is about
            who = None
            for subject in title_subject(text[block.start : block.end]):
                who = self._resolve(subject, block.start)
                if who:
                    break
            return [(who, "quoted", False) if who else (self.author, "author", False) for _ in sents]
        return self._assign_body(block, sents, firsts)

    def _assign_body(
        self, block: Block, sents: list[tuple[int, int]], firsts: list[int]
    ) -> list[tuple[str, str, bool]]:
        text = self.text
        spans = quote_spans(text, block.start, block.end)
        index = _SpanIndex(spans)
        sent_starts = [s for s, _ in sents]
        subjects: list[tuple[str | None, int]] = []
        for k, q in enumerate(spans):
            after_end = spans[k + 1].start if k + 1 < len(spans) else block.end
            subject = attribution_after(text[q.end : min(after_end, q.end + 120)]) if q.closed else None
            if subject is None:
                before_start = max(
                    spans[k - 1].end if k else block.start, _sentence_start(sent_starts, q.start), q.start - 160
                )
                subject = attribution_before(text[before_start : q.start])
            subjects.append((subject, q.start))
        holders = _SpanHolders(lambda k: self._resolve(*subjects[k]), len(spans))
        block_quote = self._resolve(block.quoted_by, block.start) if block.quoted_by else None
        out: list[tuple[str, str, bool]] = []
        for (s, e), first in zip(sents, firsts):
            k = index.containing(first)
            if k is not None:
                # A quotation without its own cue belongs to its neighbours' speaker.
                holder = holders.own_or_nearest(k) or block_quote or self.last_speaker
                out.append((holder, "quoted", True) if holder else (self.author, "author", True))
            else:
                masked = _mask(text, s, e, index.overlapping(s, e))
                holder = None
                for subject in reported_subject(masked):
                    holder = self._resolve(subject, s)
                    if holder:
                        break
                if holder:
                    out.append((holder, "quoted", False))
                elif block_quote:
                    out.append((block_quote, "quoted", True))
                else:
                    out.append((self.author, "author", False))
            if out[-1][1] == "quoted":
                self.last_speaker = out[-1][0]
        # Reported speech goes on between two reported-speech cues of the same speaker
        # ("Lavrov added that ... . This is a real problem ... . Lavrov recalled that ...").
        for i in range(1, len(out) - 1):
            prev, cur, nxt = out[i - 1], out[i], out[i + 1]
            if (
                cur[1] == "author"
                and prev[1] == nxt[1] == "quoted"
                and prev[0] == nxt[0]
                and not prev[2]
                and not nxt[2]
            ):
                out[i] = (prev[0], "quoted", cur[2])
        return out


class _SpanIndex:
    """Quotation spans of one paragraph or turn, searchable by position in O(log n).

    Spans are top-level, so they are sorted and do not overlap; bisecting on their starts
    replaces scans over every span for every sentence (quadratic in paragraph length).
    """

    def __init__(self, spans: list[QuoteSpan]) -> None:
        self.spans = spans
        self.starts = [q.start for q in spans]

    def containing(self, pos: int) -> int | None:
        """Index of the span with ``start < pos < end``, or ``None``."""
        k = bisect.bisect_left(self.starts, pos) - 1
        if k >= 0 and self.spans[k].start < pos < self.spans[k].end:
            return k
        return None

    def overlapping(self, s: int, e: int) -> list[QuoteSpan]:
        """The spans that overlap ``[s, e)``."""
        k = max(bisect.bisect_right(self.starts, s) - 1, 0)
        out = []
        while k < len(self.spans) and self.spans[k].start < e:
            if self.spans[k].end > s:
                out.append(self.spans[k])
            k += 1
        return out


class _SpanHolders:
    """The holder of each quotation, resolved lazily, and the nearest resolved neighbour.

    ``own_or_nearest(k)`` is the holder of span ``k``, else of the nearest span before it
    that has one, else of the nearest after it: the order of the former linear scans,
    with each scan's result remembered so that a paragraph of n quotations costs O(n).
    """

    def __init__(self, resolve: Callable[[int], str | None], n: int) -> None:
        self._resolve = resolve
        self._own: dict[int, str | None] = {}
        self._before: dict[int, str | None] = {}  # k -> first holder among spans k, k-1, ..., 0
        self._after: dict[int, str | None] = {}  # k -> first holder among spans k, k+1, ..., n-1
        self.n = n

    def own(self, k: int) -> str | None:
        if k not in self._own:
            self._own[k] = self._resolve(k)
        return self._own[k]

    def _scan(self, k: int, step: int, memo: dict[int, str | None]) -> str | None:
        path = []
        j, found = k, None
        while 0 <= j < self.n:
            if j in memo:
                found = memo[j]
                break
            path.append(j)
            found = self.own(j)
            if found is not None:
                break
            j += step
        for i in path:
            memo[i] = found
        return found

    def own_or_nearest(self, k: int) -> str | None:
        return self.own(k) or self._scan(k - 1, -1, self._before) or self._scan(k + 1, 1, self._after)


def _first_alnum(text: str, s: int, e: int) -> int:
    m = _ALNUM.search(text, s, e)
    return m.start() if m else s


def _sentence_start(sent_starts: list[int], pos: int) -> int:
    """Start of the sentence that holds ``pos`` (0 before the first sentence)."""
    k = bisect.bisect_right(sent_starts, pos) - 1
    return sent_starts[k] if k >= 0 else 0


def _mask(text: str, s: int, e: int, spans: list[QuoteSpan]) -> str:
    """The sentence with quoted words blanked, so that verbs inside quotations are not cues.

    ``spans`` are the quotations that overlap the sentence.
    """
    sentence = text[s:e]
    inner = [(max(q.start, s), min(q.end, e)) for q in spans]
    if not inner:
        return sentence
    chars = list(sentence)
    for a, b in inner:
        for i in range(a - s + 1, b - s - 1):
            chars[i] = " "
    return "".join(chars)


def normalise_line_breaks(text: str) -> str:
    """``text`` with lone carriage returns and other line separators turned into ``"\\n"``.

    Every replacement is one character for one character, so offsets into the result are
    offsets into ``text``.

    Example:
        >>> normalise_line_breaks("Title\\rFirst line.\\r\\nSecond.")
        'Title\\nFirst line.\\r\\nSecond.'
    """
    return _ODD_BREAK.sub("\n", text)


def _infer_genre(layout: Layout) -> str:
    if any(b.section == "comment" for b in layout.blocks):
        return "news_with_comments"
    if layout.speakers:
        return "transcript"
    return "news_report"


def segment_document(document: Document, config: CleaningConfig | None = None) -> SegmentedDocument:
    """Segment one document into statements, recording every removed span.

    Args:
        document: A decoded document (see :func:`iter_documents`).
        config: Cleaning patterns; the packaged ``stance/resources/cleaning.yaml`` when ``None``.

    Returns:
        A :class:`SegmentedDocument` with statements in document order.

    Example:
        >>> doc = Document("d1", "MOSCOW, May 1. /TASS/. Lavrov said it rained.", "d1.txt")
        >>> [(s.text, s.holder, s.dateline) for s in segment_document(doc).statements]
        [('Lavrov said it rained.', 'Lavrov', 'MOSCOW, May 1. /TASS/.')]
    """
    config = config if config is not None else load_cleaning_config()
    source = document.text
    text = normalise_line_breaks(source)  # same length: offsets found in it hold for the source
    meta = document.meta
    layout = analyze(text, config, markdown=document.kind == "md", known_title=meta.get("title"))
    metadata: dict[str, str | None] = {
        "genre": meta.get("genre") or _infer_genre(layout),
        "title": meta.get("title") or layout.title,
        "source": meta.get("source") or layout.source,
        "date": meta.get("date") or layout.date,
        "dateline": layout.dateline,
        "url": meta.get("url"),
    }
    author = meta.get("author") or layout.author or layout.source or metadata["source"] or "author"
    registry = PersonRegistry(text, layout.speakers)
    attributor = _Attributor(text, layout, registry, author)
    result = SegmentedDocument(document, metadata=metadata)
    result.removed = [Removal(document.doc_id, s, e, source[s:e], rule) for s, e, rule in layout.removed]
    seen: dict[str, int] = {}
    doc_spans = sentence_spans(text)
    for block in layout.blocks:
        sents = (
            [(block.start, block.end)]
            if block.whole
            else list(split_sentences(text, block.start, block.end, doc_spans))
        )
        if not sents:
            continue
        speaker = attributor.speaker_name(block.speaker) if block.section == "turn" and block.speaker else None
        for (s, e), (holder, holder_type, in_quote) in zip(sents, attributor.assign(block, sents)):
            sentence = source[s:e]
            result.statements.append(
                Statement(
                    id=statement_id(document.doc_id, sentence, seen),
                    doc_id=document.doc_id,
                    text=sentence,
                    start=s,
                    end=e,
                    index=len(result.statements),
                    paragraph=block.paragraph,
                    section=block.section,
                    holder=holder,
                    holder_type=holder_type,
                    holder_id="",
                    speaker=speaker,
                    in_quote=in_quote,
                    **metadata,  # genre, title, source, date, dateline, url
                    comment_id=block.comment_id,
                    reply_to=block.reply_to,
                    comment_author=block.comment_author,
                    comment_time=block.comment_time,
                    source_path=document.source_path,
                )
            )
    finish_attribution(text, result.statements)
    return result


def iter_segmented(
    paths: Iterable[str | os.PathLike[str]], *, config: CleaningConfig | None = None
) -> Iterator[SegmentedDocument]:
    """Segment files and folders one document at a time (memory stays bounded by one document).

    Args:
        paths: Files or folders of .txt, .md, .html, .jsonl documents.
        config: Cleaning patterns; the bundled ones when ``None``.

    Yields:
        One :class:`SegmentedDocument` per input document.

    Raises:
        StanceError: bad input (empty, binary, undecodable, broken JSONL line, empty folder,
            two documents with the same id).

    Example:
        >>> [d.document.doc_id for d in iter_segmented(["seeds"])][:2]
        ['000_195aff00a3928bad', '001_d1caa0e424b30984']
    """
    config = config if config is not None else load_cleaning_config()
    seen: dict[str, str] = {}
    for document in iter_documents(paths):
        if document.doc_id in seen:  # statement ids start with the doc id: they would collide
            raise StanceError(
                f"two documents have the id {document.doc_id!r}: {seen[document.doc_id]} and {document.source_path}",
                hint="rename one file (or give JSONL lines distinct 'id' fields)",
            )
        seen[document.doc_id] = document.source_path
        segmented = segment_document(document, config)
        if not segmented.statements:
            logger.warning(
                "%s (%s): no statements; %d span(s) removed as %s",
                document.doc_id,
                document.source_path,
                len(segmented.removed),
                ", ".join(sorted({r.rule for r in segmented.removed})) or "nothing",
            )
        yield segmented


def segment_paths(
    paths: Iterable[str | os.PathLike[str]], *, config: CleaningConfig | None = None
) -> Iterator[Statement]:
    """Yield the statements of files and folders, streaming one document at a time.

    Args:
        paths: Files or folders.
        config: Cleaning patterns; the bundled ones when ``None``.

    Yields:
        :class:`Statement` records in input order.

    Example:
        >>> sum(1 for _ in segment_paths(["seeds"])) > 100
        True
    """
    for segmented in iter_segmented(paths, config=config):
        yield from segmented.statements
