"""Voice profiles live in the database: every server and worker of a setup sees the same
voices, and profiles kept as files by earlier versions are moved in."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from api import service
from api.db import get_database
from api.settings import Settings
from api.voices import find_voice, import_voice_files, save_voice
from tests.conftest import authorised_client
from transcribe import VoiceProfile, VoiceProfileStore


def _profile(name: str, role: str = "salesperson", seed: int = 0) -> VoiceProfile:
    vector = np.random.default_rng(seed).normal(size=8).astype(np.float32)
    vector /= np.linalg.norm(vector)  # as enrolment stores them
    return VoiceProfile(name, vector, role, consent_by="web form from 10.0.0.1")  # type: ignore[arg-type]


def test_a_voice_enrolled_on_one_machine_is_known_on_another(
    settings: Settings, tmp_path: Path
) -> None:
    """Two machines (their own data folders and engines) on one database: what one enrols
    or had in its folder, the other's jobs recognise, and what one deletes is gone for both."""
    from api.db import Database

    url = settings.database_url or f"sqlite:///{tmp_path}/shared.db"
    web = settings.model_copy(update={"database_url": url})
    worker = Settings(data_dir=tmp_path / "worker", database_url=url, _env_file=None)  # type: ignore[call-arg]
    VoiceProfileStore(worker.voices_dir).save(_profile("Piet", "customer", seed=4))  # old files
    web_db = get_database(web.sqlalchemy_url)
    worker_db = Database(worker.sqlalchemy_url)  # another process's own engine and pool
    try:
        with web_db.session() as session:
            save_voice(session, _profile("Jan"))
        with worker_db.session() as session:
            service.after_upgrade(session, worker)  # the worker's start moves its files in
            seen = {v.name: v for v in service.list_voices(session)}
        assert set(seen) == {"Jan", "Piet"} and not worker.voices_dir.exists()
        assert seen["Jan"].consent_by == "web form from 10.0.0.1"
        np.testing.assert_allclose(seen["Jan"].embedding, _profile("Jan").embedding, atol=1e-5)
        with web_db.session() as session:
            assert [v.name for v in service.list_voices(session)] == ["Jan", "Piet"]
            assert service.delete_voice(session, "Jan")
        with worker_db.session() as session:
            assert [v.name for v in service.list_voices(session)] == ["Piet"]
    finally:
        worker_db.dispose()


def test_a_name_is_stored_as_it_is_looked_up(settings: Settings) -> None:
    """Spaces around a name typed on the command line would make a profile no request could
    find or delete."""
    settings.make_data_dir()
    with get_database(settings.sqlalchemy_url).session() as session:
        stored = save_voice(session, _profile(" Jan "))
        assert stored.name == "Jan" and service.voice_exists(session, "Jan")
        assert service.delete_voice(session, " Jan ")
        assert service.list_voices(session) == []


def test_one_person_in_other_capitals_is_one_profile(settings: Settings) -> None:
    """ "pieter de smet" typed after "Pieter de Smet" is the same person: found, replaced
    (keeping how the name was written) and deleted as one, never listed twice."""
    settings.make_data_dir()
    with get_database(settings.sqlalchemy_url).session() as session:
        save_voice(session, _profile("Pieter de Smet"))
        assert service.voice_exists(session, "PIETER DE SMET")
        save_voice(session, _profile("pieter de smet", "customer", seed=2))
        [kept] = service.list_voices(session)
        assert (kept.name, kept.role) == ("Pieter de Smet", "customer")
        assert service.delete_voice(session, "Pieter De Smet")
        assert service.list_voices(session) == []


def test_saving_a_voice_again_replaces_it(settings: Settings) -> None:
    settings.make_data_dir()
    with get_database(settings.sqlalchemy_url).session() as session:
        save_voice(session, _profile("Jan"))
        save_voice(session, _profile("Jan", "customer", seed=1))
        save_voice(session, _profile("Piet", seed=2))
        voices = service.list_voices(session)
        assert [(v.name, v.role) for v in voices] == [("Jan", "customer"), ("Piet", "salesperson")]
        stored = find_voice(session, " Jan ")
        assert stored is not None
        np.testing.assert_allclose(stored.embedding, _profile("J", seed=1).embedding, atol=1e-5)
        with pytest.raises(ValueError, match="cannot hold /"):
            save_voice(session, _profile("Jan/Piet"))


def test_voices_kept_as_files_are_moved_into_the_database_at_start(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """An upgrade: the server's start moves the folder's profiles in and deletes the files (a
    voice print should not stay behind in a second place); an unreadable file stays."""
    files = VoiceProfileStore(settings.voices_dir)
    files.save(_profile("Jan"))
    files.save(_profile("Fatima Öztürk", "customer", seed=3))
    broken = settings.voices_dir / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING), authorised_client(settings) as (client, _):
        voices = client.get("/api/v1/voices").json()["voices"]
        assert [(v["name"], v["role"]) for v in voices] == [
            ("Fatima Öztürk", "customer"),
            ("Jan", "salesperson"),
        ]
    assert [p.name for p in settings.voices_dir.iterdir()] == ["broken.json"]
    assert "cannot be read" in caplog.text and "Fatima" not in caplog.text  # no names logged


def test_a_file_does_not_overwrite_a_voice_the_database_has(
    settings: Settings, tmp_path: Path
) -> None:
    """Another machine moved its "Jan" in first: the database's stays, the file goes."""
    settings.make_data_dir()
    VoiceProfileStore(tmp_path / "old").save(_profile("Jan", "customer", seed=5))
    with get_database(settings.sqlalchemy_url).session() as session:
        save_voice(session, _profile("Jan"))
        assert import_voice_files(session, tmp_path / "old") == 1
        kept = find_voice(session, "Jan")
        assert kept is not None and kept.role == "salesperson"
        assert import_voice_files(session, tmp_path / "old") == 0  # nothing left, folder gone
    assert not (tmp_path / "old").exists()


def test_the_move_happens_once_so_a_deleted_voice_does_not_come_back(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Machine A moved its folder in, and "Jan" was deleted at his request; machine B then
    starts with its own old copy of the folder: Jan stays deleted, B's files stay put with
    a warning, until an admin moves them in on purpose."""
    from api.service import delete_voice

    settings.make_data_dir()
    VoiceProfileStore(tmp_path / "a").save(_profile("Jan"))
    VoiceProfileStore(tmp_path / "b").save(_profile("Jan"))
    with get_database(settings.sqlalchemy_url).session() as session:
        assert import_voice_files(session, tmp_path / "a") == 1
        assert delete_voice(session, "Jan")
        with caplog.at_level(logging.WARNING):
            assert import_voice_files(session, tmp_path / "b") == 0
        assert find_voice(session, "Jan") is None
    assert list((tmp_path / "b").glob("*.json"))  # left alone
    assert "done once already" in caplog.text and "voices import" in caplog.text
    env = {**os.environ, "RIDEALONG_DATA_DIR": str(settings.data_dir)}
    moved = subprocess.run(
        [sys.executable, "-m", "api", "voices", "import", str(tmp_path / "b")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert moved.returncode == 0 and "moved 1 voice profile(s)" in moved.stderr
    with get_database(settings.sqlalchemy_url).session() as session:
        assert find_voice(session, "Jan") is not None


def test_a_file_that_cannot_be_deleted_does_not_stop_the_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A voices folder mounted read-only: the profiles move in, the start goes on, and the
    log says to delete the files by hand."""
    VoiceProfileStore(settings.voices_dir).save(_profile("Jan"))

    def read_only(self: Path, missing_ok: bool = False) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(Path, "unlink", read_only)
    with caplog.at_level(logging.WARNING), authorised_client(settings) as (client, _):
        assert [v["name"] for v in client.get("/api/v1/voices").json()["voices"]] == ["Jan"]
    monkeypatch.undo()
    assert "could not be deleted" in caplog.text
    with authorised_client(settings) as (client, _):  # the next start does not stumble either
        assert client.get("/api/v1/voices").status_code == 200


def test_deleting_a_voice_erases_the_prints_of_speakers_named_in_other_capitals(
    settings: Settings,
) -> None:
    """A speaker named "jan de vries" on a form is the person of the profile "Jan de
    Vries": deleting the profile takes that speaker's voice print too."""
    import json

    from sqlalchemy import select
    from sqlalchemy.orm import undefer

    from api.db import Recording
    from tests.api.test_report_privacy import PANELS, _analysed

    recording_id = _analysed(settings, PANELS, "2026-11-01")
    db = get_database(settings.sqlalchemy_url)
    with db.session() as session:
        row = session.scalar(
            select(Recording)
            .where(Recording.id == recording_id)
            .options(undefer(Recording.transcript_json), undefer(Recording.voices_json))
        )
        assert row is not None and row.transcript_json is not None
        document = json.loads(row.transcript_json)
        document["speakers"][0]["name"] = "jan de vries"
        row.transcript_json = json.dumps(document)
        row.voices_json = json.dumps({"S1": [0.6, 0.8], "S2": [0.8, 0.6]})
        session.commit()
        save_voice(session, _profile("Jan de Vries"))
        assert service.delete_voice(session, "Jan de Vries")
        assert set(service.voiced_speakers(session, recording_id)) == {"S2"}
