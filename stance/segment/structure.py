"""Document structure: paragraphs, title and standfirst, dateline, body, transcript turns, comment threads.

:func:`analyze` reads one document and decides, for every paragraph, whether it is content
(and of which section, spoken by whom, in which comment) or a removed span (and by which
rule). It never edits the text: it returns offsets.

General rules, in page order:

1. Comment thread: from the first comment-widget header ("1. Name Offline Name", or a
   "Name 23 November 2019 15: 00" line when several exist) to the end.
2. Header zone (before the first sentence of the article): configured patterns, menu
   blocks (several short unpunctuated lines in a row), short unpunctuated lines, the title
   (the first remaining line), date lines, and the standfirst (unpunctuated lines after
   the title).
3. Footer zone: lines after the last line that ends like a sentence (links, "Show more",
   book and product advertisements such as "Title: Subtitle").
4. Body: configured patterns anywhere, bullet remnants, subheadings (short lines without
   sentence punctuation), "- said Name." lines (they attribute the block quote above them),
   repeated paragraphs, a dateline at the start of a paragraph, transcript turn labels.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import hashlib
import re
from dataclasses import dataclass, field

from stance.segment.clean import CleaningConfig, ends_like_sentence, is_bullet_only, word_count
from stance.segment.holders import attribution_line, clean_name, title_speaker
from stance.segment.holder_ids import person_tokens
from stance.segment.transcripts import (
    ANSWER_LABELS,
    TurnLabel,
    interviewee,
    resolve_speaker_names,
    stage_directions,
    turn_label,
)

__all__ = ["Block", "Layout", "Paragraph", "analyze", "split_paragraphs"]

_MD_PREFIX = re.compile(r"(?:#{1,6}\s+|>\s*)+")
_DATELINE = re.compile(
    r"(?P<dateline>(?P<city>[A-Z][A-Z'.-]+(?:[ -][A-Z][A-Z'.-]+){0,3}),\s+"
    r"(?P<date>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?[\s·•]+\d{1,2}(?:,\s*\d{4})?)"
    r"\s*[.,]?\s*(?:/(?P<src1>[^/\n]{2,30})/\s*\.?|\((?P<src2>[^)\n]{2,30})\)\s*[-–—:.]?|[-–—]\s*)?\s*"
    r"|(?P<city2>[A-Z][A-Z'.-]+(?:[ -][A-Z][A-Z'.-]+){0,3})\s+\((?P<src3>[^)\n]{2,30})\)\s*[-–—]\s*)"
)
_DATE_LINE = re.compile(
    r"^(?:[A-Z][\w&.'’-]*(?:\s+[\w&.'’-]+){0,4},\s+)?(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+)?"
    r"(?:[A-Z][a-z]+\.?\s+\d{1,2}(?:,?\s+\d{4})?|\d{1,2}\s+[A-Z][a-z]+\.?,?\s+\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4})"
    r"(?:,?\s+(?:at\s+)?\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*(?:UTC|GMT|MSK|CET|EST|PST)?\s*[+-]?\d{0,2}(?::\d{2})?)?)?$"
)
# Rules that remove a paragraph for where it stands or how it looks, not for what it says.
_POSITIONAL_RULES = frozenset({"footer", "header_nav", "menu_block", "subheading", "before_title"})
_TIMESTAMP = (
    r"\d{1,2}\s+[A-Z][a-z]+\s+\d{4},?\s+\d{1,2}\s*:\s*\d{2}"
    r"|\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(?::\d{2})?"
    r"|[A-Z][a-z]+\s+\d{1,2},\s+\d{4},?\s+(?:at\s+)?\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?"
)
_AUTHOR_TIME = re.compile(rf"^(?P<indent>[ \t]*)(?P<author>\S.{{0,80}}?)\s+(?P<time>{_TIMESTAMP})\s*$")
# A comment's author line in forum and comment-section exports: "mike_r wrote:", "Dana K. commented:",
# "Posted by old_timer_88 on May 3, 2024". The author is a user name or one to three capitalised words,
# so "In a letter, the mayor wrote:" in a news report is not one.
_HANDLE = r"@?[\w.\-]{2,40}(?:\s[A-Z][\w.\-]*){0,2}"
_AUTHOR_LINE = re.compile(
    rf"^\s*(?:(?:Posted|Commented|Comment|Reply|Written)\s+by\s+(?P<by>{_HANDLE})(?:\s+(?:on|at)\s+(?P<time1>[^:]{{1,40}}))?"
    rf"|(?P<author>{_HANDLE})\s+(?:wrote|writes|commented|comments|replied|replies|posted)"
    rf"(?:\s+(?:on|at)\s+(?P<time2>[^:]{{1,40}}))?\s*:)\s*$"
)
# A byline under the title: "By Dana Whitfield", "By Ana Ruiz and Tom Lee, Staff Writers", "BY JOHN DOE | The Courier".
_BYLINE = re.compile(
    r"^\s*(?:By|BY)\s+(?P<name>[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|&|de|van|von|da|del|la|le))*?)"
    r"(?:\s*[,|—–]\s*[^.!?]{0,60})?\s*$"
)
_MENTION = re.compile(r"^\s*@(?P<name>[\w.\-]{2,40})")
_SPACES = re.compile(r"\s+")
_ALNUM = re.compile(r"\w")
_NON_SPACE = re.compile(r"\S")
_WORD = re.compile(r"\S+")
_LONG_PARAGRAPH = 20_000
_ODD_SPACE = re.compile(r"[^\S ]| \s")  # whitespace other than single spaces
# A title never ends with a full stop (it may end with "?", "!", a quote or nothing).
_ENDS_WITH_PERIOD = re.compile(r"[.…][\"'”’»)\]]*\s*$")


@dataclass(frozen=True)
class Paragraph:
    """A paragraph: one line, or several wrapped lines; offsets exclude surrounding whitespace."""

    start: int
    end: int
    index: int
    indent: int = 0


@dataclass
class Block:
    """A content paragraph (or the part of it that is content) and what it belongs to."""

    start: int
    end: int
    paragraph: int
    section: str
    speaker: str | None = None
    comment_id: str | None = None
    reply_to: str | None = None
    comment_author: str | None = None
    comment_time: str | None = None
    quoted_by: str | None = None  # a "- said Name." line after this block names its speaker
    turn: int | None = None  # blocks of one transcript turn share this number
    speaker_label: str | None = None  # the turn label's name as written ("KENNEDY")
    whole: bool = False  # a title: one statement, not split into sentences


@dataclass
class Layout:
    """What :func:`analyze` found in one document."""

    blocks: list[Block] = field(default_factory=list)
    removed: list[tuple[int, int, str]] = field(default_factory=list)
    title: str | None = None
    dateline: str | None = None
    date: str | None = None
    source: str | None = None
    author: str | None = None  # from a byline
    speakers: list[tuple[str, str, int]] = field(default_factory=list)
    title_speaker: str | None = None


def split_paragraphs(text: str, *, markdown: bool = False) -> list[Paragraph]:
    """Split text into paragraphs with offsets.

    A line is a paragraph of its own, except that a line is joined to the one before it
    when that one does not end a sentence and the line starts in lower case (a wrapped
    line), or, in Markdown, whenever both are plain text lines of the same block.

    Args:
        text: The source text.
        markdown: Apply Markdown's paragraph convention.

    Returns:
        Paragraphs in order.

    Example:
        >>> [p.end for p in split_paragraphs("One line.\\n\\nA wrapped\\nline.")]
        [9, 26]
    """
    paragraphs: list[Paragraph] = []
    pos = 0
    cur: list[int] | None = None  # [start, end, indent]
    prev_blank = True
    n = len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        if nl < 0:
            nl = n
        line_start, line_end = pos, nl
        # Offsets, not copies: a 50 MB line must not be copied several times, and a long
        # paragraph of wrapped lines must not be copied again for every line (quadratic).
        first_char = _NON_SPACE.search(text, line_start, line_end)
        if first_char is None:
            if cur is not None:
                paragraphs.append(Paragraph(cur[0], cur[1], len(paragraphs), cur[2]))
                cur = None
            prev_blank = True
        else:
            s = first_char.start()
            e = line_end
            while text[e - 1].isspace():
                e -= 1
            indent = len(text[line_start:s].expandtabs(4))
            join = False
            if cur is not None and not prev_blank:
                prev_text = text[cur[0] : cur[0] + 1] + text[max(cur[0] + 1, cur[1] - 200) : cur[1]]  # head and tail
                first = text[s]
                if markdown:
                    join = not re.match(r"(?:[#>*+-]|\d+[.)])\s", text[s : s + 4]) and not prev_text.startswith("#")
                else:
                    join = (
                        first.islower()
                        and indent == cur[2]
                        and not ends_like_sentence(prev_text)
                        and not prev_text.endswith(":")
                    )
            if join and cur is not None:
                cur[1] = e
            else:
                if cur is not None:
                    paragraphs.append(Paragraph(cur[0], cur[1], len(paragraphs), cur[2]))
                cur = [s, e, indent]
            prev_blank = False
        pos = nl + 1
    if cur is not None:
        paragraphs.append(Paragraph(cur[0], cur[1], len(paragraphs), cur[2]))
    return paragraphs


def _short_unpunctuated(line: str, max_words: int) -> bool:
    return (
        word_count(line, cap=max_words) <= max_words and not ends_like_sentence(line) and not line.rstrip().endswith((",", ":", ";"))
    )


_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"'})


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text.translate(_QUOTES)).strip().rstrip(".!?…").lower()


def _dup_key(text: str) -> str:
    """The key under which repeated paragraphs are recognised (spacing, case and final stop ignored).

    A long paragraph's key is a digest of its words, computed word by word: normalising a
    50 MB paragraph as one string built a list of every piece (about 17 bytes per byte).
    """
    if len(text) > _LONG_PARAGRAPH:
        h = hashlib.blake2b(digest_size=16)
        prev = None
        for m in _WORD.finditer(text):
            if prev is not None:
                h.update(prev.lower().encode("utf-8") + b" ")
            prev = m.group(0)
        h.update((prev or "").rstrip(".!?…").lower().encode("utf-8"))
        return "\x00" + h.hexdigest()
    if _ODD_SPACE.search(text):
        text = _SPACES.sub(" ", text)
    return text.strip().rstrip(".!?…").lower()


def _normalise_time(raw: str) -> str:
    compact = re.sub(r"\s*:\s*", ":", raw.strip())
    for fmt in ("%d %B %Y %H:%M", "%d %B %Y, %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%B %d, %Y %H:%M"):
        try:
            return _dt.datetime.strptime(compact, fmt).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            continue
    return raw.strip()


@functools.lru_cache(maxsize=8)
def _comment_header_pattern(status_words: tuple[str, ...]) -> re.Pattern[str]:
    words = "|".join(re.escape(w) for w in status_words)
    return re.compile(rf"(?P<num>\d+)[.)]\s+(?P<name>\S.{{0,60}}?)\s+(?:{words})\b")


def _comment_header(line: str, status_words: tuple[str, ...]) -> re.Match[str] | None:
    """A comment-widget header line: "1. Afinogen Offline Afinogen" (number, name, status word)."""
    if not status_words or not line[:1].isdigit():
        return None
    return _comment_header_pattern(status_words).match(line)


def analyze(text: str, config: CleaningConfig, *, markdown: bool = False, known_title: str | None = None) -> Layout:
    """Find the structure of one document (see the module docstring for the rules).

    Args:
        text: The source text.
        config: Cleaning patterns.
        markdown: The text is Markdown (paragraph joining, ``#`` heading markers).
        known_title: A title given in metadata; a line equal to it is the title line.

    Returns:
        A :class:`Layout` with content blocks, removed spans and metadata found in the text.

    Example:
        >>> from stance.segment.clean import load_cleaning_config
        >>> lay = analyze("All news\\n\\nTitle of it\\n\\nMOSCOW, May 1. /TASS/. It rained.", load_cleaning_config())
        >>> lay.title, lay.dateline, [r[2] for r in lay.removed]
        ('Title of it', 'MOSCOW, May 1. /TASS/.', ['navigation', 'dateline'])
    """
    analysis = _Analysis(text, config, markdown=markdown, known_title=known_title)
    article, thread = analysis.split_thread()
    header_end, title, standfirst = analysis.header(article)
    footer_start = analysis.footer(article, header_end)
    analysis.title_blocks(title, standfirst)
    analysis.body([p for p in article[header_end:footer_start] if p.index not in analysis.removed], standfirst)
    analysis.comments(thread)
    analysis.resolve_speakers()
    analysis.keep_only_content()
    layout = analysis.layout
    layout.blocks.sort(key=lambda b: b.start)
    layout.removed.sort()
    return layout


class _Analysis:
    """The state of :func:`analyze` on one document; one method per zone of the page."""

    def __init__(self, text: str, config: CleaningConfig, *, markdown: bool, known_title: str | None) -> None:
        self.text = text
        self.config = config
        self.markdown = markdown
        self.layout = Layout()
        paras = split_paragraphs(text, markdown=markdown)
        self.headings = {p.index for p in paras if markdown and text.startswith("#", p.start)}
        if markdown:  # heading and quote markers are markup, not text
            paras = [self._strip_markup(p) for p in paras]
        self.paras = paras
        self.line = {p.index: text[p.start : p.end] for p in paras}
        self.removed: dict[int, str] = {}
        self._rules: dict[int, str | None] = {}
        self.known = _norm(known_title) if known_title else None
        self.status = tuple(config.comment_status_words)
        self.transcript = False
        self.has_heads = False
        self.author_lines = False

    def _strip_markup(self, p: Paragraph) -> Paragraph:
        m = _MD_PREFIX.match(self.text, p.start, p.end)
        return Paragraph(m.end(), p.end, p.index, p.indent) if m and m.end() < p.end else p

    def rule(self, p: Paragraph) -> str | None:
        """The configured pattern group or bullet rule a paragraph matches (computed once)."""
        if p.index not in self._rules:
            t = self.line[p.index]
            self._rules[p.index] = self.config.match_line(t) or ("bullet" if is_bullet_only(t) else None)
        return self._rules[p.index]

    def remove(self, p: Paragraph, rule: str) -> None:
        self.removed[p.index] = rule
        self.layout.removed.append((p.start, p.end, rule))

    def is_known_title(self, t: str) -> bool:
        if not self.known or abs(len(t) - len(self.known)) > 40:
            return False
        return _norm(t) == self.known or _norm(t[self.config.title_prefix_length(t) :]) == self.known

    def keep_only_content(self) -> None:
        """Cleaning never removes a document's only content: without any block, restore the
        paragraphs that position-based rules removed (a one-paragraph export without final
        punctuation is the article, not a footer)."""
        if self.layout.blocks:
            return
        restore = sorted(i for i, rule in self.removed.items() if rule in _POSITIONAL_RULES)
        if not restore:
            return
        by_index = {p.index: p for p in self.paras}
        kept = {(by_index[i].start, by_index[i].end) for i in restore}
        self.layout.removed = [r for r in self.layout.removed if (r[0], r[1]) not in kept or r[2] not in _POSITIONAL_RULES]
        for i in restore:
            del self.removed[i]
            p = by_index[i]
            self.layout.blocks.append(Block(self._dateline(p, self.line[i]), p.end, i, "body"))

    def split_thread(self) -> tuple[list[Paragraph], list[Paragraph]]:
        """Article paragraphs and comment-thread paragraphs (from the first comment header on)."""
        heads = [i for i, p in enumerate(self.paras) if _comment_header(self.line[p.index], self.status)]
        stamped = [i for i, p in enumerate(self.paras) if _AUTHOR_TIME.match(self.line[p.index])]
        authored = [(i, _author_line(self.line[p.index])) for i, p in enumerate(self.paras)]
        authored = [(i, a) for i, a in authored if a]
        # Two authors at least: two "X wrote:" lines of one person may be a news report quoting letters.
        self.author_lines = len({a[0] for _, a in authored}) >= 2
        self.has_heads = bool(heads)
        starts = [heads[0]] if heads else [stamped[0]] if len(stamped) >= 2 else []
        starts += [authored[0][0]] if self.author_lines else []
        start = min(starts, default=len(self.paras))
        article = self.paras[:start]
        # A transcript has several turn labels; a single "Name: ..." line is a headline or a sentence.
        self.transcript = _is_transcript([tm for p in article if (tm := _turn_label(self.line[p.index]))])
        return article, self.paras[start:]

    def header(self, article: list[Paragraph]) -> tuple[int, Paragraph | None, list[Paragraph]]:
        """Remove page chrome above the article; find the title, date line and standfirst."""
        line = self.line
        if self.known:
            # With a title from metadata, whatever precedes its line at the top of the page is page chrome.
            for k, p in enumerate(article[:15]):
                if self.is_known_title(line[p.index]):
                    for q in article[:k]:
                        self.remove(q, self.rule(q) or "before_title")
                    break
        runs: dict[int, list[Paragraph]] = {}  # paragraph index -> its run of adjacent lines
        run: list[Paragraph] = []
        for p in article[:40]:
            if run and not _adjacent(self.text, run[-1], p):
                run = []
            run.append(p)
            runs[p.index] = run
        title: Paragraph | None = None
        standfirst: list[Paragraph] = []
        i = 0
        while i < len(article):
            p = article[i]
            t = line[p.index]
            i += 1
            if p.index in self.removed:
                continue
            rule = self.rule(p)
            if rule and not self.is_known_title(t):
                self.remove(p, rule)
                continue
            if title is None:
                run = runs.get(p.index, [p])
                menu = sum(_short_unpunctuated(line[q.index], 4) or q.index in self.removed for q in run)
                if self.is_known_title(t) or (self.markdown and p.index in self.headings):
                    title = p
                elif len(run) >= 3 and menu * 2 >= len(run):
                    self.remove(p, "menu_block")
                elif _short_unpunctuated(t, 3) and _better_title_follows(article, i - 1, line, self.removed):
                    self.remove(p, "header_nav")
                elif _DATELINE.match(t) or (self.transcript and _turn_label(t)) or _ENDS_WITH_PERIOD.search(t):
                    return i - 1, title, standfirst
                elif word_count(t, cap=40) <= 40:
                    title = p
                else:
                    return i - 1, title, standfirst
                continue
            if _DATE_LINE.match(t):
                self.layout.date = self.layout.date or t.strip()
                self.remove(p, "date_line")
                continue
            byline = _BYLINE.match(t)
            if byline:  # "By Dana Whitfield" under the title: who wrote it, not a statement
                self.layout.author = self.layout.author or byline.group("name")
                self.remove(p, "byline")
                continue
            if (
                _DATELINE.match(t)
                or (self.transcript and _turn_label(t))
                or ends_like_sentence(t)
                or t.rstrip().endswith((",", ":", ";"))
            ):
                return i - 1, title, standfirst
            standfirst.append(p)
        return len(article), title, standfirst

    def footer(self, article: list[Paragraph], header_end: int) -> int:
        """Remove the lines after the last one that ends like a sentence; returns where they start."""
        footer_start = len(article)
        for j in range(len(article) - 1, header_end - 1, -1):
            p = article[j]
            if p.index in self.removed:
                continue
            rule = self.rule(p)
            if rule:
                self.remove(p, rule)
            elif ends_like_sentence(self.line[p.index]) or self._spoken_turn(self.line[p.index]):
                break
            else:
                self.remove(p, "footer")
            footer_start = j
        return footer_start

    def _spoken_turn(self, t: str) -> bool:
        """A turn of a transcript whose labels cannot be a book title ("KENNEDY: Thank you")."""
        tm = _turn_label(t) if self.transcript else None
        return tm is not None and tm.kind != "titled"

    def title_blocks(self, title: Paragraph | None, standfirst: list[Paragraph]) -> None:
        """The title (one statement, a prefix such as "Breaking!" cut off) and the standfirst."""
        layout = self.layout
        if title is not None:
            cut = self.config.title_prefix_length(self.line[title.index])
            if cut:
                layout.removed.append((title.start, title.start + cut, "title_prefix"))
            block = Block(title.start + cut, title.end, title.index, "title", whole=True)
            layout.blocks.append(block)
            layout.title = self.text[block.start : block.end]
            layout.title_speaker = title_speaker(layout.title)
        for p in standfirst:
            layout.blocks.append(Block(p.start, p.end, p.index, "title"))

    def _dateline(self, p: Paragraph, t: str) -> int:
        """Record a dateline at the start of a paragraph; returns where the statement text starts."""
        m = _DATELINE.match(t)
        if not m:
            return p.start
        layout = self.layout
        if m.group("dateline"):
            layout.dateline = layout.dateline or m.group("dateline").strip()
            src = m.group("src1") or m.group("src2")
            layout.source = layout.source or (src.strip() if src else None)
            if m.group("date"):
                layout.date = layout.date or m.group("date")
        else:
            layout.dateline = layout.dateline or m.group(0).strip()
            layout.source = layout.source or m.group("src3")
        layout.removed.append((p.start, p.start + m.end(), "dateline"))
        return p.start + m.end()

    def body(self, body: list[Paragraph], standfirst: list[Paragraph]) -> None:
        """Classify the article body: turns, subheadings, attribution lines, duplicates, paragraphs."""
        layout, line = self.layout, self.line
        turn_matches = {p.index: m for p in body if (m := _turn_label(line[p.index]))} if self.transcript else {}
        transcript = _is_transcript(list(turn_matches.values()))
        seen = {_dup_key(line[p.index]) for p in standfirst}  # a standfirst repeated in the body is kept once
        speaker: str | None = None
        turn_no: int | None = None
        opening = layout.title_speaker if transcript else None
        for p in body:
            t = line[p.index]
            rule = self.rule(p)
            if rule:
                self.remove(p, rule)
                continue
            who = attribution_line(t)
            if who and layout.blocks and layout.blocks[-1].section == "body":
                self.remove(p, "attribution_line")
                layout.blocks[-1].quoted_by = who
                continue
            start = self._dateline(p, t)
            if transcript and p.index in turn_matches:
                tm = turn_matches[p.index]
                speaker = tm.name if tm.kind in ("caps", "role") else (clean_name(tm.name) or tm.name)
                turn_no = p.index
                layout.speakers.append((speaker, tm.note, p.start))
                layout.removed.append((p.start, p.start + tm.end, "turn_label"))
                self.content(Block(p.start + tm.end, p.end, p.index, "turn", speaker=speaker, turn=turn_no))
                continue
            if _only_stage_directions(self.text, start, p.end):
                self.remove(p, "stage_direction")
                continue
            if (_short_unpunctuated(t, 8) and not t.rstrip().endswith((",", ":"))) or p.index in self.headings:
                self.remove(p, "subheading")
                continue
            key = _dup_key(self.text[start : p.end])
            if (key.startswith("\x00") or word_count(key, cap=6) >= 6) and key in seen:
                self.remove(p, "duplicate")
                continue
            seen.add(key)
            if speaker is not None:
                self.content(Block(start, p.end, p.index, "turn", speaker=speaker, turn=turn_no))
            elif opening:  # a press conference opens with the statement of the person in the title
                self.content(Block(start, p.end, p.index, "turn", speaker=opening, turn=-1))
            else:
                self.content(Block(start, p.end, p.index, "body"))

    def content(self, block: Block) -> None:
        """Add a content block, cut around stage directions ("(APPLAUSE)"), which are not statements."""
        if block.start >= block.end:
            return
        if self.text.find("(", block.start, block.end) < 0 and self.text.find("[", block.start, block.end) < 0:
            self.layout.blocks.append(block)
            return
        pos = block.start
        for s, e in stage_directions(self.text, block.start, block.end):
            self.layout.removed.append((s, e, "stage_direction"))
            if _ALNUM.search(self.text, pos, s):
                self.layout.blocks.append(dataclasses.replace(block, start=pos, end=s))
            pos = e
        if _ALNUM.search(self.text, pos, block.end):
            self.layout.blocks.append(dataclasses.replace(block, start=pos, end=block.end))

    def resolve_speakers(self) -> None:
        """Give turns the speaker's full name where the transcript introduces it (label kept)."""
        layout = self.layout
        if not layout.speakers:
            return
        names = resolve_speaker_names(self.text, [name for name, _, _ in layout.speakers])
        answers = {name for name, _, _ in layout.speakers if name.lower().strip(". ") in ANSWER_LABELS}
        turns = [b.start for b in layout.blocks if b.section == "turn"]
        person = interviewee(self.text[: min(turns)], lambda n: person_tokens(n) is not None) if answers and turns else None
        if person:  # "A:" answers in an interview that names one person: theirs
            names.update({name: person for name in answers})
        for block in layout.blocks:
            if block.section == "turn" and block.turn != -1 and block.speaker in names:
                block.speaker_label = block.speaker
                block.speaker = names[block.speaker]
        layout.speakers = [(names.get(name, name), role, pos) for name, role, pos in layout.speakers]

    def comments(self, thread: list[Paragraph]) -> None:
        """Comments: author and time from header lines, nesting from indentation (ids "1", "1.1", ...)."""
        stack: list[tuple[int, str]] = []  # (indent, comment id)
        current: dict[str, str | None] | None = None
        counter = 0
        last_by: dict[str, str] = {}  # author → their latest comment id, for "@author" replies
        for p in thread:
            t = self.line[p.index]
            author = _author_line(t) if self.author_lines else None
            if author:
                counter += 1
                current = {"comment_id": str(counter), "reply_to": None, "comment_author": author[0],
                           "comment_time": author[1]}
                last_by[author[0].lstrip("@").lower()] = str(counter)
                self.remove(p, "comment_header")
                continue
            mention = _MENTION.match(t)
            if mention and current is not None and current.get("reply_to") is None and self.author_lines:
                current["reply_to"] = last_by.get(mention.group("name").lower())
            head = _comment_header(t, self.status)
            stamp = _AUTHOR_TIME.match(t)
            if head or (stamp and (current is None or current.get("comment_time") is not None or not self.has_heads)):
                counter += 1
                num = head.group("num") if head else str(counter)
                while stack and stack[-1][0] >= p.indent:
                    stack.pop()
                parent = stack[-1][1] if stack else None
                cid = f"{parent}.{num}" if parent else num
                stack.append((p.indent, cid))
                current = {"comment_id": cid, "reply_to": parent, "comment_author": None, "comment_time": None}
                if head:
                    current["comment_author"] = head.group("name").strip()
                    self.remove(p, "comment_header")
                    continue
            if stamp and current is not None and current.get("comment_time") is None:
                author = re.sub(r"\s*\([^)]*\)\s*$", "", stamp.group("author")).strip()
                current["comment_author"] = author or current["comment_author"]
                current["comment_time"] = _normalise_time(stamp.group("time"))
                self.remove(p, "comment_header")
                continue
            rule = self.rule(p)
            if rule:
                self.remove(p, rule)
                continue
            if current is None:
                self.remove(p, "comment_orphan")
                continue
            self.layout.blocks.append(Block(p.start, p.end, p.index, "comment", **current))


def _author_line(line: str) -> tuple[str, str | None] | None:
    """The author of a comment and its time, if given, from an author line ("mike_r wrote:"), or ``None``."""
    m = _AUTHOR_LINE.match(line)
    if not m:
        return None
    when = m.group("time1") or m.group("time2")
    return (m.group("by") or m.group("author")).strip(), _normalise_time(when) if when else None


def _is_transcript(labels: list[TurnLabel]) -> bool:
    """Whether turn labels make a transcript: at least two, and someone speaks twice, a role
    label (Q:, QUESTION:) takes part, or the labels give full names ("Jane Roe, minister:").
    Run-in headlines in capitals ("HUFFPOLLSTER: ...", "UN: ...") each appear once, so a news
    article with two of them is not a conversation."""
    if len(labels) < 2:
        return False
    names = [label.name.lower() for label in labels]
    if len(set(names)) < len(names) or any(label.is_role for label in labels):
        return True
    return sum(1 for label in labels if label.kind != "caps") >= 2


def _only_stage_directions(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds nothing but stage directions ("(APPLAUSE)")."""
    if text[start : start + 1] not in ("(", "["):
        return False
    pos = start
    for s, e in stage_directions(text, start, end):
        if text[pos:s].strip():
            return False
        pos = e
    return pos > start and not text[pos:end].strip()


def _better_title_follows(article: list[Paragraph], i: int, line: dict[int, str], removed: dict[int, str]) -> bool:
    """Whether a headline-like line with more words comes after the short line ``article[i]``."""
    words = word_count(line[article[i].index], cap=64)
    for p in article[i + 1 : i + 6]:
        if p.index in removed:
            continue
        t = line[p.index]
        if _DATELINE.match(t) or _turn_label(t) or _ENDS_WITH_PERIOD.search(t) or _DATE_LINE.match(t):
            return False
        if word_count(t, cap=words) > words:
            return True
    return False


def _adjacent(text: str, a: Paragraph, b: Paragraph) -> bool:
    """Whether two paragraphs sit on consecutive lines (no blank line between them)."""
    return text.count("\n", a.end, b.start) <= 1


def _turn_label(t: str) -> TurnLabel | None:
    """A transcript turn label at the start of a paragraph (see :mod:`stance.segment.transcripts`)."""
    return turn_label(t)
