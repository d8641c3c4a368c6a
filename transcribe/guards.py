"""Hallucination guards applied after decoding: pure functions over segments.

Whisper invents text where there is none: subtitle credits learnt from its training data
("Ondertiteling: ...", "Bedankt voor het kijken", "Thanks for watching"), and loops that
repeat a word or phrase many times. VAD and the decoder's thresholds stop most of it before
decoding; these functions remove what slips through.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import replace

from transcribe.types import Segment

__all__ = ["PHANTOM_PATTERNS", "apply_guards", "collapse_repeats", "is_phantom"]

# Whole-segment texts Whisper emits on silence, noise or music. Matched on the normalised
# segment text; a real sentence that merely contains such words is kept.
PHANTOM_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"^(ondertiteling|ondertiteld|ondertitels|vertaling|subtitles?|subtitled|captions?)"
        r"\b.*$",
        r"^.*\b(amara org|tv gelderland|omroep brabant|dotsub|nl subs|opensubtitles)\b.*$",
        r"^(bedankt|dank je wel|dank u wel|dankjewel|thanks|thank you) (voor het|for) "
        r"(kijken|luisteren|watching|listening)\b.*$",
        r"^(abonneer|vergeet niet te abonneren|like en abonneer|please subscribe|subscribe)"
        r"\b.*$",
        r"^(tot de volgende keer|see you next time|tot ziens|bye bye)$",
        r"^.*\b(in de volgende video|in the next video|in my next video)\b.*$",
        r"^(muziek|music|applaus|applause|gelach|laughter|stilte|silence)$",
        r"^(you|the)$",
    )
)

MAX_REPEATS = 2  # a phrase said more than this many times in a row is a loop
_MAX_PHRASE = 12  # longest phrase (in words) checked for loops ("if you can make a video for me")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def is_phantom(text: str) -> bool:
    """True when the whole text is one of Whisper's known inventions (or empty)."""
    norm = _normalise(text)
    return not norm or any(p.match(norm) for p in PHANTOM_PATTERNS)


def _loop_spans(tokens: Sequence[str], max_repeats: int) -> list[tuple[int, int]]:
    """(start, end) index ranges of surplus repeats: keep the first `max_repeats` copies."""
    spans: list[tuple[int, int]] = []
    i = 0
    n = len(tokens)
    while i < n:
        removed = False
        for size in range(1, _MAX_PHRASE + 1):
            phrase = tokens[i : i + size]
            if len(phrase) < size:
                break
            copies = 1
            while tokens[i + copies * size : i + (copies + 1) * size] == phrase:
                copies += 1
            if copies > max_repeats:
                keep_end = i + max_repeats * size
                loop_end = i + copies * size
                spans.append((keep_end, loop_end))
                i = loop_end
                removed = True
                break
        if not removed:
            i += 1
    return spans


def collapse_repeats(segment: Segment, max_repeats: int = MAX_REPEATS) -> Segment:
    """Cut a word or phrase repeated more than `max_repeats` times in a row down to that."""
    if segment.words:
        keys = [_normalise(w.word) for w in segment.words]
        spans = _loop_spans(keys, max_repeats)
        if not spans:
            return segment
        drop = {i for a, b in spans for i in range(a, b)}
        words = tuple(w for i, w in enumerate(segment.words) if i not in drop)
        text = "".join(w.word for w in words).strip()
        end = words[-1].end if words else segment.start
        return replace(segment, text=text, words=words, end=end)
    tokens = segment.text.split()
    spans = _loop_spans([_normalise(t) for t in tokens], max_repeats)
    if not spans:
        return segment
    drop = {i for a, b in spans for i in range(a, b)}
    return replace(segment, text=" ".join(t for i, t in enumerate(tokens) if i not in drop))


def _drop_repeated_segments(segments: Iterable[Segment], max_repeats: int) -> list[Segment]:
    kept: list[Segment] = []
    run = 0
    for segment in segments:
        same = bool(kept) and _normalise(kept[-1].text) == _normalise(segment.text)
        run = run + 1 if same else 1
        if run <= max_repeats:
            kept.append(segment)
    return kept


def apply_guards(segments: Iterable[Segment], max_repeats: int = MAX_REPEATS) -> list[Segment]:
    """Remove phantom lines and repetition loops; keep everything else untouched."""
    cleaned = []
    for segment in segments:
        if is_phantom(segment.text):
            continue
        segment = collapse_repeats(segment, max_repeats)
        if segment.text and not is_phantom(segment.text):
            cleaned.append(segment)
    return _drop_repeated_segments(cleaned, max_repeats)
