"""ASR engines behind one protocol: faster-whisper (default) and openai-whisper (option).

Both receive the same input, 16 kHz mono float32 speech that `transcribe()` decoded and
cut with VAD itself, so neither needs an ffmpeg binary and both are compared fairly. Each
engine loads its model once per configuration (`functools.lru_cache`).
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from models import ModelError, default_cache_dir, resolve_whisper
from transcribe.coverage import word_end
from transcribe.errors import ModelUnavailableError, TranscriptionError
from transcribe.types import Segment, Word

if TYPE_CHECKING:
    from transcribe.engine import TranscribeOptions

logger = logging.getLogger(__name__)

__all__ = ["ENGINES", "Engine", "get_engine", "whisper_languages"]

_WINDOW_SURE = 0.8  # probability a window needs to leave the recording's language
ProgressCallback = Callable[[float], None]
NextWindow = Callable[[float], float]  # last word's end -> where the next window starts
_MIN_WINDOW_S = 0.2  # speech left after a window that is too short to hold a word
Windows = Sequence[tuple[float, float]]  # (start, end) seconds of pieces: their first 30 s
_MAX_DECODERS = 4  # CPU decoders running at once; each holds its own copy of the model


class Engine(Protocol):
    """What `transcribe()` needs from a Whisper implementation."""

    name: str
    multilingual: bool
    parallel: int  # how many pieces of speech it decodes at once (threads calling `decode`)

    def language_probabilities(
        self, speech: np.ndarray, windows: Windows
    ) -> Iterator[dict[str, float]]:
        """Per window of `speech` (a piece the decoder gets), lazily: language -> probability."""
        ...

    def decode(
        self,
        speech: np.ndarray,
        language: str,
        options: TranscribeOptions,
        progress: ProgressCallback,
        *,
        next_window: NextWindow | None = None,
    ) -> Iterator[Segment]:
        """Segments with times relative to `speech`, in order; calls `progress(0..1)`.

        After a window that gave segments, the next starts at `next_window(where the last
        word ended)` (seconds in `speech`) if the engine can be told (there when Whisper
        left speech for it; past a silent rest of the window otherwise); else where the
        engine itself would start it.
        """
        ...


def whisper_languages() -> frozenset[str]:
    """The language codes Whisper can be told to transcribe."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return frozenset(_LANGUAGE_CODES)


def _resolve(options: TranscribeOptions) -> str:
    try:
        return resolve_whisper(
            options.model,
            cache_dir=options.model_cache_dir or default_cache_dir(),
            allow_downloads=options.allow_downloads,
        )
    except ModelError as e:  # missing, damaged or unknown weights: say which fix applies
        raise ModelUnavailableError(str(e)) from e


class FasterWhisperEngine:
    """CTranslate2 Whisper: int8 on CPU, several times faster than openai-whisper.

    On a CPU the model is loaded with one decoder per core (up to `_MAX_DECODERS`), each
    with the cores' share of threads, so pieces of speech decode side by side.
    """

    name = "faster-whisper"

    def __init__(self, model: Any) -> None:
        self.model = model
        self.multilingual = bool(model.model.is_multilingual)
        self.parallel = max(1, int(model.model.num_workers))
        self._reuse = _Reuse(model)

    def language_probabilities(
        self, speech: np.ndarray, windows: Windows
    ) -> Iterator[dict[str, float]]:
        from faster_whisper.audio import pad_or_trim

        extractor = self.model.feature_extractor

        def encoded(window: tuple[float, float]) -> Any:
            # The first window of this piece, cut exactly as the decoder will cut it, so
            # the decoder finds it encoded.
            piece = speech[round(window[0] * 16_000) : round(window[1] * 16_000)]
            features = extractor(piece)
            size = min(extractor.nb_max_frames, features.shape[-1] - 1)
            return self._reuse.remember(pad_or_trim(features[:, :size]))

        self._reuse.clear()
        with ThreadPoolExecutor(self.parallel) as pool:  # as many at once as decode at once
            for first in range(0, len(windows), self.parallel):
                for output in pool.map(encoded, windows[first : first + self.parallel]):
                    probs = self.model.model.detect_language(output)[0]
                    yield {token[2:-2]: prob for token, prob in probs}

    def decode(
        self,
        speech: np.ndarray,
        language: str,
        options: TranscribeOptions,
        progress: ProgressCallback,
        *,
        next_window: NextWindow | None = None,
    ) -> Iterator[Segment]:
        # A shallow copy, so the loaded model, which threads share, keeps its own encoder
        # and language detection.
        model = copy.copy(self.model)
        detector: _CandidateLanguages | None = None
        if (
            options.language_per_window
            and options.language == "auto"
            and len(options.languages) > 1
            and self.multilingual
        ):
            detector = _CandidateLanguages(self.model.model, language, options.languages)
            model.model = detector
        if next_window is None:
            model.encode = self._reuse.encode
            yield from self._decode(model, speech, language, options, progress, detector)
            return
        # faster-whisper starts each next window itself. Once a window has given segments,
        # stop it there (`_WindowDone`) and decode on from where `next_window` says; a window
        # it skipped (no speech, a hallucination) it passes over with its own seek.
        total_s = speech.size / 16_000
        start_s = 0.0
        while True:
            window = _StopAtNextWindow(self._reuse.encode)
            model.encode = window.encode
            clip = speech[round(start_s * 16_000) :]

            def clip_progress(fraction: float, at: float = start_s) -> None:
                progress(min((at + fraction * (total_s - at)) / total_s, 1.0))

            last_word_end_s = start_s
            segments = self._decode(model, clip, language, options, clip_progress, detector)
            try:
                for segment in segments:
                    segment = _shifted(segment, start_s)
                    last_word_end_s = word_end(segment)
                    window.gave_segments = True
                    yield segment
                return  # Whisper got to the end
            except _WindowDone:
                resume_s = next_window(last_word_end_s)
                if resume_s <= start_s or total_s - resume_s < _MIN_WINDOW_S:
                    return
                start_s = resume_s

    def _decode(
        self,
        model: Any,
        speech: np.ndarray,
        language: str,
        options: TranscribeOptions,
        progress: ProgressCallback,
        detector: _CandidateLanguages | None,
    ) -> Iterator[Segment]:
        duration_s = speech.size / 16_000
        pieces, _info = model.transcribe(
            speech,
            language=language,
            multilingual=detector is not None,
            beam_size=options.beam_size,
            temperature=list(options.temperature),
            condition_on_previous_text=False,
            vad_filter=False,  # done once, before the engine
            word_timestamps=options.word_timestamps,
            initial_prompt=options.initial_prompt,
            hotwords=options.hotwords,
            compression_ratio_threshold=options.compression_ratio_threshold,
            log_prob_threshold=options.log_prob_threshold,
            no_speech_threshold=options.no_speech_threshold,
            hallucination_silence_threshold=options.hallucination_silence_threshold,
            **options.extra,
        )
        for piece in pieces:
            words = tuple(Word(w.start, w.end, w.word, w.probability) for w in piece.words or ())
            progress(min(piece.end / duration_s, 1.0) if duration_s else 1.0)
            segment_language = detector.latest if detector is not None else None
            yield Segment(
                piece.start, piece.end, piece.text.strip(), words=words, language=segment_language
            )


def _shifted(segment: Segment, by_s: float) -> Segment:
    words = tuple(replace(w, start=w.start + by_s, end=w.end + by_s) for w in segment.words)
    return replace(segment, start=segment.start + by_s, end=segment.end + by_s, words=words)


class _WindowDone(Exception):
    """Raised where faster-whisper would encode its next window (see `next_window`)."""


class _StopAtNextWindow:
    """Wraps `encode` to stop faster-whisper before the window after one that gave segments."""

    def __init__(self, encode: Callable[[np.ndarray], Any]) -> None:
        self._encode = encode
        self.gave_segments = False  # set by the caller when the current window yields

    def encode(self, features: np.ndarray) -> Any:
        if self.gave_segments:
            raise _WindowDone
        return self._encode(features)


class _Reuse:
    """Encodings that choosing the language computed, for the decoder to reuse.

    Choosing the language encodes the first window of up to three pieces of speech; without
    this each piece's decoder encodes it again (an encoder pass is about 0.5 s of the 5-6 s a
    minute of speech takes on 2 cores). Encodings are keyed by the exact features and used
    once: a window the decoder cuts differently is simply encoded anew.
    """

    def __init__(self, model: Any) -> None:
        self._model = model
        self._outputs: dict[bytes, Any] = {}
        self.reused = 0  # encodings served from here (tests check that reuse works)

    @staticmethod
    def _key(features: np.ndarray) -> bytes:
        return hashlib.blake2b(np.ascontiguousarray(features).tobytes(), digest_size=16).digest()

    def remember(self, features: np.ndarray) -> Any:
        """Encode `features` and keep the result for `encode`."""
        output = self._outputs[self._key(features)] = self._model.encode(features)
        return output

    def encode(self, features: np.ndarray) -> Any:
        """The remembered encoding of `features` (handed out once), else a fresh one."""
        output = self._outputs.pop(self._key(features), None) if self._outputs else None
        if output is None:
            return self._model.encode(features)
        self.reused += 1
        return output

    def clear(self) -> None:
        self._outputs.clear()


class _CandidateLanguages:
    """The CTranslate2 Whisper model, with its language detection limited to the candidates.

    faster-whisper's `multilingual` mode detects the language of every 30-s window from the
    encoder output it computes anyway (nearly free), but among all 99 languages: Flemish
    then becomes Afrikaans. Through this wrapper only the expected languages compete, and a
    window leaves the recording's language only when Whisper is sure (an English customer
    in a Dutch call), so accents and loanwords never flip one.
    """

    def __init__(self, model: Any, main: str, candidates: Sequence[str]) -> None:
        self._model = model
        self._main = f"<|{main}|>"
        self._tokens = {f"<|{lang}|>" for lang in candidates} | {self._main}
        self.latest = main  # the language of the window decoded last

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def detect_language(self, features: Any) -> list[list[tuple[str, float]]]:
        results = []
        for probs in self._model.detect_language(features):
            kept = sorted(((t, p) for t, p in probs if t in self._tokens), key=lambda tp: -tp[1])
            if not kept or (kept[0][0] != self._main and kept[0][1] < _WINDOW_SURE):
                kept = [(self._main, 1.0)] + [tp for tp in kept if tp[0] != self._main]
            self.latest = kept[0][0][2:-2]
            results.append(kept)
        return results


def cpu_decoders(cores: int) -> tuple[int, int]:
    """(decoders, threads each) for `cores` CPU cores (0: the cores this process may use).

    Beam-search steps of Whisper base are too small to share between threads: on 2 cores
    one decoder takes 3.2 s with one thread and 3.7-4.1 s with two. So each core gets a
    decoder of its own, up to `_MAX_DECODERS` (each costs about 100 MiB); beyond that the
    cores are shared out evenly as threads. A container's CPU quota counts as its cores.
    """
    if not cores:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
        cores = min(cores or os.cpu_count() or 1, _cpu_quota() or 1_000)
    decoders = min(cores, _MAX_DECODERS)
    return decoders, cores // decoders


def _cpu_quota(path: Path = Path("/sys/fs/cgroup/cpu.max")) -> int | None:
    """Whole CPUs a cgroup v2 quota allows this process ("200000 100000": 2), if any."""
    try:
        quota, period = path.read_text().split()[:2]
        return None if quota == "max" else max(1, int(quota) // int(period))
    except (OSError, ValueError):
        return None


@lru_cache(maxsize=4)
def _faster_whisper(
    ref: str, device: str, compute_type: str, threads: int, local_only: bool
) -> Any:
    import ctranslate2
    from faster_whisper import WhisperModel

    on_cpu = device == "cpu" or (device == "auto" and not ctranslate2.get_cuda_device_count())
    decoders, threads_each = cpu_decoders(threads) if on_cpu else (1, threads)
    logger.info("loading faster-whisper model %s (%s, %s, %d decoder(s))", ref, device,
                compute_type, decoders)  # fmt: skip
    try:
        return WhisperModel(
            ref,
            device=device,
            compute_type=compute_type,
            cpu_threads=threads_each,
            num_workers=decoders,
            local_files_only=local_only,
        )
    except (OSError, RuntimeError, ValueError) as e:
        raise ModelUnavailableError(f"could not load Whisper model {ref!r}: {e}") from e


class OpenAIWhisperEngine:
    """The reference implementation (PyTorch, float32 on CPU), on the same bundled weights."""

    name = "openai-whisper"
    parallel = 1  # PyTorch already spreads one decode over every core

    def __init__(self, model: Any) -> None:
        self.model = model
        self.multilingual = bool(model.is_multilingual)

    def language_probabilities(
        self, speech: np.ndarray, windows: Windows
    ) -> Iterator[dict[str, float]]:
        import whisper

        for start_s, end_s in windows:
            window = speech[round(start_s * 16_000) : round(end_s * 16_000)]
            mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(window), self.model.dims.n_mels)
            _, probs = self.model.detect_language(mel)
            yield dict(probs)

    def decode(
        self,
        speech: np.ndarray,
        language: str,
        options: TranscribeOptions,
        progress: ProgressCallback,
        *,
        next_window: NextWindow | None = None,  # not offered: openai-whisper seeks itself
    ) -> Iterator[Segment]:
        import whisper

        prompt = " ".join(p for p in (options.hotwords, options.initial_prompt) if p) or None
        _report_openai_progress(progress)
        try:
            result = self._transcribe(whisper, speech, language, options, prompt)
        finally:
            _PROGRESS.callback = None
        for piece in result["segments"]:
            words = tuple(
                Word(float(w["start"]), float(w["end"]), w["word"], float(w["probability"]))
                for w in piece.get("words") or ()
            )
            yield Segment(
                float(piece["start"]), float(piece["end"]), piece["text"].strip(), words=words
            )
        progress(1.0)

    def _transcribe(
        self,
        whisper: Any,
        speech: np.ndarray,
        language: str,
        options: TranscribeOptions,
        prompt: str | None,
    ) -> Any:
        return whisper.transcribe(
            self.model,
            speech,
            language=language,
            beam_size=options.beam_size,
            best_of=options.beam_size,
            temperature=tuple(options.temperature),
            condition_on_previous_text=False,
            word_timestamps=options.word_timestamps,
            initial_prompt=prompt,
            compression_ratio_threshold=options.compression_ratio_threshold,
            logprob_threshold=options.log_prob_threshold,
            no_speech_threshold=options.no_speech_threshold,
            hallucination_silence_threshold=options.hallucination_silence_threshold,
            fp16=self.model.device.type == "cuda",
            verbose=False,  # False (not None) turns on its progress bar, which we redirect
        )


_PROGRESS = threading.local()  # the progress callback of the openai-whisper call on this thread


class _ProgressBar:
    """Stands in for the tqdm bar openai-whisper updates per window: reports, prints nothing."""

    def __init__(self, total: int | None = None, **_kwargs: Any) -> None:
        self.total = total or 0
        self.done = 0

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def update(self, frames: int) -> None:
        self.done += frames
        callback = getattr(_PROGRESS, "callback", None)
        if callback is not None and self.total:
            callback(min(self.done / self.total, 1.0))


def _report_openai_progress(progress: ProgressCallback) -> None:
    """Route openai-whisper's per-window progress to `progress` (it offers no callback)."""
    import importlib
    import types

    module: Any = importlib.import_module("whisper.transcribe")  # the module, not the function
    if not isinstance(module.tqdm, types.SimpleNamespace):
        module.tqdm = types.SimpleNamespace(tqdm=_ProgressBar)
    _PROGRESS.callback = progress


@lru_cache(maxsize=2)
def _openai_whisper(checkpoint: str, threads: int, device: str) -> Any:
    try:
        import torch
        import whisper
    except ImportError as e:
        raise ModelUnavailableError(
            "the openai-whisper engine is not installed: pip install torch==2.13.0 && "
            "pip install --no-deps openai-whisper==20250625 more-itertools tiktoken numba"
        ) from e
    if threads:
        torch.set_num_threads(threads)
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    model = whisper.load_model(checkpoint, device=device)
    heads = state.get("ridealong_alignment_heads")
    if heads:
        mask = torch.zeros(model.dims.n_text_layer, model.dims.n_text_head, dtype=torch.bool)
        for layer, head in heads:
            mask[layer, head] = True
        model.register_buffer("alignment_heads", mask.to_sparse().to(device), persistent=False)
    return model


def openai_checkpoint(options: TranscribeOptions) -> Path:
    """The .pt for `options.model`, exported from the CTranslate2 weights on first use."""
    from models.openai_export import export_openai_checkpoint

    folder = Path(_resolve(options))
    if not folder.is_dir():
        raise ModelUnavailableError(
            f"the openai-whisper engine needs local weights; {options.model!r} is a hub name"
        )
    cache = options.model_cache_dir or default_cache_dir()
    target = cache / f"{Path(options.model).name}-openai.pt"
    stamp = target.with_suffix(".source")
    source = f"{(folder / 'model.bin').resolve()}:{(folder / 'model.bin').stat().st_size}"
    if not target.is_file() or not stamp.is_file() or stamp.read_text() != source:
        export_openai_checkpoint(folder, target)
        stamp.write_text(source)
    return target


def _load_faster(options: TranscribeOptions) -> Engine:
    model = _faster_whisper(
        _resolve(options),
        options.device,
        options.compute_type,
        options.cpu_threads,
        not options.allow_downloads,
    )
    return FasterWhisperEngine(model)


def _load_openai(options: TranscribeOptions) -> Engine:
    device = options.device
    if device == "auto":
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    checkpoint = str(openai_checkpoint(options))
    return OpenAIWhisperEngine(_openai_whisper(checkpoint, options.cpu_threads, device))


ENGINES: dict[str, Callable[[TranscribeOptions], Engine]] = {
    "faster-whisper": _load_faster,
    "openai-whisper": _load_openai,
}


_LOAD_LOCK = threading.Lock()  # one thread at a time assembles, exports or loads weights


def get_engine(options: TranscribeOptions) -> Engine:
    try:
        loader = ENGINES[options.engine]
    except KeyError:
        raise TranscriptionError(
            f"unknown engine {options.engine!r}; choose from {', '.join(ENGINES)}"
        ) from None
    with _LOAD_LOCK:
        try:
            return loader(options)
        except ModelError as e:
            raise ModelUnavailableError(str(e)) from e
