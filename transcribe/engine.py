"""Speech to text with faster-whisper (CTranslate2, int8 on CPU).

Settings chosen for recorded conversations (see DESIGN.md §3): VAD on, temperature 0 first,
no conditioning on previous text (it made a Dutch call 3.7x slower and invites repetition
loops), word timestamps on, and the language chosen among the ones the user expects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from models import ModelUnavailableError as _ModelsUnavailable
from models import default_cache_dir, resolve_whisper
from transcribe.audio import SAMPLE_RATE, decode_audio
from transcribe.errors import ModelUnavailableError, TranscriptionError
from transcribe.types import Segment, Transcript, Word

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

logger = logging.getLogger(__name__)

__all__ = ["NO_SPEECH_NOTE", "TranscribeOptions", "load_model", "transcribe"]

NO_SPEECH_NOTE = "no speech detected"
_MIN_DURATION_S = 0.1
_SILENCE_PEAK = 1e-4  # float samples; below this everywhere the file is digital silence
_LANGUAGE_WINDOWS = 3  # 30-second windows of speech used to choose the language
_SWITCH_CONFIDENCE = 0.5  # mean probability needed to leave the main language

ProgressCallback = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class TranscribeOptions:
    """How to transcribe. Defaults suit Dutch/English sales conversations on a CPU."""

    language: str = "auto"  # "nl", "en", ... or "auto": chosen among `languages`
    languages: Sequence[str] = ("nl", "en")  # candidates for "auto"; empty = any language
    model: str = "whisper-base"  # registry name, a folder, or a hub name (if allowed)
    device: str = "cpu"  # "cpu", "cuda" or "auto"
    compute_type: str = "int8"
    cpu_threads: int = 0  # 0: let CTranslate2 use every core
    beam_size: int = 5
    temperature: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    vad: bool = True
    word_timestamps: bool = True
    initial_prompt: str | None = None
    allow_downloads: bool = False
    model_cache_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # passed on to faster-whisper


@lru_cache(maxsize=4)
def _load(model_ref: str, device: str, compute_type: str, cpu_threads: int, local_only: bool):
    from faster_whisper import WhisperModel

    logger.info("loading Whisper model %s (%s, %s)", model_ref, device, compute_type)
    try:
        return WhisperModel(
            model_ref,
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            local_files_only=local_only,
        )
    except (OSError, RuntimeError, ValueError) as e:
        raise ModelUnavailableError(f"could not load Whisper model {model_ref!r}: {e}") from e


def load_model(options: TranscribeOptions) -> WhisperModel:
    """Resolve and load the model once per (model, device, compute type, threads)."""
    try:
        model_ref = resolve_whisper(
            options.model,
            cache_dir=options.model_cache_dir or default_cache_dir(),
            allow_downloads=options.allow_downloads,
        )
    except _ModelsUnavailable as e:
        raise ModelUnavailableError(str(e)) from e
    return _load(
        model_ref,
        options.device,
        options.compute_type,
        options.cpu_threads,
        not options.allow_downloads,
    )


def _speech_only(audio: np.ndarray) -> np.ndarray:
    from faster_whisper.vad import collect_chunks, get_speech_timestamps

    chunks = get_speech_timestamps(audio)
    if not chunks:
        return audio
    pieces, _ = collect_chunks(audio, chunks)
    return np.concatenate(pieces) if pieces else audio


def choose_language(
    model: WhisperModel,
    audio: np.ndarray,
    candidates: Sequence[str],
    min_confidence: float = _SWITCH_CONFIDENCE,
) -> str:
    """Pick the recording's language among `candidates`, the first being the team's main one.

    Whisper's own detection looks at the first 30 s only and picks from 99 languages;
    Flemish, synthetic or noisy speech then comes out as Afrikaans, Latin or English. Here
    the probabilities are averaged over a few windows of speech, only the expected languages
    compete, and the choice leaves the main language only when Whisper is confident
    (mean probability >= `min_confidence`) that the speech is another candidate.
    """
    from faster_whisper.audio import pad_or_trim

    speech = _speech_only(audio)
    extractor = model.feature_extractor
    features = extractor(speech[: _LANGUAGE_WINDOWS * extractor.n_samples])
    totals: dict[str, float] = {}
    windows = 0
    for i in range(0, max(features.shape[-1], 1), extractor.nb_max_frames):
        window = pad_or_trim(features[..., i : i + extractor.nb_max_frames])
        windows += 1
        for token, prob in model.model.detect_language(model.encode(window))[0]:
            lang = token[2:-2]
            if not candidates or lang in candidates:
                totals[lang] = totals.get(lang, 0.0) + prob
    if not totals:
        return candidates[0] if candidates else "en"
    best = max(totals, key=lambda lang: totals[lang])
    if candidates and best != candidates[0] and totals[best] / windows < min_confidence:
        logger.info(
            "language: %s only %.2f likely; keeping %s", best, totals[best] / windows, candidates[0]
        )
        return candidates[0]
    return best


def _is_silent(audio: np.ndarray) -> bool:
    return audio.size < _MIN_DURATION_S * SAMPLE_RATE or float(np.abs(audio).max()) < _SILENCE_PEAK


def transcribe(
    audio: str | Path | np.ndarray,
    options: TranscribeOptions | None = None,
    progress: ProgressCallback | None = None,
) -> Transcript:
    """Transcribe a file or a 16 kHz mono float32 array into a `Transcript`.

    Silent or empty audio gives an empty transcript with a note, never an error.
    Raises AudioDecodeError for non-audio and ModelUnavailableError for missing weights.
    """
    options = options or TranscribeOptions()
    samples = audio if isinstance(audio, np.ndarray) else decode_audio(audio)
    duration_s = samples.size / SAMPLE_RATE
    if _is_silent(samples):
        if progress:
            progress(1.0)
        forced = None if options.language == "auto" else options.language
        return Transcript(forced, duration_s, options.model, notes=(NO_SPEECH_NOTE,))

    model = load_model(options)
    if options.language != "auto":
        language = options.language
    elif model.model.is_multilingual:
        language = choose_language(model, samples, tuple(options.languages))
    else:
        language = "en"
    try:
        pieces, _info = model.transcribe(
            samples,
            language=language,
            beam_size=options.beam_size,
            temperature=list(options.temperature),
            condition_on_previous_text=False,
            vad_filter=options.vad,
            word_timestamps=options.word_timestamps,
            initial_prompt=options.initial_prompt,
            **options.extra,
        )
        segments: list[Segment] = []
        for piece in pieces:
            text = piece.text.strip()
            if text:
                words = tuple(
                    Word(w.start, w.end, w.word, w.probability) for w in (piece.words or ())
                )
                segments.append(Segment(piece.start, piece.end, text, words=words))
            if progress and duration_s > 0:
                progress(min(piece.end / duration_s, 0.999))
    except RuntimeError as e:  # CTranslate2 reports its failures as RuntimeError
        raise TranscriptionError(f"the speech model failed: {e}") from e
    if progress:
        progress(1.0)
    notes = () if segments else (NO_SPEECH_NOTE,)
    return Transcript(language, duration_s, options.model, tuple(segments), notes=notes)
