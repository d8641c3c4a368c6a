from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import browser_webm, tone, write_audio
from transcribe import AudioDecodeError, decode_audio, iter_audio, probe_audio
from transcribe.audio import DecodeDamage


@pytest.mark.parametrize(
    ("suffix", "codec"),
    [
        (".wav", "pcm_s16le"),
        (".mp3", "libmp3lame"),
        (".m4a", "aac"),
        (".ogg", "libopus"),
        (".webm", "libopus"),
        (".flac", "flac"),
    ],
)
def test_common_formats_decode_to_16k_mono(tmp_path: Path, suffix: str, codec: str) -> None:
    rate = 48_000 if codec == "libopus" else 44_100
    path = write_audio(tone(2.0, rate), tmp_path / f"tone{suffix}", codec, rate)
    samples = decode_audio(path)
    assert samples.dtype == np.float32
    assert abs(samples.size / 16_000 - 2.0) < 0.1
    assert 0.2 < float(np.abs(samples).max()) < 0.4  # the 0.3 amplitude survives
    info = probe_audio(path)
    assert info.channels == 1 and abs(info.duration_s - 2.0) < 0.15


@pytest.mark.parametrize(
    ("suffix", "codec"), [(".mp3", "libmp3lame"), (".m4a", "aac"), (".webm", "libopus")]
)
def test_lossy_formats_keep_time_with_the_original(tmp_path: Path, suffix: str, codec: str) -> None:
    """Encoders put silence (priming) before the audio, and the container says how much;
    unless it is trimmed, every timestamp of an M4A is 64 ms late."""
    rate = 48_000 if codec == "libopus" else 44_100
    click = np.zeros(3 * rate, dtype=np.float32)
    click[rate : rate + 441] = np.hanning(441).astype(np.float32) * 0.8  # at 1.0 s
    samples = decode_audio(write_audio(click, tmp_path / f"click{suffix}", codec, rate))
    peak_s = (int(np.argmax(np.abs(samples))) - 0.005 * 16_000) / 16_000
    assert abs(peak_s - 1.0) < 0.002
    assert abs(samples.size / 16_000 - 3.0) < 0.03


def test_stereo_is_mixed_down(shared_audio: Path) -> None:
    samples = decode_audio(shared_audio / "en" / "fw_stereo_diarization.wav")
    assert abs(samples.size / 16_000 - 5.0) < 0.05


def test_text_named_like_audio_is_refused_clearly(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp3"
    fake.write_text("these are meeting notes, not audio\n" * 50)
    with pytest.raises(AudioDecodeError, match="not a readable audio file") as refused:
        decode_audio(fake)
    assert "wav, mp3, m4a" in str(refused.value)  # what it would take, in a user's words
    assert "Invalid data" not in str(refused.value)  # not the decoder's jargon
    with pytest.raises(AudioDecodeError):
        probe_audio(fake)


def test_empty_file_and_missing_file_are_decode_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioDecodeError, match="the file is empty"):
        decode_audio(empty)
    with pytest.raises(AudioDecodeError, match="not found"):
        decode_audio(tmp_path / "nope.wav")


@pytest.mark.parametrize(("suffix", "codec"), [(".m4a", "aac"), (".webm", "libopus")])
def test_a_damaged_stretch_keeps_later_audio_in_its_place(
    tmp_path: Path, suffix: str, codec: str, caplog
) -> None:
    """Packets the decoder cannot read are skipped; the audio after them stays at its time
    (a click at 8 s is still at 8 s), or every later quote would play the wrong words."""
    rate = 48_000 if codec == "libopus" else 44_100
    click = np.zeros(10 * rate, dtype=np.float32)
    click[:] = 0.01 * np.random.default_rng(0).standard_normal(click.size)  # not silence
    click[8 * rate : 8 * rate + 441] = np.hanning(441).astype(np.float32) * 0.8
    data = bytearray(write_audio(click, tmp_path / f"c{suffix}", codec, rate).read_bytes())
    middle = slice(len(data) // 3, len(data) // 3 + len(data) // 8)  # about 1 s of packets
    data[middle] = np.random.default_rng(1).integers(0, 256, len(data) // 8, np.uint8).tobytes()
    (tmp_path / f"damaged{suffix}").write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="transcribe.audio"):
        samples = decode_audio(tmp_path / f"damaged{suffix}")
    damage, clean = DecodeDamage(), DecodeDamage()  # what the transcript's note is told
    for _ in iter_audio(tmp_path / f"damaged{suffix}", warn=False, damage=damage):
        pass
    for _ in iter_audio(tmp_path / f"c{suffix}", damage=clean):
        pass
    assert damage.found and not clean.found
    peak_s = (int(np.argmax(np.abs(samples))) - 0.005 * 16_000) / 16_000
    assert abs(peak_s - 8.0) < 0.01
    assert abs(samples.size / 16_000 - 10.0) < 0.05
    said = [r.getMessage() for r in caplog.records]
    assert said and all("Errno" not in line for line in said)  # plain words, no errno
    caplog.clear()
    with caplog.at_level("WARNING", logger="transcribe.audio"):
        decode_audio(tmp_path / f"damaged{suffix}", warn=False)  # the speakers' second pass
    assert not caplog.records


class _Packet:
    def __init__(self, frames: list) -> None:
        self.frames = frames

    def decode(self) -> list:
        return self.frames


class _Container:
    """Just enough of a PyAV container to feed `iter_audio` frames with chosen time stamps."""

    def __init__(self, packets: list[_Packet]) -> None:
        self.packets = packets
        self.streams = type("Streams", (), {"audio": [type("Stream", (), {"channels": 1})()]})()

    def demux(self, stream: object) -> Iterator[_Packet]:
        return iter(self.packets)

    def close(self) -> None:
        pass


def _stamped(monkeypatch, frames: int, stamp) -> np.ndarray:
    """Decode `frames` frames of 1024 samples at 44.1 kHz, frame i stamped `stamp(i)`
    (in samples; None: no time stamp, "drop": the packet lost)."""
    import av

    from transcribe import audio

    rate, n = 44_100, 1024
    signal = np.sin(2 * np.pi * 440 * np.arange(frames * n) / rate).astype(np.float32)
    packets = []
    for i in range(frames):
        pts = stamp(i)
        if pts == "drop":
            continue
        frame = av.AudioFrame.from_ndarray(signal[None, i * n : (i + 1) * n], "flt", "mono")
        frame.sample_rate, frame.time_base, frame.pts = rate, Fraction(1, rate), pts
        packets.append(_Packet([frame]))
    monkeypatch.setattr(audio, "_open", lambda source: _Container(packets))
    return decode_audio(Path("stamped.wav"))


def test_time_stamps_fill_lost_frames_and_nothing_else(monkeypatch) -> None:
    """Silence goes in only where frames are missing: not for frames without a time stamp,
    not for a recorder clock that runs 1 % fast, and a jump back (joined files) resets."""
    full = round(200 * 1024 * 16_000 / 44_100)  # 200 frames at 16 kHz
    assert _stamped(monkeypatch, 200, lambda i: i * 1024).size == full
    untimed = _stamped(monkeypatch, 200, lambda i: None if 50 <= i < 100 else i * 1024)
    assert untimed.size == full
    lost = _stamped(monkeypatch, 200, lambda i: "drop" if 50 <= i < 55 else i * 1024)
    assert lost.size == full  # 0.116 s lost, 0.116 s of silence in its place
    assert not lost[round(51 * 1024 * 16_000 / 44_100) : round(54 * 1024 * 16_000 / 44_100)].any()
    fast_clock = _stamped(monkeypatch, 200, lambda i: round(i * 1024 * 1.01))
    assert fast_clock.size == full  # the drift is no damage
    joined = _stamped(
        monkeypatch, 200, lambda i: "drop" if 150 <= i < 155 else (i if i < 100 else i - 100) * 1024
    )
    assert joined.size == full  # the second part starts at 0 again, then loses 5 frames


def test_truncated_mp3_keeps_what_decoded(tmp_path: Path) -> None:
    path = write_audio(tone(3.0, 44_100), tmp_path / "t.mp3", "libmp3lame", 44_100)
    data = path.read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[: len(data) // 2])
    samples = decode_audio(cut)
    assert 1.0 < samples.size / 16_000 < 2.0


def test_a_stream_that_changes_sample_rate_midway_decodes_whole(tmp_path: Path) -> None:
    first = write_audio(tone(2.0, 44_100), tmp_path / "a.mp3", "libmp3lame", 44_100)
    second = write_audio(tone(2.0, 22_050, 660.0), tmp_path / "b.mp3", "libmp3lame", 22_050)
    joined = tmp_path / "joined.mp3"
    joined.write_bytes(first.read_bytes() + second.read_bytes())  # as `cat a.mp3 b.mp3` makes
    samples = decode_audio(joined)
    assert abs(samples.size / 16_000 - 4.0) < 0.2


def test_a_browser_recording_without_a_duration_is_measured(tmp_path: Path) -> None:
    import av

    path = browser_webm(tone(4.0), tmp_path / "opname.webm")
    with av.open(str(path)) as container:  # the header really says nothing
        assert container.duration is None and container.streams.audio[0].duration is None
    assert abs(probe_audio(path).duration_s - 4.0) < 0.05


def test_a_cut_off_wav_says_the_length_its_header_promised(tmp_path: Path) -> None:
    """FFmpeg gives a WAV's length from what the file holds; the header's promise tells a
    cut-off copy. Streaming writers' placeholder sizes (0, the largest number) promise
    nothing."""
    whole = write_audio(tone(10.0), tmp_path / "whole.wav", "pcm_s16le").read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole[: len(whole) // 4])
    assert probe_audio(cut).duration_s == pytest.approx(10.0, abs=0.01)
    data_size_at = whole.index(b"data") + 4
    for placeholder in (
        b"\xff\xff\xff\xff",
        b"\x00\x00\x00\x00",
        b"\x00\xf0\xff\x7f",
        b"\xff\xff\xff\x7f",
    ):
        streamed = tmp_path / "streamed.wav"
        streamed.write_bytes(whole[:data_size_at] + placeholder + whole[data_size_at + 4 :])
        assert probe_audio(streamed).duration_s < 11.0  # not 37 hours, nor nothing
    assert probe_audio(tmp_path / "whole.wav").duration_s == pytest.approx(10.0, abs=0.01)


def test_a_header_claiming_hours_is_measured_before_it_counts(tmp_path: Path) -> None:
    import struct

    import av

    path = tmp_path / "kort.webm"
    with av.open(str(path), "w", format="webm") as container:  # a header with a Duration
        stream = container.add_stream("libopus", rate=48_000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 48_000 * 3), np.float32), "flt", "mono")
        frame.sample_rate, frame.pts, frame.time_base = 48_000, 0, Fraction(1, 48_000)
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    data = bytearray(path.read_bytes())
    at = data.find(b"\x44\x89")  # Matroska's Duration: a float64 of milliseconds
    assert data[at + 2] == 0x88
    data[at + 3 : at + 11] = struct.pack(">d", 10 * 3600 * 1000.0)
    path.write_bytes(bytes(data))
    assert probe_audio(path).duration_s == pytest.approx(36_000.0)  # what the header says
    assert abs(probe_audio(path, measure_above_s=3600).duration_s - 3.0) < 0.05


def test_a_channel_that_is_the_other_inverted_does_not_cancel_out(tmp_path: Path) -> None:
    import soundfile as sf

    said = tone(2.0)
    sf.write(tmp_path / "miswired.wav", np.stack([said, -said], axis=1), 16_000)
    mixed = decode_audio(tmp_path / "miswired.wav")
    assert np.sqrt((mixed**2).mean()) > 0.5 * np.sqrt((said**2).mean())
    sf.write(tmp_path / "two.wav", np.stack([said, np.zeros_like(said)], axis=1), 16_000)
    one_side = decode_audio(tmp_path / "two.wav")  # a usual mix is FFmpeg's: each at -3 dB
    assert np.allclose(one_side, said * np.sqrt(0.5), atol=1e-4)


def test_quiet_audio_is_raised_to_a_usual_level_and_nothing_else_is() -> None:
    from transcribe.engine import audible_level

    said = tone(1.0)  # peak 0.3: a usual level
    assert audible_level(said) is said
    quiet = said * 10 ** (-50 / 20)
    raised = audible_level(quiet)
    assert 0.2 < float(np.abs(raised).max()) < 1.0
    assert np.allclose(raised / raised.max(), quiet / quiet.max(), atol=1e-4)  # only louder
    silence = np.zeros(16_000, np.float32)
    assert audible_level(silence) is silence
    hiss = np.full(16_000, 5e-5, np.float32)  # under the digital-silence peak
    assert audible_level(hiss) is hiss
    click = quiet.copy()
    click[100] = 0.9  # one loud click neither stops the raise nor goes past full scale
    raised_anyway = audible_level(click)
    assert float(np.abs(raised_anyway).max()) <= 1.0
    assert float(np.percentile(np.abs(raised_anyway), 99)) > 0.1
    # A quiet stretch of a usual recording (on hold, after the goodbye) stays quiet:
    # background voices there must not be raised to the speakers' level.
    assert audible_level(quiet, recording_level=0.3) is quiet


def test_only_recordings_quiet_throughout_are_raised() -> None:
    from transcribe.engine import _at_recording_level

    said, background = tone(2.0), tone(2.0) * 10 ** (-50 / 20)
    usual_then_quiet = list(_at_recording_level(iter([said, background])))
    assert usual_then_quiet[1] is background
    quiet_throughout = list(_at_recording_level(iter([background, background])))
    assert all(float(np.abs(b).max()) > 0.2 for b in quiet_throughout)
