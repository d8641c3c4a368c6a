"""The `ridealong` command as a user runs it (in a subprocess, with its own data dir)."""

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from api.settings import Settings
from samples import sample_scripts
from tests.conftest import normalise

REPO = Path(__file__).resolve().parents[2]


def ridealong(*args: str, data_dir: Path, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RIDEALONG_DATA_DIR": str(data_dir), "COLUMNS": "120", **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )


@pytest.mark.offline_cli
def test_analyze_text_json_has_the_api_shape(tmp_path: Path) -> None:
    script = next(p for p in sample_scripts() if p.stem.startswith("zonnepanelen"))
    page = tmp_path / "page.html"
    page.write_text("<h1>Zonnepanelen</h1><p>Het hoogste rendement.</p>")
    result = ridealong(
        "analyze", str(script), "--page", str(page), "--role", "customer", data_dir=tmp_path
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"terms", "questions", "suggestions"}
    assert data["questions"] and all(
        q["role"] == "customer" for g in data["questions"] for q in g["quotes"]
    )
    assert "questions" in data["suggestions"]
    assert set(data["terms"][0]) >= {
        "term",
        "count",
        "count_by_role",
        "score",
        "variants",
        "quotes",
    }
    assert "terugverdientijd" in [t["term"] for t in data["terms"][:5]]
    assert "terugverdientijd" in {m["term"] for m in data["suggestions"]["missing_terms"]}


@pytest.mark.offline_cli
def test_analyze_csv_and_html(tmp_path: Path) -> None:
    script = next(iter(sample_scripts()))
    result = ridealong("analyze", str(script), "--format", "csv", "--limit", "5", data_dir=tmp_path)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 5 and int(rows[0]["count"]) >= 1 and rows[0]["quote"]
    out = tmp_path / "report.html"
    result = ridealong(
        "analyze", str(script), "--format", "html", "-o", str(out), data_dir=tmp_path
    )
    assert result.returncode == 0, result.stderr
    html = out.read_text()
    assert '<table class="terms">' in html and "terugverdientijd" in html
    assert "<h1>What people say</h1>" in html
    dutch = ridealong(
        "analyze", str(script), "--format", "html", "--report-language", "nl", data_dir=tmp_path
    )
    assert '<html lang="nl">' in dutch.stdout and "<h1>Wat mensen zeggen</h1>" in dutch.stdout
    assert re.search(r"\d+× gezegd in 1 opname; hier", dutch.stdout)  # the terms explained in Dutch
    wrong = ridealong("analyze", str(script), "--format", "html", "--report-language", "de",
                      data_dir=tmp_path)  # fmt: skip
    assert wrong.returncode == 2 and "nl or en" in wrong.stderr


@pytest.mark.offline_cli
def test_analyze_refuses_bad_json_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    result = ridealong("analyze", str(bad), data_dir=tmp_path)
    assert result.returncode == 1 and "invalid JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_apikey_create_prints_once_and_stores_a_hash(tmp_path: Path) -> None:
    result = ridealong("apikey", "create", "cms", data_dir=tmp_path)
    key = result.stdout.strip()
    assert result.returncode == 0 and key.startswith("ra_")
    from sqlalchemy import text

    from api.db import get_database

    database = get_database(Settings(data_dir=tmp_path, _env_file=None).sqlalchemy_url)
    with database.session() as session:
        rows = [tuple(row) for row in session.execute(text("SELECT * FROM api_keys"))]
    assert len(rows) == 1 and key not in repr(rows)
    assert hashlib.sha256(key.encode()).hexdigest() in repr(rows)
    listing = ridealong("apikey", "list", data_dir=tmp_path).stdout
    assert "cms" in listing and key not in listing


@pytest.mark.offline_cli
def test_transcribe_refuses_non_audio(tmp_path: Path) -> None:
    fake = tmp_path / "fake.wav"
    fake.write_text("not audio")
    result = ridealong("transcribe", str(fake), data_dir=tmp_path)
    assert result.returncode == 1 and "not a readable audio file" in result.stderr


@pytest.mark.offline_cli
@pytest.mark.slow
def test_transcribe_jfk_to_stdout_and_files(tmp_path: Path, shared_audio: Path) -> None:
    jfk = shared_audio / "en" / "jfk.flac"
    result = ridealong("transcribe", str(jfk), "--format", "txt", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    speaker, _, text = result.stdout.partition(": ")
    assert speaker == "S1"  # one voice, no profile: its role stays unknown
    assert normalise(text) == normalise((shared_audio / "en" / "jfk.ref.txt").read_text())
    assert "100%" in result.stderr  # the progress bar
    out = tmp_path / "out"
    result = ridealong(
        "transcribe",
        str(jfk),
        str(shared_audio / "nl" / "vltts_vl09647.wav"),
        "--format",
        "srt",
        "-o",
        str(out),
        data_dir=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["jfk.srt", "vltts_vl09647.srt"]
    assert "geld" in (out / "vltts_vl09647.srt").read_text().lower()


@pytest.mark.offline_cli
@pytest.mark.slow
def test_a_batch_keeps_every_transcript_it_could_make(tmp_path: Path, shared_audio: Path) -> None:
    """One unreadable file costs only itself, and two files called the same keep both."""
    bad = tmp_path / "notes.mp3"
    bad.write_text("not audio")
    same = []
    for folder, clip in (("monday", "vltts_vl09647.wav"), ("tuesday", "vltts_vl00203.wav")):
        (tmp_path / folder).mkdir()
        same.append(tmp_path / folder / "call.wav")
        same[-1].write_bytes((shared_audio / "nl" / clip).read_bytes())
    out = tmp_path / "out"
    result = ridealong(
        "transcribe", str(same[0]), str(bad), str(same[1]), "-f", "txt", "-o", str(out),
        data_dir=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert "notes.mp3" in result.stderr and "1 of 3 files could not be transcribed" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["call-2.txt", "call.txt"]
    assert "geld" in (out / "call.txt").read_text().lower()  # monday's, named first
    assert "aardappel" in (out / "call-2.txt").read_text().lower()


@pytest.mark.offline_cli
def test_silence_says_why_its_transcript_is_empty(tmp_path: Path) -> None:
    from tests.conftest import write_audio

    quiet = write_audio(np.zeros(2 * 16_000, np.float32), tmp_path / "stil.wav", "pcm_s16le")
    result = ridealong("transcribe", str(quiet), "-f", "txt", data_dir=tmp_path)
    assert result.returncode == 0 and result.stdout == ""
    assert "stil.wav: no speech detected" in result.stderr
    # In a terminal the progress display is live: the output still goes to stdout only.
    live = ridealong("transcribe", str(quiet), "-f", "json", data_dir=tmp_path, FORCE_COLOR="1")
    assert json.loads(live.stdout)["notes"] == ["no speech detected"]
    assert '"notes"' not in live.stderr


def test_wrong_role_language_or_data_folder_are_told_plainly(tmp_path: Path) -> None:
    script = next(iter(sample_scripts()))
    text_only = ridealong("analyze", str(script), data_dir=tmp_path, RIDEALONG_ENGINE="none")
    assert text_only.returncode == 0, text_only.stderr  # a transcript needs no speech engine
    wrong_role = ridealong("analyze", str(script), "--role", "custmer", data_dir=tmp_path)
    assert wrong_role.returncode == 2 and "unknown role 'custmer'" in wrong_role.stderr
    fake = tmp_path / "a.wav"
    fake.write_text("never read: the language is checked first")
    wrong_language = ridealong("transcribe", str(fake), "--language", "xx", data_dir=tmp_path)
    assert wrong_language.returncode == 2 and "unknown language 'xx'" in wrong_language.stderr
    for source in ((str(fake),), ("--recording", "r1", "--speaker", "S1")):
        slashed = ridealong("voices", "enroll", "Jan/Piet", *source, data_dir=tmp_path)
        assert slashed.returncode == 1 and "cannot hold /" in slashed.stderr, source
        assert "Traceback" not in slashed.stderr
    for command in (("apikey", "list"), ("apikey", "revoke", "cms"), ("reanalyze",)):
        missing = ridealong(*command, data_dir=tmp_path / "nowhere", RIDEALONG_DATABASE_URL="")
        assert missing.returncode == 1 and "no ridealong data in" in missing.stderr, command
        assert "Traceback" not in missing.stderr


@pytest.mark.offline_cli
@pytest.mark.slow
def test_transcribe_corrects_non_words_unless_told_not_to(
    tmp_path: Path, shared_audio: Path
) -> None:
    """Whisper base writes a few non-words on the Flemish monologue ("aanvaartbare")."""
    audio = shared_audio / "nl_constructed" / "nl_monologue_male_flemish_16k.wav"
    words = {}
    for flag in ("--spelling", "--no-spelling"):
        result = ridealong(
            "transcribe", str(audio), "--no-diarize", flag, "--language", "nl", data_dir=tmp_path
        )
        assert result.returncode == 0, result.stderr
        words[flag] = [w for s in json.loads(result.stdout)["segments"] for w in s["words"]]
    corrected = [w for w in words["--spelling"] if "heard" in w]
    assert corrected and all(w["heard"] != w["word"] for w in corrected)
    assert not any("heard" in w for w in words["--no-spelling"])
    as_heard = [w["word"] for w in words["--no-spelling"]]
    assert all(w["heard"] in as_heard for w in corrected)


@pytest.mark.offline_cli
@pytest.mark.slow
def test_models_export_openai_writes_a_loadable_checkpoint(tmp_path: Path) -> None:
    target = tmp_path / "base.pt"
    result = ridealong("models", "export-openai", "-o", str(target), data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(target) and target.stat().st_size > 100_000_000
    listing = ridealong("models", "list", data_dir=tmp_path).stdout
    assert "whisper-base" in listing and "installed" in listing


def test_models_export_openai_replaces_no_file_nor_writes_over_a_folder(tmp_path: Path) -> None:
    """-o naming a recording by mistake must not turn it into a 145 MB checkpoint."""
    kept = tmp_path / "call.wav"
    kept.write_bytes(b"RIFF audio")
    refused = ridealong("models", "export-openai", "-o", str(kept), data_dir=tmp_path)
    assert refused.returncode == 2 and "exists" in refused.stderr and "--force" in refused.stderr
    assert kept.read_bytes() == b"RIFF audio"
    folder = ridealong("models", "export-openai", "-o", str(tmp_path), data_dir=tmp_path)
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    assert "Traceback" not in folder.stderr


@pytest.mark.slow
def test_voices_enrolled_on_the_cli_name_the_salesperson(
    tmp_path: Path, shared_audio: Path
) -> None:
    folder = shared_audio / "nl_constructed"
    enrolled = ridealong(
        "voices",
        "enroll",
        "Jan",
        str(folder / "nl_monologue_male_flemish_16k.wav"),
        "--consent",
        data_dir=tmp_path,
    )
    assert enrolled.returncode == 0, enrolled.stderr
    from api.db import get_database
    from api.voices import find_voice

    database = get_database(Settings(data_dir=tmp_path, _env_file=None).sqlalchemy_url)
    with database.session() as session:
        profile = find_voice(session, "Jan")
    assert profile is not None and (profile.consent_by or "").startswith("command line (")
    assert not (tmp_path / "voices").exists()  # in the database, not in a file
    assert ridealong("voices", "list", data_dir=tmp_path).stdout == "Jan\tsalesperson\n"
    result = ridealong(
        "transcribe",
        str(folder / "nl_dialogue_sales_constructed_16k.wav"),
        "-f",
        "txt",
        data_dir=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Jan, salesperson (S1): ")
    assert any(line.startswith("Customer (S2): ") for line in lines)
    assert ridealong("voices", "delete", "Jan", data_dir=tmp_path).returncode == 0
    missing = ridealong("voices", "delete", "Jan", data_dir=tmp_path)
    assert missing.returncode == 1 and "no voice called 'Jan'" in missing.stderr
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    bad = ridealong("voices", "enroll", "Piet", str(text), data_dir=tmp_path)
    assert bad.returncode == 1 and "error" in bad.stderr


def test_speaker_options_are_checked(tmp_path: Path, shared_audio: Path) -> None:
    jfk = str(shared_audio / "en" / "jfk.flac")
    result = ridealong(
        "transcribe", jfk, "--min-speakers", "3", "--max-speakers", "2", data_dir=tmp_path
    )
    assert (
        result.returncode == 2 and "--min-speakers 3 is more than --max-speakers 2" in result.stderr
    )


def test_reanalyze_recounts_terms_from_stored_transcripts(tmp_path: Path) -> None:
    from sqlalchemy import select

    from api.db import Recording, get_database
    from api.demo import prepare_demo
    from api.settings import Settings

    settings = Settings(data_dir=tmp_path, _env_file=None)
    prepare_demo(settings)
    database = get_database(settings.sqlalchemy_url)
    with database.session.begin() as session:  # as stored by an older version
        for recording in session.scalars(select(Recording)):
            recording.terms_json = json.dumps({**json.loads(recording.terms_json), "questions": []})
    result = ridealong("reanalyze", data_dir=tmp_path)
    assert result.returncode == 0 and "reanalysed 2 recording(s)" in result.stderr
    with database.session() as session:
        stored = [json.loads(r.terms_json) for r in session.scalars(select(Recording))]
    assert all(doc["questions"] for doc in stored)
    missing = ridealong("reanalyze", "--recording", "nope", data_dir=tmp_path)
    assert missing.returncode == 1 and "no recording" in missing.stderr


@pytest.mark.parametrize(
    ("flag", "setting", "worker_started"),
    [((), "1", True), ((), "0", False), (("--worker",), "0", True), (("--no-worker",), "1", False)],
)
def test_serve_runs_its_worker_as_the_setting_or_flag_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: tuple[str, ...], setting: str,
    worker_started: bool,
) -> None:  # fmt: skip
    import uvicorn
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from api import cli, jobs
    from api.settings import get_settings

    started: list[bool] = []
    monkeypatch.setattr(jobs.JobQueue, "start_worker", lambda _queue: started.append(True))

    def run(app: object, **_options: object) -> None:
        with TestClient(app):  # type: ignore[arg-type]
            pass  # the app's start-up and shutdown, as uvicorn runs them

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv("RIDEALONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RIDEALONG_EMBEDDED_WORKER", setting)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["serve", *flag])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert bool(started) is worker_started


def _two_sided_transcript():
    from transcribe.types import Segment, Speaker, Transcript

    return Transcript(
        language="nl",
        duration_s=12.0,
        model="m",
        segments=(
            Segment(0.0, 3.0, "Goedemorgen, ik kom voor de warmtepomp.", "S1", "salesperson"),
            Segment(3.0, 6.0, "Wat kost een warmtepomp met installatie?", "S2", "customer"),
            Segment(
                6.0,
                9.0,
                "En hoe lang is de terugverdientijd van een warmtepomp als we ook zonnepanelen "
                "op het platte dak leggen?",
                "S2",
                "customer",
            ),
            Segment(9.0, 12.0, "Ongeveer acht jaar.", "S1", "salesperson"),
        ),
        speakers=(Speaker("S1", "salesperson", "Jan Smit"), Speaker("S2", "customer")),
    )


@pytest.mark.offline_cli
@pytest.mark.parametrize("fmt", ["txt", "srt", "vtt"])
def test_analyze_reads_its_own_text_transcripts_with_their_roles(tmp_path: Path, fmt) -> None:
    """`transcribe -f txt|srt|vtt` then `analyze`: the labels are roles, not the top terms."""
    from transcribe.formats import render

    path = tmp_path / f"call.{fmt}"
    path.write_text(render(_two_sided_transcript(), fmt, {"customer": "klant"}), encoding="utf-8")
    result = ridealong("analyze", str(path), data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    terms = {t["term"]: t for t in json.loads(result.stdout)["terms"]}
    said = terms["terugverdientijd"]["count_by_role"]
    assert said["customer"] == 1 and said["unknown"] == 0
    # The long question spans two subtitle cues; both keep the customer's role.
    assert terms["dak"]["count_by_role"]["customer"] == 1
    # The named salesperson's lines keep their role too ("Jan Smit, salesperson").
    assert terms["warmtepomp"]["count_by_role"]["salesperson"] == 1
    assert all(t["count_by_role"]["unknown"] == 0 for t in terms.values())
    assert not {"customer", "klant", "salesperson", "smit", "jan"} & set(terms)


@pytest.mark.offline_cli
def test_outputs_and_inputs_that_cannot_work_are_refused_before_the_work(tmp_path: Path) -> None:
    script = next(iter(sample_scripts()))
    folder = tmp_path / "out"
    folder.mkdir()
    into_folder = ridealong("analyze", str(script), "-o", str(folder), data_dir=tmp_path)
    assert into_folder.returncode == 2 and "is a folder" in into_folder.stderr
    odd = tmp_path / "a[/x].json"  # a name rich would read as markup
    written = ridealong("analyze", str(script), "-o", str(odd), data_dir=tmp_path)
    assert written.returncode == 0 and odd.exists() and "Traceback" not in written.stderr
    nested = tmp_path / "new" / "deeper" / "terms.json"
    made = ridealong("analyze", str(script), "-o", str(nested), data_dir=tmp_path)
    assert made.returncode == 0 and json.loads(nested.read_text())["terms"]
    document = tmp_path / "notes.docx"
    document.write_bytes(b"PK\x03\x04 not audio")
    refused = ridealong("analyze", str(document), data_dir=tmp_path)
    assert refused.returncode == 2 and "notes.docx is a document" in refused.stderr
    fake = tmp_path / "a.wav"
    fake.write_text("never read: the output is checked first")
    existing = tmp_path / "taken.txt"
    existing.write_text("keep me")
    for args, says in (
        (("-o", str(existing), "-f", "json"), "is a file"),
        (("-o", str(tmp_path / "call.txt")), "add -f txt"),
        (("-o", str(tmp_path / "call.json"), str(fake)), "need a folder"),
        (("--role-language", "de"), "nl or en"),
    ):
        result = ridealong("transcribe", str(fake), *args, data_dir=tmp_path)
        assert result.returncode == 2 and says in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert existing.read_text() == "keep me" and not (tmp_path / "call.txt").exists()
    binary = tmp_path / "glossary.txt"
    binary.write_bytes(b"ID3\x00\x00\x00 an mp3 by mistake")
    glossary = ridealong("transcribe", str(fake), "--glossary", str(binary), data_dir=tmp_path)
    assert glossary.returncode == 2 and "glossary.txt: not a text file" in glossary.stderr


def test_glossaries_and_pages_saved_by_windows_programs_are_read() -> None:
    from transcribe.glossary import decode_text

    words = "Zonnig Dak, thuisbatterij\ncafé"
    for data in (
        words.encode("utf-8"),
        words.encode("utf-8-sig"),
        words.encode("utf-16"),  # Notepad's "Unicode", with its byte-order mark
        words.encode("cp1252"),  # Excel's "CSV" on a Dutch Windows
    ):
        assert decode_text(data, "g.txt") == words, data[:4]
    with pytest.raises(ValueError, match="not a text file"):
        decode_text(b"\x00\x01binary", "g.txt")


def test_diarize_flag_overrides_the_setting_both_ways() -> None:
    from api.cli import _speaker_choice

    off = Settings(speakers=False, _env_file=None)
    on = Settings(speakers=True, _env_file=None)
    assert _speaker_choice(off, None, None, 1, None)["speakers"] is False
    assert _speaker_choice(off, True, None, 1, None)["speakers"] is True
    assert _speaker_choice(on, False, None, 1, None)["speakers"] is False


def test_a_key_name_is_given_once_so_revoking_by_name_revokes_one(tmp_path: Path) -> None:
    assert ridealong("apikey", "create", "cms", data_dir=tmp_path).returncode == 0
    again = ridealong("apikey", "create", "cms", "--scope", "read", data_dir=tmp_path)
    assert again.returncode == 2 and "a key named 'cms' exists" in again.stderr
    assert ridealong("apikey", "create", "  ", data_dir=tmp_path).returncode == 2
    assert ridealong("apikey", "create", "x", "--scope", "root", data_dir=tmp_path).returncode == 2
    long_name = "n" * 120  # stored as its first 100 characters
    assert ridealong("apikey", "create", long_name, data_dir=tmp_path).returncode == 0
    assert ridealong("apikey", "create", long_name, data_dir=tmp_path).returncode == 2
    assert ridealong("apikey", "revoke", "cms", data_dir=tmp_path).returncode == 0
    assert ridealong("apikey", "create", "cms", data_dir=tmp_path).returncode == 0  # name free


def test_version_and_short_help(tmp_path: Path) -> None:
    from importlib.metadata import version

    shown = ridealong("--version", data_dir=tmp_path)
    assert shown.returncode == 0 and shown.stdout == f"ridealong {version('ridealong')}\n"
    for args in (("-h",), ("transcribe", "-h"), ("voices", "-h")):
        helped = ridealong(*args, data_dir=tmp_path)
        assert helped.returncode == 0 and "Usage: " in helped.stdout, args


def test_text_transcripts_can_name_the_roles_in_dutch() -> None:
    from api.cli import _role_names
    from transcribe.formats import render

    dutch = _role_names("nl")
    assert dutch is not None and dutch["customer"] == "klant"
    assert _role_names("en") is None
    text = render(_two_sided_transcript(), "txt", dutch)
    assert "Jan Smit, verkoper (S1): " in text and "Klant (S2): " in text


@pytest.mark.offline_cli
def test_inputs_of_one_name_stay_two_recordings_and_empty_ones_are_noted(tmp_path) -> None:
    script = next(iter(sample_scripts()))
    for day in ("ma", "di"):
        (tmp_path / day).mkdir()
        (tmp_path / day / "call.txt").write_text(script.read_text(encoding="utf-8"))
    (tmp_path / "leeg.txt").write_text("\n")
    paths = [str(tmp_path / "ma" / "call.txt"), str(tmp_path / "di" / "call.txt")]
    result = ridealong("analyze", *paths, str(tmp_path / "leeg.txt"), data_dir=tmp_path)
    assert result.returncode == 0 and "leeg.txt holds no words" in result.stderr
    term = json.loads(result.stdout)["terms"][0]
    assert term["recordings"] == 2
    assert {q["recording_id"] for q in term["quotes"]} == {"call", "call-2"}


@pytest.mark.parametrize("demo", [False, True])
def test_serve_keeps_the_admin_token_out_of_a_services_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo: bool
) -> None:
    """Not at a terminal (a service, its log file), the sign-in line says where the token
    is instead of printing it; a demo prints the link (`make run`)."""
    import uvicorn
    from typer.testing import CliRunner

    from api import cli
    from api.settings import get_settings

    monkeypatch.setattr(uvicorn, "run", lambda _app, **_options: None)
    monkeypatch.setenv("RIDEALONG_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["serve", "--no-worker", *(["--demo"] * demo)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    token = (tmp_path / "data" / "web_token").read_text().strip()
    assert (token in result.output) is demo
    if not demo:
        assert f"with the token in {(tmp_path / 'data' / 'web_token').resolve()}" in result.output


def test_upload_adds_recordings_as_the_form_does(tmp_path: Path) -> None:
    """Consent required; one bad file costs only itself; the ids on stdout; the service's
    API then lists them with their details and the consent recorded."""
    from tests.conftest import authorised_client, tone, write_audio

    data = tmp_path / "data"
    clip = write_audio(tone(1.0, freq=620.0), tmp_path / "bezoek.wav", "pcm_s16le")
    notes = tmp_path / "notities.wav"
    notes.write_text("no audio here")
    refused = ridealong("upload", str(clip), data_dir=data)
    assert refused.returncode == 2 and "--consent is required" in refused.stderr
    future = ridealong("upload", str(clip), "--consent", "--date", "2999-01-01", data_dir=data)
    assert future.returncode == 2 and "2999-01-01 is in the future" in future.stderr
    assert "Traceback" not in future.stderr
    args = ["upload", str(clip), str(notes), "--consent", "--title", "Bezoek", "--customer",
            "Bakkerij Jansen", "--date", "2026-11-30", "--tag", "Zakelijk"]  # fmt: skip
    result = ridealong(*args, data_dir=data)
    assert result.returncode == 1, result.stderr  # one file refused
    assert "notities.wav" in result.stderr and "not an audio file" in result.stderr
    [recording_id] = result.stdout.split()
    again = ridealong("upload", str(clip), "--consent", data_dir=data)
    assert again.returncode == 0 and f"uploaded before as recording {recording_id}" in again.stderr
    assert again.stdout.split() == [recording_id]  # scripts get the recording it already is
    with authorised_client(Settings(data_dir=data, _env_file=None)) as (client, _):  # type: ignore[call-arg]
        [listed] = client.get("/api/v1/recordings").json()["recordings"]
    assert listed["id"] == recording_id and listed["status"] == "queued"
    assert listed["title"] == "Bezoek – bezoek" and listed["customer"] == "Bakkerij Jansen"
    assert listed["recorded_at"] == "2026-11-30" and listed["tags"] == ["zakelijk"]
    assert listed["consent"] and listed["consent_by"].startswith("command line")
    big = write_audio(tone(70.0, freq=330.0), tmp_path / "lang.wav", "pcm_s16le")  # 2.2 MB
    other = write_audio(tone(1.0, freq=440.0), tmp_path / "kort.wav", "pcm_s16le")
    limited = ridealong(
        "upload", str(big), str(other), "--consent", data_dir=data, RIDEALONG_MAX_UPLOAD_MB="1"
    )  # fmt: skip
    assert limited.returncode == 1 and "lang.wav: the file is larger than" in limited.stderr
    assert len(limited.stdout.split()) == 1 and "Traceback" not in limited.stderr


@pytest.mark.slow
def test_upload_now_transcribes_before_returning(tmp_path: Path, shared_audio: Path) -> None:
    data = tmp_path / "data"
    jfk = shared_audio / "en" / "jfk.flac"
    result = ridealong("upload", str(jfk), "--consent", "--now", "--language", "en", data_dir=data)
    assert result.returncode == 0, result.stderr
    assert "jfk.flac: done" in result.stderr
    from tests.conftest import authorised_client

    with authorised_client(Settings(data_dir=data, _env_file=None)) as (client, _):  # type: ignore[call-arg]
        recording_id = result.stdout.strip()
        text = client.get(f"/api/v1/recordings/{recording_id}/transcript?format=txt").text
        assert "ask not what your country can do for you" in normalise(text)
        assert "americans" in {t["lemma"] for t in client.get("/api/v1/terms").json()["terms"]}


def test_transcribe_redacts_when_the_setting_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RIDEALONG_REDACT_PII holds for the command line too (its output is stored somewhere)."""
    from typer.testing import CliRunner

    import transcribe as transcribe_package
    from api import cli
    from api.settings import get_settings
    from tests.conftest import tone, write_audio
    from transcribe.types import Segment, Transcript

    said = "Mail de offerte naar petra.bakker@example.nl alstublieft."
    monkeypatch.setattr(transcribe_package, "load_model", lambda _options: None)
    monkeypatch.setattr(
        transcribe_package,
        "transcribe",
        lambda *_a, **_k: Transcript("nl", 2.0, "m", (Segment(0.0, 2.0, said),)),
    )
    clip = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le")
    monkeypatch.setenv("RIDEALONG_DATA_DIR", str(tmp_path / "data"))
    for redact, expected in (("0", "petra.bakker@example.nl"), ("1", "[e-mail]")):
        monkeypatch.setenv("RIDEALONG_REDACT_PII", redact)
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli.app, ["transcribe", str(clip), "-f", "txt"])
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 0, result.output
        assert expected in result.stdout


@pytest.mark.offline_cli
def test_analyze_leaves_out_the_names_a_transcript_gives_its_speakers(tmp_path: Path) -> None:
    from transcribe.types import Segment, Speaker, Transcript

    said = [
        ("S1", "salesperson", "Goedemiddag, ik ben Marco Jansen van Warmtewijs."),
        ("S2", "customer", "Dag Marco. Wat kost een warmtepomp bij Warmtewijs?"),
        (
            "S1",
            "salesperson",
            "Marco Jansen hier nog eens: een warmtepomp kost minder dan je denkt.",
        ),
        ("S2", "customer", "Marco, is een hybride warmtepomp ook mogelijk?"),
    ]
    lines = tuple(
        Segment(4.0 * i, 4.0 * i + 4.0, text, speaker, role)  # type: ignore[arg-type]
        for i, (speaker, role, text) in enumerate(said)
    )
    people = (Speaker("S1", "salesperson", "Marco Jansen"), Speaker("S2", "customer"))
    path = tmp_path / "gesprek.json"
    path.write_text(json.dumps(Transcript("nl", 16.0, "t", lines, people).to_dict()))

    result = ridealong("analyze", str(path), "--limit", "100", data_dir=tmp_path)

    assert result.returncode == 0, result.stderr
    terms = {t["lemma"] for t in json.loads(result.stdout)["terms"]}
    assert "warmtepomp" in terms
    assert not [t for t in terms if "marco" in t or "jansen" in t], terms


def test_a_bad_setting_or_a_missing_folder_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """Every command reads the settings first: a typo in one is said by its name."""
    bad = ridealong("apikey", "list", data_dir=tmp_path, RIDEALONG_MAX_UPLOAD_MB="abc")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "RIDEALONG_MAX_UPLOAD_MB" in bad.stderr and "'abc'" in bad.stderr
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    script = next(p for p in sample_scripts() if p.stem.startswith("zonnepanelen"))
    under_a_file = ridealong(
        "transcribe", str(script), str(script), "-o", str(a_file / "out"), data_dir=tmp_path
    )
    assert under_a_file.returncode == 2 and "cannot make the folder" in under_a_file.stderr
    port = ridealong("serve", "--port", "99999", data_dir=tmp_path)
    assert port.returncode == 2 and "--port" in port.stderr
    days = ridealong("retention", "--days", "99999999", data_dir=tmp_path)
    assert days.returncode == 2 and "Traceback" not in days.stderr
