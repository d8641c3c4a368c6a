"""Background jobs: a persistent Huey queue, and the job that turns a recording into results.

The queue only carries recording ids; the state of every job (status, progress, attempts,
error) lives in our own database, which stays the source of truth: Huey pops a task before
running it, so on start the embedded worker re-enqueues whatever our database says is
unfinished.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from huey import Huey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy import select, update

from analyze import count_terms, utterances_from_transcript
from api import termstore
from api.db import Database, Recording, Status, utcnow
from api.settings import Settings
from api.storage import LocalBlobStore
from api.webhooks import ANALYSED, analysed_payload, notify
from models import ModelError
from transcribe import (
    Checkpoint,
    TranscriptionError,
    VoiceProfileStore,
    redact_transcript,
    transcribe,
)

logger = logging.getLogger(__name__)

__all__ = ["JobQueue", "process_recording"]

_PROGRESS_EVERY_S = 1.0  # write progress to the database at most this often


class RecordingGone(Exception):
    """The recording was deleted while its job ran."""


def _set(database: Database, recording_id: str, **values: Any) -> bool:
    with database.session.begin() as session:
        result = session.execute(
            update(Recording).where(Recording.id == recording_id).values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _checkpoint(document: str | None, model: str) -> Checkpoint | None:
    """The stored checkpoint, if it was made with the same model and still reads."""
    if not document:
        return None
    try:
        data = json.loads(document)
        return Checkpoint.from_dict(data) if data.get("model") == model else None
    except (ValueError, KeyError, TypeError):
        logger.warning("ignoring an unreadable checkpoint")
        return None


def process_recording(settings: Settings, database: Database, recording_id: str) -> None:
    """Transcribe and analyse one recording; idempotent (a re-run replaces its outputs)."""
    with database.session() as session:
        recording = session.get(Recording, recording_id)
        if recording is None:
            logger.info("recording %s was deleted before its job ran", recording_id)
            return
        if recording.blob_key is None:
            return
        audio_path = LocalBlobStore(settings.blob_dir).path(recording.blob_key)
        language = recording.language_requested
        glossary = recording.glossary
        people = [name for name in (recording.salesperson, recording.customer) if name]
        resume = _checkpoint(recording.checkpoint_json, settings.model)
        attempts = recording.attempts + 1
    if attempts > settings.max_attempts:
        # Earlier tries died with the process (out of memory, killed): do not loop forever.
        _set(
            database,
            recording_id,
            status=Status.failed,
            error=f"gave up after {settings.max_attempts} attempts that did not finish",
        )
        return
    _set(
        database,
        recording_id,
        status=Status.processing,
        progress=0.0,
        error=None,
        attempts=attempts,
    )

    last_write = 0.0

    def on_progress(fraction: float) -> None:
        nonlocal last_write
        now = time.monotonic()
        if now - last_write >= _PROGRESS_EVERY_S:
            last_write = now
            # Transcription is most of the work; analysis takes the last 5 %.
            if not _set(database, recording_id, progress=round(0.95 * fraction, 3)):
                raise RecordingGone(recording_id)

    def on_checkpoint(checkpoint: Checkpoint) -> None:
        # Written after each chunk of a long recording: a killed job resumes from here.
        document = {"model": settings.model, **checkpoint.to_dict()}
        if not _set(
            database, recording_id, checkpoint_json=json.dumps(document, ensure_ascii=False)
        ):
            raise RecordingGone(recording_id)

    try:
        options = settings.transcribe_options(language, glossary)
        if resume is not None:
            logger.info("recording %s resumes at %.0f s", recording_id, resume.done_s)
        transcript = transcribe(
            audio_path,
            options,
            on_progress,
            resume=resume,
            on_checkpoint=on_checkpoint,
            profiles=VoiceProfileStore(settings.voices_dir).list(),
        )
        if settings.redact_pii:  # before anything is stored or counted
            transcript = redact_transcript(transcript, people)
        utterances = utterances_from_transcript(transcript, recording_id)
        terms = count_terms(utterances, recording_id)
    except RecordingGone:
        logger.info("recording %s was deleted while processing", recording_id)
        return
    except (TranscriptionError, ModelError) as e:
        logger.warning("recording %s failed: %s", recording_id, e)
        _set(database, recording_id, status=Status.failed, error=str(e), progress=0.0)
        return
    except Exception as e:
        logger.exception("recording %s failed unexpectedly", recording_id)
        _set(
            database,
            recording_id,
            status=Status.failed,
            error=f"internal error ({type(e).__name__}); see the server log",
        )
        return
    with database.session.begin() as session:
        recording = session.get(Recording, recording_id)
        if recording is None:
            logger.info("recording %s was deleted while processing", recording_id)
            return
        recording.status = Status.done
        recording.progress = 1.0
        recording.transcribed_at = utcnow()
        recording.language = transcript.language
        recording.duration_s = transcript.duration_s
        recording.model = transcript.model
        recording.transcript_json = json.dumps(transcript.to_dict(), ensure_ascii=False)
        recording.checkpoint_json = None
        recording.voices_json = json.dumps({s.id: s.voice for s in transcript.speakers if s.voice})
        recording.updated_at = utcnow()
        # The statistics reports are queried from, in the same transaction as "done".
        termstore.store_analysis(session, recording, terms, utterances)
    logger.info("recording %s done (%.1f s of audio)", recording_id, transcript.duration_s)
    notify(settings, ANALYSED, analysed_payload(recording_id, transcript))


class _EmbeddedConsumer(Consumer):
    """Huey's consumer without signal handlers: inside `serve`, uvicorn owns the signals."""

    def _set_signal_handlers(self) -> None:
        pass


class JobQueue:
    """The Huey queue of one service; `enqueue` from requests, `start_worker` in `serve`."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.huey: Huey = SqliteHuey(
            name="ridealong", filename=str(settings.queue_path), results=False, utc=True
        )
        self._task = self.huey.task(name="process_recording")(self._run)
        # Hourly, in every worker: deleting expired audio twice does no harm.
        self.huey.periodic_task(crontab(minute="7"), name="apply_retention")(self.apply_retention)
        self._consumer: Consumer | None = None
        self._lock = threading.Lock()

    def _run(self, recording_id: str) -> None:
        process_recording(self.settings, self.database, recording_id)

    def apply_retention(self) -> int:
        """Delete audio past RIDEALONG_RETENTION_DAYS (see `service.apply_retention`)."""
        if self.settings.retention_days <= 0:
            return 0
        from api.service import apply_retention

        with self.database.session() as session:
            deleted = apply_retention(
                session, LocalBlobStore(self.settings.blob_dir), self.settings.retention_days
            )
        if deleted:
            logger.info("deleted the audio of %d recording(s) past retention", deleted)
        return deleted

    def enqueue(self, recording_id: str) -> None:
        self._task(recording_id)

    def requeue_unfinished(self) -> int:
        """Put every queued or interrupted recording back on an emptied queue."""
        self.huey.flush()
        with self.database.session() as session:
            ids = session.scalars(
                select(Recording.id)
                .where(Recording.status.in_([Status.queued, Status.processing]))
                .order_by(Recording.created_at)
            ).all()
        for recording_id in ids:
            _set(self.database, recording_id, status=Status.queued, progress=0.0)
            self.enqueue(recording_id)
        return len(ids)

    @property
    def worker_running(self) -> bool:
        return self._consumer is not None

    def start_worker(self) -> None:
        with self._lock:
            if self._consumer is not None:
                return
            requeued = self.requeue_unfinished()
            if requeued:
                logger.info("re-enqueued %d unfinished recording(s)", requeued)
            self.apply_retention()
            consumer = _EmbeddedConsumer(
                self.huey,
                workers=self.settings.worker_threads,
                worker_type="thread",
                periodic=True,  # the hourly retention check
                check_worker_health=False,
                initial_delay=0.1,
                max_delay=1.0,
            )
            consumer.start()
            self._consumer = consumer

    def stop_worker(self) -> None:
        with self._lock:
            if self._consumer is not None:
                self._consumer.stop(graceful=False)
                self._consumer = None
