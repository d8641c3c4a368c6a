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
    headers, _ = inbox.get()
    assert "X-Ridealong-Signature" not in headers  # no secret, no signature
    closed = Settings(
        data_dir=tmp_path / "data", webhook_url="http://127.0.0.1:9/x", _env_file=None
    )
    assert notify(closed, "recording.analysed", {"recording_id": "r1"}) is False
    assert notify(Settings(data_dir=tmp_path / "d", _env_file=None), "x", {}) is False  # off
