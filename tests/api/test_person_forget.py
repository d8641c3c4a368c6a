"""A request to be forgotten: one person's recordings, voice and name erased in one step."""

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
import pytest
from sqlalchemy import select
from sqlalchemy.orm import undefer

from api.db import Recording, Status, get_database
from api.demo import prepare_demo
from api.jobs import process_recording
from api.settings import Settings
from tests.api.test_api import upload
from tests.conftest import tone, write_audio
from transcribe.types import Segment, Speaker, Transcript

SAID = {
    "S1": "Goedemiddag, ik ben Karel Appel van Zonnig Dak. Bel me gerust op 06-12345678.",
    "S2": "Hoeveel kost een thuisbatterij met installatie, meneer Appel?",
}


def _conversation(_path: Path, _options: Any, _progress: Any, **_: Any) -> Transcript:
    """What the job's transcription gives: a named salesperson and a customer, with voices."""
    segments = tuple(
        Segment(4.0 * i, 4.0 * i + 4.0, text, speaker=speaker, role=role)
        for i, (speaker, role, text) in enumerate(
            [("S1", "salesperson", SAID["S1"]), ("S2", "customer", SAID["S2"])]
        )
    )
    speakers = (
        Speaker("S1", "salesperson", "Karel Appel", voice=(0.6, 0.8)),
        Speaker("S2", "customer", voice=(0.8, 0.6)),
    )
    return Transcript("nl", 8.0, "test", segments, speakers)


def _processed(client: Any, settings: Settings, tmp_path: Path, freq: float, **form: str) -> str:
    audio = write_audio(tone(1.0, freq=freq), tmp_path / f"{freq}.wav", "pcm_s16le").read_bytes()
    recording_id = str(upload(client, audio, f"{freq}.wav", **form).json()["id"])
    process_recording(settings, get_database(settings.sqlalchemy_url), recording_id)
    return recording_id


def _row(settings: Settings, recording_id: str) -> Recording | None:
    with get_database(settings.sqlalchemy_url).session() as session:
        row = session.scalar(
            select(Recording)
            .where(Recording.id == recording_id)
            .options(undefer(Recording.transcript_json), undefer(Recording.voices_json))
        )
        if row is not None:
            session.expunge(row)
        return row


def test_a_customer_is_forgotten_with_their_conversations(
    api_client: Any, settings: Settings
) -> None:
    from api.db import VoiceRow
    from api.voices import list_voices, save_voice
    from transcribe import VoiceProfile

    client, _ = api_client
    prepare_demo(settings)  # Mark sells to "De Vries" and "Bakker"
    listed = client.get("/api/v1/recordings").json()["recordings"]
    ids = {r["customer"]: r["id"] for r in listed}
    with get_database(settings.sqlalchemy_url).session() as session:
        save_voice(session, VoiceProfile("De Vries", np.ones(4, dtype=np.float32), "customer"))
        # A database of before profiles were one per name in any capitals may hold both.
        session.add(VoiceRow(name="de vries", role="other", backend="resemblyzer",
                             embedding_json="[1, 1, 1, 1]"))  # fmt: skip
        session.commit()
    before = {t["lemma"] for t in client.get("/api/v1/terms?limit=500").json()["terms"]}
    export = client.get("/api/v1/people/export", params={"name": "DE VRIES"})
    held = json.loads(zipfile.ZipFile(io.BytesIO(export.content)).read("person.json"))
    assert sorted(v["role"] for v in held["voice_profiles"]) == ["customer", "other"]

    forgotten = client.delete("/api/v1/people", params={"name": "de vries"})

    assert forgotten.status_code == 200, forgotten.text
    assert forgotten.json() == {
        "name": "de vries",
        "deleted_recordings": [ids["De Vries"]],
        "unnamed_recordings": [],
        "voice_profile_deleted": True,
        "mentions_redacted": [],  # the other call names Bakker, not them
        "mentions_not_checked": [],
    }
    assert client.get(f"/api/v1/recordings/{ids['De Vries']}").status_code == 404
    assert client.get(f"/api/v1/recordings/{ids['Bakker']}").status_code == 200  # not theirs
    with get_database(settings.sqlalchemy_url).session() as session:
        assert list_voices(session) == []
    after = {t["lemma"] for t in client.get("/api/v1/terms?limit=500").json()["terms"]}
    assert after < before  # their conversation's words left the report
    again = client.delete("/api/v1/people", params={"name": "De Vries"})
    assert again.status_code == 404 and again.json()["code"] == "not_found"


def test_a_salesperson_is_forgotten_and_their_calls_keep_the_customers_words(
    api_client: Any, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.jobs

    monkeypatch.setattr(api.jobs, "transcribe", _conversation)
    client, _ = api_client
    theirs = _processed(client, settings, tmp_path, 500.0, title="Karel Appel bij de klant")
    named = _processed(client, settings, tmp_path, 600.0, salesperson="karel appel")
    other = _processed(client, settings, tmp_path, 700.0, salesperson="Karel Appelboom")
    client.patch(
        f"/api/v1/recordings/{other}/speakers",
        json={"speakers": [{"id": "S1", "name": "Karel Appelboom"}]},
    )

    assert "listen from" in client.get("/report").text and "read it at" not in (
        client.get("/report").text
    )  # every quote's audio is there
    response = client.delete("/api/v1/people", params={"name": "Karel Appel", "keep_words": "true"})

    assert response.status_code == 200, response.text
    assert set(response.json()["unnamed_recordings"]) == {theirs, named}
    assert response.json()["deleted_recordings"] == []
    for recording_id in (theirs, named):
        row = _row(settings, recording_id)
        assert row is not None and row.status == Status.done
        assert row.salesperson is None and row.voices_json is None and row.blob_key is None
        assert row.audio_deleted_at is not None
        assert "Appel" not in (row.title or "") and "Appel" not in (row.transcript_json or "")
        assert "12345678" not in (row.transcript_json or "")  # their phone number too
        transcript = client.get(f"/api/v1/recordings/{recording_id}/transcript").json()
        assert [s["name"] for s in transcript["speakers"]] == [None, None]
        assert "thuisbatterij" in transcript["segments"][1]["text"]  # the customer's words stay
        assert client.get(f"/api/v1/recordings/{recording_id}/audio").status_code in (404, 410)
    terms = client.get("/api/v1/terms", params={"limit": 500, "role": "customer"}).json()
    battery = next(t for t in terms["terms"] if "thuisbatterij" in t["lemma"])
    unnamed_quotes = [q for q in battery["quotes"] if q["recording_id"] in (theirs, named)]
    assert unnamed_quotes and all("Appel" not in q["text"] for q in unnamed_quotes)
    assert "read it at" in client.get("/report").text  # their audio went with the name
    kept = _row(settings, other)  # "Karel Appelboom" is somebody else
    assert kept is not None and kept.salesperson == "Karel Appelboom" and kept.blob_key


def test_nothing_changes_while_one_of_the_recordings_is_being_transcribed(
    api_client: Any, settings: Settings, tmp_path: Path
) -> None:
    client, _ = api_client
    audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    waiting = upload(client, audio, "a.wav", customer="Sanne").json()["id"]  # no worker: queued

    busy = client.delete("/api/v1/people", params={"name": "Sanne", "keep_words": "true"})

    assert busy.status_code == 409 and busy.json()["code"] == "busy"
    assert waiting in busy.json()["detail"]
    row = _row(settings, waiting)
    assert row is not None and row.customer == "Sanne" and row.blob_key
    deleted = client.delete("/api/v1/people", params={"name": "Sanne"})  # whole: no wait
    assert deleted.json()["deleted_recordings"] == [waiting]


def test_only_an_admin_key_forgets_a_person(api_client: Any, settings: Settings) -> None:
    from api.auth import create_api_key

    client, _ = api_client
    prepare_demo(settings)
    with get_database(settings.sqlalchemy_url).session() as session:
        key = create_api_key(session, "cms", "write")
    refused = client.delete(
        "/api/v1/people", params={"name": "Bakker"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert refused.status_code == 403
    assert len(client.get("/api/v1/recordings").json()["recordings"]) == 2


def test_the_cli_asks_first_then_forgets(settings: Settings, tmp_path: Path) -> None:
    prepare_demo(settings)

    def forget(*args: str, answer: str = "") -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "RIDEALONG_DATA_DIR": str(settings.data_dir)}
        return subprocess.run(
            [sys.executable, "-m", "api", "person", "forget", *args],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, input=answer,
        )  # fmt: skip

    declined = forget("Bakker", answer="n\n")
    assert declined.returncode == 1 and "nothing changed" in declined.stderr
    assert "meneer Bakker" in declined.stderr  # the recording it would delete, by title
    done = forget("mark", "--keep-words", "--yes")
    assert done.returncode == 0, done.stderr
    assert "2 recording(s) kept without the name" in done.stderr
    with get_database(settings.sqlalchemy_url).session() as session:
        rows = session.scalars(select(Recording).options(undefer(Recording.transcript_json)))
        texts = {r.customer: json.loads(r.transcript_json or "{}") for r in rows}
    assert set(texts) == {"Bakker", "De Vries"}
    said = " ".join(s["text"] for t in texts.values() for s in t["segments"])
    assert "Mark" not in said and "[naam] van Zonnig Dak" in said
    assert forget("mark", "--yes").returncode == 1  # nothing is held under the name any more


def test_a_person_forgotten_while_a_job_recognises_them_is_not_named_by_it(
    api_client: Any, settings: Settings, tmp_path: Path, monkeypatch: Any
) -> None:
    """The job loaded the voice profiles before the person asked to be forgotten: nothing
    named them yet, so the erasure found nothing to do; the job must not name them after."""
    import api.jobs
    from api.voices import save_voice
    from transcribe import VoiceProfile

    client, _ = api_client
    with get_database(settings.sqlalchemy_url).session() as session:
        voice = np.ones(4, dtype=np.float32)
        save_voice(session, VoiceProfile("Karel Appel", voice, "salesperson"))
    answers: list[Any] = []

    def recognising(_path: Path, _options: Any, _progress: Any, **kwargs: Any) -> Transcript:
        assert [p.name for p in kwargs["profiles"]] == ["Karel Appel"]
        answers.append(client.delete("/api/v1/people", params={"name": "Karel Appel"}))
        lines = (
            Segment(0.0, 4.0, "Goedemiddag, waar kan ik mee helpen?", "S1", "salesperson"),
            Segment(4.0, 8.0, "Wat kost een warmtepomp?", "S2", "customer"),
        )
        speakers = (
            Speaker("S1", "salesperson", "Karel Appel", 0.9, voice=(0.6, 0.8)),
            Speaker("S2", "customer", voice=(0.8, 0.6)),
        )
        return Transcript("nl", 8.0, "test", lines, speakers)

    monkeypatch.setattr(api.jobs, "transcribe", recognising)
    audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    recording_id = upload(client, audio, "a.wav").json()["id"]
    process_recording(settings, get_database(settings.sqlalchemy_url), recording_id)

    assert answers[0].status_code == 200 and answers[0].json()["voice_profile_deleted"]
    with get_database(settings.sqlalchemy_url).session() as session:
        row = session.scalar(
            select(Recording)
            .where(Recording.id == recording_id)
            .options(undefer(Recording.transcript_json), undefer(Recording.voices_json))
        )
        assert row is not None and row.status == Status.done
        assert "Karel Appel" not in (row.transcript_json or "") and row.salesperson is None
        assert set(json.loads(row.voices_json or "{}")) == {"S2"}  # the customer's print stays
    assert client.get("/api/v1/people/export", params={"name": "Karel Appel"}).status_code == 404


def test_keeping_the_words_takes_the_name_from_what_people_typed_in_any_form(
    api_client: Any, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Titles, file names and tags are typed by hand: "bezoek karel appel",
    "karel_appel_bezoek.wav", "karel-appel". A label longer than a short name must not
    overflow a full title (PostgreSQL refuses what its column cannot hold)."""
    import api.jobs

    monkeypatch.setattr(api.jobs, "transcribe", _conversation)
    client, _ = api_client
    audio = write_audio(tone(1.0, freq=800.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    typed = upload(
        client, audio, "karel_appel_bezoek.wav",
        title="bezoek KarelAppel en appel", salesperson="Karel Appel", tags="karel-appel, zakelijk",
    ).json()["id"]  # fmt: skip
    full = "Ann " + "offerte warmtepomp " * 20
    ann = _processed(client, settings, tmp_path, 900.0, customer="Ann", title=full[:300])
    process_recording(settings, get_database(settings.sqlalchemy_url), typed)

    for name in ("Karel Appel", "Ann"):
        response = client.delete("/api/v1/people", params={"name": name, "keep_words": "true"})
        assert response.status_code == 200, response.text

    row = _row(settings, typed)
    assert row is not None and row.salesperson is None
    assert "appel" not in f"{row.title} {row.filename}".lower(), (row.title, row.filename)
    assert row.filename.endswith("_bezoek.wav") and row.title.startswith("bezoek [naam]")
    detail = client.get(f"/api/v1/recordings/{typed}").json()
    assert detail["tags"] == ["zakelijk"]
    assert client.get("/api/v1/recordings", params={"q": "appel"}).json()["recordings"] == []
    shortened = _row(settings, ann)
    assert shortened is not None and shortened.title.startswith("[naam] offerte")
    assert len(shortened.title) == 300 and shortened.customer is None


def test_others_conversations_lose_the_name_they_said_and_nothing_else(
    api_client: Any, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Onze buurman Piet Jansen …" in somebody else's call is Piet Jansen's data too: it
    becomes [naam] there (and stays out of the terms), while that call's own people and contact
    details stay as they were."""
    import api.jobs

    mention = "Onze buurman Piet Jansen heeft er een. Meneer Jansen belt op 06-11223344."

    def said(_path: Path, _options: Any, _progress: Any, **_: Any) -> Transcript:
        lines = (Segment(0.0, 4.0, mention, "S2", "customer"),)
        return Transcript("nl", 4.0, "test", lines, (Speaker("S2", "customer", "Anna Smit"),))

    monkeypatch.setattr(api.jobs, "transcribe", said)
    client, _ = api_client
    other = _processed(client, settings, tmp_path, 1000.0, customer="Anna Smit")
    monkeypatch.setattr(api.jobs, "transcribe", _conversation)
    theirs = _processed(client, settings, tmp_path, 1100.0, customer="Piet Jansen")
    before = client.get(f"/api/v1/recordings/{other}/transcript").json()
    assert "Piet Jansen" in before["segments"][0]["text"]  # a name mentioned: never a term

    response = client.delete("/api/v1/people", params={"name": "piet jansen"})

    assert response.status_code == 200, response.text
    assert response.json()["deleted_recordings"] == [theirs]
    assert response.json()["mentions_redacted"] == [other]
    transcript = client.get(f"/api/v1/recordings/{other}/transcript").json()
    assert transcript["segments"][0]["text"] == (
        "Onze buurman [naam] heeft er een. Meneer [naam] belt op 06-11223344."
    )
    assert transcript["speakers"][0]["name"] == "Anna Smit"
    assert "jansen" not in {t["lemma"] for t in client.get("/api/v1/terms").json()["terms"]}
    again = client.delete("/api/v1/people", params={"name": "Piet Jansen"})
    assert again.status_code == 404  # nothing left under that name


def test_a_person_others_only_mention_is_forgotten_from_their_words_and_what_was_typed(
    api_client: Any, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Piet Jansen is no salesperson, customer or speaker anywhere, only mentioned: his
    name still leaves the words, titles, tags and hidden terms; a recording not yet
    transcribed is named as unchecked."""
    import api.jobs

    mention = "Onze buurman Piet Jansen heeft zonnepanelen. Meneer Jansen is tevreden."

    def said(_path: Path, _options: Any, _progress: Any, **_: Any) -> Transcript:
        lines = (Segment(0.0, 4.0, mention, "S2", "customer"),)
        return Transcript("nl", 4.0, "test", lines, (Speaker("S2", "customer"),))

    monkeypatch.setattr(api.jobs, "transcribe", said)
    client, _ = api_client
    mentioned = _processed(client, settings, tmp_path, 1000.0, customer="Anna Smit")
    follow_up = _processed(
        client, settings, tmp_path, 1200.0, customer="Anna Smit", title="Vervolg Piet Jansen"
    )
    tagged = {"tags": ["piet-jansen", "warm"]}
    assert client.patch(f"/api/v1/recordings/{follow_up}", json=tagged).status_code == 200
    assert client.post("/api/v1/hidden-terms", json={"term": "jansen"}).status_code == 201
    audio = write_audio(tone(1.0, freq=1400.0), tmp_path / "q.wav", "pcm_s16le").read_bytes()
    waiting = upload(client, audio, "q.wav", customer="Bob").json()["id"]  # no worker: queued

    response = client.delete("/api/v1/people", params={"name": "Piet Jansen"})

    assert response.status_code == 200, response.text
    assert response.json()["deleted_recordings"] == []
    assert set(response.json()["mentions_redacted"]) == {mentioned, follow_up}
    assert response.json()["mentions_not_checked"] == [waiting]
    text = client.get(f"/api/v1/recordings/{mentioned}/transcript").json()["segments"][0]["text"]
    assert text == "Onze buurman [naam] heeft zonnepanelen. Meneer [naam] is tevreden."
    details = client.get(f"/api/v1/recordings/{follow_up}").json()
    assert details["title"] == "Vervolg [naam]" and details["tags"] == ["warm"]
    assert client.get("/api/v1/recordings", params={"q": "jansen"}).json()["recordings"] == []
    assert client.get("/api/v1/hidden-terms").json()["terms"] == []
    # Nobody holds "Kees Nergens"; the queued recording may, once transcribed: said so.
    unknown = client.delete("/api/v1/people", params={"name": "Kees Nergens"}).json()
    assert unknown["mentions_redacted"] == [] and unknown["mentions_not_checked"] == [waiting]


def test_forgetting_keeps_what_is_not_the_persons_and_takes_the_name_from_others_fields(
    api_client: Any, settings: Settings
) -> None:
    """A hidden "jansen" that another Jansen's call still says stays hidden; the name
    leaves another recording's customer field; a name of two letters touches nobody
    else's recording."""
    from tests.api.test_report_privacy import _analysed

    client, _ = api_client
    said = [("customer", "Mevrouw Jansen wil een offerte voor een thuisbatterij.")]
    other_jansen = _analysed(settings, said, "2026-11-01", customer="Anna Smit")
    both = _analysed(settings, said, "2026-11-02", customer="Piet Jansen en Marie Jansen")
    titled = _analysed(settings, said, "2026-11-03", title="Plan A voor de offerte")
    assert client.post("/api/v1/hidden-terms", json={"term": "jansen"}).status_code == 201

    answer = client.delete("/api/v1/people", params={"name": "Piet Jansen"}).json()

    assert both in answer["mentions_redacted"] and other_jansen not in answer["mentions_redacted"]
    assert client.get(f"/api/v1/recordings/{both}").json()["customer"] == "[naam] en Marie Jansen"
    assert [h["key"] for h in client.get("/api/v1/hidden-terms").json()["terms"]] == ["jansen"]
    assert client.delete("/api/v1/people", params={"name": "A"}).status_code == 404
    assert client.get(f"/api/v1/recordings/{titled}").json()["title"] == "Plan A voor de offerte"


def test_a_surname_forgotten_leaves_the_calls_of_people_who_carry_it_and_common_words(
    api_client: Any, settings: Settings
) -> None:
    """Forgetting "De Vries" deletes their own call but leaves Jan de Vries' call whole (its
    "meneer De Vries" may well be Jan); forgetting "Bakker" leaves the tag "bakker" and "de
    bakker om de hoek" in others' titles (one word is a name only as a name is written)."""
    from api.db import RecordingTag
    from tests.api.test_report_privacy import _analysed

    client, _ = api_client
    said = [("customer", "Goedemiddag meneer De Vries, u bent Jan de Vries toch?")]
    theirs = _analysed(settings, said, "2026-11-01", customer="De Vries")
    jans = _analysed(settings, said, "2026-11-02", customer="Jan de Vries", title="Jan de Vries")
    bakery = _analysed(settings, [("customer", "Ik heb een bakkerij.")], "2026-11-03",
                       title="Energie voor de bakker om de hoek")  # fmt: skip
    with get_database(settings.sqlalchemy_url).session() as session:
        session.add(RecordingTag(recording_id=bakery, tag="bakker"))
        session.commit()
    bakker = _analysed(settings, [("customer", "Ja.")], "2026-11-04", customer="Bakker")

    answer = client.delete("/api/v1/people", params={"name": "De Vries"}).json()

    assert answer["deleted_recordings"] == [theirs] and answer["mentions_redacted"] == []
    gone = client.get("/api/v1/people/export", params={"name": "De\xa0Vries"})
    assert gone.status_code == 404
    assert gone.json()["detail"].startswith("no recording names De Vries as salesperson")
    kept = client.get(f"/api/v1/recordings/{jans}").json()
    assert (kept["customer"], kept["title"]) == ("Jan de Vries", "Jan de Vries")
    text = client.get(f"/api/v1/recordings/{jans}/transcript").json()["segments"][0]["text"]
    assert text == said[0][1]

    answer = client.delete("/api/v1/people", params={"name": "Bakker"}).json()

    assert answer["deleted_recordings"] == [bakker] and answer["mentions_redacted"] == []
    kept = client.get(f"/api/v1/recordings/{bakery}").json()
    assert (kept["title"], kept["tags"]) == ("Energie voor de bakker om de hoek", ["bakker"])


def test_a_name_typed_with_a_title_or_only_a_name_in_lower_case_still_goes(
    api_client: Any, settings: Settings
) -> None:
    """ "Dhr. Jan de Vries" is Jan de Vries, not somebody carrying his name; "jansen", a
    word that is only a name, leaves a tag and a lower-case file name ("bakker" stays, a
    common word: see above)."""
    from api.db import RecordingTag
    from tests.api.test_report_privacy import _analysed

    client, _ = api_client
    said = [("customer", "Ik bel morgen Jan de Vries nog even over de offerte.")]
    _analysed(settings, [("customer", "Ja.")], "2026-11-01", customer="Jan de Vries")
    titled = _analysed(settings, said, "2026-11-02", customer="Dhr. Jan de Vries",
                       title="Offerte Jan de Vries")  # fmt: skip
    tagged = _analysed(settings, [("customer", "Nee.")], "2026-11-03", customer="Anna Smit")
    with get_database(settings.sqlalchemy_url).session() as session:
        session.add(RecordingTag(recording_id=tagged, tag="jansen"))
        row = session.get(Recording, tagged)
        assert row is not None
        row.filename = "jansen_offerte.m4a"
        session.commit()
    _analysed(settings, [("customer", "Ja.")], "2026-11-04", customer="Jansen")

    answer = client.delete("/api/v1/people", params={"name": "Jan de Vries"}).json()

    assert titled in answer["mentions_redacted"]
    kept = client.get(f"/api/v1/recordings/{titled}").json()
    assert (kept["customer"], kept["title"]) == ("Dhr. [naam]", "Offerte [naam]")

    answer = client.delete("/api/v1/people", params={"name": "Jansen"}).json()

    assert tagged in answer["mentions_redacted"]
    row = _row(settings, tagged)
    assert row is not None and row.filename == "[naam]_offerte.m4a"
    assert client.get(f"/api/v1/recordings/{tagged}").json()["tags"] == []


def test_a_name_pasted_with_other_spaces_or_quotes_is_the_same_person(
    api_client: Any, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Karel\xa0Appel" (a non-breaking space from an e-mail) or "Karel  Appel" finds and
    deletes Karel Appel's own call, not only his name in it; a speaker named with quotes
    (Jan "JJ" Smit, stored escaped in JSON) loses the voice print when their voice goes."""
    import api.jobs
    from api.service import delete_voice

    monkeypatch.setattr(api.jobs, "transcribe", _conversation)
    client, _ = api_client
    theirs = _processed(client, settings, tmp_path, 1000.0)

    response = client.delete("/api/v1/people", params={"name": "karel\xa0 appel"})

    assert response.status_code == 200, response.text
    assert response.json()["deleted_recordings"] == [theirs]
    assert _row(settings, theirs) is None

    quoted = 'Jan "JJ" Smit'
    named = _processed(client, settings, tmp_path, 1100.0)
    fixed = {"speakers": [{"id": "S2", "name": quoted}]}
    assert client.patch(f"/api/v1/recordings/{named}/speakers", json=fixed).status_code == 200
    row = _row(settings, named)
    assert row is not None and "S2" in json.loads(row.voices_json or "{}")
    with get_database(settings.sqlalchemy_url).session() as session:
        assert delete_voice(session, quoted)
    row = _row(settings, named)
    assert row is not None and "S2" not in json.loads(row.voices_json or "{}")


def test_others_failed_jobs_lose_the_name_in_their_reason(
    api_client: Any, settings: Settings
) -> None:
    """A failed job's reason quotes its file name ("piet_jansen_bezoek.m4a"): it is
    somebody else's recording, but the name leaves it too."""
    from tests.api.test_report_privacy import _analysed

    client, _ = api_client
    failed = _analysed(settings, [("customer", "Ja.")], "2026-11-01", customer="Anna Smit")
    with get_database(settings.sqlalchemy_url).session() as session:
        row = session.get(Recording, failed)
        assert row is not None
        row.status, row.error = Status.failed, "could not read the audio of piet_jansen.m4a"
        session.commit()

    answer = client.delete("/api/v1/people", params={"name": "Piet Jansen"}).json()

    assert answer["mentions_redacted"] == [failed]
    row = _row(settings, failed)
    assert row is not None and row.error == "could not read the audio of [naam].m4a"


def test_a_blank_name_is_refused_before_anything_is_looked_for(api_client: Any) -> None:
    client, _ = api_client
    for answer in (
        client.get("/api/v1/people/export", params={"name": "  "}),
        client.delete("/api/v1/people", params={"name": " \xa0"}),
    ):
        assert answer.status_code == 422 and answer.json()["detail"] == "give the person's name"
