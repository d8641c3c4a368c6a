"""Speech cut at long pauses into pieces that decode side by side, one per CPU core.

A beam-search step of Whisper base is too small to share between two threads: on 2 cores
one decoder took 3.2 s with one thread and 3.7-4.1 s with two. So the speech is cut into as
many pieces as there are decoders (more for long chunks, at most `MAX_PIECE_S` each), each
decoded with one thread: the dialogue went from 9.4x to about 14x real time. The cuts fall
in the longest pause near where an even cut would, so no sentence is split, and each
piece is decoded as Whisper decodes a recording, 30-s window after window. Where Whisper
leaves speech for its next window, that window starts in a pause (`next_window_start`).
"""

from __future__ import annotations

import numpy as np

from transcribe.audio import SAMPLE_RATE
from transcribe.coverage import (
    EDGE_FRAMES,
    EDGE_WORD_S,
    MIN_PAUSE_FRAMES,
    PAD_S,
    PAUSE,
    VAD_FRAME_S,
    VOICED,
    speech_probabilities,
)
from transcribe.diarize import frame_runs

__all__ = [
    "MAX_PIECE_S",
    "MIN_PIECE_S",
    "SEARCH_S",
    "cut_at_pauses",
    "next_window_start",
    "speech_pieces",
]

MAX_PIECE_S = 120.0  # longer speech is cut into more pieces (keeps decoders evenly busy)
MIN_PIECE_S = 15.0  # speech is not cut into pieces shorter than this to decode side by side
SEARCH_S = 10.0  # a piece ends in the longest pause within this span around an even cut
_SENTENCE_PAUSE_S = 0.2  # a pause this long after a word is not a stop consonant in it


def cut_at_pauses(
    probabilities: np.ndarray,
    total_s: float,
    frame_s: float = VAD_FRAME_S,
    max_s: float = MAX_PIECE_S,
    search_s: float = SEARCH_S,
    at_least: int = 1,
    min_s: float = MIN_PIECE_S,
) -> list[tuple[float, float]]:
    """(start, end) seconds of consecutive pieces covering `total_s`.

    `probabilities` is Silero's speech probability per frame. There are `at_least` pieces
    (fewer if they would be shorter than `min_s`), more where a piece would be longer than
    `max_s`, a multiple of `at_least` then, about as long as each other. Each ends in the
    middle of the longest pause (at least `MIN_PAUSE_FRAMES` frames under `PAUSE`) within
    `search_s` around where an even cut would fall, one that keeps the number of pieces if
    there is one; where people talk on without a pause, in the frame least like speech.
    Even pieces leave no short last one: on a noisy phone line, short pieces (5 s) lost
    their sentences, too little context for Whisper.
    """
    pauses = [
        (b - a, (a + b) / 2 * frame_s)
        for a, b in frame_runs(probabilities < PAUSE)
        if b - a >= MIN_PAUSE_FRAMES
    ]
    wanted = max(np.ceil(total_s / max_s), min(at_least, total_s // min_s))
    wanted = np.ceil(wanted / at_least) * at_least if wanted > at_least else wanted
    pieces: list[tuple[float, float]] = []
    start = 0.0
    while True:
        left = total_s - start
        count = max(np.ceil(left / max_s), wanted - len(pieces), 1)  # pieces still to cut
        if count <= 1:
            break
        target = start + left / count  # where an even cut would fall
        earliest, latest = target - search_s / 2, min(target + search_s / 2, start + max_s)
        keeps_count = total_s - (count - 1) * max_s  # an earlier cut needs one piece more
        end = _longest_pause(pauses, max(earliest, keeps_count), latest)
        if end is None:
            end = _longest_pause(pauses, earliest, latest)
        if end is None:  # people talk on: the frame least like speech
            first = min(int(np.ceil(earliest / frame_s)), probabilities.size - 1)
            last = max(min(int(latest / frame_s), probabilities.size), first + 1)
            end = min((first + int(np.argmin(probabilities[first:last])) + 0.5) * frame_s, latest)
        pieces.append((start, end))
        start = end
    pieces.append((start, total_s))
    return pieces


def _longest_pause(pauses: list[tuple[int, float]], earliest: float, latest: float) -> float | None:
    """Where the longest of `pauses` (frames, seconds) in (earliest, latest] is; the later
    one of equally long ones."""
    inside = [(length, at) for length, at in pauses if earliest < at <= latest]
    return max(inside)[1] if inside else None


def speech_pieces(speech: np.ndarray, at_least: int = 1) -> list[tuple[float, float]]:
    """The pieces of 16 kHz `speech` (seconds) for `at_least` decoders (`cut_at_pauses`)."""
    total_s = speech.size / SAMPLE_RATE
    if total_s <= MAX_PIECE_S and (at_least <= 1 or total_s < 2 * MIN_PIECE_S):
        return [(0.0, total_s)]
    return cut_at_pauses(speech_probabilities(speech), total_s, at_least=at_least)


def next_window_start(
    probabilities: np.ndarray, last_word_end_s: float, frame_s: float = VAD_FRAME_S
) -> float:
    """Where Whisper's next window should start, after a window whose last word ended at
    `last_word_end_s` (seconds, as are the frames of `probabilities`).

    Whisper often leaves a window's last sentence for the next window, which faster-whisper
    and openai-whisper start at the last word's end. That timestamp can be 0.6 s early, and a
    window that starts inside a word's tail lost a whole sentence on the shared dialogue;
    the first word of the next one got the tail's time. So when speech goes on at that point,
    the next window starts in the first pause of at least `_SENTENCE_PAUSE_S` within
    `EDGE_WORD_S` (a stop consonant makes shorter ones inside a word; failing that, the
    longest shorter one), `PAD_S` before the speech after it; without a pause, and when the
    word's end is already in a pause, where Whisper would.
    """
    first = round(last_word_end_s / frame_s)
    ahead = probabilities[first : first + round(EDGE_WORD_S / frame_s)]
    if not (ahead[:EDGE_FRAMES] >= VOICED).any():
        return last_word_end_s
    pauses = [(b - a, a, b) for a, b in frame_runs(ahead < PAUSE) if b - a >= MIN_PAUSE_FRAMES]
    if not pauses:
        return last_word_end_s
    sentence = [run for run in pauses if run[0] * frame_s >= _SENTENCE_PAUSE_S]
    _, start, end = sentence[0] if sentence else max(pauses, key=lambda run: (run[0], -run[1]))
    return (first + max(start, end - round(PAD_S / frame_s))) * frame_s
