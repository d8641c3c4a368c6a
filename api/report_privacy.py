"""Answers for a `report` API key without the names and contact details said in them.

A CMS shows customers' words on a website; "Goedemiddag mevrouw De Vries" or a phone number
read out must not travel there, in a quote or as a term. The names are the ones the service
knows (every recording's salesperson and customer, the quoted recordings' named speakers,
every enrolled voice) and those redaction finds in the quotes ("meneer Jansen"); contact
details are found as `transcribe.redact` finds them. What `read` keys get is unchanged:
they see whole transcripts anyway.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from analyze.text import starts_sentence
from api.db import Recording
from api.voices import list_voices
from transcribe.redact import redact_text

__all__ = ["quoted_recordings", "without_personal_data"]

T = TypeVar("T")
_TEXT_FIELDS = frozenset({"text", "question"})  # a quote's words; a question group's phrasing
# A question group's keywords and topics, a page's words: a name among them goes (a term's
# other forms go with it, or stay as forms of a word).
_WORD_LISTS = frozenset({"keywords", "topics", "page_lacks", "present_terms"})
_WORD = re.compile(r"[^\W\d_]+")


def quoted_recordings(value: Any, found: set[str] | None = None) -> set[str]:
    """The ids of the recordings `value`'s quotes come from (dataclasses, in tuples and lists)."""
    found = set() if found is None else found
    if is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            item = getattr(value, f.name)
            if f.name == "recording_id" and isinstance(item, str):
                found.add(item)
            else:
                quoted_recordings(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            quoted_recordings(item, found)
    return found


QUOTES_PER_RECORDING = 3  # in one answer: a few sentences of a conversation, never the whole


def _is_quote(value: Any) -> bool:
    return is_dataclass(value) and hasattr(value, "recording_id") and hasattr(value, "text")


def _term_in(item: Any) -> Any:
    """The ranked term an answer's item is about (a term, a suggested or rising term, a
    replacement's customer word); None for anything else."""
    for candidate in (item, getattr(item, "term", None), getattr(item, "customer_term", None)):
        if is_dataclass(candidate) and hasattr(candidate, "lemma") and hasattr(candidate, "quotes"):
            return candidate
    return None


class _Redactor:
    """Walks an answer (dataclasses, nested in tuples and lists) in its order, best first."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = names
        # Each part of a known name, of three letters or more ("de" and "van" are words).
        self.name_parts = {
            part.casefold() for name in names for part in _WORD.findall(name) if len(part) >= 3
        }
        self.quoted: Counter[str] = Counter()

    def is_name(self, words: str, quotes: Sequence[Any] = ()) -> bool:
        """Whether a term (or keyword) names somebody. Said in its quotes, it does when it
        is written as a name there (capitalised inside a sentence, never in lower case)
        and is a known name's part or something redaction takes out ("meneer Jansen"): a
        customer typed as "Dak & Zo" does not make "op het dak" a name. Without quotes, it
        does when it is a known name's part."""
        said = _WORD.findall(words)
        if len(said) > 1:  # "karel appel", "warmtepomp van Karel": a name among its words
            return any(self.is_name(word, quotes) for word in said)
        known = bool(said) and said[0].casefold() in self.name_parts
        pattern = re.compile(rf"(?<!\w){re.escape(words)}(?!\w)", re.IGNORECASE)
        as_name = as_word = False
        for quote in quotes:
            text = str(getattr(quote, "text", ""))
            for found in pattern.finditer(text):
                if found.group()[:1].islower():
                    as_word = True
                elif not starts_sentence(text, found.start()):
                    redacted = redact_text(text, self.names)[0].casefold()
                    as_name = as_name or known or words.casefold() not in redacted
        if as_word or as_name:
            return as_name and not as_word
        return known

    def keeps(self, item: Any) -> bool:
        """Whether an item stays: a term that names somebody goes; a quote stays while it
        fits its conversation's budget (counted as it is kept)."""
        if (term := _term_in(item)) is not None:
            return not any(self.is_name(form, term.quotes) for form in (term.term, term.lemma))
        if not _is_quote(item):
            return True
        self.quoted[item.recording_id] += 1
        return self.quoted[item.recording_id] <= QUOTES_PER_RECORDING

    def __call__(self, value: T) -> T:
        if is_dataclass(value) and not isinstance(value, type):
            changes: dict[str, Any] = {}
            for f in fields(value):
                if not f.init:
                    continue
                item = getattr(value, f.name)
                if f.name in _TEXT_FIELDS and isinstance(item, str):
                    changes[f.name] = redact_text(item, self.names)[0]
                elif f.name in _WORD_LISTS and isinstance(item, tuple):
                    words = tuple(w for w in item if not self.is_name(str(w)))
                    if words != item:
                        changes[f.name] = words
                elif f.name == "recording_id" and _is_quote(value):
                    changes[f.name] = ""  # which conversation: not for this key
                else:
                    new = self(item)
                    if new is not item:
                        changes[f.name] = new
            return replace(value, **changes) if changes else value
        if isinstance(value, tuple | list):
            kept = [self(item) for item in value if self.keeps(item)]
            return tuple(kept) if isinstance(value, tuple) else kept  # type: ignore[return-value]
        return value


def _names(session: Session, recording_ids: Collection[str]) -> list[str]:
    """The people's names known: every recording's salesperson and customer (a quote may
    name the customer of another visit), the named speakers of these recordings, and every
    enrolled voice's."""
    names = {voice.name for voice in list_voices(session)}
    for column in (Recording.salesperson, Recording.customer):
        names.update(n for n in session.scalars(select(column).distinct()) if n)
    ids = list(recording_ids)
    for start in range(0, len(ids), 500):  # within any database's limit on parameters
        rows = session.execute(
            select(Recording.salesperson, Recording.customer, Recording.transcript_json).where(
                Recording.id.in_(ids[start : start + 500])
            )
        )
        for salesperson, customer, transcript_json in rows:
            names.update(n for n in (salesperson, customer) if n)
            speakers = json.loads(transcript_json or "{}").get("speakers", [])
            names.update(s["name"] for s in speakers if s.get("name"))
    return sorted({n.strip() for n in names if n.strip()}, key=len, reverse=True)


def without_personal_data(session: Session, value: T) -> T:
    """`value` (terms, question groups, page suggestions) with the names and contact
    details in its quotes replaced by labels ("[naam]", "[telefoonnummer]"), no quote
    saying which conversation it is from, and at most `QUOTES_PER_RECORDING` quotes of any
    one conversation: a wide report must not hand over a conversation quote by quote."""
    # Without quotes too: a term may name somebody where the answer quotes nobody.
    return _Redactor(_names(session, quoted_recordings(value)))(value)
