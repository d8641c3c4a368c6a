"""Reading analysis input from files: transcript JSON or plain text."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from analyze.terms import (
    Utterance,
    utterances_from_text,
    utterances_from_transcript,
)
from analyze.text import guess_language
from transcribe.glossary import decode_text
from transcribe.types import Transcript

__all__ = [
    "SENTENCE_END",
    "SUBTITLE_SUFFIXES",
    "TEXT_SUFFIXES",
    "read_transcript",
    "read_utterances",
    "timed_cues",
]

SUBTITLE_SUFFIXES = (".srt", ".vtt", ".sbv")
# A cue that ends in none of these leaves its sentence to the next cue.
SENTENCE_END = re.compile(r"[.?!…:;][\"'”’)\]]*$")
# Subtitles without punctuation must not become one utterance: a long sentence's length.
MAX_JOINED_CUE_CHARS = 400
TEXT_SUFFIXES = (".txt", ".md", *SUBTITLE_SUFFIXES)


def read_utterances(path: Path, recording_id: str | None = None) -> list[Utterance]:
    """Utterances from a transcript `.json`, a `.txt` (one line per utterance) or ridealong's
    own `.srt` / `.vtt`.

    Raises ValueError with a readable reason when the file is not either.
    """
    rid = recording_id or path.stem
    suffix = path.suffix.lower()
    if suffix == ".json":
        return utterances_from_transcript(read_transcript(path), rid)
    raw = decode_text(path.read_bytes(), path.name)
    if suffix in SUBTITLE_SUFFIXES:  # a video call's: its speakers' names give their roles
        from analyze.imported import imported_transcript

        return utterances_from_transcript(imported_transcript(raw, path.name), rid)
    return utterances_from_text(raw, rid, guess_language(raw))


def read_transcript(path: Path) -> Transcript:
    """A transcript `.json` as `ridealong transcribe` writes it; ValueError with a readable
    reason when it is not one."""
    raw = decode_text(path.read_bytes(), path.name)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path.name}: invalid JSON ({e.msg} at line {e.lineno})") from e
    try:
        return Transcript.from_dict(data)
    except ValueError as e:
        raise ValueError(f"{path.name}: {e}") from e


_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^<>]*)>")  # WebVTT's voice: who says the cue


@dataclass(frozen=True, slots=True)
class Cue:
    """One cue of SRT or WebVTT: its times, its words without markup, and its WebVTT voice."""

    start: float  # seconds
    end: float
    text: str
    voice: str = ""  # who the cue's `<v …>` names ("Jan de Vries", "Klant", "S1"); "" none


# "00:01:02.500", "01:02.500" (WebVTT's short form), "00:01:02,500" (SRT)
_CUE_TIME = re.compile(r"\s*(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?")


def _seconds(text: str) -> float | None:
    """A cue time at the start of `text` (anchored and bounded: a line of digits costs no
    search through it)."""
    if not (m := _CUE_TIME.match(text)):
        return None
    hours, minutes, seconds, fraction = m.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + float(f"0.{fraction or 0}")


# A cue's timing line: WebVTT and SRT ("00:00:01.000 --> 00:00:04.000", settings after it),
# or SBV, YouTube's and Google's ("0:00:01.000,0:00:04.000").
_SBV_TIMING = re.compile(r"\d{1,3}:\d{2}:\d{2}[.,]\d{1,3},\d{1,3}:\d{2}:\d{2}[.,]\d{1,3}")


def _is_timing(line: str) -> bool:
    """A timing line, not a cue's words holding an arrow ("Jan: prijs --> 500 euro")."""
    if "-->" in line:
        begin, _, finish = line.partition("-->")
        return _seconds(begin) is not None and _seconds(finish) is not None
    return bool(_SBV_TIMING.fullmatch(line))


_CUE_NUMBER = re.compile(r"\d+")


def timed_cues(text: str) -> list[Cue]:
    """The cues of SRT, WebVTT or SBV in order: cue numbers, the header, NOTE, STYLE and
    REGION blocks dropped, a cue's lines joined, markup removed; a cue holding several
    WebVTT voices is one cue each, its time shared out by their words' lengths. Cues with
    no blank line between them are still apart. A cue whose times do not read takes the
    previous cue's end."""
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line.strip() for line in block.splitlines()]
        if lines and lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue  # a comment may hold an arrow too ("export --> Drive")
        timings = [i for i, line in enumerate(lines) if _is_timing(line)]
        for n, timing in enumerate(timings):  # the header (no timing) is skipped
            upto = timings[n + 1] if n + 1 < len(timings) else len(lines)
            if upto < len(lines) and upto - 1 > timing and _CUE_NUMBER.fullmatch(lines[upto - 1]):
                upto -= 1  # the next cue's number
            said = " ".join(line for line in lines[timing + 1 : upto] if line)
            begin, finish = _times(lines[timing])
            start = cues[-1].end if begin is None and cues else begin or 0.0
            end = start if finish is None else max(finish, start)
            cues += _voiced(said, start, end)
    return cues


def _times(line: str) -> tuple[float | None, float | None]:
    begin, arrow, finish = line.partition("-->")
    if not arrow:  # SBV: "0:00:01.000,0:00:04.000"
        begin, _, finish = line.rpartition(",")
    return _seconds(begin), _seconds(finish)


def _voiced(said: str, start: float, end: float) -> list[Cue]:
    """One cue per WebVTT voice in a cue's text (most cues have one, or none)."""
    pieces: list[tuple[str, str]] = []  # (voice, words)
    voice = ""
    for part in re.split(r"(<v(?:\.[\w.-]+)?\s+[^<>]*>)", said):
        if opened := _VOICE.fullmatch(part):
            voice = " ".join(opened[1].split())
        elif words := html.unescape(re.sub(r"</?[^<>]+>", "", part)).strip():
            pieces.append((voice, " ".join(words.split())))
    total = sum(len(words) for _, words in pieces) or 1
    cues, at = [], start
    for voice, words in pieces:
        share = (end - start) * len(words) / total if len(pieces) > 1 else end - start
        cues.append(Cue(round(at, 3), round(at + share, 3), words, voice))
        at += share
    return cues
