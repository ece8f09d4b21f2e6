"""Holder attribution on real news (PolNeAR) and speaker attribution on debate transcripts (ElecDeb).

Run::

    python benchmarks/attribution.py --polnear ../shared/benchmarks/polnear-attribution \\
        --debates ../shared/benchmarks/elecdeb-debates [--split train|dev] [--limit N] [--json OUT]

PolNeAR (the metric of its ``SOURCE.md``): each article is segmented as a plain ``.txt``
document; each statement takes the gold attribution whose Content spans overlap it most. When
that overlap covers at least 40 % of the statement's characters the statement is attributed
and its Source is the gold holder, otherwise it is the outlet's own narrative. Sources fall in
two categories:

- *named*: the Source names someone (a capitalised word other than a leading determiner or
  pronoun, e.g. "Hillary Clinton", "the State Department", "a spokesman for Clinton"); right
  when the predicted holder shares a name word (a capitalised word of the Source) with it;
- *pronoun or descriptive* ("she", "the former secretary of state", "officials"): right "to a
  person" when the statement is not given to the outlet; right "to the right person" when the
  holder shares a name word with the nearest named gold Source before it in the article (the
  nearest after it when there is none before): PolNeAR has no coreference links, so this is
  the reading a careful reader gives in most news prose, an approximation of the referent.
  First- and second-person sources ("I", "we") and indefinite descriptions ("a spokesman",
  "another New Hampshire Democrat") count only "to a person": their referent is never the
  nearest named Source (the writer, the quoted speaker, someone the article does not name). The
  right-person rate with indefinite descriptions counted, the first passes' definition, is
  printed beside it.

Narrative statements are right when given to the outlet (``holder_type == "author"``).

Debates: every statement that starts inside a ``NAME:`` turn is right when its speaker (the
``speaker`` field where the segmenter sets one, else the holder of a ``speaker`` statement)
contains the label's word ("KENNEDY" → "John F. Kennedy").

It also counts statements that are only a title abbreviation ("Mr.", "Sen.") and statements
whose offsets do not give back their text, and prints MB/s of segmentation over both corpora
(wall clock and process CPU time, which a loaded machine distorts less).

``STANCE_ATTRIBUTION=parser`` measures the parser mode (spaCy where the rules run out); the
default is rules alone.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stance.io import write_json  # noqa: E402
from stance.segment import Document, segment_document  # noqa: E402

TITLE_ONLY = re.compile(r"^\W*(?:Mr|Mrs|Ms|Messrs|Dr|Sen|Gov|Rep|Gen|Lt|Col|Capt|Prof|Rev|Sgt|Adm|Pres|Hon|St|Jr|Sr)\.?\W*$")
PRONOUNS = {
    "i", "me", "we", "us", "you", "he", "him", "she", "her", "it", "they", "them", "one",
    "his", "hers", "its", "their", "theirs", "our", "my", "your", "who", "whom", "which", "that",
    "this", "these", "those", "someone", "somebody", "everyone", "everybody", "anyone", "nobody", "people",
}  # fmt: skip
DETERMINERS = {
    "the", "a", "an", "his", "her", "their", "its", "our", "my", "your", "this", "that", "these",
    "those", "some", "many", "most", "several", "one", "two", "three", "both", "all", "other",
    "another", "each", "few", "no", "such", "former", "top", "senior", "many", "more",
}  # fmt: skip
# First- and second-person sources ("I said", "we believe", "as you know") refer to the writer, a
# quoted speaker or the reader, never to the nearest named source: "right person" cannot be read
# from PolNeAR for them (it has no coreference links), so they count only "to a person".
FIRST_SECOND = {"i", "me", "my", "we", "us", "our", "you", "your", "i’ve", "we’ve", "i've", "we've", "i’m", "i'm"}
# Indefinite descriptions ("a spokesman", "an ICE spokeswoman", "another New Hampshire Democrat",
# "one senior official") introduce someone the article does not name: the nearest named Source
# before them is not their referent, so they count only "to a person", like first/second person.
INDEFINITE = re.compile(r"(?i)^\W*(?:a|an|another|one)\s+(?!of\b)")
WORD = re.compile(r"[A-Za-z][\w'’.-]*")
TURN = re.compile(r"^([A-Z][A-Z .'’-]*[A-Z])\s*:", re.MULTILINE)


@dataclass
class Attribution:
    source: str  # the Source text ("" when the attribution has none)
    source_start: int
    content: list[tuple[int, int]]


@dataclass
class Tally:
    counts: Counter = field(default_factory=Counter)
    misses: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, ok: bool, example: str | None = None) -> None:
        self.counts[key + "_n"] += 1
        self.counts[key + "_ok"] += int(ok)
        if not ok and example is not None:
            self.misses.setdefault(key, []).append(example)

    def rate(self, key: str) -> float:
        n = self.counts[key + "_n"]
        return self.counts[key + "_ok"] / n if n else float("nan")


def _spans(field_text: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in (part.split() for part in field_text.split(";"))]


def read_ann(path: Path) -> list[Attribution]:
    """The attributions of one brat ``.ann`` file: Source text and Content spans per ``E`` line."""
    spans: dict[str, tuple[str, list[tuple[int, int]], str]] = {}
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.startswith("T") and len(parts) >= 2:
            kind, _, where = parts[1].partition(" ")
            spans[parts[0]] = (kind, _spans(where), parts[2] if len(parts) > 2 else "")
        elif line.startswith("E") and len(parts) >= 2:
            events.append(dict(arg.split(":", 1) for arg in parts[1].split()))
    out = []
    for event in events:
        content = spans.get(event.get("Content", ""))
        if not content:
            continue
        source = spans.get(event.get("Source", ""))
        out.append(Attribution(source[2] if source else "", source[1][0][0] if source else -1, content[1]))
    return out


def source_category(source: str) -> str:
    """``named``, ``descriptive`` (pronoun or description) or ``none`` for a gold Source text."""
    words = WORD.findall(source)
    if not words:
        return "none"
    if len(words) <= 2 and words[-1].lower() in PRONOUNS:
        return "descriptive"
    if words[0][0].isupper() and words[0].lower() not in DETERMINERS | PRONOUNS:
        return "named"
    return "named" if words[-1][0].isupper() else "descriptive"


# Capitalised titles, roles and parties are not names: "Republican presidential candidate Donald
# Trump" must not match a holder "Republicans", nor "President Obama" a holder "the president".
ROLE_WORDS = {
    "president", "former", "secretary", "sen", "senator", "gov", "governor", "rep", "representative",
    "mr", "mrs", "ms", "dr", "democratic", "democrat", "democrats", "republican", "republicans", "gop",
    "presidential", "candidate", "nominee", "frontrunner", "front-runner", "speaker", "majority",
    "minority", "leader", "vice", "chairman", "chairwoman", "chair", "u.s", "us", "attorney", "general",
    "press", "spokesman", "spokeswoman", "director", "executive", "chief", "adviser", "advisor",
}  # fmt: skip


def name_words(source: str) -> set[str]:
    """The capitalised words of a Source, lower-cased, possessive ``'s`` removed; titles and roles
    ("Sen.", "Republican", "President") only when the Source has no other capitalised word."""
    out = set()
    for w in WORD.findall(source):
        w = re.sub(r"['’]s$", "", w).strip(".")
        if w[:1].isupper() and w.lower() not in DETERMINERS | PRONOUNS and len(w) > 1:
            out.add(w.lower())
    return (out - ROLE_WORDS) or out


def holder_words(holder: str) -> set[str]:
    return {re.sub(r"['’]s$", "", w).strip(".").lower() for w in WORD.findall(holder or "")}


def _overlap(a: int, b: int, spans: list[tuple[int, int]]) -> int:
    return sum(max(0, min(b, e) - max(a, s)) for s, e in spans)


def check_offsets(text: str, statements: list) -> int:
    return sum(1 for s in statements if text[s.start : s.end] != s.text)


def polnear(root: Path, split: str, limit: int | None, tally: Tally) -> tuple[int, float, float, int, int]:
    """Score one split; returns (bytes, wall s, CPU s of segmentation, title-only count, offset errors)."""
    texts = sorted((root / split / "text").glob("*.txt"))[:limit]
    size = seconds = cpu = 0.0
    title_only = bad_offsets = 0
    for path in texts:
        anns = sorted((root / split / "attributions").glob(f"{path.stem}_*.ann"))
        if not anns:
            continue
        gold = read_ann(anns[0])
        text = path.read_text(encoding="utf-8")
        size += len(text.encode("utf-8"))
        t0, c0 = time.perf_counter(), time.process_time()
        statements = segment_document(Document(path.stem, text, str(path))).statements
        seconds += time.perf_counter() - t0
        cpu += time.process_time() - c0
        bad_offsets += check_offsets(text, statements)
        named = sorted((a.source_start, a.source) for a in gold if source_category(a.source) == "named")
        for s in statements:
            title_only += bool(TITLE_ONLY.match(s.text))
            length = max(1, s.end - s.start)
            best, best_overlap = None, 0
            for a in gold:
                ov = _overlap(s.start, s.end, a.content)
                if ov > best_overlap:
                    best, best_overlap = a, ov
            example = f"{path.stem} [{s.holder} / {s.holder_type}] {s.text[:100]!r}"
            if best is None or best_overlap < 0.4 * length:
                tally.add("narrative", s.holder_type == "author", example)
                continue
            category = source_category(best.source)
            if category == "none":
                tally.add("no_source_given_to_outlet", s.holder_type == "author")
                continue
            example += f" gold={best.source!r}"
            predicted = holder_words(s.holder) if s.holder_type != "author" else set()
            if category == "named":
                tally.add("named", bool(predicted & name_words(best.source)), example)
                continue
            tally.add("descriptive_person", s.holder_type != "author", example)
            if {w.lower() for w in WORD.findall(best.source)} <= FIRST_SECOND:
                tally.add("first_second_person", s.holder_type != "author")
                continue
            before = [src for pos, src in named if pos < best.source_start]
            after = [src for pos, src in named if pos > best.source_start]
            referent = before[-1] if before else (after[0] if after else "")
            right = bool(predicted & name_words(referent))
            tally.add("descriptive_right_with_indefinite", right)
            if INDEFINITE.match(best.source):
                tally.add("indefinite", s.holder_type != "author")
                continue
            tally.add("descriptive_right", right, example + f" ref={referent!r}")
    return int(size), seconds, cpu, title_only, bad_offsets


def _speaker(statement) -> str | None:
    speaker = getattr(statement, "speaker", None)
    if speaker:
        return speaker
    return statement.holder if statement.holder_type == "speaker" else None


def debates(root: Path, limit: int | None, tally: Tally) -> tuple[int, float, float, int, int]:
    """Speaker accuracy on the debate transcripts; returns like :func:`polnear`."""
    texts = sorted((root / "debates").glob("*.txt"))[:limit]
    size = seconds = cpu = 0.0
    title_only = bad_offsets = 0
    for path in texts:
        text = path.read_text(encoding="utf-8")
        size += len(text.encode("utf-8"))
        turns = [(m.end(), m.group(1)) for m in TURN.finditer(text)]
        t0, c0 = time.perf_counter(), time.process_time()
        statements = segment_document(Document(path.stem, text, str(path))).statements
        seconds += time.perf_counter() - t0
        cpu += time.process_time() - c0
        bad_offsets += check_offsets(text, statements)
        starts = [pos for pos, _ in turns]
        k = 0
        for s in statements:
            title_only += bool(TITLE_ONLY.match(s.text))
            while k + 1 < len(starts) and starts[k + 1] <= s.start:
                k += 1
            if not turns or s.start < starts[0]:
                continue
            label = turns[k][1]
            predicted = holder_words(_speaker(s) or "")
            ok = bool(set(label.lower().replace("’", "'").split()) & predicted)
            tally.add("speaker", ok, f"{path.stem} {label} → [{_speaker(s)}] {s.text[:80]!r}")
    return int(size), seconds, cpu, title_only, bad_offsets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", type=Path, required=True, help="folder polnear-attribution/")
    parser.add_argument("--debates", type=Path, required=True, help="folder elecdeb-debates/")
    parser.add_argument("--split", choices=["train", "dev"], default="train")
    parser.add_argument("--limit", type=int, default=None, help="only the first N documents of each corpus")
    parser.add_argument("--misses", type=int, default=0, help="print N missed examples per category")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    parser.add_argument("--no-debates", action="store_true", help="skip the debates (faster news iterations)")
    args = parser.parse_args()
    tally = Tally()
    figures: dict[str, float | int | str] = {}
    p_size, p_sec, p_cpu, p_title, p_bad = polnear(args.polnear, args.split, args.limit, tally)
    if args.no_debates:
        d_size, d_sec, d_cpu, d_title, d_bad = 0, 0.0, 0.0, 0, 0
    else:
        d_size, d_sec, d_cpu, d_title, d_bad = debates(args.debates, args.limit, tally)
    rows = [
        ("named sources", "named", 0.90),
        ("pronoun/descriptive: to a person", "descriptive_person", 0.90),
        ("pronoun/descriptive: right person", "descriptive_right", 0.75),
        ("narrative", "narrative", 0.95),
        ("debate speakers", "speaker", 0.99),
    ]
    mode = os.environ.get("STANCE_ATTRIBUTION", "rules")
    figures["mode"] = mode  # type: ignore[assignment]
    print(f"PolNeAR {args.split} split, ElecDeb debates, attribution mode: {mode}")
    print(f"{'category':38} {'accuracy':>9} {'n':>7} {'target':>7}")
    for name, key, target in rows:
        figures[key] = round(tally.rate(key), 4)
        figures[key + "_n"] = tally.counts[key + "_n"]
        print(f"{name:38} {tally.rate(key):9.1%} {tally.counts[key + '_n']:7d} {target:7.0%}")
    mean = sum(figures[k] for k in ("named", "descriptive_person", "narrative")) / 3
    figures.update(
        mean_three=round(mean, 4),
        title_only=p_title + d_title,
        offset_errors=p_bad + d_bad,
        polnear_mb_s=round(p_size / 1e6 / p_sec, 3),
        debates_mb_s=round(d_size / 1e6 / d_sec, 3) if d_sec else float("nan"),
        mb_s=round((p_size + d_size) / 1e6 / (p_sec + d_sec), 3),
        cpu_mb_s=round((p_size + d_size) / 1e6 / (p_cpu + d_cpu), 3),
        polnear_cpu_mb_s=round(p_size / 1e6 / p_cpu, 3),
    )
    print(f"mean of named, to-a-person and narrative: {mean:.1%}")
    print(f"attributions without a source (given to the outlet): {tally.rate('no_source_given_to_outlet'):.1%}")
    print(
        f"first/second-person sources (I, we, you; in 'to a person', not in 'right person'): "
        f"{tally.counts['first_second_person_n']}, {tally.rate('first_second_person'):.1%} given to a person"
    )
    figures["first_second_person_n"] = tally.counts["first_second_person_n"]
    print(
        f"indefinite descriptions (a/an/another/one ...; in 'to a person', not in 'right person'): "
        f"{tally.counts['indefinite_n']}, {tally.rate('indefinite'):.1%} given to a person; right person "
        f"counting them as the first two passes did: {tally.rate('descriptive_right_with_indefinite'):.1%}"
    )
    figures["indefinite_n"] = tally.counts["indefinite_n"]
    figures["descriptive_right_with_indefinite"] = round(tally.rate("descriptive_right_with_indefinite"), 4)
    print(f"statements that are only a title abbreviation: {p_title + d_title} (target 0)")
    print(f"statements whose offsets do not give back their text: {p_bad + d_bad}")
    print(
        f"segmentation speed: {figures['mb_s']:.3f} MB/s "
        f"(PolNeAR {figures['polnear_mb_s']:.3f}, debates {figures['debates_mb_s']:.3f}); "
        f"CPU time: {figures['cpu_mb_s']:.3f} MB/s (PolNeAR {figures['polnear_cpu_mb_s']:.3f})"
    )
    for key, examples in tally.misses.items():
        for example in examples[: args.misses]:
            print(f"miss {key}: {example}")
    if args.json:
        write_json(args.json, figures)


if __name__ == "__main__":
    main()
