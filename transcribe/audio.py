"""Audio decoding with PyAV (FFmpeg's libraries in a wheel): no ffmpeg binary needed.

Every format FFmpeg reads works: wav, mp3, m4a/aac, ogg/opus, webm, flac and the audio track
of video files. Output is what Whisper wants: mono float32 at 16 kHz.
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from transcribe.errors import AudioDecodeError
from transcribe.texts import N_

logger = logging.getLogger(__name__)

__all__ = [
    "SAMPLE_RATE",
    "AudioInfo",
    "DecodeDamage",
    "decode_audio",
    "iter_audio",
    "mono_mix",
    "probe_audio",
]

SAMPLE_RATE = 16_000  # Hz, Whisper's input rate
_MAX_BAD_PACKETS = 200  # undecodable packets skipped before giving up on the rest
_MIN_GAP_S = 0.1  # audio missing between two frames (damaged packets): silence put in from
_MAX_PADDING_S = 600.0  # at most this much silence in all: beyond, time stamps are not trusted

Source = str | Path | BinaryIO


@dataclass(slots=True)
class DecodeDamage:
    """What `iter_audio` had to skip in a file, for a note to its reader: a log line alone
    leaves a transcript that silently misses part of the conversation."""

    skipped_packets: int = 0
    lost_s: float = 0.0  # stretches lost inside the file, kept as silence
    ended_in_error: bool = False  # the file stopped being readable before its end

    @property
    def found(self) -> bool:
        # One undecodable packet is the seam of joined files ("cat a.mp3 b.mp3") or a cut-off
        # file's last frame (its header tells that), and a stretch under a second lost between
        # frames a recorder's hiccup: no damage worth a note (the gap is still filled with
        # silence, so later times stay right).
        return self.skipped_packets > 1 or self.lost_s >= 1.0 or self.ended_in_error


@dataclass(frozen=True, slots=True)
class AudioInfo:
    duration_s: float
    sample_rate: int  # Hz of the first audio stream
    channels: int
    codec: str
    container: str
    # Whether the header states the length (False: measured from the packets, or an MP3
    # without a length frame, whose length FFmpeg guesses from the first frame's bit rate).
    length_stated: bool = True


def _open(source: Source):
    import av

    if isinstance(source, Path) and source.is_file() and source.stat().st_size == 0:
        raise AudioDecodeError(N_("the file is empty"))
    try:
        return av.open(str(source) if isinstance(source, Path) else source, mode="r")
    except FileNotFoundError as e:
        raise AudioDecodeError(N_("file not found: %(path)s"), path=str(source)) from e
    except av.InvalidDataError as e:  # the commonest: a document or image named .mp3
        raise AudioDecodeError(
            N_(
                "it is in none of the formats ridealong reads (wav, mp3, m4a, ogg, webm, flac, "
                "mp4, …), or it is damaged or was cut off while recording"
            ),
            unreadable=True,
        ) from e
    except av.FFmpegError as e:
        raise AudioDecodeError(
            N_("the decoder says: %(detail)s"), unreadable=True, detail=_reason(e)
        ) from e


def _reason(error: Exception) -> str:
    text = getattr(error, "strerror", None) or str(error)
    return text.split(":")[-1].strip() or type(error).__name__


def probe_audio(source: Source, measure_above_s: float | None = None) -> AudioInfo:
    """Read the container header: cheap, used to reject non-audio before any work is queued.

    A header without a duration (what browsers' MediaRecorder writes into WebM) is measured
    by reading the packets' time stamps, without decoding; so is one that claims more than
    `measure_above_s`, so that a wrong header cannot get a short file refused as too long.
    """
    import av

    container = _open(source)
    try:
        if not container.streams.audio:
            raise AudioDecodeError(N_("the file has no audio track"))
        stream = container.streams.audio[0]
        duration_s = 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration_s = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration_s = container.duration / av.time_base
        stated = duration_s > 0
        if container.format.name == "mp3" and stated:
            stated = _mp3_length_frame(source)
        if container.format.name == "wav":  # FFmpeg gives what the file holds, not its claim
            duration_s = max(duration_s, _wav_promised_s(source) or 0.0)
        if duration_s <= 0 or (measure_above_s is not None and duration_s > measure_above_s):
            duration_s, stated = _packets_end_s(container, stream), False
        return AudioInfo(
            duration_s=duration_s,
            sample_rate=int(stream.rate or 0),
            channels=int(stream.channels or 0),
            codec=stream.codec_context.name,
            container=container.format.name,
            length_stated=stated,
        )
    finally:
        container.close()


def _mp3_length_frame(source: Source) -> bool:
    """Whether an MP3 starts with a frame that states its length (Xing or Info, as LAME and
    FFmpeg write; VBRI, as Fraunhofer's encoder does). Without one, FFmpeg's duration is the
    file size over the first frame's bit rate: for variable bit rates, a guess."""
    head, _ = _head_and_size(source, 1 << 16)
    start = 0
    if head[:3] == b"ID3" and len(head) >= 10:  # a tag before the first frame
        size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        start = 10 + size + (10 if head[5] & 0x10 else 0)
        if start >= len(head):  # a tag of more than 64 KB (cover art): read past it
            if not isinstance(source, str | Path):
                return False
            with open(source, "rb") as file:
                file.seek(start)
                head, start = file.read(1 << 12), 0
    first_frame = head[start : start + 200]
    return any(tag in first_frame for tag in (b"Xing", b"Info", b"VBRI"))


def _head_and_size(source: Source, size: int) -> tuple[bytes, int]:
    """The first `size` bytes of a file, and its length."""
    if isinstance(source, str | Path):
        with open(source, "rb") as file:
            return file.read(size), os.fstat(file.fileno()).st_size
    at = source.tell()
    try:
        source.seek(0)
        head = source.read(size)
        return head, source.seek(0, os.SEEK_END)
    finally:
        source.seek(at)


_UNKNOWN_WAV_SIZE = 0x7F000000


def _wav_promised_s(source: Source) -> float | None:
    """The length a WAV's header promises, where it is more than the file holds: a recording
    cut off while it was copied or uploaded. FFmpeg reports only what is there, so the cut
    would go unnoticed. None for a whole file, and for the sizes streaming writers put in
    before they know the length."""
    head, size = _head_and_size(source, 1 << 12)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    at, byte_rate = 12, 0
    while at + 8 <= len(head):
        chunk, length = head[at : at + 4], struct.unpack("<I", head[at + 4 : at + 8])[0]
        if chunk == b"fmt " and at + 20 <= len(head):
            byte_rate = struct.unpack("<I", head[at + 16 : at + 20])[0]
        elif chunk == b"data":
            # 0 and sizes near the largest number are what streaming writers put in before
            # they know the length (SoX to a pipe: 0x7ffff000, arecord: 0x7fffffff).
            if not byte_rate or length == 0 or length >= _UNKNOWN_WAV_SIZE:
                return None
            if length <= size - (at + 8):
                return None
            return length / byte_rate
        at += 8 + length + (length & 1)  # chunks are padded to an even length
    return None


def _packets_end_s(container: Any, stream: Any) -> float:
    """Where the last audio packet ends, by its time stamps (0 when there are none)."""
    import av

    start: float | None = None
    end = 0.0
    try:
        for packet in container.demux(stream):
            stamp = packet.pts if packet.pts is not None else packet.dts
            if stamp is None or packet.time_base is None:
                continue
            at = float(stamp * packet.time_base)
            start = at if start is None else min(start, at)
            end = max(end, float((stamp + (packet.duration or 0)) * packet.time_base))
    except (av.FFmpegError, ValueError):  # damaged past here: what was read counts
        pass
    return max(0.0, end - max(start or 0.0, 0.0))


_CANCELLED = 0.1  # a mix with a tenth of its louder channel's energy: the channels cancel
_DOWNMIX = float(np.sqrt(0.5))  # each channel's weight, as FFmpeg's own stereo-to-mono mix


def mono_mix(stereo: np.ndarray, weight: float = _DOWNMIX) -> np.ndarray:
    """Two channels as one: their sum at `weight` each (-3 dB, as FFmpeg mixes), or their
    difference where the sum cancels out, as it does when one channel is the other
    inverted (a miswired microphone, a "wide stereo" effect): plain mixing would turn such
    a recording into silence."""
    mix = weight * (stereo[:, 0] + stereo[:, 1])
    if not mix.size:
        return mix.astype(np.float32, copy=False)
    loudest = float(max((stereo[:, 0] ** 2).mean(), (stereo[:, 1] ** 2).mean()))
    if loudest > 0 and float((mix**2).mean()) < _CANCELLED * loudest:
        mix = weight * (stereo[:, 0] - stereo[:, 1])
    return mix.astype(np.float32, copy=False)


def decode_audio(
    source: Source,
    sample_rate: int = SAMPLE_RATE,
    channels: int = 1,
    warn: bool = True,
    max_s: float | None = None,
) -> np.ndarray:
    """Decode the first audio stream to float32 at `sample_rate`: shape (n,) for mono,
    (n, channels) otherwise.

    Raises AudioDecodeError for anything that is not decodable audio. A file whose audio
    is empty decodes to an empty array (the caller decides what that means). `max_s`: only
    the first seconds.
    """
    if max_s is None:
        blocks = list(iter_audio(source, sample_rate, channels, warn=warn))
    else:  # the beginning only, read a block at a time: never the whole of a long file
        wanted, blocks, size = int(max_s * sample_rate), [], 0
        for block in iter_audio(source, sample_rate, channels, block_s=30.0, warn=warn):
            blocks.append(block[: wanted - size])
            size += len(blocks[-1])
            if size >= wanted:
                break
    if not blocks:
        shape = (0,) if channels == 1 else (0, channels)
        return np.zeros(shape, dtype=np.float32)
    return np.concatenate(blocks).astype(np.float32, copy=False)


def iter_audio(
    source: Source,
    sample_rate: int = SAMPLE_RATE,
    channels: int = 1,
    block_s: float = 0.0,
    warn: bool = True,
    damage: DecodeDamage | None = None,
) -> Iterator[np.ndarray]:
    """Decode the first audio stream in blocks, so long recordings never sit whole in memory.

    Blocks hold `block_s` seconds each (the last one less); with `block_s=0` they are the
    decoder's own frames. Shapes as in `decode_audio`. Damaged packets are skipped (and
    counted in `damage`, once the blocks are all read); a stream that changes rate or
    channel count midway (joined files) is resampled seamlessly.
    """
    damage = damage if damage is not None else DecodeDamage()
    import av

    layout = {1: "mono", 2: "stereo"}.get(channels)
    if layout is None:
        raise ValueError(f"channels must be 1 or 2, not {channels}")
    block_size = int(block_s * sample_rate)
    pending: list[np.ndarray] = []
    pending_size = 0
    next_s: float | None = None  # where the frame after the last one should start
    padded_s = 0.0  # silence put in for damaged stretches so far

    fold = False  # mono from two channels, mixed here rather than by the resampler

    def to_array(frame: Any) -> np.ndarray:
        data = frame.to_ndarray().reshape(-1)  # packed float: interleaved channels
        if fold:
            return mono_mix(data.reshape(-1, 2))
        return data if channels == 1 else data.reshape(-1, channels)

    def silence(frame: Any) -> Iterator[np.ndarray]:
        """Zeros for the audio a damaged stretch lost right before `frame`, so that every
        later time stamp still points where a player plays it. Only a sudden jump between
        neighbouring frames counts: slow drift of a recorder's clock is left alone, and a
        jump back (joined files) just sets the new reference."""
        nonlocal next_s, padded_s
        length_s = frame.samples / frame.sample_rate
        if frame.time is None:  # no time stamp: it follows the frame before
            if next_s is not None:
                next_s += length_s
            return
        missing_s = float(frame.time) - next_s if next_s is not None else 0.0
        next_s = float(frame.time) + length_s
        # Time stamps wobble by part of a frame where block sizes change (Vorbis): a gap
        # must exceed a whole frame as well as the minimum.
        gap = missing_s > max(_MIN_GAP_S, length_s)
        if gap and padded_s + missing_s <= _MAX_PADDING_S:
            padded_s += missing_s
            n = round(missing_s * sample_rate)
            yield np.zeros((n,) if channels == 1 else (n, channels), np.float32)

    def collect(frames: Iterable[Any]) -> Iterator[np.ndarray]:
        nonlocal pending_size
        for frame in frames:
            array = frame if isinstance(frame, np.ndarray) else to_array(frame)
            if block_size <= 0:
                yield array
                continue
            pending.append(array)
            pending_size += len(array)
            while pending_size >= block_size:
                joined = np.concatenate(pending)
                yield joined[:block_size]
                rest = joined[block_size:]
                pending[:] = [rest] if len(rest) else []
                pending_size = len(rest)

    container = _open(source)
    decoded_any = False
    try:
        if not container.streams.audio:
            raise AudioDecodeError(N_("the file has no audio track"))
        stream = container.streams.audio[0]
        if channels == 1 and (stream.channels or 1) >= 2:
            fold, layout = True, "stereo"
        resampler = av.AudioResampler(format="flt", layout=layout, rate=sample_rate)
        shape = None  # (format, layout, rate) the resampler was set up for
        bad_packets = 0
        last_error: Exception | None = None
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except (av.FFmpegError, ValueError) as e:
                    # A damaged packet, or the seam of joined files: skip it, keep the rest.
                    bad_packets += 1
                    last_error = e
                    if bad_packets > _MAX_BAD_PACKETS:
                        break
                    continue
                for frame in frames:
                    frame_shape = (frame.format.name, frame.layout.name, frame.sample_rate)
                    if shape is not None and frame_shape != shape:
                        # Joined files and some AAC/WebM streams change rate or channels.
                        yield from collect(resampler.resample(None))
                        resampler = av.AudioResampler(format="flt", layout=layout, rate=sample_rate)
                    shape = frame_shape
                    yield from collect(silence(frame))
                    frame.pts = None  # the resampler times by sample count
                    for block in collect(resampler.resample(frame)):
                        decoded_any = True
                        yield block
            yield from collect(resampler.resample(None))
        except (av.FFmpegError, ValueError) as e:
            last_error = e
            damage.ended_in_error = True
        damage.skipped_packets, damage.lost_s = bad_packets, padded_s
        if pending_size:
            decoded_any = True
            yield np.concatenate(pending)
        if last_error is not None:
            if not decoded_any:
                raise AudioDecodeError(
                    N_("could not decode the audio (%(detail)s)"), detail=_reason(last_error)
                )
            if warn:  # once a file: a second pass over it (speakers) says nothing new
                logger.warning(
                    "%d damaged piece(s) of audio were skipped (the file is damaged or was cut "
                    "off); the rest is transcribed. The decoder said: %s",
                    bad_packets or 1,
                    _reason(last_error),
                )
        if padded_s and warn:
            logger.warning("%.1f s of audio were lost to damage: kept as silence", padded_s)
    finally:
        container.close()
