"""Personal data out of transcripts before they are stored (optional: RIDEALONG_REDACT_PII).

What a marketer needs from a sales conversation is how customers talk, not who they are, so
the details that identify a person can go: e-mail addresses, phone numbers, IBANs, BSNs
(citizen service numbers that pass the eleven test), Dutch postcodes with their house
number, street addresses, and the names the service knows (the people entered with the
recording, speakers named in a correction). Each becomes a label ("[telefoonnummer]",
"[e-mail]") so a sentence still reads. Regular expressions, so they find what Whisper writes
as digits; a number spoken as words ("nul zes twaalf …") stays.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from transcribe.types import Segment, Transcript, Word

__all__ = [
    "NAME_LABEL",
    "PII_KINDS",
    "Redaction",
    "carried_by",
    "people_in",
    "redact_mentions",
    "redact_text",
    "redact_transcript",
]

_STREET = (
    r"(?:straat|laan|weg|plein|gracht|kade|singel|dijk|hof|pad|steeg|dreef|park|markt|"
    r"street|road|avenue|lane)"
)
# (kind, label, pattern): first match wins where patterns overlap.
_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("email", "[e-mail]", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    (
        "iban",
        "[IBAN]",
        re.compile(r"\b[A-Z]{2}\d{2}[ ]?[A-Z]{4}(?:[ ]?\d){8,20}\b", re.IGNORECASE),
    ),
    (
        "phone",
        "[telefoonnummer]",
        re.compile(
            r"(?<![\w+])(?:(?:\+|00)\d{2}[ -]?(?:\(0\)[ -]?)?\d(?:[ -]?\d){7,9}"  # +31 6 1234 5678
            r"|0\d(?:[ -]?\d){8})(?!\d)"  # 06-12345678, 020 123 4567
        ),
    ),
    (
        "bsn",  # the Dutch citizen service number; checked below with its eleven test
        "[BSN]",
        re.compile(r"(?<![\d.,-])\d{3}[ .]?\d{3}[ .]?\d{3}(?![\d-]|[.,]\d)"),
    ),
    (
        "postcode",
        "[postcode]",
        re.compile(r"\b\d{4}[ ]?(?!SA|SD|SS)[A-Z]{2}\b(?:[ ,]+\d{1,5}[a-zA-Z]?\b)?"),
    ),
    (
        "address",
        "[adres]",
        re.compile(rf"\b[A-Z][\w'-]*{_STREET}[ ]+\d{{1,5}}(?:[ -]?[a-zA-Z])?\b"),
    ),
)
PII_KINDS = tuple(kind for kind, _, _ in _PATTERNS) + ("name",)
NAME_LABEL = "[naam]"
_NOTE_START = "personal data redacted: "


@dataclass(frozen=True, slots=True)
class Redaction:
    """What was taken out of a text, by kind (`PII_KINDS`)."""

    counts: Counter[str]

    def __bool__(self) -> bool:
        return bool(sum(self.counts.values()))

    def describe(self) -> str:
        """A line for the transcript's notes: "personal data redacted: 1 email, 2 phone"."""
        parts = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()) if n)
        return f"{_NOTE_START}{parts}"


def _passes_eleven_test(number: str) -> bool:
    """A BSN's digits weighted 9, 8, …, 2 and -1 sum to a multiple of 11 (not 0): most
    other nine-digit numbers fail it."""
    digits = [int(c) for c in number if c.isdigit()]
    total = sum(d * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True))
    return total != 0 and total % 11 == 0


# Parts of surnames that are everyday words alone ("Van harte", "Der…"): only whole names.
_PARTICLES = frozenset({"van", "der", "den", "ten", "ter", "het", "von", "des", "del", "dos"})


Span = tuple[int, int, str, str]  # start, end, kind, label


_BETWEEN_PARTS = r"[\s-]+"  # "Jan de Vries" said, "Jan-de Vries" written


def _capitalised(part: str) -> str:
    """A part of a name as written in a sentence: "jansen" and "JANSEN" are "Jansen";
    "McDonald" stays."""
    if part.islower() or part.isupper():
        return part[:1].upper() + part[1:].lower()
    return part[:1].upper() + part[1:]


def _name_forms(names: Iterable[str]) -> tuple[set[str], set[str]]:
    """Each name as said in a sentence, whole ("De Vries", capitalised however it was typed
    in a form: "de vries"), and its parts that are a name alone: 3 letters or more, not a
    particle ("de", "van")."""
    wholes: set[str] = set()
    parts: set[str] = set()
    for name in names:
        whole = " ".join(p[:1].upper() + p[1:] for p in name.split())
        wholes.update(w for w in (name, whole) if len(w) >= 3 and w[0].isupper())
        parts.update(
            p
            for p in whole.split()
            if len(p) >= 3 and p[0].isupper() and p.lower() not in _PARTICLES
        )
    return wholes, parts


@functools.lru_cache(maxsize=64)
def _alternatives(forms: frozenset[str]) -> re.Pattern[str] | None:
    """One pattern for every form (a report may know thousands of names), longest first so
    that a whole name wins over its parts; never inside another word."""
    if not forms:
        return None
    alternatives = "|".join(re.escape(p) for p in sorted(forms, key=lambda p: (-len(p), p)))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


@functools.lru_cache(maxsize=32)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """The names, whole or by their parts, as said in a sentence (see `_name_forms`)."""
    wholes, parts = _name_forms(names)
    return _alternatives(frozenset(wholes | parts))


def _earliest_first(found: list[Span]) -> list[Span]:
    """Non-overlapping spans, earliest and longest first."""
    found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    kept: list[Span] = []
    for span in found:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def _spans(text: str, names: Sequence[str]) -> list[Span]:
    """Personal data in `text`: contact details and `names`."""
    found: list[Span] = []
    for kind, label, pattern in _PATTERNS:
        found += [
            (m.start(), m.end(), kind, label)
            for m in pattern.finditer(text)
            if kind != "bsn" or _passes_eleven_test(m.group())
        ]
    if (of_names := _names_pattern(tuple(names))) is not None:
        found += [(m.start(), m.end(), "name", NAME_LABEL) for m in of_names.finditer(text)]
    return _earliest_first(found)


def _labelled(text: str, spans: Sequence[Span]) -> tuple[str, Redaction]:
    counts: Counter[str] = Counter()
    pieces: list[str] = []
    at = 0
    for start, end, kind, label in spans:
        pieces += [text[at:start], label]
        counts[kind] += 1
        at = end
    pieces.append(text[at:])
    return "".join(pieces), Redaction(counts)


def redact_text(text: str, names: Sequence[str] = ()) -> tuple[str, Redaction]:
    """The text with personal data replaced by labels, and what was replaced."""
    return _labelled(text, _spans(text, names))


def _redact_words(words: Sequence[Word], spans_of: Callable[[str], list[Span]]) -> tuple[Word, ...]:
    """Word timings kept where the words are kept; a redacted stretch becomes one word with
    the label, timed from its first to its last word."""
    joined, starts = "", []
    for word in words:
        starts.append(len(joined))
        joined += word.word
    spans = spans_of(joined)
    if not spans:
        return tuple(words)
    out: list[Word] = []
    index = 0
    for start, end, _, label in spans:
        while index < len(words) and starts[index] + len(words[index].word) <= start:
            out.append(words[index])
            index += 1
        covered = []
        while index < len(words) and starts[index] < end:
            covered.append(words[index])
            index += 1
        if covered:
            lead = " " if covered[0].word.startswith(" ") else ""
            out.append(
                Word(covered[0].start, covered[-1].end, f"{lead}{label}", covered[0].probability)
            )
    out += words[index:]
    return tuple(out)


def redact_transcript(transcript: Transcript, names: Iterable[str] = ()) -> Transcript:
    """The transcript with personal data out of every segment (text and words), speaker
    names included, and a note saying what was removed."""
    speakers = [s.name or "" for s in transcript.speakers]
    known = sorted({n.strip() for n in [*names, *speakers] if n.strip()}, key=len, reverse=True)
    return _redacted(transcript, [lambda text: _spans(text, known)] * len(transcript.segments))


_SEVERAL_PEOPLE = re.compile(r"\s*(?:[,&/+]|\s-\s|\b(?:en|and)\b)\s*", re.IGNORECASE)
# Titles and family words typed around a name: "Dhr. Jan de Vries" is Jan de Vries.
_TITLES = frozenset(
    "dhr mevr mw mr mrs ms dr drs ir ing jr sr fam familie meneer mevrouw heer".split()
)


def people_in(names: Iterable[str]) -> list[str]:
    """Each person in names as typed: "Piet Jansen en Marie Jansen" is two people, "Jan de
    Vries - Zonnig Dak" a person and a company."""
    return [p for n in names for p in _SEVERAL_PEOPLE.split(n or "") if p.strip()]


def _name_words(name: str) -> list[str]:
    """A name's words, without what is typed around it: titles, family words, and a note in
    brackets ("Jan de Vries (klant)")."""
    name = re.sub(r"\([^)]*\)", " ", name)
    words = [w.casefold() for w in re.split(r"[\s.-]+", name) if w]
    return [w for w in words if w not in _TITLES]


def carried_by(name: str, people: Iterable[str]) -> bool:
    """Whether another of `people` carries `name` inside their own ("De Vries" in "Jan de
    Vries", "Jansen" in "Marie Jansen"): where they take part, a mention of it may well be
    them, so it is never taken for somebody else's. The person themselves, typed with a
    title ("Dhr. Jan de Vries"), carries nobody's name but their own."""
    said = _name_words(name)
    for person in people:
        theirs = _name_words(person)
        if (
            said
            and theirs != said
            and any(theirs[i : i + len(said)] == said for i in range(len(theirs) - len(said) + 1))
        ):
            return True
    return False


def redact_mentions(transcript: Transcript, name: str, keep: Iterable[str] = ()) -> Transcript:
    """`transcript` without `name` where this conversation mentions a person who is not in
    it ("onze buurman Piet Jansen"): the whole name wherever it is said, and its parts
    ("meneer Jansen") once the whole name was said, except the parts of the names in `keep`
    (the conversation's own people: "Piet de Boer" stays "Piet"). Untouched where one of
    them carries the name in theirs (`carried_by`)."""
    keep = people_in(keep)
    if carried_by(name, keep):
        return transcript
    said = name.split()
    kept_parts = {p.casefold() for n in keep for p in n.split()}
    # Two words or more are this name in any capitals ("Jan de Vries" typed "jan de vries"
    # or "JAN DE VRIES"); one word only written as a name ("Bakker", not "de bakker").
    whole = (
        re.compile(rf"(?<!\w){_BETWEEN_PARTS.join(map(re.escape, said))}(?!\w)", re.IGNORECASE)
        if len(said) > 1
        else _alternatives(
            frozenset(p for p in {*said, *map(_capitalised, said)} if p[:1].isupper())
        )
    )
    part = _alternatives(
        frozenset(
            form
            for p in said
            if len(p) >= 3 and p.lower() not in _PARTICLES and p.casefold() not in kept_parts
            for form in {p, _capitalised(p)}
            if form[:1].isupper()
        )
    )
    if whole is None:
        return transcript

    def spans_from(said_before: bool) -> Callable[[str], list[Span]]:
        def spans_of(text: str) -> list[Span]:
            found = [(m.start(), m.end(), "name", NAME_LABEL) for m in whole.finditer(text)]
            after = 0 if said_before else min((s[0] for s in found), default=len(text) + 1)
            if part is not None:
                found += [
                    (m.start(), m.end(), "name", NAME_LABEL)
                    for m in part.finditer(text)
                    if m.start() >= after
                ]
            return _earliest_first(found)

        return spans_of

    first = next(
        (i for i, s in enumerate(transcript.segments) if whole.search(s.text)),
        len(transcript.segments),
    )
    return _redacted(transcript, [spans_from(i > first) for i in range(len(transcript.segments))])


def _redacted(
    transcript: Transcript, spans_of: Sequence[Callable[[str], list[Span]]]
) -> Transcript:
    """The transcript with each segment's spans (found by its function in `spans_of`)
    labelled, in its text, its words and the letters Whisper heard before a correction."""
    changed = False
    heard_total: Counter[str] = Counter()
    segments: list[Segment] = []
    for segment, spans_in in zip(transcript.segments, spans_of, strict=True):
        text, redaction = _labelled(segment.text, spans_in(segment.text))
        if redaction:
            changed = True
            segment = replace(segment, text=text, words=_redact_words(segment.words, spans_in))
        heard = Counter(s[2] for w in segment.words if w.heard for s in spans_in(w.heard))
        if heard:  # Whisper's letters of a word spelling.py corrected held personal data
            changed = True
            heard_total.update(heard)
            words = [replace(w, heard=None) if w.heard else w for w in segment.words]
            segment = replace(segment, words=tuple(words))
        segments.append(segment)
    if not changed:
        return transcript
    # The note counts the labels in the text, so it also covers what an earlier pass took
    # out (a long recording's finished part, a name given later), and stays one note.
    total = _labels(segments) + heard_total
    notes = tuple(n for n in transcript.notes if not n.startswith(_NOTE_START))
    return replace(
        transcript, segments=tuple(segments), notes=(*notes, Redaction(total).describe())
    )


def _labels(segments: Sequence[Segment]) -> Counter[str]:
    """How many of each kind of label the segments' text holds."""
    labels = {label: kind for kind, label, _ in _PATTERNS} | {NAME_LABEL: "name"}
    return Counter(
        {kind: sum(s.text.count(label) for s in segments) for label, kind in labels.items()}
    )
