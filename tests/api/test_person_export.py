"""A data subject access request: everything held about one person, as one zip."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from api.demo import prepare_demo
from api.settings import Settings
from tests.conftest import tone, write_audio

REPO = Path(__file__).resolve().parents[2]


def _upload(client: Any, audio: bytes, customer: str) -> str:
    response = client.post(
        "/api/v1/recordings",
        files={"file": ("gesprek.wav", audio, "audio/wav")},
        data={"consent": "true", "customer": customer, "salesperson": "Mark"},
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _export(client: Any, name: str, **params: str) -> zipfile.ZipFile:
    response = client.get("/api/v1/people/export", params={"name": name, **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_a_persons_data_comes_as_one_zip(
    api_client: Any, settings: Settings, tmp_path: Path
) -> None:
    from api.db import get_database
    from api.voices import save_voice
    from transcribe import VoiceProfile

    client, _ = api_client
    prepare_demo(settings)  # Mark sells to "De Vries" and "Bakker"
    audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    theirs = _upload(client, audio, "bakker")  # the same person, typed in lower case
    other = _upload(client, audio + b"\0\0", "Bakkerij Jansen")  # another customer
    [demo] = [
        r["id"] for r in client.get("/api/v1/recordings").json()["recordings"]
        if r["customer"] == "Bakker"
    ]  # fmt: skip
    named = {"speakers": [{"id": "S2", "name": "Sanne Bakker"}]}
    assert client.patch(f"/api/v1/recordings/{demo}/speakers", json=named).status_code == 200
    with get_database(settings.sqlalchemy_url).session() as session:
        save_voice(session, VoiceProfile("Sanne Bakker", np.ones(4, dtype=np.float32), "customer"))

    archive = _export(client, " BAKKER ")
    person = json.loads(archive.read("person.json"))
    assert person["name"] == "BAKKER" and person["voice_profile"] is None
    found = {r["id"]: r for r in person["recordings"]}
    assert set(found) == {demo, theirs} and other not in found  # whole names only
    assert found[theirs]["named_as"] == ["customer"] and found[theirs]["consent"] is True
    assert found[theirs]["audio_in_this_export"] is None  # audio only when asked for
    said = archive.read(f"recordings/{demo}/transcript.txt").decode()
    assert "warmtepomp" in said.lower()
    assert not any(name.startswith(f"recordings/{theirs}/") for name in archive.namelist())
    assert "BAKKER" in archive.read("README.txt").decode()

    with_audio = _export(client, "Bakker", audio="true")
    entry = json.loads(with_audio.read("person.json"))["recordings"]
    audio_file = next(r["audio_in_this_export"] for r in entry if r["id"] == theirs)
    assert with_audio.read(audio_file) == audio

    speaker = json.loads(_export(client, "sanne bakker").read("person.json"))
    assert [r["named_as"] for r in speaker["recordings"]] == [["speaker S2 (customer)"]]
    assert speaker["voice_profile"]["role"] == "customer"
    missing = client.get("/api/v1/people/export", params={"name": "Nobody"})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_only_an_admin_key_exports_a_person(api_client: Any, settings: Settings) -> None:
    from api.auth import create_api_key
    from api.db import get_database

    client, _ = api_client
    with get_database(settings.sqlalchemy_url).session() as session:
        key = create_api_key(session, "cms", "write")
    refused = client.get(
        "/api/v1/people/export", params={"name": "Mark"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert refused.status_code == 403 and "needs 'admin'" in refused.json()["detail"]


def test_the_cli_writes_the_zip_and_keeps_an_existing_file(
    settings: Settings, tmp_path: Path
) -> None:
    prepare_demo(settings)

    def export(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "RIDEALONG_DATA_DIR": str(settings.data_dir)}
        return subprocess.run(
            [sys.executable, "-m", "api", "person", "export", *args],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
        )  # fmt: skip

    done = export("de vries")
    assert done.returncode == 0, done.stderr
    written = tmp_path / "ridealong de vries.zip"
    assert "1 recording(s)" in done.stderr and written.is_file()
    recordings = json.loads(zipfile.ZipFile(written).read("person.json"))["recordings"]
    assert [r["customer"] for r in recordings] == ["De Vries"]
    again = export("de vries", "-o", str(written))
    assert again.returncode == 1 and "exists" in again.stderr
    assert export("nobody").returncode == 1
