"""Misheard words put right: a word no dictionary knows, one edit away from a common one.

When Whisper base is unsure of a Dutch word it writes down the sounds, and the result is
often no word at all: "ofverte" for offerte, "aankop" for aankoop, "dakbedecking" for
dakbedekking. Such non-words also split a customer term in the keyword report. A word is
corrected only when

- its segment's language has a word list (wordfreq) and the word is in none of the lists
  (that language's, simplemma's dictionary of it, English for loanwords, the glossary);
- it is at least four letters, all letters, and not capitalised inside a sentence (a name);
- a common word (Zipf frequency ≥ 2) lies one edit away (a letter added, dropped, changed,
  or two swapped); the most frequent one is taken.

Two edits were measured and rejected: they find a real word for nearly any non-word, and
change meanings ("prijsgesteld" became "vrijgesteld"). A name one edit from a glossary word
becomes the glossary word.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from transcribe.types import Segment, Word

__all__ = ["Lexicon", "correct_spelling", "correct_word", "lexicon"]

MIN_LETTERS = 4  # shorter non-words are too often a clipped real word or a name
CANDIDATE_ZIPF = 2.0  # a correction must be at least this common (Zipf: log10 per 10^9 words)
_LOANWORDS = "en"  # a word known in English is left alone in any language
_CORE = re.compile(r"^(\W*)([^\W\d_]+)(\W*)$")  # leading space/punctuation, letters, trailing
_SENTENCE_END = re.compile(r"[.!?…:]\W*$")
_ALPHABET_WORDS = 100  # letters in fewer common words (Greek in a Dutch list) are not tried


@dataclass(frozen=True)
class Lexicon:
    """The words of one language: which are known, and which are common enough to propose."""

    language: str
    common: dict[str, float]  # word -> frequency, for words at least CANDIDATE_ZIPF
    alphabet: str  # the letters the common words are written with

    def knows(self, word: str) -> bool:
        from wordfreq import word_frequency

        if word_frequency(word, self.language) > 0 or word_frequency(word, _LOANWORDS) > 0:
            return True
        return _simplemma_knows(word, self.language)


def _simplemma_knows(word: str, language: str) -> bool:
    import simplemma

    try:
        return bool(simplemma.is_known(word, lang=language))
    except ValueError:  # a language simplemma has no dictionary for
        return False


@functools.cache
def lexicon(language: str) -> Lexicon | None:
    """The lexicon for an ISO 639-1 code, built once; None where wordfreq has no list."""
    from wordfreq import available_languages, get_frequency_dict

    if language not in available_languages():
        return None
    floor = 10 ** (CANDIDATE_ZIPF - 9)
    common = {w: f for w, f in get_frequency_dict(language).items() if f >= floor and w.isalpha()}
    letters = Counter(c for w in common for c in set(w))
    alphabet = "".join(sorted(c for c, n in letters.items() if n >= _ALPHABET_WORDS))
    return Lexicon(language, common, alphabet)


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


def correct_word(word: str, lexicon: Lexicon, glossary: dict[str, str] | None = None) -> str | None:
    """The correction of a lower-case word, or None when it is known or nothing is close.

    `glossary` maps lower-case glossary words to their spelling; they count as known and
    win over common words at the same distance.
    """
    glossary = glossary or {}
    if len(word) < MIN_LETTERS or word in glossary or lexicon.knows(word):
        return None
    near = set(_one_edit(word, lexicon.alphabet))
    in_glossary = sorted(glossary[w] for w in near if w in glossary)
    if in_glossary:
        return in_glossary[0]
    common = [w for w in near if w in lexicon.common]
    return max(common, key=lambda w: (lexicon.common[w], w)) if common else None


def _glossary_words(glossary: Iterable[str]) -> dict[str, str]:
    words: dict[str, str] = {}
    for term in glossary:
        for w in re.findall(r"[^\W\d_]+", term):
            words.setdefault(w.lower(), w)
    return words


def _with_case(correction: str, original: str) -> str:
    return correction[0].upper() + correction[1:] if original[0].isupper() else correction


def correct_spelling(
    segments: Sequence[Segment], language: str | None, glossary: Iterable[str] = ()
) -> list[Segment]:
    """The segments with non-words corrected, in `words` and `text` alike.

    `language` is the recording's; a segment's own language wins. Segments without word
    timings are left as they are.
    """
    known_glossary = _glossary_words(glossary)
    out: list[Segment] = []
    for segment in segments:
        lex = lexicon(segment.language or language or "")
        if lex is None or not segment.words:
            out.append(segment)
            continue
        words: list[Word] = []
        text = segment.text
        cursor = 0  # where in `text` the next word is looked for
        sentence_start = True
        for w in segment.words:
            token = w.word.strip()
            at = text.find(token, cursor) if token else -1
            fixed = _fixed_word(w.word, lex, known_glossary, sentence_start)
            if fixed is not None:
                if at >= 0:
                    text = text[:at] + fixed.strip() + text[at + len(token) :]
                w = replace(w, word=fixed, heard=w.word)
            if at >= 0:
                cursor = at + len(w.word.strip())
            words.append(w)
            sentence_start = bool(_SENTENCE_END.search(w.word))
        out.append(replace(segment, text=text, words=tuple(words)))
    return out


def _fixed_word(
    word: str, lex: Lexicon, glossary: dict[str, str], sentence_start: bool
) -> str | None:
    """`word` as Whisper wrote it (space and punctuation kept) with its letters corrected."""
    match = _CORE.match(word)
    if not match or (match[2].isupper() and len(match[2]) > 1):  # not a word, or an acronym
        return None
    lead, core, trail = match.groups()
    fix = correct_word(core.lower(), lex, glossary)
    if fix is None:
        return None
    if fix.lower() in glossary:
        return lead + fix + trail
    if core[0].isupper() and not sentence_start:
        return None  # a name: only a glossary word may replace it
    return lead + _with_case(fix, core) + trail
