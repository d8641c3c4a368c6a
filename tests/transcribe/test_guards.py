"""Hallucination guards: the pure functions, then the real model on audio that triggers them."""

import numpy as np
import pytest

from transcribe import NO_SPEECH_NOTE, TranscribeOptions, speech_regions, transcribe
from transcribe.guards import apply_guards, collapse_repeats, is_phantom
from transcribe.types import Segment, Word

SR = 16_000


@pytest.mark.parametrize(
    "text",
    [
        "Ondertiteling door: TV Gelderland 2021",
        "Bedankt voor het kijken!",
        "MUZIEK",
        "Thanks for watching.",
        "Subtitles by the Amara.org community",
        "  ",
        "I'll see you in the next video, bye!",
    ],
)
def test_known_phantom_lines_are_recognised(text: str) -> None:
    assert is_phantom(text)


@pytest.mark.parametrize(
    "text",
    [
        "Bedankt voor de uitleg, het is een stuk duidelijker nu.",
        "Kijk, dat is de muziek van de toekomst.",
        "Thank you, that answers my question about the warranty.",
    ],
)
def test_real_sentences_are_kept(text: str) -> None:
    assert not is_phantom(text)


def test_repetition_loops_are_cut_to_two_with_their_words() -> None:
    words = tuple(
        Word(i * 0.5, i * 0.5 + 0.4, w, 0.9)
        for i, w in enumerate(
            [
                " Ja,",
                " de",
                " offerte",
                " de",
                " offerte",
                " de",
                " offerte",
                " de",
                " offerte",
                " klopt.",
            ]
        )
    )
    segment = Segment(
        0.0, 5.0, "Ja, de offerte de offerte de offerte de offerte klopt.", words=words
    )
    cleaned = collapse_repeats(segment)
    assert cleaned.text == "Ja, de offerte de offerte klopt."
    assert [w.word for w in cleaned.words][-1] == " klopt." and len(cleaned.words) == 6
    plain = collapse_repeats(Segment(0, 1, "sorry sorry sorry sorry sorry"))
    assert plain.text == "sorry sorry"
    untouched = Segment(0, 1, "Heel heel fijn.")
    assert collapse_repeats(untouched) is untouched


def test_the_same_line_over_and_over_is_kept_twice() -> None:
    lines = [Segment(i, i + 1, "Dank u wel.") for i in range(6)] + [Segment(7, 8, "Tot morgen.")]
    assert [s.text for s in apply_guards(lines)] == ["Dank u wel.", "Dank u wel.", "Tot morgen."]


def _noise(seconds: float) -> np.ndarray:
    return (0.1 * np.random.default_rng(0).standard_normal(int(seconds * SR))).astype(np.float32)


def _tones(seconds_each: float = 5.0) -> np.ndarray:
    t = np.arange(int(seconds_each * SR)) / SR
    envelope = np.minimum(1, 10 * (t % 0.5))  # plucked notes, twice a second
    notes = [261.6, 329.6, 392.0, 523.3]  # a C major arpeggio
    return np.concatenate([0.2 * np.sin(2 * np.pi * f * t) * envelope for f in notes]).astype(
        np.float32
    )


RAW = {
    "vad": False,
    "guards": False,
    "speakers": False,  # diarizing tones would split the looping segment
    "compression_ratio_threshold": None,
    "log_prob_threshold": None,
    "no_speech_threshold": None,
    "hallucination_silence_threshold": None,
}


@pytest.mark.parametrize("make", [_noise, _tones])
def test_vad_keeps_noise_and_music_from_the_decoder(make) -> None:
    audio = make(20.0)
    assert speech_regions(audio) == []
    transcript = transcribe(audio)
    assert transcript.segments == () and transcript.notes == (NO_SPEECH_NOTE,)


@pytest.mark.slow
def test_phantom_lines_on_noise_are_removed() -> None:
    raw = transcribe(_noise(20.0), TranscribeOptions(language="nl", **RAW))
    assert raw.segments and all(is_phantom(s.text) for s in raw.segments)  # the trigger works
    guarded = transcribe(_noise(20.0), TranscribeOptions(language="nl", **{**RAW, "guards": True}))
    assert guarded.segments == ()


@pytest.mark.slow
def test_repetition_loop_on_music_is_cut() -> None:
    # Whether base loops on a given clip depends on the CPU's int8 kernels: 5-s notes looped
    # on one machine, 8-s notes on another; the loopiest of the two is used.
    def longest(seconds: float) -> int:
        raw = transcribe(_tones(seconds), TranscribeOptions(language="en", **RAW))
        return max((len(s.text.split()) for s in raw.segments), default=0)

    seconds = max((5.0, 8.0), key=longest)
    raw = transcribe(_tones(seconds), TranscribeOptions(language="en", **RAW))
    raw_words = sum(len(s.text.split()) for s in raw.segments)
    assert max(len(s.text.split()) for s in raw.segments) > 20  # the model loops on this input
    options = TranscribeOptions(language="en", **{**RAW, "guards": True})
    guarded = transcribe(_tones(seconds), options)
    # The loop is cut: no phrase (up to 12 words) left more than twice in a row, and most of
    # the invented text gone. What a loop looks like depends on the CPU's int8 kernels ("I'm
    # sorry" x50 on one machine, "if you can make a video for me" x12 on another).
    for segment in guarded.segments:
        assert collapse_repeats(segment).text == segment.text  # nothing left to collapse
    assert sum(len(s.text.split()) for s in guarded.segments) <= raw_words / 3
