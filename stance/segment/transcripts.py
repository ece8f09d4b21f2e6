"""Transcripts, recognised by their structure: speaker-turn labels, stage directions, speakers' full names.

Turn labels at the start of a paragraph, in the formats transcripts use:

- ``KENNEDY:``, ``SUSAN ROOK (CNN):``, ``GOVERNOR_CLINTON_(continuing):`` (debates, hearings:
  names in capitals);
- ``Q:`` / ``A:``, ``Question:`` / ``Answer:``, ``MODERATOR:`` (role labels, not people);
- ``Sen. Elizabeth Warren (D-Mass.):`` (a name with party and state);
- ``Sergey Lavrov, Russian Minister for Foreign Affairs:`` (a name with titles and outlet);
- ``[Jane Smith]`` (a bracketed name).

Stage directions such as ``(APPLAUSE)``, ``(CROSSTALK)`` or ``[laughter]`` are not statements.
A label that gives a surname only (``KENNEDY``) resolves to the full name where the
transcript introduces it ("Senator John F. Kennedy" → "John F. Kennedy").

No rule names a person, outlet or document: the patterns are about shape only.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = [
    "ROLE_LABELS",
    "TurnLabel",
    "is_role_label",
    "resolve_speaker_names",
    "stage_directions",
    "turn_label",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

# Labels that name a role in the conversation, not a person.
ROLE_LABELS = frozenset(
    {
        "q",
        "a",
        "question",
        "answer",
        "moderator",
        "host",
        "interviewer",
        "journalist",
        "reporter",
        "audience",
        "audience question",
        "audience member",
        "member of audience",
        "member of the audience",
        "questioner",
        "panelist",
        "panellist",
        "announcer",
        "narrator",
        "participant",
        "speaker",
        "unidentified male",
        "unidentified female",
        "unidentified speaker",
        "unknown",
        "voice",
        "crowd",
        "male",
        "female",
    }
)
# Capitalised words at the start of a line that are page furniture, not speakers.
_NOT_SPEAKERS = frozenset(
    {
        "note",
        "editor's note",
        "editor’s note",
        "update",
        "updated",
        "breaking",
        "breaking news",
        "exclusive",
        "watch",
        "video",
        "photo",
        "correction",
        "source",
        "sources",
        "read more",
        "related",
        "tags",
        "topics",
        "warning",
        "disclaimer",
        "advertisement",
        "transcript",
        "summary",
        "background",
        "context",
        "analysis",
        "opinion",
        "live",
        "ps",
        "p.s",
        "faq",
    }
)
# Titles and role words in front of a name ("Senator John F. Kennedy", "Vice President George Bush").
_TITLE_WORDS = frozenset(
    """mr mrs ms miss mister dr sir madam dame lord lady sen senator gov governor president vice
    congressman congresswoman congressperson rep representative secretary judge justice mayor
    general gen admiral ambassador speaker minister prime chairman chairwoman chair professor prof
    reverend rev father sister brother colonel col captain lieutenant major sergeant commissioner
    attorney former candidate nominee republican democrat democratic independent the and thank
    thanks dear hello welcome now well yes no but so then tonight today our my your his her
    moderator host anchor correspondent""".split()
)

_CAPS_TOKEN = r"(?:Mc|Mac)?[A-Z][A-Z'’.\-]*[A-Z.]|[A-Z]"
_CAPS_LABEL = re.compile(
    rf"(?:[(\[][^)\]\n]{{1,30}}[)\]][ _]*)?"  # a stage direction run into the label: "(CROSSTALK) NAME:"
    rf"(?P<name>(?:{_CAPS_TOKEN})(?:[ _](?:{_CAPS_TOKEN})){{0,3}})"
    r"(?:[ _]*\((?P<note>[^()\n]{1,40})\))?_?\s*:(?:\s+|$)"
)
_ROLE_LABEL = re.compile(r"(?P<name>Q|A|Question|Answer|Moderator|Host|Interviewer)\s*:(?:\s+|$)")
_NAME = r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}"
_PARTY_LABEL = re.compile(
    rf"(?P<name>{_NAME})\s*\((?P<note>(?:[A-Z][a-z]{{0,3}}\.?)[-–](?:[A-Z][A-Za-z.]{{1,14}}))\)\s*:(?:\s+|$)"
)
_BRACKET_LABEL = re.compile(rf"\[(?P<name>{_NAME})\]\s*:?(?:\s+|$)")
# "Sergey Lavrov, Russian Minister for Foreign Affairs:": a name, then titles or an outlet.
_TITLED_LABEL = re.compile(
    rf"(?P<label>(?P<name>{_NAME})(?P<note>(?:,\s*[^,:\"“”\n]{{2,60}}){{0,3}})):\s+(?=\S)"
)
_STAGE_WORDS = (
    r"applause|laughter|laughs|laughing|crosstalk|cross-talk|cross talk|inaudible|unintelligible"
    r"|cheers|cheering|booing|boos|music|silence|pause|commercial break|break|off mic|off-mic|off mike"
    r"|begin video clip|end video clip|video clip|audio clip|audio gap|bell rings|bell|buzzer|beep"
    r"|coughs|sighs|gavel|recess|technical difficulties"
)
_STAGE = re.compile(rf"[(\[](?i:{_STAGE_WORDS})[.!]?(?:[ ,;]+[^)\]\n]{{0,40}})?[)\]]")
_TITLE_CASE_TOKEN = re.compile(r"(?:[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?|[A-Z]\.|(?:Mr|Mrs|Ms|Dr|Sen|Gov|Rep|Gen)\.)")
_BEFORE_SURNAME = re.compile(rf"(?:(?:{_TITLE_CASE_TOKEN.pattern})\s+){{1,4}}$")


@dataclass(frozen=True)
class TurnLabel:
    """A turn label at the start of a paragraph.

    Attributes:
        end: Offset (in the paragraph) where the turn's text starts.
        label: The label as written, without the colon ("KENNEDY", "Q", "Sen. Jane Roe (D-Ore.)").
        name: The speaker's name or role, titles removed ("KENNEDY", "Q", "Jane Roe").
        note: Text after the name: party and state, titles, outlet ("D-Ore.", "CNN").
        kind: ``caps``, ``role``, ``party``, ``bracket`` or ``titled``.
    """

    end: int
    label: str
    name: str
    note: str
    kind: str

    @property
    def is_role(self) -> bool:
        """Whether the label names a role ("Question", "MODERATOR"), not a person."""
        return is_role_label(self.name)


def is_role_label(name: str) -> bool:
    """Whether a speaker label names a role in the conversation, not a person.

    Example:
        >>> is_role_label("AUDIENCE_QUESTION"), is_role_label("KENNEDY")
        (True, False)
    """
    return _key(name) in ROLE_LABELS


def _key(name: str) -> str:
    return " ".join(name.replace("_", " ").lower().split())


def _is_title(token: str) -> bool:
    return all(part in _TITLE_WORDS for part in re.split(r"[-‐]", token.lower().rstrip(".")) if part)


def _strip_titles(tokens: list[str]) -> list[str]:
    """Drop titles and role words in front of a name, and anything before the last of them
    ("U. S. Senator John F. Kerry" → "John F. Kerry", "Vice-President Bush" → "Bush")."""
    for i in range(len(tokens) - 2, -1, -1):
        if _is_title(tokens[i]):
            return tokens[i + 1 :]
    return tokens


def turn_label(line: str) -> TurnLabel | None:
    """The turn label at the start of a paragraph, or ``None``.

    Args:
        line: One paragraph.

    Example:
        >>> turn_label("KENNEDY: Mr. Smith, Mr. Nixon.").name
        'KENNEDY'
        >>> turn_label("Sen. Jane Roe (D-Ore.): Thank you, Mr. Chairman.").name
        'Jane Roe'
        >>> turn_label("Q: Will the talks resume?").is_role
        True
        >>> turn_label("Note: prices may vary.") is None
        True
    """
    for kind, pattern in (("role", _ROLE_LABEL), ("caps", _CAPS_LABEL), ("party", _PARTY_LABEL),
                          ("bracket", _BRACKET_LABEL), ("titled", _TITLED_LABEL)):
        m = pattern.match(line)
        if not m:
            continue
        raw = m.group("name")
        if _key(raw) in _NOT_SPEAKERS:
            return None
        note = (m.groupdict().get("note") or "").strip(" ,")
        if kind == "caps" and raw[-1:] == "." and " " not in raw:  # "U.S.:" is not a speaker
            continue
        tokens = _strip_titles(raw.replace("_", " ").split())
        name = " ".join(tokens)
        if kind == "titled" and not is_role_label(name):
            # One name word is a label only behind an honorific ("Ms. Okafor:", "Senator Brooks:"),
            # as hearing transcripts write witnesses; else "Update:" would be a speaker.
            one_titled = len(tokens) == 1 and not note and _honorific_before(raw.split())
            if (len(tokens) < 2 and not one_titled) or len(m.group("label").split()) > 14 \
                    or _run_in_headline(raw, note):
                continue
        label = line[: m.end()].rstrip().rstrip(":").rstrip()
        return TurnLabel(m.end(), label, name, note, kind)
    return None


_HONORIFICS = frozenset(
    """mr mrs ms miss dr sen senator rep representative gov governor congressman congresswoman
    chairman chairwoman judge justice mayor secretary ambassador professor prof""".split()
)


def _honorific_before(words: list[str]) -> bool:
    """Whether the label's words are an honorific and one name ("Ms. Okafor", "Senator Brooks")."""
    return (len(words) == 2 and words[0].rstrip(".").lower() in _HONORIFICS and words[1][:1].isupper()
            and words[1].rstrip(".").lower() not in _TITLE_WORDS)  # "Mr. President:" addresses, not a name


def _run_in_headline(name: str, note: str) -> bool:
    """A headline run into a quote ("STATE'S VOTERS FAVOR X, BUT Y - Jane Roe: ..."), not a label."""
    if re.search(r"\s[-–—]\s", note):
        return True
    words = name.split()
    return name.isupper() and (len(words) > 3 or any(w.endswith(("'S", "’S")) for w in words))


def stage_directions(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Offsets of stage directions ("(APPLAUSE)", "[laughter]", "(CROSSTALK)") in ``text[start:end]``.

    Example:
        >>> t = "We will win. (APPLAUSE) Thank you."
        >>> [t[s:e] for s, e in stage_directions(t, 0, len(t))]
        ['(APPLAUSE)']
    """
    return [(m.start(), m.end()) for m in _STAGE.finditer(text, start, end)]


def resolve_speaker_names(text: str, names: Iterable[str]) -> dict[str, str]:
    """Full names for speaker labels, where the transcript introduces them.

    A label in capitals ("KENNEDY", "SUSAN ROOK") is matched to the names the text writes in
    running prose with the same surname ("Senator John F. Kennedy", "Kennedy"): the most
    frequent full form with a given name wins (titles and role words removed), else the
    surname as the text spells it ("McGee"), else the label in title case. Role labels stay
    roles ("QUESTION" → "Question"); names already in mixed case are kept.

    Args:
        text: The whole transcript.
        names: The ``name`` of each turn label.

    Returns:
        Label name → speaker name.

    Example:
        >>> t = "LEHRER: Good evening. I'm Jim Lehrer. Senator John F. Kennedy and Mr. Nixon are here.\\nKENNEDY: Thank you."
        >>> resolve_speaker_names(t, ["LEHRER", "KENNEDY", "QUESTION", "NIXON"])
        {'LEHRER': 'Jim Lehrer', 'KENNEDY': 'John F. Kennedy', 'QUESTION': 'Question', 'NIXON': 'Nixon'}
    """
    order = list(dict.fromkeys(names))
    out: dict[str, str] = {}
    pending: dict[str, list[str]] = {}  # surname (lower) -> labels to resolve
    for name in order:
        tokens = name.replace("_", " ").split()
        if not tokens:
            continue
        if is_role_label(name):
            out[name] = " ".join(t.capitalize() if t.isupper() else t for t in tokens)
        elif not any(t.isupper() and len(t) > 1 for t in tokens):
            out[name] = name  # written in mixed case already
        else:
            pending.setdefault(tokens[-1].strip(".").lower(), []).append(name)
    if pending:
        _resolve_surnames(text, pending, out)
    return {name: out[name] for name in order if name in out}


def _resolve_surnames(text: str, pending: dict[str, list[str]], out: dict[str, str]) -> None:
    """Resolve labels in capitals by the full names the text writes with the same surname."""
    spellings: dict[str, Counter[str]] = {s: Counter() for s in pending}
    full: dict[str, Counter[str]] = {s: Counter() for s in pending}
    first_seen: dict[str, int] = {}
    surnames = sorted(pending, key=len, reverse=True)
    for m in re.finditer(rf"\b(?:{'|'.join(re.escape(s) for s in surnames)})\b", text, re.IGNORECASE):
        word = m.group(0)
        if word.isupper() or not word[:1].isupper():
            continue  # a label or a lower-case word, not the name in running text
        key = word.lower()
        spellings[key][word] += 1
        before = _BEFORE_SURNAME.search(text, max(0, m.start() - 60), m.start())
        if before:
            given = _strip_titles(before.group(0).split() + [word])[:-1]
            if given and not _is_title(given[0]):
                form = " ".join([*given, word])
                full[key][form] += 1
                first_seen.setdefault(form, m.start())
    for surname, labels in pending.items():
        for label in labels:
            tokens = label.replace("_", " ").split()
            candidates = full[surname]
            if len(tokens) > 1:  # "SUSAN ROOK": the given name must agree
                candidates = Counter({f: n for f, n in candidates.items() if f.split()[0].lower() == tokens[0].lower()})
            if candidates:
                best = max(candidates, key=lambda f: (candidates[f], -first_seen[f]))
                out[label] = best
            elif spellings[surname]:
                spelled = spellings[surname].most_common(1)[0][0]
                out[label] = " ".join([*(t.capitalize() for t in tokens[:-1]), spelled])
            else:
                out[label] = " ".join(t.capitalize() for t in tokens)


#: Role labels of the one who answers in an interview ("A:", "Answer:").
ANSWER_LABELS = frozenset({"a", "answer"})
_PROSE_NAME = re.compile(r"\b[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?(?:[ \t]+(?:[A-Z]\.[ \t]+)?[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?){1,2}\b")
_BYLINE = re.compile(r"^\s*(?:By|Interview by|Interviewed by|Reporting by)\s+.*$", re.MULTILINE | re.IGNORECASE)


def interviewee(intro: str, is_person: Callable[[str], bool]) -> str | None:
    """The one person an interview's title and introduction name: the speaker of its answers.

    An interview written as "Q:" / "A:" turns names the person who answers in its title or
    introduction ("an interview with trade envoy Harriet Solberg"). When exactly one person is
    named there (bylines left out: the interviewer is not the one answering), the answers are
    theirs; with none or several, the label stays.

    Args:
        intro: The text before the first turn (title, standfirst, introduction).
        is_person: Whether a capitalised phrase is a person's name (not an organisation or a place).

    Returns:
        The fullest form of that person's name, or ``None``.

    Example:
        >>> interviewee("Taxes: an interview with Mayor Lena Dahl\\n\\nDahl took office in May.", lambda n: True)
        'Lena Dahl'
    """
    # Bylines name the interviewer; a line in headline case makes names of any capitalised words.
    lines = [ln for ln in _BYLINE.sub("", intro).splitlines() if not _headline_case(ln)]
    text = "\n".join(lines)
    forms: dict[str, list[str]] = {}
    evidence = False
    for m in _PROSE_NAME.finditer(text):
        tokens = _strip_titles(m.group(0).split())
        if len(tokens) < 2 or not is_person(" ".join(tokens)):
            continue
        forms.setdefault(tokens[-1].lower(), []).append(" ".join(tokens))
        evidence = evidence or _person_evidence(text, m, titled=len(tokens) < len(m.group(0).split()))
    if not evidence or len(forms) != 1:
        return None  # no sign that the name is a person's ("... of Norvik Steel"), or several people
    return max(next(iter(forms.values())), key=len)


_ROLE_BEFORE = re.compile(r"\b(?:envoy|minister|president|chief|executive|director|mayor|governor|senator|spokes\w+|"
                          r"ambassador|adviser|advisor|economist|professor|author|writer|activist|founder|chair\w*|"
                          r"leader|secretary|commissioner|candidate|expert|analyst|head|coach|judge|lawyer|official)\s*$",
                          re.IGNORECASE)
_PRONOUN = re.compile(r"\b(?:he|she|him|her|his|hers|himself|herself)\b", re.IGNORECASE)


def _person_evidence(text: str, m: re.Match[str], *, titled: bool) -> bool:
    """A title in the name, a role word right before it, or a personal pronoun after it."""
    return titled or bool(_ROLE_BEFORE.search(text, max(0, m.start() - 40), m.start())) or bool(
        _PRONOUN.search(text, m.end()))


def _headline_case(line: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", line) if len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)

