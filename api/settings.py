"""One settings object, read from the environment (prefix RIDEALONG_) when first asked for."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models import default_cache_dir
from transcribe import TranscribeOptions
from transcribe.glossary import glossary_prompt

__all__ = ["Settings", "get_settings"]

_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RIDEALONG_", env_file=None, extra="ignore")

    data_dir: Path = Field(Path("data"), description="database, uploaded audio, job queue")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in data_dir")
    queue_url: str | None = Field(
        None,
        description="job queue: redis://host:6379/0 for workers on several machines; "
        "default a Huey SQLite file in data_dir",
    )
    blob_url: str | None = Field(
        None,
        description="s3://bucket/prefix: audio in an S3-compatible bucket, shared by the API "
        "and workers on other machines; default the data dir's blobs/ folder",
    )
    s3_endpoint_url: str | None = Field(
        None, description="the S3 endpoint for a bucket not on AWS (MinIO: http://host:9000)"
    )
    model: str = Field("whisper-base", description="Whisper model name or folder")
    engine: str = Field("faster-whisper", description="faster-whisper or openai-whisper")
    glossary: str = Field("", description="product and brand words, comma-separated")
    model_dir: Path | None = Field(None, description="cache for assembled model weights")
    allow_downloads: bool = Field(False, description="allow fetching models from the hub")
    language: str = Field("auto", description="nl, en or auto")
    languages: str = Field("nl,en", description="candidates when language is auto")
    device: str = Field("cpu", description="cpu, cuda or auto")
    compute_type: str = Field("int8", description="CTranslate2 compute type")
    cpu_threads: int = Field(0, ge=0, description="0 = all cores")
    chunk_s: float = Field(
        300.0, ge=30, description="seconds transcribed at a time: bounds memory, sets resume points"
    )
    max_upload_mb: int = Field(500, gt=0, description="largest accepted upload")
    max_audio_hours: float = Field(4.0, gt=0, description="longest accepted recording")
    max_attempts: int = Field(3, ge=1, description="tries before a job is marked failed")
    job_lease_s: float = Field(
        60.0,
        ge=2,
        description="a job whose worker has not reported for this long is given to another",
    )
    speakers: bool = Field(True, description="find who spoke when, and their roles")
    spelling: bool = Field(
        True, description="correct non-words one letter from a common word (ofverte: offerte)"
    )
    max_speakers: int = Field(4, ge=1, le=10, description="most speakers looked for per recording")
    synonyms: bool = Field(
        True,
        description="group near-synonyms and suggest customers' words by embeddings (e5/USE)",
    )
    page_fetch_domains: str = Field(
        "", description="domains whose pages suggestions may fetch by URL, comma-separated"
    )
    webhook_url: str | None = Field(None, description="POSTed to when a recording is analysed")
    webhook_secret: str | None = Field(None, description="HMAC-SHA256 key for the signature")
    redact_pii: bool = Field(
        False,
        description="take e-mail addresses, phone numbers, IBANs, postcodes, street addresses "
        "and known names out of transcripts before they are stored",
    )
    retention_days: int = Field(
        0,
        ge=0,
        le=36_500,  # a hundred years; more overflows the calendar
        description="delete a recording's audio this many days after transcription; 0 keeps it",
    )
    upload_rate: int = Field(
        60, ge=0, description="uploads one client (API key or address) may start a minute; 0: any"
    )
    report_min_recordings: int = Field(
        5,
        ge=1,
        description="fewest recordings an answer to a 'report' API key may cover "
        "(over fewer, its quotes are nearly one conversation's words)",
    )
    web_token: str | None = Field(
        None,
        description="the admin token the web pages ask for; `serve` makes one in the data dir",
    )
    cors_origins: str = Field(
        "", description="origins allowed to call the API from a browser, comma-separated; off"
    )
    worker_threads: int = Field(1, ge=1, description="jobs run at once by the embedded worker")
    embedded_worker: bool = Field(True, description="run the job worker inside `serve`")
    ui_language: Literal["auto", "nl", "en"] = Field(
        "auto",
        description="the web pages' language; auto: the browser's (Dutch or English), "
        "and each person can switch on the pages",
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        value = value.strip().lower()
        if value != "auto" and (len(value) != 2 or not value.isalpha()):
            raise ValueError("language must be 'auto' or a two-letter code such as 'nl'")
        return value

    @field_validator("blob_url")
    @classmethod
    def _known_blob_store(cls, value: str | None) -> str | None:
        if value and not (value.startswith("s3://") and len(value) > len("s3://")):
            raise ValueError("blob_url must be s3://bucket or s3://bucket/prefix")
        return value or None

    @field_validator("queue_url")
    @classmethod
    def _known_queue(cls, value: str | None) -> str | None:
        if value and not value.startswith((*_REDIS_SCHEMES, "sqlite:///")):
            raise ValueError("queue_url must start with redis://, rediss://, unix:// or sqlite:///")
        return value or None

    @property
    def redis_url(self) -> str | None:
        """The queue's URL when the queue is Redis (shared by API processes and workers)."""
        return self.queue_url if (self.queue_url or "").startswith(_REDIS_SCHEMES) else None

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @property
    def glossary_words(self) -> list[str]:
        return [w.strip() for w in self.glossary.split(",") if w.strip()]

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'ridealong.db'}"

    def make_data_dir(self) -> Path:
        """The data folder, made readable by its owner alone when it is new: it holds the
        database, recordings and voice prints."""
        if not self.data_dir.is_dir():
            self.data_dir.parent.mkdir(parents=True, exist_ok=True)
            self.data_dir.mkdir(mode=0o700, exist_ok=True)
        return self.data_dir

    @property
    def voices_dir(self) -> Path:
        """Where versions before 0012 kept voice profiles as files; they are moved into the
        database when it is next opened (api.voices.import_voice_files)."""
        return self.data_dir / "voices"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.db"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    def transcribe_options(
        self, language: str | None = None, extra_glossary: str | None = None
    ) -> TranscribeOptions:
        words = self.glossary_words + [w.strip() for w in (extra_glossary or "").split(",")]
        words = [w for w in words if w]
        return TranscribeOptions(
            glossary=tuple(words),
            speakers=self.speakers,
            spelling=self.spelling,
            max_speakers=self.max_speakers,
            language=language or self.language,
            languages=tuple(x.strip() for x in self.languages.split(",") if x.strip()),
            model=self.model,
            engine=self.engine,
            hotwords=glossary_prompt(words) or None,
            device=self.device,
            compute_type=self.compute_type,
            cpu_threads=self.cpu_threads,
            chunk_s=self.chunk_s,
            allow_downloads=self.allow_downloads,
            model_cache_dir=self.model_dir or default_cache_dir(),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests build their own `Settings` and inject them."""
    return Settings()
