"""Duplicate uploads, security headers, CORS (issue #6)."""

from __future__ import annotations

import json

import pytest

from api.auth import SCOPES, create_api_key
from api.db import get_database
from api.demo import prepare_demo
from api.settings import Settings
from tests.api.test_api import upload
from tests.conftest import authorised_client, tone, write_audio


def test_the_same_audio_twice_is_one_recording_unless_a_copy_is_asked(
    api_client, settings, tmp_path
) -> None:
    client, _ = api_client
    audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    first = upload(client, audio, "call.wav", title="first")
    assert first.status_code == 202 and first.json()["duplicate"] is False
    stored = client.get(f"/api/v1/recordings/{first.json()['id']}").json()
    assert stored["consent"] is True and stored["consent_by"] == "API key tests"
    assert stored["consent_at"].endswith("Z")  # when, in UTC
    again = upload(client, audio, "same-call-renamed.wav", title="second")
    assert again.status_code == 200, again.text
    assert again.json() == {**first.json(), "duplicate": True} | {"status": again.json()["status"]}
    recordings = client.get("/api/v1/recordings").json()["recordings"]
    assert [r["title"] for r in recordings] == ["first"]  # nothing new stored
    copy = upload(client, audio, "call.wav", title="copy", force_copy="true")
    assert copy.status_code == 202 and copy.json()["id"] != first.json()["id"]
    assert len(client.get("/api/v1/recordings").json()["recordings"]) == 2
    blobs = [p for p in settings.blob_dir.rglob("*") if p.is_file()]
    assert len(blobs) == 1  # the audio is stored once either way
    # The web form sends a repeat to the earlier recording, with a word of explanation.
    page = client.post(
        "/upload",
        files={"file": ("again.wav", audio, "audio/wav")},
        data={"consent": "true"},
        follow_redirects=True,
    )
    assert page.url.path == f"/recordings/{first.json()['id']}"
    assert "uploaded before" in page.text


def test_every_response_carries_security_headers(api_client) -> None:
    client, _ = api_client
    for path in ("/", "/report", "/api/v1/recordings", "/healthz"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "script-src 'self'" in headers["content-security-policy"], path
    docs = client.get("/docs")
    assert docs.status_code == 200 and "content-security-policy" not in docs.headers
    # The pages run no inline script, so the policy does not break them.
    for path in ("/", "/voices"):
        assert "onsubmit=" not in client.get(path).text and "<script>" not in client.get(path).text


def test_cors_is_off_unless_origins_are_configured(api_client, tmp_path) -> None:
    client, _ = api_client
    preflight = {
        "Origin": "https://cms.example.nl",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Authorization",
    }
    closed = client.options("/api/v1/terms", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers
    configured = Settings(
        data_dir=tmp_path / "cors", cors_origins="https://cms.example.nl/", _env_file=None
    )  # type: ignore[call-arg]
    with authorised_client(configured) as (open_client, _):
        allowed = open_client.options("/api/v1/terms", headers=preflight)
        assert allowed.headers["access-control-allow-origin"] == "https://cms.example.nl"
        simple = open_client.get("/api/v1/terms", headers={"Origin": "https://cms.example.nl"})
        exposed = simple.headers["access-control-expose-headers"].lower()
        readable = {"content-disposition", "retry-after", "location", "etag"}
        assert readable <= set(exposed.split(", "))
        other = open_client.options(
            "/api/v1/terms", headers={**preflight, "Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in other.headers


def test_a_full_disk_during_upload_is_a_clear_error_and_keeps_nothing(
    api_client, settings, tmp_path, monkeypatch
) -> None:
    import errno
    import os

    client, _ = api_client
    audio = write_audio(tone(1.0, freq=660.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    real_fdopen = os.fdopen

    class FullDisk:  # the disk fills up while the upload is written
        def __init__(self, fd, mode):
            self.file = real_fdopen(fd, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fdopen", FullDisk)
    response = upload(client, audio, "a.wav")
    monkeypatch.undo()
    assert response.status_code == 507, response.text
    assert "no space left on device" in response.json()["detail"]
    assert "nothing was kept" in response.json()["detail"]
    assert client.get("/api/v1/recordings").json()["recordings"] == []
    assert [p for p in settings.blob_dir.rglob("*") if p.is_file()] == []
    assert upload(client, audio, "a.wav").status_code == 202  # and it works again after


def test_a_database_failure_after_storing_the_audio_keeps_nothing(
    api_client, settings, tmp_path, monkeypatch
) -> None:
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    client, _ = api_client
    audio = write_audio(tone(1.0, freq=770.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()

    def refuse(self):
        raise OperationalError("COMMIT", {}, Exception("database or disk is full"))

    monkeypatch.setattr(Session, "commit", refuse)
    refused = upload(client, audio, "a.wav")
    monkeypatch.undo()
    assert refused.status_code == 503 and refused.headers["retry-after"]
    assert "database is unavailable; nothing was changed" in refused.json()["detail"]
    assert client.get("/api/v1/recordings").json()["recordings"] == []
    assert [p for p in settings.blob_dir.rglob("*") if p.is_file()] == []


def test_a_page_too_long_to_tag_is_refused_at_once(api_client) -> None:
    from api.service import MAX_PAGE_WORDS

    client, _ = api_client
    words = " ".join(["zonnepanelen"] * (MAX_PAGE_WORDS + 1))
    response = client.post("/api/v1/suggestions", json={"html": f"<p>{words}</p>"})
    assert response.status_code == 422
    assert f"the limit is {MAX_PAGE_WORDS:,}" in response.json()["detail"]
    form = client.post("/suggest", data={"page_copy": words})
    assert form.status_code == 422 and "the limit is" in form.text


def test_a_run_of_letters_is_never_a_word_to_tag(monkeypatch) -> None:
    """HanTa's time grows faster than a word's length (1,500 letters: 34 s of CPU for one
    request): no word longer than any people say reaches it, nor becomes a term."""
    import analyze.text
    from analyze.suggest import suggest_for_page

    tagged: list[str] = []
    real = analyze.text._tagger

    class Watching:
        def __init__(self, tagger) -> None:
            self.tagger = tagger

        def tag_sent(self, words, taglevel=1):
            tagged.extend(words)
            return self.tagger.tag_sent(words, taglevel=taglevel)

    monkeypatch.setattr(analyze.text, "_tagger", lambda language: Watching(real(language)))
    page = "Wij maken een offerte voor zonnepanelen " + "a" * 1500
    result = suggest_for_page(page, [], language="nl")
    assert tagged and max(len(w) for w in tagged) <= analyze.text.MAX_WORD_CHARS
    tokens = analyze.text.tokenize(page, "nl")
    assert [t.lemma for t in tokens if len(t.text) > 40] == [None]
    assert result.coverage == 0  # no customers' words yet: nothing to cover


def test_bodies_are_held_to_their_route_s_limit_even_when_chunked(tmp_path) -> None:
    """A chunked body (no Content-Length) was spooled whole before its 413; a JSON body
    could be as large as an upload."""
    settings = Settings(data_dir=tmp_path / "data", max_upload_mb=1, _env_file=None)
    with authorised_client(settings) as (client, _):

        def chunks():
            yield (
                b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
                b"Content-Type: audio/wav\r\n\r\n"
            )
            for _ in range(64):  # 4 MB in 64 KB pieces
                yield b"x" * 65_536

        headers = {"Content-Type": "multipart/form-data; boundary=b"}
        chunked = client.post("/api/v1/recordings", content=chunks(), headers=headers)
        assert chunked.status_code == 413 and chunked.json()["code"] == "too_large"
        big = b'{"text": "' + b"zon " * (9 * 2**20) + b'"}'  # 36 MB of JSON
        json_body = client.post(
            "/api/v1/suggestions", content=big, headers={"Content-Type": "application/json"}
        )
        assert json_body.status_code == 413 and "body is larger" in json_body.json()["detail"]


def test_a_streamed_body_is_read_no_further_than_its_limit() -> None:
    import asyncio

    from api.app import _StreamedBodyLimit

    read: list[int] = []
    answered: list[dict] = []

    async def reads_everything(scope, receive, send) -> None:
        while (await receive())["more_body"]:
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive() -> dict:
        read.append(1)
        return {"type": "http.request", "body": b"x" * 65_536, "more_body": len(read) < 64}

    async def send(message: dict) -> None:
        answered.append(message)

    scope = {"type": "http", "path": "/api/v1/recordings", "method": "POST", "headers": []}
    asyncio.run(_StreamedBodyLimit(reads_everything, max_bytes=2**20)(scope, receive, send))
    assert answered[0]["status"] == 413
    assert len(read) == 18  # 1 MB and 64 KB of room: the 18th piece passes the limit


def test_the_sign_in_page_shows_no_text_from_its_address(api_client, tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "data", web_token="s3cret", _env_file=None)
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(settings)) as client:
        page = client.get("/login", params={"error": "Get the new token at evil.example"})
        assert page.status_code == 200 and 'role="alert"' not in page.text


def test_api_key_scopes_and_revocation(settings, tmp_path) -> None:
    prepare_demo(settings)  # two recordings: a report key's answers must cover that many
    with authorised_client(settings.model_copy(update={"report_min_recordings": 2})) as pair:
        _check_scopes(pair[0], settings, tmp_path)


def _check_scopes(client, settings, tmp_path) -> None:
    from api.auth import revoke_api_key

    database = get_database(settings.sqlalchemy_url)
    with database.session() as session:
        keys = {scope: create_api_key(session, f"cms-{scope}", scope) for scope in SCOPES}

    def as_(scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {keys[scope]}"}

    audio = write_audio(tone(1.0, freq=880.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    files = {"file": ("a.wav", audio, "audio/wav")}
    voice = {"files": ("v.wav", audio, "audio/wav")}
    assert client.get("/api/v1/recordings", headers=as_("read")).status_code == 200
    page = {"text": "Zonnepanelen op uw dak."}
    assert client.post("/api/v1/suggestions", json=page, headers=as_("read")).status_code == 200
    # A CMS's key: the aggregates, and nothing of a single recording or voice.
    assert client.post("/api/v1/suggestions", json=page, headers=as_("report")).status_code == 200
    one_customer = client.post("/api/v1/suggestions?customer=bak", json=page, headers=as_("report"))
    assert one_customer.status_code == 403  # a person's words are more than a report
    for aggregate in ("terms", "terms?format=csv", "questions", "terms?tag=&customer="):
        assert client.get(f"/api/v1/{aggregate}", headers=as_("report")).status_code == 200
    narrowed = (
        "terms?recording_id=abc",
        "terms?customer=bak",
        "questions?salesperson=m",
        "terms?said=echtscheiding",  # which word was said, day by day: a recording's words
    )
    for private in (
        *narrowed,
        "recordings",
        "recordings/abc",
        "recordings/abc/transcript",
        "voices",
    ):
        refused = client.get(f"/api/v1/{private}", headers=as_("report"))
        assert refused.status_code == 403 and "needs 'read'" in refused.json()["detail"], private
    refused = client.post(
        "/api/v1/recordings", files=files, data={"consent": "true"}, headers=as_("read")
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "this API key's scope is 'read'; this request needs 'write'"
    written = client.post(
        "/api/v1/recordings", files=files, data={"consent": "true"}, headers=as_("write")
    )
    assert written.status_code == 202
    enrol = client.post("/api/v1/voices", data={"name": "Jan"}, files=voice, headers=as_("write"))
    assert enrol.status_code == 403 and "needs 'admin'" in enrol.json()["detail"]
    enrol = client.post("/api/v1/voices", data={"name": "Jan"}, files=voice, headers=as_("admin"))
    assert enrol.status_code != 403  # (a tone holds no voice: 422, but the scope let it in)
    first = client.get("/api/v1/recordings", params={"status": "done"}).json()["recordings"][0][
        "id"
    ]
    speakers = f"/api/v1/recordings/{first}/speakers"
    by_correction = {"speakers": [{"id": "S1", "name": "Piet"}], "enroll": True}
    enrol = client.patch(speakers, json=by_correction, headers=as_("write"))
    assert enrol.status_code == 403 and "needs 'admin'" in enrol.json()["detail"]
    assert "Piet" not in {s["name"] for s in client.get(speakers).json()["speakers"]}
    enrol = client.patch(speakers, json=by_correction, headers=as_("admin"))
    assert enrol.status_code != 403  # (demo speakers hold no voice: 422, but let in)
    corrected = {"speakers": [{"id": "S1", "name": "Piet"}]}
    assert client.patch(speakers, json=corrected, headers=as_("write")).status_code == 200
    with database.session() as session:
        assert [k.name for k in revoke_api_key(session, "cms-write")] == ["cms-write"]
        assert revoke_api_key(session, "cms-write") == []  # already revoked
    gone = client.get("/api/v1/recordings", headers=as_("write"))
    assert gone.status_code == 401 and gone.json()["detail"] == "unknown or revoked API key"


def test_a_report_key_gets_no_answer_narrowed_to_a_few_recordings(settings) -> None:
    """A narrow date (one ride-along that day) would hand a CMS one conversation's words,
    quote by quote, as surely as its id would; and titles name customers."""
    prepare_demo(settings)
    with authorised_client(settings.model_copy(update={"report_min_recordings": 2})) as (
        client,
        _,
    ):
        with get_database(settings.sqlalchemy_url).session() as session:
            report = {"Authorization": f"Bearer {create_api_key(session, 'cms', 'report')}"}
            read = {"Authorization": f"Bearer {create_api_key(session, 'cms2', 'read')}"}
        listed = client.get("/api/v1/recordings").json()["recordings"]
        for day, recording in zip(("2026-11-09", "2026-11-16"), listed, strict=True):
            patched = client.patch(
                f"/api/v1/recordings/{recording['id']}", json={"recorded_at": day}
            )
            assert patched.status_code == 200
        one_day = {"since": "2026-11-09", "until": "2026-11-09"}
        page = {"text": "Zonnepanelen op uw dak."}
        for answer in (
            client.get("/api/v1/terms", params=one_day, headers=report),
            client.get("/api/v1/questions", params=one_day, headers=report),
            client.get("/api/v1/synonyms", params=one_day, headers=report),
            client.post("/api/v1/suggestions", params=one_day, json=page, headers=report),
        ):
            assert answer.status_code == 403, answer.request.url
            assert answer.json()["code"] == "too_few_recordings"
            assert "covers 1" in answer.json()["detail"]
        assert client.get("/api/v1/terms", params=one_day, headers=read).status_code == 200
        both = client.get("/api/v1/terms", params={"since": "2026-11-01"}, headers=report)
        assert both.status_code == 200 and both.json()["terms"]

        # Its quotes name nobody: "Goedemiddag mevrouw De Vries, … Ik ben Mark" is said.
        def quoted(answer: dict) -> str:
            return json.dumps(answer, ensure_ascii=False)

        everything = {"limit": 1000, "since": "2026-11-01"}
        as_read = quoted(client.get("/api/v1/terms", params=everything, headers=read).json())
        assert "De Vries" in as_read and "Mark" in as_read
        as_report = quoted(client.get("/api/v1/terms", params=everything, headers=report).json())
        assert "Vries" not in as_report and "Mark" not in as_report
        # A few quotes of each conversation, and none says which: no conversation whole.
        quotes = [
            q
            for t in client.get("/api/v1/terms", params=everything, headers=report).json()["terms"]
            for q in t["quotes"]
        ]
        assert 0 < len(quotes) <= 2 * 3 and {q["recording_id"] for q in quotes} == {""}
        # The spreadsheet's column of recording titles stays empty for a report key.
        sheet = client.get("/api/v1/terms?format=csv", headers=report).text
        assert "demo transcript" not in sheet  # the titles end so
        full = client.get("/api/v1/terms?format=csv", headers=read).text
        assert "demo transcript" in full
        # Only recordings where customers spoke count for the customers' words.
        speakers = f"/api/v1/recordings/{listed[0]['id']}/speakers"
        both_sell = {
            "speakers": [{"id": "S1", "role": "salesperson"}, {"id": "S2", "role": "salesperson"}]
        }
        assert client.patch(speakers, json=both_sell).status_code == 200
        customers = client.get("/api/v1/terms", params={"role": "customer"}, headers=report)
        assert customers.status_code == 403 and "covers 1" in customers.json()["detail"]
        assert client.get("/api/v1/questions", headers=report).status_code == 403  # customers'
        assert client.get("/api/v1/terms", headers=report).status_code == 200  # everyone's: 2
    with authorised_client(settings) as (client, _):  # the default minimum: 5
        with get_database(settings.sqlalchemy_url).session() as session:
            report = {"Authorization": f"Bearer {create_api_key(session, 'cms3', 'report')}"}
        refused = client.get("/api/v1/terms", headers=report)
        assert refused.status_code == 403 and "covers 2" in refused.json()["detail"]


def test_uploads_are_rate_limited_per_client(settings, tmp_path) -> None:
    from api.ratelimit import RateLimiter, TooManyRequests

    limiter = RateLimiter(2, window_s=60)
    limiter.check("a", now=0.0)
    limiter.check("a", now=1.0)
    limiter.check("b", now=1.0)  # another client has its own allowance
    with pytest.raises(TooManyRequests) as refused:
        limiter.check("a", now=30.0)
    assert refused.value.retry_after_s == 30
    limiter.check("a", now=60.5)  # the first one has left the window
    limited = settings.model_copy(update={"upload_rate": 2})
    with authorised_client(limited) as (client, _):
        audio = [
            write_audio(tone(0.5, freq=300.0 + i), tmp_path / f"{i}.wav", "pcm_s16le").read_bytes()
            for i in range(3)
        ]
        mistakes = [
            upload(client, audio[0], consent="false"),
            upload(client, audio[0], language="xx"),
        ]
        assert [m.status_code for m in mistakes] == [422, 422]  # corrected: not counted
        answers = [upload(client, payload, f"{i}.wav") for i, payload in enumerate(audio)]
        assert [a.status_code for a in answers] == [202, 202, 429]
        assert answers[2].headers["retry-after"].isdigit()
        assert "at most 2 a minute" in answers[2].json()["detail"]
        assert len(client.get("/api/v1/recordings").json()["recordings"]) == 2
        with get_database(limited.sqlalchemy_url).session() as session:
            same_name = create_api_key(session, "tests", scope="write")  # names may repeat
        fourth = write_audio(tone(0.5, freq=333.0), tmp_path / "3.wav", "pcm_s16le").read_bytes()
        other_key = {"Authorization": f"Bearer {same_name}"}
        answer = client.post("/api/v1/recordings", files={"file": ("3.wav", fourth, "audio/wav")},
                             data={"consent": "true"}, headers=other_key)  # fmt: skip
        assert answer.status_code == 202  # each key has its own allowance


def test_the_web_form_stops_at_the_upload_rate(settings, tmp_path) -> None:
    limited = settings.model_copy(update={"upload_rate": 2})
    with authorised_client(limited) as (client, _):
        files = [
            ("file", (f"{i}.wav", write_audio(tone(0.5, freq=400.0 + i), tmp_path / f"{i}.wav",
                                              "pcm_s16le").read_bytes(), "audio/wav"))
            for i in range(4)
        ]  # fmt: skip
        page = client.post("/upload", files=files, data={"consent": "true"})
        assert page.status_code == 200 and "2 recordings are uploaded" in page.text
        assert "2.wav: too many uploads" in page.text
        assert "<li>The file after it was not uploaded</li>" in page.text
        assert client.get("/api/v1/recordings").json()["total"] == 2


def test_a_burst_of_concurrent_uploads_is_all_accepted(settings, tmp_path) -> None:
    """50 at once (more than the connection pool's base size): none refused, none lost."""
    from concurrent.futures import ThreadPoolExecutor

    burst = settings.model_copy(update={"upload_rate": 0})
    payloads = [
        write_audio(tone(0.5, freq=200.0 + 7 * i), tmp_path / f"{i}.wav", "pcm_s16le").read_bytes()
        for i in range(50)
    ]
    with authorised_client(burst) as (client, _):
        with ThreadPoolExecutor(max_workers=50) as pool:
            answers = list(pool.map(lambda p: upload(client, p, "b.wav").status_code, payloads))
        assert answers == [202] * 50
        assert len(client.get("/api/v1/recordings").json()["recordings"]) == 50


def test_the_api_docs_say_the_scope_each_operation_needs(api_client) -> None:
    """A CMS developer reads it in /docs, instead of learning it from a 403."""
    client, _ = api_client
    paths = client.get("/openapi.json").json()["paths"]
    said = {
        (path, method): operation["description"].splitlines()[-1]
        for path, operations in paths.items()
        for method, operation in operations.items()
        if path.startswith("/api/v1/")
    }
    assert said[("/api/v1/people", "delete")] == "API key scope: `admin`."
    assert said[("/api/v1/recordings", "post")] == "API key scope: `write`."
    assert said[("/api/v1/terms", "get")] == (
        "API key scope: `report` "
        "(`read` with any of `customer`, `recording_id`, `said`, `salesperson`)."
    )
    assert all(line.startswith("API key scope: `") for line in said.values())


def test_the_same_audio_uploaded_several_times_at_once_is_still_one_recording(
    api_client, settings, tmp_path, monkeypatch
) -> None:
    """A retry or a double click sends the audio again before the first upload is stored:
    both found no earlier recording, and both were kept (one call counted twice)."""
    import threading
    import time

    import api.service

    probe = api.service.probe_audio

    def slow_probe(*args, **kwargs):  # reading the file takes a while: the race's window
        time.sleep(0.3)
        return probe(*args, **kwargs)

    monkeypatch.setattr(api.service, "probe_audio", slow_probe)
    client, _ = api_client
    audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    answers: list[int] = []

    def send(n: int) -> None:
        answers.append(upload(client, audio, f"call-{n}.wav", title=f"try {n}").status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [200, 200, 200, 202]
    assert len(client.get("/api/v1/recordings").json()["recordings"]) == 1
