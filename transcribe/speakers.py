"""Who said it, on a finished transcript: diarization, then roles, then the segments split.

Runs after speech recognition because it uses Whisper's word timings to place speaker
changes between words, and the VAD's speech regions to know where anyone talks.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from transcribe.audio import decode_audio, probe_audio
from transcribe.diarize import DiarizeOptions, assign_speakers, diarize
from transcribe.roles import VoiceProfile, assign_roles, with_roles
from transcribe.types import ROLES, Role, Speaker, Transcript

logger = logging.getLogger(__name__)

__all__ = ["NEW_SPEAKER", "SpeakerChange", "add_speakers", "correct_speakers", "move_lines"]


def _recording(audio: str | Path | np.ndarray) -> np.ndarray:
    """The audio as diarization wants it: both channels of a stereo file, else mono."""
    if isinstance(audio, np.ndarray):
        return audio
    channels = 2 if probe_audio(audio).channels >= 2 else 1
    return decode_audio(audio, channels=channels, warn=False)  # the transcription warned


def add_speakers(
    audio: str | Path | np.ndarray,
    transcript: Transcript,
    *,
    speech: Sequence[tuple[float, float]] = (),
    options: DiarizeOptions | None = None,
    profiles: Sequence[VoiceProfile] = (),
    glossary: Sequence[str] = (),
) -> Transcript:
    """The transcript with a speaker and role on every segment, and its speakers listed.

    `speech` holds the VAD's speech regions in seconds (better turn edges); `profiles` are
    enrolled voices (a match names the salesperson); `glossary` holds the organisation's
    own words, which salespeople use more than customers (a cue when no profile matches).
    """
    if not transcript.segments:
        return transcript
    diarization = diarize(
        _recording(audio),
        segments=transcript.segments,
        regions=speech,
        options=options or DiarizeOptions(),
    )
    segments = assign_speakers(transcript.segments, diarization)
    speakers = assign_roles(segments, diarization, profiles=profiles, glossary=glossary)
    voices = {label: tuple(float(x) for x in v) for label, v in diarization.centroids.items()}
    if diarization.backend == "resemblyzer":  # only portable voices can be enrolled later
        speakers = tuple(replace(s, voice=voices.get(s.id)) for s in speakers)
    notes = transcript.notes
    if "lower quality" in diarization.method:
        notes += (f"speakers found with {diarization.method}",)
    logger.info(
        "speakers: %d by %s (%s)",
        len(speakers),
        diarization.method,
        ", ".join(f"{s.id}={s.role}" for s in speakers),
    )
    return replace(
        transcript,
        segments=tuple(with_roles(segments, speakers)),
        speakers=speakers,
        notes=notes,
    )


@dataclass(frozen=True, slots=True)
class SpeakerChange:
    """A person's correction of one speaker: a new role or name, or merge into another."""

    id: str
    role: Role | None = None
    name: str | None = None
    merge_into: str | None = None


def _person_name(name: str) -> str | None:
    """A name as typed, on one line and without control characters; None when empty."""
    printable = "".join(c for c in name if unicodedata.category(c) != "Cc" or c.isspace())
    return " ".join(printable.split()) or None


def correct_speakers(transcript: Transcript, changes: Sequence[SpeakerChange]) -> Transcript:
    """The transcript after a person's corrections; corrected speakers get confidence 1.

    Merging moves a speaker's segments to another speaker (diarization split one person in
    two). A swap of roles is two changes. Raises ValueError for unknown speakers, a merge
    into oneself or into a speaker that is merged away too.
    """
    known = {s.id: s for s in transcript.speakers}
    known.update(
        {
            s.speaker: Speaker(s.speaker)
            for s in transcript.segments
            if s.speaker and s.speaker not in known
        }
    )
    merges: dict[str, str] = {}
    speakers = dict(known)
    for change in changes:
        if change.id not in known:
            raise ValueError(f"no speaker {change.id!r} in this recording")
        if change.role is not None and change.role not in ROLES:
            raise ValueError(f"unknown role {change.role!r}; expected one of {', '.join(ROLES)}")
        if change.merge_into is not None:
            if change.merge_into not in known or change.merge_into == change.id:
                raise ValueError(f"cannot merge {change.id} into {change.merge_into!r}")
            merges[change.id] = change.merge_into
            continue
        current = speakers[change.id]
        speakers[change.id] = replace(
            current,
            role=change.role or current.role,
            name=_person_name(change.name) if change.name is not None else current.name,
            confidence=1.0,
        )
    if any(target in merges for target in merges.values()):
        raise ValueError("a speaker cannot be merged into one that is merged away")
    for gone in merges:
        speakers.pop(gone)
    segments = [
        replace(s, speaker=merges.get(s.speaker, s.speaker)) if s.speaker else s
        for s in transcript.segments
    ]
    kept = tuple(speakers.values())
    return replace(transcript, segments=tuple(with_roles(segments, kept)), speakers=kept)


NEW_SPEAKER = "new"  # in `move_lines`: someone the speaker finder missed


def move_lines(
    transcript: Transcript, moves: Mapping[int, str], new_role: Role = "unknown"
) -> Transcript:
    """The transcript with lines given to another speaker: the speaker finder put a turn
    under the wrong voice, or heard two people as one. `moves` maps a line's index to a
    speaker's id, or to NEW_SPEAKER for someone it missed (one new speaker per call, in
    `new_role`). A speaker left without lines is dropped, as a merged one is. Raises
    ValueError for an index or a speaker the transcript does not have."""
    known = {s.id: s for s in transcript.speakers}
    known.update(
        {
            s.speaker: Speaker(s.speaker)
            for s in transcript.segments
            if s.speaker and s.speaker not in known
        }
    )
    if new_role not in ROLES:
        raise ValueError(f"unknown role {new_role!r}; expected one of {', '.join(ROLES)}")
    new_id = None
    if NEW_SPEAKER in moves.values():
        number = 1 + max((int(k[1:]) for k in known if k[:1] == "S" and k[1:].isdigit()), default=0)
        new_id = f"S{number}"
        known[new_id] = Speaker(new_id, role=new_role, confidence=1.0)
    segments = list(transcript.segments)
    for index, speaker in moves.items():
        if not 0 <= index < len(segments):
            raise ValueError(f"no line {index} in this recording (it has {len(segments)})")
        target = new_id if speaker == NEW_SPEAKER else speaker
        if target not in known:
            raise ValueError(f"no speaker {speaker!r} in this recording")
        segments[index] = replace(segments[index], speaker=target)
    silenced = {s.speaker for s in transcript.segments} - {s.speaker for s in segments}
    kept = tuple(s for s in known.values() if s.id not in silenced)
    return replace(transcript, segments=tuple(with_roles(segments, kept)), speakers=kept)
