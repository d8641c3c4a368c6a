"""Transcript output formats: JSON (the stable schema), plain text, SRT and WebVTT."""

from __future__ import annotations

import html
import json
import textwrap
from collections import Counter
from collections.abc import Callable, Mapping

from transcribe.types import Segment, Transcript

__all__ = ["FORMATS", "MEDIA_TYPES", "cues", "render", "to_json", "to_srt", "to_txt", "to_vtt"]


RoleNames = Mapping[str, str]  # role -> how a reader's language says it ("klant")


def _label(segment: Segment, names: dict[str, str], roles: RoleNames | None = None) -> str:
    """'Customer (S2): ' or 'Jan, salesperson (S1): ' once speakers are known, else nothing."""
    name = names.get(segment.speaker or "")
    if segment.role != "unknown":
        said = (roles or {}).get(segment.role, segment.role)
        role = said if name else said[:1].upper() + said[1:]
        who = f"{name}, {role}" if name else role
        return f"{who} ({segment.speaker}): " if segment.speaker else f"{who}: "
    if name:
        return f"{name} ({segment.speaker}): "
    return f"{segment.speaker}: " if segment.speaker else ""


def _names(transcript: Transcript) -> dict[str, str]:
    return {s.id: s.name for s in transcript.speakers if s.name}


def _clock(seconds: float, decimal: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{decimal}{ms:03d}"


def to_json(transcript: Transcript) -> str:
    return json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2) + "\n"  # a text file


def to_txt(transcript: Transcript, roles: RoleNames | None = None) -> str:
    names = _names(transcript)
    return "".join(f"{_label(s, names, roles)}{s.text}\n" for s in transcript.segments)


SUBTITLE_LINE = 42  # characters a subtitle line holds (the usual broadcast limit)
SUBTITLE_LINES = 2  # lines a cue shows at once


def _lines(text: str) -> list[str]:
    """Subtitle lines, broken only between words: "zonne-energie" and an e-mail address
    stay whole (a word longer than a line gets a line of its own)."""
    return textwrap.wrap(text, SUBTITLE_LINE, break_on_hyphens=False, break_long_words=False)


def _fits(text: str) -> bool:
    return len(_lines(text)) <= SUBTITLE_LINES


def cues(segment: Segment, label: str = "") -> list[tuple[float, float, str]]:
    """A segment as subtitle cues of at most two lines of 42 characters, `label` (who
    speaks) at the start of each; (start, end, lines). Cut at word boundaries, timed by the
    words' own times where the words spell the text, else by each part's share of it."""
    text = " ".join(segment.text.split())
    if _fits(label + text):
        return [(segment.start, segment.end, "\n".join(_lines(label + text)))]
    timed = [w for w in segment.words if w.word.strip()]
    if " ".join(w.word.strip() for w in timed) == text:
        words = [(w.word.strip(), w.start, w.end) for w in timed]
    else:  # redacted or edited text: spread the segment's time over the characters
        span, length, at = segment.end - segment.start, max(len(text), 1), 0
        words = []
        for said in text.split():
            start = segment.start + span * at / length
            at += len(said) + 1
            words.append((said, start, segment.start + span * min(at, length) / length))
    parts: list[list[tuple[str, float, float]]] = [[]]
    for word in words:
        candidate = " ".join(w for w, _, _ in [*parts[-1], word])
        if parts[-1] and not _fits(label + candidate):
            parts.append([])
        parts[-1].append(word)
    return [
        (
            part[0][1],
            part[-1][2],
            "\n".join(_lines(label + " ".join(w for w, _, _ in part))),
        )
        for part in parts
    ]


def to_srt(transcript: Transcript, roles: RoleNames | None = None) -> str:
    names = _names(transcript)
    timed = [cue for s in transcript.segments for cue in cues(s, _label(s, names, roles))]
    blocks = [
        f"{i}\n{_clock(start, ',')} --> {_clock(end, ',')}\n{text}\n"
        for i, (start, end, text) in enumerate(timed, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(transcript: Transcript, roles: RoleNames | None = None) -> str:
    names = _names(transcript)
    # Two unnamed customers would both be "<v customer>": they keep their ids apart.
    unnamed: Counter[str] = Counter(
        s.role for s in transcript.speakers if s.id not in names and s.role != "unknown"
    )

    def cue_blocks(s: Segment) -> list[str]:
        role = (roles or {}).get(s.role, s.role) if s.role != "unknown" else None
        name = names.get(s.speaker or "")
        # "Jan Smit, salesperson" as in the text format: the name for the viewer, the role
        # for a program that reads the file back (`analyze`).
        who = f"{name}, {role}" if name and role else name or role or s.speaker
        if role and not name and unnamed[s.role] > 1:
            who = f"{role} ({s.speaker})"
        # Cue text is markup: "<" would open a tag, "&" an entity, and "-->" end the cue.
        voice = f"<v {html.escape(' '.join(str(who).split()), quote=False)}>" if s.speaker else ""
        timed = cues(s)
        return [
            f"{_clock(start, '.')} --> {_clock(end, '.')}\n{voice}{html.escape(t, quote=False)}\n"
            for start, end, t in timed
        ]

    return "WEBVTT\n\n" + "\n".join(block for s in transcript.segments for block in cue_blocks(s))


def _json(transcript: Transcript, roles: RoleNames | None = None) -> str:
    return to_json(transcript)  # data: roles stay the schema's words


FORMATS: dict[str, Callable[[Transcript, RoleNames | None], str]] = {
    "json": _json,
    "txt": to_txt,
    "srt": to_srt,
    "vtt": to_vtt,
}
MEDIA_TYPES = {
    "json": "application/json",
    "txt": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
}


def render(transcript: Transcript, fmt: str, roles: RoleNames | None = None) -> str:
    """`transcript` as `fmt`; `roles` says the roles in a reader's language in the text
    formats (the web pages' downloads), English otherwise."""
    try:
        return FORMATS[fmt](transcript, roles)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}") from None
