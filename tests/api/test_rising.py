"""The weekly question: which words are new, or said much more, since a day."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from api.db import get_database
from api.jobs import process_recording
from api.settings import Settings
from tests.api.test_api import upload
from tests.conftest import tone, write_audio
from transcribe.types import Segment, Speaker, Transcript

BEFORE = "Wij willen zonnepanelen op het dak. Wat kosten de zonnepanelen met montage?"
SINCE = (
    "Wij willen zonnepanelen op het dak. Kan er ook een thuisbatterij bij? Een "
    "thuisbatterij lijkt ons handig."
)


def _said(text: str) -> Any:
    def transcribe(_path: Path, _options: Any, _progress: Any, **_: Any) -> Transcript:
        segment = Segment(0.0, 6.0, text, speaker="S2", role="customer")
        return Transcript("nl", 6.0, "test", (segment,), (Speaker("S2", "customer"),))

    return transcribe


def test_the_report_shows_what_is_new_since_a_day(
    api_client: Any, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.jobs

    client, _ = api_client
    for n, (text, day) in enumerate(
        [
            (BEFORE, "2026-10-05"),
            (BEFORE, "2026-10-12"),
            (SINCE, "2026-11-02"),
            (SINCE, "2026-11-09"),
        ]
    ):
        monkeypatch.setattr(api.jobs, "transcribe", _said(text))
        audio = write_audio(tone(1.0, freq=300.0 + 50 * n), tmp_path / f"{n}.wav", "pcm_s16le")
        recording_id = upload(client, audio.read_bytes(), f"{n}.wav", recorded_at=day).json()["id"]
        process_recording(settings, get_database(settings.sqlalchemy_url), recording_id)

    page = client.get("/report", params={"since": "2026-11-01", "role": "customer"}).text
    rising = page[page.index('id="rising"') : page.index('id="trend"')]
    assert "New and rising since Nov 1, 2026" in rising
    assert "<strong>thuisbatterij</strong>" in rising and ">new<" in rising
    assert "<strong>zonnepanelen</strong>" not in rising  # said as often as before
    assert "Een thuisbatterij lijkt ons handig" in rising  # with a quote as evidence
    without = client.get("/report", params={"role": "all", "tag": "x", "until": "2026-10-31"}).text
    assert "Choose a From date above" in without[without.index('id="rising"') :]
    # One click to a weekly look, the other filters kept (an end date would fall before it)
    import html
    import re
    from datetime import timedelta

    from api.db import utcnow

    today = utcnow().date()
    monday = today - timedelta(days=today.weekday() or 7)
    link = re.search(r'href="(/report\?[^"]+)#rising">Since Monday', without)
    assert link is not None
    query = dict(httpx.QueryParams(html.unescape(link.group(1)).split("?", 1)[1]))
    assert query == {"tag": "x", "role": "all", "since": monday.isoformat()}
    assert monday.weekday() == 0 and today - timedelta(days=7) <= monday < today
    first = client.get("/report", params={"since": "2026-10-01"}).text
    assert "Nothing stands out" in first[first.index('id="rising"') : first.index('id="trend"')]
    # The same for a CMS, as JSON; a report key's minimum counts here too.
    answer = client.get("/api/v1/terms/rising", params={"since": "2026-11-01", "role": "customer"})
    assert answer.status_code == 200 and answer.json()["since"] == "2026-11-01"
    battery = next(t for t in answer.json()["terms"] if t["lemma"] == "thuisbatterij")
    assert battery["before"] == 0 and battery["ratio"] >= 2 and battery["quotes"]
    assert "zonnepanelen" not in {t["lemma"] for t in answer.json()["terms"]}
    assert client.get("/api/v1/terms/rising").status_code == 422  # since is the question
    # The first day there is: nothing before it to rise from (it overflowed into a 500).
    earliest = client.get("/api/v1/terms/rising", params={"since": "0001-01-01"})
    assert earliest.status_code == 200 and earliest.json()["terms"] == []
    assert client.get("/report", params={"since": "0001-01-01"}).status_code == 200
    from api.auth import create_api_key

    with get_database(settings.sqlalchemy_url).session() as session:
        cms = {"Authorization": f"Bearer {create_api_key(session, 'cms', 'report')}"}
    narrow = client.get("/api/v1/terms/rising", params={"since": "2026-11-01"}, headers=cms)
    assert narrow.status_code == 403 and narrow.json()["code"] == "too_few_recordings"
