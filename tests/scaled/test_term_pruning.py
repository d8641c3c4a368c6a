"""Pruning unused terms on PostgreSQL, while another transaction is storing a recording."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select

from analyze import Utterance, count_terms
from api import service, termstore
from api.db import Database, Recording, Status, TermKey
from api.storage import LocalBlobStore
from tests.conftest import ScaledServices


def _recording(session, recording_id: str, said: str) -> None:
    utterances = [Utterance(recording_id, said, "customer", 0.0, 4.0)]
    recording = Recording(
        id=recording_id, title=recording_id, filename="a.wav", status=Status.done, consent=True
    )
    session.add(recording)
    session.flush()
    termstore.store_analysis(session, recording, count_terms(utterances, recording_id), utterances)


def test_a_delete_never_prunes_or_waits_for_a_term_a_job_is_storing(
    scaled_services: ScaledServices, tmp_path: Path
) -> None:
    """A job has looked up the term it will count (and locked it); a delete of the only other
    recording that says it must neither delete the term from under the job (its counts would
    then refer to nothing) nor wait for the job to finish."""
    _, url = scaled_services.fresh_database()
    database = Database(url)
    said = "De levertijd van de warmtepomp is lang."
    keys = [t.key for t in count_terms([Utterance("x", said, "customer", 0, 4)], "x").terms]
    job = database.session()
    pool = ThreadPoolExecutor(1)
    try:
        with database.session.begin() as session:
            _recording(session, "r1", said)
        termstore._ids_of(job, keys, lock=True)  # where storing a recording begins

        def delete_r1() -> None:
            with database.session() as session:
                service.delete_recording(session, LocalBlobStore(tmp_path / "blobs"), "r1")

        pool.submit(delete_r1).result(timeout=30)  # done while the job still runs
        _recording(job, "r2", said)
        job.commit()
        with database.session() as session:
            assert set(keys) <= set(session.scalars(select(TermKey.key)))
            counted = {t.lemma: t.recordings for t in termstore.ranked_terms(session, None)}
        assert counted and set(counted.values()) == {1}
    finally:
        job.close()  # first: a delete still waiting for the job's lock then finishes
        pool.shutdown()
        database.dispose()
