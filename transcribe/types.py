"""Transcript dataclasses: the contract between transcription, analysis and the service.

This module is deliberately light (standard library only) so that `analyze/` and `api/` can
import it without pulling in an ASR engine. The JSON shape produced by `Transcript.to_dict`
is a public contract: later versions add fields, never rename them.
"""

from __future__ import annotations

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
            start=float(data["start"]),
            end=float(data["end"]),
            word=str(data["word"]),
            probability=float(data.get("probability", 1.0)),
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
        role = data.get("role") or "unknown"
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        return cls(
            start=float(data["start"]),
            end=float(data["end"]),
            text=str(data["text"]).strip(),
            speaker=data.get("speaker"),
            role=role,
            words=tuple(Word.from_dict(w) for w in data.get("words") or ()),
            language=data.get("language"),
            overlap=bool(data.get("overlap", False)),
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
            role=data.get("role") or "unknown",
            name=data.get("name"),
            confidence=None if confidence is None else float(confidence),
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
        try:
            segments = tuple(Segment.from_dict(s) for s in data["segments"])
            speakers = tuple(Speaker.from_dict(s) for s in data.get("speakers") or ())
        except (KeyError, TypeError) as e:
            raise ValueError(f"not a ridealong transcript: missing or bad field {e}") from e
        duration = data.get("duration_s")
        if duration is None:
            duration = max((s.end for s in segments), default=0.0)
        return cls(
            language=data.get("language"),
            duration_s=float(duration),
            model=str(data.get("model") or "unknown"),
            segments=segments,
            speakers=speakers,
            notes=tuple(data.get("notes") or ()),
        )
