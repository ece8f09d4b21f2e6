"""Who holds the position of a statement: people named in a document, and attribution cues.

:class:`PersonRegistry` collects the people a document names ("Russian Foreign Minister
Sergei Lavrov", "Taro Kono", turn labels such as "Sergey Lavrov, Russian Minister for
Foreign Affairs") with the roles that introduce them, and resolves later references to
the full name:

- a surname or a titled surname ("Lavrov", "Mr Abe");
- a spelling variant of the same person ("Sergey Lavrov" after "Sergei Lavrov");
- a role description ("the Russian top diplomat", "Russia's top diplomat", "the Russian
  foreign minister"): the most recently mentioned person whose role matches, compared
  by role (with common newsroom synonyms) and nationality;
- "he"/"she": the last named speaker, which the caller tracks.

The attribution functions find speech-verb cues: after a closing quote (``," he said``),
before an opening quote (``pointed out that "``), and reported speech in a sentence
(``Lavrov said that ...``, ``..., Lavrov said.``, ``According to Russia's top diplomat, ...``).
"""

from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass, field

__all__ = [
    "Person",
    "PersonRegistry",
    "attribution_after",
    "attribution_before",
    "attribution_line",
    "reported_subject",
    "clean_name",
    "title_speaker",
    "title_subject",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

SPEECH_VERBS = (
    r"said|says|say|stated|states|noted|notes|added|adds|stressed|stresses|emphasi[sz]ed|emphasi[sz]es"
    r"|pointed out|points out|continued|continues|told|tells|explained|explains|recalled|recalls"
    r"|warned|warns|argued|argues|insisted|insists|claimed|claims|remarked|commented|comments"
    r"|declared|declares|announced|announces|asked|asks|replied|replies|answered|underlined"
    r"|underscored|observed|concluded|suggested|suggests|maintained|acknowledged|admitted|wrote"
    r"|writes|believes|believed|urged|urges|assured|reiterated|reiterates|confirmed|confirms"
    r"|denied|denies|complained|mentioned|specified|clarified|called on|called for|called|calls"
)
_VERB = rf"(?:{SPEECH_VERBS})"
# A subject: up to seven words, no sentence punctuation or quotes in it.
_SUBJ = r"(?:[\w'’\[\]-]+\s+){0,6}?[\w'’\]-]+"
_AUX = r"(?:(?:also|then|further|has|have|had|later|again|once again|repeatedly)\s+)*"

# Words that any reported-speech cue contains: a quick test before the patterns run.
_CUE_WORDS = frozenset(
    {v.split()[0] for v in SPEECH_VERBS.replace("[sz]", "s").split("|")}
    | {v.replace("[sz]", "z") for v in SPEECH_VERBS.split("|") if "[sz]" in v}
    | {"according", "s"}
)
_HAS_UPPER = re.compile(r"[A-Z]")
_CUE_SPLIT = re.compile(r"[^\w]+")
_AFTER = re.compile(rf"^[\s,.!?;:—–-]*(?P<subj>{_SUBJ})\s+{_AUX}(?P<verb>{_VERB})\b")
_AFTER_INVERTED = re.compile(
    rf"^[\s,.!?;:—–-]*(?P<verb>{_VERB})\s+(?P<subj>{_SUBJ}?)(?=\s*(?:[,.;:!?]|$|\s(?:on|in|at|to|during|after|before|when|while|adding)\b))"
)
_BEFORE = re.compile(
    rf"(?P<subj>{_SUBJ})\s+{_AUX}(?P<verb>{_VERB})(?:\s+(?:that|in\s+\w+\s+\w+|on\s+\w+))?\s*[,:]?\s*$"
)
_SENT_START = re.compile(rf"^(?:[^,\"“”]{{0,60}},\s+)?(?P<subj>{_SUBJ})\s+{_AUX}(?P<verb>{_VERB})\b")
_COMMA_SUBJ = re.compile(rf",\s+(?P<subj>{_SUBJ})\s+{_AUX}(?P<verb>{_VERB})\b")
_ACCORDING = re.compile(rf"\baccording to (?P<subj>{_SUBJ})\s*[,.]", re.IGNORECASE)
_IN_WORDS = re.compile(r"^(?:\w+,\s+)?in (?P<subj>(?:[\w'’-]+\s+){0,5}?[\w-]+)['’]s\s+\w+\s*,", re.IGNORECASE)
_ATTRIBUTION_LINE = re.compile(
    rf"^[-–—]\s*(?:(?P<verb1>{_VERB})\s+(?P<subj1>{_SUBJ})|(?P<subj2>{_SUBJ}),?\s+(?P<verb2>{_VERB}))\s*[.!]?\s*$"
)
_TITLE_SUBJECT = re.compile(r"^(?P<subj>(?:[A-Z][\w'’.-]+\s+){0,2}[A-Z][\w'’.-]+)\s*:\s+\S")

NAME_TOKEN = r"[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?"
FULL_NAME = rf"{NAME_TOKEN}(?:\s+{NAME_TOKEN}){{1,2}}"
ROLE_NOUNS = (
    "minister|president|secretary|ambassador|adviser|advisor|spokesman|spokeswoman|spokesperson"
    "|diplomat|envoy|chairman|chairwoman|chair|chief|director|premier|chancellor|senator|governor"
    "|mayor|leader|official|deputy|head|editor|correspondent|journalist|analyst|expert|professor"
    "|general|commander|representative|executive|ceo|founder|owner|manager|coordinator|rapporteur"
)
_ROLE_NOUN_LIST = tuple(ROLE_NOUNS.split("|"))
_ROLE_NOUN = re.compile(rf"\b(?:{ROLE_NOUNS})\b", re.IGNORECASE)
# "Russian Foreign Minister Sergei Lavrov", "[Japanese Prime Minister] Shinzo Abe",
# "Foreign Minister of Japan Taro Kono", "Japanese top diplomat Taro Kono": the role noun and the
# name after it (_ROLE_CORE), the role words before it (_ROLE_PREFIX); "Katsuyuki Kawai, Special
# Adviser ...", "Toshimitsu Motegi, the new foreign minister ...": a name before it (_NAME_BEFORE_ROLE).
_ROLE_CORE = re.compile(
    rf"(?i:{ROLE_NOUNS})(?:\s+(?:of|for)\s+(?:the\s+)?[A-Z]\w*(?:\s+[A-Z]\w*){{0,2}})?\]?\s+(?P<name>{FULL_NAME})\b"
)
_ROLE_PREFIX = re.compile(r"(?:(?:\[?[A-Z][\w'’.]*|top|chief|foreign|prime|deputy|special|senior|former|new)\s+){0,4}$")
_NAME_BEFORE_ROLE = re.compile(rf"\b(?P<name>{FULL_NAME}),\s+(?:the\s+)?(?:[\w'’-]+\s+){{0,4}}$")
_NAME_BEFORE_VERB = re.compile(rf"\b(?P<name>{FULL_NAME})(?:\s+{_AUX})?\s*$")
# The common speech verbs, found with str.find to register "Name Surname said" introductions.
_VERB_WORDS = tuple(
    f" {v}"
    for v in (
        "said",
        "says",
        "told",
        "added",
        "noted",
        "stated",
        "stressed",
        "explained",
        "wrote",
        "warned",
        "pointed out",
        "emphasized",
        "emphasised",
        "continued",
        "recalled",
        "argued",
        "insisted",
        "claimed",
        "declared",
        "announced",
        "asked",
        "replied",
        "believes",
        "urged",
        "commented",
        "remarked",
    )
)
_TITLE_POSSESSIVE = re.compile(
    rf"(?P<name>{FULL_NAME})['’]s\s+(?:\w+\s+){{0,2}}?(?:statement|remarks|speech|address|answers|interview|comments|briefing|lecture|opening)",
)

# Words of role phrases that are not nationalities.
_ROLE_WORDS = {
    "foreign",
    "prime",
    "minister",
    "ministers",
    "president",
    "special",
    "adviser",
    "advisor",
    "affairs",
    "top",
    "deputy",
    "secretary",
    "general",
    "chief",
    "vice",
    "first",
    "senior",
    "former",
    "new",
    "the",
    "of",
    "for",
    "and",
    "to",
    "state",
    "head",
    "diplomat",
    "ambassador",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "envoy",
    "chairman",
    "chairwoman",
    "chair",
    "director",
    "premier",
    "chancellor",
    "senator",
    "governor",
    "mayor",
    "leader",
    "official",
    "editor",
    "correspondent",
    "journalist",
    "analyst",
    "expert",
    "professor",
    "commander",
    "representative",
    "executive",
    "acting",
    "defence",
    "defense",
    "finance",
    "interior",
    "cabinet",
    "government",
    "party",
    "country",
    "mr",
    "mrs",
    "ms",
    "dr",
    "a",
    "an",
    "his",
    "her",
    "news",
    "conference",
    "media",
}
# Capitalised words that make a phrase an organisation or a thing, not a person.
_NOT_NAMES = {
    "Party",
    "Republic",
    "Union",
    "Federation",
    "News",
    "Ministry",
    "Council",
    "Committee",
    "Nations",
    "States",
    "Kingdom",
    "Government",
    "Agency",
    "Television",
    "Charter",
    "Treaty",
    "Declaration",
    "Islands",
    "Island",
    "Ocean",
    "Sea",
    "War",
    "Front",
    "Bank",
    "University",
    "Army",
    "Navy",
    "Forces",
    "Office",
    "Department",
    "Service",
    "Times",
    "Post",
    "Press",
    "Group",
    "Summit",
    "Festival",
    "Seasons",
    "Culture",
    "Day",
    "Week",
}
_TITLES = {"mr", "mrs", "ms", "dr", "mr.", "mrs.", "ms.", "dr.", "sir", "madam"}
_PRONOUNS = {"he", "she"}


def clean_name(name: str) -> str:
    """A person's name without titles and role words in front ("Minister Sergey Lavrov" → "Sergey Lavrov").

    Example:
        >>> clean_name("Mr Abe"), clean_name("Foreign Minister Sergey Lavrov")
        ('Abe', 'Sergey Lavrov')
    """
    tokens = name.split()
    while tokens and (tokens[0].lower().rstrip(".") in _TITLES or tokens[0].lower() in _ROLE_WORDS):
        tokens = tokens[1:]
    return " ".join(tokens)


def _role_key(words: list[str]) -> str | None:
    """The role a phrase describes, with newsroom synonyms folded ("top diplomat" = foreign minister)."""
    phrase = " ".join(words)
    if re.search(
        r"\b(top|chief) diplomat\b|foreign minister|minister (of|for) foreign affairs|foreign affairs minister", phrase
    ):
        return "foreign_minister"
    if re.search(r"\bprime minister\b|\bpremier\b", phrase):
        return "prime_minister"
    if re.search(r"\bhead of state\b|\bpresident\b", phrase) and "vice" not in words:
        return "president"
    if re.search(r"\bsecretary[- ]general\b", phrase):
        return "secretary_general"
    nouns = [w for w in words if _ROLE_NOUN.fullmatch(w)]
    return nouns[-1].rstrip("s") if nouns else None


_DEMONYM = re.compile(r"^(?:[A-Z][a-z]+(?:an|ese|ish|ch|i)|[A-Z]{2,3})$")


def _nationality(words: list[str]) -> str | None:
    """A nationality stem from a role phrase: "Russian", "Russia's", "of Russia", "US" → "russ", "us"."""
    for i, w in enumerate(words):
        base = w.strip("[]")
        genitive = re.match(r"^([A-Z][a-z]+)['’]s$", base)
        after_of = i > 0 and words[i - 1].lower() == "of" and base[:1].isupper()
        if genitive or after_of or (_DEMONYM.match(base) and base.lower() not in _ROLE_WORDS):
            stem = genitive.group(1) if genitive else base
            return stem[:4].lower()
    return None


@dataclass
class Person:
    """A person a document names."""

    name: str
    surname: str
    roles: set[tuple[str | None, str]] = field(default_factory=set)
    mentions: list[int] = field(default_factory=list)


def _speech_verb_positions(text: str) -> list[int]:
    """Offsets just before common speech verbs (the space in front of "said", "told" ...)."""
    out = []
    for verb in _VERB_WORDS:
        i = text.find(verb)
        while i >= 0:
            j = i + len(verb)
            if j == len(text) or not text[j].isalpha():
                out.append(i)
            i = text.find(verb, j)
    return out


def _role_noun_positions(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of role nouns ("Minister", "diplomat") standing as whole words."""
    lower = text.lower()
    out = []
    for noun in _ROLE_NOUN_LIST:
        i = lower.find(noun)
        while i >= 0:
            j = i + len(noun)
            if (i == 0 or not lower[i - 1].isalpha()) and (j == len(lower) or not lower[j].isalpha()):
                out.append((i, j))
            i = lower.find(noun, j)
    return sorted(out)


class PersonRegistry:
    """The people of one document and the references that resolve to them.

    Args:
        text: The document text, scanned for names and roles.
        speakers: ``(name, role text, offset)`` of transcript turn labels, registered first.

    Example:
        >>> reg = PersonRegistry("Russian Foreign Minister Sergei Lavrov said so. Lavrov agreed.")
        >>> reg.resolve("the Russian top diplomat", 40), reg.resolve("Lavrov", 40)
        ('Sergei Lavrov', 'Sergei Lavrov')
    """

    def __init__(self, text: str, speakers: list[tuple[str, str, int]] | None = None) -> None:
        self.people: list[Person] = []
        self._by_surname: dict[str, list[Person]] = {}
        found: list[tuple[int, str, str]] = []
        for name, role, pos in speakers or []:
            found.append((pos, name, role))
        # Role nouns are found with str.find (fast); the name patterns then run on a window
        # around each one, not over the whole text.
        for pos, noun_end in _role_noun_positions(text):
            m = _ROLE_CORE.match(text, pos)
            if m:
                prefix = _ROLE_PREFIX.search(text, max(0, pos - 60), pos)
                role = (prefix.group(0) if prefix else "") + text[pos : m.start("name")]
                found.append((m.start("name"), m.group("name"), role))
            m = (
                _NAME_BEFORE_ROLE.search(text, max(0, pos - 100), pos)
                if text.rfind(",", max(0, pos - 60), pos) >= 0
                else None
            )
            if m:
                found.append((m.start("name"), m.group("name"), text[m.end("name") + 1 : noun_end]))
        for pos in _speech_verb_positions(text):
            word = text.rfind(" ", max(0, pos - 30), pos) + 1  # the word before the verb
            if not (word and text[word : word + 1].isupper()) and not _HAS_UPPER.search(text, max(0, pos - 30), pos):
                continue
            m = _NAME_BEFORE_VERB.search(text, max(0, pos - 60), pos)
            if m:
                found.append((m.start("name"), m.group("name"), ""))
        for m in _TITLE_POSSESSIVE.finditer(text, 0, 1000):
            found.append((m.start("name"), m.group("name"), ""))
        for pos, name, role in sorted(found):
            self._add(name, role)
        if self.people:  # every mention of a surname, in one pass over the text
            surnames = sorted(self._by_surname, key=len, reverse=True)
            for m in re.finditer(rf"\b(?:{'|'.join(map(re.escape, surnames))})\b", text):
                for person in self._by_surname[m.group(0)]:
                    person.mentions.append(m.start())

    def _add(self, name: str, role: str) -> None:
        tokens = clean_name(name).split()
        if len(tokens) < 2 or any(t in _NOT_NAMES for t in tokens) or tokens[-1].lower() in _ROLE_WORDS:
            return
        surname = tokens[-1]
        person = None
        for other in self._by_surname.get(surname, []):
            # Same surname and a first name that is the same or a spelling variant (Sergei/Sergey).
            if other.name.split()[0][:3].lower() == tokens[0][:3].lower():
                person = other
                break
        if person is None:
            person = Person(" ".join(tokens), surname)
            self.people.append(person)
            self._by_surname.setdefault(surname, []).append(person)
        words = re.findall(r"[\w'’]+", role.lower())
        key = _role_key(words)
        if key:
            nationality = _nationality(re.findall(r"[\w'’\[\]]+", role)) if role else None
            person.roles.add((nationality.lower() if nationality else None, key))

    def canonical(self, name: str) -> str:
        """The registered full name for a name or surname, else the name itself.

        Example:
            >>> PersonRegistry("Foreign Minister Taro Kono spoke.").canonical("Kono")
            'Taro Kono'
        """
        tokens = [t for t in name.split() if t.lower().rstrip(".") not in _TITLES]
        if not tokens:
            return name
        for person in self._by_surname.get(tokens[-1], []):
            if len(tokens) == 1 or person.name.split()[0][:3].lower() == tokens[0][:3].lower():
                return person.name
        return " ".join(tokens)

    def resolve(self, subject: str, pos: int, *, last_speaker: str | None = None) -> str | None:
        """Resolve the subject of a speech verb to a person's full name, or ``None``.

        Only the end of the subject counts ("Russian Foreign Minister Sergei Lavrov" → Lavrov;
        "Abe held a meeting and" → nothing), so that a clause does not pass for a speaker.

        Args:
            subject: The words before (or after) the speech verb.
            pos: Offset of the reference in the text, for "most recent" decisions.
            last_speaker: The holder of the last attributed statement, for "he"/"she".

        Returns:
            The full name, or ``None`` when the subject is not a person the document names.
        """
        words = re.findall(r"[\w'’\-]+", subject)
        if not words:
            return None
        last = re.sub(r"['’]s$", "", words[-1])
        if last.lower() in _PRONOUNS and len(words) <= 2:
            return last_speaker or self._latest_mentioned(pos)
        people = self._by_surname.get(last)
        if people:
            if len(words) >= 2:
                for person in people:
                    if person.name.split()[0][:3].lower() == words[-2][:3].lower():
                        return person.name
            return max(people, key=lambda p: self._last_mention_before(p, pos)).name
        if _ROLE_NOUN.fullmatch(last):  # a plural ("ministers") is a group, never one person
            lowered = [w.lower() for w in words]
            key = _role_key(lowered)
            nationality = _nationality([w for w in words if w.lower() not in ("the", "a")])
            return self._by_role(key, nationality.lower() if nationality else None, pos)
        return None

    def _by_role(self, key: str | None, nationality: str | None, pos: int) -> str | None:
        matches = []
        for person in self.people:
            for p_nat, p_key in person.roles:
                if key is None or not (p_key == key or p_key.endswith(key) or key.endswith(p_key)):
                    continue
                if nationality and p_nat and p_nat[:4] != nationality[:4]:
                    continue
                matches.append(person)
                break
        if not matches:
            return None
        before = [p for p in matches if self._last_mention_before(p, pos) >= 0]
        if before:
            return max(before, key=lambda p: self._last_mention_before(p, pos)).name
        return min(matches, key=lambda p: p.mentions[0] if p.mentions else 1 << 60).name

    def _last_mention_before(self, person: Person, pos: int) -> int:
        i = bisect.bisect_left(person.mentions, pos)
        return person.mentions[i - 1] if i > 0 else -1

    def _latest_mentioned(self, pos: int) -> str | None:
        best = max(self.people, key=lambda p: self._last_mention_before(p, pos), default=None)
        if best is None or self._last_mention_before(best, pos) < 0:
            return None
        return best.name


def attribution_after(text: str) -> str | None:
    """The subject of a speech verb right after a closing quote (``," he said``), or ``None``.

    Example:
        >>> attribution_after(', the Russian top diplomat pointed out, adding ...')
        'the Russian top diplomat'
    """
    m = _AFTER.match(text) or _AFTER_INVERTED.match(text)
    return m.group("subj") if m else None


def attribution_before(text: str) -> str | None:
    """The subject of a speech verb that introduces a quote (``Lavrov pointed out that "``).

    Example:
        >>> attribution_before("The Russian top diplomat pointed out that ")
        'The Russian top diplomat'
    """
    m = _BEFORE.search(text)
    return m.group("subj") if m else None


def reported_subject(sentence: str) -> list[str]:
    """Candidate speakers of reported speech in a sentence, best first.

    Covers "Lavrov said that ...", "Lavrov also noted that ...", "..., Lavrov said.",
    "According to Russia's top diplomat, ..." and "In Lavrov's words, ...".

    Example:
        >>> reported_subject("Japan must recognize the results, Lavrov said.")
        ['Lavrov']
    """
    out: list[str] = []
    words = set(_CUE_SPLIT.split(sentence.lower()))
    if words.isdisjoint(_CUE_WORDS):  # most sentences: no speech verb, no "according to", no "X's words"
        return out
    for pattern in (_SENT_START, _ACCORDING, _IN_WORDS):
        m = pattern.search(sentence)
        if m:
            out.append(m.group("subj"))
    out.extend(m.group("subj") for m in _COMMA_SUBJ.finditer(sentence))
    return list(dict.fromkeys(out))


def attribution_line(text: str) -> str | None:
    """The speaker named by a line such as "- said Lavrov." that follows a block quote.

    Example:
        >>> attribution_line("- said Lavrov.")
        'Lavrov'
    """
    m = _ATTRIBUTION_LINE.match(text.strip())
    if not m:
        return None
    return m.group("subj1") or m.group("subj2")


def title_subject(title: str) -> list[str]:
    """Candidate holders of a headline, best first.

    A headline reports a person's position either as "Name: claim" ("Lavrov: If Japan
    wants peace ...") or with the person as its grammatical subject ("Russia's top diplomat
    rules out ...", "Question Kuril: Lavrov called ..."): the first one to four words,
    followed by a lower-case word (the verb). A possessive ("Lavrov's statement") is not a subject.

    Example:
        >>> title_subject("Lavrov: If Japan Wants Peace")[0]
        'Lavrov'
        >>> "Russia's top diplomat" in title_subject("Russia's top diplomat rules out talks")
        True
    """
    out = []
    m = _TITLE_SUBJECT.match(title)
    if m:
        out.append(m.group("subj"))
    words = title.split()
    if m and title.find(":") > 0:  # "Question Kuril: Lavrov called ...": the subject follows the colon
        words = title[title.find(":") + 1 :].split()
    for k in range(1, min(5, len(words))):
        tail, nxt = words[k - 1], words[k]
        if re.search(r"['’]s$", tail) or not nxt[:1].islower() or not nxt.isalpha():
            continue
        out.append(" ".join(words[:k]))
    return out


def title_speaker(title: str) -> str | None:
    """The person whose statement a transcript title announces ("Sergey Lavrov's statement and answers").

    Example:
        >>> title_speaker("Foreign Minister Sergey Lavrov's statement and answers to media questions")
        'Sergey Lavrov'
    """
    m = _TITLE_POSSESSIVE.search(title)
    return clean_name(m.group("name")) if m else None
