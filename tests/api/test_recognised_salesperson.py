"""A remembered voice names its call: an empty salesperson field takes the recognised name,
so that search and the report's filter find the call; a different typed name is flagged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.db import get_database
from api.jobs import process_recording
from tests.api.test_api import upload
from tests.conftest import authorised_client, tone, write_audio
from transcribe.types import Segment, Speaker, Transcript


def _recognised(_path: Path, _options: Any, _progress: Any, **_: Any) -> Transcript:
    """What a job gives when the salesperson's voice profile matched."""
    lines = (
        Segment(0.0, 2.0, "Goedemiddag, ik kom voor de warmtepomp.", "S1", "salesperson"),
        Segment(2.0, 4.0, "Wat kost zo'n warmtepomp?", "S2", "customer"),
    )
    speakers = (Speaker("S1", "salesperson", "Pieter de Smet", 0.9), Speaker("S2", "customer"))
    return Transcript("nl", 4.0, "test", lines, speakers)


def test_a_recognised_salesperson_fills_an_empty_field_and_a_different_one_is_flagged(
    settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    import api.jobs

    monkeypatch.setattr(api.jobs, "transcribe", _recognised)
    with authorised_client(settings) as (client, _):
        database = get_database(settings.sqlalchemy_url)
        ids = {}
        for typed, freq in (("", 440.0), ("Sanne Jansen", 550.0), ("pieter", 660.0)):
            audio = write_audio(tone(1.0, freq=freq), tmp_path / f"{freq}.wav", "pcm_s16le")
            ids[typed] = upload(client, audio.read_bytes(), "a.wav", salesperson=typed).json()["id"]
            process_recording(settings, database, ids[typed])
        details = {k: client.get(f"/api/v1/recordings/{v}").json() for k, v in ids.items()}

        assert details[""]["salesperson"] == "Pieter de Smet"  # filled in
        assert details["Sanne Jansen"]["salesperson"] == "Sanne Jansen"  # typed: kept
        assert details["pieter"]["salesperson"] == "pieter"
        found = client.get("/api/v1/recordings", params={"q": "Pieter"}).json()["recordings"]
        assert {r["id"] for r in found} == {ids[""], ids["pieter"]}
        conflict = client.get(f"/recordings/{ids['Sanne Jansen']}").text
        assert 'id="other-salesperson"' in conflict and "Pieter de Smet" in conflict
        same = client.get(f"/recordings/{ids['pieter']}").text  # the same person, shorter
        assert 'id="other-salesperson"' not in same


def test_naming_the_salesperson_speaker_names_a_call_without_one(
    settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from dataclasses import replace

    import api.jobs

    def unnamed(*args: Any, **kwargs: Any) -> Transcript:
        heard = _recognised(*args, **kwargs)
        return replace(heard, speakers=tuple(replace(s, name=None) for s in heard.speakers))

    monkeypatch.setattr(api.jobs, "transcribe", unnamed)
    with authorised_client(settings) as (client, _):
        audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
        recording_id = upload(client, audio, "a.wav").json()["id"]
        process_recording(settings, get_database(settings.sqlalchemy_url), recording_id)
        assert client.get(f"/api/v1/recordings/{recording_id}").json()["salesperson"] is None

        named = client.patch(
            f"/api/v1/recordings/{recording_id}/speakers",
            json={"speakers": [{"id": "S1", "name": "Mark"}]},
        )

        assert named.status_code == 200, named.text
        assert client.get(f"/api/v1/recordings/{recording_id}").json()["salesperson"] == "Mark"
        terms = client.get("/api/v1/terms", params={"salesperson": "mark"}).json()["terms"]
        assert "warmtepomp" in {t["lemma"] for t in terms}
