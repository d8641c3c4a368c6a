"""Speech cut at its longest pauses into pieces that decode side by side (transcribe/pieces.py)."""

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from transcribe import TranscribeOptions, TranscriptionError, decode_audio
from transcribe.engine import _decode_pieces
from transcribe.engines import cpu_decoders
from transcribe.pieces import MAX_PIECE_S, cut_at_pauses, next_window_start, speech_pieces
from transcribe.types import Segment

RATE = 16_000
FRAME_S = 0.032
DIALOGUE = "nl_constructed/nl_dialogue_sales_constructed"


def talk(total_s: float, pauses: dict[float, float], dips: dict[float, float] = {}) -> np.ndarray:  # noqa: B006
    """Silero-like probabilities: speech, with pauses (at: seconds long) and dips (at: prob)."""
    probabilities = np.full(int(total_s / FRAME_S), 0.95, dtype=np.float32)
    for at, length in pauses.items():
        probabilities[int(at / FRAME_S) : int((at + length) / FRAME_S)] = 0.02
    for at, probability in dips.items():
        probabilities[int(at / FRAME_S)] = probability
    return probabilities


def test_pieces_end_in_the_longest_pause_near_an_even_cut() -> None:
    # 50 s in pieces of at most 30 s: two, the cut near 25 s (20-30 s). 12 s is long but far
    # from even; 22 s is the longest near it; 26 s is nearer but shorter.
    probabilities = talk(50.0, {12.0: 1.0, 22.0: 0.6, 26.0: 0.2})
    pieces = cut_at_pauses(probabilities, 50.0, FRAME_S, max_s=30.0)
    assert [(round(a, 1), round(b, 1)) for a, b in pieces] == [(0.0, 22.3), (22.3, 50.0)]
    # One per decoder, however short the pieces may be: two decoders, 50 s, the same cut.
    assert cut_at_pauses(probabilities, 50.0, FRAME_S, at_least=2) == pieces
    assert len(cut_at_pauses(probabilities, 50.0, FRAME_S, at_least=4)) == 3  # 15 s at least


def test_a_cut_keeps_the_number_of_pieces_and_falls_where_speech_is_least_likely() -> None:
    # 59 s in pieces of at most 30 s: a cut before 29 s would leave more than 30 s, so the
    # short pause at 29.5 s wins over the long one at 26 s.
    pieces = cut_at_pauses(talk(59.0, {26.0: 1.0, 29.4: 0.2}), 59.0, FRAME_S, max_s=30.0)
    assert len(pieces) == 2 and 29.4 < pieces[0][1] < 29.6
    # Without a pause near 25 s, the cut falls in the frame least like speech (24 s).
    pieces = cut_at_pauses(talk(50.0, {10.0: 1.0}, {24.0: 0.5}), 50.0, FRAME_S, max_s=30.0)
    assert len(pieces) == 2 and 23.9 < pieces[0][1] < 24.1
    # Long speech: pieces of at most `MAX_PIECE_S`, as many as decoders are busy with.
    long = cut_at_pauses(talk(300.0, {}), 300.0, FRAME_S, at_least=2)
    assert len(long) == 4 and all(b - a <= MAX_PIECE_S for a, b in long)
    assert all(b == c for (_, b), (c, _) in zip(long, long[1:], strict=False))


def test_of_equally_long_pauses_the_later_one_is_taken() -> None:
    pieces = cut_at_pauses(talk(45.0, {21.0: 0.5, 24.0: 0.5}), 45.0, FRAME_S, at_least=2)
    assert round(pieces[0][1], 1) == 24.2


def test_short_speech_is_one_piece() -> None:
    assert speech_pieces(np.zeros(20 * RATE, dtype=np.float32), at_least=2) == [(0.0, 20.0)]


def test_the_dialogue_is_cut_between_two_turns(shared_audio: Path) -> None:
    """On real speech (Silero's probabilities), the cut falls in the silence between turns."""
    speech = decode_audio(shared_audio / f"{DIALOGUE}_16k.wav")
    turns = json.loads((shared_audio / f"{DIALOGUE}.segments.json").read_text())["turns"]
    pieces = speech_pieces(speech, at_least=2)
    assert len(pieces) == 2
    cut = pieces[0][1]
    assert any(a["end"] < cut < b["start"] for a, b in zip(turns, turns[1:], strict=False))


def test_the_next_window_starts_past_the_last_words_tail() -> None:
    # Whisper says the last word ended at 10.0 s; Silero hears it until 10.4 s, then a pause.
    probabilities = talk(20.0, {10.4: 0.3, 13.0: 1.0})
    probabilities[: int(10.4 / FRAME_S)] = 0.95
    assert 10.4 <= next_window_start(probabilities, 10.0, FRAME_S) <= 10.7
    # Ended in the pause already: start there. No pause within a second: where Whisper would.
    assert next_window_start(probabilities, 10.5, FRAME_S) == 10.5
    assert next_window_start(talk(20.0, {15.0: 1.0}), 10.0, FRAME_S) == 10.0


@pytest.mark.slow
def test_a_sentence_left_for_the_next_window_keeps_its_own_time(shared_audio: Path) -> None:
    """The dialogue's first piece ends with "Dat wordt zeer op prijs gesteld" (27.68-29.62 s);
    Whisper leaves it for a next window after "uitgebracht", whose end it puts 0.6 s early.
    Started there, "Dat" got 26.8 s, the salesperson's time; started in the pause, its own."""
    from transcribe import load_model
    from transcribe.coverage import speech_probabilities
    from transcribe.engine import _decode_pieces

    speech = decode_audio(shared_audio / f"{DIALOGUE}_16k.wav")
    options = TranscribeOptions(speakers=False)
    first = [speech_pieces(speech, at_least=2)[0]]
    segments = _decode_pieces(
        load_model(options), speech, first, "nl", options, lambda _f: None,
        speech_probabilities(speech),
    )  # fmt: skip
    last = segments[-1]
    assert "prijs" in last.text.lower()
    assert 27.3 < last.words[0].start < 27.9


class TwoAtOnce:
    """Stands in for Whisper: a decode waits until a second one runs beside it."""

    name = "two-at-once"
    multilingual = True
    parallel = 2

    def __init__(self, fail_on: int | None = None) -> None:
        self.together = threading.Barrier(2, timeout=10) if fail_on is None else None
        self.fail_on = fail_on
        self.calls = 0
        self.lock = threading.Lock()

    def language_probabilities(self, speech: np.ndarray, windows: Any) -> Any:
        return iter([{"nl": 1.0}] * len(windows))

    def decode(
        self, speech: np.ndarray, language: str, options: Any, progress: Any, **kw: Any
    ) -> Iterator[Segment]:
        with self.lock:
            self.calls += 1
            call = self.calls
        if call == self.fail_on:
            raise RuntimeError("the model broke")
        if self.together is not None and call <= 2:
            self.together.wait()  # both first pieces are decoding at the same time
        progress(0.5)
        yield Segment(1.0, speech.size / RATE - 1.0, f"{speech.size / RATE:.0f} s", language="nl")
        progress(1.0)


def test_pieces_decode_side_by_side_and_come_back_in_order() -> None:
    speech = np.zeros(70 * RATE, dtype=np.float32)
    pieces = [(0.0, 25.0), (25.0, 50.0), (50.0, 70.0)]
    seen: list[tuple[float, bool]] = []

    def progress(fraction: float) -> None:
        seen.append((fraction, threading.current_thread() is threading.main_thread()))

    silence = np.zeros(int(70 / FRAME_S), dtype=np.float32)  # Silero's, for the next windows
    segments = _decode_pieces(
        TwoAtOnce(), speech, pieces, "nl", TranscribeOptions(), progress, silence
    )
    assert [s.text for s in segments] == ["25 s", "25 s", "20 s"]
    assert [(s.start, s.end) for s in segments] == [(1.0, 24.0), (26.0, 49.0), (51.0, 69.0)]
    assert all(main for _, main in seen)  # reported from the caller's thread only
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_a_failing_piece_fails_the_whole() -> None:
    speech = np.zeros(50 * RATE, dtype=np.float32)
    with pytest.raises(RuntimeError, match="broke"):
        _decode_pieces(
            TwoAtOnce(fail_on=3), speech, [(0, 20), (20, 40), (40, 50)], "nl",
            TranscribeOptions(), lambda _f: None, np.zeros(int(50 / FRAME_S), dtype=np.float32),
        )  # fmt: skip


def test_transcribe_reports_a_failing_piece_as_a_transcription_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from transcribe import engine as engine_module
    from transcribe import transcribe

    monkeypatch.setattr(engine_module, "load_model", lambda options: TwoAtOnce(fail_on=1))
    monkeypatch.setattr(engine_module, "cut_at_pauses", lambda *_a, **_k: [(0.0, 1.0), (1.0, 2.0)])
    noise = np.random.default_rng(0).normal(0, 0.1, 2 * RATE).astype(np.float32)
    with pytest.raises(TranscriptionError, match="broke"):
        transcribe(noise, TranscribeOptions(vad=False, speakers=False, language="nl"))


class FakeWhisper:
    """Stands in for faster-whisper's WhisperModel: asks to encode each window as it does,
    and yields what `windows` says (seconds relative to the audio it was given)."""

    def __init__(self, windows: list[list[tuple[float, float, str]]]) -> None:
        self.model = SimpleNamespace(is_multilingual=True, num_workers=1)
        self.windows = windows
        self.given_s: list[float] = []  # the audio each transcribe() call got

    def encode(self, features: Any) -> Any:
        return features

    def transcribe(self, audio: np.ndarray, **_kwargs: Any) -> Any:
        self.given_s.append(round(audio.size / RATE, 2))
        call = len(self.given_s) - 1

        def segments() -> Iterator[Any]:
            for number, window in enumerate(self.windows[call:]):
                self.encode(number)  # the model's encode: the engine may stop it here
                for start, end, text in window:
                    word = SimpleNamespace(start=start, end=end, word=text, probability=0.9)
                    yield SimpleNamespace(start=start, end=end, text=text, words=[word])

        return segments(), None


def test_a_window_after_speech_starts_where_next_window_says() -> None:
    from transcribe.engines import FasterWhisperEngine

    # Window 1 gives "eerst" (ends at 2 s); faster-whisper would go on at 2 s. Told to go
    # on at 3 s, the engine decodes the audio from 3 s, and its times are put back.
    fake = FakeWhisper([[(0.5, 2.0, "eerst")], [(0.2, 1.0, "tweede")]])
    engine = FasterWhisperEngine(fake)
    options = TranscribeOptions(language="nl")
    ten_s = np.zeros(10 * RATE, dtype=np.float32)
    segments = list(
        engine.decode(ten_s, "nl", options, lambda _f: None, next_window=lambda t: t + 1)
    )
    assert [(s.text, s.start, s.end) for s in segments] == [
        ("eerst", 0.5, 2.0), ("tweede", 3.2, 4.0)
    ]  # fmt: skip
    assert fake.given_s == [10.0, 7.0]
    assert segments[1].words[0].start == 3.2


def test_a_window_skipped_as_silence_is_passed_over_not_the_end() -> None:
    """Whisper may skip a window (no speech, a hallucination) without a segment: faster-
    whisper's own seek goes on, and what the next window holds is kept."""
    from transcribe.engines import FasterWhisperEngine

    fake = FakeWhisper([[], [(31.0, 33.0, "laat")]])
    engine = FasterWhisperEngine(fake)
    forty_s = np.zeros(40 * RATE, dtype=np.float32)
    options = TranscribeOptions(language="nl")
    segments = list(engine.decode(forty_s, "nl", options, lambda _f: None, next_window=lambda t: t))
    assert [s.text for s in segments] == ["laat"] and fake.given_s == [40.0]


def test_a_cgroup_quota_counts_as_the_cores(tmp_path: Path) -> None:
    from transcribe.engines import _cpu_quota

    (tmp_path / "cpu.max").write_text("200000 100000\n")
    assert _cpu_quota(tmp_path / "cpu.max") == 2
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert _cpu_quota(tmp_path / "cpu.max") is None
    assert _cpu_quota(tmp_path / "missing") is None


def test_each_core_gets_a_decoder_up_to_four() -> None:
    assert cpu_decoders(1) == (1, 1)
    assert cpu_decoders(2) == (2, 1)
    assert cpu_decoders(3) == (3, 1)
    assert cpu_decoders(8) == (4, 2)
    decoders, threads = cpu_decoders(0)  # the cores this process may use
    assert 1 <= decoders <= 4 and threads >= 1
