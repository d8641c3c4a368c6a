"""Suggestions for a page given by URL: fetched only from allowed domains."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from api.demo import prepare_demo
from api.settings import Settings
from tests.conftest import authorised_client

PAGE = "<html><body><h1>Zonnepanelen</h1><p>Wij leggen panelen op elk dak.</p></body></html>"


@pytest.fixture
def site() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path == "/drip":  # a page that never quite ends
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                for _ in range(40):
                    try:
                        self.wfile.write(b"<p>zon</p>")
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(0.1)
                return
            if self.path == "/away":
                self.send_response(302)
                self.send_header("Location", "http://intranet.local/secret")
                self.end_headers()
                return
            body = PAGE.encode()
            self.send_response(200 if self.path == "/" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_pages_are_fetched_only_from_allowed_domains(tmp_path: Path, site: str) -> None:
    closed = Settings(data_dir=tmp_path / "off", _env_file=None)
    with authorised_client(closed) as (client, _):
        off = client.post("/api/v1/suggestions", json={"url": site + "/"})
        assert off.status_code == 422 and "off" in off.json()["detail"]

    settings = Settings(
        data_dir=tmp_path / "data", page_fetch_domains="127.0.0.1, example.nl", _env_file=None
    )
    prepare_demo(settings)
    with authorised_client(settings) as (client, _):
        fetched = client.post("/api/v1/suggestions", json={"url": site + "/"})
        assert fetched.status_code == 200
        given = client.post("/api/v1/suggestions", json={"html": PAGE}).json()
        assert fetched.json() == given  # the same as sending the HTML
        for url, reason in (
            ("http://localhost.evil.com/", "not on an allowed domain"),
            ("file:///etc/passwd", "not on an allowed domain"),
            (site + "/away", "not on an allowed domain"),  # a redirect elsewhere
            (site + "/missing", "HTTP 404"),
        ):
            refused = client.post("/api/v1/suggestions", json={"url": url})
            assert refused.status_code == 422 and reason in refused.json()["detail"], url
        both = client.post("/api/v1/suggestions", json={"url": site, "text": "x"})
        assert both.status_code == 422


def test_a_web_address_pasted_in_the_form_is_fetched_or_explained(
    tmp_path: Path, site: str
) -> None:
    """Marketers paste the page's address instead of its text: with fetching allowed the
    page is fetched; without, the form says what to paste instead of scoring the address."""
    from tests.api.test_bad_input import alert

    closed = Settings(data_dir=tmp_path / "off", _env_file=None)
    prepare_demo(closed)
    with authorised_client(closed) as (client, _):
        refused = client.post("/suggest", data={"page_copy": f"  {site}/  "})
        assert refused.status_code == 422
        assert alert(refused.text).startswith("That is the page's web address, not its text")
        assert 'id="result"' not in refused.text
        assert "this server does not fetch pages by their address" in client.get("/suggest").text
    allowed = Settings(data_dir=tmp_path / "on", page_fetch_domains="127.0.0.1", _env_file=None)
    prepare_demo(allowed)
    with authorised_client(allowed) as (client, _):
        fetched = client.post("/suggest", data={"page_copy": site + "/"})
        pasted = client.post("/suggest", data={"page_copy": PAGE, "is_html": "true"})
        assert fetched.status_code == 200 and 'id="result"' in fetched.text

        def result(page: str) -> str:
            return page[page.index('id="result"') :].split('class="exports"')[0]

        assert result(fetched.text) == result(pasted.text)  # as if the HTML had been pasted
        assert "Or paste the page's web address, on 127.0.0.1" in client.get("/suggest").text


def test_a_page_that_drips_in_is_stopped_at_the_deadline(
    tmp_path: Path, site: str, monkeypatch
) -> None:
    """The timeout was per read: a server sending a few bytes at a time held a thread for as
    long as it liked. The deadline is for the whole fetch."""
    from api import pages

    monkeypatch.setattr(pages, "_TIMEOUT_S", 1.0)
    settings = Settings(data_dir=tmp_path / "data", page_fetch_domains="127.0.0.1", _env_file=None)
    with authorised_client(settings) as (client, _):
        dripping = client.post("/api/v1/suggestions", json={"url": site + "/drip"})
    assert dripping.status_code == 422
    assert "took longer than 1 seconds" in dripping.json()["detail"]


@pytest.mark.parametrize("first_lookup_lies", [False, True])
def test_an_allowed_name_that_resolves_inside_the_network_is_not_fetched(
    tmp_path: Path, site: str, monkeypatch, first_lookup_lies: bool
) -> None:
    """An allowed domain whose DNS points at 127.0.0.1 or 10.x would reach internal
    services; only an address the admin names itself is fetched from inside. With DNS
    rebinding the check's lookup says public and the connection goes to 127.0.0.1: the
    address actually connected to decides too."""
    from api import pages

    if first_lookup_lies:
        monkeypatch.setattr(pages, "_private_address", lambda url: None)
    port = site.rsplit(":", 1)[1]
    settings = Settings(data_dir=tmp_path / "data", page_fetch_domains="localhost", _env_file=None)
    with authorised_client(settings) as (client, _):
        inside = client.post("/api/v1/suggestions", json={"url": f"http://localhost:{port}/"})
    assert inside.status_code == 422
    assert "points to an address inside the network" in inside.json()["detail"]
