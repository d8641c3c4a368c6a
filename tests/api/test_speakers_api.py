"""Speaker corrections and voice profiles through the JSON API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.demo import prepare_demo
from tests.conftest import authorised_client


def _terms(client, recording_id: str, role: str) -> set[str]:
    params = {"role": role, "recording_id": recording_id, "limit": 200}
    return {t["term"] for t in client.get("/api/v1/terms", params=params).json()["terms"]}


def _first_recording(client) -> str:
    return client.get("/api/v1/recordings").json()["recordings"][0]["id"]


def test_speakers_and_conversation_stats(api_client, settings) -> None:
    client, _ = api_client
    prepare_demo(settings)
    body = client.get(f"/api/v1/recordings/{_first_recording(client)}/speakers").json()
    assert {s["role"] for s in body["speakers"]} == {"salesperson", "customer"}
    stats = body["stats"]
    assert set(stats) == {"talk_s", "talk_share", "longest_monologue_s", "questions", "turns"}
    assert sum(stats["talk_share"].values()) == pytest.approx(1.0, abs=0.01)
    assert stats["questions"]["customer"] >= 1 and stats["turns"] > 4


def test_swapping_roles_redoes_the_recordings_terms(api_client, settings) -> None:
    client, _ = api_client
    prepare_demo(settings)
    recording_id = _first_recording(client)
    customer_before = _terms(client, recording_id, "customer")
    salesperson_before = _terms(client, recording_id, "salesperson")
    roles = {
        s["id"]: s["role"]
        for s in client.get(f"/api/v1/recordings/{recording_id}/speakers").json()["speakers"]
    }
    swapped = {"salesperson": "customer", "customer": "salesperson"}
    patch = {"speakers": [{"id": i, "role": swapped[r]} for i, r in roles.items()]}
    response = client.patch(f"/api/v1/recordings/{recording_id}/speakers", json=patch)
    assert response.status_code == 200
    after = {s["id"]: s for s in response.json()["speakers"]}
    assert all(
        after[i]["role"] == swapped[r] and after[i]["confidence"] == 1.0 for i, r in roles.items()
    )
    assert _terms(client, recording_id, "customer") == salesperson_before
    assert _terms(client, recording_id, "salesperson") == customer_before
    transcript = client.get(f"/api/v1/recordings/{recording_id}/transcript").json()
    by_speaker = {s["speaker"]: s["role"] for s in transcript["segments"]}
    assert by_speaker == {i: swapped[r] for i, r in roles.items()}


def test_rename_merge_and_bad_corrections(api_client, settings) -> None:
    client, _ = api_client
    prepare_demo(settings)
    recording_id = _first_recording(client)
    url = f"/api/v1/recordings/{recording_id}/speakers"
    renamed = client.patch(url, json={"speakers": [{"id": "S1", "name": "Jan de Vries"}]}).json()
    assert [s["name"] for s in renamed["speakers"] if s["id"] == "S1"] == ["Jan de Vries"]
    assert (
        "Jan de Vries, salesperson (S1)"
        in client.get(
            f"/api/v1/recordings/{recording_id}/transcript", params={"format": "txt"}
        ).text
    )
    for bad in (
        {"speakers": [{"id": "S9", "role": "customer"}]},  # no such speaker
        {"speakers": [{"id": "S1", "merge_into": "S1"}]},
        {"speakers": [{"id": "S1", "role": "boss"}]},
        {"speakers": []},
        {"speakers": [{"id": "S1"}], "surprise": 1},
    ):
        response = client.patch(url, json=bad)
        assert response.status_code == 422 and response.json()["detail"], bad
    merged = client.patch(url, json={"speakers": [{"id": "S2", "merge_into": "S1"}]}).json()
    assert [s["id"] for s in merged["speakers"]] == ["S1"]
    segments = client.get(f"/api/v1/recordings/{recording_id}/transcript").json()["segments"]
    assert {s["speaker"] for s in segments} == {"S1"}
    assert (
        client.patch(
            "/api/v1/recordings/nope/speakers", json={"speakers": [{"id": "S1"}]}
        ).status_code
        == 404
    )


def test_voices_from_audio_and_from_a_corrected_recording(tmp_path, shared_audio: Path) -> None:
    """Enrol from a file, list, delete; and enrol a corrected speaker of a processed recording."""
    from api.db import Recording, get_database
    from api.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    with authorised_client(settings) as (client, _):
        refused = client.post(
            "/api/v1/voices",
            data={"name": "Jan"},
            files=[("files", ("jan.wav", b"not audio at all", "audio/wav"))],
        )
        assert refused.status_code == 422
        assert refused.json()["detail"].startswith("jan.wav is not an audio file we can read")
        audio = (shared_audio / "nl_constructed/nl_monologue_male_flemish_16k.wav").read_bytes()
        created = client.post(
            "/api/v1/voices",
            data={"name": "Jan"},
            files=[("files", ("jan.wav", audio, "audio/wav"))],
        )
        answer = created.json()
        assert created.status_code == 201 and answer["enrolled_at"].startswith("20")
        assert {k: answer[k] for k in ("name", "role", "replaced", "consent_by")} == {
            "name": "Jan",
            "role": "salesperson",
            "replaced": False,
            "consent_by": None,  # nobody said the person agreed
        }
        again = client.post(
            "/api/v1/voices",
            data={"name": "Jan", "role": "other", "consent": "true"},
            files=[("files", ("jan.wav", audio, "audio/wav"))],
        )  # the API replaces, and says so
        assert again.status_code == 201 and again.json()["replaced"] is True
        [listed] = client.get("/api/v1/voices").json()["voices"]
        assert listed["role"] == "other" and listed["consent_by"] == "API key tests"
        slashed = client.post(
            "/api/v1/voices",
            data={"name": "../../etc"},
            files=[("files", ("jan.wav", audio, "audio/wav"))],
        )  # it could never be deleted through DELETE /api/v1/voices/{name}
        assert slashed.status_code == 422 and "cannot hold /" in slashed.json()["detail"]
        assert client.delete("/api/v1/voices/Jan").status_code == 204
        assert client.delete("/api/v1/voices/Jan").status_code == 404

        prepare_demo(settings)
        recording_id = _first_recording(client)
        url = f"/api/v1/recordings/{recording_id}/speakers"
        # demo transcripts were not diarized from audio: no voices to enrol
        no_voice = client.patch(
            url, json={"speakers": [{"id": "S1", "name": "Piet"}], "enroll": True}
        )
        assert no_voice.status_code == 422 and "no voice" in no_voice.json()["detail"]
        speakers = client.get(url).json()["speakers"]
        assert "Piet" not in {s["name"] for s in speakers}  # all or nothing
        database = get_database(settings.sqlalchemy_url)
        with database.session.begin() as session:
            session.get(Recording, recording_id).voices_json = json.dumps({"S1": [0.0625] * 256})
        enrolled = client.patch(
            url,
            json={"speakers": [{"id": "S1", "name": "Piet"}], "enroll": True, "consent": True},
        )
        assert enrolled.status_code == 200
        voices = {v["name"]: v for v in client.get("/api/v1/voices").json()["voices"]}
        assert voices["Piet"]["role"] == "salesperson"
        assert voices["Piet"]["consent_by"] == "API key tests"
        # Forgetting Piet's voice erases his voice print from the recording too, so nobody
        # can enrol him again from it; his name and words stay.
        assert client.delete("/api/v1/voices/Piet").status_code == 204
        with database.session() as session:
            assert session.get(Recording, recording_id).voices_json is None
        again = client.patch(url, json={"speakers": [{"id": "S1", "name": "Piet"}], "enroll": True})
        assert again.status_code == 422 and "no voice" in again.json()["detail"]
        assert "Piet" in {s["name"] for s in client.get(url).json()["speakers"]}
        assert client.delete("/api/v1/voices/Piet").status_code == 404


def test_a_voice_is_enrolled_from_the_first_minutes_of_a_long_file(tmp_path) -> None:
    """A file of hours is never decoded whole into memory for a voice profile."""
    from api.service import VOICE_SAMPLE_S
    from tests.conftest import tone, write_audio
    from transcribe import decode_audio

    path = write_audio(tone(75.0), tmp_path / "lang.flac", "flac")  # more than two blocks
    with path.open("rb") as file:
        assert decode_audio(file, max_s=2).size == 2 * 16_000
    assert abs(decode_audio(path, max_s=VOICE_SAMPLE_S).size - 75 * 16_000) < 16
