"""Shared fixtures: the shared test audio, scoring helpers, isolated settings and apps."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from api.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED_AUDIO = Path(os.environ.get("RIDEALONG_SHARED_AUDIO", REPO.parent / "shared" / "audio"))


@pytest.fixture(scope="session")
def shared_audio() -> Path:
    """`../shared/audio`, read in place. Missing data is an error, not a skip."""
    if not (SHARED_AUDIO / "MANIFEST.md").is_file():
        pytest.fail(f"shared test audio not found at {SHARED_AUDIO} (set RIDEALONG_SHARED_AUDIO)")
    return SHARED_AUDIO


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


def write_audio(samples: np.ndarray, path: Path, codec: str, rate: int = 16_000) -> Path:
    """Encode mono float samples with PyAV (so tests need no ffmpeg binary)."""
    import av

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        fmt = "s16" if codec in ("pcm_s16le", "flac") else "fltp"
        data = samples.reshape(1, -1)
        if fmt == "s16":
            data = (np.clip(data, -1, 1) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(data, format=fmt, layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh data dir; the model cache stays shared (assembling is slow)."""
    return Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def api_client(settings: Settings) -> Iterator[tuple[object, str]]:
    """A TestClient on a fresh app without the worker, and a valid API key."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.auth import create_api_key
    from api.db import get_database

    app = create_app(settings, start_worker=False)
    with TestClient(app) as client:
        with get_database(settings.sqlalchemy_url).session() as session:
            key = create_api_key(session, "tests")
        client.headers["Authorization"] = f"Bearer {key}"
        yield client, key
