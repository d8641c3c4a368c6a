"""What the web pages, the API and the CLI do, once: create, read, delete, report, suggest."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from analyze import (
    PageSuggestions,
    QuestionGroup,
    RecordingTerms,
    Term,
    count_terms,
    group_questions,
    rank_terms,
    suggest_for_page,
    utterances_from_transcript,
)
from api.db import Recording, Status, utcnow
from api.errors import InvalidInput, NotFound
from api.settings import Settings
from api.storage import BlobStore
from api.webhooks import ANALYSED, analysed_payload, notify_in_background
from transcribe import (
    AudioDecodeError,
    SpeakerChange,
    Transcript,
    VoiceProfile,
    VoiceProfileStore,
    conversation_stats,
    correct_speakers,
    decode_audio,
    probe_audio,
    whisper_languages,
)
from transcribe import (
    enroll as enroll_voice,
)
from transcribe.types import Role, person_role

__all__ = [
    "NewRecording",
    "RecordingFilter",
    "create_recording",
    "delete_recording",
    "enroll_from_audio",
    "enroll_from_recording",
    "get_recording",
    "get_transcript",
    "list_recordings",
    "page_suggestions",
    "question_groups",
    "reanalyze",
    "ranked_terms",
    "safe_filename",
    "speaker_summary",
    "update_speakers",
]

AUDIO_EXTENSIONS = (
    ".wav",
    ".mp3",
    ".m4a",
    ".aac",
    ".ogg",
    ".opus",
    ".oga",
    ".webm",
    ".flac",
    ".mp4",
    ".mov",
    ".mkv",
    ".wma",
    ".amr",
    ".3gp",
)
_MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class NewRecording:
    """What the uploader tells us about a recording."""

    consent: bool
    title: str | None = None
    salesperson: str | None = None
    customer: str | None = None
    recorded_at: date | None = None
    language: str = "auto"
    glossary: str | None = None  # product/brand words for this recording, comma-separated


def safe_filename(name: str | None) -> str:
    """A display-safe base name: no folders, no control characters, at most 200 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(
        c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C"
    )
    base = base.strip(" .") or "recording"
    if len(base) > _MAX_TEXT:
        stem, dot, ext = base.rpartition(".")
        base = (
            (stem[: _MAX_TEXT - len(ext) - 1] + dot + ext)
            if dot and len(ext) < 10
            else base[:_MAX_TEXT]
        )
    return base


def _clean(text: str | None, limit: int = _MAX_TEXT) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text[:limit] or None


def create_recording(
    session: Session,
    blobs: BlobStore,
    stream: BinaryIO,
    filename: str | None,
    content_type: str | None,
    meta: NewRecording,
    max_bytes: int,
    max_duration_s: float = float("inf"),
) -> Recording:
    """Store the audio once and queue it. Raises InvalidInput (nothing kept) for bad input."""
    if not meta.consent:
        raise InvalidInput("consent is required: confirm that everyone recorded agreed to it")
    if meta.language != "auto" and meta.language not in whisper_languages():
        raise InvalidInput("language must be 'auto' or a code Whisper knows, such as 'nl' or 'en'")
    blob = blobs.put(stream, max_bytes)  # raises UploadTooLarge
    referenced = session.scalar(select(func.count()).where(Recording.blob_key == blob.key))
    try:
        if blob.size_bytes == 0:
            raise InvalidInput("the file is empty")
        try:
            info = probe_audio(blob.path)
        except AudioDecodeError as e:
            raise InvalidInput(
                f"{safe_filename(filename)} is not an audio file we can read: {e}"
            ) from e
        if info.duration_s > max_duration_s:
            raise InvalidInput(
                f"the recording lasts {info.duration_s / 3600:.1f} h; the limit is "
                f"{max_duration_s / 3600:g} h (RIDEALONG_MAX_AUDIO_HOURS)"
            )
    except InvalidInput:
        if not referenced:
            blobs.delete(blob.key)
        raise
    name = safe_filename(filename)
    recording = Recording(
        title=_clean(meta.title, 300) or name.rsplit(".", 1)[0],
        salesperson=_clean(meta.salesperson),
        customer=_clean(meta.customer),
        recorded_at=meta.recorded_at,
        filename=name,
        content_type=_clean(content_type, 100),
        sha256=blob.sha256,
        blob_key=blob.key,
        size_bytes=blob.size_bytes,
        duration_s=info.duration_s or None,
        language_requested=meta.language,
        glossary=_clean(meta.glossary, 2000),
        status=Status.queued,
        progress=0.0,
        attempts=0,
        consent=True,
        consent_at=utcnow(),
    )
    session.add(recording)
    session.commit()
    return recording


def list_recordings(session: Session, limit: int = 200, offset: int = 0) -> Sequence[Recording]:
    return session.scalars(
        select(Recording).order_by(Recording.created_at.desc()).limit(limit).offset(offset)
    ).all()


def get_recording(session: Session, recording_id: str) -> Recording:
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise NotFound(f"no recording with id {recording_id!r}")
    return recording


def get_transcript(session: Session, recording_id: str) -> Transcript:
    recording = session.scalar(
        select(Recording)
        .where(Recording.id == recording_id)
        .options(undefer(Recording.transcript_json))
    )
    if recording is None:
        raise NotFound(f"no recording with id {recording_id!r}")
    if recording.transcript_json is None:
        raise NotFound(
            f"recording {recording_id} has no transcript yet (status: {recording.status})"
        )
    return Transcript.from_dict(json.loads(recording.transcript_json))


def delete_recording(session: Session, blobs: BlobStore, recording_id: str) -> None:
    """Remove the recording, its transcript and terms, and its audio unless shared."""
    recording = get_recording(session, recording_id)
    key = recording.blob_key
    session.delete(recording)
    session.commit()
    if key and not session.scalar(select(func.count()).where(Recording.blob_key == key)):
        blobs.delete(key)


@dataclass(frozen=True, slots=True)
class RecordingFilter:
    """Which recordings a report covers; every field narrows it, None means any."""

    recording_id: str | None = None
    since: date | None = None  # recorded on or after (the upload date when unknown)
    until: date | None = None  # recorded on or before
    salesperson: str | None = None  # part of the name, any case
    customer: str | None = None
    language: str | None = None  # the recording's language, "nl" or "en"


def _recording_terms(
    session: Session, recording_filter: RecordingFilter | None = None
) -> list[RecordingTerms]:
    f = recording_filter or RecordingFilter()
    query = select(Recording.terms_json).where(
        Recording.status == Status.done, Recording.terms_json.is_not(None)
    )
    if f.recording_id is not None:
        get_recording(session, f.recording_id)
        query = query.where(Recording.id == f.recording_id)
    day = func.coalesce(Recording.recorded_at, func.date(Recording.created_at))
    if f.since is not None:
        query = query.where(day >= f.since)
    if f.until is not None:
        query = query.where(day <= f.until)
    for column, wanted in (
        (Recording.salesperson, f.salesperson),
        (Recording.customer, f.customer),
    ):
        if wanted:
            query = query.where(
                func.lower(column).contains(wanted.strip().lower(), autoescape=True)
            )
    if f.language:
        query = query.where(Recording.language == f.language.strip().lower())
    return [RecordingTerms.from_dict(json.loads(raw)) for raw in session.scalars(query) if raw]


def ranked_terms(
    session: Session,
    role: str | None = None,
    limit: int = 50,
    recording_id: str | None = None,
    recording_filter: RecordingFilter | None = None,
) -> list[Term]:
    f = recording_filter or RecordingFilter(recording_id=recording_id)
    return rank_terms(_recording_terms(session, f), role=role, limit=limit)


def question_groups(
    session: Session,
    role: str | None = "customer",
    limit: int = 50,
    recording_id: str | None = None,
    recording_filter: RecordingFilter | None = None,
) -> list[QuestionGroup]:
    """Questions asked (by customers by default), grouped by meaning, most asked first."""
    f = recording_filter or RecordingFilter(recording_id=recording_id)
    questions = [q for rec in _recording_terms(session, f) for q in rec.questions]
    return group_questions(questions, role=role, limit=limit)


def customer_terms(session: Session, limit: int = 100) -> list[Term]:
    """The customers' terms; everyone's when no speech is attributed to customers yet."""
    stats = _recording_terms(session)
    return rank_terms(stats, role="customer", limit=limit) or rank_terms(stats, limit=limit)


def page_suggestions(
    session: Session, page: str, *, is_html: bool, language: str | None = None, limit: int = 20
) -> PageSuggestions:
    if not page.strip():
        raise InvalidInput("the page copy is empty")
    return suggest_for_page(
        page,
        customer_terms(session),
        is_html=is_html,
        language=language,
        limit=limit,
        customer_questions=question_groups(session, role="customer"),
    )


# --- speakers and voices ---------------------------------------------------------------------


def _with_documents(session: Session, recording_id: str) -> Recording:
    recording = session.scalar(
        select(Recording)
        .where(Recording.id == recording_id)
        .options(undefer(Recording.transcript_json), undefer(Recording.voices_json))
    )
    if recording is None:
        raise NotFound(f"no recording with id {recording_id!r}")
    if recording.transcript_json is None:
        raise NotFound(
            f"recording {recording_id} has no transcript yet (status: {recording.status})"
        )
    return recording


def speaker_summary(transcript: Transcript) -> dict[str, Any]:
    """The speakers of a recording and its conversation statistics (talk share, questions)."""
    return {
        "speakers": [s.to_dict() for s in transcript.speakers],
        "stats": conversation_stats(transcript.segments),
    }


def update_speakers(
    session: Session,
    settings: Settings,
    recording_id: str,
    changes: Sequence[SpeakerChange],
    enroll: bool = False,
) -> Transcript:
    """Apply a person's speaker corrections and re-run the analysis of that recording.

    With `enroll`, every named salesperson among the changes is enrolled (or re-enrolled)
    as a voice profile from this recording, so later recordings recognise them.
    """
    recording = _with_documents(session, recording_id)
    before = Transcript.from_dict(json.loads(recording.transcript_json or "{}"))
    try:
        after = correct_speakers(before, changes)
    except ValueError as e:
        raise InvalidInput(str(e)) from e
    voices = _voices(recording)
    to_enroll = [
        speaker
        for speaker in after.speakers
        if enroll
        and speaker.name
        and speaker.role == "salesperson"
        and any(c.id == speaker.id and c.name for c in changes)
    ]
    for speaker in to_enroll:  # checked before anything changes: all or nothing
        if speaker.id not in voices:
            raise InvalidInput(_no_voice(recording.id, speaker.id))
    terms = count_terms(utterances_from_transcript(after, recording.id), recording.id)
    recording.transcript_json = json.dumps(after.to_dict(), ensure_ascii=False)
    recording.terms_json = json.dumps(terms.to_dict(), ensure_ascii=False)
    recording.updated_at = utcnow()
    merged = {c.id for c in changes if c.merge_into}
    if merged and voices:
        recording.voices_json = json.dumps({k: v for k, v in voices.items() if k not in merged})
    session.commit()
    for speaker in to_enroll:
        enroll_from_recording(
            session, settings, recording.id, speaker.id, speaker.name or "", speaker.role
        )
    notify_in_background(settings, ANALYSED, analysed_payload(recording.id, after))
    return after


def _person_role(value: str) -> Role:
    try:
        return person_role(value)
    except ValueError as e:
        raise InvalidInput(str(e)) from e


def _no_voice(recording_id: str, speaker: str) -> str:
    return (
        f"recording {recording_id} holds no voice for speaker {speaker!r} "
        "(only recordings diarized with voice embeddings have one)"
    )


def _voices(recording: Recording) -> dict[str, list[float]]:
    try:
        voices = json.loads(recording.voices_json or "{}")
    except ValueError:
        return {}
    return voices if isinstance(voices, dict) else {}


def enroll_from_recording(
    session: Session,
    settings: Settings,
    recording_id: str,
    speaker: str,
    name: str,
    role: str = "salesperson",
) -> VoiceProfile:
    """Save the voice of `speaker` in a processed recording as `name`'s profile."""
    chosen = _person_role(role)
    voice = _voices(_with_documents(session, recording_id)).get(speaker)
    if not voice:
        raise InvalidInput(_no_voice(recording_id, speaker))
    try:
        profile = VoiceProfile(name, np.asarray(voice, dtype=np.float32), chosen)
        VoiceProfileStore(settings.voices_dir).save(profile)
    except ValueError as e:
        raise InvalidInput(str(e)) from e
    return profile


def enroll_from_audio(
    settings: Settings, name: str, files: Sequence[BinaryIO], role: str = "salesperson"
) -> VoiceProfile:
    """Enrol a voice from uploaded recordings of one person alone."""
    recordings = []
    for file in files:
        try:
            recordings.append(decode_audio(file))
        except AudioDecodeError as e:
            raise InvalidInput(str(e)) from e
    try:
        profile = enroll_voice(name, recordings, role=_person_role(role))
    except ValueError as e:  # no speech, a bad name
        raise InvalidInput(str(e)) from e
    VoiceProfileStore(settings.voices_dir).save(profile)
    return profile


def reanalyze(session: Session, recording_id: str | None = None) -> int:
    """Recount terms and questions of processed recordings from their stored transcripts.

    For after an upgrade that changed the analysis (no speech recognition runs again).
    Returns how many recordings were redone.
    """
    query = select(Recording).where(
        Recording.status == Status.done, Recording.transcript_json.is_not(None)
    )
    if recording_id is not None:
        get_recording(session, recording_id)
        query = query.where(Recording.id == recording_id)
    done = 0
    for recording in session.scalars(query.options(undefer(Recording.transcript_json))):
        transcript = Transcript.from_dict(json.loads(recording.transcript_json or "{}"))
        terms = count_terms(utterances_from_transcript(transcript, recording.id), recording.id)
        recording.terms_json = json.dumps(terms.to_dict(), ensure_ascii=False)
        session.commit()
        done += 1
    return done
