"""Speaker embeddings for spans of a recording: resemblyzer (default) or MFCC statistics.

Both backends take the whole recording once and a list of sample spans, so the expensive
front end (STFT, mel filter bank) runs once per recording, not once per window. Embeddings
come back L2-normalised, so a dot product is a cosine similarity.

- `resemblyzer`: the GE2E speaker encoder in the `resemblyzer` wheel (weights inside, needs
  torch). Loaded once per process, behind a lock, and warmed up at load (the first forward
  pass of a fresh torch costs seconds).
- `mfcc`: mean and spread of MFCCs (librosa) per span, standardised over the recording. No
  torch, no weights; separates clearly different voices (male/female) but not similar ones,
  and its vectors mean nothing across recordings. Labelled lower quality wherever it is used.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from transcribe.errors import ModelUnavailableError

logger = logging.getLogger(__name__)

__all__ = [
    "EMBEDDERS",
    "MfccEmbedder",
    "ResemblyzerEmbedder",
    "SpeakerEmbedder",
    "get_embedder",
    "l2_normalise",
]

SAMPLE_RATE = 16_000  # Hz; both backends expect 16 kHz mono float32
FRAME_HOP = 160  # samples: both front ends use 10 ms frames
_WINDOW = 400  # samples: 25 ms analysis window (resemblyzer's hyper-parameter)
_MELS = 40  # mel channels the resemblyzer encoder was trained on
_TARGET_DBFS = -30.0  # resemblyzer's training loudness (its preprocess_wav normalises to this)
_BATCH_FRAMES = 40_000  # frames per forward pass: bounds memory on long recordings
_BLOCK_FRAMES = 20_000  # frames per FFT block (200 s of audio)

Span = tuple[int, int]  # [start, end) in 16 kHz samples


class SpeakerEmbedder(Protocol):
    """Turns spans of a recording into L2-normalised speaker vectors (one row per span)."""

    name: str
    portable: bool  # vectors comparable across recordings (usable for voice profiles)

    def embed(self, samples: np.ndarray, spans: Sequence[Span]) -> np.ndarray: ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def _frame_power(samples: np.ndarray, basis: np.ndarray | None = None) -> np.ndarray:
    """Power spectrogram (frames, 201) with librosa's defaults: centred, zero-padded, Hann;
    projected on `basis` (e.g. mel filters: (frames, n_mels)) when given.

    Computed in blocks, and projected block by block, so that hours of audio need tens of
    MB, not gigabytes.
    """
    padded = np.pad(samples.astype(np.float32, copy=False), _WINDOW // 2)
    n_frames = 1 + max(0, (padded.size - _WINDOW) // FRAME_HOP)
    frames = np.lib.stride_tricks.as_strided(
        padded,
        shape=(n_frames, _WINDOW),
        strides=(padded.strides[0] * FRAME_HOP, padded.strides[0]),
        writeable=False,
    )
    window = np.hanning(_WINDOW + 1)[:-1].astype(np.float32)  # periodic Hann, as librosa
    width = _WINDOW // 2 + 1 if basis is None else basis.shape[0]
    power = np.empty((n_frames, width), dtype=np.float32)
    for start in range(0, n_frames, _BLOCK_FRAMES):
        spectrum = np.fft.rfft(frames[start : start + _BLOCK_FRAMES] * window, axis=1)
        block = spectrum.real**2 + spectrum.imag**2
        power[start : start + _BLOCK_FRAMES] = block if basis is None else block @ basis.T
    return power


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default): linear to 1 kHz, logarithmic above."""
    linear = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    linear = mel * (200.0 / 3)
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log_part, linear)


@lru_cache(maxsize=4)
def mel_filterbank(n_mels: int = _MELS) -> np.ndarray:
    """Triangular mel filters (n_mels, 201), area-normalised: librosa.filters.mel's numbers
    with numpy alone, so the MFCC fallback needs neither torch nor librosa."""
    fft_hz = np.linspace(0, SAMPLE_RATE / 2, _WINDOW // 2 + 1)
    edges_hz = _mel_to_hz(np.linspace(0.0, _hz_to_mel(np.array(SAMPLE_RATE / 2.0)), n_mels + 2))
    widths = np.diff(edges_hz)
    ramps = edges_hz[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]
    return weights.astype(np.float32)


def _mel_basis() -> np.ndarray:
    return mel_filterbank(_MELS)


def mel_frames(samples: np.ndarray) -> np.ndarray:
    """resemblyzer's input features (frames, 40): a power mel spectrogram, not log.

    Computed with numpy instead of `librosa.feature.melspectrogram` (same numbers): importing
    librosa's feature module pulls in scipy.signal and numba and costs seconds.
    """
    return _frame_power(samples, _mel_basis())


def _loudness_gain(samples: np.ndarray, spans: Sequence[Span]) -> float:
    """Gain that brings the speech spans to resemblyzer's training loudness (never lowers it).

    Its features are not log-scaled, so a quiet recording would otherwise look like another
    voice; resemblyzer's own `preprocess_wav` applies the same rule to whole files.
    """
    if not spans:
        return 1.0
    # Summed span by span: the spans overlap, and a joined copy of them would hold hours of
    # audio several times over.
    squares = sum(float(np.dot(samples[a:b], samples[a:b])) for a, b in spans)
    count = sum(max(0, min(b, samples.size) - a) for a, b in spans)
    rms = float(np.sqrt(squares / count)) if count else 0.0
    if rms <= 1e-6:
        return 1.0
    change_db = _TARGET_DBFS - 20 * np.log10(rms)
    return float(10 ** (max(change_db, 0.0) / 20))


@dataclass
class ResemblyzerEmbedder:
    """The GE2E LSTM speaker encoder (256-d), trained on 1.6 s windows."""

    encoder: Any  # resemblyzer.VoiceEncoder
    name: str = "resemblyzer"
    portable: bool = True

    def embed(self, samples: np.ndarray, spans: Sequence[Span]) -> np.ndarray:
        import torch

        if not spans:
            return np.zeros((0, 256), dtype=np.float32)
        # The gain scales power by its square; applied to the features, not a copy of the audio.
        mel = mel_frames(samples) * np.float32(_loudness_gain(samples, spans) ** 2)
        frame_spans = []
        for start, end in spans:
            first = start // FRAME_HOP
            frame_spans.append((first, max(first + 1, min(end // FRAME_HOP, len(mel)))))
        out = np.zeros((len(spans), 256), dtype=np.float32)
        by_length: dict[int, list[int]] = {}
        for index, (first, last) in enumerate(frame_spans):
            by_length.setdefault(last - first, []).append(index)
        with _inference_lock, _one_torch_thread(), torch.inference_mode():
            for length, indices in by_length.items():
                step = max(1, _BATCH_FRAMES // length)
                for i in range(0, len(indices), step):
                    batch = indices[i : i + step]
                    mels = np.stack([mel[frame_spans[j][0] : frame_spans[j][1]] for j in batch])
                    out[batch] = self.encoder(torch.from_numpy(mels)).numpy()
        return l2_normalise(out)


@dataclass
class MfccEmbedder:
    """Mean and standard deviation of 20 MFCCs (c0, the loudness, left out) per span."""

    name: str = "mfcc"
    portable: bool = False

    def embed(self, samples: np.ndarray, spans: Sequence[Span]) -> np.ndarray:
        from scipy.fft import dct

        if not spans:
            return np.zeros((0, 38), dtype=np.float32)
        mel = _frame_power(samples, mel_filterbank(40))
        log_mel = 10 * np.log10(np.maximum(mel + 1e-10, 1e-10))
        log_mel = np.maximum(log_mel, log_mel.max() - 80.0)  # as librosa.power_to_db
        mfcc = dct(log_mel, type=2, norm="ortho", axis=1)[:, 1:20]
        rows = []
        for start, end in spans:
            first = start // FRAME_HOP
            chunk = mfcc[first : max(first + 1, min(end // FRAME_HOP, len(mfcc)))]
            rows.append(np.concatenate([chunk.mean(axis=0), chunk.std(axis=0)]))
        stats = np.asarray(rows, dtype=np.float64)
        # Standardise each dimension over the recording so no coefficient dominates the
        # distance; this is also why the vectors are meaningless in another recording.
        stats = (stats - stats.mean(axis=0)) / (stats.std(axis=0) + 1e-6)
        return l2_normalise(stats)


_lock = threading.Lock()  # guards loading
_inference_lock = threading.Lock()  # one forward pass at a time (it changes torch's threads)


@contextmanager
def _one_torch_thread() -> Iterator[None]:
    """Run the LSTM on one thread, then restore torch's setting.

    An LSTM is hundreds of tiny steps; with two OpenMP threads on a busy 2-core machine
    (Whisper running beside it) a forward pass took 10x longer than on one thread
    (7.7 s vs 0.8 s for a minute of speech), and one thread idles at about the same speed.
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@lru_cache(maxsize=1)
def _resemblyzer() -> ResemblyzerEmbedder:
    try:
        import torch
        from resemblyzer import VoiceEncoder
    except ImportError as e:
        raise ModelUnavailableError(
            "speaker embeddings need resemblyzer and torch: pip install 'ridealong[speakers]' "
            "and pip install --no-deps resemblyzer==0.1.4"
        ) from e
    encoder = VoiceEncoder("cpu", verbose=False)
    encoder.eval()
    with _one_torch_thread(), torch.inference_mode():  # warm-up: a fresh torch's first pass is slow
        encoder(torch.zeros((1, 160, _MELS)))
    _mel_basis()
    logger.info("loaded the resemblyzer speaker encoder")
    return ResemblyzerEmbedder(encoder)


EMBEDDERS = ("resemblyzer", "mfcc")


def get_embedder(backend: str = "auto") -> SpeakerEmbedder:
    """The embedder for `backend` ("resemblyzer", "mfcc" or "auto"), loaded once per process.

    "auto" is resemblyzer when it (and torch) can be imported, else the MFCC fallback with a
    warning. Thread-safe: concurrent first calls load the encoder once.
    """
    if backend not in (*EMBEDDERS, "auto"):
        raise ValueError(f"unknown speaker backend {backend!r}; expected auto, resemblyzer or mfcc")
    if backend == "mfcc":
        return MfccEmbedder()
    with _lock:
        try:
            return _resemblyzer()
        except ModelUnavailableError:
            if backend == "resemblyzer":
                raise
            logger.warning("resemblyzer/torch not installed: diarizing with MFCCs (lower quality)")
            return MfccEmbedder()
