"""Shared fixtures: the shared test audio, scoring helpers, isolated settings and apps."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED_AUDIO = Path(os.environ.get("RIDEALONG_SHARED_AUDIO", REPO.parent / "shared" / "audio"))
# "embedded" (SQLite, the Huey SQLite queue) or "scaled" (PostgreSQL and Redis): `make test`
# runs the service's tests under both.
SETUP = os.environ.get("RIDEALONG_TEST_SETUP", "embedded")


@pytest.fixture(scope="session")
def shared_audio() -> Path:
    """`../shared/audio`, read in place. Missing data is an error, not a skip."""
    if not (SHARED_AUDIO / "MANIFEST.md").is_file():
        pytest.fail(f"shared test audio not found at {SHARED_AUDIO} (set RIDEALONG_SHARED_AUDIO)")
    return SHARED_AUDIO


@dataclass
class ScaledServices:
    postgres: Any  # tests.services.PostgresServer
    redis: Any  # tests.services.RedisServer
    template: str  # a migrated database that fresh ones are copied from

    def fresh_database(self) -> tuple[str, str]:
        """A new migrated database (a copy of the template, 0.1 s): its name and URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        return name, self.postgres.create_database(name, template=self.template)


@pytest.fixture(scope="session")
def scaled_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledServices]:
    """PostgreSQL and Redis on loopback for this session. Missing programs skip the tests
    that need them, except in CI (`.ci/run` installs them), where that is a failure."""
    from api.db import Database
    from tests.services import PostgresServer, RedisServer, missing_programs

    missing = missing_programs()
    if missing:
        message = f"the scaled setup needs Debian's {' and '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with ExitStack() as running:  # whatever started is stopped, even if the rest fails
        postgres = PostgresServer().start()
        running.callback(postgres.remove)
        redis = RedisServer(tmp_path_factory.mktemp("redis")).start()
        running.callback(redis.stop)
        template = Database(postgres.create_database("ridealong_template"))
        template.migrate()
        template.dispose()
        yield ScaledServices(postgres, redis, "ridealong_template")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The scaled pass runs the service's tests again on PostgreSQL and Redis: those about
    the embedded setup's own files, and the file-to-file CLI (no service), ran in the
    embedded pass and are left out."""
    if SETUP != "scaled":
        return
    once = [
        i
        for i in items
        if i.get_closest_marker("embedded_only") or i.get_closest_marker("offline_cli")
    ]
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = [i for i in items if i not in once]


@pytest.fixture(autouse=True)
def _setup_under_test(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """Under RIDEALONG_TEST_SETUP=scaled, every test gets its own PostgreSQL database and an
    empty Redis, through the environment (so settings made in tests and CLI subprocesses
    use them too)."""
    from api.db import close_databases

    if SETUP != "scaled" or request.node.get_closest_marker("embedded_only"):
        yield
        close_databases()
        return
    services: ScaledServices = request.getfixturevalue("scaled_services")
    name, url = services.fresh_database()
    services.redis.flush()
    monkeypatch.setenv("RIDEALONG_DATABASE_URL", url)
    monkeypatch.setenv("RIDEALONG_QUEUE_URL", services.redis.url())
    yield
    close_databases()
    services.postgres.drop_database(name)


def normalise(text: str) -> str:
    """The MANIFEST's WER normalisation: lower case, punctuation stripped."""
    t = text.lower().replace("\u2019", "'")
    t = re.sub(r"(?<=\w)['-](?=\w)", "", t)
    t = re.sub(r"[^\w\s]", " ", t)
    return " ".join(t.split())


def reference_text(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    return " ".join(re.sub(r"^\[\w+\]\s*", "", line) for line in lines if line.strip())


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    return float(jiwer.wer(normalise(reference), normalise(hypothesis)))


def tone(seconds: float, rate: int = 16_000, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_audio(
    samples: np.ndarray, path: Path, codec: str, rate: int = 16_000, bit_rate: int | None = None
) -> Path:
    """Encode mono float samples with PyAV (so tests need no ffmpeg binary). `bit_rate`:
    bits a second for lossy codecs (else the encoder's default: 24 kbit/s for MP3 at 16 kHz)."""
    import av

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        if bit_rate:
            stream.bit_rate = bit_rate
        fmt = "s16" if codec in ("pcm_s16le", "flac") else "fltp"
        data = samples.reshape(1, -1)
        if fmt == "s16":
            data = (np.clip(data, -1, 1) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(data, format=fmt, layout="mono")
        frame.sample_rate = rate
        frame.pts, frame.time_base = 0, Fraction(1, rate)  # else AAC's priming is not trimmed
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def browser_webm(samples: np.ndarray, path: Path, rate: int = 48_000) -> Path:
    """WebM as a browser's MediaRecorder writes it: a live stream, so no duration and no
    cues in its header."""
    import av
    from scipy.signal import resample_poly

    upsampled = resample_poly(samples, rate // 16_000, 1).astype(np.float32)
    with av.open(str(path), "w", format="webm", options={"live": "1"}) as container:
        stream = container.add_stream("libopus", rate=rate, layout="mono")
        for at in range(0, upsampled.size, 960):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(upsampled[None, at : at + 960]), format="flt", layout="mono"
            )
            frame.sample_rate, frame.pts, frame.time_base = rate, at, Fraction(1, rate)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh data dir; the model cache stays shared (assembling is slow)."""
    return Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


@contextmanager
def authorised_client(settings: Settings, *, worker: bool = False) -> Iterator[tuple[Any, str]]:
    """A TestClient on a fresh app for `settings`, sending a valid API key; and the key."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.auth import create_api_key
    from api.db import get_database

    with TestClient(create_app(settings, start_worker=worker)) as client:
        with get_database(settings.sqlalchemy_url).session() as session:
            key = create_api_key(session, "tests", scope="admin")
        client.headers["Authorization"] = f"Bearer {key}"
        yield client, key


def give_voices(settings: Settings) -> None:
    """Voice prints for every speaker of every processed recording, as a diarized job keeps
    them (the demo's transcripts have none), so that voices can be remembered from them."""
    import json

    from sqlalchemy import select
    from sqlalchemy.orm import undefer

    from api.db import Recording, get_database

    rng = np.random.default_rng(7)
    with get_database(settings.sqlalchemy_url).session() as session:
        query = select(Recording).where(Recording.transcript_json.is_not(None))
        for recording in session.scalars(query.options(undefer(Recording.transcript_json))):
            ids = {s["id"] for s in json.loads(recording.transcript_json or "{}")["speakers"]}
            prints = {i: (v / np.linalg.norm(v)).round(6).tolist() for i in ids
                      for v in [rng.normal(size=16)]}  # fmt: skip
            recording.voices_json = json.dumps(prints)
        session.commit()


@pytest.fixture
def api_client(settings: Settings) -> Iterator[tuple[Any, str]]:
    """An authorised TestClient on a fresh app without the worker, and its API key."""
    with authorised_client(settings) as pair:
        yield pair


_UNITS = ["nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien",
          "elf", "twaalf", "dertien", "veertien", "vijftien", "zestien", "zeventien", "achttien",
          "negentien"]  # fmt: skip
_TENS = ["", "", "twintig", "dertig", "veertig", "vijftig", "zestig", "zeventig", "tachtig",
         "negentig"]  # fmt: skip


def dutch_number(n: int) -> str:
    """Dutch words for 0..9999, the way the references write numbers ("vijfenvijftig")."""
    if n < 20:
        return _UNITS[n]
    if n < 100:
        unit, ten = n % 10, _TENS[n // 10]
        return (
            ten
            if unit == 0
            else f"{_UNITS[unit]}{'ën' if _UNITS[unit].endswith('e') else 'en'}{ten}"
        )
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "honderd" if hundreds == 1 else f"{_UNITS[hundreds]}honderd"
        return head + (dutch_number(rest) if rest else "")
    thousands, rest = divmod(n, 1000)
    head = "duizend" if thousands == 1 else f"{dutch_number(thousands)}duizend"
    return head + (dutch_number(rest) if rest else "")


def spell_numbers_nl(text: str) -> str:
    """Replace digits by Dutch number words, so "55 euro" scores like "vijfenvijftig euro"."""
    return re.sub(
        r"\d+", lambda m: dutch_number(int(m.group())) if len(m.group()) <= 4 else m.group(), text
    )


def wer_nl(reference: str, hypothesis: str) -> float:
    """WER with the MANIFEST's normalisation; digits may stand for number words."""
    return wer(reference, spell_numbers_nl(hypothesis))


def telephone_noisy(samples: np.ndarray, snr_db: float = 15.0, seed: int = 0) -> np.ndarray:
    """Phone-line version of 16 kHz audio: 300-3400 Hz, 8 kHz rate, white noise at `snr_db`."""
    spectrum = np.fft.rfft(samples)
    freqs = np.fft.rfftfreq(samples.size, 1 / 16_000)
    spectrum[(freqs < 300) | (freqs > 3400)] = 0
    band = np.fft.irfft(spectrum, n=samples.size)[::2]  # 8 kHz after the low-pass
    power = float(np.mean(band**2))
    noise = np.random.default_rng(seed).standard_normal(band.size) * np.sqrt(
        power / 10 ** (snr_db / 10)
    )
    return (band + noise).astype(np.float32)
