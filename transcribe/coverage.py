"""Speech the decoder skipped: found with VAD, so it can be decoded on its own.

Whisper decodes 30 s at a time, and each window starts where the last one's final word
ended. When that word's timestamp is early, the next window begins inside its tail, and
Whisper tends to start its transcript at the next sentence: on the shared Dutch dialogue
"dat wordt zeer op prijs gesteld" went missing whole (6 of its 121 words). Gaps between
segments that VAD says hold speech (at most a window long: longer ones are what Whisper
judged not to be speech) are decoded again as clips of their own, where Whisper hears
them whole.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from transcribe.diarize import frame_runs
from transcribe.types import Segment

__all__ = [
    "EDGE_FRAMES",
    "EDGE_WORD_S",
    "PAD_S",
    "MAX_GAP_S",
    "MIN_MISSED_S",
    "MIN_PAUSE_FRAMES",
    "PAUSE",
    "VOICED",
    "missed_span",
    "speech_probabilities",
    "uncovered",
    "word_end",
    "word_start",
]

VAD_FRAME = 512  # samples per Silero VAD frame at 16 kHz
VAD_FRAME_S = VAD_FRAME / 16_000
VOICED = 0.5  # Silero's speech probability from which a frame is speech
MIN_MISSED_S = 1.0  # voiced seconds in a gap that make it missed speech, not a pause
_EDGE_S = 0.1  # margin kept from the neighbouring words
PAUSE = 0.35  # Silero's speech probability below which a frame is a pause
MIN_PAUSE_FRAMES = 4  # 128 ms: shorter dips are inside a word
EDGE_WORD_S = 1.0  # a neighbour's word running into a gap is at most this long
PAD_S = 0.2  # context kept around the missed speech
EDGE_FRAMES = 3  # frames at a gap's edge checked for a neighbour's word
MAX_GAP_S = 30.0  # longer gaps are what Whisper judged no speech (music, noise), not a skip


def speech_probabilities(audio: np.ndarray) -> np.ndarray:
    """Silero VAD's speech probability per 32-ms frame of 16 kHz audio."""
    from faster_whisper.vad import get_vad_model

    padded = np.pad(audio, (0, -audio.size % VAD_FRAME))
    return np.asarray(get_vad_model()(padded, num_samples=VAD_FRAME), dtype=np.float32).reshape(-1)


def missed_span(
    probabilities: np.ndarray, frame_s: float = VAD_FRAME_S, min_voiced_s: float = MIN_MISSED_S
) -> tuple[float, float] | None:
    """(start, end) seconds of the speech in a gap, or None when it holds too little.

    A gap's edges come from word timestamps, which can be early or late: the neighbouring
    word's tail may run into it. Speech touching an edge (in its first or last
    `EDGE_FRAMES`: Silero starts without context, so one frame is not enough), up to its
    first pause within `EDGE_WORD_S`, is left out, so the clip holds whole words nobody
    transcribed yet. Without such a pause nothing is trimmed: the speech may be new.
    """
    voiced = probabilities >= VOICED
    first = _edge_word_end(probabilities, frame_s)
    last = voiced.size - _edge_word_end(probabilities[::-1], frame_s)
    inside = np.flatnonzero(voiced[first:last]) + first
    if inside.size == 0 or inside.size * frame_s < min_voiced_s:
        return None
    pad = int(PAD_S / frame_s)
    return max(int(inside[0]) - pad, first) * frame_s, min(
        int(inside[-1]) + 1 + pad, last
    ) * frame_s


def _edge_word_end(probabilities: np.ndarray, frame_s: float = VAD_FRAME_S) -> int:
    """Frames at the start of `probabilities` that belong to a word running in from before:
    speech in the first `EDGE_FRAMES` (Silero starts without context, so one frame is not
    enough), up to its first pause within `EDGE_WORD_S`. 0 when it starts in a pause, or
    when no pause follows (the speech may be new)."""
    if not (probabilities[:EDGE_FRAMES] >= VOICED).any():
        return 0
    pause = _first_pause(probabilities[: int(EDGE_WORD_S / frame_s)] < PAUSE)
    return pause or 0


def _first_pause(quiet: np.ndarray) -> int | None:
    """The middle of the first run of at least `MIN_PAUSE_FRAMES` quiet frames, if any."""
    return next(
        ((a + min(b, a + MIN_PAUSE_FRAMES)) // 2 for a, b in frame_runs(quiet)
         if b - a >= MIN_PAUSE_FRAMES),
        None,
    )  # fmt: skip


def word_start(segment: Segment) -> float:
    """Where the segment's first word starts (Whisper's segment edges are coarser)."""
    return segment.words[0].start if segment.words else segment.start


def word_end(segment: Segment) -> float:
    """Where the segment's last word ends."""
    return segment.words[-1].end if segment.words else segment.end


def uncovered(
    segments: Sequence[Segment],
    total_s: float,
    min_s: float = MIN_MISSED_S,
    max_s: float = MAX_GAP_S,
) -> list[tuple[float, float]]:
    """(start, end) seconds between `segments` (and before the first, after the last) long
    enough to hold `min_s` of speech no segment transcribed, and at most `max_s` long.
    Segments are in order of their starts; they may overlap."""
    gaps = []
    covered_to = 0.0
    for start, end in [(word_start(s), word_end(s)) for s in segments] + [(total_s, total_s)]:
        a, b = covered_to + _EDGE_S, start - _EDGE_S
        if min_s <= b - a <= max_s:
            gaps.append((a, b))
        covered_to = max(covered_to, end)
    return gaps
