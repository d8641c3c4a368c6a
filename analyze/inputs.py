"""Reading analysis input from files: transcript JSON or plain text."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from analyze.terms import (
    ROLE_WORDS,
    Utterance,
    utterances_from_text,
    utterances_from_transcript,
)
from analyze.text import guess_language
from transcribe.glossary import decode_text
from transcribe.types import Transcript

__all__ = ["SUBTITLE_SUFFIXES", "TEXT_SUFFIXES", "read_utterances", "subtitle_lines"]

SUBTITLE_SUFFIXES = (".srt", ".vtt")
TEXT_SUFFIXES = (".txt", ".md", *SUBTITLE_SUFFIXES)


def read_utterances(path: Path, recording_id: str | None = None) -> list[Utterance]:
    """Utterances from a transcript `.json`, a `.txt` (one line per utterance) or ridealong's
    own `.srt` / `.vtt`.

    Raises ValueError with a readable reason when the file is not either.
    """
    rid = recording_id or path.stem
    raw = decode_text(path.read_bytes(), path.name)
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path.name}: invalid JSON ({e.msg} at line {e.lineno})") from e
        try:
            return utterances_from_transcript(Transcript.from_dict(data), rid)
        except ValueError as e:
            raise ValueError(f"{path.name}: {e}") from e
    if suffix in SUBTITLE_SUFFIXES:
        raw = subtitle_lines(raw)
    return utterances_from_text(raw, rid, guess_language(raw))


_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]*)>")


def _voice_label(voice: re.Match[str]) -> str:
    """A WebVTT voice as a label if it names a role ("klant", "Jan Smit, verkoper"); a
    person's name alone or "S1" goes."""
    role = voice[1].rsplit(",", 1)[-1].strip()
    return f"{role}: " if role.lower() in ROLE_WORDS else ""


def subtitle_lines(text: str) -> str:
    """The spoken lines of SRT or WebVTT, one per cue, as text lines: cue numbers, timings
    and the header dropped, a cue's lines joined, a WebVTT voice that names a role
    (`<v Klant>`) turned into a label ("Klant: ") and one that names a person dropped, other
    markup removed. Times are lost: analysis needs the words and who said them."""
    spoken = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [line.strip() for line in block.splitlines()]
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:  # the header, a NOTE, STYLE or REGION block: no cue
            continue
        said = " ".join(line for line in lines[timing + 1 :] if line)  # after the cue id
        said = _VOICE.sub(_voice_label, said)
        if said := html.unescape(re.sub(r"</?[^>]+>", "", said)).strip():
            spoken.append(said)
    return "\n".join(spoken)
