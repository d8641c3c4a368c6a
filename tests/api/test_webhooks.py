"""Webhooks: a CMS on loopback receives signed notices when an analysis changes."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from api.demo import prepare_demo
from api.settings import Settings
from api.webhooks import notify
from tests.conftest import authorised_client

Received = tuple[dict[str, str], bytes]


@pytest.fixture
def receiver() -> Iterator[tuple[str, queue.Queue[Received], list[int]]]:
    """A tiny CMS: records each POST; answers with the statuses queued in `replies`."""
    inbox: queue.Queue[Received] = queue.Queue()
    replies: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            inbox.put((dict(self.headers), body))
            self.send_response(replies.pop(0) if replies else 204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", inbox, replies
    server.shutdown()
    server.server_close()


def test_a_speaker_correction_sends_a_signed_notice(tmp_path: Path, receiver) -> None:
    url, inbox, _ = receiver
    settings = Settings(
        data_dir=tmp_path / "data", webhook_url=url, webhook_secret="s3cret", _env_file=None
    )
    prepare_demo(settings)
    with authorised_client(settings) as (client, _):
        recording_id = client.get("/api/v1/recordings").json()["recordings"][0]["id"]
        patch = {"speakers": [{"id": "S1", "name": "Mark"}]}
        assert client.patch(f"/api/v1/recordings/{recording_id}/speakers", json=patch).is_success
    headers, body = inbox.get(timeout=10)
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Ridealong-Signature"], expected)
    assert headers["X-Ridealong-Event"] == "recording.analysed"
    notice = json.loads(body)
    assert notice["event"] == "recording.analysed" and notice["recording_id"] == recording_id
    assert notice["links"]["terms"] == f"/api/v1/terms?recording_id={recording_id}"
    assert {"id": "S1", "role": "salesperson", "name": "Mark", "confidence": 1.0} in notice[
        "speakers"
    ]


def test_delivery_is_retried_and_a_dead_receiver_is_survived(tmp_path: Path, receiver) -> None:
    url, inbox, replies = receiver
    settings = Settings(data_dir=tmp_path / "data", webhook_url=url, _env_file=None)
    replies.extend([503])  # down once, then fine
    assert notify(settings, "recording.analysed", {"recording_id": "r1"})
    assert inbox.qsize() == 2
    (headers, body), (again, body_again) = inbox.get(), inbox.get()
    assert "X-Ridealong-Signature" not in headers  # no secret, no signature
    # Each try is the same event: one id to drop a repeat by, and the same body.
    assert headers["X-Ridealong-Delivery"] == again["X-Ridealong-Delivery"]
    assert body == body_again and json.loads(body)["event_id"] == headers["X-Ridealong-Delivery"]
    assert json.loads(body)["sent_at"].endswith("+00:00")
    assert notify(settings, "recording.analysed", {"recording_id": "r1"})
    assert inbox.get()[0]["X-Ridealong-Delivery"] != headers["X-Ridealong-Delivery"]
    closed = Settings(
        data_dir=tmp_path / "data", webhook_url="http://127.0.0.1:9/x", _env_file=None
    )
    assert notify(closed, "recording.analysed", {"recording_id": "r1"}) is False
    assert notify(Settings(data_dir=tmp_path / "d", _env_file=None), "x", {}) is False  # off


def test_renames_deletions_and_failures_are_told_too(tmp_path: Path, receiver) -> None:
    """A CMS that keeps what it showed in step with ridealong hears of every change to it:
    a name that recounts the terms, a deletion, and a job that gave up."""
    from sqlalchemy import update

    from api.db import Recording, get_database
    from api.jobs import process_recording
    from tests.conftest import tone, write_audio

    url, inbox, _ = receiver
    settings = Settings(data_dir=tmp_path / "data", webhook_url=url, _env_file=None)
    prepare_demo(settings)
    with authorised_client(settings) as (client, _):
        recording_id = client.get("/api/v1/recordings").json()["recordings"][0]["id"]
        renamed = client.patch(f"/api/v1/recordings/{recording_id}", json={"customer": "Jansen"})
        assert renamed.is_success
        notice = json.loads(inbox.get(timeout=10)[1])
        assert (notice["event"], notice["recording_id"]) == ("recording.analysed", recording_id)
        assert client.patch(f"/api/v1/recordings/{recording_id}", json={"tags": ["x"]}).is_success
        assert client.delete(f"/api/v1/recordings/{recording_id}").status_code == 204
        notice = json.loads(inbox.get(timeout=10)[1])  # the tag alone told nothing
        assert notice["event"] == "recording.deleted" and notice["recording_id"] == recording_id

        audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
        files = {"file": ("a.wav", audio, "audio/wav")}
        created = client.post("/api/v1/recordings", files=files, data={"consent": "true"}).json()
        database = get_database(settings.sqlalchemy_url)
        with database.session.begin() as session:  # three earlier tries died with their process
            session.execute(
                update(Recording).where(Recording.id == created["id"]).values(attempts=3)
            )
        process_recording(settings, database, created["id"])
    notice = json.loads(inbox.get(timeout=10)[1])
    assert notice["event"] == "recording.failed" and notice["recording_id"] == created["id"]
    assert "gave up after 3 attempts" in notice["error"]
    assert inbox.empty()


def test_an_empty_title_gives_back_the_file_name(api_client, tmp_path: Path) -> None:
    from tests.conftest import tone, write_audio

    client, _ = api_client
    audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
    files = {"file": ("bezoek-jansen.wav", audio, "audio/wav")}
    data = {"consent": "true", "title": "Verkeerde titel"}
    created = client.post("/api/v1/recordings", files=files, data=data).json()
    cleared = client.patch(f"/api/v1/recordings/{created['id']}", json={"title": ""}).json()
    assert cleared["title"] == "bezoek-jansen"
