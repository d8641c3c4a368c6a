"""What the web pages, the API and the CLI do, once: create, read, delete, report, suggest."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from analyze import PageSuggestions, RecordingTerms, Term, rank_terms, suggest_for_page
from api.db import Recording, Status, utcnow
from api.errors import InvalidInput, NotFound
from api.storage import BlobStore
from transcribe import AudioDecodeError, Transcript, probe_audio, whisper_languages

__all__ = [
    "NewRecording",
    "create_recording",
    "delete_recording",
    "get_recording",
    "get_transcript",
    "list_recordings",
    "page_suggestions",
    "ranked_terms",
    "safe_filename",
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


def _recording_terms(session: Session, recording_id: str | None) -> list[RecordingTerms]:
    query = select(Recording.terms_json).where(
        Recording.status == Status.done, Recording.terms_json.is_not(None)
    )
    if recording_id is not None:
        get_recording(session, recording_id)
        query = query.where(Recording.id == recording_id)
    return [RecordingTerms.from_dict(json.loads(raw)) for raw in session.scalars(query) if raw]


def ranked_terms(
    session: Session, role: str | None = None, limit: int = 50, recording_id: str | None = None
) -> list[Term]:
    return rank_terms(_recording_terms(session, recording_id), role=role, limit=limit)


def customer_terms(session: Session, limit: int = 100) -> list[Term]:
    """The customers' terms; everyone's when no speech is attributed to customers yet."""
    stats = _recording_terms(session, None)
    return rank_terms(stats, role="customer", limit=limit) or rank_terms(stats, limit=limit)


def page_suggestions(
    session: Session, page: str, *, is_html: bool, language: str | None = None, limit: int = 20
) -> PageSuggestions:
    if not page.strip():
        raise InvalidInput("the page copy is empty")
    return suggest_for_page(
        page, customer_terms(session), is_html=is_html, language=language, limit=limit
    )
