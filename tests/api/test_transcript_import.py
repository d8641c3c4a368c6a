"""A video call's transcript uploaded instead of audio: imported as a recording without audio,
analysed at once, through the API, the web form and the CLI. The call is the shared Dutch
dialogue's reference transcript and speaker turns, written out as Teams writes WebVTT."""

import json
import re
from pathlib import Path

import pytest

from api.settings import Settings
from tests.api.test_cli import ridealong
from tests.conftest import authorised_client

NAMES = {"salesperson": "Wouter Peeters", "customer": "Nathalie Jansen"}


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes // 60):02d}:{int(minutes % 60):02d}:{rest:06.3f}"


@pytest.fixture
def reference_turns(shared_audio: Path) -> list[dict]:
    path = shared_audio / "nl_constructed" / "nl_dialogue_sales_constructed.segments.json"
    turns: list[dict] = json.loads(path.read_text(encoding="utf-8"))["turns"]
    return turns


@pytest.fixture
def teams_vtt(reference_turns: list[dict]) -> bytes:
    cues = [
        f"{n}\n{_clock(t['start'])} --> {_clock(t['end'])}\n<v {NAMES[t['role']]}>{t['text']}</v>"
        for n, t in enumerate(reference_turns, 1)
    ]
    return ("WEBVTT\n\n" + "\n\n".join(cues) + "\n").encode()


def _upload(client, payload: bytes, name: str = "klantgesprek.vtt", **form):
    files = {"file": (name, payload, "text/vtt")}
    return client.post("/api/v1/recordings", files=files, data={"consent": "true", **form})


def test_an_uploaded_call_transcript_is_analysed_at_once(api_client, teams_vtt, reference_turns):
    client, _ = api_client
    response = _upload(client, teams_vtt, tags="teams")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "done"  # no job to wait for
    recording = client.get(f"/api/v1/recordings/{body['id']}").json()
    assert recording["model"] == "imported" and recording["language"] == "nl"
    assert recording["duration_s"] == pytest.approx(reference_turns[-1]["end"])
    assert recording["salesperson"] == "Wouter Peeters"  # the one named salesperson
    transcript = client.get(f"/api/v1/recordings/{body['id']}/transcript").json()
    speakers = {s["id"]: s for s in transcript["speakers"]}
    # every turn's role as the reference gives it, from the heuristic for recordings
    roles = [speakers[s["speaker"]]["role"] for s in transcript["segments"]]
    assert roles == [t["role"] for t in reference_turns]
    assert {s["name"] for s in speakers.values()} == set(NAMES.values())
    customer_turns = [t["text"].lower() for t in reference_turns if t["role"] == "customer"]
    said_by_customer = " ".join(customer_turns)
    terms = client.get("/api/v1/terms", params={"role": "customer", "tag": "teams"}).json()
    assert terms["terms"], terms
    for term in terms["terms"][:5]:  # the customer's own words, each quoted from the call
        assert term["lemma"].split()[0][:4] in said_by_customer
    questions = client.get("/api/v1/questions").json()["questions"]
    assert "Welk advies zou jij geven?" in json.dumps(questions, ensure_ascii=False)
    # the same file again is the same recording, unless a copy is asked for
    again = _upload(client, teams_vtt)
    assert again.status_code == 200 and again.json() == {**body, "duplicate": True}
    copy = _upload(client, teams_vtt, force_copy="true")
    assert copy.status_code == 202 and copy.json()["id"] != body["id"]
    assert client.get(f"/api/v1/recordings/{body['id']}/audio").status_code == 404


@pytest.mark.parametrize(
    ("name", "payload", "reason"),
    [
        ("leeg.vtt", b"WEBVTT\n\nNOTE niets\n", "no timed lines"),
        ("kapot.json", b"{niet", "invalid JSON"),
        ("niks.srt", b"   \n", "empty"),
        ("oneindig.json", b'{"segments": [{"start": 0, "end": 1e400, "text": "Ja."}]}', "finite"),
        ("notities.txt", b"[klant] Wat kost dat?", "text document"),
    ],
)
def test_a_file_that_is_no_transcript_is_refused_and_nothing_kept(
    api_client, name: str, payload: bytes, reason: str
) -> None:
    client, _ = api_client
    response = _upload(client, payload, name)
    assert response.status_code == 422 and reason in response.json()["detail"]
    assert client.get("/api/v1/recordings").json()["recordings"] == []
    assert client.get("/").status_code == 200


def test_a_transcript_longer_than_the_limit_is_refused(settings, teams_vtt) -> None:
    """RIDEALONG_MAX_AUDIO_HOURS holds for a call's transcript as for its audio."""
    limited = settings.model_copy(update={"max_audio_hours": 0.01})  # 36 s; the call is 57 s
    with authorised_client(limited) as (client, _):
        response = _upload(client, teams_vtt)
        assert response.status_code == 422 and response.json()["code"] == "too_long"
        assert client.get("/api/v1/recordings").json()["recordings"] == []


def test_without_consent_no_transcript_is_imported(api_client, teams_vtt) -> None:
    client, _ = api_client
    files = {"file": ("call.vtt", teams_vtt, "text/vtt")}
    assert client.post("/api/v1/recordings", files=files).status_code == 422
    assert client.get("/api/v1/recordings").json()["recordings"] == []


def test_the_web_form_imports_a_transcript_and_shows_it_without_a_player(
    api_client, teams_vtt
) -> None:
    client, _ = api_client
    form = client.get("/")
    assert ".vtt" in re.search(r'<input type="file"[^>]*>', form.text).group(0)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    response = client.post(
        "/upload",
        files={"file": ("Teams gesprek.vtt", teams_vtt, "text/vtt")},
        data={"consent": "true", **({"csrf_token": token.group(1)} if token else {})},
    )
    assert response.status_code == 200 and "“Teams gesprek” is uploaded." in response.text
    recording_id = response.url.params["uploaded"]
    page = client.get(f"/recordings/{recording_id}").text
    assert "Imported from the transcript “Teams gesprek.vtt”" in page
    assert "<audio" not in page and "Nathalie Jansen" in page
    if 'id="check-roles"' in page:  # unsure of the roles: lines to read, none to play
        assert "Read a few lines of each speaker" in page and "Play a line" not in page
    assert "Welk advies zou jij geven?" in page


def test_the_cli_imports_a_transcript(tmp_path: Path, teams_vtt) -> None:
    data = tmp_path / "data"
    call = tmp_path / "gesprek.vtt"
    call.write_bytes(teams_vtt)
    result = ridealong("upload", str(call), "--consent", "--customer", "Nathalie Jansen",
                       data_dir=data)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "gesprek.vtt: imported as recording" in result.stderr
    [recording_id] = result.stdout.split()
    with authorised_client(Settings(data_dir=data, _env_file=None)) as (client, _):  # type: ignore[call-arg]
        recording = client.get(f"/api/v1/recordings/{recording_id}").json()
    assert recording["status"] == "done" and recording["customer"] == "Nathalie Jansen"


def test_redaction_applies_to_an_imported_transcript(settings) -> None:
    """RIDEALONG_REDACT_PII: an import's lines keep no phone number or name of those in the
    call, as a job's would not (the speakers keep their names, as the recording its
    customer field)."""
    vtt = (
        b"WEBVTT\n\n00:01.000 --> 00:04.000\n<v Sanne Bakker>Wat is uw nummer, meneer De Groot?"
        b"</v>\n\n00:04.500 --> 00:08.000\n<v Peter de Groot>Dat is 06 12345678, bel maar.</v>\n"
    )
    with authorised_client(settings.model_copy(update={"redact_pii": True})) as (client, _):
        recording_id = _upload(client, vtt).json()["id"]
        transcript = client.get(f"/api/v1/recordings/{recording_id}/transcript").json()
    lines = " ".join(s["text"] for s in transcript["segments"])
    assert "12345678" not in lines and "[telefoonnummer]" in lines
    assert "Groot" not in lines and "[naam]" in lines


def test_a_transcript_timed_all_at_one_second_is_held_to_its_words(settings) -> None:
    """Times a file states can be made up: its words are held to the limit too (at four
    words a second), since the analysis runs while the upload waits."""
    cue = "00:00:01.000 --> 00:00:01.500\n<v Jan>Wat kost een dakkapel met twee ramen?</v>\n"
    vtt = ("WEBVTT\n\n" + "\n".join([cue] * 20)).encode()  # 140 words, "0.5 s"
    limited = settings.model_copy(update={"max_audio_hours": 0.005})  # 18 s: 72 words
    with authorised_client(limited) as (client, _):
        response = _upload(client, vtt)
        assert response.status_code == 422 and response.json()["code"] == "too_long"
        assert "140 words" in response.json()["detail"]


def test_transcripts_uploaded_together_are_not_said_to_be_transcribing(api_client, teams_vtt):
    """Imported, they are done: the form's notice sends the reader to their rows."""
    client, _ = api_client
    form = client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    other = teams_vtt.replace(b"Dit kost u niets", b"Dit kost u echt niets")
    response = client.post(
        "/upload",
        files=[
            ("file", ("een.vtt", teams_vtt, "text/vtt")),
            ("file", ("twee.vtt", other, "text/vtt")),
        ],
        data={"consent": "true", **({"csrf_token": token.group(1)} if token else {})},
    )
    notice = re.search(r'<p class="notice" role="status">(.*?)</p>', response.text, re.S)
    assert notice and "2 recordings are uploaded." in notice.group(1)
    assert "See their rows below." in notice.group(1) and "transcribed now" not in notice.group(1)
