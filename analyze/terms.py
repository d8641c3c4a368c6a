"""Terms people use: counted per recording and role, then ranked across recordings.

Two steps, so that the service can store the first and query the second:
`count_terms` turns one recording's utterances into `RecordingTerms` (counts per role,
surface forms, a few quotes); `rank_terms` merges any number of those and scores each term
by how often it is said and how much more often than in general Dutch/English.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from analyze.names import names_mentioned
from analyze.questions import Question, find_questions
from analyze.text import (
    Token,
    is_noun,
    is_stop,
    normalise_language,
    part_of_speech,
    proper_nouns,
    spoken_symbols,
    tokenize,
    utterance_language,
)
from analyze.wording import ENGLISH, Wording
from transcribe.types import ROLES, Role, Segment, Transcript, Word

__all__ = [
    "GeneralFrequency",
    "RankedTally",
    "Quote",
    "RecordingTerms",
    "Term",
    "TermCount",
    "TermTally",
    "Utterance",
    "WordfreqFrequency",
    "candidate_terms",
    "count_terms",
    "drop_covered_words",
    "line_role",
    "explain_score",
    "general_frequency",
    "majority_class",
    "make_term",
    "name_words",
    "rank_tallies",
    "ranking_room",
    "rank_terms",
    "tagged_candidates",
    "term_score",
    "utterances_from_text",
    "utterances_from_transcript",
    "word_class_votes",
]

MAX_QUOTES_PER_RECORDING = 3
_FLOOR_FREQUENCY = 1e-8  # general frequency given to words wordfreq has never seen


@dataclass(frozen=True, slots=True)
class Utterance:
    """A stretch of one person's speech (a transcript segment, or a line of a text file)."""

    recording_id: str
    text: str
    role: Role = "unknown"
    start: float | None = None  # seconds; None for text without timing
    end: float | None = None
    language: str = "nl"  # normalised to nl or en (`normalise_language`)
    speaker: str | None = None  # "S2": two customers in one call are two people

    def __post_init__(self) -> None:
        # Whisper's "af" for Flemish, "NL", "nl-BE": every rule that asks `language == "nl"`
        # and the tagger's model lookup must see the language the words are analysed in.
        object.__setattr__(self, "language", normalise_language(self.language))


@dataclass(frozen=True, slots=True)
class Quote:
    recording_id: str
    start: float | None
    end: float | None
    text: str
    role: Role

    def to_dict(self) -> dict[str, Any]:
        return {
            "recording_id": self.recording_id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "role": self.role,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Quote:
        return cls(data["recording_id"], data["start"], data["end"], data["text"], data["role"])


@dataclass(frozen=True, slots=True)
class TermCount:
    """One term in one recording."""

    key: str  # lemmas joined by a space: "zonnepaneel", "thuis batterij"
    count_by_role: Mapping[str, int]
    surface_counts: Mapping[str, int]  # how it was actually said
    quotes: tuple[Quote, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "count_by_role": dict(self.count_by_role),
            "surface_counts": dict(self.surface_counts),
            "quotes": [q.to_dict() for q in self.quotes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TermCount:
        return cls(
            key=data["key"],
            count_by_role=dict(data["count_by_role"]),
            surface_counts=dict(data["surface_counts"]),
            quotes=tuple(Quote.from_dict(q) for q in data["quotes"]),
        )


@dataclass(frozen=True, slots=True)
class RecordingTerms:
    """Everything `rank_terms` needs from one recording; stored when a recording is analysed."""

    recording_id: str
    language: str
    words_by_role: Mapping[str, int]  # content words spoken per role (the denominators)
    terms: tuple[TermCount, ...]
    questions: tuple[Question, ...] = ()  # every question asked, by anyone
    # Content words per language the lines were read in; more than one where people switch
    # (an expat and a Dutch salesperson). Empty in analyses stored before it was counted.
    words_by_language: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "recording_id": self.recording_id,
            "language": self.language,
            "words_by_role": dict(self.words_by_role),
            "terms": [t.to_dict() for t in self.terms],
            "questions": [q.to_dict() for q in self.questions],
            "words_by_language": dict(self.words_by_language),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordingTerms:
        return cls(
            recording_id=data["recording_id"],
            language=data["language"],
            words_by_role=dict(data["words_by_role"]),
            terms=tuple(TermCount.from_dict(t) for t in data["terms"]),
            questions=tuple(Question.from_dict(q) for q in data.get("questions") or ()),
            words_by_language=dict(data.get("words_by_language") or {}),
        )

    def general_frequency_of(self, term: TermCount, frequency: GeneralFrequency) -> float:
        """A term's share in general language as this conversation speaks it: in a
        conversation held in two languages, the mix of both in the shares they were spoken
        in. Set against one language alone, "speak" in an expat's half-Dutch talk or
        "nemen" in a half-English one would look as rare as a brand name."""
        surface = max(term.surface_counts, key=lambda f: (term.surface_counts[f], f))
        said = sum(self.words_by_language.values())
        if len(self.words_by_language) < 2 or said <= 0:
            return general_frequency(term.key, surface, self.language, frequency)
        return sum(
            words / said * general_frequency(term.key, surface, language, frequency)
            for language, words in self.words_by_language.items()
        )


@dataclass(frozen=True, slots=True)
class Term:
    """A ranked term across recordings: the shape of `GET /api/v1/terms`."""

    term: str  # the form people said most
    lemma: str
    count: int
    count_by_role: Mapping[str, int]
    score: float
    variants: tuple[str, ...]  # every surface form heard, most frequent first
    quotes: tuple[Quote, ...]
    recordings: int  # in how many recordings it was said
    keyness: float  # log2 of (share in these conversations / share in general language)
    why: str = ""  # the score explained in words (`explain_score`)
    # What `explain_score` was given, so a page can explain the score in its own language.
    general_language: str = field(default="", compare=False)
    unlisted: bool = field(default=False, compare=False)
    role: str | None = field(default=None, compare=False)  # whose speech was counted

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "lemma": self.lemma,
            "count": self.count,
            "count_by_role": dict(self.count_by_role),
            "score": round(self.score, 4),
            "variants": list(self.variants),
            "quotes": [q.to_dict() for q in self.quotes],
            "recordings": self.recordings,
            "keyness": round(self.keyness, 3),
            "why": self.why,
        }


class GeneralFrequency(Protocol):
    """How common a word is in general language, as a share of all words (0..1)."""

    def __call__(self, word: str, language: str) -> float: ...


class WordfreqFrequency:
    """`GeneralFrequency` backed by the wordfreq package (Dutch and English inside)."""

    def __call__(self, word: str, language: str) -> float:
        from wordfreq import word_frequency

        try:
            return float(word_frequency(word, language))
        except LookupError:  # a language wordfreq has no list for: treat every word as rare
            return 0.0


_PART_ZIPF_FREQUENCY = 1e-6  # a part of a compound: a word people use (Zipf 3 and up)
_LINKS = ("", "s", "e", "en")  # what Dutch puts between a compound's parts


@functools.lru_cache(maxsize=4096)
def compound_parts(word: str, language: str) -> tuple[str, str] | None:
    """Two common words that make up `word` ("buitenunit" → buiten + unit, "boilervat" →
    boiler + vat, "verwarmingsketel" → verwarming + ketel), the longest head first; None
    for a word that is not one, and for phrases."""
    if " " in word or "-" in word or len(word) < 7:
        return None
    frequency = WordfreqFrequency()
    for at in range(len(word) - 3, 2, -1):
        head = word[at:]
        if frequency(head, language) < _PART_ZIPF_FREQUENCY:
            continue
        for link in _LINKS:
            modifier = word[:at]
            if link and not modifier.endswith(link):
                continue
            modifier = modifier[: len(modifier) - len(link)]
            if len(modifier) >= 3 and frequency(modifier, language) >= _PART_ZIPF_FREQUENCY:
                return modifier, head
    return None


def utterances_from_transcript(transcript: Transcript, recording_id: str) -> list[Utterance]:
    """A transcript's lines as utterances; a long line by its sentences, so a quote is the
    sentence that says the term and plays from when it was said."""
    language = transcript.language or "nl"
    utterances = []
    for segment in transcript.segments:
        if not segment.text.strip():
            continue
        # Per-window language detection names the window's language; a line of it can
        # still be plainly English in a Dutch call, so every line is checked.
        said_in = utterance_language(segment.text, normalise_language(segment.language or language))
        for text, start, end in _sentences_of(segment):
            utterances.append(
                Utterance(recording_id, text, segment.role, start, end, said_in, segment.speaker)
            )
    return utterances


_LONG_LINE_S = 12.0  # a line longer than this is quoted by its sentences


def _sentences_of(segment: Segment) -> list[tuple[str, float, float]]:
    """(text, start, end) of a segment's sentences, timed by their words, where it is long
    and its words spell its text; else the segment whole."""
    whole = [(segment.text, segment.start, segment.end)]
    words = segment.words
    if segment.end - segment.start <= _LONG_LINE_S or not words:
        return whole
    if "".join(w.word for w in words).strip() != segment.text.strip():
        return whole  # words that no longer spell the line (an unspaced script corrected)
    sentences: list[list[Word]] = [[]]
    for word in words:
        sentences[-1].append(word)
        if word.word.rstrip().endswith((".", "?", "!")):
            sentences.append([])
    sentences = [s for s in sentences if s]
    if len(sentences) < 2:
        return whole
    return [("".join(w.word for w in s).strip(), s[0].start, s[-1].end) for s in sentences]


# A role as people write it in notes and as ridealong's own text downloads name it.
ROLE_WORDS: dict[str, Role] = {
    **{role: role for role in ROLES},
    "verkoper": "salesperson",
    "klant": "customer",
    "overig": "other",
    "onbekend": "unknown",
}
_ROLE_TAG = re.compile(r"\[\s*(?P<role>[^\]]+?)\s*\]\s*")  # "[klant] ..."
# "Customer (S2): ", "Jan, salesperson (S1): ", "Jan (S1): ", "S1: ": the labels of
# `transcribe.formats.to_txt`, in English or Dutch; "Klant: " as in hand-written notes.
_SPEAKER_LABEL = re.compile(r"(?:(?P<who>[^:()\[\]]{1,80}?)\s*\(S\d{1,2}\)|S\d{1,2}):(?:\s+|$)")
_ROLE_LABEL = re.compile(r"(?P<role>[^\W\d_]+):(?:\s+|$)")


def line_role(line: str) -> tuple[Role, str]:
    """(role, the words said) of one line of notes or of a ridealong text transcript. A
    label that names no role ("Jan (S1): ") still comes off: a name is not a term."""
    if tag := _ROLE_TAG.match(line):
        role = ROLE_WORDS.get(tag["role"].lower())
        return (role, line[tag.end() :]) if role else ("unknown", line)
    if label := _SPEAKER_LABEL.match(line):
        who = (label["who"] or "").rsplit(",", 1)[-1].strip().lower()  # "Jan, verkoper"
        return ROLE_WORDS.get(who, "unknown"), line[label.end() :]
    if (label := _ROLE_LABEL.match(line)) and label["role"].lower() in ROLE_WORDS:
        return ROLE_WORDS[label["role"].lower()], line[label.end() :]
    return "unknown", line


def utterances_from_text(text: str, recording_id: str, language: str) -> list[Utterance]:
    """Lines of a text file. A line may start with a role: `[customer]` or `[klant]`,
    `Klant:`, or the speaker labels of ridealong's own text transcripts ("Customer (S2): ",
    "Jan, verkoper (S1): "), which come off. A line clearly in the other language is read
    in it, as a transcript's line is (`utterance_language`)."""
    utterances = []
    for line in text.splitlines():
        role, said = line_role(line.strip())
        if said := said.strip():
            said_in = utterance_language(said, normalise_language(language))
            utterances.append(Utterance(recording_id, said, role, language=said_in))
    return utterances


# What redaction put in place of personal data ("[naam]", "[telefoonnummer]"): no term, and
# no part of one; a full stop keeps the words around it from pairing up across it.
_REDACTION_LABEL = re.compile(r"\[[^\]\s]{1,20}\]")


def candidate_terms(
    text: str, language: str, names: frozenset[str] = frozenset()
) -> tuple[int, list[tuple[str, str]]]:
    """(number of content words, [(lemma key, surface)]): `tagged_candidates` without the
    word classes."""
    content, found = tagged_candidates(text, language, names)
    return content, [(key, surface) for key, surface, _ in found]


WordClass = Literal["noun", "verb"]


def tagged_candidates(
    text: str, language: str, names: frozenset[str] = frozenset()
) -> tuple[int, list[tuple[str, str, WordClass | None]]]:
    """(number of content words, [(lemma key, surface, word class)]) for words, pairs and
    noun-preposition-noun triples ("euro per maand"). The word class is the tagger's, as the
    word was used in this text ("kost" a verb in "wat kost dat"); pairs and triples are noun
    phrases; None without the tagger.

    With the HanTa tagger (Dutch and English models in its package) single words are kept
    when they are nouns, names or verbs, and pairs when they are noun phrases (adjective or
    noun, then noun): "plat dak", "euro per maand" minus its stop word, never "stopt toch".
    Verbs stay because customers' verbs matter ("annuleren", "salderen", "besparen"):
    on the labelled set, nouns only lost recall (0.76 -> 0.67), nouns and verbs gained
    (0.78, precision@20 0.63 -> 0.65; docs/benchmarks.md). Without the tagger, every
    content word and pair counts. A word of `names` (lower case) written as a name
    (capitalised) is no candidate and joins no phrase.
    """
    tokens = tokenize(_REDACTION_LABEL.sub(" . ", text), language)
    tags: list[str | None] = [None] * len(tokens)
    tags = list(part_of_speech([t.text for t in tokens], language) or tags)
    if language == "nl":
        tags = _nouns_after_determiners(tokens, tags)
        tokens = _lemmas_of_their_class(tokens, tags)
        tokens, tags = _present_participles_before_nouns(tokens, tags)
    found: list[tuple[str, str, WordClass | None]] = []
    phrase: WordClass | None = "noun" if any(tags) else None
    content = 0
    previous: Token | None = None
    previous_tag: str | None = None
    bridge: tuple[Token, Token] | None = None  # noun + preposition, waiting for a noun
    # English writes compounds apart: "air source heat pump" is one term; the pairs inside
    # it ("source heat") are shown only where said apart from it (`drop_covered_words`).
    compounds = _CompoundRuns(found) if language == "en" and phrase else None
    for tok, tag in zip(tokens, tags, strict=True):
        if compounds is not None and (tok.lemma is None or not is_noun(tag)):
            compounds.end()
        if tok.lemma is None:
            is_preposition = tag is not None and (tag == "VZ" or tag in ("PRP", "PRF"))
            bridge = (
                (previous, tok) if previous and is_preposition and is_noun(previous_tag) else None
            )
            previous = None
            continue
        content += 1
        if names and tok.text[:1].isupper() and tok.text.lower() in names:
            previous, bridge = None, None  # a person's name: neither a term nor part of one
            continue
        if bridge is not None and is_noun(tag):  # "euro per maand", "cost per month"
            noun, preposition = bridge
            middle = preposition.text.lower()
            found.append(
                (
                    f"{noun.lemma} {middle} {tok.lemma}",
                    f"{noun.text} {middle} {tok.text}".lower(),
                    phrase,
                )
            )
        bridge = None
        if tag is None or is_noun(tag) or _is_verb(tag):
            kind: WordClass | None = "noun" if is_noun(tag) else "verb" if tag else None
            found.append((tok.lemma, tok.text.lower(), kind))
        if previous is not None and (
            tag is None or ((is_noun(previous_tag) or _is_adjective(previous_tag)) and is_noun(tag))
        ):
            found.append(
                (f"{previous.lemma} {tok.lemma}", f"{previous.text} {tok.text}".lower(), phrase)
            )
        if compounds is not None:
            compounds.add(tok, tag)
        previous, previous_tag = tok, tag
    if compounds is not None:
        compounds.end()
    return content, found


_LONGEST_COMPOUND = 4  # words of an English noun run kept as one term


class _CompoundRuns:
    """Runs of nouns in `tagged_candidates`' English output: a run of three or four ("air
    source heat pump", "heat pump installation") is a term."""

    def __init__(self, found: list[tuple[str, str, WordClass | None]]) -> None:
        self.found = found
        self.run: list[Token] = []

    def add(self, token: Token, tag: str | None) -> None:
        if not is_noun(tag):  # "our old gas boiler": the customer's term is "gas boiler"
            self.end()
            return
        self.run.append(token)

    def end(self) -> None:
        # A longer run is mostly the tagger taking the verb after a compound for a noun
        # ("the air source heat pump costs"): its start is the compound.
        run, self.run = self.run[:_LONGEST_COMPOUND], []
        if len(run) >= 3:
            key = " ".join(str(t.lemma) for t in run)
            self.found.append((key, " ".join(t.text for t in run).lower(), "noun"))


def word_class_votes(
    found: Sequence[tuple[str, str, WordClass | None]],
) -> dict[str, Counter[WordClass]]:
    """How often `tagged_candidates` read each term as each word class."""
    votes: dict[str, Counter[WordClass]] = defaultdict(Counter)
    for key, _surface, kind in found:
        if kind is not None:
            votes[key][kind] += 1
    return dict(votes)


def majority_class(votes: Counter[WordClass]) -> WordClass | None:
    """The word class most votes name; None without votes or on a tie."""
    ranked = votes.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


# Articles are tagged LID; these are the other words that stand before a noun, never before
# a verb of their own.
_DETERMINERS_NL = frozenset(
    "veel weinig meer minder geen zo'n zulk zulke elk elke ieder iedere welk welke mijn uw "
    "ons onze jouw hun".split()
)


# A past participle's shape, which a noun such as "geluid", "gebied" or "bezit" can share:
# a prefix and a final d or t (infinitives end in -en, and "gelezen" is lemmatised to lezen).
_PARTICIPLE_SHAPE = re.compile(r"(ge|be|ver|ont|her|er)\w+[dt]")


def _nouns_after_determiners(tokens: Sequence[Token], tags: list[str | None]) -> list[str | None]:
    """HanTa reads some nouns shaped like a past participle as one where a sentence ends: in
    "maakt zo'n warmtepomp veel geluid?" it tags geluid (the noun "sound", and "rung") a verb,
    so near-synonyms took it for a verb like "hoort". Right after an article or a determiner,
    with no noun or adjective after it to describe ("een veel gelezen boek"), and where the
    lemmatiser kept the word as it is (it makes "gelezen" lezen: "ik heb veel gelezen"), it
    is a noun."""
    fixed = list(tags)
    for i in range(1, len(tokens)):
        token = tokens[i]
        if not _is_verb(tags[i]) or token.lemma is None or token.lemma != token.text.lower():
            continue
        if not _PARTICIPLE_SHAPE.fullmatch(token.lemma):  # "veel besparen": an infinitive
            continue
        after = tags[i + 1] if i + 1 < len(tags) else None
        determined = tags[i - 1] == "LID" or tokens[i - 1].text.lower() in _DETERMINERS_NL
        if determined and not (is_noun(after) or _is_adjective(after) or _is_verb(after)):
            fixed[i] = "N"
    return fixed


def _present_participles_before_nouns(
    tokens: Sequence[Token], tags: Sequence[str | None]
) -> tuple[list[Token], list[str | None]]:
    """A present participle before a noun describes it: "een aanvullende verzekering" is an
    adjective and a noun, the term "aanvullend verzekering", not the verb "aanvullende"."""
    tokens, fixed = list(tokens), list(tags)
    for i in range(len(tokens) - 1):
        token = tokens[i]
        said = token.text.lower()
        if token.lemma and _is_verb(fixed[i]) and said.endswith("ende") and is_noun(fixed[i + 1]):
            tokens[i] = Token(token.text, said[:-1], token.start_char)
            fixed[i] = "ADJ"
    return tokens, fixed


# A Dutch infinitive's ending: "betalen", "gaan", "doen", "zien", "zijn" ("toon" is no verb's).
INFINITIVE_ENDINGS = ("en", "aan", "oen", "ien", "ijn")


_VOWELS = "aeiou"
_INFINITIVE_ZIPF = 1.5  # wordfreq must know an infinitive made by the rules this well
_AS_SAID_ZIPF = 2.5  # a form wordfreq knows this well is a word of its own


def dutch_infinitive(said: str) -> str | None:
    """The infinitive of a present-tense verb form the lemmatiser does not know, by the
    spelling rules of Dutch ("kwijtraak" kwijtraken, "doorboort" doorboren, "terugbel"
    terugbellen, "leef" leven, "snij" snijden, "kost" kosten): of the forms the rules allow,
    the one in most use (wordfreq), if any is in use at all."""
    from wordfreq import zipf_frequency

    # A word in use as it is ("staat", "rust", "hor", "vraag") is that word: the tagger's
    # "verb" is more often wrong than the lemmatiser's silence.
    if len(said) < 2 or not said.isalpha() or zipf_frequency(said, "nl") >= _AS_SAID_ZIPF:
        return None
    stems = {said, said[:-1]} if said.endswith("t") and len(said) > 3 else {said}
    candidates = {c for stem in stems if len(stem) > 1 for c in _infinitives_of(stem)}
    best = max((zipf_frequency(c, "nl"), c) for c in candidates)
    return best[1] if best[0] >= _INFINITIVE_ZIPF else None


def _infinitives_of(stem: str) -> set[str]:
    """The infinitives Dutch spelling allows for a verb's stem."""
    candidates = {f"{stem}en", f"{stem}den"}
    if stem.endswith(("oe", "ie")):
        candidates.add(f"{stem}n")  # "doe": doen, "zie": zien
    last, before = stem[-1], stem[-2]
    if last in _VOWELS and before not in _VOWELS:
        candidates.add(f"{stem}{last}n")  # "ga": gaan
    if last not in _VOWELS and before in _VOWELS:
        if len(stem) > 2 and stem[-3] == before and before != "i":
            single = stem[:-3] + before  # one vowel: "raak" ra-ken, "leef" le-ven
            voiced = {"f": "v", "s": "z"}.get(last, last)
            candidates |= {f"{single}{last}en", f"{single}{voiced}en"}
        elif len(stem) < 3 or stem[-3] not in _VOWELS:  # "bel": bellen
            candidates.add(f"{stem}{last}en")
    if last == "f":
        candidates.add(f"{stem[:-1]}ven")  # "durf": durven
    if last == "s":
        candidates.add(f"{stem[:-1]}zen")  # "reis": reizen
    return candidates


def _lemmas_of_their_class(tokens: Sequence[Token], tags: Sequence[str | None]) -> list[Token]:
    """The lemmatiser knows no context: it makes the noun "stroom" the verb "stromen" ("tuin",
    "vloer", "rommel" alike) and the verb "aanvragen" the noun "aanvraag". Where the tagger
    read the word in its sentence as a noun, a lemma shaped as an infinitive ("-en") that the
    word is not gives way to the word; where it read a verb said as an infinitive, so does
    a lemma that is none ("teken" for "tekenen"); "betaalden" stays "betalen"."""
    fixed = []
    for token, tag in zip(tokens, tags, strict=True):
        said = token.text.lower()
        lemma = token.lemma
        if lemma is not None and lemma != said:
            wrong_verb = (  # "keukens" keeps "keuken": it starts with its lemma
                is_noun(tag)
                and lemma.endswith("en")
                and not said.endswith("en")
                and not said.startswith(lemma)
            )
            wrong_noun = (
                _is_verb(tag)
                and said.endswith("en")
                and (not lemma.endswith(INFINITIVE_ENDINGS) or said == f"{lemma}en")
            )
            if wrong_verb or wrong_noun:
                token = Token(token.text, said, token.start_char)
        elif lemma is not None and _is_verb(tag) and not said.endswith(INFINITIVE_ENDINGS):
            # a present-tense form the lemmatiser does not know: "als ik m'n baan kwijtraak"
            if infinitive := dutch_infinitive(said):
                token = Token(token.text, infinitive, token.start_char)
        fixed.append(token)
    return fixed


def _is_verb(tag: str | None) -> bool:
    return tag is not None and (tag == "WW" or tag.startswith("VV"))


def _is_adjective(tag: str | None) -> bool:
    return tag is not None and (tag == "ADJ" or tag.startswith("AJ"))


def count_terms(
    utterances: Sequence[Utterance],
    recording_id: str,
    *,
    max_quotes: int = MAX_QUOTES_PER_RECORDING,
    people: Iterable[str] = (),
) -> RecordingTerms:
    """Count every candidate term of one recording per role, keeping a few quotes for each
    role that said it (a word the salesperson said first still has the customer's evidence).

    `people`: the names of those in the conversation (salesperson, customer, speakers). A
    term with a word of their names, written as a name there (capitalised), is no term:
    "mevrouw De Vries" said ten times would otherwise top the salesperson's words, and
    "vries" pass for a near-synonym of "koelkast". Lower case, the word stays a word: a
    customer called "Energie Direct" does not take "energie besparen" away. People and
    places mentioned in passing are no terms either (`analyze.names`).
    """
    mentioned = names_mentioned(u.text for u in utterances)  # "met Sanne", "in Utrecht"
    names = name_words([*people, *names_said(utterances), *mentioned])
    by_role: dict[str, Counter[str]] = defaultdict(Counter)
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    quotes: dict[str, list[Quote]] = defaultdict(list)
    quoted: Counter[tuple[str, str]] = Counter()  # (term, role): quotes kept
    words_by_role: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    for utt in utterances:
        # "€ 50" said as Whisper may write it: "euro", as the page comparison reads pages
        content, found = candidate_terms(
            spoken_symbols(utt.text, utt.language), utt.language, names
        )
        words_by_role[utt.role] += content
        languages[utt.language] += content
        seen_here: set[str] = set()
        for key, surface in found:
            by_role[key][utt.role] += 1
            surfaces[key][surface] += 1
            if key not in seen_here and quoted[key, utt.role] < max_quotes:
                seen_here.add(key)
                quoted[key, utt.role] += 1
                quotes[key].append(Quote(recording_id, utt.start, utt.end, utt.text, utt.role))
    terms = tuple(
        TermCount(key, dict(by_role[key]), dict(surfaces[key]), tuple(quotes[key]))
        for key in sorted(by_role)
    )
    # The language the words were tokenised as (unsupported ones fall back to Dutch).
    language = normalise_language(languages.most_common(1)[0][0] if languages else None)
    questions = tuple(find_questions(utterances))
    by_language: Counter[str] = Counter()
    for said_in, words in languages.items():
        by_language[normalise_language(said_in)] += words
    return RecordingTerms(
        recording_id,
        language,
        dict(words_by_role),
        terms,
        questions,
        {said_in: words for said_in, words in by_language.items() if words},
    )


# A first name, and a surname after it ("Piet de Boer"), but not after "van": "ik ben Mark
# van Zonnig Dak" says where Mark works.
_NAME = r"([A-Z][^\W\d_]+(?:[ -](?:de |der |den )*[A-Z][^\W\d_]+)?)"
_INTRODUCED = re.compile(
    rf"\b(?:[Ii]k ben|[Ii]k heet|[Mm]ijn naam is|I'm|I am|[Mm]y name is) {_NAME}"
)
_YOU = r"\b(?:jij|je|jou|jouw|jullie|you)\b"
# A name said to the person, in a sentence spoken to them: first ("Mark, wat vind jij?") or
# last ("Dank je wel, Sanne.").
_ADDRESSED = re.compile(
    rf"(?:^|[.?!]\s+){_NAME},\s+(?=[^.?!]*{_YOU})|{_YOU}[^.?!]*,\s+{_NAME}\s*(?:[.?!]|$)"
)


def names_said(utterances: Iterable[Utterance]) -> list[str]:
    """The names a conversation gives its people without anyone typing them: said to
    introduce oneself ("Ja hoi, ik ben Marion.") or to address someone ("Mark, pak jij
    even de maten erbij?"). A couple or a parent and child on the customer's side name
    each other, and those names are no terms."""
    found = []
    for utt in utterances:
        text = utt.text.strip()
        for match in _INTRODUCED.finditer(text):
            found += [name for name in match.groups() if name]
        addressed = [n for m in _ADDRESSED.finditer(text) for n in m.groups() if n]
        if addressed:  # a topic put first is no name: "Thuisbatterij, hebben jullie …?"
            words = re.findall(r"[^\W\d_]+|[^\w\s]", text)
            tags = proper_nouns(words, utt.language)
            names = {w for w, name in zip(words, tags, strict=True) if name}
            found += [n for n in addressed if n.split()[0] in names]
    return found


def name_words(people: Iterable[str]) -> frozenset[str]:
    """The lower-case words of people's names ("Fam. De Vries" → fam, de, vries), minus stop
    words ("de", "van"), which are never terms anyway and must not hide a phrase."""
    words = {w for name in people for w in re.findall(r"[^\W\d_]+", name.lower())}
    return frozenset(w for w in words if len(w) > 1 and not is_stop(w, "nl"))


@dataclass(frozen=True, slots=True)
class TermTally:
    """One term's counts over a set of recordings: what ranking needs, from memory or SQL."""

    key: str
    count: int  # said by the role asked for (by everyone when no role is asked for)
    count_by_role: Mapping[str, int]  # said by each role in the same recordings
    recordings: int  # how many recordings the counted speech came from
    general: float  # the term's share in general language (`general_frequency`)
    language: str = "nl"


@dataclass(frozen=True, slots=True)
class RankedTally:
    tally: TermTally
    score: float
    keyness: float


def general_frequency(key: str, surface: str, language: str, frequency: GeneralFrequency) -> float:
    """A term's share in general language: a phrase is as common as its rarest word.

    Each word counts as its lemma or as it was said, whichever is more common, since a
    lemmatiser's form can be rarer than the word people use ("zonnepanelen").
    """
    return min(
        max(frequency(word, language) for word in (lemma, said))
        for lemma, said in zip(key.split(), surface.split(), strict=False)
    )


# Of all running words, the share that are content words (wordfreq's Dutch 0.34, English
# 0.40): a term's share of the content words counted here is compared with its share of all
# of general language's words, so the count is set against all words said, not content
# words alone (which made every ratio about three times too high).
_CONTENT_SHARE = 0.35


# The keyness a term needs before it counts as distinctive at all (log2: 8x its share in
# general language). In a conversation of a few hundred words, an everyday verb said four
# times ("zien", "hoeven") is already five to ten times its written share; scored from
# zero, it outranked the kruipruimte and the inductieplaat said once. Scored from 3, on the
# held-out set customer terms P@20 went 0.69 -> 0.73 and junk per 20 2.2 -> 1.5, on
# `bench.terms_eval` 0.68 -> 0.70 (docs/benchmarks.md); everyday words stay last.
_DISTINCTIVE_FROM = 3.0


def term_score(count: int, total_words: int, general: float) -> tuple[float, float]:
    """(score, keyness): keyness = log2(share here / share in general language), and
    score = count x max(keyness - `_DISTINCTIVE_FROM`, 0.1), so frequent-and-distinctive
    terms rank first while everyday words ("euro", "week") stay visible but low.
    `total_words` counts content words (see `_CONTENT_SHARE`)."""
    said = total_words / _CONTENT_SHARE
    keyness = math.log2((count / said) / max(general, _FLOOR_FREQUENCY))
    return count * max(keyness - _DISTINCTIVE_FROM, 0.1), keyness


def _score_bound(count: int, total_words: int) -> float:
    """The highest score a term said `count` times can reach (the rarest possible word)."""
    return term_score(count, total_words, 0.0)[0]


def rank_tallies(
    tallies: Iterable[TermTally],
    total_words: int,
    *,
    keep: int,
    min_count: int = 1,
    min_phrase_count: int = 2,
    descending_counts: bool = False,
) -> list[RankedTally]:
    """The `keep` best-scoring tallies, best first.

    With `descending_counts` (tallies arrive most-said first, as an SQL ORDER BY gives
    them) reading stops once no later tally can beat the `keep`-th score: on a large
    vocabulary only the head of the list is scored.
    """
    if total_words <= 0:
        return []
    best: list[tuple[float, int, str, RankedTally]] = []  # a min-heap of the best so far
    for tally in tallies:
        if (
            descending_counts
            and len(best) >= keep
            and _score_bound(tally.count, total_words) < best[0][0]
        ):
            break
        if tally.count < (max(min_phrase_count, min_count) if " " in tally.key else min_count):
            continue
        score, keyness = term_score(tally.count, total_words, tally.general)
        entry = (score, tally.count, _reversed(tally.key), RankedTally(tally, score, keyness))
        if len(best) < keep:
            heapq.heappush(best, entry)
        elif entry[:3] > best[0][:3]:
            heapq.heapreplace(best, entry)
    ranked = [entry[3] for entry in best]
    ranked.sort(key=lambda r: (-r.score, -r.tally.count, r.tally.key))
    return ranked


def ranking_room(limit: int) -> int:
    """How many ranked terms to keep for showing `limit`: room for the words that
    `drop_covered_words` removes (an English compound of four words can take seven)."""
    return 3 * limit + 20


def _reversed(key: str) -> str:
    """Sorts opposite to `key`, so that ties in a min-heap keep the alphabetically first."""
    return "".join(chr(0x10FFFF - ord(c)) for c in key) + chr(0x10FFFF)  # "ab" after "abc"


_RATIO_SHOWN_UP_TO = 1000  # beyond this the general frequency is too small to mean much


def _said_by(role: str | None, gettext: Callable[[str], str]) -> str:
    """How often a term was said, by whom: a whole sentence per role, so a translation can
    order its words freely."""
    if role == "customer":
        return gettext("said %(count)s× by customers in %(spread)s")
    if role == "salesperson":
        return gettext("said %(count)s× by salespeople in %(spread)s")
    if role == "other":
        return gettext("said %(count)s× by other people in %(spread)s")
    if role == "unknown":
        return gettext("said %(count)s× by speakers without a role in %(spread)s")
    return gettext("said %(count)s× in %(spread)s")


def explain_score(
    term: Term,
    role: str | None,
    language: str,
    *,
    unlisted: bool = False,
    wording: Wording = ENGLISH,
) -> str:
    """Why a term ranks where it does, in a marketer's words. `unlisted`: general language
    has no count for (one of) its words, so no ratio can be given: such a word is new, a
    name, or misheard, and the reader should know which. `wording` writes it in another
    language (the web pages in Dutch: "hier 1.250× zo vaak als in alledaags Nederlands")."""
    gettext, ngettext = wording.gettext, wording.ngettext
    spread = ngettext("%(n)s recording", "%(n)s recordings", term.recordings) % {
        "n": term.recordings
    }
    said = _said_by(role, gettext) % {"count": term.count, "spread": spread}
    general = {
        "nl": gettext("general Dutch"),
        "en": gettext("general English"),
    }.get(language, gettext("general language"))
    ratio = 2**term.keyness
    parts = compound_parts(term.lemma, language) if unlisted else None
    if parts is not None:  # "buitenunit": Dutch writes new compounds as one word
        rarity = gettext("not in %(general)s word lists as one word: a compound of %(parts)s")
    elif unlisted:
        rarity = gettext("not in %(general)s word lists: a new word, a name, or misheard")
    elif ratio >= _RATIO_SHOWN_UP_TO:
        rarity = gettext("over %(ratio)s× more common here than in %(general)s")
        ratio = _RATIO_SHOWN_UP_TO
    elif ratio >= 2**_DISTINCTIVE_FROM:
        rarity = gettext("%(ratio)s× more common here than in %(general)s")
    elif ratio >= 1.5:
        rarity = gettext(
            "%(ratio)s× more common here than in %(general)s, too little to count as "
            "distinctive: it ranks on frequency alone"
        )
    elif ratio > 0.67:
        rarity = gettext("about as common as in %(general)s")
    else:
        rarity = gettext("less common here than in %(general)s, so it ranks on frequency alone")
    rarity %= {
        "general": general,
        "ratio": wording.number(ratio, 0),
        "parts": " + ".join(parts or ()),
    }
    return gettext("%(said)s; %(rarity)s") % {"said": said, "rarity": rarity}


def rank_terms(
    recordings: Iterable[RecordingTerms],
    *,
    role: str | None = None,
    limit: int = 50,
    min_count: int = 1,
    min_phrase_count: int = 2,
    max_quotes: int = 3,
    frequency: GeneralFrequency | None = None,
) -> list[Term]:
    """Merge per-recording counts and rank terms by frequency times keyness (`term_score`).

    With `role`, only that role's speech counts; `count_by_role` still shows what every
    role said of the term in the same recordings. The service does the same merge in SQL
    (api/termstore.py) and ranks with the same `rank_tallies`.
    """
    frequency = frequency or WordfreqFrequency()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    quotes: dict[str, list[Quote]] = defaultdict(list)
    docs: Counter[str] = Counter()
    general: dict[str, float] = {}
    languages: dict[str, str] = {}
    total_words = 0
    for rec in recordings:
        total_words += (
            sum(rec.words_by_role.values()) if role is None else rec.words_by_role.get(role, 0)
        )
        for tc in rec.terms:
            counts[tc.key].update(tc.count_by_role)
            surfaces[tc.key].update(tc.surface_counts)
            if tc.key not in general:  # fixed where the term was first heard, as in SQL
                languages[tc.key] = rec.language
                general[tc.key] = rec.general_frequency_of(tc, frequency)
            if (tc.count_by_role.get(role, 0) if role else sum(tc.count_by_role.values())) > 0:
                docs[tc.key] += 1
                quotes[tc.key].extend(q for q in tc.quotes if role is None or q.role == role)
    tallies = (
        TermTally(
            key,
            by_role.get(role, 0) if role else sum(by_role.values()),
            by_role,
            docs[key],
            general[key],
            languages[key],
        )
        for key, by_role in counts.items()
    )
    ranked = rank_tallies(
        tallies,
        total_words,
        keep=ranking_room(limit),
        min_count=max(min_count, 1),
        min_phrase_count=min_phrase_count,
    )
    terms = [
        make_term(
            r,
            role,
            [form for form, _ in surfaces[r.tally.key].most_common()],
            _best_quotes(quotes[r.tally.key], max_quotes),
        )
        for r in ranked
    ]
    return drop_covered_words(terms)[:limit]


def make_term(
    ranked: RankedTally, role: str | None, forms: Sequence[str], quotes: Sequence[Quote]
) -> Term:
    """A ranked tally with how it was said (most said first) and its evidence."""
    tally = ranked.tally
    term = Term(
        term=forms[0] if forms else tally.key,
        lemma=tally.key,
        count=tally.count,
        count_by_role={r: tally.count_by_role.get(r, 0) for r in ROLES},
        score=ranked.score,
        variants=tuple(forms) or (tally.key,),
        quotes=tuple(quotes),
        recordings=tally.recordings,
        keyness=ranked.keyness,
    )
    unlisted = tally.general <= 0
    return replace(
        term,
        why=explain_score(term, role, tally.language, unlisted=unlisted),
        general_language=tally.language,
        unlisted=unlisted,
        role=role,
    )


def _best_quotes(quotes: list[Quote], limit: int) -> list[Quote]:
    """Prefer customers' words, then spread over recordings, then keep time order."""
    order = {"customer": 0, "unknown": 1, "other": 2, "salesperson": 3}
    chosen: list[Quote] = []
    seen_recordings: set[str] = set()
    for q in sorted(quotes, key=lambda q: order.get(q.role, 9)):
        if q.recording_id not in seen_recordings:
            chosen.append(q)
            seen_recordings.add(q.recording_id)
    for q in sorted(quotes, key=lambda q: order.get(q.role, 9)):
        if q not in chosen:
            chosen.append(q)
    return chosen[:limit]


def drop_covered_words(ranked: list[Term]) -> list[Term]:
    """Drop a word or a phrase when nearly every use of it sits inside longer ranked ones:
    "pay" in "holiday pay" and "sick pay", "source heat" in "air source heat pump" and
    "ground source heat exchanger" (their counts add up)."""
    phrase_counts: dict[str, int] = defaultdict(int)
    for t in ranked:
        words = t.lemma.split()
        for size in range(2, len(words)):
            for part in {" ".join(words[at : at + size]) for at in range(len(words) - size + 1)}:
                phrase_counts[part] += t.count
    # A word's uses inside phrases: the phrases that sit in no longer one add up ("holiday
    # pay" and "sick pay"); one inside another ("heat pump" in "air source heat pump") holds
    # the same uses, so of those the largest counts.
    summed: dict[str, int] = defaultdict(int)
    largest: dict[str, int] = defaultdict(int)
    for t in ranked:
        words = t.lemma.split()
        for word in set(words) if len(words) > 1 else ():
            largest[word] = max(largest[word], t.count)
            if t.lemma not in phrase_counts:
                summed[word] += t.count
    word_counts = {w: max(summed[w], largest[w]) for w in largest}
    return [
        t
        for t in ranked
        if (phrase_counts if " " in t.lemma else word_counts).get(t.lemma, 0) < 0.9 * t.count
    ]
