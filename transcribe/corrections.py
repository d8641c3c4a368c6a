"""A person's correction of a transcript line: the new words keep the timings of the words
they leave as they were, so quotes still start at the right moment and the player still
follows along.

Whisper mishears ("cero prijsgesteld" for "zeer op prijs gesteld"); the person who was there
knows better. The corrected text is aligned with the words Whisper heard (difflib, on
lower-case letters and digits): words left as they were keep their times and confidence;
new words share the time of the words they replace (or the gap they fill) and are marked
sure (a person wrote them). They keep nothing of what Whisper heard: the person who was there
is the authority, and what they typed over (a phone number, a name) must not stay behind.
"""

from __future__ import annotations

import re
from dataclasses import replace
from difflib import SequenceMatcher

from transcribe.types import Segment, Word

__all__ = ["MAX_LINE_CHARS", "correct_segment"]

MAX_LINE_CHARS = 2000
_LETTERS = re.compile(r"[^\w]+")


def _key(word: str) -> str:
    return _LETTERS.sub("", word.casefold())


def _spread(tokens: list[str], start: float, end: float) -> list[Word]:
    """Words said between `start` and `end`, an equal share of the time each."""
    step = max(end - start, 0.0) / len(tokens)
    return [
        Word(start + i * step, start + (i + 1) * step, f" {token}", 1.0)
        for i, token in enumerate(tokens)
    ]


_WORD_S = 0.1  # a gap shorter than this a word holds no word: the new one shares its neighbours'
_ALIGN_BUDGET = 40_000  # word pairs compared; beyond, the changed middle is retimed whole


def _opcodes(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's edit script from `old` to `new`, the same start and end taken off first
    (a correction usually changes a word or two), and the middle compared only where that
    stays cheap: the comparison grows with the square of the words, and a line is as long
    as a person makes it."""
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    middle_old, middle_new = old[head : len(old) - tail], new[head : len(new) - tail]
    ops: list[tuple[str, int, int, int, int]] = [("equal", 0, head, 0, head)] if head else []
    if len(middle_old) * len(middle_new) <= _ALIGN_BUDGET:
        matcher = SequenceMatcher(a=middle_old, b=middle_new, autojunk=False)
        ops += [
            (op, a0 + head, a1 + head, b0 + head, b1 + head)
            for op, a0, a1, b0, b1 in matcher.get_opcodes()
        ]
    elif middle_old or middle_new:
        op = "replace" if middle_old and middle_new else "delete" if middle_old else "insert"
        ops.append((op, head, len(old) - tail, head, len(new) - tail))
    if tail:
        ops.append(("equal", len(old) - tail, len(old), len(new) - tail, len(new)))
    return ops


def correct_segment(segment: Segment, text: str) -> Segment:
    """`segment` saying `text` (one line: its whitespace made single spaces), with word
    timings carried over as the module says. A segment without word timings stays so."""
    text = " ".join(text.split())
    if text == " ".join(segment.text.split()):
        return segment  # saved as it was: nothing moves (nor do words of unspaced scripts)
    tokens = text.split(" ") if text else []
    if not segment.words or not tokens:
        return replace(segment, text=text, words=() if not tokens else segment.words)
    old = list(segment.words)
    words: list[Word] = []
    for op, a0, a1, b0, b1 in _opcodes([_key(w.word) for w in old], [_key(t) for t in tokens]):
        if op == "equal":  # the same words, maybe with other capitals or punctuation
            words += [
                replace(w, word=f" {t}") if w.word.strip() != t else w
                for w, t in zip(old[a0:a1], tokens[b0:b1], strict=True)
            ]
        elif op in ("replace", "insert"):
            if op == "replace":
                start, end = old[a0].start, old[a1 - 1].end
            else:  # into the gap between the words around it
                start = old[a0 - 1].end if a0 > 0 else segment.start
                end = old[a0].start if a0 < len(old) else segment.end
                if end - start < _WORD_S * (b1 - b0):  # words run on: overlap their halves
                    start = (old[a0 - 1].start + start) / 2 if a0 > 0 else start
                    end = (old[a0].end + end) / 2 if a0 < len(old) else end
            words += _spread(tokens[b0:b1], start, end)
        # "delete": words the person took out go
    return replace(segment, text=text, words=tuple(words))
