"""Bad input (issue #6): a corpus of hostile, broken and odd requests, each answered clearly.

Every case checks three things: the status code, that the answer says what was wrong (the
problem JSON's `detail`, or the error paragraph of a web form), and that the service is
still up and lost nothing: the recording accepted before the case is still there with its
audio, and a refused upload left no row and no blob behind.
"""

from __future__ import annotations

import html
import io
import json
import logging
import re
import struct
import threading
import time
import unicodedata
import wave
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from markupsafe import escape
from sqlalchemy import select

from api.db import Recording, Status, get_database
from api.demo import prepare_demo
from api.settings import Settings
from samples import sample_transcripts
from tests.conftest import authorised_client, browser_webm, tone, write_audio
from transcribe import Transcript, decode_audio

# --- media made in the test ------------------------------------------------------------------


def wav(seconds: float = 1.0, rate: int = 16_000, freq: float = 440.0) -> bytes:
    """A 16-bit mono WAV of a tone (no samples at all for `seconds=0`)."""
    samples = (tone(seconds, rate, freq) * 32767).astype(np.int16) if seconds else b""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(samples) if len(samples) else b"")
    return out.getvalue()


def mp3(folder: Path) -> bytes:
    return write_audio(tone(3.0), folder / "tone.mp3", "mp3").read_bytes()


def png() -> bytes:
    """A valid 1x1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def video(folder: Path, *, with_audio: bool, codec: str = "libx264") -> bytes:
    """One second of 64x64 video in an mp4, with an AAC audio track if asked."""
    import av

    path = folder / f"video-{codec}-{with_audio}.mp4"
    with av.open(str(path), "w", format="mp4") as container:
        picture = container.add_stream(codec, rate=10)
        picture.width = picture.height = 64
        picture.pix_fmt = "yuv420p"
        sound = container.add_stream("aac", rate=16_000, layout="mono") if with_audio else None
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 20, np.uint8), "rgb24")
            frame.pts = i
            for packet in picture.encode(frame):
                container.mux(packet)
        for packet in picture.encode(None):
            container.mux(packet)
        if sound is not None:
            block = av.AudioFrame.from_ndarray(tone(1.0).reshape(1, -1), "fltp", "mono")
            block.sample_rate = 16_000
            for packet in [*sound.encode(block), *sound.encode(None)]:
                container.mux(packet)
    return path.read_bytes()


def silence_opus(folder: Path, hours: float) -> bytes:
    """`hours` of silence as Ogg Opus in well under a second: one silent 60 ms packet,
    encoded once and muxed over and over (encoding 2 h of samples takes ~35 s)."""
    import av

    path = folder / f"silence-{hours}h.ogg"
    with av.open(str(path), "w", format="ogg") as container:
        stream = container.add_stream(
            "libopus", rate=48_000, layout="mono", options={"frame_duration": "60"}
        )
        stream.bit_rate = 6_000
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 48_000), np.float32), "flt", "mono")
        frame.sample_rate = 48_000
        frame.pts = 0
        model = list(stream.encode(frame))[-1]
        payload, step, time_base = bytes(model), model.duration, model.time_base
        for i in range(int(hours * 3600 * 48_000 / step)):  # 48 kHz ticks
            packet = av.Packet(payload)
            packet.stream = stream
            packet.pts = packet.dts = i * step
            packet.duration = step
            packet.time_base = time_base
            container.mux(packet)
    return path.read_bytes()


# --- helpers -----------------------------------------------------------------------------------

XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def problem(response: Any) -> str:
    """The problem JSON's `detail` as one line of text (FastAPI's list form flattened)."""
    assert response.headers["content-type"].startswith("application/json"), response.text[:200]
    body = response.json()
    assert set(body) == {"detail", "code"}, body
    detail = body["detail"]
    if isinstance(detail, str):
        return detail
    assert all("input" not in e for e in detail), "validation errors must not echo the input"
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in detail)


def alert(page: str) -> str:
    """The error paragraph of a web page, unescaped ("" when there is none)."""
    found = re.search(r'class="error" role="alert"[^>]*>([^<]*)<', page)
    return html.unescape(found.group(1)) if found else ""


def blob_files(settings: Settings) -> set[Path]:
    return {p for p in settings.blob_dir.rglob("*") if p.is_file()}


def recording_ids(settings: Settings) -> set[str]:
    with get_database(settings.sqlalchemy_url).session() as session:
        return set(session.scalars(select(Recording.id)))


def multipart(
    filename: bytes, payload: bytes, content_type: str = "audio/wav", **fields: str
) -> tuple[bytes, dict[str, str]]:
    """A multipart upload built by hand, so the filename reaches the server byte for byte
    (httpx percent-escapes control characters and quotes)."""
    boundary = "ridealong-bad-input-boundary"
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in {"consent": "true", **fields}.items()
    )
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
        + filename
        + f'"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def upload(client: Any, payload: bytes, name: str = "a.wav", ctype: str = "audio/wav", **form: str):
    data = {"consent": "true", **form}
    return client.post("/api/v1/recordings", files={"file": (name, payload, ctype)}, data=data)


@dataclass
class Service:
    """A running app with one recording accepted before the bad input arrives."""

    client: Any
    settings: Settings
    keeper: str

    def assert_still_whole(self) -> None:
        """Up, answering, and still holding the recording it had accepted, audio and all."""
        health = self.client.get("/healthz")
        assert health.status_code == 200 and health.json()["database"] is True
        listed = self.client.get("/api/v1/recordings")
        assert listed.status_code == 200
        assert self.keeper in {r["id"] for r in listed.json()["recordings"]}
        keeper = self.client.get(f"/api/v1/recordings/{self.keeper}").json()
        assert keeper["status"] == "queued"
        assert (self.settings.blob_dir / keeper["sha256"][:2] / keeper["sha256"]).is_file()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Fresh data; near-synonyms off, so suggestions do not load the embedding model."""
    return Settings(data_dir=tmp_path / "data", synonyms=False, _env_file=None)  # type: ignore[call-arg]


@contextmanager
def running(settings: Settings) -> Iterator[Service]:
    with authorised_client(settings) as (client, _):
        created = upload(client, wav(1.0, freq=330.0), "keeper.wav")
        assert created.status_code == 202, created.text
        service = Service(client, settings, created.json()["id"])
        yield service
        service.assert_still_whole()


@pytest.fixture
def app(settings: Settings) -> Iterator[Service]:
    with running(settings) as service:
        yield service


@pytest.fixture
def media(tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    return folder


# --- uploads that are refused ------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    make: Callable[[Path], bytes]
    name: str = "a.wav"
    content_type: str = "audio/wav"
    form: dict[str, str] = field(default_factory=dict)
    status: int = 422
    says: tuple[str, ...] = ()
    limits: dict[str, Any] = field(default_factory=dict)
    chunked: bool = False  # no Content-Length: the limit is met while the body streams in


REFUSED = {
    "zero bytes": Refused(lambda _: b"", says=("the file is empty",)),
    "mp3 truncated to 100 bytes": Refused(
        lambda m: mp3(m)[:100], "cut.mp3", "audio/mpeg", says=("cut.mp3 is not an audio file",)
    ),
    "m4a cut off before its index": Refused(
        lambda m: (lambda data: data[: len(data) // 2])(
            write_audio(tone(3.0), m / "memo.m4a", "aac").read_bytes()
        ),
        "memo.m4a",
        "audio/mp4",
        says=("memo.m4a is not an audio file we can read: it is in none", "damaged or was cut off"),
    ),
    "text named .wav": Refused(
        lambda _: b"Notities van het gesprek, geen audio.\n" * 50,
        "notes.wav",
        says=("notes.wav is not an audio file",),
    ),
    "png image named .wav": Refused(
        lambda _: png(), "photo.wav", says=("photo.wav is not an audio file", "no audio track")
    ),
    "html page named .wav": Refused(
        lambda _: b"<!doctype html><html><script>alert(1)</script></html>",
        "page.wav",
        says=("page.wav is not an audio file",),
    ),
    "random bytes named .mp3": Refused(
        lambda _: np.random.default_rng(6).bytes(8000),
        "noise.mp3",
        "audio/mpeg",
        says=("noise.mp3 is not an audio file",),
    ),
    "video without an audio track": Refused(
        lambda m: video(m, with_audio=False), "screen.mp4", "video/mp4", says=("no audio track",)
    ),
    "oversize (Content-Length over the limit)": Refused(
        lambda _: wav(40.0),  # 1.3 MB
        status=413,
        says=("larger than the limit of 1 MB",),
        limits={"max_upload_mb": 1},
    ),
    "oversize (chunked, no Content-Length)": Refused(
        lambda _: wav(40.0),
        status=413,
        says=("larger than the limit of 1 MB",),
        limits={"max_upload_mb": 1},
        chunked=True,
    ),
    "2 hours of silence over a 1 h limit": Refused(
        lambda m: silence_opus(m, 2.0),
        "silence.ogg",
        "audio/ogg",
        says=("lasts 2.00 h", "the limit is 1 h", "RIDEALONG_MAX_AUDIO_HOURS"),
        limits={"max_audio_hours": 1.0},
    ),
    "no consent": Refused(
        lambda _: wav(), form={"consent": "false"}, says=("consent is required",)
    ),
    "unknown language": Refused(lambda _: wav(), form={"language": "klingon"}, says=("language",)),
    "date that is no date": Refused(
        lambda _: wav(), form={"recorded_at": "gisteren"}, says=("recorded_at", "date")
    ),
    "date in the future": Refused(
        lambda _: wav(), form={"recorded_at": "2999-01-01"}, says=("2999-01-01", "future")
    ),
    "21 tags": Refused(
        lambda _: wav(), form={"tags": ",".join(f"t{i}" for i in range(21))}, says=("20 tags",)
    ),
    "wav header without samples": Refused(lambda _: wav(0.0), "empty.wav", says=("no audio",)),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_a_bad_upload_is_refused_and_leaves_nothing(case: Refused, settings, media) -> None:
    settings = settings.model_copy(update=case.limits)
    payload = case.make(media)
    with running(settings) as service:
        blobs_before, ids_before = blob_files(settings), recording_ids(settings)
        if case.chunked:
            body, headers = multipart(case.name.encode(), payload, case.content_type, **case.form)
            response = service.client.post(
                "/api/v1/recordings", content=iter([body[:1000], body[1000:]]), headers=headers
            )
        else:
            response = upload(service.client, payload, case.name, case.content_type, **case.form)
        assert response.status_code == case.status, response.text[:300]
        detail = problem(response)
        for words in case.says:
            assert words in detail, detail
        assert blob_files(settings) == blobs_before, "a refused upload left its audio behind"
        assert recording_ids(settings) == ids_before, "a refused upload left a recording row"
        assert not list(settings.blob_dir.rglob(".upload-*")), "a temporary file stayed"


@pytest.mark.parametrize(
    "request_kwargs, says",
    [
        ({"data": {"consent": "true"}}, "body.file: Field required"),
        ({"json": {"consent": True, "file": "a.wav"}}, "file"),
        ({"content": b"RIFF....WAVE", "headers": {"Content-Type": "audio/wav"}}, "file"),
        (
            {
                "data": {"consent": "true"},
                "files": [("file", ("a.wav", wav(), "audio/wav")), ("file", ("b.wav", wav(2.0)))],
            },
            "one file per request",
        ),
        (
            {"data": {"consent": "true", "tag": "zakelijk"}, "files": {"file": ("a.wav", wav())}},
            "unknown field tag: did you mean tags?",
        ),
        (
            {"data": {"consent": "true", "colour": "x"}, "files": {"file": ("a.wav", wav())}},
            "unknown field colour: the fields are consent, customer,",
        ),
    ],
    ids=[
        "form without a file",
        "json instead of a form",
        "raw audio body",
        "two files",
        "the CLI's name for a field",
        "a field of no name it has",
    ],
)
def test_an_upload_in_the_wrong_shape_is_refused(app, request_kwargs, says) -> None:
    response = app.client.post("/api/v1/recordings", **request_kwargs)
    assert response.status_code == 422
    assert says in problem(response)
    assert recording_ids(app.settings) == {app.keeper}


# --- uploads that are accepted -----------------------------------------------------------------


def test_a_video_with_an_audio_track_is_accepted(app, media) -> None:
    for codec in ("libx264", "mpeg4"):
        response = upload(
            app.client, video(media, with_audio=True, codec=codec), "call.mp4", "video/mp4"
        )
        assert response.status_code == 202, response.text
        detail = app.client.get(f"/api/v1/recordings/{response.json()['id']}").json()
        assert detail["status"] == "queued" and abs(detail["duration_s"] - 1.0) < 0.2


def test_a_browser_recording_without_a_duration_in_its_header_is_accepted(app, media) -> None:
    """Chrome's and Firefox's MediaRecorder write WebM with no duration: it is measured."""
    made = browser_webm(tone(2.0), media / "opname.webm")
    response = upload(app.client, made.read_bytes(), "opname.webm", "audio/webm")
    assert response.status_code == 202, response.text
    detail = app.client.get(f"/api/v1/recordings/{response.json()['id']}").json()
    assert abs(detail["duration_s"] - 2.0) < 0.05


def test_durations_are_given_to_the_millisecond(app) -> None:
    response = upload(app.client, wav(1 / 3), "third.wav")  # 5,333 samples: 0.3333125 s
    detail = app.client.get(f"/api/v1/recordings/{response.json()['id']}").json()
    assert detail["duration_s"] == 0.333


def test_two_hours_of_silence_are_accepted_under_the_default_limit(app, media) -> None:
    response = upload(app.client, silence_opus(media, 2.0), "stilte.ogg", "audio/ogg")
    assert response.status_code == 202, response.text
    detail = app.client.get(f"/api/v1/recordings/{response.json()['id']}").json()
    assert abs(detail["duration_s"] - 7200) < 1


def test_an_mp3_cut_in_half_is_accepted_and_decodes(app, media) -> None:
    """The header is intact, so it is audio: the job transcribes the part that is there."""
    response = upload(app.client, mp3(media)[:4700], "half.mp3", "audio/mpeg")
    assert response.status_code == 202, response.text
    sha = app.client.get(f"/api/v1/recordings/{response.json()['id']}").json()["sha256"]
    samples = decode_audio(app.settings.blob_dir / sha[:2] / sha)
    assert 0.5 * 16_000 < samples.size < 2.5 * 16_000  # 16 kHz: some, not the full 3 s


@pytest.mark.parametrize(
    ("name", "declared", "served"),
    [
        ("page.html", "text/html", "application/octet-stream"),
        # A list: browsers take the last type, so this would render as HTML on our origin.
        ("call.wav", "audio/wav, text/html", "audio/x-wav"),
        ("call.mp3", "audio/mpeg; x=1, text/javascript", "audio/mpeg"),
        ("call.m4a", "AUDIO/MP4", "audio/mp4"),
        ("opname.webm", "audio/webm;codecs=opus", "audio/webm"),  # a browser's recording
    ],
)
def test_audio_is_only_ever_served_as_audio(app, name: str, declared: str, served: str) -> None:
    response = upload(app.client, wav(), name, declared)
    assert response.status_code == 202
    audio = app.client.get(f"/recordings/{response.json()['id']}/audio")
    assert audio.status_code == 200
    assert audio.headers["content-type"] == served
    assert audio.headers["x-content-type-options"] == "nosniff"


def test_control_characters_never_reach_the_database(app) -> None:
    """PostgreSQL refuses a NUL in text (a bare 500 before); pages would show it."""
    response = upload(
        app.client, wav(), "a.wav", title="Bak\x00ker\tDe Vries", tags="be\x01urs, zon\npanelen"
    )
    recording = app.client.get(f"/api/v1/recordings/{response.json()['id']}").json()
    assert recording["title"] == "Bakker De Vries"  # a tab still parts two words
    assert recording["tags"] == ["beurs", "zon panelen"]
    patched = app.client.patch(
        f"/api/v1/recordings/{recording['id']}", json={"customer": "De\u0000 Vries"}
    )
    assert patched.status_code == 200 and patched.json()["customer"] == "De Vries"


# --- hostile filenames -------------------------------------------------------------------------

HOSTILE_NAMES = {
    "parent folders": (b"../../etc/passwd.wav", "passwd.wav"),
    "windows folders": (b"..\\..\\Windows\\win.ini.wav", "win.ini.wav"),
    "absolute path": (b"/var/lib/ridealong/data/blobs/x.wav", "x.wav"),
    "1000 characters": (b"a" * 996 + b".wav", "a" * 196 + ".wav"),
    "right-to-left override": ("offerte\u202evaw.exe.wav".encode(), "offertevaw.exe.wav"),
    "NUL byte": (b"call\x00.php.wav", "call.php.wav"),
    "escape sequence": (b"\x1b[31mred.wav", "[31mred.wav"),
    "dots only": (b"..", "recording"),
    "unicode kept": ("café – klant 😀 gesprek.wav".encode(), "café – klant 😀 gesprek.wav"),
    "decomposed unicode": ("cafe\u0301.wav".encode(), "café.wav"),
}


@pytest.mark.parametrize("raw, expected", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_a_hostile_filename_is_stored_as_a_safe_base_name(app, tmp_path, raw, expected) -> None:
    body, headers = multipart(raw, wav(0.5, freq=550.0))
    response = app.client.post("/api/v1/recordings", content=body, headers=headers)
    assert response.status_code == 202, response.text
    detail = app.client.get(f"/api/v1/recordings/{response.json()['id']}").json()
    name = detail["filename"]
    assert name == expected
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert len(name) <= 200
    assert all(unicodedata.category(c)[0] != "C" for c in name)
    blob = app.settings.blob_dir / detail["sha256"][:2] / detail["sha256"]
    assert blob.is_file() and blob.resolve().is_relative_to(app.settings.blob_dir.resolve())
    stray = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".wav", ".ini")]
    assert stray == [], "a file was written under the client's name"
    page = app.client.get(f"/recordings/{detail['id']}")
    assert page.status_code == 200 and str(escape(detail["title"])) in page.text


# --- XSS: whatever a client sends is rendered escaped ------------------------------------------


def assert_escaped(page: str, payload: str) -> None:
    assert payload not in page, f"{payload!r} rendered unescaped"
    assert "<script>alert" not in page and "<img src=x" not in page


@pytest.fixture
def demo(app) -> Service:
    prepare_demo(app.settings)
    return app


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_upload_fields_is_escaped_on_every_page(app, payload) -> None:
    fields = {"title": payload, "salesperson": payload, "customer": payload, "glossary": payload}
    response = upload(app.client, wav(), payload.replace("/", "") + ".wav", **fields)
    assert response.status_code == 202, response.text
    recording_id = response.json()["id"]
    assert app.client.get(f"/api/v1/recordings/{recording_id}").json()["title"] == payload
    for path in ("/", f"/recordings/{recording_id}", "/report", "/suggest", "/voices"):
        page = app.client.get(path)
        assert page.status_code == 200, path
        assert_escaped(page.text, payload)
    assert str(escape(payload)) in app.client.get(f"/recordings/{recording_id}").text


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_a_refused_web_upload_is_escaped_in_the_error(app, payload) -> None:
    name = payload.replace("/", "") + ".wav"
    response = app.client.post(
        "/upload",
        files={"file": (name, b"geen audio " * 50, "audio/wav")},
        data={"consent": "true", "title": payload, "salesperson": payload},
    )
    assert response.status_code == 422
    assert "is not an audio file we can read" in alert(response.text)
    assert_escaped(response.text, payload)
    assert recording_ids(app.settings) == {app.keeper}


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_transcript_text_and_speaker_names_is_escaped(demo, payload) -> None:
    from api.service import reanalyze

    database = get_database(demo.settings.sqlalchemy_url)
    with database.session() as session:
        recording = session.query(Recording).filter(Recording.status == Status.done).first()
        assert recording is not None
        recording_id = recording.id
        transcript = json.loads(recording.transcript_json or "{}")
        question = f"{payload} is de terugverdientijd van zonnepanelen {payload} echt zo kort?"
        transcript["segments"][1]["text"] = question
        transcript["segments"][1]["words"] = []
        transcript["speakers"][1]["name"] = payload
        transcript["notes"] = [payload]
        recording.transcript_json = json.dumps(transcript)
        recording.title = payload
        session.commit()
        reanalyze(session, recording_id)
    pages = {
        "recording": demo.client.get(f"/recordings/{recording_id}"),
        "report": demo.client.get("/report", params={"role": "customer"}),
        "report filtered": demo.client.get(
            "/report", params={"salesperson": payload, "customer": payload, "tag": payload}
        ),
        "list": demo.client.get("/"),
        "suggest": demo.client.post("/suggest", data={"page_copy": payload, "is_html": "false"}),
        "suggest html": demo.client.post(
            "/suggest", data={"page_copy": payload, "is_html": "true"}
        ),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert_escaped(page.text, payload)
    assert str(escape(question)) in pages["recording"].text  # the line is there, escaped
    assert str(escape(payload)) in pages["suggest"].text  # the copy is given back, escaped


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_an_unknown_id_is_escaped_on_the_error_page(app, payload) -> None:
    recording_id = payload.replace("/", "")
    page = app.client.get(f"/recordings/{recording_id}")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert_escaped(page.text, recording_id)
    assert str(escape(f"No recording with id {recording_id}")) in page.text


def test_xss_in_a_speaker_name_through_the_api_is_escaped(demo) -> None:
    recording_id = demo.client.get("/api/v1/recordings").json()["recordings"][0]["id"]
    if recording_id == demo.keeper:
        recording_id = demo.client.get("/api/v1/recordings").json()["recordings"][1]["id"]
    patch = {"speakers": [{"id": "S2", "name": XSS[1], "role": "customer"}]}
    response = demo.client.patch(f"/api/v1/recordings/{recording_id}/speakers", json=patch)
    assert response.status_code == 200, response.text
    page = demo.client.get(f"/recordings/{recording_id}").text
    assert_escaped(page, XSS[1])
    assert str(escape(XSS[1])) in page


# --- suggestions -------------------------------------------------------------------------------


def big_html() -> str:
    """A page of over 5 MB (6 MiB of HTML)."""
    return "<html><body>" + "<p>zonnepanelen</p>" * (6 * 1024 * 1024 // 18) + "</body></html>"


BAD_SUGGESTIONS: dict[str, tuple[Callable[[], dict[str, Any]], tuple[str, ...]]] = {
    "invalid json": (
        lambda: {"content": b'{"text": "zon",', "headers": {"Content-Type": "application/json"}},
        ("not valid JSON",),
    ),
    "text/plain body": (
        lambda: {"content": b"Zonnepanelen", "headers": {"Content-Type": "text/plain"}},
        ("JSON object",),
    ),
    "form body": (lambda: {"data": {"text": "Zonnepanelen"}}, ("JSON object",)),
    "json array": (lambda: {"json": ["Zonnepanelen"]}, ("JSON object",)),
    "empty text": (lambda: {"json": {"text": ""}}, ("the page copy is empty",)),
    "blank text": (lambda: {"json": {"text": " \n\t "}}, ("the page copy is empty",)),
    "no source": (lambda: {"json": {}}, ("exactly one of 'text', 'html' or 'url'",)),
    "two sources": (lambda: {"json": {"text": "a", "html": "<p>b</p>"}}, ("exactly one of",)),
    "unknown field": (
        lambda: {"json": {"text": "Zonnepanelen", "titel": "x"}},
        ("titel", "not permitted"),
    ),
    "unknown language": (lambda: {"json": {"text": "Solar", "language": "de"}}, ("language",)),
    "limit 0": (lambda: {"json": {"text": "Solar", "limit": 0}}, ("limit", "greater than")),
    "text not a string": (lambda: {"json": {"text": {"nested": 1}}}, ("text", "string")),
    "html over 5 MB": (
        lambda: {"json": {"html": big_html()}},
        ("html", "at most 5000000 characters"),
    ),
}


@pytest.mark.parametrize("make, says", BAD_SUGGESTIONS.values(), ids=BAD_SUGGESTIONS.keys())
def test_bad_suggestion_requests_are_refused_clearly(app, make, says) -> None:
    response = app.client.post("/api/v1/suggestions", **make())
    assert response.status_code == 422, response.text[:300]
    assert len(response.content) < 10_000, "the answer echoes the request"
    detail = problem(response)
    for words in says:
        assert words in detail, detail


def test_an_oversize_web_upload_shows_the_form_with_an_error(settings) -> None:
    with running(settings.model_copy(update={"max_upload_mb": 1})) as service:
        response = service.client.post(
            "/upload", files={"file": ("big.wav", wav(40.0), "audio/wav")}, data={"consent": "true"}
        )
        assert response.status_code == 413
        assert "larger than the limit of 1 MB" in alert(response.text)
        dutch = service.client.post(
            "/upload",
            files={"file": ("big.wav", wav(40.0), "audio/wav")},
            data={"consent": "true"},
            headers={"Accept-Language": "nl"},
        )
        assert alert(dutch.text) == "Het bestand is groter dan de grens van 1 MB."


def test_the_web_form_takes_several_files_each_within_the_limit(settings) -> None:
    """Each file is held to the limit; the whole form to ten of them."""
    with running(settings.model_copy(update={"max_upload_mb": 1})) as service:
        under = [("file", (f"{i}.wav", wav(20.0, freq=300.0 + i), "audio/wav")) for i in range(3)]
        several = service.client.post(
            "/upload", files=under, data={"consent": "true"}, follow_redirects=False
        )
        assert several.status_code == 303  # 1.9 MB in all, each file 0.6 MB
        over = [("file", (f"{i}.wav", wav(30.0, freq=600.0 + i), "audio/wav")) for i in range(12)]
        too_much = service.client.post("/upload", files=over, data={"consent": "true"})
        assert too_much.status_code == 413
        assert "more than the form takes at once (10 files of 1 MB)" in alert(too_much.text)
        many = [("file", (f"{i}.wav", wav(0.2, freq=900.0 + i), "audio/wav")) for i in range(11)]
        too_many = service.client.post("/upload", files=many, data={"consent": "true"})
        assert too_many.status_code == 422 and "At most 10 recordings" in alert(too_many.text)
        assert len(recording_ids(service.settings)) == 4  # the keeper and the three


def test_an_oversize_streamed_web_upload_shows_the_form_with_an_error(settings) -> None:
    with running(settings.model_copy(update={"max_upload_mb": 1})) as service:
        body, headers = multipart(b"big.wav", wav(40.0))
        response = service.client.post(
            "/upload", content=iter([body[:1000], body[1000:]]), headers=headers
        )
        assert response.status_code == 413
        assert alert(response.text) == "The file is larger than the limit of 1 MB."
        assert recording_ids(service.settings) == {service.keeper}


def test_a_web_upload_without_a_file_is_refused_with_an_error_paragraph(app) -> None:
    response = app.client.post("/upload", data={"consent": "true", "title": "Bezoek"})
    assert response.status_code == 422
    assert alert(response.text) == "Choose an audio file to upload."
    assert 'value="Bezoek"' in response.text  # the form keeps what was typed


def test_an_empty_page_on_the_web_form_is_refused_with_an_error_paragraph(app) -> None:
    response = app.client.post("/suggest", data={"page_copy": "   "})
    assert response.status_code == 422
    assert alert(response.text) == "The page copy is empty."


def test_html_pasted_without_ticking_the_box_is_read_as_html(app) -> None:
    page = (
        "<html><body><h1>Zonnepanelen</h1><p>Wij leggen <b>panelen</b> op elk dak.</p>"
        "</body></html>"
    )
    unticked = app.client.post("/suggest", data={"page_copy": page})
    ticked = app.client.post("/suggest", data={"page_copy": page, "is_html": "true"})
    assert unticked.status_code == ticked.status_code == 200
    assert 'id="read-as-html"' in unticked.text and 'id="read-as-html"' not in ticked.text

    def coverage(text: str) -> str:
        return re.search(r'class="coverage">(\d+)<', text).group(1)  # type: ignore[union-attr]

    assert coverage(unticked.text) == coverage(ticked.text)
    prose = app.client.post("/suggest", data={"page_copy": "Prijs < 100 euro, levering > morgen"})
    assert 'id="read-as-html"' not in prose.text  # a sign in prose is not HTML


def test_a_refused_tag_field_points_to_its_error(app) -> None:
    """The reason sits by the field and is read out with it (aria-describedby), and the
    reader is taken there (data-focus)."""
    many = ", ".join(f"tag{i}" for i in range(25))
    page = app.client.post(f"/recordings/{app.keeper}/tags", data={"tags": many})
    assert page.status_code == 422
    assert alert(page.text).startswith("At most 20 tags")
    field = re.search(r'<input name="tags"[^>]*>', page.text)
    assert field and 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="tags-error"' in field.group(0)
    assert re.search(r'<p class="error" role="alert" id="tags-error"[^>]*data-focus', page.text)
    assert f'value="{many}"' in field.group(0)  # what was typed, to correct, not the old tags
    long = app.client.post(f"/recordings/{app.keeper}/tags", data={"tags": "x" * 300})
    assert alert(long.text) == f"A tag has at most 50 characters: “{'x' * 60}…”"


@pytest.mark.parametrize(
    ("path", "page"),
    [
        ("/upload", "/"),
        ("/logout", "/"),
        ("/voices/delete", "/voices"),
        ("/recordings/abc/details", "/recordings/abc"),
        ("/recordings/abc/speakers/swap", "/recordings/abc"),
        ("/recordings/abc/delete", "/recordings/abc"),
    ],
)
def test_a_form_address_opened_again_leads_to_its_page(app, path: str, page: str) -> None:
    """The address bar after a refused form, or a restored tab: the form's page, not an
    English "Method Not Allowed"."""
    response = app.client.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == page


# --- unknown ids -------------------------------------------------------------------------------

MISSING = "0123456789abcdef0123456789abcdef"
UNKNOWN_ID_ROUTES = {
    "GET recording": ("GET", f"/api/v1/recordings/{MISSING}", None),
    "DELETE recording": ("DELETE", f"/api/v1/recordings/{MISSING}", None),
    "PATCH recording": ("PATCH", f"/api/v1/recordings/{MISSING}", {"title": "x"}),
    "GET transcript": ("GET", f"/api/v1/recordings/{MISSING}/transcript", None),
    "GET speakers": ("GET", f"/api/v1/recordings/{MISSING}/speakers", None),
    "PATCH speakers": (
        "PATCH",
        f"/api/v1/recordings/{MISSING}/speakers",
        {"speakers": [{"id": "S1", "role": "customer"}]},
    ),
    "GET terms of": ("GET", f"/api/v1/terms?recording_id={MISSING}", None),
    "GET questions of": ("GET", f"/api/v1/questions?recording_id={MISSING}", None),
    "web audio": ("GET", f"/recordings/{MISSING}/audio", None),
    "web delete": ("POST", f"/recordings/{MISSING}/delete", None),
    "web tags": ("POST", f"/recordings/{MISSING}/tags", None),
}


@pytest.mark.parametrize(
    "method, path, body", UNKNOWN_ID_ROUTES.values(), ids=UNKNOWN_ID_ROUTES.keys()
)
def test_an_unknown_recording_id_is_a_404_naming_it(app, method, path, body) -> None:
    response = app.client.request(method, path, json=body)
    assert response.status_code == 404, response.text
    assert f"no recording with id {MISSING}" in problem(response)


def test_an_unknown_recording_page_is_a_404_page_naming_it(app) -> None:
    response = app.client.get(f"/recordings/{MISSING}")
    assert response.status_code == 404
    assert f"No recording with id {MISSING}." in response.text


@pytest.mark.parametrize(
    "kwargs, says",
    [
        ({"content": b"{title", "headers": {"Content-Type": "application/json"}}, "not valid JSON"),
        ({"content": b"title=x", "headers": {"Content-Type": "text/plain"}}, "JSON object"),
        ({"json": {"titel": "x"}}, "titel"),
        ({"json": {"recorded_at": "gisteren"}}, "recorded_at"),
        ({"json": {"recorded_at": "2999-01-01"}}, "in the future"),
        ({"json": {"tags": ["x"] * 21}}, "tags"),
    ],
    ids=["invalid json", "text/plain", "unknown field", "bad date", "future date", "21 tags"],
)
def test_a_bad_patch_is_refused_and_changes_nothing(app, kwargs, says) -> None:
    before = app.client.get(f"/api/v1/recordings/{app.keeper}").json()
    response = app.client.patch(f"/api/v1/recordings/{app.keeper}", **kwargs)
    assert response.status_code == 422
    assert says in problem(response)
    assert app.client.get(f"/api/v1/recordings/{app.keeper}").json() == before


def test_a_future_date_on_the_details_form_is_refused_with_the_form_open(app) -> None:
    before = app.client.get(f"/api/v1/recordings/{app.keeper}").json()
    page = app.client.post(
        f"/recordings/{app.keeper}/details",
        data={"title": "Nieuw", "recorded_at": "2999-01-01"},
        headers={"Accept": "text/html", "Accept-Language": "nl"},
    )
    assert page.status_code == 422
    assert "De datum 2999-01-01 ligt in de toekomst: wanneer was het gesprek?" in page.text
    assert '<details class="edit-details" open>' in page.text
    assert app.client.get(f"/api/v1/recordings/{app.keeper}").json() == before


# --- DELETE while the job runs -----------------------------------------------------------------


def _sample_transcript() -> Transcript:
    path = next(iter(sample_transcripts()))
    return Transcript.from_dict(json.loads(path.read_text(encoding="utf-8")))


def test_delete_of_a_queued_recording_leaves_the_job_nothing_to_do(app) -> None:
    from api.jobs import process_recording

    created = upload(app.client, wav(0.8, freq=660.0), "weg.wav").json()
    database = get_database(app.settings.sqlalchemy_url)
    with database.session() as session:  # as if a worker had picked it up
        row = session.get(Recording, created["id"])
        assert row is not None
        row.status = Status.processing
        session.commit()
    assert app.client.delete(f"/api/v1/recordings/{created['id']}").status_code == 204
    process_recording(app.settings, database, created["id"])  # the job, arriving late
    assert recording_ids(app.settings) == {app.keeper}
    assert app.client.get(f"/api/v1/recordings/{created['id']}").status_code == 404


@pytest.mark.parametrize("moment", ["during transcription", "after transcription"])
def test_delete_while_the_worker_processes_loses_nothing_else(
    settings, monkeypatch, caplog, moment
) -> None:
    """The real worker thread runs the job; a fake recogniser holds it mid-way while the
    recording is deleted, then reports progress (or finishes) into a recording that is gone."""
    import api.jobs

    started, deleted = threading.Event(), threading.Event()
    calls: list[Path] = []

    def fake_transcribe(audio_path: Path, _options: Any, on_progress: Any, **_: Any) -> Transcript:
        calls.append(audio_path)
        if len(calls) == 1:  # the first recording: wait for the DELETE
            started.set()
            assert deleted.wait(10)
            if moment == "during transcription":
                on_progress(0.5)
        return _sample_transcript()

    monkeypatch.setattr(api.jobs, "transcribe", fake_transcribe)
    caplog.set_level(logging.INFO, logger="api.jobs")
    with authorised_client(settings, worker=True) as (client, _):
        doomed = upload(client, wav(0.8, freq=770.0), "weg.wav").json()["id"]
        assert started.wait(10), "the worker never started the job"
        assert client.get(f"/api/v1/recordings/{doomed}").json()["status"] == "processing"
        assert client.delete(f"/api/v1/recordings/{doomed}").status_code == 204
        deleted.set()
        kept = upload(client, wav(0.8, freq=880.0), "blijft.wav").json()["id"]
        deadline = time.monotonic() + 15
        while client.get(f"/api/v1/recordings/{kept}").json()["status"] != "done":
            assert time.monotonic() < deadline, "the worker stopped after the deleted job"
            time.sleep(0.1)
        assert client.get(f"/api/v1/recordings/{doomed}").status_code == 404
        assert f"recording {doomed} was deleted or taken over while processing" in caplog.text
        assert "failed" not in caplog.text
        assert client.get("/api/v1/terms", params={"recording_id": doomed}).status_code == 404
        assert recording_ids(settings) == {kept}
        sha = client.get(f"/api/v1/recordings/{kept}").json()["sha256"]
        assert blob_files(settings) == {settings.blob_dir / sha[:2] / sha}
        assert client.get("/healthz").json()["status"] == "ok"


def test_every_refusal_has_a_code_programs_can_branch_on(api_client, tmp_path: Path) -> None:
    """A CMS tells "not ready yet" from "no such recording", and "no consent" from "not
    audio", by `code`, without reading the English."""
    client, key = api_client
    files = {
        "file": ("a.wav", write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes())
    }

    def code(response: Any) -> str:
        return response.json()["code"]

    assert code(client.post("/api/v1/recordings", files=files)) == "consent_required"
    consented = {"consent": "true"}
    empty = {"file": ("e.wav", b"")}
    assert code(client.post("/api/v1/recordings", files=empty, data=consented)) == "empty_file"
    text = {"file": ("t.mp3", b"not audio at all, just words")}
    assert code(client.post("/api/v1/recordings", files=text, data=consented)) == "unreadable_audio"
    klingon = {**consented, "language": "tlh"}
    assert code(client.post("/api/v1/recordings", files=files, data=klingon)) == "unknown_language"
    created = client.post("/api/v1/recordings", files=files, data=consented).json()
    waiting = client.get(f"/api/v1/recordings/{created['id']}/transcript")
    assert waiting.status_code == 404 and code(waiting) == "not_ready"
    missing = client.get("/api/v1/recordings/nope/transcript")
    assert missing.status_code == 404 and code(missing) == "not_found"
    assert code(client.get("/api/v1/terms", params={"limit": -1})) == "invalid_request"
    garbled = client.post(
        "/api/v1/suggestions", content=b'{"text": "\xff\xfe"}',
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert garbled.status_code == 400 and code(garbled) == "invalid_request"
    anonymous = client.get("/api/v1/terms", headers={"Authorization": ""})
    assert anonymous.status_code == 401 and code(anonymous) == "unauthorized"
