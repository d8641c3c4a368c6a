"""Long recordings: chunked decoding with bounded memory, checkpoints, and resuming.

The chunking logic is tested with a recording engine in place of Whisper (its real decoding
is tested in test_engine and test_quality); one slow test runs the real model end to end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import normalise, reference_text, wer, write_audio
from transcribe import Checkpoint, TranscribeOptions, decode_audio, iter_audio, transcribe
from transcribe import engine as engine_module
from transcribe.types import Segment

RATE = 16_000
DIALOGUE = "nl_constructed/nl_dialogue_sales_constructed_16k.wav"


class RecordingEngine:
    """Stands in for Whisper: one segment per call, and remembers how much speech it got."""

    name = "recording"
    multilingual = True
    parallel = 1

    def __init__(self) -> None:
        self.decoded_s: list[float] = []

    def language_probabilities(
        self, speech: np.ndarray, windows: Any
    ) -> Iterator[dict[str, float]]:
        return iter([{"nl": 0.9, "en": 0.1}] * len(windows))

    def decode(
        self, speech: np.ndarray, language: str, options: Any, progress: Any, **kw: Any
    ) -> Iterator[Segment]:
        self.decoded_s.append(speech.size / RATE)
        progress(1.0)
        yield Segment(0.0, speech.size / RATE, f"chunk {len(self.decoded_s)}", language=language)


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> RecordingEngine:
    fake = RecordingEngine()
    monkeypatch.setattr(engine_module, "load_model", lambda options: fake)
    return fake


def test_audio_streams_in_blocks_of_the_asked_size(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    samples = (0.1 * rng.standard_normal(RATE * 95)).astype(np.float32)
    path = write_audio(samples, tmp_path / "long.mp3", "libmp3lame")
    blocks = list(iter_audio(path, block_s=30))
    assert [b.size for b in blocks[:-1]] == [30 * RATE] * 3
    assert 0 < blocks[-1].size <= 30 * RATE
    assert np.array_equal(np.concatenate(blocks), decode_audio(path))


def test_stereo_decodes_to_two_channels(shared_audio: Path) -> None:
    stereo = decode_audio(shared_audio / "en" / "fw_stereo_diarization.wav", channels=2)
    assert stereo.shape == (5 * RATE, 2)
    # one speaker per channel: the channels differ
    assert np.abs(stereo[:, 0] - stereo[:, 1]).mean() > 0.001


def test_chunks_bound_what_is_decoded_at_once(
    shared_audio: Path, fake_engine: RecordingEngine
) -> None:
    checkpoints: list[Checkpoint] = []
    progress: list[float] = []
    transcript = transcribe(
        shared_audio / DIALOGUE,
        TranscribeOptions(chunk_s=20, speakers=False),
        progress.append,
        on_checkpoint=checkpoints.append,
    )
    assert len(fake_engine.decoded_s) >= 3
    assert max(fake_engine.decoded_s) <= 40  # a chunk plus at most the speech carried over
    assert [c.done_s for c in checkpoints] == sorted(c.done_s for c in checkpoints)
    assert all(c.done_s <= transcript.duration_s for c in checkpoints)
    assert transcript.duration_s == pytest.approx(57.47, abs=0.01)
    assert progress == sorted(progress) and progress[-1] == 1.0
    # segment times are in the recording, not in the chunk
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts) and starts[-1] > 35


def test_resume_skips_what_the_checkpoint_finished(
    shared_audio: Path, fake_engine: RecordingEngine
) -> None:
    checkpoints: list[Checkpoint] = []
    full = transcribe(
        shared_audio / DIALOGUE,
        TranscribeOptions(chunk_s=20, speakers=False),
        on_checkpoint=checkpoints.append,
    )
    first_run = list(fake_engine.decoded_s)
    saved = Checkpoint.from_dict(checkpoints[0].to_dict())  # as stored in the database
    fake_engine.decoded_s.clear()
    resumed = transcribe(
        shared_audio / DIALOGUE, TranscribeOptions(chunk_s=20, speakers=False), resume=saved
    )
    assert fake_engine.decoded_s == first_run[1:]  # the first chunk is not decoded again
    assert resumed.segments[: len(saved.segments)] == saved.segments
    assert [s.start for s in resumed.segments] == [s.start for s in full.segments]


@pytest.mark.slow
def test_chunked_transcription_and_resume_with_the_real_model(shared_audio: Path) -> None:
    options = TranscribeOptions(chunk_s=30)
    checkpoints: list[Checkpoint] = []
    full = transcribe(shared_audio / DIALOGUE, options, on_checkpoint=checkpoints.append)
    reference = reference_text(
        shared_audio / "nl_constructed/nl_dialogue_sales_constructed.ref.txt"
    )
    assert checkpoints and wer(reference, full.text) <= 0.25
    resumed = transcribe(shared_audio / DIALOGUE, options, resume=checkpoints[-1])
    assert normalise(resumed.text) == normalise(full.text)


@pytest.mark.slow
def test_a_long_english_stretch_in_a_dutch_call_is_transcribed_as_english(
    shared_audio: Path,
) -> None:
    """An English-speaking customer for a minute: those windows switch, the rest stays Dutch."""
    dutch = decode_audio(shared_audio / "nl_constructed/nl_monologue_female_16k.wav")
    english = decode_audio(shared_audio / "en/jfk.flac")
    pause = np.zeros(RATE // 2, dtype=np.float32)
    stretch = np.concatenate([pause, english] * 6 + [pause])
    call = np.concatenate([dutch[: 30 * RATE], stretch, dutch[30 * RATE :]])
    transcript = transcribe(call)
    assert transcript.language == "nl"
    languages = [s.language for s in transcript.segments]
    assert languages[0] == "nl" and languages[-1] == "nl" and "en" in languages
    english_text = " ".join(s.text for s in transcript.segments if s.language == "en")
    assert "ask what you can do for your country" in normalise(english_text)
    assert all(
        30 < s.start < 30 + stretch.size / RATE for s in transcript.segments if s.language == "en"
    )

    dutch_only = transcribe(dutch)  # a Dutch monologue never leaves Dutch
    assert {s.language for s in dutch_only.segments} == {"nl"}


def test_a_chunk_ends_in_a_pause_even_when_speech_runs_on() -> None:
    from transcribe.engine import _cut

    rng = np.random.default_rng(1)
    chunk = (0.3 * rng.standard_normal(60 * RATE)).astype(np.float32)
    chunk[52 * RATE : 52 * RATE + RATE // 5] *= 0.01  # a short breath, 8 s before the end
    runs_on = [{"start": 0, "end": chunk.size}]
    assert abs(_cut(chunk, runs_on) - 52.1 * RATE) < RATE // 10
    assert _cut(chunk, [{"start": 40 * RATE, "end": chunk.size}]) == 40 * RATE
    assert _cut(chunk, [{"start": 0, "end": 50 * RATE}]) == chunk.size


def test_audio_past_the_limit_is_transcribed_up_to_it_and_says_so() -> None:
    """A header may claim 1 s for hours of audio (the upload's check trusts a short claim),
    or a VBR MP3's estimate may fall short: the transcription stops at the limit, keeps
    what it did, and says the rest was left."""
    from tests.conftest import tone
    from transcribe.engine import CUT_SHORT_NOTE

    options = TranscribeOptions(max_duration_s=2.0, chunk_s=1.0, speakers=False)
    cut = transcribe(tone(5.0), options)
    assert cut.duration_s == pytest.approx(2.0) and CUT_SHORT_NOTE in cut.notes
    whole = transcribe(tone(2.0), options)
    assert whole.duration_s == pytest.approx(2.0) and CUT_SHORT_NOTE not in whole.notes


@pytest.mark.parametrize(
    ("name", "codec"), [("t.mp3", "libmp3lame"), ("t.flac", "flac"), ("t.wav", "pcm_s16le")]
)
def test_a_file_cut_off_says_so_in_its_transcript(tmp_path: Path, name: str, codec: str) -> None:
    """An upload or a recorder that stopped half-way leaves a file whose header promises
    the whole length: the part that is there is transcribed, with a note that the rest is
    missing, where a log line alone would leave a transcript that silently ends early."""
    from tests.conftest import tone
    from transcribe.engine import DAMAGED_NOTE

    rate = 44_100 if codec == "libmp3lame" else 16_000
    whole = write_audio(tone(40.0, rate), tmp_path / name, codec, rate)
    cut = tmp_path / f"cut-{name}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    options = TranscribeOptions(speakers=False)
    transcript = transcribe(cut, options)
    assert DAMAGED_NOTE in transcript.notes and 15 < transcript.duration_s < 25
    assert DAMAGED_NOTE not in transcribe(whole, options).notes


def test_an_mp3_whose_length_is_only_guessed_is_not_called_cut_off(tmp_path: Path) -> None:
    """Without a frame that states its length, FFmpeg guesses an MP3's from its first frame's
    bit rate: 20 s of quiet at 32 kbit/s before 40 s at 192 kbit/s "lasts" 260 s. That is no
    sign of a cut-off file."""
    from fractions import Fraction

    import av

    from transcribe.audio import probe_audio
    from transcribe.engine import DAMAGED_NOTE

    def mp3(name: str, samples: np.ndarray, bit_rate: int) -> bytes:
        path = tmp_path / name
        with av.open(str(path), "w", format="mp3", options={"write_xing": "0"}) as container:
            stream = container.add_stream("libmp3lame", rate=44_100, layout="mono")
            stream.bit_rate = bit_rate
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), "flt", "mono")
            frame.sample_rate, frame.pts, frame.time_base = 44_100, 0, Fraction(1, 44_100)
            for packet in [*stream.encode(frame), *stream.encode(None)]:
                container.mux(packet)
        return path.read_bytes()

    noise = (0.1 * np.random.default_rng(0).standard_normal(40 * 44_100)).astype(np.float32)
    joined = tmp_path / "vbr.mp3"
    joined.write_bytes(
        mp3("a.mp3", np.zeros(20 * 44_100, np.float32), 32_000) + mp3("b.mp3", noise, 192_000)
    )
    info = probe_audio(joined)
    assert info.duration_s > 200 and not info.length_stated  # the guess
    transcript = transcribe(joined, TranscribeOptions(speakers=False))
    assert 59 < transcript.duration_s < 61 and DAMAGED_NOTE not in transcript.notes
