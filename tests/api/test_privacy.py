"""Privacy: personal data redacted before storage, audio deleted after the retention period."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from api import service
from api.db import Recording, Status, get_database, utcnow
from api.jobs import process_recording
from api.storage import LocalBlobStore
from tests.api.test_api import upload
from tests.conftest import authorised_client, tone, write_audio
from transcribe.types import Segment, Speaker, Transcript


def _one_speaker(said: str, speaker: str, role: Any) -> Transcript:
    """What a job's transcription gives for one sentence of one speaker."""
    segment = Segment(0.0, 4.0, said, speaker=speaker, role=role)
    return Transcript("nl", 4.0, "test", (segment,), (Speaker(speaker, role),))


def _job_run(settings: Any, tmp_path: Path, freq: float) -> Recording:
    """Upload a tone and run its job (the test fakes what transcription gives): the row."""
    from sqlalchemy import select
    from sqlalchemy.orm import undefer

    with authorised_client(settings) as (client, _):
        audio = write_audio(tone(1.0, freq=freq), tmp_path / "a.wav", "pcm_s16le").read_bytes()
        recording_id = upload(client, audio, "a.wav").json()["id"]
    database = get_database(settings.sqlalchemy_url)
    process_recording(settings, database, recording_id)
    with database.session() as session:
        recording = session.scalar(
            select(Recording)
            .where(Recording.id == recording_id)
            .options(undefer(Recording.checkpoint_json), undefer(Recording.voices_json))
        )
        assert recording is not None
        session.expunge(recording)
    return recording


def test_personal_data_never_reaches_the_database(settings, tmp_path, monkeypatch) -> None:
    import api.jobs

    said = (
        "Ik ben mevrouw Jansen, bel me op 06-12345678 of mail naar a.jansen@example.nl over "
        "de thuisbatterij. Mijn collega Karel Appel belt u terug."
    )

    def fake_transcribe(_path: Path, _options: Any, _progress: Any, **_: Any) -> Transcript:
        return _one_speaker(said, "S2", "customer")

    monkeypatch.setattr(api.jobs, "transcribe", fake_transcribe)
    private = settings.model_copy(update={"redact_pii": True})
    with authorised_client(private) as (client, _):
        audio = write_audio(tone(1.0, freq=990.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
        recording_id = upload(client, audio, "a.wav", customer="Mevrouw Jansen").json()["id"]
        process_recording(private, get_database(private.sqlalchemy_url), recording_id)
        transcript = client.get(f"/api/v1/recordings/{recording_id}/transcript").json()
        text = transcript["segments"][0]["text"]
        assert "[telefoonnummer]" in text and "[e-mail]" in text and "[naam]" in text
        assert "thuisbatterij" in text  # the rest stays
        assert any(note.startswith("personal data redacted") for note in transcript["notes"])
        terms = client.get("/api/v1/terms?limit=200").json()["terms"]
        assert "thuisbatterij" in {t["lemma"] for t in terms}
        assert "Karel Appel" in text
        # A name given afterwards leaves the text as well as the terms.
        named = client.patch(
            f"/api/v1/recordings/{recording_id}", json={"salesperson": "Karel Appel"}
        )
        assert named.status_code == 200
        transcript = client.get(f"/api/v1/recordings/{recording_id}/transcript").json()
        assert "Karel" not in transcript["segments"][0]["text"]
        assert "thuisbatterij" in transcript["segments"][0]["text"]
    database_bytes = b"".join(p.read_bytes() for p in private.data_dir.glob("ridealong.db*"))
    for secret in (b"12345678", b"a.jansen@example", b"Jansen, bel"):
        assert secret not in database_bytes


def test_a_long_recordings_finished_part_is_redacted_before_it_is_stored(
    settings, tmp_path, monkeypatch
) -> None:
    """The checkpoint a job leaves after each chunk stays if the job then fails."""
    import api.jobs
    from transcribe import Checkpoint, TranscriptionError

    said = "Mijn IBAN is NL91ABNA0417164300, mail naar geheim.persoon@example.nl graag."

    def fails_after_a_chunk(_path: Path, _options: Any, _progress: Any, **kw: Any) -> Transcript:
        segment = Segment(0.0, 4.0, said, speaker=None)
        kw["on_checkpoint"](Checkpoint(300.0, "nl", (segment,)))
        raise TranscriptionError("the speech model failed")

    monkeypatch.setattr(api.jobs, "transcribe", fails_after_a_chunk)
    private = settings.model_copy(update={"redact_pii": True})
    recording = _job_run(private, tmp_path, 880.0)
    assert recording.status == Status.failed
    kept = recording.checkpoint_json or ""
    assert "[e-mail]" in kept and "graag" in kept
    database_bytes = b"".join(p.read_bytes() for p in private.data_dir.glob("ridealong.db*"))
    for secret in (b"NL91ABNA0417164300", b"geheim.persoon@example"):
        assert secret not in database_bytes


def test_audio_past_the_retention_period_is_deleted_and_the_transcript_stays(
    api_client, settings, tmp_path
) -> None:
    client, _ = api_client
    ids = {}
    for age_days, freq in ((40, 500.0), (10, 600.0), (41, 700.0)):
        audio = write_audio(tone(1.0, freq=freq), tmp_path / f"{age_days}.wav", "pcm_s16le")
        ids[age_days] = upload(client, audio.read_bytes(), f"{age_days}.wav").json()["id"]
    database = get_database(settings.sqlalchemy_url)
    with database.session.begin() as session:  # as if transcribed that long ago
        for age_days, recording_id in ids.items():
            recording = session.get(Recording, recording_id)
            recording.status = Status.done
            recording.transcribed_at = utcnow() - timedelta(days=age_days)
            recording.transcript_json = '{"segments": []}'
            recording.voices_json = '{"S1": [0.1, 0.2]}'
        failed = session.get(Recording, ids[41])  # a job that failed long ago, half done
        failed.status, failed.transcript_json, failed.transcribed_at = Status.failed, None, None
        failed.checkpoint_json = '{"segments": [{"text": "mijn adres is"}]}'
        failed.updated_at = utcnow() - timedelta(days=41)
        session.add(  # its audio went before voice prints went with it
            Recording(id="r-old", title="old", filename="old.wav", status=Status.done,
                      consent=True, transcribed_at=utcnow() - timedelta(days=400),
                      voices_json='{"S1": [0.3]}')
        )  # fmt: skip
    with database.session() as session:
        deleted = service.apply_retention(session, LocalBlobStore(settings.blob_dir), 30)
    assert deleted == 2
    old, recent = ids[40], ids[10]
    with database.session() as session:  # voice prints go with the audio they came from
        voices = {age: session.get(Recording, ids[age]).voices_json for age in ids}
        assert voices == {40: None, 10: '{"S1": [0.1, 0.2]}', 41: None}
        assert session.get(Recording, "r-old").voices_json is None
        assert session.get(Recording, ids[41]).checkpoint_json is None
    assert client.get(f"/recordings/{ids[41]}/audio").status_code == 404
    assert client.get(f"/recordings/{old}/audio").status_code == 404
    assert client.get(f"/recordings/{recent}/audio").status_code == 200
    assert client.get(f"/api/v1/recordings/{old}/transcript").status_code == 200
    assert "deleted on" in client.get(f"/recordings/{old}").text
    blobs = [p.name for p in settings.blob_dir.rglob("*") if p.is_file()]
    assert blobs == [client.get(f"/api/v1/recordings/{recent}").json()["sha256"]]
    with database.session() as session:  # nothing more to do the second time
        assert service.apply_retention(session, LocalBlobStore(settings.blob_dir), 30) == 0
        assert service.apply_retention(session, LocalBlobStore(settings.blob_dir), 0) == 0


def test_a_new_data_folder_is_readable_by_its_owner_alone(tmp_path) -> None:
    """It holds the database, the recordings and the voice prints."""
    import stat

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    settings = Settings(data_dir=tmp_path / "new" / "data", _env_file=None)  # type: ignore[call-arg]
    with TestClient(create_app(settings, start_worker=False)):
        pass
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700


def test_the_recording_page_shows_the_consent_given(api_client, tmp_path) -> None:
    client, _ = api_client
    audio = write_audio(tone(1.0, freq=640.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    recording_id = upload(client, audio, "a.wav").json()["id"]
    english = client.get(f"/recordings/{recording_id}", headers={"Accept-Language": "en"}).text
    assert "Everyone recorded agreed: confirmed at upload on" in english
    assert 'title="API key tests"' in english  # who confirmed it
    dutch = client.get(f"/recordings/{recording_id}", headers={"Accept-Language": "nl"}).text
    assert "Iedereen in de opname gaf toestemming" in dutch


def test_a_name_given_while_the_job_runs_is_redacted_too(settings, tmp_path, monkeypatch) -> None:
    import api.jobs

    said = "Goedemiddag, u spreekt met Karel Appel over de thuisbatterij."
    running: dict[str, Any] = {}

    def named_meanwhile(_path: Path, _options: Any, _progress: Any, **_: Any) -> Transcript:
        answer = running["client"].patch(
            f"/api/v1/recordings/{running['id']}", json={"salesperson": "Karel Appel"}
        )
        assert answer.status_code == 200
        return _one_speaker(said, "S1", "salesperson")

    monkeypatch.setattr(api.jobs, "transcribe", named_meanwhile)
    private = settings.model_copy(update={"redact_pii": True})
    with authorised_client(private) as (client, _):
        audio = write_audio(tone(1.0, freq=991.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
        running["client"], running["id"] = client, upload(client, audio, "a.wav").json()["id"]
        process_recording(private, get_database(private.sqlalchemy_url), running["id"])
        url = f"/api/v1/recordings/{running['id']}/transcript"
        text = client.get(url).json()["segments"][0]["text"]
        terms = {t["lemma"] for t in client.get("/api/v1/terms?limit=200").json()["terms"]}
    assert "Karel" not in text and "[naam]" in text and "thuisbatterij" in text
    assert "thuisbatterij" in terms and not {"karel", "appel"} & terms


@pytest.mark.parametrize("moment", ["transcribing", "storing"])
def test_a_voice_deleted_while_a_job_runs_is_not_kept_with_it(
    settings, tmp_path, monkeypatch, moment: str
) -> None:
    """Deleted while the job transcribes, or while it stores "done" (the delete then cannot
    see the job's row yet; on SQLite it waits for the job's transaction): either way the
    person's print does not stay."""
    import json
    import threading
    import time

    import numpy as np

    import api.jobs
    from api import service
    from api.voices import save_voice
    from transcribe import VoiceProfile

    settings.make_data_dir()
    with get_database(settings.sqlalchemy_url).session() as session:
        save_voice(session, VoiceProfile("Jan", np.ones(4, dtype=np.float32)))
    deleting: list[threading.Thread] = []

    def delete_jan() -> None:
        with get_database(settings.sqlalchemy_url).session() as session:
            assert service.delete_voice(session, "Jan")

    def jan_and_a_customer(_path: Path, _options: Any, _progress: Any, **_: Any) -> Transcript:
        if moment == "transcribing":
            delete_jan()
        segments = (
            Segment(0.0, 2.0, "Goedemiddag.", speaker="S1", role="salesperson"),
            Segment(2.0, 4.0, "Dag, fijn dat u er bent.", speaker="S2", role="customer"),
        )
        speakers = (
            Speaker("S1", "salesperson", name="Jan", voice=(0.5, 0.5)),
            Speaker("S2", "customer", voice=(0.1, 0.9)),
        )
        return Transcript("nl", 4.0, "test", segments, speakers)

    store_analysis = api.jobs.termstore.store_analysis

    def storing(*args: Any, **kwargs: Any) -> None:
        if moment == "storing" and not deleting:  # another request, during the job's "done"
            deleting.append(threading.Thread(target=delete_jan))
            deleting[0].start()
            time.sleep(0.5)  # PostgreSQL: deleted by now; SQLite: waiting for this transaction
        store_analysis(*args, **kwargs)

    monkeypatch.setattr(api.jobs, "transcribe", jan_and_a_customer)
    monkeypatch.setattr(api.jobs.termstore, "store_analysis", storing)
    recording_id = _job_run(settings, tmp_path, 992.0).id
    for thread in deleting:
        thread.join()
    with get_database(settings.sqlalchemy_url).session() as session:
        voices = json.loads(session.get(Recording, recording_id).voices_json or "{}")
        assert service.list_voices(session) == []
    assert set(voices) == {"S2"}  # Jan's print is gone; the customer's stays beside it


def test_a_name_given_while_a_job_stores_its_results_is_redacted(
    settings, tmp_path, monkeypatch
) -> None:
    """The name arrives while the job's "done" transaction is open: the correction waits for
    it, then sees the recording done, and takes the name out of the text."""
    import threading
    import time

    import api.jobs
    from api import service

    private = settings.model_copy(update={"redact_pii": True})
    monkeypatch.setattr(
        api.jobs, "transcribe",
        lambda *_a, **_k: _one_speaker("U spreekt met Karel Appel.", "S1", "salesperson"),
    )  # fmt: skip
    store_analysis = api.jobs.termstore.store_analysis
    naming: list[threading.Thread] = []

    def storing(session: Any, recording: Recording, *args: Any, **kwargs: Any) -> None:
        def name_him() -> None:
            with get_database(private.sqlalchemy_url).session() as other:
                changes = service.RecordingChanges(salesperson="Karel Appel")
                service.update_recording(other, recording.id, changes, private)

        if not naming:  # the job's store (the correction recounts through here too)
            naming.append(threading.Thread(target=name_him))
            naming[0].start()
            time.sleep(0.5)  # the correction is under way, waiting for this transaction
        store_analysis(session, recording, *args, **kwargs)

    monkeypatch.setattr(api.jobs.termstore, "store_analysis", storing)
    recording = _job_run(private, tmp_path, 993.0)
    naming[0].join()
    with get_database(private.sqlalchemy_url).session() as session:
        text = service.get_transcript(session, recording.id).segments[0].text
        assert service.get_recording(session, recording.id).salesperson == "Karel Appel"
    assert text == "U spreekt met [naam]."
