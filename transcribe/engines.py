"""ASR engines behind one protocol: faster-whisper (default) and openai-whisper (option).

Both receive the same input, 16 kHz mono float32 speech that `transcribe()` decoded and
cut with VAD itself, so neither needs an ffmpeg binary and both are compared fairly. Each
engine loads its model once per configuration (`functools.lru_cache`).
"""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from models import ModelError, default_cache_dir, resolve_whisper
from transcribe.errors import ModelUnavailableError, TranscriptionError
from transcribe.types import Segment, Word

if TYPE_CHECKING:
    from transcribe.engine import TranscribeOptions

logger = logging.getLogger(__name__)

__all__ = ["ENGINES", "Engine", "get_engine", "whisper_languages"]

_WINDOW_SURE = 0.8  # probability a window needs to leave the recording's language
ProgressCallback = Callable[[float], None]
Windows = Sequence[tuple[float, float]]  # (start, end) seconds of 30-s windows of speech


class Engine(Protocol):
    """What `transcribe()` needs from a Whisper implementation."""

    name: str
    multilingual: bool

    def language_probabilities(
        self, speech: np.ndarray, windows: Windows
    ) -> Iterator[dict[str, float]]:
        """Per window of `speech`, lazily: language -> probability."""
        ...

    def decode(
        self,
        speech: np.ndarray,
        language: str,
        options: TranscribeOptions,
        progress: ProgressCallback,
    ) -> Iterator[Segment]:
        """Segments with times relative to `speech`, in order; calls `progress(0..1)`."""
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
    """CTranslate2 Whisper: int8 on CPU, several times faster than openai-whisper."""

    name = "faster-whisper"

    def __init__(self, model: Any) -> None:
        self.model = model
        self.multilingual = bool(model.model.is_multilingual)
        self._reuse = _Reuse(model)

    def language_probabilities(
        self, speech: np.ndarray, windows: Windows
    ) -> Iterator[dict[str, float]]:
        from faster_whisper.audio import pad_or_trim

        # The features of the whole speech, sliced as the decoder will slice them, so the
        # decoder finds these windows encoded.
        self._reuse.clear()
        features = self._reuse.features(speech)
        last_frame = features.shape[-1] - 1
        per_second = self.model.frames_per_second
        for start_s, end_s in windows:
            start, end = round(start_s * per_second), min(round(end_s * per_second), last_frame)
            size = min(self.model.feature_extractor.nb_max_frames, end - start)
            encoded = self._reuse.remember(pad_or_trim(features[:, start : start + size]))
            probs = self.model.model.detect_language(encoded)[0]
            yield {token[2:-2]: prob for token, prob in probs}

    def decode(
        self,
        speech: np.ndarray,
        language: str,
        options: TranscribeOptions,
        progress: ProgressCallback,
    ) -> Iterator[Segment]:
        # A shallow copy, so the loaded model, which threads share, keeps its own encoder,
        # feature extractor and language detection.
        model = copy.copy(self.model)
        model.encode = self._reuse.encode
        model.feature_extractor = _ReusedFeatures(self.model.feature_extractor, self._reuse)
        detector: _CandidateLanguages | None = None
        if (
            options.language_per_window
            and options.language == "auto"
            and len(options.languages) > 1
            and self.multilingual
        ):
            detector = _CandidateLanguages(self.model.model, language, options.languages)
            model.model = detector
        try:
            yield from self._decode(model, speech, language, options, progress, detector)
        finally:
            self._reuse.clear()

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


class _Reuse:
    """What choosing the language computed, for the decoder of the same speech to reuse.

    Choosing the language encodes the first 30-s window; without this the decoder encodes
    it again (0.6 s of the 6-7 s a minute of speech takes on 2 cores). The features of the
    whole speech (their level floor depends on the whole) are kept too, so neither side
    computes them twice. Encodings are keyed by the exact features: a window the decoder
    slices differently is simply encoded anew.
    """

    def __init__(self, model: Any) -> None:
        self._model = model
        self._speech: np.ndarray | None = None
        self._features: np.ndarray | None = None
        self._outputs: dict[bytes, Any] = {}
        self.reused = 0  # encodings served from the cache (tests check that reuse works)

    def holds(self, speech: np.ndarray) -> bool:
        """Whether the features of this very array are kept."""
        return self._speech is speech and self._features is not None

    def features(self, speech: np.ndarray) -> np.ndarray:
        """The log-Mel features of `speech`, computed once per speech array."""
        if not self.holds(speech):
            self.clear()
            self._speech, self._features = speech, self._model.feature_extractor(speech)
        assert self._features is not None
        return self._features

    @staticmethod
    def _key(features: np.ndarray) -> bytes:
        return hashlib.blake2b(np.ascontiguousarray(features).tobytes(), digest_size=16).digest()

    def remember(self, features: np.ndarray) -> Any:
        """Encode `features` and keep the result for `encode`."""
        output = self._outputs[self._key(features)] = self._model.encode(features)
        return output

    def encode(self, features: np.ndarray) -> Any:
        """The remembered encoding of `features`, else a fresh one (not kept)."""
        output = self._outputs.get(self._key(features)) if self._outputs else None
        if output is None:
            return self._model.encode(features)
        self.reused += 1
        return output

    def clear(self) -> None:
        self._speech = self._features = None
        self._outputs.clear()


class _ReusedFeatures:
    """The model's feature extractor, answering for the speech `_Reuse` already holds."""

    def __init__(self, extractor: Any, reuse: _Reuse) -> None:
        self._extractor = extractor
        self._reuse = reuse

    def __getattr__(self, name: str) -> Any:
        return getattr(self._extractor, name)

    def __call__(self, waveform: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        if self._reuse.holds(waveform) and not args and kwargs.get("chunk_length") is None:
            return self._reuse.features(waveform)
        return self._extractor(waveform, *args, **kwargs)


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


@lru_cache(maxsize=4)
def _faster_whisper(
    ref: str, device: str, compute_type: str, threads: int, local_only: bool
) -> Any:
    from faster_whisper import WhisperModel

    logger.info("loading faster-whisper model %s (%s, %s)", ref, device, compute_type)
    try:
        return WhisperModel(
            ref,
            device=device,
            compute_type=compute_type,
            cpu_threads=threads,
            local_files_only=local_only,
        )
    except (OSError, RuntimeError, ValueError) as e:
        raise ModelUnavailableError(f"could not load Whisper model {ref!r}: {e}") from e


class OpenAIWhisperEngine:
    """The reference implementation (PyTorch, float32 on CPU), on the same bundled weights."""

    name = "openai-whisper"

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
