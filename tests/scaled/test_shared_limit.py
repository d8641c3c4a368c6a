"""The upload rate limit in the scaled setup: counted in Redis, shared by API processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.ratelimit import RedisRateLimiter, TooManyRequests
from api.settings import Settings
from tests.conftest import ScaledServices, authorised_client, tone, write_audio


def test_two_api_processes_share_one_upload_limit(
    scaled_services: ScaledServices, tmp_path: Path
) -> None:
    """Two apps behind a balancer: a client's third upload in a minute is refused by either."""
    scaled_services.redis.flush()
    _, url = scaled_services.fresh_database()
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=url,
        queue_url=scaled_services.redis.url(),
        upload_rate=2,
        _env_file=None,  # type: ignore[call-arg]
    )
    clips = [
        write_audio(tone(0.5, freq=300.0 + 50 * i), tmp_path / f"{i}.wav", "pcm_s16le")
        for i in range(3)
    ]

    def upload(client, clip: Path):  # type: ignore[no-untyped-def]
        files = {"file": (clip.name, clip.read_bytes(), "audio/wav")}
        return client.post("/api/v1/recordings", files=files, data={"consent": "true"})

    with authorised_client(settings) as (first, key), authorised_client(settings) as (second, _):
        second.headers["Authorization"] = f"Bearer {key}"  # the same client, another process
        assert upload(first, clips[0]).status_code == 202
        assert upload(second, clips[1]).status_code == 202
        refused = upload(first, clips[2])
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_the_shared_limit_falls_back_to_this_process_when_redis_is_down() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", limit=1)  # nothing listens there
    limiter.check("a")
    with pytest.raises(TooManyRequests):
        limiter.check("a")


def test_postgres_counts_an_undated_recording_on_its_utc_upload_day(
    scaled_services: ScaledServices,
) -> None:
    """A server set up in another time zone must not move uploads late in the UTC day to the
    next day in reports while the recordings list shows the UTC day (and SQLite counts it)."""
    from datetime import UTC, date, datetime

    from sqlalchemy import select

    from api.db import Database, Recording, utc_day

    name, url = scaled_services.fresh_database()
    scaled_services.postgres.execute(
        f"ALTER DATABASE \"{name}\" SET timezone = 'Pacific/Kiritimati'"
    )
    database = Database(url)
    try:
        with database.session() as session:
            late = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)  # 21 November 13:00 in Kiritimati
            session.add(Recording(id="r1", title="a", filename="a.wav", created_at=late))
            session.commit()
            assert session.scalar(select(utc_day(Recording.created_at))) == date(2026, 11, 20)
            listed = session.get(Recording, "r1")
            assert listed is not None and listed.upload_day == date(2026, 11, 20)
    finally:
        database.dispose()
