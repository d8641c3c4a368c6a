"""The JSON API: auth, uploads, bad input, transcripts, terms, suggestions, deletion."""

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest

from api.demo import prepare_demo
from api.errors import InvalidInput
from api.service import parse_tags
from api.settings import Settings
from tests.conftest import authorised_client, reference_text, tone, wer_nl, write_audio


def upload(client, payload: bytes, name: str = "a.wav", content_type: str = "audio/wav", **form):
    """POST a recording with consent given; `form` adds or overrides fields."""
    data = {"consent": "true", **form}
    files = {"file": (name, payload, content_type)}
    return client.post("/api/v1/recordings", files=files, data=data)


def test_health_needs_no_key(api_client) -> None:
    client, _ = api_client
    response = client.get("/healthz", headers={"Authorization": ""})
    assert response.status_code == 200 and response.json()["database"] is True


def test_head_answers_as_get_without_the_body(api_client) -> None:
    """Uptime monitors and link checkers send HEAD: the same status and headers as GET."""
    client, _ = api_client
    for path in ("/healthz", "/", "/report", "/api/v1/recordings"):
        head, get = client.head(path), client.get(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"" and get.content
        assert head.headers["content-length"] == str(len(get.content))
        assert head.headers.get("etag") == get.headers.get("etag")
    assert client.head("/api/v1/recordings", headers={"Authorization": ""}).status_code == 401
    assert client.head("/no-such-page").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Bearer ra_unknownkey", "Basic abc"])
def test_api_needs_a_valid_key(api_client, header) -> None:
    client, _ = api_client
    headers = {"Authorization": header} if header else {"Authorization": ""}
    response = client.get("/api/v1/recordings", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_upload_without_consent_is_refused_and_nothing_kept(api_client, tmp_path, settings) -> None:
    client, _ = api_client
    audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le")
    response = client.post(
        "/api/v1/recordings", files={"file": ("a.wav", audio.read_bytes(), "audio/wav")}
    )
    assert response.status_code == 422
    assert "consent" in response.json()["detail"]
    assert client.get("/api/v1/recordings").json()["recordings"] == []
    assert not list(settings.blob_dir.rglob("*")) or all(
        p.is_dir() for p in settings.blob_dir.rglob("*")
    )


def test_text_named_mp3_is_refused_with_a_reason(api_client, settings) -> None:
    client, _ = api_client
    response = upload(client, b"Dit zijn notities, geen audio.\n" * 40, "notes.mp3", "audio/mpeg")
    assert response.status_code == 422
    assert "notes.mp3 is not an audio file" in response.json()["detail"]
    assert [p for p in settings.blob_dir.rglob("*") if p.is_file()] == []


def test_empty_and_oversize_uploads(tmp_path) -> None:
    small = Settings(data_dir=tmp_path / "d", max_upload_mb=1)  # type: ignore[call-arg]
    with authorised_client(small) as (client, _):
        empty = upload(client, b"", "e.wav", "audio/wav")
        assert empty.status_code == 422 and "empty" in empty.json()["detail"]
        big = upload(client, b"0" * (2 * 1024 * 1024), "b.wav", "audio/wav")
        assert big.status_code == 413


def test_the_web_form_says_what_happened_after_an_upload_and_a_delete(api_client, tmp_path) -> None:
    client, _ = api_client
    audio = write_audio(tone(1.5), tmp_path / "call.m4a", "aac")
    uploaded = client.post(
        "/upload",
        files={"file": ("call.m4a", audio.read_bytes(), "audio/mp4")},
        data={"consent": "true", "title": "Bezoek <Bakker>"},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    page = client.get(uploaded.headers["location"]).text
    notice = page.split('class="notice" role="status">')[1].split("</p>")[0]
    assert "“Bezoek &lt;Bakker&gt;” is uploaded" in notice and "transcribed now" in notice
    assert 'class="notice"' not in client.get("/").text  # only right after the upload
    recording_id = uploaded.headers["location"].split("uploaded=")[1]
    deleted = client.post(f"/recordings/{recording_id}/delete")
    assert "Recording deleted, with its audio, transcript and terms." in deleted.text
    assert client.get(f"/api/v1/recordings/{recording_id}").status_code == 404


def test_the_web_form_takes_a_day_of_recordings_at_once(api_client, tmp_path) -> None:
    """Several files share the form's fields, each titled by the form's title and its own
    name; a bad one costs
    only itself, and a wrong field refuses them all before any is stored."""
    client, _ = api_client
    calls = [
        ("maandag bakker.m4a", write_audio(tone(1.5, freq=300.0), tmp_path / "a.m4a", "aac")),
        ("dinsdag de vries.mp3", write_audio(tone(1.5, freq=500.0), tmp_path / "b.mp3", "mp3")),
    ]
    files = [("file", (name, path.read_bytes(), "audio/mpeg")) for name, path in calls]
    fields = {"consent": "true", "title": "Beurs", "salesperson": "Mark"}
    wrong_day = client.post("/upload", files=files, data={**fields, "recorded_at": "maandag"})
    assert wrong_day.status_code == 422 and "not a valid date" in wrong_day.text
    assert client.get("/api/v1/recordings").json()["total"] == 0

    bad = ("file", ("notities.mp3", b"geen audio" * 100, "audio/mpeg"))
    sent = client.post("/upload", files=[*files, bad], data=fields)
    assert sent.status_code == 200
    assert "2 recordings are uploaded" in sent.text
    assert "notities.mp3 is not an audio file we can read" in sent.text
    assert "Only these are to choose again (or others in their place): notities.mp3." in sent.text
    listed = client.get("/api/v1/recordings").json()["recordings"]
    assert sorted(r["title"] for r in listed) == [
        "Beurs – dinsdag de vries",
        "Beurs – maandag bakker",
    ]
    assert {r["salesperson"] for r in listed} == {"Mark"}
    undated = client.get("/").text  # no date given: the upload day, marked as such
    assert undated.count('title="No recording date given: reports count it on its upload day"') == 2

    again = client.post("/upload", files=files, data=fields, follow_redirects=False)
    assert again.status_code == 422 and "maandag bakker.m4a was uploaded before" in again.text
    assert "Nothing to choose again: they were all uploaded before." in again.text
    bad_only = client.post("/upload", files=[files[0], bad], data=fields)  # nothing new in
    assert "To choose again (or others in their place): notities.mp3." in bad_only.text
    assert 'value="Mark"' in again.text  # the form keeps what was typed
    new = [
        ("file", (f"{day}.wav", write_audio(tone(1.0, freq=f), tmp_path / f"{day}.wav",
                                            "pcm_s16le").read_bytes(), "audio/wav"))
        for day, f in (("woensdag", 700.0), ("donderdag", 900.0))
    ]  # fmt: skip
    all_new = client.post(
        "/upload", files=new, data={**fields, "title": "  "}, follow_redirects=False
    )
    assert all_new.status_code == 303
    titles = {r["title"] for r in client.get("/api/v1/recordings").json()["recordings"]}
    assert {"woensdag", "donderdag"} <= titles  # no title given: the file names
    assert "2 recordings are uploaded" in client.get(all_new.headers["location"]).text


def test_a_long_shared_title_leaves_room_for_each_file_name() -> None:
    from api.service import TITLE_CHARS, title_of_one_of_several

    long = title_of_one_of_several("Beursdag " * 60, "maandag bakker.m4a")
    assert long is not None and len(long) <= TITLE_CHARS
    assert long.startswith("Beursdag Beursdag") and long.endswith(" – maandag bakker")
    assert title_of_one_of_several(" \t ", "a.wav") is None  # blank: the file's name alone
    huge_name = "x" * 400 + ".wav"
    assert title_of_one_of_several("Beurs", huge_name) == "x" * TITLE_CHARS


def test_upload_queues_and_delete_removes_everything(api_client, tmp_path, settings) -> None:
    client, _ = api_client
    audio = write_audio(tone(1.5), tmp_path / "call.m4a", "aac")
    response = client.post(
        "/api/v1/recordings",
        files={"file": ("../../etc/call.m4a", audio.read_bytes(), "audio/mp4")},
        data={
            "consent": "true",
            "title": "<b>Bezoek</b>",
            "salesperson": "Mark",
            "recorded_at": "2026-11-02",
            "language": "nl",
            "glossary": "Zonnig Dak, SolarEdge",
        },
    )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    detail = client.get(f"/api/v1/recordings/{body['id']}").json()
    assert detail["filename"] == "call.m4a"  # no folders from the client
    assert detail["glossary"] == "Zonnig Dak, SolarEdge"
    assert detail["title"] == "<b>Bezoek</b>" and detail["recorded_at"] == "2026-11-02"
    assert (
        detail["status"] == "queued"
        and detail["progress"] == 0
        and abs(detail["duration_s"] - 1.5) < 0.2
    )
    page = client.get("/")
    assert "&lt;b&gt;Bezoek&lt;/b&gt;" in page.text and "<b>Bezoek</b>" not in page.text
    assert client.get(f"/api/v1/recordings/{body['id']}/transcript").status_code == 404  # not yet
    assert client.delete(f"/api/v1/recordings/{body['id']}").status_code == 204
    assert client.get(f"/api/v1/recordings/{body['id']}").status_code == 404
    assert [p for p in settings.blob_dir.rglob("*") if p.is_file()] == []
    assert client.delete(f"/api/v1/recordings/{body['id']}").status_code == 404


def test_recordings_page_through_with_a_total_and_a_status(api_client, settings, tmp_path) -> None:
    client, _ = api_client
    prepare_demo(settings)  # two recordings, done
    queued = upload(client, write_audio(tone(0.5), tmp_path / "q.wav", "pcm_s16le").read_bytes())
    assert queued.status_code == 202
    pages = [client.get("/api/v1/recordings", params={"limit": 1, "offset": i}).json()
             for i in range(4)]  # fmt: skip
    assert [p["total"] for p in pages] == [3, 3, 3, 3]
    ids = [r["id"] for p in pages for r in p["recordings"]]
    assert len(ids) == 3 and len(set(ids)) == 3  # every one once, the fourth page empty
    done = client.get("/api/v1/recordings", params={"status": "done"}).json()
    assert done["total"] == 2 and {r["status"] for r in done["recordings"]} == {"done"}
    assert queued.json()["id"] not in {r["id"] for r in done["recordings"]}
    assert client.get("/api/v1/recordings", params={"status": "lost"}).status_code == 422


def test_one_customers_recordings_are_found_by_name(api_client, tmp_path) -> None:
    """To answer a person's request for their data, or to find a visit again."""
    client, _ = api_client
    for freq, customer in ((500.0, "Petra Bakker"), (600.0, "Bakkerij Jansen"), (700.0, None)):
        audio = write_audio(tone(0.5, freq=freq), tmp_path / f"{freq}.wav", "pcm_s16le")
        named = {"customer": customer, "salesperson": "Mark"} if customer else {}
        upload(client, audio.read_bytes(), f"{freq}.wav", **named)

    def customers(**params: str) -> tuple[int, list[str]]:
        found = client.get("/api/v1/recordings", params=params).json()
        return found["total"], sorted(r["customer"] or "" for r in found["recordings"])

    assert customers(customer="petra") == (1, ["Petra Bakker"])
    assert customers(customer="BAKKER") == (2, ["Bakkerij Jansen", "Petra Bakker"])
    assert customers(customer="bakker", status="done") == (0, [])
    assert customers(customer="")[0] == 3  # empty: anyone
    assert customers(salesperson="mark")[0] == 2
    assert customers(salesperson="%")[0] == 0  # a wildcard is a character


def test_terms_and_suggestions_on_the_demo_data(api_client, settings) -> None:
    client, _ = api_client
    prepare_demo(settings)
    terms = client.get("/api/v1/terms", params={"role": "customer", "limit": 10}).json()["terms"]
    assert len(terms) == 10
    first = terms[0]
    assert set(first) >= {"term", "count", "count_by_role", "score", "variants", "quotes"}
    assert set(first["quotes"][0]) >= {"recording_id", "start", "end", "text", "role"}
    assert all(q["role"] == "customer" for t in terms for q in t["quotes"])
    assert [t["score"] for t in terms] == sorted((t["score"] for t in terms), reverse=True)
    one = client.get("/api/v1/recordings").json()["recordings"][0]["id"]
    scoped = client.get("/api/v1/terms", params={"recording_id": one}).json()["terms"]
    assert scoped and all(q["recording_id"] == one for t in scoped for q in t["quotes"])
    assert client.get("/api/v1/terms", params={"recording_id": "nope"}).status_code == 404
    assert client.get("/api/v1/terms", params={"role": "boss"}).status_code == 422

    response = client.post(
        "/api/v1/suggestions",
        json={"html": "<h1>Zonnepanelen</h1><p>Hoog rendement, met de juiste inregeling.</p>"},
    )
    assert response.status_code == 200
    result = response.json()
    assert result["jargon"] == [{"term": "inregeling", "count": 1}]
    assert "terugverdientijd" in {m["term"] for m in result["missing_terms"]}
    assert "zonnepanelen" in result["present_terms"]
    assert 0 <= result["coverage"] <= 100
    assert result["terms_from"] == "customer" and result["recordings_language"] == "nl"
    assert result["terms_language"] == "nl"
    english = client.post("/api/v1/suggestions", json={"text": "Save on your energy bill."})
    assert english.json()["language"] == "en"  # != recordings_language: a CMS can warn
    assert english.json()["terms_language"] == "nl" and english.json()["jargon"] == []
    page = client.post("/suggest", data={"page_copy": "Save on your energy bill."}).text
    assert "This page reads as English, while the conversations are mostly in Dutch" in page
    for recording in client.get("/api/v1/recordings").json()["recordings"]:  # no customers left
        speakers = client.get(f"/api/v1/recordings/{recording['id']}/speakers").json()
        others = [{"id": s["id"], "role": "other"} for s in speakers["speakers"]]
        patched = client.patch(
            f"/api/v1/recordings/{recording['id']}/speakers", json={"speakers": others}
        )
        assert patched.is_success
    everyone = client.post("/api/v1/suggestions", json={"text": "Zonnepanelen."}).json()
    assert everyone["terms_from"] == "everyone" and everyone["missing_terms"]
    assert client.post("/api/v1/suggestions", json={"text": "a", "html": "b"}).status_code == 422
    assert (
        client.post(
            "/api/v1/suggestions",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        ).status_code
        == 422
    )
    assert client.post("/api/v1/suggestions", json={"text": "   "}).status_code == 422


@pytest.mark.slow
def test_shared_dutch_dialogue_end_to_end(settings, shared_audio: Path) -> None:
    folder = shared_audio / "nl_constructed"
    with authorised_client(settings, worker=True) as (client, _):
        wav = (folder / "nl_dialogue_sales_constructed_16k.wav").read_bytes()
        created = upload(client, wav, "dialoog.wav", "audio/wav").json()
        seen = set()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = client.get(f"/api/v1/recordings/{created['id']}").json()
            seen.add(status["status"])
            if status["status"] in ("done", "failed"):
                break
            time.sleep(0.5)
        assert status["status"] == "done", status
        assert status["language"] == "nl" and abs(status["duration_s"] - 57.47) < 0.1
        assert "processing" in seen or "queued" in seen

        transcript = client.get(f"/api/v1/recordings/{created['id']}/transcript").json()
        text = " ".join(s["text"] for s in transcript["segments"])
        # 0.13-0.15 by CPU (int8 kernels; docs/benchmarks.md); speakers and API on top
        reference = reference_text(folder / "nl_dialogue_sales_constructed.ref.txt")
        assert wer_nl(reference, text) <= 0.17
        assert {s["speaker"] for s in transcript["segments"]} == {"S1", "S2"}
        assert {s["role"] for s in transcript["segments"]} == {"salesperson", "customer"}
        speakers = client.get(f"/api/v1/recordings/{created['id']}/speakers").json()
        assert speakers["stats"]["questions"] and speakers["stats"]["turns"] >= 10
        srt = client.get(
            f"/api/v1/recordings/{created['id']}/transcript", params={"format": "srt"}
        ).text
        assert "-->" in srt and srt.startswith("1\n")
        vtt = client.get(
            f"/api/v1/recordings/{created['id']}/transcript", params={"format": "vtt"}
        ).text
        assert vtt.startswith("WEBVTT")

        terms = client.get("/api/v1/terms", params={"limit": 30}).json()["terms"]
        lemmas = {t["lemma"] for t in terms}
        assert {"bestelling", "annuleren"} <= lemmas
        quote = next(t for t in terms if t["lemma"] == "bestelling")["quotes"][0]
        assert quote["start"] is not None and "bestelling" in quote["text"].lower()
        page = client.get(f"/recordings/{created['id']}")
        assert "data-start" in page.text and json.loads(json.dumps(transcript))["segments"]


def test_api_docs_work_offline(api_client) -> None:
    client, _ = api_client
    docs = client.get("/docs")
    assert docs.status_code == 200 and "cdn." not in docs.text and "unpkg" not in docs.text
    script = next(line for line in docs.text.splitlines() if "swagger-ui-bundle.js" in line)
    src = script.split('src="', 1)[1].split('"', 1)[0]
    assert client.get(src).status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/api/v1/recordings" in schema["paths"] and "/api/v1/terms" in schema["paths"]


def test_unknown_language_codes_are_refused(api_client, tmp_path) -> None:
    client, _ = api_client
    audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    response = upload(client, audio, "a.wav", "audio/wav", language="xx")
    assert response.status_code == 422 and "language" in response.json()["detail"]


def test_uploads_that_name_no_language_get_the_servers(tmp_path) -> None:
    """RIDEALONG_LANGUAGE is the default of the API, the upload form and its menu."""
    dutch = Settings(data_dir=tmp_path / "d", language="nl")  # type: ignore[call-arg]
    with authorised_client(dutch) as (client, _):
        audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()

        def requested(answer) -> str:
            return client.get(f"/api/v1/recordings/{answer.json()['id']}").json()[
                "language_requested"
            ]

        assert requested(upload(client, audio, "a.wav")) == "nl"
        chosen = upload(client, audio, "b.wav", language="auto", force_copy="true")
        assert requested(chosen) == "auto"  # a choice still wins
        assert '<option value="nl" selected>' in client.get("/").text
        form = {"consent": "true", "force_copy": "true"}
        by_form = client.post("/upload", data=form, files={"file": ("c.wav", audio, "audio/wav")})
        assert by_form.status_code == 200
        newest = client.get("/api/v1/recordings").json()["recordings"][0]
        assert newest["filename"] == "c.wav" and newest["language_requested"] == "nl"
    german = Settings(data_dir=tmp_path / "g", language="de")  # type: ignore[call-arg]
    with authorised_client(german) as (client, _):  # not in the menu: it is added, chosen
        assert '<option value="de" selected>' in client.get("/").text


def test_recordings_longer_than_the_limit_are_refused(tmp_path) -> None:
    short = Settings(data_dir=tmp_path / "d", max_audio_hours=1 / 3600)  # type: ignore[call-arg]
    with authorised_client(short) as (client, _):
        audio = write_audio(tone(3.0), tmp_path / "long.wav", "pcm_s16le").read_bytes()
        response = upload(client, audio, "long.wav", "audio/wav")
        assert response.status_code == 422 and "limit" in response.json()["detail"]
        assert [p for p in short.blob_dir.rglob("*") if p.is_file()] == []


def test_audio_is_never_served_as_html(api_client, tmp_path) -> None:
    client, _ = api_client
    audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    created = upload(client, audio, "x.html", "text/html").json()
    served = client.get(f"/recordings/{created['id']}/audio")
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["x-content-type-options"] == "nosniff"


def test_jobs_that_keep_dying_are_given_up(api_client, tmp_path, settings) -> None:
    from sqlalchemy import update

    from api.db import Recording, get_database
    from api.jobs import process_recording

    client, _ = api_client
    audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    created = upload(client, audio, "a.wav", "audio/wav").json()
    database = get_database(settings.sqlalchemy_url)
    with database.session.begin() as session:  # three earlier tries died with their process
        session.execute(update(Recording).where(Recording.id == created["id"]).values(attempts=3))
    process_recording(settings, database, created["id"])
    detail = client.get(f"/api/v1/recordings/{created['id']}").json()
    assert detail["status"] == "failed" and "gave up after 3 attempts" in detail["error"]


def test_oversized_page_copy_is_a_clear_422(api_client) -> None:
    client, _ = api_client
    response = client.post("/api/v1/suggestions", json={"text": "offerte " * 300_000})
    assert response.status_code == 422


def test_a_job_killed_midway_resumes_after_its_last_chunk(
    tmp_path, shared_audio: Path, monkeypatch
) -> None:
    """The process dies after the first chunk; the next run decodes only the rest."""
    from api.db import Recording, get_database, utcnow
    from api.jobs import process_recording
    from tests.transcribe.test_long import RecordingEngine
    from transcribe import engine as engine_module

    class Killed(BaseException):  # like SIGKILL: no handler in the job runs
        pass

    class DyingEngine(RecordingEngine):
        def decode(self, speech, language, options, progress, **kw):
            if self.decoded_s:
                raise Killed
            yield from super().decode(speech, language, options, progress, **kw)

    settings = Settings(data_dir=tmp_path / "data", chunk_s=30, speakers=False, _env_file=None)
    with authorised_client(settings) as (client, _):
        audio = (shared_audio / "nl_constructed/nl_dialogue_sales_constructed_16k.wav").read_bytes()
        recording_id = upload(client, audio, "dialogue.wav").json()["id"]
        database = get_database(settings.sqlalchemy_url)
        dying = DyingEngine()
        monkeypatch.setattr(engine_module, "load_model", lambda options: dying)
        with pytest.raises(Killed):
            process_recording(settings, database, recording_id)
        with database.session() as session:
            checkpoint = json.loads(session.get(Recording, recording_id).checkpoint_json)
        assert checkpoint["done_s"] > 20 and len(checkpoint["segments"]) == 1
        # A live worker's lease blocks a second run; the dead one's lease runs out.
        process_recording(settings, database, recording_id)
        with database.session.begin() as session:
            row = session.get(Recording, recording_id)
            assert row.status == "processing" and row.attempts == 1
            row.heartbeat_at = utcnow() - timedelta(seconds=settings.job_lease_s + 1)

        second = RecordingEngine()
        monkeypatch.setattr(engine_module, "load_model", lambda options: second)
        process_recording(settings, database, recording_id)
        assert len(second.decoded_s) == 1  # only what came after the checkpoint
        detail = client.get(f"/api/v1/recordings/{recording_id}").json()
        assert detail["status"] == "done"
        transcript = client.get(f"/api/v1/recordings/{recording_id}/transcript").json()
        assert [s["text"] for s in transcript["segments"]] == ["chunk 1", "chunk 1"]
        with database.session() as session:
            assert session.get(Recording, recording_id).checkpoint_json is None


def test_the_recording_page_corrects_title_people_and_date(api_client, settings) -> None:
    client, _ = api_client
    prepare_demo(settings)
    recording = client.get("/api/v1/recordings").json()["recordings"][0]
    page = f"/recordings/{recording['id']}"
    assert "Correct the title, people or date" in client.get(page).text
    fields = {"title": "Bakker – warmtepomp", "salesperson": "Mark de Groot",
              "customer": "Fam. Çelik", "recorded_at": "2026-11-20"}  # fmt: skip
    saved = client.post(f"{page}/details", data=fields)
    assert saved.status_code == 200 and "Details saved" in saved.text
    now = client.get(f"/api/v1/recordings/{recording['id']}").json()
    assert [now[k] for k in fields] == list(fields.values())
    assert client.get("/api/v1/terms", params={"customer": "çelik"}).json()["terms"]
    wrong = client.post(f"{page}/details", data={**fields, "recorded_at": "vrijdag"})
    assert wrong.status_code == 422 and "not a valid date" in wrong.text
    assert client.get(f"/api/v1/recordings/{recording['id']}").json()["recorded_at"] == (
        "2026-11-20"
    )
    cleared = client.post(f"{page}/details", data={**fields, "customer": "", "recorded_at": ""})
    assert cleared.status_code == 200
    after = client.get(f"/api/v1/recordings/{recording['id']}").json()
    assert after["customer"] is None and after["recorded_at"] is None  # the upload day now
    assert after["title"] == fields["title"]  # an empty title would keep it
    api = f"/api/v1/recordings/{recording['id']}"
    client.patch(api, json={"recorded_at": "2026-11-21"})
    assert client.patch(api, json={"title": "Bakker"}).json()["recorded_at"] == "2026-11-21"
    assert client.patch(api, json={"recorded_at": None}).json()["recorded_at"] == "2026-11-21"
    assert client.patch(api, json={"recorded_at": ""}).json()["recorded_at"] is None
    assert client.patch(api, json={"recorded_at": "gisteren"}).status_code == 422


def test_a_customer_named_later_leaves_the_terms(api_client, settings) -> None:
    """The words of people's names are no terms; a name given or cleared by a correction
    recounts the recording's terms at once."""
    from api.demo import prepare_demo

    client, _ = api_client
    prepare_demo(settings)
    listed = client.get("/api/v1/recordings").json()["recordings"]
    recording = next(r for r in listed if r["customer"] == "De Vries")

    def words() -> set[str]:
        terms = client.get(
            "/api/v1/terms", params={"recording_id": recording["id"], "limit": 1000}
        ).json()["terms"]
        return {w for t in terms for variant in t["variants"] for w in variant.split()}

    assert "vries" not in words() and "mark" not in words() and "thuisbatterij" in words()
    client.patch(f"/api/v1/recordings/{recording['id']}", json={"customer": ""})
    assert "vries" in words()  # said in the call ("mevrouw De Vries"), no longer a name
    client.patch(f"/api/v1/recordings/{recording['id']}", json={"customer": "Fam. De Vries"})
    assert "vries" not in words()


def test_a_name_given_while_the_job_runs_is_no_term(settings, tmp_path, monkeypatch) -> None:
    """The job read the names when it started; one given meanwhile (the page invites it)
    is applied when the results are stored."""
    from pathlib import Path
    from typing import Any

    import api.jobs
    from api import service
    from api.db import get_database
    from api.jobs import process_recording
    from tests.conftest import authorised_client
    from transcribe.types import Segment, Speaker, Transcript

    said = "Goedemiddag mevrouw Jansen, de thuisbatterij is besteld."
    recording_id = ""

    def fake_transcribe(_path: Path, _options: Any, _progress: Any, **_: Any) -> Transcript:
        with get_database(settings.sqlalchemy_url).session() as session:  # meanwhile, a PATCH
            service.update_recording(
                session, recording_id, service.RecordingChanges(customer="Jansen")
            )
        segment = Segment(0.0, 4.0, said, speaker="S1", role="salesperson")
        return Transcript("nl", 4.0, "test", (segment,), (Speaker("S1", "salesperson"),))

    monkeypatch.setattr(api.jobs, "transcribe", fake_transcribe)
    with authorised_client(settings) as (client, _):
        audio = write_audio(tone(1.0, freq=770.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
        recording_id = upload(client, audio, "a.wav").json()["id"]
        process_recording(settings, get_database(settings.sqlalchemy_url), recording_id)
        terms = client.get("/api/v1/terms", params={"recording_id": recording_id}).json()["terms"]
        variants = {v for t in terms for v in t["variants"]}
        assert "thuisbatterij" in variants and not any("jansen" in v for v in variants)


def test_an_upload_says_where_to_poll_and_tags_split_alike(api_client, tmp_path) -> None:
    client, _ = api_client
    audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    created = upload(client, audio)
    assert created.status_code == 202
    where = created.headers["location"]
    assert where == f"/api/v1/recordings/{created.json()['id']}"
    assert client.get(where).json()["id"] == created.json()["id"]
    again = upload(client, audio)
    assert again.status_code == 200 and again.headers["location"] == where  # the duplicate's
    patched = client.patch(where, json={"tags": ["Beurs, zakelijk"]}).json()
    assert patched["tags"] == ["beurs", "zakelijk"]  # as an upload's "beurs, zakelijk"
    dutch = client.patch(where, json={"tags": ["particulier; Q4 / beurs"]}).json()
    assert dutch["tags"] == ["particulier", "q4 / beurs"]  # a semicolon separates too
    assert client.patch(where, json={"tags": ["x" * 51]}).status_code == 422
    with pytest.raises(InvalidInput, match="at most 50 characters"):  # the form's one string
        parse_tags("beurs, " + "x" * 51)
    assert client.get(where).json()["tags"] == ["particulier", "q4 / beurs"]  # kept
    upper = client.post("/api/v1/suggestions", json={"text": "Zonnepanelen.", "language": "NL"})
    assert upper.status_code == 200 and upper.json()["language"] == "nl"


def test_unchanged_answers_are_not_sent_twice(api_client, settings) -> None:
    """A CMS that polls sends back the ETag it got: 304 and no body until the answer
    changes; a change to the data changes the tag."""
    client, _ = api_client
    prepare_demo(settings)
    first = client.get("/api/v1/terms", params={"limit": 5})
    etag = first.headers["etag"]
    assert first.status_code == 200 and first.headers["cache-control"] == "private, no-cache"
    again = client.get("/api/v1/terms", params={"limit": 5}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get("/api/v1/terms", params={"limit": 6}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag
    recording = client.get("/api/v1/recordings").json()["recordings"][0]
    tagged = client.get(f"/api/v1/recordings/{recording['id']}")
    patched = client.patch(f"/api/v1/recordings/{recording['id']}", json={"title": "Nieuw"})
    assert "etag" not in patched.headers  # only GETs are tagged
    changed = client.get(
        f"/api/v1/recordings/{recording['id']}", headers={"If-None-Match": tagged.headers["etag"]}
    )
    assert changed.status_code == 200 and changed.json()["title"] == "Nieuw"
    download = client.get("/api/v1/terms", params={"format": "csv"})
    assert download.status_code == 200 and "etag" not in download.headers


def test_a_word_customers_said_outside_the_compared_calls_is_no_jargon(api_client, settings):
    """Comparing a page with last week's calls only: a word customers said the month before
    is still theirs, not the page's jargon for the copywriter to remove."""
    from tests.api.test_exports import add_recording

    client, _ = api_client
    add_recording(settings, "r-older", "Jansen", [("customer", "Hoe zit het met de inregeling?")])
    add_recording(settings, "r-week", "Pietersen", [("customer", "Wat kost een zonneboiler?")])
    page = {"text": "Een zonneboiler met de juiste inregeling en een ontluchtingsventiel."}
    jargon = client.post("/api/v1/suggestions?recording_id=r-week", json=page).json()["jargon"]
    assert "ontluchtingsventiel" in {w["term"] for w in jargon}  # no customer ever said it
    assert "inregeling" not in {w["term"] for w in jargon}
