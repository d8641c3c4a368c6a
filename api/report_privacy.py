"""Quotes for a `report` API key without the names and contact details said in them.

A CMS shows customers' words on a website; "Goedemiddag mevrouw De Vries" or a phone number
read out must not travel there. The names are the ones the service knows for the quoted
recordings (salesperson, customer, named speakers) and every enrolled voice; contact
details are found as `transcribe.redact` finds them. What `read` keys get is unchanged:
they see whole transcripts anyway.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import Recording
from api.voices import list_voices
from transcribe.redact import redact_text

__all__ = ["quoted_recordings", "without_personal_data"]

T = TypeVar("T")
_TEXT_FIELDS = frozenset({"text", "question"})  # a quote's words; a question group's phrasing


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


class _Redactor:
    """Walks an answer (dataclasses, nested in tuples and lists) in its order, best first."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = names
        self.quoted: Counter[str] = Counter()

    def keeps(self, item: Any) -> bool:
        """Whether a quote fits its conversation's budget (counted as it is kept)."""
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
    """The people's names known for these recordings, and every enrolled voice's."""
    names = {voice.name for voice in list_voices(session)}
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
    ids = quoted_recordings(value)
    if not ids:
        return value
    return _Redactor(_names(session, ids))(value)
