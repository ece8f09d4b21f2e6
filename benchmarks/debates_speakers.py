"""Speaker accuracy of `stance segment` on debate transcripts (ElecDeb60to20 format), and title-only statements.

Run: ``.venv/bin/python benchmarks/debates_speakers.py --debates ../shared/benchmarks/elecdeb-debates``

Gold comes from the files' own structure, read independently of the segmenter: every line
that starts with a speaker label (``NAME:``, ``NAME_(note):``) opens a turn, and a line
without one continues the turn before it. A statement is counted when it starts inside a
labelled turn's text; it is right when its ``speaker`` field names the same person as the
label: the label's last word (notes in brackets dropped) equals the speaker's last word,
case and underscores ignored ("KENNEDY" = "John F. Kennedy", "AUDIENCE_QUESTION" =
"Audience Question").

``speaker_accuracy(statements, source)`` is importable (benchmarks/attribution.py uses it).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# The gold label of a line: the corpus's own convention, kept apart from the segmenter's rules.
_GOLD_LABEL = re.compile(r"^(?:\([A-Z]+\)_?)?(?P<label>[A-Za-z][A-Za-z_'’.\- ]{0,40}?)(?:_?\([^)]*\))?[:;]\s")
# Title abbreviations that must never be a statement of their own.
TITLE_ONLY = re.compile(
    r"^(?:Mr|Mrs|Ms|Mx|Dr|Sen|Gov|Rep|Gen|Lt|Col|Capt|Sgt|Prof|Rev|Hon|Pres|Sr|Jr|St|Adm|Maj|Cmdr|Gov)\.?$"
)


def _last_word(name: str) -> str:
    name = re.sub(r"\([^)]*\)", " ", name.replace("_", " "))
    words = re.findall(r"[A-Za-z'’-]+", name)
    return words[-1].lower() if words else ""


def gold_turns(source: str) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` of the text of each labelled line, continuation lines included."""
    turns: list[tuple[int, int, str]] = []
    pos = 0
    for line in source.splitlines(keepends=True):
        m = _GOLD_LABEL.match(line)
        if m:
            turns.append((pos + m.end(), pos + len(line), m.group("label")))
        elif turns and turns[-1][1] == pos and line.strip():
            s, _, label = turns[-1]
            turns[-1] = (s, pos + len(line), label)
        pos += len(line)
    return turns


def speaker_accuracy(statements: Iterable[Any], source: str) -> tuple[int, int, list[tuple[str, str, str]]]:
    """Right and counted statements of one transcript, and the misses.

    Args:
        statements: Statement records (objects or dicts with ``start``, ``text``, ``speaker``).
        source: The transcript's text (statement offsets point into it).

    Returns:
        ``(right, counted, misses)``; each miss is ``(gold label, speaker, text)``.
    """
    import bisect

    turns = gold_turns(source)
    starts = [t[0] for t in turns]
    right = counted = 0
    misses: list[tuple[str, str, str]] = []
    for st in statements:
        get = st.get if isinstance(st, dict) else lambda k, _s=st: getattr(_s, k)
        k = bisect.bisect_right(starts, get("start")) - 1
        if k < 0 or get("start") >= turns[k][1]:
            continue
        counted += 1
        label, speaker = turns[k][2], get("speaker") or ""
        if _last_word(label) == _last_word(speaker):
            right += 1
        else:
            misses.append((label, speaker, get("text")[:80]))
    return right, counted, misses


def title_only(statements: Iterable[Any]) -> list[str]:
    """Statements that are nothing but a title abbreviation ("Mr.", "Sen.")."""
    out = []
    for st in statements:
        text = st["text"] if isinstance(st, dict) else st.text
        if TITLE_ONLY.match(text.strip()):
            out.append(text)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debates", type=Path, required=True, help="the elecdeb-debates folder (or its debates/)")
    parser.add_argument("--show", type=int, default=10, help="misses to print (default 10)")
    args = parser.parse_args()
    from stance.segment import iter_segmented

    folder = args.debates / "debates" if (args.debates / "debates").is_dir() else args.debates
    files = sorted(folder.glob("*.txt"))
    right = counted = size = 0
    misses: list[tuple[str, str, str]] = []
    titles: list[str] = []
    per_label: Counter[str] = Counter()
    started = time.perf_counter()
    for seg in iter_segmented(files):
        source = seg.document.text
        size += len(source.encode("utf-8"))
        assert all(source[s.start : s.end] == s.text for s in seg.statements), seg.document.doc_id
        r, c, m = speaker_accuracy(seg.statements, source)
        right, counted = right + r, counted + c
        misses += [(seg.document.doc_id, *x) for x in m]
        per_label.update(f"{g} -> {s}" for _, g, s, _ in [(seg.document.doc_id, *x) for x in m])
        titles += title_only(seg.statements)
    seconds = time.perf_counter() - started
    print(f"debates: {len(files)} transcripts, {size / 1e6:.1f} MB, {seconds:.1f} s ({size / 1e6 / seconds:.2f} MB/s)")
    print(f"speaker accuracy: {right}/{counted} = {right / max(counted, 1):.4f} of statements inside turns")
    print(f"title-only statements: {len(titles)} {Counter(titles).most_common(8)}")
    for label_pair, n in per_label.most_common(args.show):
        print(f"  miss x{n}: {label_pair}")
    for doc, gold, got, text in misses[: args.show]:
        print(f"  {doc}: gold {gold!r} got {got!r}: {text!r}")


if __name__ == "__main__":
    main()
