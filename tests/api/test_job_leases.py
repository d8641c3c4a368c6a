"""Job leases (api/jobs.py): one claim per job, a silent worker loses its job once its lease
runs out and can no longer write to it, lost queue messages are sent again once. Runs on
both setups (SQLite and PostgreSQL); tests/scaled kills real worker processes."""

from __future__ import annotations

from datetime import timedelta

from api.db import Recording, get_database, utcnow
from api.jobs import _set_held, claim_job, recover_jobs
from tests.api.test_api import upload
from tests.conftest import tone, write_audio

ELSEWHERE = "another-machine:4242:0a1b2c3d"  # a worker this host cannot see
HERE = "this-worker:1:00000000"


def _queued_recording(api_client, tmp_path) -> str:
    client, _ = api_client
    audio = write_audio(tone(1.0, freq=610.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    return str(upload(client, audio, "a.wav").json()["id"])


def _age(database, recording_id: str, **seconds_ago: float) -> None:
    with database.session.begin() as session:
        recording = session.get(Recording, recording_id)
        for column, seconds in seconds_ago.items():
            setattr(recording, column, utcnow() - timedelta(seconds=seconds))


def test_a_silent_worker_loses_its_job_once_and_cannot_write_to_it(
    api_client, settings, tmp_path
) -> None:
    recording_id = _queued_recording(api_client, tmp_path)
    database = get_database(settings.sqlalchemy_url)
    assert claim_job(database, recording_id, ELSEWHERE, lease_s=60) == 1
    assert claim_job(database, recording_id, HERE, lease_s=60) is None  # held, heartbeat fresh
    assert recover_jobs(database, 60, queue_empty=True) == []

    _age(database, recording_id, heartbeat_at=61)  # it stopped reporting
    assert recover_jobs(database, 60, queue_empty=False) == [recording_id]
    assert recover_jobs(database, 60, queue_empty=False) == []  # sent once, not by every reaper
    assert claim_job(database, recording_id, HERE, lease_s=60) == 2
    # The silent worker comes back: its progress, checkpoint and results are refused.
    assert not _set_held(database, recording_id, ELSEWHERE, progress=0.5)
    assert _set_held(database, recording_id, HERE, progress=0.5)


def test_a_job_the_queue_lost_is_sent_again_only_when_the_queue_is_empty(
    api_client, settings, tmp_path
) -> None:
    recording_id = _queued_recording(api_client, tmp_path)
    database = get_database(settings.sqlalchemy_url)
    assert recover_jobs(database, 60, queue_empty=True) == []  # just queued: give it time
    _age(database, recording_id, updated_at=61)
    assert recover_jobs(database, 60, queue_empty=False) == []  # still waiting its turn
    assert recover_jobs(database, 60, queue_empty=True) == [recording_id]
    assert recover_jobs(database, 60, queue_empty=True) == []  # not again within a lease


def test_a_finished_or_deleted_job_cannot_be_claimed(api_client, settings, tmp_path) -> None:
    client, _ = api_client
    recording_id = _queued_recording(api_client, tmp_path)
    database = get_database(settings.sqlalchemy_url)
    with database.session.begin() as session:
        session.get(Recording, recording_id).status = "done"
    assert claim_job(database, recording_id, HERE, lease_s=60) is None
    assert client.delete(f"/api/v1/recordings/{recording_id}").status_code == 204
    assert claim_job(database, recording_id, HERE, lease_s=60) is None


def _heartbeat(database, recording_id: str):
    with database.session() as session:
        return session.get(Recording, recording_id).heartbeat_at


def test_the_heartbeat_renews_a_lease_until_the_job_stalls(
    api_client, settings, tmp_path, monkeypatch
) -> None:
    """A running job's lease is renewed from a thread; a hung one (no progress for
    _STALLED_S) stops renewing, so that its lease runs out and another worker redoes it."""
    import time

    from api import jobs

    recording_id = _queued_recording(api_client, tmp_path)
    database = get_database(settings.sqlalchemy_url)
    assert claim_job(database, recording_id, HERE, lease_s=60) == 1
    claimed = _heartbeat(database, recording_id)
    with jobs._Lease(database, recording_id, HERE, lease_s=0.2):
        time.sleep(0.3)
    renewed = _heartbeat(database, recording_id)
    assert renewed > claimed

    monkeypatch.setattr(jobs, "_STALLED_S", 0.0)
    with jobs._Lease(database, recording_id, HERE, lease_s=0.2) as lease:
        time.sleep(0.3)
    assert _heartbeat(database, recording_id) == renewed and not lease.lost.is_set()
