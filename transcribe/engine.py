"""Speech to text: decode, VAD once, choose the language, decode with an engine, clean up.

Settings chosen for recorded conversations (see DESIGN.md §3): VAD on, temperature 0 first,
no conditioning on previous text (it made a Dutch call 3.7x slower and invites repetition
loops), word timestamps on, and the language chosen among the ones the team expects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from transcribe.audio import SAMPLE_RATE, DecodeDamage, decode_audio, iter_audio, probe_audio
from transcribe.coverage import (
    VAD_FRAME,
    VAD_FRAME_S,
    missed_span,
    speech_probabilities,
    uncovered,
)
from transcribe.engines import Engine, get_engine
from transcribe.errors import TranscriptionError
from transcribe.guards import apply_guards
from transcribe.pieces import cut_at_pauses, next_window_start, speech_pieces
from transcribe.spelling import correct_spelling
from transcribe.texts import N_
from transcribe.types import Segment, Transcript

if TYPE_CHECKING:
    from transcribe.roles import VoiceProfile

logger = logging.getLogger(__name__)

__all__ = [
    "CUT_SHORT_NOTE",
    "DAMAGED_NOTE",
    "NO_SPEECH_NOTE",
    "Checkpoint",
    "TranscribeOptions",
    "choose_language",
    "load_model",
    "speech_regions",
    "transcribe",
]

NO_SPEECH_NOTE = N_("no speech detected")
CUT_SHORT_NOTE = N_(
    "the recording holds more audio than its file said and than the duration limit allows: "
    "only its beginning was transcribed"
)
DAMAGED_NOTE = N_(
    "part of the file could not be read (it is damaged, or was cut off while it was recorded or "
    "uploaded): the rest was transcribed"
)
# A header may promise more than the file holds (a cut-off MP3, WebM or FLAC says its whole
# length); an estimate from the bit rate (MP3 without a length frame) may be off by a little.
_SHORT_BY_S, _SHORT_BY_PART = 10.0, 0.25
_MIN_DURATION_S = 0.1
_SILENCE_PEAK = 1e-4  # float samples; below this everywhere the file is digital silence
# Speech this far below a usual level (its loud samples near -10 dBFS) is raised to it first:
# Silero VAD hears nothing in a recording at -60 dBFS, though Whisper would.
_QUIET_LEVEL = 10 ** (-30 / 20)  # 99.9th percentile of |samples| under this: quiet audio
_USUAL_LEVEL = 10 ** (-10 / 20)
_MAX_GAIN = 10 ** (60 / 20)
_LANGUAGE_WINDOWS = 3  # pieces of speech whose first 30 s choose the language
_MIN_LANGUAGE_S = 1.0  # shorter windows after the first are not used to choose the language
_SURE = 0.8  # mean probability after which no further window is examined
_SWITCH_CONFIDENCE = 0.5  # mean probability needed to leave the main language
_NOISY_FLOOR_DB = -70.0  # quietest frames above this: some background noise
_SILERO_COVERS = 0.9  # share of the audible frames Silero must cover to be trusted
_JOIN_FRAMES = 200  # 10-ms frames: gaps shorter than 2 s join (as Silero's regions do)
_PAD_FRAMES = 40  # 0.4 s of padding on each side (as Silero's)
SPEAKERS_START = 0.95  # progress when speech recognition is done and speakers begin (public:
# a progress display may name the stage)
_RUNS_ON = int(0.3 * SAMPLE_RATE)  # speech ending this close to a chunk's end may run on
_PROGRESS_S = 0.5  # how often progress is reported while pieces decode in other threads

ProgressCallback = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class TranscribeOptions:
    """How to transcribe. Defaults suit Dutch/English sales conversations on a CPU."""

    language: str = "auto"  # "nl", "en", ... or "auto": chosen among `languages`
    languages: Sequence[str] = ("nl", "en")  # candidates for "auto", main one first
    model: str = "whisper-base"  # registry name, a folder, or a hub name (if allowed)
    engine: str = "faster-whisper"  # or "openai-whisper"
    device: str = "cpu"  # "cpu", "cuda" or "auto"
    compute_type: str = "int8"
    cpu_threads: int = 0  # 0: every core
    beam_size: int = 5
    temperature: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    vad: bool = True
    vad_threshold: float = 0.5  # Silero speech probability; lower keeps more noisy speech
    word_timestamps: bool = True
    initial_prompt: str | None = None
    hotwords: str | None = None  # glossary words that should be recognised
    compression_ratio_threshold: float | None = 2.4
    log_prob_threshold: float | None = -1.0
    no_speech_threshold: float | None = 0.6
    hallucination_silence_threshold: float | None = 2.0  # s; needs word timestamps
    guards: bool = True  # remove phantom lines and repetition loops
    fill_gaps: bool = True  # decode again, on its own, speech the decoder skipped
    spelling: bool = True  # correct non-words one edit from a common word (spelling.py)
    language_per_window: bool = True  # code-switching: language checked per 30-s window (auto)
    allow_downloads: bool = False
    model_cache_dir: Path | None = None
    chunk_s: float = 300.0  # decoded and transcribed at a time; bounds memory on long files
    max_duration_s: float | None = None  # stop past this: a header may have lied about it
    speakers: bool = True  # diarize, and give every segment a speaker and a role
    num_speakers: int | None = None  # None: estimated between min_speakers and max_speakers
    min_speakers: int = 1
    max_speakers: int = 4
    glossary: tuple[str, ...] = ()  # the organisation's own words: a cue for the salesperson
    extra: dict[str, Any] = field(default_factory=dict)  # passed on to faster-whisper


def load_model(options: TranscribeOptions) -> Engine:
    """The engine for these options, its model loaded once per configuration."""
    return get_engine(options)


def speech_regions(audio: np.ndarray, threshold: float = 0.5) -> list[dict[str, int]]:
    """Speech regions as {"start", "end"} sample indices: Silero VAD, rescued on noisy lines.

    Silero rejects noise, music and tones well, but on phone-band audio with steady noise
    it kept only 36 of 60 s of speech (WER 0.64 at 15 dB SNR). When it found speech yet
    covers less than 70 % of what stands out from a raised noise floor, the regions become
    that audible part, joined and padded as Silero's would be (WER 0.39 on the same file).
    Recordings with quiet pauses or without any speech Silero believes are left alone.
    """
    return _speech_regions(audio, threshold)[0]


def _speech_regions(audio: np.ndarray, threshold: float) -> tuple[list[dict[str, int]], bool]:
    """`speech_regions`, and whether they are the audible ones (Silero missed speech)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    regions = list(get_speech_timestamps(audio, VadOptions(threshold=threshold)))
    rescued = _rescue_noisy_speech(audio, regions) if regions else None
    return (regions, False) if rescued is None else (rescued, True)


def _rescue_noisy_speech(
    audio: np.ndarray, regions: list[dict[str, int]]
) -> list[dict[str, int]] | None:
    from scipy import ndimage

    from transcribe.diarize import FRAME_HOP, audible_frames, frame_energy_db, frame_runs

    if float(np.percentile(frame_energy_db(audio), 5)) < _NOISY_FLOOR_DB:
        return None  # real pauses: Silero's regions are trustworthy
    audible = audible_frames(audio)
    silero = np.zeros_like(audible)
    for r in regions:
        silero[r["start"] // FRAME_HOP : -(-r["end"] // FRAME_HOP)] = True
    if (silero & audible).sum() >= _SILERO_COVERS * audible.sum():
        return None
    joined = np.pad(silero | audible, _JOIN_FRAMES)
    joined = ndimage.binary_closing(joined, structure=np.ones(_JOIN_FRAMES))[
        _JOIN_FRAMES:-_JOIN_FRAMES
    ]
    padded = ndimage.binary_dilation(joined, structure=np.ones(2 * _PAD_FRAMES + 1))
    logger.info("noisy audio: Silero VAD missed audible speech; using the audible regions")
    return [
        {"start": a * FRAME_HOP, "end": min(b * FRAME_HOP, audio.size)}
        for a, b in frame_runs(padded)
    ]


def choose_language(
    engine: Engine,
    speech: np.ndarray,
    candidates: Sequence[str],
    min_confidence: float = _SWITCH_CONFIDENCE,
    pieces: Sequence[tuple[float, float]] | None = None,
) -> str:
    """Pick the recording's language among `candidates`, the first being the team's main one.

    Whisper's own detection looks at the first 30 s only and picks from 99 languages;
    Flemish, synthetic or noisy speech then comes out as Afrikaans, Latin or English. Here
    the probabilities are averaged over up to three pieces of speech (stopping early once
    sure), only the expected languages compete, and the choice leaves the main language
    only when Whisper is confident (mean probability >= `min_confidence`). The windows are
    the first 30 s of the `pieces` the decoder will decode (`speech_pieces`), so the engine
    can reuse their encodings.
    """
    totals: dict[str, float] = {}
    seen = 0
    windows = language_windows(speech_pieces(speech, engine.parallel) if pieces is None else pieces)
    for probs in engine.language_probabilities(speech, windows):
        seen += 1
        for lang, prob in probs.items():
            if not candidates or lang in candidates:
                totals[lang] = totals.get(lang, 0.0) + prob
        if totals and max(totals.values()) / seen >= _SURE:
            break
    if not totals:
        return candidates[0] if candidates else "en"
    best = max(totals, key=lambda lang: totals[lang])
    if candidates and best != candidates[0] and totals[best] / seen < min_confidence:
        logger.info("language: %s only %.2f likely; keeping %s", best, totals[best] / seen,
                    candidates[0])  # fmt: skip
        return candidates[0]
    return best


def language_windows(pieces: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The first pieces of speech, to choose the language from (a later one under a second
    is left out: too short to say anything about the language)."""
    first = list(pieces[:_LANGUAGE_WINDOWS])
    return first[:1] + [(a, b) for a, b in first[1:] if b - a >= _MIN_LANGUAGE_S]


def _decode_pieces(
    engine: Engine,
    speech: np.ndarray,
    pieces: Sequence[tuple[float, float]],
    language: str,
    options: TranscribeOptions,
    progress: ProgressCallback,
    probabilities: np.ndarray,
) -> list[Segment]:
    """Segments of every piece of `speech`, in order, times in `speech`.

    Up to `engine.parallel` pieces decode at once; progress is reported from this thread.
    Where Whisper leaves speech for a next window, that window starts in the pause after its
    last word (`next_window_start`, from `probabilities`: Silero's per frame of `speech`).
    """
    total_s = sum(b - a for a, b in pieces) or 1.0
    done_s = [0.0] * len(pieces)
    workers = min(engine.parallel, len(pieces))

    def decode(index: int) -> list[Segment]:
        start_s, end_s = pieces[index]

        def piece_progress(fraction: float) -> None:
            done_s[index] = fraction * (end_s - start_s)
            if workers <= 1:
                progress(sum(done_s) / total_s)

        in_piece = probabilities[: round(end_s / VAD_FRAME_S)]  # look for pauses up to its end

        def next_window(last_word_end_s: float) -> float:
            return next_window_start(in_piece, start_s + last_word_end_s) - start_s

        return _decode_clip(
            engine, speech, (start_s, end_s), language, options, piece_progress, next_window
        )

    if workers <= 1:
        return [s for index in range(len(pieces)) for s in decode(index)]
    pool = ThreadPoolExecutor(workers, thread_name_prefix="whisper")
    try:
        futures = [pool.submit(decode, index) for index in range(len(pieces))]
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=_PROGRESS_S, return_when=FIRST_EXCEPTION)
            for future in finished:
                future.result()  # a failed piece fails the whole at once
            progress(sum(done_s) / total_s)
        return [s for future in futures for s in future.result()]
    finally:
        pool.shutdown(cancel_futures=True)


def _decode_clip(
    engine: Engine,
    speech: np.ndarray,
    clip_s: tuple[float, float],
    language: str,
    options: TranscribeOptions,
    progress: ProgressCallback,
    next_window: Callable[[float], float] | None = None,
) -> list[Segment]:
    """The segments with text of `speech` from `clip_s[0]` to `clip_s[1]` seconds, with
    times back in `speech`."""
    start_s, end_s = clip_s
    clip = speech[round(start_s * SAMPLE_RATE) : round(end_s * SAMPLE_RATE)]
    to_speech = _TimeMap([], offset_s=start_s)
    decoded = engine.decode(clip, language, options, progress, next_window=next_window)
    return [to_speech.segment(s) for s in decoded if s.text]


def _speech_probabilities(speech: np.ndarray, noisy: bool) -> np.ndarray:
    """Silero's speech probability per frame; on a noisy line, where it missed speech, 1
    also where the sound stands out from the noise, so no pause is found inside speech."""
    from transcribe.diarize import FRAME_HOP, audible_frames

    probabilities = speech_probabilities(speech)
    if not noisy:
        return probabilities
    audible = audible_frames(speech).astype(np.float32)  # per 10-ms frame
    at = (np.arange(probabilities.size) * VAD_FRAME + VAD_FRAME // 2) // FRAME_HOP
    return np.maximum(probabilities, audible[np.minimum(at, audible.size - 1)])


def _fill_gaps(
    engine: Engine,
    speech: np.ndarray,
    language: str,
    options: TranscribeOptions,
    decoded: list[Segment],
) -> list[Segment]:
    """`decoded` plus the speech it skipped, each gap decoded as a clip of its own."""
    found = []
    for gap_start_s, gap_end_s in uncovered(decoded, speech.size / SAMPLE_RATE):
        gap = speech[round(gap_start_s * SAMPLE_RATE) : round(gap_end_s * SAMPLE_RATE)]
        span = missed_span(speech_probabilities(gap))
        if span is None:
            continue  # a pause, or noise
        clip_s = (gap_start_s + span[0], gap_start_s + span[1])
        found += _decode_clip(engine, speech, clip_s, language, options, lambda _fraction: None)
    if found:
        logger.info("decoded %d segment(s) of skipped speech", len(found))
    return sorted(decoded + found, key=lambda s: s.start)


def _loud_level(block: np.ndarray) -> float:
    """The level of a block's loud samples (99.9th percentile of |samples|); 0 for silence."""
    if block.size == 0 or float(np.abs(block).max()) < _SILENCE_PEAK:
        return 0.0
    return float(np.percentile(np.abs(block), 99.9))


def audible_level(block: np.ndarray, recording_level: float | None = None) -> np.ndarray:
    """`block` raised to a usual level when the recording is quiet but not silent (a
    recorder set far too low, a phone in a pocket): voice activity detection depends on the
    level. `recording_level` is the loudest block's level so far, this one's included: a
    quiet stretch of a usual
    recording (on hold, after the goodbye) is left as it is, or background voices would be
    raised to the speakers' level. Usual recordings come back as they are."""
    level = _loud_level(block) if recording_level is None else recording_level
    if level >= _QUIET_LEVEL or level <= 0:
        return block
    top = float(np.percentile(np.abs(block), 99.99))  # a rare click is clipped, not obeyed
    gain = min(_USUAL_LEVEL / level, _MAX_GAIN, 0.99 / top if top > 0 else _MAX_GAIN)
    return np.clip(block * gain, -1.0, 1.0).astype(np.float32, copy=False)


def _at_recording_level(blocks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """`audible_level` over a recording's blocks, each judged with the loudest before it."""
    loudest = 0.0
    for block in blocks:
        if loudest >= _QUIET_LEVEL:  # a usual recording: nothing more to measure or raise
            yield block
            continue
        loudest = max(loudest, _loud_level(block))
        yield audible_level(block, loudest)


def _is_silent(audio: np.ndarray) -> bool:
    return audio.size < _MIN_DURATION_S * SAMPLE_RATE or float(np.abs(audio).max()) < _SILENCE_PEAK


class _TimeMap:
    """Maps times in the speech-only audio back to the recording (VAD removed the gaps)."""

    def __init__(self, regions: list[dict[str, int]], offset_s: float = 0.0) -> None:
        from faster_whisper.vad import SpeechTimestampsMap

        self._map = SpeechTimestampsMap(regions, SAMPLE_RATE) if regions else None
        self._offset_s = offset_s  # where the chunk starts in the recording

    def __call__(self, seconds: float, is_end: bool = False) -> float:
        if self._map is not None:
            seconds = float(self._map.get_original_time(seconds, is_end=is_end))
        return self._offset_s + seconds

    def segment(self, segment: Segment) -> Segment:
        words = tuple(
            replace(w, start=self(w.start), end=self(w.end, is_end=True)) for w in segment.words
        )
        start = words[0].start if words else self(segment.start)
        end = words[-1].end if words else self(segment.end, is_end=True)
        return replace(segment, start=start, end=max(end, start), words=words)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """What a transcription has finished so far: a killed job resumes from `done_s`."""

    done_s: float  # the recording up to here is transcribed
    language: str | None
    segments: tuple[Segment, ...] = ()
    speech: tuple[tuple[float, float], ...] = ()  # VAD speech regions so far, in seconds

    def to_dict(self) -> dict[str, Any]:
        return {
            "done_s": round(self.done_s, 3),
            "language": self.language,
            "segments": [s.to_dict() for s in self.segments],
            "speech": [[round(a, 3), round(b, 3)] for a, b in self.speech],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        return cls(
            done_s=float(data["done_s"]),
            language=data.get("language"),
            segments=tuple(Segment.from_dict(s) for s in data.get("segments") or ()),
            speech=tuple((float(a), float(b)) for a, b in data.get("speech") or ()),
        )


def _blocks(
    audio: str | Path | np.ndarray, block_s: float, damage: DecodeDamage
) -> Iterator[np.ndarray]:
    if not isinstance(audio, np.ndarray):
        yield from iter_audio(audio, block_s=block_s, damage=damage)
        return
    size = max(int(block_s * SAMPLE_RATE), 1)
    for start in range(0, audio.size, size):
        yield audio[start : start + size]


def _with_last(blocks: Iterator[np.ndarray]) -> Iterator[tuple[np.ndarray, bool]]:
    previous = next(blocks, None)
    for block in blocks:
        if previous is not None:
            yield previous, False
        previous = block
    if previous is not None:
        yield previous, True


def _cut(chunk: np.ndarray, regions: list[dict[str, int]]) -> int:
    """Where to end a chunk that is not the last: in a pause, never inside a word.

    Speech that runs on past the chunk's end is carried over to the next chunk from where
    it started; when that is far back (people talk for minutes without a 2-s pause), the
    chunk ends at the last of its quietest 50-ms frames within the last 15 s instead.
    """
    size = chunk.size
    if not regions or regions[-1]["end"] < size - _RUNS_ON:
        return size
    start = regions[-1]["start"]
    if start > size // 2:
        return start
    frame = SAMPLE_RATE // 20
    tail = chunk[max(0, size - 15 * SAMPLE_RATE) :]
    frames = tail[: tail.size // frame * frame].reshape(-1, frame)
    loudness = np.sqrt((frames**2).mean(axis=1))
    quiet = np.flatnonzero(loudness <= 2 * loudness.min() + 1e-4)  # the latest of the quietest
    return size - tail.size + int(quiet[-1]) * frame + frame // 2


def _beginning(audio: str | Path | np.ndarray, seconds: float) -> np.ndarray:
    """The part of a recording that was transcribed, for the speakers (mono)."""
    if isinstance(audio, np.ndarray):
        return audio[: int(seconds * SAMPLE_RATE)]
    return decode_audio(audio, warn=False, max_s=seconds)


def _total_s(audio: str | Path | np.ndarray) -> tuple[float, bool]:
    """The recording's length, and whether its header states it (not a guess)."""
    if isinstance(audio, np.ndarray):
        return audio.size / SAMPLE_RATE, True
    info = probe_audio(audio)
    return info.duration_s, info.length_stated


def transcribe(
    audio: str | Path | np.ndarray,
    options: TranscribeOptions | None = None,
    progress: ProgressCallback | None = None,
    *,
    resume: Checkpoint | None = None,
    on_checkpoint: Callable[[Checkpoint], None] | None = None,
    profiles: Sequence[VoiceProfile] = (),
) -> Transcript:
    """Transcribe a file or a 16 kHz mono float32 array into a `Transcript`.

    The audio is decoded and transcribed in chunks of `options.chunk_s` (cut in pauses), so
    memory stays bounded however long the recording is. After each chunk but the last,
    `on_checkpoint` gets what is finished; passing that back as `resume` skips it.
    With `options.speakers`, every segment then gets a speaker and a role (`profiles`:
    enrolled salesperson voices).
    Silent or empty audio gives an empty transcript with a note, never an error.
    Raises AudioDecodeError for non-audio and ModelUnavailableError for missing weights.
    """
    options = options or TranscribeOptions()
    report = progress or (lambda _fraction: None)
    total_s, length_stated = _total_s(audio)
    forced = None if options.language == "auto" else options.language
    language = resume.language if resume else None
    segments: list[Segment] = list(resume.segments) if resume else []
    speech_s: list[tuple[float, float]] = list(resume.speech) if resume else []
    done_s = resume.done_s if resume else 0.0
    engine: Engine | None = None
    carry = np.zeros(0, dtype=np.float32)
    chunk_start_s = 0.0  # recording time of the first sample of `carry`
    decoded_s = 0.0
    cut_short = False  # the audio ran past `max_duration_s`: the rest is left
    damage = DecodeDamage()
    blocks = _blocks(audio, options.chunk_s, damage)
    for block, is_last in _with_last(_at_recording_level(blocks)):
        if cut_short:
            break
        if options.max_duration_s is not None:
            room = max(int((options.max_duration_s - decoded_s) * SAMPLE_RATE), 0)
            if block.size > room:
                block, is_last, cut_short = block[:room], True, True
        decoded_s += block.size / SAMPLE_RATE
        chunk = np.concatenate([carry, block]) if carry.size else block
        skip = min(chunk.size, max(0, round((done_s - chunk_start_s) * SAMPLE_RATE)))
        chunk, chunk_start_s = chunk[skip:], chunk_start_s + skip / SAMPLE_RATE
        if not is_last and chunk.size < options.chunk_s * SAMPLE_RATE:
            carry = chunk  # resuming: what is left joins the next block, as in the first run
            continue
        regions, noisy = (
            _speech_regions(chunk, options.vad_threshold)
            if options.vad and not _is_silent(chunk)
            else ([], False)
        )
        cut = chunk.size if is_last else _cut(chunk, regions)
        carry = chunk[cut:]
        regions = [
            {"start": r["start"], "end": min(r["end"], cut)} for r in regions if r["start"] < cut
        ]
        if regions or (not options.vad and not _is_silent(chunk[:cut])):
            if engine is None:
                engine = load_model(options)
            if not regions:  # VAD off: the whole chunk is one region
                regions = [{"start": 0, "end": cut}]
            speech = np.concatenate([chunk[r["start"] : r["end"]] for r in regions])
            probabilities = _speech_probabilities(speech, noisy)
            pieces = cut_at_pauses(
                probabilities, speech.size / SAMPLE_RATE, at_least=engine.parallel
            )
            if language is None:
                language = _language(engine, speech, pieces, forced, options)

            def chunk_progress(fraction: float, at: float = chunk_start_s, size: int = cut) -> None:
                if total_s > 0:
                    report(SPEAKERS_START * min((at + fraction * size / SAMPLE_RATE) / total_s, 1))

            to_recording = _TimeMap(regions, offset_s=chunk_start_s)
            speech_s += [
                (chunk_start_s + r["start"] / SAMPLE_RATE, chunk_start_s + r["end"] / SAMPLE_RATE)
                for r in regions
            ]
            try:
                decoded = _decode_pieces(
                    engine, speech, pieces, language, options, chunk_progress, probabilities
                )
                if options.fill_gaps:
                    decoded = _fill_gaps(engine, speech, language, options, decoded)
            except (RuntimeError, ValueError) as e:  # CTranslate2, torch and tokenizers raise these
                raise TranscriptionError(
                    N_("the speech model failed: %(error)s"), error=str(e)
                ) from e
            segments += [to_recording.segment(s) for s in decoded]
        chunk_start_s += cut / SAMPLE_RATE
        if chunk_start_s <= done_s:
            continue  # still inside what `resume` had finished
        done_s = chunk_start_s
        if total_s > 0:
            report(SPEAKERS_START * min(done_s / total_s, 1.0))
        if not is_last and on_checkpoint is not None:
            on_checkpoint(Checkpoint(done_s, language, tuple(segments), tuple(speech_s)))
    whole_array = isinstance(audio, np.ndarray) and not cut_short
    duration_s = max(done_s, total_s) if whole_array else done_s
    if language is None and forced:
        language = forced
    if options.guards:
        segments = apply_guards(segments)
    if options.spelling:
        segments = correct_spelling(
            segments, language, glossary=options.glossary, languages=options.languages
        )
    notes: tuple[str, ...] = () if segments else (NO_SPEECH_NOTE,)
    if cut_short:
        notes += (CUT_SHORT_NOTE,)
    elif damage.found or (
        length_stated and total_s - decoded_s > max(_SHORT_BY_S, _SHORT_BY_PART * total_s)
    ):
        notes += (DAMAGED_NOTE,)
    model_name = (
        options.model
        if options.engine == "faster-whisper"
        else f"{options.model} ({options.engine})"
    )
    transcript = Transcript(language, duration_s, model_name, tuple(segments), notes=notes)
    if options.speakers and segments:
        from transcribe.diarize import DiarizeOptions
        from transcribe.speakers import add_speakers

        report(SPEAKERS_START)
        transcript = add_speakers(
            audio if not cut_short else _beginning(audio, done_s),
            transcript,
            speech=speech_s,
            options=DiarizeOptions(
                num_speakers=options.num_speakers,
                min_speakers=options.min_speakers,
                max_speakers=options.max_speakers,
            ),
            profiles=profiles,
            glossary=options.glossary,
        )
    report(1.0)
    return transcript


def _language(
    engine: Engine,
    speech: np.ndarray,
    pieces: Sequence[tuple[float, float]],
    forced: str | None,
    options: TranscribeOptions,
) -> str:
    if not engine.multilingual:
        if forced and forced != "en":
            logger.warning(
                "model %s knows English only; ignoring language %r", options.model, forced
            )
        return "en"
    return forced or choose_language(engine, speech, tuple(options.languages), pieces=pieces)
