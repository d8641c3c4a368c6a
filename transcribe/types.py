"""Transcript dataclasses: the contract between transcription, analysis and the service.

This module is deliberately light (standard library only) so that `analyze/` and `api/` can
import it without pulling in an ASR engine. The JSON shape produced by `Transcript.to_dict`
is a public contract: later versions add fields, never rename them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Role = Literal["salesperson", "customer", "other", "unknown"]
ROLES: tuple[Role, ...] = ("salesperson", "customer", "other", "unknown")
PERSON_ROLES: tuple[Role, ...] = ("salesperson", "customer", "other")  # what a person can set


def person_role(value: str) -> Role:
    """`value` as a role a person may give a speaker or voice; ValueError otherwise."""
    for role in PERSON_ROLES:
        if role == value:
            return role
    raise ValueError(f"unknown role {value!r}; choose salesperson, customer or other")


def _seconds(value: Any, what: str) -> float:
    """A time or an amount read from JSON: a finite number (no NaN or Infinity, which no JSON
    reader could read back), not negative; ValueError naming `what` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{what} must be a number, not {type(value).__name__}")
    try:
        number = float(value)
    except (OverflowError, ValueError):  # 1000…(400 digits), or "abc"
        raise ValueError(f"{what} must be a finite number, not {str(value)[:20]!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{what} must be a finite number of 0 or more, not {value!r}")
    return number


def _text_or_none(value: Any, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{what} must be text, not {type(value).__name__}")
    return value


def _role(value: Any) -> Role:
    role = value or "unknown"
    for known in ROLES:
        if known == role:
            return known
    raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")


__all__ = [
    "PERSON_ROLES",
    "ROLES",
    "Role",
    "person_role",
    "Speaker",
    "Segment",
    "Transcript",
    "Word",
]


@dataclass(frozen=True, slots=True)
class Word:
    start: float  # seconds from the start of the recording
    end: float
    word: str  # as Whisper emits it, usually with its leading space
    probability: float
    heard: str | None = None  # Whisper's own letters, where spelling.py corrected them

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "word": self.word,
            "probability": round(self.probability, 4),
        }
        if self.heard is not None:
            data["heard"] = self.heard
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Word:
        return cls(
            start=_seconds(data["start"], "a word's start"),
            end=_seconds(data["end"], "a word's end"),
            word=str(data["word"]),
            probability=_seconds(data.get("probability", 1.0), "a word's probability"),
            heard=None if data.get("heard") is None else str(data["heard"]),
        )


@dataclass(frozen=True, slots=True)
class Segment:
    start: float  # seconds
    end: float
    text: str
    speaker: str | None = None  # diarization label, e.g. "S1"; None until speakers exist
    role: Role = "unknown"
    words: tuple[Word, ...] = ()
    language: str | None = None  # when detected per segment
    overlap: bool = False  # another speaker talks at the same time (diarization saw both)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
            "speaker": self.speaker,
            "role": self.role,
            "words": [w.to_dict() for w in self.words],
        }
        if self.language is not None:
            data["language"] = self.language
        if self.overlap:  # only when true: older readers and files stay as they were
            data["overlap"] = True
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Segment:
        text = data["text"]
        if not isinstance(text, str):
            raise ValueError(f"a segment's text must be text, not {type(text).__name__}")
        words = data.get("words") or ()
        if not isinstance(words, (list, tuple)):
            raise ValueError("a segment's words must be a list")
        start = _seconds(data["start"], "a segment's start")
        return cls(
            start=start,
            end=max(start, _seconds(data["end"], "a segment's end")),
            text=text.strip(),
            speaker=_text_or_none(data.get("speaker"), "a segment's speaker"),
            role=_role(data.get("role")),
            words=tuple(Word.from_dict(w) for w in words),
            language=_text_or_none(data.get("language"), "a segment's language"),
            overlap=data.get("overlap") is True,
        )


@dataclass(frozen=True, slots=True)
class Speaker:
    id: str  # the label used in Segment.speaker
    role: Role = "unknown"
    name: str | None = None
    confidence: float | None = None  # 0..1, how sure the role (and name) assignment is
    # The voice (speaker embedding), for enrolling a profile from a corrected recording.
    # Biometric data: never in the public JSON; the service keeps it beside the recording.
    voice: tuple[float, ...] | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "role": self.role, "name": self.name}
        if self.confidence is not None:  # only when known, so older files read back equal
            data["confidence"] = round(self.confidence, 3)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Speaker:
        confidence = data.get("confidence")
        return cls(
            id=str(data["id"]),
            role=_role(data.get("role")),
            name=_text_or_none(data.get("name"), "a speaker's name"),
            confidence=None if confidence is None else _seconds(confidence, "a confidence"),
        )


@dataclass(frozen=True, slots=True)
class Transcript:
    language: str | None  # ISO 639-1 code of the recording's main language
    duration_s: float
    model: str
    segments: tuple[Segment, ...] = ()
    speakers: tuple[Speaker, ...] = ()
    notes: tuple[str, ...] = field(default=())  # e.g. "no speech detected"

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments if s.text)

    def with_segments(self, segments: Sequence[Segment]) -> Transcript:
        return replace(self, segments=tuple(segments))

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "duration_s": round(self.duration_s, 3),
            "model": self.model,
            "segments": [s.to_dict() for s in self.segments],
            "speakers": [s.to_dict() for s in self.speakers],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transcript:
        """Build from transcript JSON; raises ValueError (with the reason) on a bad shape."""
        if not isinstance(data, Mapping) or not isinstance(data.get("segments"), list):
            raise ValueError("not a ridealong transcript: expected an object with 'segments'")
        notes = data.get("notes") or ()
        if not isinstance(notes, (list, tuple)) or not all(isinstance(n, str) for n in notes):
            raise ValueError("not a ridealong transcript: 'notes' must be a list of texts")
        try:
            segments = tuple(Segment.from_dict(s) for s in data["segments"])
            speakers = tuple(Speaker.from_dict(s) for s in data.get("speakers") or ())
        except (KeyError, TypeError, AttributeError) as e:
            raise ValueError(f"not a ridealong transcript: missing or bad field {e}") from e
        duration = data.get("duration_s")
        if duration is None:
            duration = max((s.end for s in segments), default=0.0)
        return cls(
            language=_text_or_none(data.get("language"), "the language"),
            duration_s=_seconds(duration, "duration_s"),
            model=str(data.get("model") or "unknown"),
            segments=segments,
            speakers=speakers,
            notes=tuple(notes),
        )
