"""Faults in the scaled setup (issue #6): PostgreSQL, Redis and separate `ridealong worker`
processes, with the fault injected for real: a worker killed with SIGKILL mid-job, the
database crashing and restarting mid-run, the queue down while recordings are uploaded.

Each test checks that the job finished exactly once: one stored transcript whose statistics
are exactly those of its own analysis (no duplicate utterances or terms), and the running
totals equal to the sum of the per-recording counts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from analyze import count_terms, utterances_from_transcript
from api.db import (
    Recording,
    TermCountRow,
    TermKey,
    TermTotal,
    UtteranceRow,
    close_databases,
    get_database,
)
from api.settings import Settings
from tests.conftest import (
    ScaledServices,
    authorised_client,
    reference_text,
    tone,
    wer_nl,
    write_audio,
)
from transcribe import Transcript

pytestmark = pytest.mark.slow

DIALOGUE = "nl_constructed/nl_dialogue_sales_constructed_16k.wav"


@pytest.fixture
def scaled(scaled_services: ScaledServices, tmp_path: Path) -> Iterator[Settings]:
    """Settings for one scaled deployment: its own database, an empty Redis, 15-s leases
    (long enough that two busy workers on two cores never miss one) and 30-second chunks
    (so a killed job has a checkpoint to resume from)."""
    name, url = scaled_services.fresh_database()
    scaled_services.redis.flush()
    yield Settings(
        data_dir=tmp_path / "data",
        database_url=url,
        queue_url=scaled_services.redis.url(),
        job_lease_s=15,
        chunk_s=30,
        synonyms=False,
        _env_file=None,  # type: ignore[call-arg]
    )
    close_databases()
    scaled_services.postgres.drop_database(name)


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """`ridealong worker` in its own process, configured like a separate machine would be."""
    env = {
        **os.environ,
        "RIDEALONG_DATA_DIR": str(settings.data_dir),
        "RIDEALONG_DATABASE_URL": settings.sqlalchemy_url,
        "RIDEALONG_QUEUE_URL": str(settings.queue_url),
        "RIDEALONG_JOB_LEASE_S": str(settings.job_lease_s),
        "RIDEALONG_CHUNK_S": str(settings.chunk_s),
        "RIDEALONG_SYNONYMS": "0",
    }
    with log.open("wb") as stderr:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "api", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def wait_for(what: str, condition: Callable[[], Any], timeout_s: float = 300) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting until {what}")


def row(settings: Settings, recording_id: str) -> Recording:
    with get_database(settings.sqlalchemy_url).session() as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None
        _ = recording.checkpoint_json, recording.transcript_json  # load the deferred columns
        return recording


def assert_stored_exactly_once(settings: Settings, recording_id: str) -> None:
    """The stored statistics are exactly the analysis of the stored transcript, once."""
    recording = row(settings, recording_id)
    assert recording.status == "done", recording.error
    assert recording.claimed_by is None and recording.checkpoint_json is None
    transcript = Transcript.from_dict(json.loads(recording.transcript_json or "{}"))
    starts = [segment.start for segment in transcript.segments]
    assert starts == sorted(starts), "segments out of order: a chunk was stored twice"
    assert len({(s.start, s.text) for s in transcript.segments}) == len(transcript.segments)
    utterances = utterances_from_transcript(transcript, recording_id)
    expected = Counter(
        {(tc.key, role): n for tc in count_terms(utterances, recording_id).terms
         for role, n in tc.count_by_role.items() if n > 0}
    )  # fmt: skip
    with get_database(settings.sqlalchemy_url).session() as session:
        stored_utterances = session.scalars(
            select(UtteranceRow.idx).where(UtteranceRow.recording_id == recording_id)
        ).all()
        assert sorted(stored_utterances) == list(range(len(utterances)))
        stored = Counter(
            {(key, role): count for key, role, count in session.execute(
                select(TermKey.key, TermCountRow.role, TermCountRow.count)
                .join(TermKey, TermKey.id == TermCountRow.term_id)
                .where(TermCountRow.recording_id == recording_id)
            )}
        )  # fmt: skip
        assert stored == expected and stored
        # The running totals are the sums of every recording's counts, nothing counted twice.
        sums = dict(
            session.execute(
                select(TermCountRow.term_id, func.sum(TermCountRow.count))
                .where(TermCountRow.role == "customer")
                .group_by(TermCountRow.term_id)
            ).all()
        )
        totals = dict(
            session.execute(
                select(TermTotal.term_id, TermTotal.count).where(
                    TermTotal.role == "customer", TermTotal.count > 0
                )
            ).all()
        )
        assert totals == sums


def test_a_worker_killed_mid_job_is_replaced_and_the_job_stored_once(
    scaled: Settings, shared_audio: Path, tmp_path: Path
) -> None:
    """Two workers; the job is also sent twice more. The one that claims it is killed with
    SIGKILL after its first chunk; the other resumes from that chunk and stores it once."""
    with authorised_client(scaled) as (client, _):
        audio = (shared_audio / DIALOGUE).read_bytes()
        files = {"file": ("dialogue.wav", audio, "audio/wav")}
        created = client.post("/api/v1/recordings", files=files, data={"consent": "true"})
        assert created.status_code == 202, created.text
        recording_id = created.json()["id"]
        from api.jobs import JobQueue

        queue = JobQueue(scaled, get_database(scaled.sqlalchemy_url))
        workers = [start_worker(scaled, tmp_path / f"worker{i}.log") for i in range(2)]
        try:
            for _ in range(2):  # duplicate messages: only one run may store results
                queue.enqueue(recording_id)
            holder = wait_for(
                "a worker wrote its first checkpoint",
                lambda: (r := row(scaled, recording_id)).checkpoint_json and r.claimed_by,
            )
            victim = next(w for w in workers if f":{w.pid}:" in holder)
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait()
            survivor = next(w for w in workers if w is not victim)
            wait_for(
                "the job was done",
                lambda: row(scaled, recording_id).status in ("done", "failed"),
            )
            assert survivor.poll() is None, "the surviving worker died"
        finally:
            for worker in workers:
                stop(worker)
        recording = row(scaled, recording_id)
        assert recording.attempts == 2  # the killed run and the one that finished
        logs = "".join((tmp_path / f"worker{i}.log").read_text() for i in range(2))
        assert "resumes at" in logs  # from its checkpoint, not from the start
        assert_stored_exactly_once(scaled, recording_id)
        # Both halves once, in order: the whole call reads as the reference does.
        transcript = client.get(f"/api/v1/recordings/{recording_id}/transcript").json()
        text = " ".join(segment["text"] for segment in transcript["segments"])
        reference = reference_text(shared_audio / DIALOGUE.replace("_16k.wav", ".ref.txt"))
        assert wer_nl(reference, text) < 0.3


def test_the_database_restarting_mid_run_loses_nothing(
    scaled: Settings, scaled_services: ScaledServices, shared_audio: Path
) -> None:
    """PostgreSQL crashes (immediate stop) while a job runs and comes back 6 s later: the
    API answers 503 meanwhile, never 500; the job finishes without starting over. The
    outage outlasts the 4-s lease: no worker could beat, so no lease may be expired until
    the database has answered for a whole lease again."""
    scaled = scaled.model_copy(update={"job_lease_s": 4.0})
    with authorised_client(scaled, worker=True) as (client, _):
        audio = (shared_audio / DIALOGUE).read_bytes()
        files = {"file": ("dialogue.wav", audio, "audio/wav")}
        recording_id = client.post(
            "/api/v1/recordings", files=files, data={"consent": "true"}
        ).json()["id"]
        wait_for("the job started", lambda: row(scaled, recording_id).progress > 0)
        scaled_services.postgres.stop()
        try:
            during = client.get(f"/api/v1/recordings/{recording_id}")
            time.sleep(6)
        finally:  # the server is shared by the tests after this one
            scaled_services.postgres.start()
        assert during.status_code == 503 and during.headers["Retry-After"]
        assert "database" in during.json()["detail"]
        detail = wait_for(
            "the job finished",
            lambda: (
                (r := client.get(f"/api/v1/recordings/{recording_id}")).status_code == 200
                and r.json()["status"] in ("done", "failed")
                and r.json()
            ),
        )
        assert detail["status"] == "done", detail.get("error")
        assert row(scaled, recording_id).attempts == 1  # it went on, it did not start over
        assert client.get("/healthz").status_code == 200
        assert_stored_exactly_once(scaled, recording_id)


def test_uploads_while_the_queue_is_down_are_kept_and_sent_when_it_returns(
    scaled: Settings, scaled_services: ScaledServices, tmp_path: Path
) -> None:
    """Redis is down (no persistence: its queue is gone too): uploads are still accepted and
    stored; once Redis is back, a worker's reaper sends them again and they are processed."""
    clip = write_audio(tone(2.0), tmp_path / "tone.wav", "pcm_s16le").read_bytes()
    scaled = scaled.model_copy(update={"job_lease_s": 4.0})  # how long a lost job waits
    with authorised_client(scaled) as (client, _):
        scaled_services.redis.stop()
        try:
            response = client.post(
                "/api/v1/recordings",
                files={"file": ("tone.wav", clip, "audio/wav")},
                data={"consent": "true"},
            )
        finally:
            scaled_services.redis.start()
        assert response.status_code == 202, response.text
        recording_id = response.json()["id"]
        assert row(scaled, recording_id).status == "queued"
        worker = start_worker(scaled, tmp_path / "worker.log")
        try:
            wait_for(
                "the lost job was sent again and run",
                lambda: row(scaled, recording_id).status in ("done", "failed"),
                timeout_s=120,
            )
        finally:
            stop(worker)
        assert "sent again" in (tmp_path / "worker.log").read_text()
