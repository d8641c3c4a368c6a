"""DELETE leaves no trace: not in any table, not in the database file, not on disk (#6)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from analyze import Utterance, count_terms
from api import termstore
from api.db import Recording, Status, get_database
from tests.api.test_api import upload
from tests.conftest import tone, write_audio

SECRET = "Mijn pincode is zevenentachtig en ik woon op de Kerkstraat"


def test_a_deleted_recording_leaves_no_trace(api_client, settings, tmp_path) -> None:
    client, _ = api_client
    audio = write_audio(tone(1.5, freq=523.0), tmp_path / "private.wav", "pcm_s16le")
    recording_id = upload(client, audio.read_bytes(), "private.wav").json()["id"]
    database = get_database(settings.sqlalchemy_url)
    utterances = [Utterance(recording_id, f"{SECRET}, zei de klant.", "customer", 0.0, 1.5)]
    with database.session.begin() as session:  # as a finished job leaves it
        recording = session.get(Recording, recording_id)
        recording.status = Status.done
        recording.transcript_json = (
            f'{{"segments": [{{"start": 0, "end": 1.5, "text": "{SECRET}"}}]}}'
        )
        recording.voices_json = '{"S1": [0.1, 0.2]}'
        termstore.store_analysis(
            session, recording, count_terms(utterances, recording_id), utterances
        )
    client.patch(f"/api/v1/recordings/{recording_id}", json={"tags": ["privé"]})
    assert "kerkstraat" in {t["lemma"] for t in client.get("/api/v1/terms").json()["terms"]}

    assert client.delete(f"/api/v1/recordings/{recording_id}").status_code == 204

    with database.session() as session:  # no row in any table mentions it
        connection = session.connection()
        for table in inspect(connection).get_table_names():
            columns = [c["name"] for c in inspect(connection).get_columns(table)]
            for column in columns:
                hits = connection.execute(
                    text(f'SELECT COUNT(*) FROM "{table}" WHERE CAST("{column}" AS TEXT) LIKE :v'),
                    {"v": f"%{recording_id}%"},
                ).scalar()
                assert hits == 0, (table, column)
        assert session.scalar(select(Recording).where(Recording.id == recording_id)) is None
    assert client.get("/api/v1/terms").json()["terms"] == []  # totals back to nothing
    # Not in the bytes of the database, its write-ahead log, or any file of the data dir but
    # the job queue's (which holds only the id of a job that will find nothing).
    for path in settings.data_dir.rglob("*"):
        if not path.is_file() or path.name.startswith("queue"):
            continue
        data = path.read_bytes()
        assert SECRET.encode() not in data, path
        assert b"Kerkstraat" not in data and b"kerkstraat" not in data, path  # terms: lower
    assert [p for p in settings.blob_dir.rglob("*") if p.is_file()] == []


@pytest.mark.embedded_only  # SQLite's write-ahead log
def test_a_delete_while_a_report_is_read_is_cleared_from_the_log_later(
    api_client, settings, tmp_path
) -> None:
    """A reader keeps SQLite from emptying its write-ahead log: the delete does not hang on
    it, and the worker's hourly run empties the log once the reader is done."""
    import sqlite3
    import time

    from api.jobs import JobQueue

    client, _ = api_client
    audio = write_audio(tone(1.2, freq=587.0), tmp_path / "private.wav", "pcm_s16le")
    recording_id = upload(client, audio.read_bytes(), "private.wav").json()["id"]
    database = get_database(settings.sqlalchemy_url)
    with database.session.begin() as session:
        session.get(Recording, recording_id).transcript_json = f'{{"said": "{SECRET}"}}'
    reader = sqlite3.connect(settings.data_dir / "ridealong.db")
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM recordings").fetchone()  # a report, reading
        started = time.monotonic()
        assert client.delete(f"/api/v1/recordings/{recording_id}").status_code == 204
        assert time.monotonic() - started < 5  # not the 10-s busy timeout
    finally:
        reader.close()
    wal = settings.data_dir / "ridealong.db-wal"
    assert SECRET.encode() in wal.read_bytes()  # still there: the checkpoint had to wait
    JobQueue(settings, database).apply_retention()  # the worker's hourly run
    assert not wal.exists() or SECRET.encode() not in wal.read_bytes()


def test_emptying_the_log_leaves_every_pooled_connection_its_busy_timeout(tmp_path) -> None:
    """The checkpoint waits a second at most; the connections the requests use still wait
    the full timeout for a lock afterwards (else a busy moment fails their writes)."""
    from api.db import SQLITE_BUSY_MS, Database
    from api.service import checkpoint_wal

    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    database.migrate()
    for connection in [database.engine.connect() for _ in range(3)]:
        connection.close()  # three in the pool, as under some load

    def timeouts() -> list[int]:
        connections = [database.engine.connect() for _ in range(database.engine.pool.checkedin())]
        found = [c.execute(text("PRAGMA busy_timeout")).scalar() for c in connections]
        for connection in connections:
            connection.close()
        return found

    with database.session() as session:
        assert checkpoint_wal(session)
    assert timeouts() == [SQLITE_BUSY_MS] * 3
