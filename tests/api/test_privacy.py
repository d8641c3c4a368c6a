"""Privacy: personal data redacted before storage, audio deleted after the retention period."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from api import service
from api.db import Recording, Status, get_database, utcnow
from api.jobs import process_recording
from api.storage import LocalBlobStore
from tests.api.test_api import upload
from tests.conftest import authorised_client, tone, write_audio
from transcribe.types import Segment, Speaker, Transcript


def test_personal_data_never_reaches_the_database(settings, tmp_path, monkeypatch) -> None:
    import api.jobs

    said = (
        "Ik ben mevrouw Jansen, bel me op 06-12345678 of mail naar a.jansen@example.nl over "
        "de thuisbatterij."
    )

    def fake_transcribe(_path: Path, _options: Any, _progress: Any, **_: Any) -> Transcript:
        segment = Segment(0.0, 4.0, said, speaker="S2", role="customer")
        return Transcript("nl", 4.0, "test", (segment,), (Speaker("S2", "customer"),))

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
    database_bytes = b"".join(p.read_bytes() for p in private.data_dir.glob("ridealong.db*"))
    for secret in (b"12345678", b"a.jansen@example", b"Jansen, bel"):
        assert secret not in database_bytes


def test_audio_past_the_retention_period_is_deleted_and_the_transcript_stays(
    api_client, settings, tmp_path
) -> None:
    client, _ = api_client
    ids = {}
    for age_days, freq in ((40, 500.0), (10, 600.0)):
        audio = write_audio(tone(1.0, freq=freq), tmp_path / f"{age_days}.wav", "pcm_s16le")
        ids[age_days] = upload(client, audio.read_bytes(), f"{age_days}.wav").json()["id"]
    database = get_database(settings.sqlalchemy_url)
    with database.session.begin() as session:  # as if transcribed that long ago
        for age_days, recording_id in ids.items():
            recording = session.get(Recording, recording_id)
            recording.status = Status.done
            recording.transcribed_at = utcnow() - timedelta(days=age_days)
            recording.transcript_json = '{"segments": []}'
    with database.session() as session:
        deleted = service.apply_retention(session, LocalBlobStore(settings.blob_dir), 30)
    assert deleted == 1
    old, recent = ids[40], ids[10]
    assert client.get(f"/recordings/{old}/audio").status_code == 404
    assert client.get(f"/recordings/{recent}/audio").status_code == 200
    assert client.get(f"/api/v1/recordings/{old}/transcript").status_code == 200
    assert "deleted on" in client.get(f"/recordings/{old}").text
    blobs = [p.name for p in settings.blob_dir.rglob("*") if p.is_file()]
    assert blobs == [client.get(f"/api/v1/recordings/{recent}").json()["sha256"]]
    with database.session() as session:  # nothing more to do the second time
        assert service.apply_retention(session, LocalBlobStore(settings.blob_dir), 30) == 0
        assert service.apply_retention(session, LocalBlobStore(settings.blob_dir), 0) == 0
