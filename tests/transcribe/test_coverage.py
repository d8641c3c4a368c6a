"""Speech the decoder skipped is found with VAD and decoded on its own (transcribe/coverage.py)."""

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import normalise
from tests.transcribe.test_long import RecordingEngine
from transcribe import TranscribeOptions, decode_audio, load_model
from transcribe.coverage import missed_span, uncovered
from transcribe.engine import _fill_gaps, language_windows
from transcribe.pieces import speech_pieces
from transcribe.types import Segment, Word

RATE = 16_000
DIALOGUE = "nl_constructed/nl_dialogue_sales_constructed_16k.wav"


def test_uncovered_finds_long_gaps_only_and_uses_word_edges() -> None:
    words = (Word(1.0, 1.5, " een", 0.9), Word(1.6, 2.0, " twee", 0.9))
    segments = [
        Segment(0.5, 2.6, "een twee", words=words),  # its words end at 2.0, not 2.6
        Segment(2.8, 5.0, "drie"),  # 0.8 s after the last word: a pause
        Segment(8.0, 9.0, "vier"),  # 3 s after: room for missed speech
    ]
    assert uncovered(segments, total_s=9.5, min_s=1.0) == [(pytest.approx(5.1), pytest.approx(7.9))]
    assert uncovered(segments, total_s=12.0, min_s=1.0)[-1] == (
        pytest.approx(9.1),
        pytest.approx(11.9),
    )
    assert uncovered([], total_s=3.0, min_s=1.0) == [(pytest.approx(0.1), pytest.approx(2.9))]
    # A segment inside an earlier one does not open a gap; the earlier one's end counts.
    nested = [Segment(0.0, 10.0, "lang"), Segment(2.0, 4.0, "erin"), Segment(12.0, 13.0, "na")]
    assert uncovered(nested, total_s=13.0) == [(pytest.approx(10.1), pytest.approx(11.9))]
    # Longer than a window: what Whisper judged not to be speech, not a skip.
    assert uncovered([Segment(0.0, 1.0, "kort")], total_s=40.0) == []


class GapEngine(RecordingEngine):
    """Stands in for Whisper: remembers what it was asked to decode, says "gevonden"."""

    name = "gap"

    def decode(
        self, speech: np.ndarray, language: str, options: Any, progress: Any, **kw: Any
    ) -> Any:
        self.decoded_s.append(speech.size / RATE)
        yield Segment(0.2, speech.size / RATE - 0.2, "gevonden", language=language)


def test_a_gap_with_speech_is_decoded_and_put_in_its_place(shared_audio: Path) -> None:
    speech = np.zeros(10 * RATE, dtype=np.float32)
    decoded = [Segment(0.0, 2.0, "eerst"), Segment(8.0, 10.0, "laatst")]
    engine = GapEngine()
    # 2..8 s is digital silence: a pause, nothing to decode again
    assert _fill_gaps(engine, speech, "nl", TranscribeOptions(), list(decoded)) == decoded
    assert engine.decoded_s == []
    # Real speech (the dialogue's first sentence) in the gap: decoded, alone, in its place.
    speech[3 * RATE : 7 * RATE] = decode_audio(shared_audio / DIALOGUE)[: 4 * RATE]
    filled = _fill_gaps(engine, speech, "nl", TranscribeOptions(), list(decoded))
    # Only the speech (3.5-6.85 s) and a little context is decoded, not the whole 2-8 s gap.
    assert len(engine.decoded_s) == 1 and 3.35 < engine.decoded_s[0] < 4.2
    assert [s.text for s in filled] == ["eerst", "gevonden", "laatst"]
    assert 3.0 < filled[1].start < 3.8 and 6.6 < filled[1].end < 7.2  # shifted back in place


@pytest.mark.slow
def test_a_skipped_sentence_is_recovered_with_its_times(shared_audio: Path) -> None:
    """Whisper skipped "dat wordt zeer op prijs gesteld" (26.8-29.7 s) on some CPUs; here
    it is removed from a real decode, and the gap fill must find and transcribe it."""
    speech = decode_audio(shared_audio / DIALOGUE)
    options = TranscribeOptions(speakers=False)
    engine = load_model(options)
    decoded = [s for s in engine.decode(speech, "nl", options, lambda _f: None) if s.text]
    skipped = [s for s in decoded if s.start < 28.0 < s.end or 27.0 < s.start < 29.5]
    kept = [s for s in decoded if s not in skipped]
    counted = CountingEngine(engine)
    filled = _fill_gaps(counted, speech, "nl", options, kept)
    assert counted.calls == 1
    new = [s for s in filled if s not in kept]
    assert "prijs" in normalise(" ".join(s.text for s in new))
    assert all(26.0 < w.start < w.end < 30.5 for s in new for w in s.words)
    assert [s.start for s in filled] == sorted(s.start for s in filled)
    # Nothing is decoded again when nothing was skipped.
    assert _fill_gaps(counted, speech, "nl", options, filled) == filled
    assert counted.calls == 1


class CountingEngine:
    """A real engine that counts its decodes."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.multilingual = engine.multilingual
        self.name = engine.name
        self.parallel = engine.parallel
        self.calls = 0

    def language_probabilities(self, speech: np.ndarray, windows: Any) -> Any:
        return self.engine.language_probabilities(speech, windows)

    def decode(
        self, speech: np.ndarray, language: str, options: Any, progress: Any, **kw: Any
    ) -> Any:
        self.calls += 1
        return self.engine.decode(speech, language, options, progress, **kw)


class SkippingEngine(GapEngine):
    """Decodes only the first 3.5 s and the last 0.4 s of the speech it is first given:
    speech skipped inside a window, as Whisper's skip did."""

    def decode(
        self, speech: np.ndarray, language: str, options: Any, progress: Any, **kw: Any
    ) -> Any:
        if self.decoded_s:
            yield from super().decode(speech, language, options, progress, **kw)
            return
        self.decoded_s.append(speech.size / RATE)
        yield Segment(0.0, 3.5, "eerst", language=language)
        yield Segment(speech.size / RATE - 0.4, speech.size / RATE, "laatst", language=language)


def two_sentences_apart(shared_audio: Path) -> np.ndarray:
    """The dialogue's first two sentences with 3 s of silence between them (VAD removes it)."""
    dialogue = decode_audio(shared_audio / DIALOGUE)
    return np.concatenate(
        [dialogue[: 4 * RATE], np.zeros(3 * RATE, np.float32), dialogue[4 * RATE : 6 * RATE]]
    )


def test_transcribe_fills_the_gap_at_its_time_in_the_recording(
    shared_audio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine skips the second sentence inside its window: it is decoded again and lands
    after the silence, not where it was in the speech-only audio."""
    from transcribe import engine as engine_module
    from transcribe import transcribe

    audio = two_sentences_apart(shared_audio)
    monkeypatch.setattr(engine_module, "load_model", lambda options: SkippingEngine())
    options = TranscribeOptions(speakers=False, language="nl")
    transcript = transcribe(audio, options)
    assert [s.text for s in transcript.segments] == ["eerst", "gevonden", "laatst"]
    assert 7.0 < transcript.segments[1].start < 7.8  # "Welk advies" starts at 4.3 + 3 s
    skipped = transcribe(audio, replace(options, fill_gaps=False))
    assert [s.text for s in skipped.segments] == ["eerst", "laatst"]


@pytest.mark.slow
def test_the_language_windows_are_encoded_once(
    shared_audio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Choosing the language encodes the first window of each piece (both at once); each
    piece's decoder reuses that encoding instead of encoding it again."""
    from faster_whisper.transcribe import WhisperModel

    speech = decode_audio(shared_audio / DIALOGUE)
    options = TranscribeOptions(speakers=False)
    engine: Any = load_model(options)
    encode = WhisperModel.encode
    passes: list[int] = []

    def counted(self: Any, features: np.ndarray) -> Any:
        passes.append(features.shape[-1])
        return encode(self, features)

    monkeypatch.setattr(WhisperModel, "encode", counted)
    pieces = speech_pieces(speech, at_least=2)
    assert len(pieces) == 2  # 57 s of speech, two decoders
    assert len(list(engine.language_probabilities(speech, language_windows(pieces)))) == 2
    assert len(passes) == 2
    text = ""
    for start_s, end_s in pieces:  # decoded as transcribe() decodes them
        piece = speech[round(start_s * RATE) : round(end_s * RATE)]
        segments = engine.decode(piece, "nl", options, lambda _f: None, next_window=lambda t: t)
        text += " ".join(s.text for s in segments)
    assert engine._reuse.reused == 2
    # Further passes only for the windows after a piece's first, which the decoder cuts itself.
    assert len(passes) - 2 <= 2
    assert "afspraak is afspraak" in normalise(text)


def test_missed_span_leaves_out_a_neighbours_word_and_needs_enough_speech() -> None:
    frame_s = 0.032
    tail, pause, speech, after = [0.9] * 5, [0.05] * 6, [0.9] * 40, [0.05] * 10
    start, end = missed_span(np.array(tail + pause + speech + after), frame_s)  # type: ignore[misc]
    assert 5 * frame_s <= start <= 11 * frame_s  # the neighbour's tail is left out
    assert 51 * frame_s <= end <= 58 * frame_s  # the speech and a little context
    assert missed_span(np.array(tail + pause + [0.9] * 20 + after), frame_s) is None  # 0.6 s
    assert missed_span(np.full(100, 0.05), frame_s) is None
