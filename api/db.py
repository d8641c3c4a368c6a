"""Persistence: SQLAlchemy 2 tables, the engine, and schema migration with Alembic."""

from __future__ import annotations

import enum
import os
import re
import threading
import uuid
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
    func,
    true,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    deferred,
    mapped_column,
    relationship,
    sessionmaker,
)
from sqlalchemy.sql.functions import FunctionElement

__all__ = [
    "DATABASE_DOWN",
    "report_day",
    "utc_day",
    "STATS_VERSION",
    "ApiKey",
    "Base",
    "Database",
    "QuestionRow",
    "Recording",
    "RecordingTag",
    "RecordingWords",
    "Status",
    "TermCountRow",
    "TermForm",
    "TermKey",
    "TermTotal",
    "UtteranceRow",
    "WordTotal",
    "as_utc",
    "close_databases",
    "get_database",
    "utcnow",
]

# The database busy (every pooled connection in use), restarting or out of reach: it passes,
# so callers wait or ask the client to try again rather than fail.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)

# Bumped when the per-recording statistics below change shape: recordings stored with an
# older version are stored again from their transcripts on start (api/termstore.py).
STATS_VERSION = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored time as aware UTC: SQLite gives back the stored UTC times without their zone,
    PostgreSQL in the session's time zone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Status(enum.StrEnum):
    queued = "queued"
    processing = "processing"
    done = "done"
    failed = "failed"


class Base(DeclarativeBase):
    pass


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(300))
    salesperson: Mapped[str | None] = mapped_column(String(200))
    customer: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[date | None] = mapped_column(Date)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    blob_key: Mapped[str | None] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float | None] = mapped_column(Float)
    language_requested: Mapped[str] = mapped_column(String(8), default="auto")
    glossary: Mapped[str | None] = mapped_column(Text)  # extra decoder hints, comma-separated
    language: Mapped[str | None] = mapped_column(String(8))
    model: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=Status.queued, index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)  # English, as the API reports it
    # The same error as a transcribe.texts.Text (message and values), for the pages to translate.
    error_text_json: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_by: Mapped[str | None] = mapped_column(String(200))  # who confirmed it (key, form)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # Large JSON documents, loaded only when asked for.
    transcript_json: Mapped[str | None] = deferred(mapped_column(Text))
    terms_json: Mapped[str | None] = deferred(mapped_column(Text))
    # A transcription's finished part (transcribe.Checkpoint) while its job runs.
    checkpoint_json: Mapped[str | None] = deferred(mapped_column(Text))
    # {speaker id: voice embedding} for enrolling a profile from this recording. Biometric:
    # kept out of the transcript JSON, deleted with the recording.
    voices_json: Mapped[str | None] = deferred(mapped_column(Text))
    transcribed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the audio was deleted under RIDEALONG_RETENTION_DAYS (the transcript stays).
    audio_deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The job's lease (api/jobs.py): the worker that claimed it, and its last heartbeat. A lease
    # whose heartbeat is older than RIDEALONG_JOB_LEASE_S belongs to a dead worker.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The STATS_VERSION its term statistics were stored with; None: not stored yet.
    stats_version: Mapped[int | None] = mapped_column(Integer)
    tag_rows: Mapped[list[RecordingTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RecordingTag.tag"
    )

    @property
    def tags(self) -> list[str]:
        return sorted(row.tag for row in self.tag_rows)

    @property
    def audio_unreadable(self) -> bool:
        """Its job failed because the stored file does not decode: nothing to play (other
        failures, a timeout or a crash, leave audio worth listening to)."""
        return self.status == Status.failed and (self.error or "").startswith(_UNDECODED)

    @property
    def upload_day(self) -> date:
        """The UTC day it was uploaded: reports count an undated recording on it."""
        return as_utc(self.created_at).date()


# How transcribe.AudioDecodeError's messages start (the English `error` a job stores).
_UNDECODED = (
    "not a readable audio file",
    "could not decode the audio",
    "the file is empty",
    "the file has no audio track",
    "file not found",
)


class utc_day(FunctionElement[date]):  # noqa: N801 (used like SQL's own date())
    """The UTC day of a stored time, in SQL: what `Recording.upload_day` is in Python.
    PostgreSQL's date() of a timestamptz takes the session's time zone, which the server's
    set-up chooses; SQLite stores UTC already."""

    type = Date()
    inherit_cache = True


@compiles(utc_day)
def _utc_day(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"date(timezone('UTC', {compiler.process(element.clauses, **kw)}))"


class iso_day(FunctionElement[str]):  # noqa: N801
    """A day as ISO text ("2026-11-20"), in SQL, whatever the server's DateStyle: the
    recordings search matches days as the list writes them."""

    type = String()
    inherit_cache = True


@compiles(iso_day)
def _iso_day(element: iso_day, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS VARCHAR)"  # SQLite keeps ISO


@compiles(iso_day, "postgresql")
def _iso_day_postgresql(element: iso_day, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD')"


def report_day() -> ColumnElement[date]:
    """The day reports count a recording on, in SQL: its recording date, or when none was
    given, its UTC upload day (`Recording.upload_day`)."""
    return func.coalesce(Recording.recorded_at, utc_day(Recording.created_at))


# --- per-recording statistics, so that a report over every recording is a query --------------
# Written by api/termstore.py when a recording's analysis is done, removed with it.


def may_hold(column: Any, text: str) -> ColumnElement[bool]:
    """Rows whose `column` may hold `text` in any case, for Python to check exactly. The
    database's lower() folds ASCII letters only under PostgreSQL's C locale ("Özil" stays
    "Özil"), so the test is the longest stretch of `text` in ASCII; every row where it has
    none of three characters. A stretch stops at quotes and backslashes, which JSON
    columns store escaped."""
    stretches = re.findall(r"[ !#-\[\]-~]{3,}", " ".join(text.split()))
    if not stretches:
        return true()
    return func.lower(column).contains(max(stretches, key=len).lower(), autoescape=True)


def _with_iso_dates(url: str) -> str:
    """libpq's `options` for `url`: its own (`?options=-csearch_path%3D…`, or else
    PGOPTIONS, which libpq reads only where none are given) and ISO dates."""
    given = make_url(url).query.get("options") or os.environ.get("PGOPTIONS", "")
    if not isinstance(given, str):  # given twice in the URL
        given = " ".join(given)
    return f"{given} -c datestyle=ISO".strip()


def _recording_fk() -> ForeignKey:
    return ForeignKey("recordings.id", ondelete="CASCADE")


class RecordingTag(Base):
    """A label a team gives recordings ("webinar", "zakelijk", "Q3-campagne") to filter by."""

    __tablename__ = "recording_tags"

    recording_id: Mapped[str] = mapped_column(String(32), _recording_fk(), primary_key=True)
    tag: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)


class SignedOutSession(Base):
    """A web session signed out before its cookie expires: the cookie is refused from then on
    (a copied cookie, or a browser that kept it, must not outlive "Sign out")."""

    __tablename__ = "signed_out_sessions"

    ident: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class UpgradeStep(Base):
    """A one-time step of an upgrade, done for this database (by whichever machine started
    first): e.g. moving voice profile files in, which must not happen again from another
    machine's old copy after a profile was deleted."""

    __tablename__ = "upgrade_steps"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    done_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VoiceRow(Base):
    """An enrolled voice profile (transcribe.VoiceProfile), in the database so that every web
    server and worker of a setup recognises the same people."""

    __tablename__ = "voice_profiles"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # exact: "Jan" ≠ "jan"
    role: Mapped[str] = mapped_column(String(12))
    backend: Mapped[str] = mapped_column(String(40))  # embeddings compare within one backend
    embedding_json: Mapped[str] = mapped_column(Text)  # L2-normalised floats
    consent_by: Mapped[str | None] = mapped_column(Text)
    enrolled_at: Mapped[str | None] = mapped_column(String(40))  # ISO 8601, UTC


class TermKey(Base):
    """Every term ever counted, once: its lemma key and how common it is in general."""

    __tablename__ = "term_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    language: Mapped[str] = mapped_column(String(8))  # of the recording it was first heard in
    general: Mapped[float] = mapped_column(Float)  # share in general language (wordfreq)


class HiddenTerm(Base):
    """A term a person took out of the reports (a misheard word, a word of no interest). Its
    counts stay, so showing it again needs no recount."""

    __tablename__ = "hidden_terms"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)  # a TermKey.key
    term: Mapped[str] = mapped_column(String(400))  # as the report showed it
    hidden_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TermCountRow(Base):
    """How often one role said one term in one recording."""

    __tablename__ = "term_counts"
    __table_args__ = (Index("ix_term_counts_term_role_count", "term_id", "role", "count"),)

    recording_id: Mapped[str] = mapped_column(String(32), _recording_fk(), primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term_keys.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(12), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    quotes: Mapped[str] = mapped_column(String(60), default="")  # utterance indices: "3 17"


class TermTotal(Base):
    """Running totals over all analysed recordings, kept up to date on every store and
    delete: the unfiltered report reads only the head of this table."""

    __tablename__ = "term_totals"
    __table_args__ = (Index("ix_term_totals_role_count", "role", "count"),)

    term_id: Mapped[int] = mapped_column(ForeignKey("term_keys.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(12), primary_key=True)  # "*": everyone
    count: Mapped[int] = mapped_column(Integer)
    recordings: Mapped[int] = mapped_column(Integer)


class TermForm(Base):
    """How a term was said (surface forms) over all recordings: "offertes", "offerte"."""

    __tablename__ = "term_forms"

    term_id: Mapped[int] = mapped_column(ForeignKey("term_keys.id"), primary_key=True)
    surface: Mapped[str] = mapped_column(String(400), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class WordTotal(Base):
    """Running totals of content words per role ("*": everyone) over all analysed
    recordings: the unfiltered report's denominators without a scan."""

    __tablename__ = "word_totals"

    role: Mapped[str] = mapped_column(String(12), primary_key=True)
    words: Mapped[int] = mapped_column(Integer)


class RecordingWords(Base):
    """Content words each role spoke in a recording: the denominators of keyness."""

    __tablename__ = "recording_words"

    recording_id: Mapped[str] = mapped_column(String(32), _recording_fk(), primary_key=True)
    role: Mapped[str] = mapped_column(String(12), primary_key=True)
    words: Mapped[int] = mapped_column(Integer)


class UtteranceRow(Base):
    """The analysed utterances, so quotes are references instead of copies."""

    __tablename__ = "utterances"

    recording_id: Mapped[str] = mapped_column(String(32), _recording_fk(), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    start: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    role: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)


class QuestionRow(Base):
    """A question asked in a recording (analyze.Question)."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_role", "role"),)

    recording_id: Mapped[str] = mapped_column(String(32), _recording_fk(), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str] = mapped_column(String(8))


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # first characters, to recognise a key
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the whole key
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scope: Mapped[str] = mapped_column(String(10), default="write")  # api.auth.SCOPES


def insert_on_conflict(session: Any, table: Any) -> Any:
    """The dialect's INSERT, which has ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


SQLITE_BUSY_MS = 10_000  # how long a statement waits for another connection's lock


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten, not just unlinked: a deleted conversation must not stay
    # readable in the file's free pages (privacy; DELETE leaves no trace).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()
    # SQLite's lower() folds ASCII only: "Çelik" would never match a filter for "çelik".
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class Database:
    """An engine plus a session factory, with the schema migrated to the newest version."""

    def __init__(self, url: str) -> None:
        self.url = url
        is_sqlite = url.startswith("sqlite")
        # Up to 40 requests run at once (the server's thread pool), and each may hold a
        # connection: the pool must not be the bottleneck that turns a burst into errors.
        self.engine: Engine = create_engine(
            url,
            connect_args=(
                {"check_same_thread": False, "timeout": 10}
                if is_sqlite
                # psycopg reads times only in ISO style: a server set up for Dutch dates
                # ("SQL, DMY") would make every stored time unreadable.
                else {"options": _with_iso_dates(url)}
            ),
            pool_pre_ping=not is_sqlite,
            pool_size=10,
            max_overflow=40,
            pool_timeout=60,
        )
        if is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Bring the schema to Alembic's head revision (creates it on a new database)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        script_location = resources.files("api") / "migrations"
        config.set_main_option("script_location", str(script_location))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()


_databases: dict[str, Database] = {}
_databases_lock = threading.Lock()


def get_database(url: str) -> Database:
    """One migrated `Database` per URL and process (shared by the app and the worker)."""
    with _databases_lock:
        database = _databases.get(url)
        if database is None:
            database = Database(url)
            database.migrate()
            _databases[url] = database
        return database


def close_databases() -> None:
    """Close every pooled connection and forget the databases (tests, before dropping one)."""
    with _databases_lock:
        for database in _databases.values():
            database.dispose()
        _databases.clear()
