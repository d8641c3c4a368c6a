"""Misheard words put right: a word no dictionary knows, one edit away from a common one.

When Whisper base is unsure of a Dutch word it writes down the sounds, and the result is
often no word at all: "ofverte" for offerte, "aankop" for aankoop, "beskelling" for
bestelling. Such non-words also split a customer term in the keyword report. A word is
corrected only when

- it is at least four letters, all letters, and written in lower case (a capitalised word
  may be a name or a brand: only a glossary word one edit away replaces it);
- no word list knows it: wordfreq's and simplemma's for the recording's languages (Dutch
  words in a window Whisper heard as English stay Dutch), the glossary, or two known words
  joined (Dutch writes new compounds as one word: "binnenunit");
- a common word of its segment's language (Zipf frequency ≥ 2, in simplemma's dictionary
  too, so not a lower-cased place or family name, and not more common in English) lies one
  edit away: a letter added, dropped, changed, or two swapped. The most frequent one is
  taken.

Two edits were measured and rejected: they find a real word for nearly any non-word, and
change meanings ("prijsgesteld" became "vrijgesteld").
"""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from transcribe.types import Segment, Word

__all__ = ["Lexicon", "correct_spelling", "correct_word", "lexicon"]

MIN_LETTERS = 4  # shorter non-words are too often a clipped real word or a name
CANDIDATE_ZIPF = 2.0  # a correction must be at least this common (Zipf: log10 per 10^9 words)
COMPOUND_PART = 4  # letters in each part of a compound read as two known words
COMPOUND_PART_ZIPF = 3.0  # how common each part must be
_CORE = re.compile(r"^(\W*)([^\W\d_]+)(\W*)$")  # leading space/punctuation, letters, trailing
_ALPHABET_WORDS = 100  # letters in fewer common words (Greek in a Dutch list) are not tried
_BUILDING = threading.Lock()  # worker threads share one list of common words per language


@dataclass(frozen=True)
class Lexicon:
    """The words of one language: which are known, and which are common enough to propose.

    The common words are gathered on first use: a language only consulted for words it
    knows (English, in a Dutch call) never needs them.
    """

    language: str

    @property
    def common(self) -> dict[str, float]:
        """word -> frequency, for dictionary words of CANDIDATE_ZIPF or more."""
        return _common_words(self.language)[0]

    @property
    def alphabet(self) -> str:
        """The letters the common words are written with."""
        return _common_words(self.language)[1]

    def lists(self, word: str) -> bool:
        """In wordfreq's list or simplemma's dictionary."""
        from wordfreq import word_frequency

        return word_frequency(word, self.language) > 0 or _in_dictionary(word, self.language)

    def knows(self, word: str) -> bool:
        """Listed, or two common words joined."""
        from wordfreq import zipf_frequency

        if self.lists(word):
            return True
        return any(
            zipf_frequency(word[:i], self.language) >= COMPOUND_PART_ZIPF
            and zipf_frequency(word[i:], self.language) >= COMPOUND_PART_ZIPF
            for i in range(COMPOUND_PART, len(word) - COMPOUND_PART + 1)
        )


def _in_dictionary(word: str, language: str) -> bool:
    """simplemma knows the word form; True for languages it has no dictionary of."""
    import simplemma

    try:
        return bool(simplemma.is_known(word, lang=language))
    except ValueError:
        return True


@functools.cache
def lexicon(language: str) -> Lexicon | None:
    """The lexicon for an ISO 639-1 code; None where wordfreq has no list."""
    from wordfreq import available_languages

    return Lexicon(language) if language in available_languages() else None


_COMMON: dict[str, tuple[dict[str, float], str]] = {}  # language -> its common words, built


def _common_words(language: str) -> tuple[dict[str, float], str]:
    """Built once per language; a thread only waits while a list it needs is being built."""
    built = _COMMON.get(language)
    if built is None:
        with _BUILDING:
            built = _COMMON.get(language)
            if built is None:
                built = _COMMON[language] = _build_common_words(language)
    return built


def _build_common_words(language: str) -> tuple[dict[str, float], str]:
    from wordfreq import get_frequency_dict

    floor = 10 ** (CANDIDATE_ZIPF - 9)
    common = {
        w: f
        for w, f in get_frequency_dict(language).items()
        if f >= floor and w.isalpha() and _in_dictionary(w, language)
    }
    letters = Counter(c for w in common for c in set(w))
    alphabet = "".join(sorted(c for c, n in letters.items() if n >= _ALPHABET_WORDS))
    return common, alphabet


def _one_edit(word: str, alphabet: str) -> Iterator[str]:
    """Every string one insertion, deletion, substitution or swap of neighbours away."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    for left, right in splits:
        if right:
            yield left + right[1:]
            if len(right) > 1:
                yield left + right[1] + right[0] + right[2:]
            for c in alphabet:
                yield left + c + right[1:]
        for c in alphabet:
            yield left + c + right


def correct_word(
    word: str,
    lexicon: Lexicon,
    glossary: dict[str, str] | None = None,
    also_known: Sequence[Lexicon] = (),
    *,
    glossary_only: bool = False,
) -> str | None:
    """The correction of a lower-case word, or None when it is known or nothing is close.

    `glossary` maps lower-case glossary words to their spelling: they count as known, and
    win over common words (`glossary_only`: they are the only candidates). Words known to
    a lexicon in `also_known` are left too.
    """
    glossary = glossary or {}
    if len(word) < MIN_LETTERS or word in glossary:
        return None
    if lexicon.knows(word) or any(other.knows(word) for other in also_known):
        return None
    alphabet = "".join(sorted(set(lexicon.alphabet).union(*glossary)))
    near = set(_one_edit(word, alphabet))
    in_glossary = sorted(glossary[w] for w in near if w in glossary)
    if in_glossary or glossary_only:
        return in_glossary[0] if in_glossary else None
    frequency = lexicon.common
    common = [w for w in near if w in frequency and not _rather_english(w, lexicon.language)]
    return max(common, key=lambda w: (frequency[w], w)) if common else None


def _rather_english(word: str, language: str) -> bool:
    """More common in English than in `language`: no correction for a Dutch word
    ("challengen" is Dutch, "challenge" English)."""
    from wordfreq import word_frequency

    return language != "en" and word_frequency(word, "en") > word_frequency(word, language)


def _glossary_words(glossary: Iterable[str]) -> dict[str, str]:
    """Lower-case word -> its spelling; a word of a longer term keeps only inner capitals."""
    words: dict[str, str] = {}
    for term in glossary:
        parts = re.findall(r"[^\W\d_]+", term)
        for part in parts:
            spelling = part if len(parts) == 1 or not part[1:].islower() else part.lower()
            words.setdefault(part.lower(), spelling)
    return words


def correct_spelling(
    segments: Sequence[Segment],
    language: str | None,
    glossary: Iterable[str] = (),
    languages: Sequence[str] = (),
) -> list[Segment]:
    """The segments with non-words corrected, in `words` and `text` alike.

    `language` is the recording's; a segment's own language picks the corrections, and a
    word known in any of `language` and `languages` is left. Segments without word timings
    are left as they are. A corrected word keeps Whisper's letters in `Word.heard`.
    """
    known_glossary = _glossary_words(glossary)
    known_in = [
        x for code in dict.fromkeys([*(language or "",), *languages]) if (x := lexicon(code))
    ]
    out: list[Segment] = []
    for segment in segments:
        lex = lexicon(segment.language or language or "")
        if lex is None or not segment.words:
            out.append(segment)
            continue
        others = [x for x in known_in if x.language != lex.language]
        words: list[Word] = []
        text = segment.text
        cursor = 0  # where in `text` the next word is looked for
        for w in segment.words:
            token = w.word.strip()
            at = text.find(token, cursor) if token else -1
            fixed = _fixed_word(w.word, lex, known_glossary, others)
            if fixed is not None:
                if at >= 0:
                    text = text[:at] + fixed.strip() + text[at + len(token) :]
                w = replace(w, word=fixed, heard=w.word)
            if at >= 0:
                cursor = at + len(w.word.strip())
            words.append(w)
        out.append(replace(segment, text=text, words=tuple(words)))
    return out


def _fixed_word(
    word: str, lex: Lexicon, glossary: dict[str, str], others: Sequence[Lexicon]
) -> str | None:
    """`word` as Whisper wrote it (space and punctuation kept) with its letters corrected.

    A capitalised word may be a name, a brand or an acronym as well as a sentence's first
    word: only a glossary word replaces it.
    """
    match = _CORE.match(word)
    if not match:
        return None
    lead, core, trail = match.groups()
    fix = correct_word(core.lower(), lex, glossary, others, glossary_only=not core.islower())
    if fix is None:
        return None
    if fix == fix.lower() and core[0].isupper():
        fix = fix.capitalize()
    return lead + fix + trail
