"""Background jobs: a Huey queue (a SQLite file, or Redis for workers on several machines), and
the job that turns a recording into results.

The queue only carries recording ids; the state of every job lives in our database, the source
of truth. A worker *claims* a job with one conditional UPDATE and holds a lease on it by
heartbeat; only the lease holder may store results, in one transaction with "done". A worker
that dies (SIGKILL, out of memory, a lost machine) stops beating; once its lease has run out
(RIDEALONG_JOB_LEASE_S), any worker's reaper puts the job back on the queue and the next run
resumes from its checkpoint. A job may so run twice, but its results are stored exactly once.
Messages the queue lost (Redis restarted without persistence, a failed enqueue) are sent again
from the database when the queue is empty.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy import DateTime, and_, func, or_, select, update
from sqlalchemy.orm import Session

from analyze import count_terms, utterances_from_transcript
from api import termstore
from api.db import DATABASE_DOWN, Database, Recording, Status, as_utc, utcnow
from api.service import (
    fill_salesperson,
    list_voices,
    people_in,
    unname_recognised,
    without_recognised,
)
from api.settings import Settings
from api.storage import blob_store
from api.webhooks import ANALYSED, FAILED, analysed_payload, failed_payload, notify
from models import ModelError
from transcribe import (
    Checkpoint,
    Transcript,
    TranscriptionError,
    redact_transcript,
    transcribe,
)
from transcribe.texts import N_, Text

logger = logging.getLogger(__name__)

__all__ = ["JobQueue", "claim_job", "make_huey", "process_recording", "recover_jobs"]

_PROGRESS_EVERY_S = 1.0  # write progress to the database at most this often
_DATABASE_RETRY_S = 120.0  # how long storing a job's results waits for the database to return

T = TypeVar("T")


class JobLost(Exception):
    """The recording was deleted, or another worker took its job over, while it ran."""


_STALLED_S = 1800.0  # a job that reports no progress this long stops renewing its lease


def _process_space() -> str:
    """This host's boot and PID namespace: containers that share a host name (or a host) do
    not share it, so a process id is only compared within one process space."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return f"{socket.gethostname()[:50]}/?"
    return f"{socket.gethostname()[:50]}/{boot}/{namespace}"


def worker_identity() -> str:
    """Who holds a lease: its process space and process id (so a restarted worker can see
    its dead jobs at once), and a random part that makes each claim unique."""
    return f"{_process_space()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _holder_died(claimed_by: str | None) -> bool:
    """Whether a lease belongs to a process of this process space that no longer runs."""
    try:
        space, pid, _ = (claimed_by or "").rsplit(":", 2)
        if space != _process_space() or space.endswith("/?"):
            return False
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (ValueError, OSError):
        return False
    return False


def _now(database: Database) -> Any:
    """The time leases are written and compared in: PostgreSQL's clock, shared by workers on
    several machines whose own clocks may drift; this machine's for SQLite (one machine)."""
    if database.engine.dialect.name == "postgresql":
        return func.clock_timestamp(type_=DateTime(timezone=True))
    return utcnow()


def _now_value(database: Database) -> datetime:
    """`_now` as a value, read from the database where it keeps the clock."""
    now = _now(database)
    if isinstance(now, datetime):
        return now
    with database.session() as session:
        value: datetime = session.execute(select(now)).scalar_one()
        return as_utc(value)


def _update_if(database: Database, recording_id: str, conditions: list[Any], **values: Any) -> bool:
    """Update one recording if `conditions` hold, in a transaction of its own; whether it did
    (a conditional UPDATE: of several workers trying at once, at most one succeeds)."""
    with database.session.begin() as session:
        result = session.execute(
            update(Recording).where(Recording.id == recording_id, *conditions).values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _set_held(database: Database, recording_id: str, token: str, **values: Any) -> bool:
    """Update the recording only while `token` still holds its job; whether it did."""
    return _update_if(database, recording_id, [Recording.claimed_by == token], **values)


def _retrying(write: Callable[[], T], what: str) -> T:
    """Run a database write, waiting out a database restart (up to _DATABASE_RETRY_S)."""
    deadline = time.monotonic() + _DATABASE_RETRY_S
    delay_s = 0.5
    while True:
        try:
            return write()
        except DATABASE_DOWN as e:
            if time.monotonic() + delay_s > deadline:
                raise
            logger.warning("database unavailable (%s); %s again in %.1f s", e, what, delay_s)
            time.sleep(delay_s)
            delay_s = min(2 * delay_s, 10.0)


def claim_job(database: Database, recording_id: str, token: str, lease_s: float) -> int | None:
    """Take a recording's job if it waits or its lease ran out: the attempt number, or None
    when it is done, deleted, or held by a live worker (one conditional UPDATE: of workers
    racing for the same job, exactly one wins)."""
    now = _now(database)
    with database.session.begin() as session:
        attempts = session.execute(
            update(Recording)
            .where(
                Recording.id == recording_id,
                Recording.blob_key.is_not(None),
                or_(
                    Recording.status == Status.queued,
                    and_(
                        Recording.status == Status.processing,
                        or_(
                            Recording.heartbeat_at.is_(None),
                            Recording.heartbeat_at < now - timedelta(seconds=lease_s),
                        ),
                    ),
                ),
            )
            .values(
                status=Status.processing,
                claimed_by=token,
                heartbeat_at=now,
                attempts=Recording.attempts + 1,
                progress=0.0,
                error=None,
                error_text_json=None,
            )
            .returning(Recording.attempts)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
    return attempts


def recover_jobs(
    database: Database, lease_s: float, queue_empty: bool, expire_leases: bool = True
) -> list[str]:
    """The recordings whose job must be sent again: those whose lease ran out or whose worker
    died, and, when the queue is empty, those that waited a lease's length (the queue lost
    them). Each is marked so that one reaper of many sends it. `expire_leases=False` (just
    after a database outage, when no worker could beat) only takes jobs of dead processes."""
    now = _now_value(database)
    expired = now - timedelta(seconds=lease_s)
    resend: list[str] = []
    with database.session() as session:
        held = session.execute(
            select(Recording.id, Recording.claimed_by, Recording.heartbeat_at).where(
                Recording.status == Status.processing
            )
        ).all()
        waiting: list[str] = []
        if queue_empty:
            waiting = list(
                session.scalars(
                    select(Recording.id).where(
                        Recording.status == Status.queued, Recording.updated_at < expired
                    )
                )
            )
    for recording_id, claimed_by, heartbeat_at in held:
        conditions = [
            Recording.status == Status.processing,
            Recording.claimed_by.is_(None)
            if claimed_by is None
            else Recording.claimed_by == claimed_by,
        ]
        died = _holder_died(claimed_by)
        silent = expire_leases and (heartbeat_at is None or as_utc(heartbeat_at) < expired)
        if not (died or silent):
            continue
        if not died:  # still silent at the moment of the update, not only when it was read
            conditions.append(
                or_(Recording.heartbeat_at.is_(None), Recording.heartbeat_at < expired)
            )
        if _update_if(
            database,
            recording_id,
            conditions,
            status=Status.queued,
            claimed_by=None,
            heartbeat_at=None,
            progress=0.0,
        ):
            logger.warning("recording %s: its worker stopped reporting; queued again", recording_id)
            resend.append(recording_id)
    for recording_id in waiting:
        still_waiting = [Recording.status == Status.queued, Recording.updated_at < expired]
        if _update_if(database, recording_id, still_waiting, updated_at=now):
            logger.warning("recording %s waited with an empty queue; sent again", recording_id)
            resend.append(recording_id)
    return resend


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


class _Lease:
    """Beats a claimed job's heartbeat from a thread while it runs; `lost` is set when the
    claim is gone (the recording deleted, or the job given to another worker)."""

    def __init__(self, database: Database, recording_id: str, token: str, lease_s: float):
        self.database, self.recording_id, self.token = database, recording_id, token
        self.interval_s = lease_s / 4
        self.lost = threading.Event()
        self.progressed = time.monotonic()  # set by the job whenever it reports progress
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="job-lease", daemon=True)

    def __enter__(self) -> _Lease:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopped.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stopped.wait(self.interval_s):
            if time.monotonic() - self.progressed > _STALLED_S:
                # Hung (a stuck decoder): let the lease run out so another worker redoes it.
                logger.error("recording %s made no progress for %.0f s; giving its job up",
                             self.recording_id, _STALLED_S)  # fmt: skip
                return
            try:
                held = _set_held(
                    self.database, self.recording_id, self.token, heartbeat_at=_now(self.database)
                )
            except Exception as e:  # the lease may run out; then another worker takes over
                logger.warning("heartbeat of recording %s failed: %s", self.recording_id, e)
                continue
            if not held:
                self.lost.set()
                return


def process_recording(settings: Settings, database: Database, recording_id: str) -> None:
    """Transcribe and analyse one recording if this worker can claim its job (see the module
    docstring); a re-run replaces its outputs."""
    token = worker_identity()
    attempts = claim_job(database, recording_id, token, settings.job_lease_s)
    if attempts is None:
        logger.info("recording %s: deleted, done or held by a live worker", recording_id)
        return
    with database.session() as session:
        recording = session.get(Recording, recording_id)
        if recording is None:
            return
        job = _ClaimedJob(
            recording_id=recording_id,
            token=token,
            blob_key=recording.blob_key or "",
            language=recording.language_requested,
            glossary=recording.glossary,
            people=[name for name in (recording.salesperson, recording.customer) if name],
            resume=_checkpoint(recording.checkpoint_json, settings.model),
        )
    if attempts > settings.max_attempts:
        # Earlier tries died with the process (out of memory, killed): do not loop forever.
        gave_up = Text(
            N_("gave up after %(attempts)d attempts"), {"attempts": settings.max_attempts}
        )
        _fail(database, settings, recording_id, token, gave_up)
        return
    with _Lease(database, recording_id, token, settings.job_lease_s) as lease:
        _run(settings, database, job, lease)


def _fail(
    database: Database, settings: Settings, recording_id: str, token: str, error: Text
) -> None:
    """Mark the job failed while it is still ours, and tell the webhook."""
    marked = _retrying(
        lambda: _set_held(
            database,
            recording_id,
            token,
            status=Status.failed,
            error=str(error),
            error_text_json=error.to_json(),
            progress=0.0,
            claimed_by=None,
            heartbeat_at=None,
        ),
        "marking a failed job",
    )
    if marked:
        notify(settings, FAILED, failed_payload(recording_id, str(error)))


@dataclass(frozen=True)
class _ClaimedJob:
    """A claimed job and what it needs of its recording's row, read once."""

    recording_id: str
    token: str
    blob_key: str
    language: str
    glossary: str | None
    people: list[str]
    resume: Checkpoint | None


def _run(settings: Settings, database: Database, job: _ClaimedJob, lease: _Lease) -> None:
    recording_id, token, resume = job.recording_id, job.token, job.resume
    # Under the lease, with no database connection held: from a bucket this is a download.
    audio_path = blob_store(settings).path(job.blob_key)
    last_write = 0.0

    def write_held(**values: Any) -> None:
        """Progress and checkpoints: a database outage only delays them; a lost claim ends
        the job."""
        if lease.lost.is_set():
            raise JobLost(recording_id)
        lease.progressed = time.monotonic()
        try:
            held = _set_held(database, recording_id, token, heartbeat_at=_now(database), **values)
        except DATABASE_DOWN as e:
            logger.warning("recording %s: progress not saved (%s)", recording_id, e)
            return
        if not held:
            raise JobLost(recording_id)

    def on_progress(fraction: float) -> None:
        nonlocal last_write
        now = time.monotonic()
        if now - last_write >= _PROGRESS_EVERY_S:
            last_write = now
            # Transcription is most of the work; analysis takes the last 5 %.
            write_held(progress=round(0.95 * fraction, 3))
            with contextlib.suppress(OSError):  # in use: no cache tidy may take it (S3)
                os.utime(audio_path)

    def on_checkpoint(checkpoint: Checkpoint) -> None:
        # Written after each chunk of a long recording: a killed job resumes from here.
        if settings.redact_pii:  # this too is stored
            partial = Transcript(checkpoint.language, checkpoint.done_s, settings.model,
                                 checkpoint.segments)  # fmt: skip
            segments = redact_transcript(partial, job.people).segments
            checkpoint = replace(checkpoint, segments=segments)
        document = {"model": settings.model, **checkpoint.to_dict()}
        write_held(checkpoint_json=json.dumps(document, ensure_ascii=False))

    try:
        # The upload was checked by its header; a file that holds more than it said stops here.
        options = replace(
            settings.transcribe_options(job.language, job.glossary),
            max_duration_s=settings.max_audio_hours * 3600,
        )
        if resume is not None:
            logger.info("recording %s resumes at %.0f s", recording_id, resume.done_s)
        with database.session() as session:
            profiles = list_voices(session)
        transcript = transcribe(
            audio_path,
            options,
            on_progress,
            resume=resume,
            on_checkpoint=on_checkpoint,
            profiles=profiles,
        )
        if settings.redact_pii:  # before anything is stored or counted
            transcript = redact_transcript(transcript, job.people)
        utterances = utterances_from_transcript(transcript, recording_id)
        people = [*job.people, *(s.name for s in transcript.speakers if s.name)]
        terms = count_terms(utterances, recording_id, people=people)
    except JobLost:
        logger.info("recording %s was deleted or taken over while processing", recording_id)
        return
    except (TranscriptionError, ModelError) as e:
        logger.warning("recording %s failed: %s", recording_id, e)
        _fail(
            database,
            settings,
            recording_id,
            token,
            e.text if isinstance(e, TranscriptionError) else Text(str(e)),
        )
        return
    except Exception as e:
        logger.exception("recording %s failed unexpectedly", recording_id)
        internal = Text(N_("internal error (%(kind)s); see the log"), {"kind": type(e).__name__})
        _fail(database, settings, recording_id, token, internal)
        return

    final = [transcript]  # as stored: names given meanwhile redacted too

    def deleted_meanwhile(session: Session) -> set[str]:
        """The voice profiles deleted since this job named its speakers."""
        return {p.name for p in profiles} - {p.name for p in list_voices(session)}

    def store() -> bool:
        stored, spoken, counted = transcript, utterances, terms
        with database.session.begin() as session:
            # Still ours? The first statement writes, so it takes the row lock (PostgreSQL)
            # or the database's write lock (SQLite) until "done" is committed.
            still_held = session.execute(
                update(Recording)
                .where(Recording.id == recording_id, Recording.claimed_by == token)
                .values(heartbeat_at=_now(database))
            ).rowcount  # type: ignore[attr-defined]
            recording = session.get(Recording, recording_id)
            if not still_held or recording is None:
                return False
            # Names given while it was transcribed are no terms either (nor, with redaction,
            # in the text): count again with them.
            people_now = people_in(recording, stored)
            if sorted(people_now) != sorted(people):
                if settings.redact_pii:
                    stored = redact_transcript(stored, people_now)
                    spoken = utterances_from_transcript(stored, recording_id)
                counted = count_terms(spoken, recording_id, people=people_now)
            # A voice profile deleted while this job ran (perhaps a person asking to be
            # forgotten): its person is not named, nor is their print kept.
            forgotten = deleted_meanwhile(session)
            stored = without_recognised(stored, forgotten)
            fill_salesperson(recording, stored)  # a remembered voice names its call
            recording.status = Status.done
            recording.progress = 1.0
            recording.claimed_by = None
            recording.heartbeat_at = None
            recording.transcribed_at = utcnow()
            recording.language = stored.language
            recording.duration_s = stored.duration_s
            recording.model = stored.model
            recording.transcript_json = json.dumps(stored.to_dict(), ensure_ascii=False)
            recording.checkpoint_json = None
            recording.voices_json = json.dumps({s.id: s.voice for s in stored.speakers if s.voice})
            recording.updated_at = utcnow()
            # The statistics reports are queried from, in the same transaction as "done".
            termstore.store_analysis(session, recording, counted, spoken)
        final[0] = stored
        return True

    if not _retrying(store, "storing the results"):
        logger.info("recording %s was deleted or taken over while processing", recording_id)
        return
    # A voice deleted while "done" was being stored did not see this recording yet.
    with database.session() as session:
        named = {s.name for s in final[0].speakers if s.voice and s.name}
        if late := deleted_meanwhile(session) & named:
            unname_recognised(session, recording_id, late)
    logger.info("recording %s done (%.1f s of audio)", recording_id, transcript.duration_s)
    notify(settings, ANALYSED, analysed_payload(recording_id, final[0]))


def make_huey(settings: Settings) -> Huey:
    """The queue RIDEALONG_QUEUE_URL names: Redis, or by default a SQLite file in data_dir."""
    if settings.redis_url:
        from redis import ConnectionPool

        # Timeouts, so a half-open connection cannot hang an upload or the reaper (above
        # the consumer's 1-s blocking read).
        pool = ConnectionPool.from_url(
            settings.redis_url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30
        )
        return RedisHuey(name="ridealong", connection_pool=pool, results=False, utc=True)
    url = settings.queue_url
    path = url.removeprefix("sqlite:///") if url else str(settings.queue_path)
    settings.make_data_dir()
    return SqliteHuey(name="ridealong", filename=path, results=False, utc=True)


class _EmbeddedConsumer(Consumer):
    """Huey's consumer without signal handlers: inside `serve`, uvicorn owns the signals."""

    def _set_signal_handlers(self) -> None:
        pass


class JobQueue:
    """The Huey queue of one service; `enqueue` from requests, `start_worker` in `serve`,
    `run_worker` in `ridealong worker`."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self.huey: Huey = make_huey(settings)
        self._task = self.huey.task(name="process_recording")(self._run)
        # Hourly, in every worker: deleting expired audio twice does no harm.
        self.huey.periodic_task(crontab(minute="7"), name="apply_retention")(self.apply_retention)
        self._consumer: Consumer | None = None
        self._lock = threading.Lock()
        self._reaper_stop = threading.Event()
        self._reaper: threading.Thread | None = None
        # Since when the database has answered the reaper (None: it just did not). Leases
        # are only expired after a whole lease of answers: during an outage no worker could
        # beat, and they must get the chance to before their jobs are taken from them.
        self._reachable_since: float | None = -float("inf")

    def _run(self, recording_id: str) -> None:
        process_recording(self.settings, self.database, recording_id)

    def apply_retention(self) -> int:
        """Delete audio past RIDEALONG_RETENTION_DAYS (see `service.apply_retention`), empty
        SQLite's write-ahead log of what a delete could not (a reader held it), and drop the
        idle copies of a bucket's audio."""
        from api.service import apply_retention, checkpoint_wal

        blobs = blob_store(self.settings)
        with self.database.session() as session:
            deleted = apply_retention(session, blobs, self.settings.retention_days)
            checkpoint_wal(session)
        blobs.tidy()  # cached copies of audio (S3) that nobody here used for an hour
        if deleted:
            logger.info("deleted the audio of %d recording(s) past retention", deleted)
        return deleted

    def enqueue(self, recording_id: str) -> bool:
        """Send a job; False when the queue is unreachable (the recording stays queued in the
        database, and a reaper sends it once the queue is back)."""
        try:
            self._task(recording_id)
        except Exception as e:  # Redis down: the upload itself is safe in the database
            logger.error("could not queue recording %s (%s); sent later", recording_id, e)
            return False
        return True

    def recover(self) -> int:
        """Send again the jobs of dead workers and the messages the queue lost."""
        try:
            queue_empty = self.huey.pending_count() == 0
        except Exception as e:
            logger.warning("the job queue is unreachable: %s", e)
            queue_empty = False
        now = time.monotonic()
        if self._reachable_since is None:
            self._reachable_since = now
        try:
            resend = recover_jobs(
                self.database,
                self.settings.job_lease_s,
                queue_empty,
                expire_leases=now - self._reachable_since >= self.settings.job_lease_s,
            )
        except DATABASE_DOWN:
            self._reachable_since = None
            raise
        for recording_id in resend:
            self.enqueue(recording_id)
        return len(resend)

    def _reap(self) -> None:
        interval_s = min(max(self.settings.job_lease_s / 4, 0.5), 30.0)
        while not self._reaper_stop.wait(interval_s):
            try:
                self.recover()
            except Exception:  # the database is down: try again next round
                logger.warning("recovering jobs failed; trying again", exc_info=True)

    def start_reaper(self) -> None:
        if self._reaper is None:
            self._reaper_stop.clear()
            self._reaper = threading.Thread(target=self._reap, name="job-reaper", daemon=True)
            self._reaper.start()

    def stop_reaper(self) -> None:
        if self._reaper is not None:
            self._reaper_stop.set()
            self._reaper.join()
            self._reaper = None

    @property
    def worker_running(self) -> bool:
        return self._consumer is not None

    def _prepare_worker(self) -> None:
        resent = self.recover()
        if resent:
            logger.info("sent %d unfinished recording(s) again", resent)
        self.apply_retention()
        self.start_reaper()

    def start_worker(self) -> None:
        """Run jobs in threads of this process (the embedded worker of `serve`)."""
        with self._lock:
            if self._consumer is not None:
                return
            self._prepare_worker()
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
                # Idle workers leave within a queue read (a second); one mid-job finishes it
                # as the process ends, or its lease runs out and another worker redoes it.
                for _, thread in self._consumer.worker_threads:
                    thread.join(timeout=2.0)
                self._consumer = None
            self.stop_reaper()

    def run_worker(self, concurrency: int) -> None:
        """Run jobs until a signal stops the process (`ridealong worker`)."""
        self._prepare_worker()
        try:
            self.huey.create_consumer(
                workers=concurrency,
                worker_type="thread",
                periodic=True,
                initial_delay=0.1,
                max_delay=1.0,
            ).run()
        finally:
            self.stop_reaper()
