"""What the web pages, the API and the CLI do, once: create, read, delete, report, suggest."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import threading
import unicodedata
import zlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO

import numpy as np
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session, undefer

from analyze import (
    PageSuggestions,
    Question,
    QuestionGroup,
    Term,
    count_terms,
    group_questions,
    html_to_text,
    suggest_for_page,
    synonyms,
    utterances_from_transcript,
)
from analyze.imported import DOCUMENT_SUFFIXES, imported_transcript
from analyze.synonyms import SynonymGroup, TextEmbedder, embed_terms, group_synonyms
from analyze.terms import candidate_terms
from analyze.text import tokenize
from analyze.wording import N_
from api import termstore
from api.db import (
    SQLITE_BUSY_MS,
    HiddenTerm,
    Recording,
    RecordingTag,
    RecordingWords,
    Status,
    TermCountRow,
    TermForm,
    TermKey,
    UtteranceRow,
    as_utc,
    insert_on_conflict,
    iso_day,
    may_hold,
    report_day,
    utcnow,
)
from api.errors import Conflict, InvalidInput, NotFound
from api.settings import Settings
from api.storage import BlobStore, StoredBlob, UploadTooLarge
from api.voices import find_voice, import_voice_files, list_voices, remove_voice, save_voice
from api.webhooks import (
    ANALYSED,
    DELETED,
    analysed_payload,
    deleted_payload,
    notify_in_background,
)
from transcribe import (
    NEW_SPEAKER,
    AudioDecodeError,
    Speaker,
    SpeakerChange,
    Transcript,
    VoiceProfile,
    conversation_stats,
    correct_speakers,
    decode_audio,
    move_lines,
    probe_audio,
    redact_transcript,
    whisper_languages,
)
from transcribe.corrections import MAX_LINE_CHARS, correct_segment
from transcribe.glossary import decode_text
from transcribe.roles import EnrollmentCheck, check_new_profile_name, enroll_checked
from transcribe.types import Role, person_role

__all__ = [
    "after_upgrade",
    "apply_retention",
    "check_new_recording",
    "check_voice_name",
    "DuplicateRecording",
    "NewRecording",
    "RecordingChanges",
    "RecordingFilter",
    "create_recording",
    "checkpoint_wal",
    "delete_recording",
    "delete_voice",
    "erase_voice_prints",
    "unname_recognised",
    "without_recognised",
    "fill_salesperson",
    "names_from_upload",
    "same_name",
    "enroll_from_audio",
    "enroll_from_recording",
    "ListChoice",
    "get_recording",
    "get_transcript",
    "hidden_terms",
    "hide_term",
    "known_tags",
    "before_period",
    "count_recordings",
    "Coverage",
    "coverage",
    "list_recordings",
    "list_voices",
    "voice_called",
    "voice_exists",
    "parse_tags",
    "page_suggestions",
    "question_groups",
    "reanalyze",
    "roles_spoken",
    "ranked_terms",
    "safe_filename",
    "title_of_one_of_several",
    "show_term",
    "speaker_summary",
    "synonym_groups",
    "term_embedder",
    "term_trend",
    "update_recording",
    "update_speakers",
    "warm_up",
    "voiced_speakers",
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
TITLE_CHARS = 300

logger = logging.getLogger(__name__)


class DuplicateRecording(Exception):
    """The uploaded audio is already a recording (same sha256); nothing new was stored."""

    def __init__(self, recording: Recording) -> None:
        super().__init__(f"this audio was uploaded before as recording {recording.id}")
        self.recording = recording


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
    tags: tuple[str, ...] = ()  # labels to filter reports by (`parse_tags`)
    consent_by: str | None = None  # who confirmed the consent: "API key cms", "web form …"
    force_copy: bool = False  # keep a second recording when the same audio was uploaded before

    def __post_init__(self) -> None:
        _check_day(self.recorded_at)


def _check_day(day: date | None) -> None:
    """A conversation's date is not in the future (a year typed wrong would put the call in
    every report's future): InvalidInput. A day ahead is allowed, for time zones."""
    if day is not None and day > date.today() + timedelta(days=1):
        raise InvalidInput(
            N_("the date %(day)s is in the future: when was the conversation?"),
            day=day.isoformat(),
        )


_MAX_TAGS = 20


_MAX_TAG = 50


def _tag_as_typed(text: str) -> str:
    return " ".join(_printable(text).lower().split())


def _tag(text: str) -> str:
    """One tag as stored: lower case, single spaces, at most 50 characters (InvalidInput
    beyond: a tag cut short would silently match nothing the person types later)."""
    tag = _tag_as_typed(text)
    if len(tag) > _MAX_TAG:
        raise InvalidInput(
            N_("a tag has at most %(n)s characters: “%(tag)s”"),
            n=_MAX_TAG,
            tag=tag if len(tag) <= 60 else f"{tag[:60]}…",
        )
    return tag


def parse_tags(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """Tags from "webinar, Zakelijk" or a list: cleaned, without duplicates, in order. A
    semicolon separates them too, as many people type lists in Dutch."""
    if text is None:
        return ()
    parts = re.split(r"[,;]", text if isinstance(text, str) else ",".join(text))
    tags = tuple(dict.fromkeys(tag for part in parts if (tag := _tag(part))))
    if len(tags) > _MAX_TAGS:
        raise InvalidInput(N_("at most %(n)s tags per recording"), n=_MAX_TAGS)
    return tags


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


def _printable(text: str) -> str:
    """Without control characters (a NUL, which PostgreSQL refuses and pages would show);
    a tab or line break stays a space between words."""
    return "".join(
        " " if c.isspace() else c for c in text if c.isspace() or unicodedata.category(c) != "Cc"
    )


def _clean(text: str | None, limit: int = _MAX_TEXT) -> str | None:
    if text is None:
        return None
    text = " ".join(_printable(text).split())
    return text[:limit] or None


_MEDIA_TYPE = re.compile(r"(audio|video)/[a-z0-9][a-z0-9.+-]{0,80}")


def audio_media_type(value: str | None) -> str | None:
    """An upload's declared type, kept only when it is one plain audio or video type: the
    audio is served with it, and "audio/wav, text/html" would have a browser render HTML."""
    cleaned = (value or "").split(";", 1)[0].strip().lower()  # "audio/webm;codecs=opus"
    return cleaned if _MEDIA_TYPE.fullmatch(cleaned) else None


def default_title(filename: str) -> str:
    """A recording's title when none is given: its file's name without the extension."""
    return filename.rsplit(".", 1)[0]


def title_of_one_of_several(title: str | None, filename: str) -> str | None:
    """The title of one file of several uploaded together: the shared title, then the file's
    name, which always fits (it is what tells the recordings apart). None without a title:
    the file's name alone, as for a single upload."""
    shared = _clean(title, TITLE_CHARS)
    if shared is None:
        return None
    stem = _clean(filename.rsplit(".", 1)[0], TITLE_CHARS) or filename
    room = TITLE_CHARS - len(stem) - len(" – ")
    return f"{shared[:room].rstrip()} – {stem}" if room > 0 else stem[:TITLE_CHARS]


def check_new_recording(meta: NewRecording) -> None:
    """The checks on an upload's fields, which need none of its bytes: InvalidInput."""
    if not meta.consent:
        raise InvalidInput(
            N_("consent is required: confirm that everyone recorded agreed to it"),
            code="consent_required",
        )
    if meta.language != "auto" and meta.language not in whisper_languages():
        raise InvalidInput(
            N_("language must be 'auto' or a code Whisper knows, such as 'nl' or 'en'"),
            code="unknown_language",
        )


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
    check_new_recording(meta)
    if (filename or "").lower().endswith(DOCUMENT_SUFFIXES):
        raise InvalidInput(
            N_(
                "%(file)s is a text document: upload the recording itself, or a video "
                "call's transcript as .vtt or .srt"
            ),
            code="unsupported_file",
            file=safe_filename(filename),
        )
    blob = blobs.put(stream, max_bytes)  # raises UploadTooLarge
    with _one_upload_of(session, blob.key):
        return _create_recording(session, blobs, blob, filename, content_type, meta, max_duration_s)


# A transcript file read whole to be parsed: ten hours of a call's WebVTT is about 1 MB.
MAX_TRANSCRIPT_BYTES = 20 * 1024 * 1024
FASTEST_SPEECH_WORDS_PER_S = 4  # an auctioneer's pace: more words than this is no call


def import_transcript(
    session: Session,
    stream: BinaryIO,
    filename: str | None,
    content_type: str | None,
    meta: NewRecording,
    settings: Settings,
) -> Recording:
    """A transcript made elsewhere (`analyze.imported`: a video call's WebVTT, SRT,
    ridealong JSON) as a recording without audio, analysed at once: status done. Raises
    InvalidInput or UploadTooLarge (nothing kept), DuplicateRecording for the same file
    again."""
    check_new_recording(meta)
    raw = stream.read(MAX_TRANSCRIPT_BYTES + 1)
    if len(raw) > MAX_TRANSCRIPT_BYTES:
        raise UploadTooLarge(MAX_TRANSCRIPT_BYTES)
    name = safe_filename(filename)
    if not raw.strip():
        raise InvalidInput(N_("the file is empty"), code="empty_file")
    profiles = list_voices(session)
    known: dict[str, Role] = {p.name: p.role for p in profiles}
    if meta.salesperson:
        known[meta.salesperson] = "salesperson"
    if meta.customer:
        known[meta.customer] = "customer"
    try:
        transcript = imported_transcript(decode_text(raw, name), name, meta.language, known)
    except ValueError as e:
        raise InvalidInput(
            N_("%(file)s is not a transcript we can read: %(reason)s"),
            code="unreadable_transcript",
            file=name,
            reason=str(e).removeprefix(f"{name}: "),
        ) from None
    # The times a file states, and its words: a file timed all at one second still holds
    # no more speech than the limit (the analysis runs within the request).
    limit_s = settings.max_audio_hours * 3600
    _check_duration(max([transcript.duration_s, *(s.end for s in transcript.segments)]), limit_s)
    words = sum(len(s.text.split()) for s in transcript.segments)
    if words > limit_s * FASTEST_SPEECH_WORDS_PER_S:
        raise InvalidInput(
            N_(
                "%(file)s holds %(words)s words, more than %(limit)g h of speech "
                "(RIDEALONG_MAX_AUDIO_HOURS)"
            ),
            code="too_long",
            file=name,
            words=words,
            limit=settings.max_audio_hours,
        )
    digest = hashlib.sha256(raw).hexdigest()
    with _one_upload_of(session, f"transcript:{digest}"):
        earlier = session.scalars(
            select(Recording).where(Recording.sha256 == digest).order_by(Recording.created_at)
        ).first()
        if earlier is not None and not meta.force_copy:
            session.expunge(earlier)
            raise DuplicateRecording(earlier)
        recording = _new_recording(
            meta,
            name,
            content_type=_clean(content_type, 100),
            sha256=digest,
            blob_key=None,
            size_bytes=len(raw),
            duration_s=transcript.duration_s or None,
            language=transcript.language,
            model=transcript.model,
            status=Status.done,
            progress=1.0,
            transcribed_at=utcnow(),
        )
        if settings.redact_pii:  # as a transcription's job does, before anything is stored
            transcript = redact_transcript(transcript, people_in(recording, transcript))
        transcript = _with_upload_names(transcript, recording)
        fill_salesperson(recording, transcript)
        recording.transcript_json = json.dumps(transcript.to_dict(), ensure_ascii=False)
        session.add(recording)
        session.flush()
        recount_terms(session, recording, transcript)
        session.commit()
    notify_in_background(settings, ANALYSED, analysed_payload(recording.id, transcript))
    return recording


def _new_recording(meta: NewRecording, filename: str, **fields: Any) -> Recording:
    """A recording with what its upload's form said (its title, people, day, consent and
    tags), and `fields`: what its file is."""
    return Recording(
        title=_clean(meta.title, TITLE_CHARS) or default_title(filename),
        salesperson=_clean(meta.salesperson),
        customer=_clean(meta.customer),
        recorded_at=meta.recorded_at,
        filename=filename,
        language_requested=meta.language,
        glossary=_clean(meta.glossary, 2000),
        attempts=0,
        consent=True,
        consent_at=utcnow(),
        consent_by=_clean(meta.consent_by),
        tag_rows=[RecordingTag(tag=tag) for tag in meta.tags],
        **fields,
    )


def _check_duration(duration_s: float, max_duration_s: float) -> None:
    if duration_s > max_duration_s:
        raise InvalidInput(
            N_(
                "the recording lasts %(hours).2f h; the limit is %(limit)g h "
                "(RIDEALONG_MAX_AUDIO_HOURS)"
            ),
            code="too_long",
            hours=duration_s / 3600,
            limit=max_duration_s / 3600,
        )


_UPLOAD_LOCKS = tuple(threading.Lock() for _ in range(64))  # by the audio's key, striped


@contextmanager
def _one_upload_of(session: Session, key: str) -> Iterator[None]:
    """Uploads of the same audio one at a time, from looking for an earlier one to storing
    the new: two at once (a retry, a double click) would both find none and both be kept.
    In this process a lock; across processes on PostgreSQL an advisory lock, which the
    transaction holds until it ends."""
    number = zlib.crc32(key.encode())
    with _UPLOAD_LOCKS[number % len(_UPLOAD_LOCKS)]:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(func.pg_advisory_xact_lock(number)))
        try:
            yield
        finally:
            if session.in_transaction():  # a refusal: end it, and its lock with it
                session.rollback()


def _create_recording(
    session: Session,
    blobs: BlobStore,
    blob: StoredBlob,
    filename: str | None,
    content_type: str | None,
    meta: NewRecording,
    max_duration_s: float,
) -> Recording:
    referenced = _blob_users(session, blob.key)
    if referenced and not meta.force_copy:
        earlier = session.scalars(
            select(Recording).where(Recording.blob_key == blob.key).order_by(Recording.created_at)
        ).first()
        if earlier is not None:  # the same audio again: one recording, unless asked for a copy
            session.expunge(earlier)  # as read: the lock's rollback would expire it
            raise DuplicateRecording(earlier)
    try:
        if blob.size_bytes == 0:
            raise InvalidInput(N_("the file is empty"), code="empty_file")
        try:
            # A header claiming more than the limit is measured before the file is refused.
            limit = max_duration_s if max_duration_s != float("inf") else None
            info = probe_audio(blob.path, measure_above_s=limit)
        except AudioDecodeError as e:
            raise InvalidInput(
                N_("%(file)s is not an audio file we can read: %(reason)s"),
                code="unreadable_audio",
                file=safe_filename(filename),
                reason=e.reason,
            ) from e
        if info.duration_s <= 0:
            raise InvalidInput(
                N_("%(file)s holds no audio (0 seconds)"),
                code="no_audio",
                file=safe_filename(filename),
            )
        _check_duration(info.duration_s, max_duration_s)
    except InvalidInput:
        if not referenced:
            blobs.delete(blob.key)
        raise
    recording = _new_recording(
        meta,
        safe_filename(filename),
        content_type=audio_media_type(content_type),
        sha256=blob.sha256,
        blob_key=blob.key,
        size_bytes=blob.size_bytes,
        duration_s=info.duration_s or None,
        status=Status.queued,
        progress=0.0,
    )
    session.add(recording)
    try:
        session.commit()
    except Exception:  # the database refused (disk full, locked too long): keep nothing
        session.rollback()
        if not referenced:
            blobs.delete(blob.key)
        raise
    return recording


@dataclass(frozen=True, slots=True)
class ListChoice:
    """Which recordings a list shows: one status, and names as the report filters them."""

    status: Status | None = None
    salesperson: str | None = None  # a part of the name, any case
    customer: str | None = None
    # A part of the title or of either name, a tag, or a day as reports count it
    # ("2026-12" finds December's).
    text: str | None = None
    tag: str | None = None  # one of its tags, any case
    since: date | None = None  # its report day (recording date, else upload day) from …
    until: date | None = None  # … up to and with


def list_recordings(
    session: Session, limit: int = 200, offset: int = 0, choice: ListChoice | None = None
) -> Sequence[Recording]:
    """Newest first (the id breaks ties, so pages never overlap), as `choice` narrows them."""
    query = _chosen(select(Recording), choice or ListChoice())
    query = query.order_by(Recording.created_at.desc(), Recording.id.desc())
    return session.scalars(query.limit(limit).offset(offset)).all()


def without_speech(session: Session, recordings: Sequence[Recording]) -> set[str]:
    """The ids of finished `recordings` in which no speech was found (silence, noise, a
    damaged file that decoded to nothing): the list flags them, since "done" alone hides it."""
    done = [r.id for r in recordings if r.status == Status.done]
    if not done:
        return set()
    spoken = select(UtteranceRow.recording_id).where(UtteranceRow.recording_id.in_(done))
    return set(done) - set(session.scalars(spoken.distinct()))


def count_recordings(session: Session, choice: ListChoice | None = None) -> int:
    """How many recordings `list_recordings` pages through."""
    query = _chosen(select(func.count(Recording.id)), choice or ListChoice())
    return int(session.scalar(query) or 0)


def _chosen(query: Select[Any], choice: ListChoice) -> Select[Any]:
    if choice.status is not None:
        query = query.where(Recording.status == choice.status)
    if choice.text and choice.text.strip():
        # Each word on its own for a few words; more is a phrase (every word a scan).
        words = list(dict.fromkeys(w for w in choice.text.split() if len(w) > 1))[:_WORDS_APART]
        query = query.where(
            # The whole text, or each of its words somewhere: "offerte sturen" finds a call
            # that said both, "Jansen offerte" Jansen's call in which the offerte came up.
            _matching(choice.text)
            if len(words) <= 1 or len(choice.text.split()) > _WORDS_APART
            else or_(_matching(choice.text), and_(*(_matching(word) for word in words)))
        )
    if choice.tag:
        query = query.where(_tagged(_tag_as_typed(choice.tag)))
    if choice.since is not None:
        query = query.where(report_day() >= choice.since)
    if choice.until is not None:
        query = query.where(report_day() <= choice.until)
    return _naming(query, choice.salesperson, choice.customer)


_WORDS_APART = 5


def _matching(text: str) -> ColumnElement[bool]:
    """Recordings `text` describes: a part of the title or of either name, a tag, a term
    said, or a report day ("2026-11", "7 dec")."""
    wanted = text.strip().lower()
    return or_(
        *(
            func.lower(column).contains(wanted, autoescape=True)
            for column in (Recording.title, Recording.salesperson, Recording.customer)
        ),
        _tagged(_tag_as_typed(text)),
        _saying(text),
        *(  # a year, or the start of a day as the API writes it: "2026", "2026-11"
            [iso_day(report_day()).startswith(day, autoescape=True)]
            if (day := _day_start(wanted))
            else []
        ),
        *([iso_day(report_day()).like(written)] if (written := _day_as_written(wanted)) else []),
    )


@functools.cache
def _month_numbers(width: str | None = None) -> dict[str, int]:
    """Month names and their short forms, Dutch and English ("nov", "mrt", "march"): 1-12;
    with `width` ("wide"), only those."""
    from babel.dates import get_month_names

    return {
        name.lower().rstrip("."): number
        for language in ("nl", "en")
        for form in ("wide", "abbreviated")
        if width in (None, form)
        for number, name in get_month_names(form, locale=language).items()
    }


_DAY_START = re.compile(r"(\d{4})(?:-(?:(\d{1,2})(?:-(\d{1,2})?)?)?)?")


def _day_start(text: str) -> str | None:
    """The start of a report day as the API writes it, from a year, a month or a day typed
    without its zeros ("2026-1" is January, not October to December); None for other text."""
    found = _DAY_START.fullmatch(text)
    if found is None:
        return None
    year, month, day = found.groups()
    if month is None or month == "0":  # "2026-0": the start of a month still being typed
        return text
    start = f"{year}-{int(month):02d}"
    if day is not None and day != "0":
        return f"{start}-{int(day):02d}"
    return start + text[len(f"{year}-{month}") :]


_WRITTEN_DAY = re.compile(r"(?:(\d{1,2})\s+)?([^\W\d_]+)\.?(?:\s+(\d{4}))?")


def _day_as_written(text: str) -> str | None:
    """A LIKE pattern for a day or month as the list writes it ("20 nov 2026", "november",
    "nov 2026"), matching report days ("2026-11-20"); None for other text. A short month
    alone is a word ("jan" is a name): it is a month with a day or a year."""
    found = _WRITTEN_DAY.fullmatch(text.strip().lower())
    month = _month_numbers().get(found[2]) if found else None
    if found is None or month is None:
        return None
    if not found[1] and not found[3] and found[2] not in _month_numbers("wide"):
        return None
    day = f"{int(found[1]):02d}" if found[1] else "__"
    return f"{found[3] or '____'}-{month:02d}-{day}"


def _saying(text: str) -> ColumnElement[bool]:
    """Recordings in which somebody said `text` as a term: "offertes" finds those that said
    "offerte", by the term index (no scan of the transcripts)."""
    typed = " ".join(text.lower().split())
    keys = {typed}
    for language in ("nl", "en"):
        lemmas = [t.lemma for t in tokenize(text, language) if t.lemma]
        if lemmas:
            keys.add(" ".join(lemmas))
    return Recording.id.in_(
        select(TermCountRow.recording_id)
        .join(TermKey, TermKey.id == TermCountRow.term_id)
        .where(TermKey.key.in_(sorted(keys)))
    )


def _tagged(tag: str) -> ColumnElement[bool]:
    return Recording.id.in_(select(RecordingTag.recording_id).where(RecordingTag.tag == tag))


def _naming(query: Select[Any], salesperson: str | None, customer: str | None) -> Select[Any]:
    """Recordings whose salesperson and customer hold these names (any case, any part)."""
    for column, wanted in ((Recording.salesperson, salesperson), (Recording.customer, customer)):
        if wanted and wanted.strip():
            query = query.where(
                func.lower(column).contains(wanted.strip().lower(), autoescape=True)
            )
    return query


def get_recording(session: Session, recording_id: str) -> Recording:
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise NotFound(N_("no recording with id %(id)s"), id=recording_id)
    return recording


def get_transcript(session: Session, recording_id: str) -> Transcript:
    recording = session.scalar(
        select(Recording)
        .where(Recording.id == recording_id)
        .options(undefer(Recording.transcript_json))
    )
    if recording is None:
        raise NotFound(N_("no recording with id %(id)s"), id=recording_id)
    if recording.transcript_json is None:
        raise NotFound(
            N_("recording %(id)s has no transcript yet (status: %(status)s)"),
            code="not_ready",  # 404 as before; the code tells "later" from "never"
            id=recording_id,
            status=recording.status,
        )
    return Transcript.from_dict(json.loads(recording.transcript_json))


def delete_recording(
    session: Session, blobs: BlobStore, recording_id: str, settings: Settings | None = None
) -> None:
    """Remove the recording, its transcript and terms, and its audio unless shared; with
    `settings`, tell the webhook."""
    # Lock the row first (PostgreSQL): a job storing its results at this moment finishes
    # before its statistics are forgotten, so the running totals never keep its counts.
    session.execute(select(Recording.id).where(Recording.id == recording_id).with_for_update())
    recording = get_recording(session, recording_id)
    key = recording.blob_key
    termstore.prune_terms(session, termstore.forget_analysis(session, recording_id))
    session.delete(recording)
    session.commit()
    checkpoint_wal(session)
    _release_blob(session, blobs, key)
    if settings is not None:
        notify_in_background(settings, DELETED, deleted_payload(recording_id))


def checkpoint_wal(session: Session) -> bool:
    """Empty SQLite's write-ahead log, where old copies of deleted rows live on (a no-op
    elsewhere). False when a reader kept it from finishing: the next call, or the worker's
    hourly one, tries again."""
    engine = session.get_bind().engine
    if engine.dialect.name != "sqlite":
        return True
    session.commit()  # nothing of ours in the log is left uncommitted
    # A reader (a report being read) would make it wait the full busy timeout: a delete
    # must not hang that long for it, so it waits a second and leaves the rest for later.
    # One connection of its own for all three, so the short timeout never reaches the pool.
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA busy_timeout=1000")
        try:
            busy, *_ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        finally:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    if busy:
        logger.info("the write-ahead log is in use; deleted data leaves it at the next checkpoint")
    return not busy


def _blob_users(session: Session, key: str) -> int:
    """How many recordings use this stored audio (the same file may be several)."""
    return session.scalar(select(func.count()).where(Recording.blob_key == key)) or 0


def _release_blob(session: Session, blobs: BlobStore, key: str | None) -> None:
    """Delete stored audio that no recording uses any more."""
    if key and not _blob_users(session, key):
        blobs.delete(key)


def known_tags(session: Session, limit: int = 200) -> list[str]:
    """The tags in use, most used first (for the report's tag suggestions)."""
    return list(
        session.scalars(
            select(RecordingTag.tag)
            .group_by(RecordingTag.tag)
            .order_by(func.count().desc(), RecordingTag.tag)
            .limit(limit)
        )
    )


@dataclass(frozen=True, slots=True)
class RecordingChanges:
    """What a person may change about a recording after the upload; None leaves it."""

    title: str | None = None
    salesperson: str | None = None
    customer: str | None = None
    recorded_at: date | None = None
    # The date was wrong and is not known: reports count the upload day instead.
    forget_recorded_at: bool = False
    tags: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        _check_day(self.recorded_at)


def people_in(recording: Recording, transcript: Transcript | None = None) -> list[str]:
    """The names of those in a recording (its salesperson and customer, named speakers):
    words of them are not counted as terms (`analyze.count_terms`)."""
    named = [recording.salesperson, recording.customer]
    if transcript is not None:
        named += [speaker.name for speaker in transcript.speakers]
    return [name for name in named if name]


def names_from_upload(
    speakers: Sequence[Speaker], salesperson: str | None, customer: str | None
) -> dict[str, str]:
    """Speaker id -> the name given at upload for its role, where exactly one unnamed speaker
    has that role (the pages show the name, and the speaker form offers it)."""
    named: dict[str, str] = {}
    for role, name in (("salesperson", salesperson), ("customer", customer)):
        with_role = [s for s in speakers if s.role == role]
        if name and len(with_role) == 1 and not with_role[0].name:
            named[with_role[0].id] = name
    return named


def _with_upload_names(transcript: Transcript, recording: Recording) -> Transcript:
    """The names `names_from_upload` shows, written into the speakers: before a second
    speaker of a role appears, which would leave them unknowable."""
    named = names_from_upload(transcript.speakers, recording.salesperson, recording.customer)
    if not named:
        return transcript
    speakers = tuple(replace(s, name=named.get(s.id, s.name)) for s in transcript.speakers)
    return replace(transcript, speakers=speakers)


def fill_salesperson(recording: Recording, transcript: Transcript) -> None:
    """An empty salesperson field takes the name of the transcript's one named salesperson
    (a remembered voice, or a person's correction), so that the recordings list's search
    and the report's salesperson filter find the call by them as well."""
    named = {s.name for s in transcript.speakers if s.role == "salesperson" and s.name}
    if not recording.salesperson and len(named) == 1:
        recording.salesperson = named.pop()


def recount_terms(
    session: Session,
    recording: Recording,
    transcript: Transcript,
    refreshed: set[str] | None = None,
) -> None:
    """Count a recording's terms and questions again from `transcript` and store them
    (`refreshed`: see `termstore.store_analysis`)."""
    utterances = utterances_from_transcript(transcript, recording.id)
    terms = count_terms(utterances, recording.id, people=people_in(recording, transcript))
    termstore.store_analysis(session, recording, terms, utterances, refreshed=refreshed)


def update_recording(
    session: Session,
    recording_id: str,
    changes: RecordingChanges,
    settings: Settings | None = None,
) -> Recording:
    """Correct a recording's details or tags (reports pick the change up at once). With
    `settings`, a change of names, which recounts the terms, is told to the webhook."""
    # Written first, so this waits for a job that is storing the recording right now and
    # then sees it done: a name given at that moment is recounted (and redacted) too.
    lock_recording(session, recording_id)
    recording = get_recording(session, recording_id)
    session.refresh(recording)
    people_before = (recording.salesperson, recording.customer)
    if changes.title is not None:
        # "" gives the recording back the title it had by default: its file's name.
        recording.title = _clean(changes.title, TITLE_CHARS) or default_title(recording.filename)
    if changes.salesperson is not None:
        recording.salesperson = _clean(changes.salesperson)
    if changes.customer is not None:
        recording.customer = _clean(changes.customer)
    if (recording.salesperson, recording.customer) != people_before and (
        recording.status == Status.done
    ):  # a name given now leaves the terms (the words of people's names are no terms)
        recounted = get_transcript(session, recording.id)
        if settings is not None and settings.redact_pii:  # and the name leaves the text too
            recounted = redact_transcript(recounted, _people(recording))
            recording.transcript_json = json.dumps(recounted.to_dict(), ensure_ascii=False)
        recount_terms(session, recording, recounted)
    else:
        recounted = None
    if changes.recorded_at is not None or changes.forget_recorded_at:
        recording.recorded_at = changes.recorded_at
    if changes.tags is not None:
        wanted = parse_tags(changes.tags)
        recording.tag_rows = [
            next((row for row in recording.tag_rows if row.tag == tag), RecordingTag(tag=tag))
            for tag in wanted
        ]
    recording.updated_at = utcnow()
    session.commit()
    if recounted is not None and settings is not None:
        notify_in_background(settings, ANALYSED, analysed_payload(recording.id, recounted))
    return recording


def _people(recording: Recording) -> list[str]:
    """The names given with a recording (redacted from its text)."""
    return [n for n in (recording.salesperson, recording.customer) if n]


def quote_sources(session: Session, recording_ids: Collection[str]) -> dict[str, tuple[str, date]]:
    """{recording id: (title, the day reports count it on)}: which conversation a report's
    quote comes from, so this week's evidence reads apart from last month's."""
    ids = list(recording_ids)
    sources: dict[str, tuple[str, date]] = {}
    for start in range(0, len(ids), 500):  # within any database's limit on parameters
        rows = session.execute(
            select(
                Recording.id, Recording.title, Recording.recorded_at, Recording.created_at
            ).where(Recording.id.in_(ids[start : start + 500]))
        )
        for recording_id, title, recorded_at, created_at in rows:
            sources[recording_id] = (title, recorded_at or as_utc(created_at).date())
    return sources


@dataclass(frozen=True, slots=True)
class RecordingFilter:
    """Which recordings a report covers; every field narrows it, None means any."""

    recording_id: str | None = None
    since: date | None = None  # recorded on or after (the upload date when unknown)
    until: date | None = None  # recorded on or before
    salesperson: str | None = None  # part of the name, any case
    customer: str | None = None
    language: str | None = None  # the recording's language, "nl" or "en"
    tag: str | None = None  # one of the recording's tags, any case
    # A term somebody said in it, in any of its forms ("warmtepompen"): a heat-pump page is
    # compared with the conversations about heat pumps, tagged or not.
    said: str | None = None

    def is_everything(self) -> bool:
        return self == RecordingFilter()


_MAX_GROUPED_QUESTIONS = 3000  # the latest questions a report groups (clustering is quadratic)


def _filtered(session: Session, f: RecordingFilter) -> Select[Any] | None:
    """The ids of the analysed recordings `f` covers; None when it covers them all."""
    if f.is_everything():
        return None
    query = select(Recording.id).where(Recording.status == Status.done)
    if f.recording_id is not None:
        get_recording(session, f.recording_id)
        query = query.where(Recording.id == f.recording_id)
    day = report_day()
    if f.since is not None:
        query = query.where(day >= f.since)
    if f.until is not None:
        query = query.where(day <= f.until)
    query = _naming(query, f.salesperson, f.customer)
    if f.language:
        query = query.where(Recording.language == f.language.strip().lower())
    if f.tag:
        query = query.where(_tagged(_tag_as_typed(f.tag)))
    if f.said:
        query = query.where(_saying(f.said))  # any form, as the recordings' search finds it
    if f.recording_id is None:
        # A filter that keeps every analysed recording ("since 2020") is answered from the
        # running totals: counting both sides costs a few milliseconds, summing them seconds.
        covered = session.scalar(select(func.count()).select_from(query.subquery()))
        analysed = session.scalar(
            select(func.count()).where(
                Recording.status == Status.done, Recording.stats_version.is_not(None)
            )
        )
        if covered == analysed:
            return None
    return query


def with_audio(session: Session, recording_ids: Collection[str]) -> set[str]:
    """Which of these recordings still have their audio (a quote can be listened to)."""
    ids = list(recording_ids)
    kept: set[str] = set()
    for start in range(0, len(ids), 500):  # within any database's limit on parameters
        kept.update(
            session.scalars(
                select(Recording.id).where(
                    Recording.id.in_(ids[start : start + 500]), Recording.blob_key.is_not(None)
                )
            )
        )
    return kept


@dataclass(frozen=True, slots=True)
class Coverage:
    """How many recordings an answer rests on, and the days they span: said beside a
    report or a page comparison, so that one conversation is not read as a trend."""

    recordings: int
    first: date | None = None
    last: date | None = None


def coverage(session: Session, f: RecordingFilter, role: str | None = None) -> Coverage:
    """The analysed recordings a report with filter `f` covers: those in which somebody
    spoke (of `role`, when given); the others add nothing to its answer."""
    query = _filtered(session, f)
    if query is None:
        query = select(Recording.id).where(Recording.status == Status.done)
    # Content words per recording and role: a small table, where utterances are many.
    spoke = select(RecordingWords.recording_id).where(RecordingWords.words > 0)
    if role is not None:
        spoke = spoke.where(RecordingWords.role == role)
    query = query.where(Recording.id.in_(spoke))
    day = report_day()
    count, first, last = session.execute(
        select(func.count(), func.min(day), func.max(day)).where(Recording.id.in_(query))
    ).one()
    return Coverage(count or 0, _as_date(first), _as_date(last))


def _as_date(value: object) -> date | None:
    """A day as SQL gives it back: a date (PostgreSQL), or ISO text (SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def recordings_covered(session: Session, f: RecordingFilter, role: str | None = None) -> int:
    """How many analysed recordings a report with filter `f` covers (see `coverage`)."""
    return coverage(session, f, role).recordings


def ranked_terms(
    session: Session,
    role: str | None = None,
    limit: int = 50,
    recording_id: str | None = None,
    recording_filter: RecordingFilter | None = None,
) -> list[Term]:
    f = recording_filter or RecordingFilter(recording_id=recording_id)
    return termstore.ranked_terms(session, _filtered(session, f), role=role, limit=limit)


@dataclass(frozen=True, slots=True)
class RisingTerm:
    """A term said clearly more in a period than before it: what changed this week."""

    term: Term  # as said in the period, with its quotes from it
    before: int  # times said before the period (0: new)
    ratio: float  # its rate in the period over its rate before (smoothed)


_RISE = 2.0  # at least twice as often per word as before
_RISING_FROM = 200  # the period's top terms that are compared with before


def before_period(f: RecordingFilter) -> RecordingFilter:
    """What `rising_terms` compares the period from `f.since` with: the recordings before
    that day, the other filters the same."""
    assert f.since is not None
    if f.since == date.min:  # "since=0001-01-01": no day before it, so an empty period
        return replace(f, since=date.max, until=date.min)
    return replace(f, since=None, until=f.since - timedelta(days=1))


def rising_terms(
    session: Session, f: RecordingFilter, role: str | None, limit: int = 10
) -> list[RisingTerm]:
    """The terms said clearly more often (per content word) in the period `f` starts with
    `since` than in the recordings before it (the other filters the same): new words, and
    old ones that grew. Said at least twice, in two recordings or more, so that one
    conversation does not make a trend. Empty without `since`, or with nothing before."""
    if f.since is None:
        return []
    period = ranked_terms(session, role=role, limit=_RISING_FROM, recording_filter=f)
    earlier = _filtered(session, before_period(f))
    now = _filtered(session, f)
    if not period or earlier is None or now is None:
        return []  # nothing before the period (or nothing in it) to compare with
    keys = [t.lemma for t in period]
    before, words_before = termstore.term_counts(session, earlier, keys, role)
    _, words_now = termstore.term_counts(session, now, (), role)
    if not words_before or not words_now:
        return []
    rising = []
    for term in period:
        said = term.count if role is None else term.count_by_role.get(role, 0)
        if said < 2 or term.recordings < 2:
            continue
        ratio = ((said + 0.5) / words_now) / ((before[term.lemma] + 0.5) / words_before)
        if ratio >= _RISE:
            rising.append(RisingTerm(term, before[term.lemma], ratio))
    rising.sort(key=lambda r: (-r.ratio, r.term.lemma))
    return rising[:limit]


def hidden_terms(session: Session) -> list[HiddenTerm]:
    """The terms taken out of the reports, most recently hidden first."""
    query = select(HiddenTerm).order_by(HiddenTerm.hidden_at.desc(), HiddenTerm.key)
    return list(session.scalars(query))


def _term_key(text: str) -> str:
    """A term's lemma key as typed or sent: lower case, single spaces."""
    return " ".join(text.split()).lower()


def hide_term(session: Session, key: str, shown_as: str | None = None) -> HiddenTerm:
    """Take a term (its lemma key, as reports give it) out of every report, the API's
    included, until it is shown again: a misheard word ("cero"), or one of no interest.
    Returns the hidden term."""
    key = _term_key(key)
    if not key or len(key) > 400:
        raise InvalidInput(N_("give the term to hide, as the report shows it"))
    key = _key_of_form(session, key)
    row = {"key": key, "term": (shown_as or key).strip()[:400] or key, "hidden_at": utcnow()}
    hiding = insert_on_conflict(session, HiddenTerm).values(**row)
    session.execute(hiding.on_conflict_do_nothing(index_elements=["key"]))  # hidden twice
    session.commit()
    hidden = session.get(HiddenTerm, key)
    if hidden is None:  # shown again by another request in between
        raise NotFound(N_("no hidden term “%(term)s”"), term=key)
    return hidden


def _key_of_form(session: Session, key: str) -> str:
    """The lemma key of a term sent as a report shows it ("panelen" for "paneel"): the key
    itself where it is one, or where no recording said it (hidden before it is heard); else
    the key said most in that form."""
    if session.scalar(select(TermKey.id).where(TermKey.key == key)) is not None:
        return key
    said_as = session.scalar(
        select(TermKey.key)
        .join(TermForm, TermForm.term_id == TermKey.id)
        .where(TermForm.surface == key)
        .order_by(TermForm.count.desc())
        .limit(1)
    )
    return said_as or key


def show_term(session: Session, key: str) -> bool:
    """Put a hidden term back in the reports; False when it was not hidden."""
    row = session.get(HiddenTerm, _term_key(key)) or session.get(
        HiddenTerm, _key_of_form(session, _term_key(key))
    )  # hidden as the report showed it ("panelen"): shown again the same way
    if row is None:
        return False
    session.delete(row)
    session.commit()
    return True


def first_quote_sources(session: Session, terms: Sequence[Term]) -> dict[str, tuple[str, date]]:
    """`quote_sources` of the recordings the terms' first quotes come from (what a
    spreadsheet shows beside the id)."""
    return quote_sources(session, {t.quotes[0].recording_id for t in terms if t.quotes})


def roles_spoken(session: Session, recording_filter: RecordingFilter | None = None) -> set[str]:
    """The roles somebody spoke in, in the recordings the filter covers."""
    covered = _filtered(session, recording_filter or RecordingFilter())
    return termstore.roles_spoken(session, covered)


def recordings_without_roles(
    session: Session, recording_filter: RecordingFilter | None = None, limit: int = 5
) -> tuple[int, list[Recording]]:
    """Recordings with speech nobody has a role for (one speaker, or voices the speaker
    finder could not tell apart): their words count for neither side until a person gives
    the speakers a role. (How many, the first `limit` of them.)"""
    covered = _filtered(session, recording_filter or RecordingFilter())
    count, ids = termstore.recordings_with_role(session, covered, "unknown", limit)
    found = [session.get(Recording, i) for i in ids]
    return count, [r for r in found if r is not None]


def term_trend(
    session: Session,
    terms: Sequence[Term],
    role: str | None = None,
    recording_filter: RecordingFilter | None = None,
) -> termstore.Trend:
    """How often `terms` were said per month in the recordings the filter covers."""
    f = recording_filter or RecordingFilter()
    return termstore.monthly_trend(session, _filtered(session, f), role, [t.lemma for t in terms])


def question_groups(
    session: Session,
    role: str | None = "customer",
    limit: int = 50,
    recording_id: str | None = None,
    recording_filter: RecordingFilter | None = None,
) -> list[QuestionGroup]:
    """Questions asked (by customers by default), grouped by meaning, most asked first."""
    f = recording_filter or RecordingFilter(recording_id=recording_id)
    questions = termstore.recording_questions(
        session, _filtered(session, f), role, _MAX_GROUPED_QUESTIONS
    )
    return group_questions(questions, role=role, limit=limit)


def customer_terms(
    session: Session, limit: int = 100, recording_filter: RecordingFilter | None = None
) -> list[Term]:
    """The customers' terms; everyone's when no speech is attributed to customers yet."""
    f = recording_filter
    return ranked_terms(session, role="customer", limit=limit, recording_filter=f) or (
        ranked_terms(session, limit=limit, recording_filter=f)
    )


MAX_PAGE_WORDS = 20_000  # visible words of a page for suggestions: about 10 s of tagging


def term_embedder(settings: Settings) -> TextEmbedder | None:
    """The embedder for near-synonyms, or None when RIDEALONG_SYNONYMS is off."""
    return synonyms.default_embedder() if settings.synonyms else None


def warm_up(settings: Settings) -> None:
    """Load what the first report needs (the lemmatiser and tagger, the questions' grouping,
    the near-synonyms' embedder: 3-4 s on 2 cores), so that the first person to open it
    after a start does not wait for them. `serve` runs this in the background."""
    questions = [
        Question("warm-up", "Wat kost een warmtepomp per maand?", "customer"),
        Question("warm-up", "Hoeveel kost een warmtepomp?", "customer"),
    ]
    group_questions(questions, role="customer", limit=1)
    for language, text in (("nl", "Een offerte voor zonnepanelen."), ("en", "A quote.")):
        candidate_terms(text, language, frozenset())
    embedder = term_embedder(settings)
    if embedder is not None:
        embedder.encode(["warmtepomp", "zonnepaneel"])


def page_suggestions(
    session: Session,
    page: str,
    *,
    is_html: bool,
    language: str | None = None,
    limit: int = 20,
    embedder: TextEmbedder | None = None,
    recording_filter: RecordingFilter | None = None,
) -> PageSuggestions:
    """What a page lacks of the customers' language; with an `embedder`, also the page's
    words customers never say, with theirs for the same thing. `recording_filter`: compare
    with some conversations only (a heat-pump page with the calls tagged "warmtepomp")."""
    f = recording_filter or RecordingFilter()
    if not page.strip():
        raise InvalidInput(N_("the page copy is empty"))
    words = len((html_to_text(page) if is_html else page).split())
    if words > MAX_PAGE_WORDS:  # tagging runs at ~0.5 ms a word: refuse what would take minutes
        raise InvalidInput(
            N_(
                "the page copy has %(words)s words; the limit is %(limit)s (one page, "
                "not a whole site)"
            ),
            words=f"{words:,}",
            limit=f"{MAX_PAGE_WORDS:,}",
        )
    recordings = _filtered(session, f)
    if recordings is not None and not session.scalar(
        select(func.count()).select_from(recordings.subquery())
    ):  # else "the page uses every customer term": there are none
        raise InvalidInput(
            N_("no analysed conversation matches these filters: choose another tag or dates")
        )
    return suggest_for_page(
        page,
        customer_terms(session, recording_filter=f),
        is_html=is_html,
        language=language,
        limit=limit,
        customer_questions=question_groups(session, role="customer", recording_filter=f),
        embedder=embedder,
        # A page word customers said in any conversation is theirs, not jargon nor a word to
        # replace, whatever period or tag the comparison looks at.
        customer_said=lambda keys: termstore.said_by(session, keys, "customer"),
    )


def spoken_language(session: Session) -> str | None:
    """The language most analysed recordings are in (None before there is one)."""
    row = session.execute(
        select(Recording.language, func.count())
        .where(Recording.status == Status.done, Recording.language.is_not(None))
        .group_by(Recording.language)
        .order_by(func.count().desc(), Recording.language)
        .limit(1)
    ).first()
    return str(row[0]) if row else None


SYNONYM_TERMS = 80  # the report's top terms searched for near-synonyms


def synonym_groups(
    session: Session,
    embedder: TextEmbedder,
    recording_filter: RecordingFilter | None = None,
    limit: int = 20,
    terms: Sequence[Term] | None = None,
) -> list[SynonymGroup]:
    """Near-synonyms among the top terms (everyone's, or `terms` when the caller has them),
    those where customers and salespeople prefer different words first."""
    if terms is None:
        terms = ranked_terms(session, limit=SYNONYM_TERMS, recording_filter=recording_filter)
    if len(terms) < 2:
        return []
    groups = group_synonyms(terms, embed_terms(embedder, terms), parts_embedder=embedder)
    groups.sort(key=lambda g: not g.words_differ)  # stable: strongest first within each
    return groups[:limit]


# --- speakers and voices ---------------------------------------------------------------------


def _with_documents(session: Session, recording_id: str) -> Recording:
    """The recording with its transcript and voice prints as stored now (not as an object
    this session read earlier holds them); NotFound without a transcript."""
    recording = session.scalar(
        select(Recording)
        .where(Recording.id == recording_id)
        .options(undefer(Recording.transcript_json), undefer(Recording.voices_json))
        .execution_options(populate_existing=True)
    )
    if recording is None:
        raise NotFound(N_("no recording with id %(id)s"), id=recording_id)
    if recording.transcript_json is None:
        raise NotFound(
            N_("recording %(id)s has no transcript yet (status: %(status)s)"),
            code="not_ready",  # 404 as before; the code tells "later" from "never"
            id=recording_id,
            status=recording.status,
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
    consent_by: str | None = None,
) -> Transcript:
    """Apply a person's speaker corrections and re-run the analysis of that recording.

    With `enroll`, every named salesperson among the changes is enrolled (or re-enrolled)
    as a voice profile from this recording, so later recordings recognise them.
    """
    recording = locked_recording(session, recording_id)  # no other correction in between
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
        check_voice_name(speaker.name or "")
    if settings.redact_pii:  # a name just given must not stay in the text either
        after = redact_transcript(after, _people(recording))
    recording.transcript_json = json.dumps(after.to_dict(), ensure_ascii=False)
    fill_salesperson(recording, after)
    recount_terms(session, recording, after)
    recording.updated_at = utcnow()
    _drop_voice_prints(recording, {c.id for c in changes if c.merge_into})
    session.commit()
    for speaker in to_enroll:
        enroll_from_recording(
            session, recording.id, speaker.id, speaker.name or "", speaker.role,
            consent_by,
        )  # fmt: skip
    notify_in_background(settings, ANALYSED, analysed_payload(recording.id, after))
    return after


def locked_recording(session: Session, recording_id: str) -> Recording:
    """The recording, with its documents, read under its row lock (`lock_recording`): what a
    read-change-write of its transcript starts from."""
    lock_recording(session, recording_id)
    return _with_documents(session, recording_id)


def _drop_voice_prints(recording: Recording, speaker_ids: Collection[str]) -> None:
    """The voice prints of speakers who are gone (merged, left without lines, unnamed) go
    with them."""
    voices = _voices(recording)
    if set(speaker_ids) & set(voices):
        recording.voices_json = json.dumps(
            {k: v for k, v in voices.items() if k not in speaker_ids}
        )


def lock_recording(session: Session, recording_id: str) -> None:
    """Hold the recording's row until this transaction ends (PostgreSQL's row lock, SQLite's
    write lock): a read-change-write of its transcript (a correction, an erasure) then
    never writes back over another one that committed in between."""
    session.execute(
        update(Recording).where(Recording.id == recording_id).values(updated_at=utcnow())
    )


def _line_changed(index: int) -> Conflict:
    return Conflict(
        N_(
            "line %(n)s has changed since it was read (corrected, or a line before it "
            "removed): read the transcript again"
        ),
        code="line_changed",
        n=index,
    )


def correct_lines(
    session: Session,
    settings: Settings,
    recording_id: str,
    changes: Mapping[int, str],
    expected: Mapping[int, str] | None = None,
    moves: Mapping[int, str] | None = None,
    new_role: Role = "unknown",
) -> Transcript:
    """Apply a person's corrections of transcript lines ({line index: its text}; an empty
    text removes a line that was never said), and of who said them (`moves`, {line index:
    speaker id or NEW_SPEAKER}, see `transcribe.move_lines`), then count the recording's
    terms again. All or nothing: a wrong index, speaker or a too-long line changes none.
    `expected` holds what the lines said when the person read them: a line that has changed
    since (another correction, an earlier line removed) is refused (Conflict), not
    overwritten."""
    recording = locked_recording(session, recording_id)
    before = Transcript.from_dict(json.loads(recording.transcript_json or "{}"))
    moves = moves or {}
    for index in sorted({*changes, *moves}):
        if not 0 <= index < len(before.segments) and (expected or {}).get(index) is not None:
            raise _line_changed(index)  # it was read, so it was there: lines went before it
        if not 0 <= index < len(before.segments):
            raise NotFound(
                N_("this recording has no line %(n)s (it has %(count)s)"),
                n=index,
                count=len(before.segments),
            )
        was = (expected or {}).get(index)
        if was is not None and " ".join(was.split()) != " ".join(
            before.segments[index].text.split()
        ):
            raise _line_changed(index)
    for text in changes.values():
        if len(text) > MAX_LINE_CHARS:
            raise InvalidInput(N_("a line has at most %(n)s characters"), n=MAX_LINE_CHARS)
    if NEW_SPEAKER in moves.values():  # "Jansen" stays Jansen beside a second customer
        before = _with_upload_names(before, recording)
    try:  # moved first: the indices are the lines as read, before any is removed
        moved = move_lines(before, moves, new_role) if moves else before
    except ValueError as e:
        raise InvalidInput(str(e)) from e
    segments = [
        correct_segment(segment, changes[i]) if i in changes else segment
        for i, segment in enumerate(moved.segments)
    ]
    after = replace(moved, segments=tuple(s for s in segments if s.text))
    if settings.redact_pii:  # a name typed into a line must not stay in it either
        after = redact_transcript(after, _people(recording))
    recording.transcript_json = json.dumps(after.to_dict(), ensure_ascii=False)
    recount_terms(session, recording, after)
    recording.updated_at = utcnow()
    _drop_voice_prints(recording, {s.id for s in before.speakers} - {s.id for s in after.speakers})
    session.commit()
    notify_in_background(settings, ANALYSED, analysed_payload(recording.id, after))
    return after


def delete_voice(session: Session, name: str) -> bool:
    """Forget a person's voice: their profile, and their voice print in every recording
    that names them, so that it cannot be enrolled again from an old recording (biometric
    data goes when its person asks). False when there was neither."""
    name = voice_called(session, name) or " ".join(name.split())  # as the profile writes it
    deleted = remove_voice(session, name)
    # Committed before the prints are looked for: a job storing its results meanwhile then
    # either sees the profile gone (and keeps no print) or has committed, so its print is
    # found below. On PostgreSQL, one transaction would leave the job's print in place.
    session.commit()
    return erase_voice_prints(session, name) > 0 or deleted


def without_recognised(transcript: Transcript, names: Collection[str]) -> Transcript:
    """The transcript with the speakers a voice profile named `names` no longer named (nor
    their voice prints): the profile was deleted, perhaps at the person's request, while a
    job that had loaded it ran."""
    if not any(s.name in names for s in transcript.speakers):
        return transcript
    speakers = tuple(
        replace(s, name=None, voice=None) if s.name in names else s for s in transcript.speakers
    )
    return replace(transcript, speakers=speakers)


def unname_recognised(session: Session, recording_id: str, names: Collection[str]) -> None:
    """`without_recognised`, on a stored recording (its row locked while it changes), with
    the voice prints of those speakers dropped."""
    recording = locked_recording(session, recording_id)
    before = Transcript.from_dict(json.loads(recording.transcript_json or "{}"))
    gone = {s.id for s in before.speakers if s.name in names}
    if gone:
        after = without_recognised(before, names)
        recording.transcript_json = json.dumps(after.to_dict(), ensure_ascii=False)
        _drop_voice_prints(recording, gone)
        if recording.salesperson in names:  # filled in from the voice (`fill_salesperson`)
            recording.salesperson = None
    session.commit()


def same_name(said: str | None, name: str) -> bool:
    """One person's name in any capitals ("jan de vries" typed on a speaker form), and with
    any spaces between its parts (a non-breaking one pasted from an e-mail)."""
    return (
        said is not None and " ".join(said.split()).casefold() == " ".join(name.split()).casefold()
    )


def erase_voice_prints(session: Session, name: str, recording_id: str | None = None) -> int:
    """Drop the voice prints of the speakers named `name`, in any capitals (in one
    recording, or in all); how many recordings had one."""
    query = (
        select(Recording)
        .where(
            Recording.voices_json.is_not(None),
            may_hold(Recording.transcript_json, name),
        )
        .options(undefer(Recording.transcript_json), undefer(Recording.voices_json))
    )
    if recording_id is not None:
        query = query.where(Recording.id == recording_id)
    named = session.scalars(query).all()
    erased = 0
    for recording in named:
        transcript = Transcript.from_dict(json.loads(recording.transcript_json or "{}"))
        theirs = {s.id for s in transcript.speakers if same_name(s.name, name)}
        voices = _voices(recording)
        if theirs & voices.keys():
            kept = {k: v for k, v in voices.items() if k not in theirs}
            recording.voices_json = json.dumps(kept) if kept else None
            erased += 1
    session.commit()
    if erased:
        checkpoint_wal(session)
    return erased


def check_voice_name(name: str) -> None:
    """A name a new voice profile may take (InvalidInput), checked before anything changes."""
    try:
        check_new_profile_name(name)
    except ValueError as e:
        raise InvalidInput.saying(e) from e


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


def voiced_speakers(session: Session, recording_id: str) -> set[str]:
    """The speakers of a recording whose voice was kept, so it can be enrolled from them."""
    recording = session.scalar(
        select(Recording)
        .where(Recording.id == recording_id)
        .options(undefer(Recording.voices_json))
    )
    return set(_voices(recording)) if recording is not None else set()


def _voices(recording: Recording) -> dict[str, list[float]]:
    try:
        voices = json.loads(recording.voices_json or "{}")
    except ValueError:
        return {}
    return voices if isinstance(voices, dict) else {}


def enroll_from_recording(
    session: Session,
    recording_id: str,
    speaker: str,
    name: str,
    role: str = "salesperson",
    consent_by: str | None = None,
) -> VoiceProfile:
    """Save the voice of `speaker` in a processed recording as `name`'s profile."""
    check_voice_name(name)
    chosen = _person_role(role)
    voice = _voices(_with_documents(session, recording_id)).get(speaker)
    if not voice:
        raise InvalidInput(_no_voice(recording_id, speaker))
    try:
        profile = _enrolled(
            VoiceProfile(name, np.asarray(voice, dtype=np.float32), chosen), consent_by
        )
        return save_voice(session, profile)
    except ValueError as e:
        raise InvalidInput(str(e)) from e


VOICE_SAMPLE_S = 600  # of each file a voice is enrolled from: plenty for a profile


def _enrolled(profile: VoiceProfile, consent_by: str | None) -> VoiceProfile:
    """The profile with when it was enrolled and who confirmed the person agreed."""
    return replace(profile, consent_by=consent_by, enrolled_at=utcnow().isoformat())


def enroll_from_audio(
    session: Session,
    name: str,
    files: Sequence[BinaryIO],
    role: str = "salesperson",
    filenames: Sequence[str] = (),
    consent_by: str | None = None,
) -> tuple[VoiceProfile, tuple[str, ...]]:
    """Enrol a voice from uploaded recordings of one person alone (`filenames`, where
    known, name a file that cannot be read; `consent_by`: who confirmed they agreed). With
    the profile, cautions about its sample (`enrollment_cautions`): saved all the same."""
    check_voice_name(name)
    recordings = []
    for at, file in enumerate(files):
        try:
            # The beginning only: a file of hours must not be decoded whole into memory.
            recordings.append(decode_audio(file, max_s=VOICE_SAMPLE_S))
        except AudioDecodeError as e:
            if at >= len(filenames):
                raise InvalidInput.saying(e, code="unreadable_audio") from e
            raise InvalidInput(
                N_("%(file)s is not an audio file we can read: %(reason)s"),
                code="unreadable_audio",
                file=safe_filename(filenames[at]),
                reason=e.reason,
            ) from e
    try:
        profile, check = enroll_checked(name, recordings, role=_person_role(role))
    except ValueError as e:  # no speech, a bad name
        raise InvalidInput.saying(e) from e
    return save_voice(session, _enrolled(profile, consent_by)), enrollment_cautions(check)


SHORT_SAMPLE = N_(
    "this voice profile was made from less than 20 seconds of speech: recognition is surer "
    "from half a minute or more, so enrol this person again with more recordings"
)
MIXED_SAMPLE = N_(
    "a recording seems to hold another voice too: a profile should come from recordings of "
    "this person alone, or other people may get their name"
)


def enrollment_cautions(check: EnrollmentCheck) -> tuple[str, ...]:
    """What to tell the person who enrolled a voice about its sample (messages to translate)."""
    return (SHORT_SAMPLE,) * check.too_little_speech + (MIXED_SAMPLE,) * check.other_voice


def voice_called(session: Session, name: str) -> str | None:
    """The name, as written, of the voice profile `name` is (in any capitals): a new one
    would replace it. None when there is none."""
    profile = find_voice(session, name)
    return profile.name if profile is not None else None


def voice_exists(session: Session, name: str) -> bool:
    """Whether a voice profile is called `name` (a new one would replace it)."""
    return voice_called(session, name) is not None


def after_upgrade(session: Session, settings: Settings) -> None:
    """What a new version finds to do in an older setup's data, once per server or worker
    start: statistics for recordings analysed before they existed, and voice profiles kept
    as files before they moved into the database."""
    termstore.store_missing(session)
    import_voice_files(session, settings.voices_dir)


def drop_audio(session: Session, blobs: BlobStore, recording: Recording) -> None:
    """Delete a recording's audio and what came from it (its speakers' voice prints, a
    failed job's partial text); its transcript, terms and quotes stay. Committed."""
    key = recording.blob_key
    if key is not None:
        recording.blob_key = None
        recording.audio_deleted_at = utcnow()
    recording.voices_json = None
    recording.checkpoint_json = None
    session.commit()
    _release_blob(session, blobs, key)


def apply_retention(session: Session, blobs: BlobStore, days: int) -> int:
    """Delete the audio and the voice prints of recordings transcribed (or failed) more
    than `days` ago (0: keep all).

    The transcript, terms and quotes stay; the player goes, and so do the speakers' voice
    embeddings, which come from the audio (biometric data). A failed recording also loses
    the partial transcript its job left. Audio another recording still needs is kept until
    that one's time is up too. Returns how many recordings lost audio.
    """
    if days <= 0:
        return 0
    cutoff = utcnow() - timedelta(days=days)
    past = or_(
        and_(Recording.status == Status.done, Recording.transcribed_at < cutoff),
        and_(Recording.status == Status.failed, Recording.updated_at < cutoff),
    )
    expired = session.scalars(
        select(Recording)
        .where(Recording.blob_key.is_not(None), past)
        .options(undefer(Recording.voices_json), undefer(Recording.checkpoint_json))
    ).all()
    for recording in expired:  # cleared here too: saving moves a failed one past `past`
        drop_audio(session, blobs, recording)
    # Voice prints and partial text whose audio went earlier (before voice prints went
    # with it, or another way) go too.
    kept = or_(Recording.voices_json.is_not(None), Recording.checkpoint_json.is_not(None))
    left = session.execute(
        update(Recording)
        .where(past, kept)
        .values(voices_json=None, checkpoint_json=None)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.commit()
    if expired or left:
        checkpoint_wal(session)
    return len(expired)


def reanalyze(session: Session, recording_id: str | None = None) -> int:
    """Recount terms and questions of processed recordings from their stored transcripts.

    For after an upgrade that changed the analysis (no speech recognition runs again).
    Redoing them all also sets every term's general frequency again, from the first
    recording (by upload) that says it, as it was set when first heard.
    Returns how many recordings were redone.
    """
    query = select(Recording.id).where(
        Recording.status == Status.done, Recording.transcript_json.is_not(None)
    )
    refreshed: set[str] | None = set()
    if recording_id is not None:
        get_recording(session, recording_id)
        query = query.where(Recording.id == recording_id)
        refreshed = None  # one recording does not decide a term that others said first
    query = query.order_by(Recording.created_at, Recording.id)
    done = 0
    for one in session.scalars(query).all():
        # Read under its lock, one at a time: a correction or an erasure that committed
        # since the list was made is what gets counted, never an older transcript.
        try:
            recording = locked_recording(session, one)
        except NotFound:
            recording = None
        if recording is None or recording.status != Status.done:
            session.rollback()  # deleted, or being transcribed again, meanwhile
            continue
        transcript = Transcript.from_dict(json.loads(recording.transcript_json or "{}"))
        recount_terms(session, recording, transcript, refreshed)
        session.commit()
        done += 1
    return done
