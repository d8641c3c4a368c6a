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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from transcribe.types import Segment, Transcript, Word

__all__ = ["NAME_LABEL", "PII_KINDS", "Redaction", "redact_text", "redact_transcript"]

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


@functools.lru_cache(maxsize=32)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for every name (a report may know thousands), longest first so that a
    whole name wins over its parts. As said in a sentence: capitalised ("mevrouw De
    Vries"), however it was typed in a form ("de vries"); a part of under 3 letters ("de",
    "van") is no name alone."""
    parts: set[str] = set()
    for name in names:
        whole = " ".join(p[:1].upper() + p[1:] for p in name.split())
        parts.update(
            part
            for part in {name, whole, *whole.split()}
            if len(part) >= 3 and part[0].isupper() and part.lower() not in _PARTICLES
        )
    if not parts:
        return None
    alternatives = "|".join(re.escape(p) for p in sorted(parts, key=lambda p: (-len(p), p)))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _spans(
    text: str, names: Sequence[str], names_only: bool = False
) -> list[tuple[int, int, str, str]]:
    """Non-overlapping (start, end, kind, label) matches, earliest and longest first."""
    found: list[tuple[int, int, str, str]] = []
    for kind, label, pattern in () if names_only else _PATTERNS:
        found += [
            (m.start(), m.end(), kind, label)
            for m in pattern.finditer(text)
            if kind != "bsn" or _passes_eleven_test(m.group())
        ]
    if (of_names := _names_pattern(tuple(names))) is not None:
        found += [(m.start(), m.end(), "name", NAME_LABEL) for m in of_names.finditer(text)]
    found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    kept: list[tuple[int, int, str, str]] = []
    for span in found:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def redact_text(
    text: str, names: Sequence[str] = (), names_only: bool = False
) -> tuple[str, Redaction]:
    """The text with personal data replaced by labels, and what was replaced."""
    counts: Counter[str] = Counter()
    pieces: list[str] = []
    at = 0
    for start, end, kind, label in _spans(text, names, names_only):
        pieces += [text[at:start], label]
        counts[kind] += 1
        at = end
    pieces.append(text[at:])
    return "".join(pieces), Redaction(counts)


def _redact_words(
    words: Sequence[Word], names: Sequence[str], names_only: bool = False
) -> tuple[Word, ...]:
    """Word timings kept where the words are kept; a redacted stretch becomes one word with
    the label, timed from its first to its last word."""
    joined, starts = "", []
    for word in words:
        starts.append(len(joined))
        joined += word.word
    spans = _spans(joined, names, names_only)
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


def redact_transcript(
    transcript: Transcript, names: Iterable[str] = (), *, names_only: bool = False
) -> Transcript:
    """The transcript with personal data out of every segment (text and words), speaker
    names included, and a note saying what was removed. With `names_only`, only `names`
    go (a person's mentions in somebody else's conversation)."""
    speakers = () if names_only else [s.name or "" for s in transcript.speakers]
    known = sorted({n.strip() for n in [*names, *speakers] if n.strip()}, key=len, reverse=True)
    changed = False
    heard_total: Counter[str] = Counter()
    segments: list[Segment] = []
    for segment in transcript.segments:
        text, redaction = redact_text(segment.text, known, names_only)
        if redaction:
            changed = True
            kept = _redact_words(segment.words, known, names_only)
            segment = replace(segment, text=text, words=kept)
        heard = Counter(
            s[2] for w in segment.words if w.heard for s in _spans(w.heard, known, names_only)
        )
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
