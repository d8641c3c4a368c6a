"""The web pages in Dutch: chosen by the browser, a setting or the page's switch, and a
catalogue that holds every text the pages show."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from api.app import create_app
from api.demo import prepare_demo
from api.i18n import LOCALE_DIR, choose_language

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = r"%\(\w+\)[-+ #0]*\d*(?:\.\d+)?[a-z]"  # %(n)s, %(id)r, %(hours).1f
DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7"}


@pytest.mark.parametrize(
    ("setting", "cookie", "accept", "chosen"),
    [
        ("auto", None, "nl-NL,nl;q=0.9,en;q=0.8", "nl"),
        ("auto", None, "en-GB,en;q=0.9,nl;q=0.8", "en"),
        ("auto", None, "de-DE,de;q=0.9,nl;q=0.5", "nl"),  # the first language the pages have
        ("auto", None, "en;q=0.4, nl-BE", "nl"),  # by quality, not by place
        ("auto", None, "nl;q=0, fr", "en"),  # q=0: not wanted
        ("auto", None, "nl;q=abc", "en"),
        ("auto", None, None, "en"),
        ("nl", None, "en-US", "nl"),  # the server's setting beats the browser
        ("nl", "en", "nl", "en"),  # a person's own choice beats both
        ("auto", "fr", "nl", "nl"),  # a cookie for a language the pages lack is ignored
    ],
)
def test_the_page_language_is_chosen_by_person_then_setting_then_browser(
    setting: str, cookie: str | None, accept: str | None, chosen: str
) -> None:
    assert choose_language(setting, cookie, accept) == chosen


def test_every_text_the_pages_show_has_its_dutch() -> None:
    """Extracted as `make messages` does: a new text in a template or a notice fails here
    until the Dutch catalogue has it, with the same placeholders."""
    with (ROOT / "babel.cfg").open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    shown: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        shown.add(message if isinstance(message, str) else tuple(message))
    assert "Upload and transcribe" in shown and "Report" in shown  # the extraction works
    with (LOCALE_DIR / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in read_po(po)}
    untranslated = []
    for text in sorted(shown, key=str):
        message = catalogue.get(text)
        translations = (
            []
            if message is None
            else list(message.string)
            if message.pluralizable
            else [message.string]
        )
        if not translations or not all(translations) or message is None or message.fuzzy:
            untranslated.append(text)
            continue
        # Dutch has English's two forms: one, and the rest; each answers its English form.
        english = [text] if isinstance(text, str) else list(text)
        for form, translation in enumerate(translations):
            source = english[min(form, len(english) - 1)]
            wanted = set(re.findall(PLACEHOLDER, source))
            assert set(re.findall(PLACEHOLDER, translation)) == wanted, (text, translation)
            # Translations go into the pages unescaped (titles and labels too): the same
            # markup as the English, and no quote that would end an attribute.
            tags = sorted(re.findall(r"</?\w+>", source))
            assert sorted(re.findall(r"</?\w+>", translation)) == tags, (text, translation)
            assert '"' not in translation, translation
    assert untranslated == [], "run `make messages` and translate these"


def _client(settings, **changes) -> TestClient:
    configured = settings.model_copy(update=changes)
    prepare_demo(configured)
    return TestClient(create_app(configured, start_worker=False))


def test_a_dutch_browser_reads_every_page_in_dutch(settings, api_client) -> None:
    with _client(settings) as client:
        client.headers.update(DUTCH)
        response = client.get("/")
        assert response.headers["vary"] == "Accept-Language, Cookie"  # for shared caches
        home = response.text
        assert '<html lang="nl">' in home and "<h1>Gesprek uploaden</h1>" in home
        assert "Uploaden en transcriberen" in home and "Upload and transcribe" not in home
        assert ">klaar</span>" in home  # the status badges too
        assert '<td class="language" title="nl">Nederlands</td>' in home
        assert 'data-busy-many="%(n)s bestanden uploaden…"' in home  # and the script's texts
        recording_id = re.search(r'href="/recordings/([0-9a-f]{32})"', home).group(1)
        page = client.get(f"/recordings/{recording_id}").text
        assert "<h2>Sprekers</h2>" in page and ">verkoper</span>" in page
        line = client.get(f"/recordings/{recording_id}/lines/0").text
        assert "<h1>Een regel verbeteren</h1>" in line and "Regel opslaan" in line
        report = client.get("/report", params={"role": "customer"}).text
        assert "<h1>Wat mensen zeggen</h1>" in report and "Vragen die klanten stellen" in report
        why = re.search(r'<div class="why"[^>]*>\s*([^<]+?)\s*</div>', report).group(1)
        assert re.fullmatch(r"\d+× gezegd door klanten in (1 opname|\d+ opnamen); .+", why), why
        assert re.search(r"hier (meer dan )?[\d.]+× zo vaak als in alledaags Nederlands", report)
        assert ">Klanten</a>" in report and ">Verkopers</a>" in report  # the report's tabs
        assert "over offerte<" in report and "stuur" not in report  # questions' topics: nouns
        assert re.search(r'</strong>\s*<a class="seek" href="/recordings/\w+#t=', report)
        suggested = client.post("/suggest", data={"page_copy": "Wij leggen zonnepanelen."}).text
        assert "Woorden van klanten die de pagina mist" in suggested
        assert "/language?to=en&amp;next=/suggest" in suggested  # back to the form, not a POST
        assert "; de pagina gebruikt het nergens" in suggested
        assert "Nog geen stemprofielen." in client.get("/voices").text
        # The service's refusals too, their values put into the Dutch sentence.
        missing = client.get("/recordings/nope")
        assert missing.status_code == 404
        assert "Deze opname bestaat niet (meer) (nope)." in missing.text
        tags = ", ".join(f"tag{i}" for i in range(30))
        refused = client.post(f"/recordings/{recording_id}/tags", data={"tags": tags})
        assert "Hoogstens 20 tags per opname" in refused.text
    program, _ = api_client  # the API stays English: programs read it
    terms = program.get("/api/v1/terms", params={"role": "customer"}, headers=DUTCH).json()
    assert terms["terms"][0]["why"].startswith("said ")


def test_the_language_switch_is_remembered_and_stays_on_this_site(settings) -> None:
    with _client(settings) as client:
        client.headers.update(DUTCH)
        assert "Gesprek uploaden" in client.get("/").text
        switch = re.search(r'href="(/language\?to=en[^"]*)"', client.get("/report?tag=x").text)
        assert switch is not None
        moved = client.get(switch.group(1).replace("&amp;", "&"), follow_redirects=False)
        assert moved.status_code == 303 and moved.headers["location"] == "/report?tag=x"
        assert "HttpOnly" in moved.headers["set-cookie"]
        assert "Upload a conversation" in client.get("/").text  # despite the Dutch browser
        for elsewhere in (
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a\r\nX: y",
        ):
            away = client.get("/language", params={"to": "nl", "next": elsewhere},
                              follow_redirects=False)  # fmt: skip
            assert away.headers["location"] == "/", elsewhere
        assert "Gesprek uploaden" in client.get("/").text


def test_the_setting_picks_dutch_and_sign_in_has_the_switch(settings) -> None:
    with _client(settings, ui_language="nl", web_token="s3cret-token") as client:
        login = client.get("/login")
        assert "<h1>Inloggen</h1>" in login.text
        assert 'href="/report"' not in login.text  # no menu that only leads back here
        wrong = client.post("/login", data={"token": "guess", "next": "/"})
        assert "Dit token klopt niet." in wrong.text
        switched = client.get("/language?to=en&next=/login", follow_redirects=False)
        assert switched.status_code == 303  # open before signing in
        assert "<h1>Sign in</h1>" in client.get("/login").text


def test_a_dutch_reader_downloads_spreadsheets_and_briefs_in_dutch(settings) -> None:
    """What the pages offer people (XLSX, Markdown) follows the page's language; the CSV,
    for scripts, keeps the API's English columns."""
    import html
    import io

    import openpyxl

    with _client(settings) as client:
        client.headers.update(DUTCH)
        report = client.get("/report/export.xlsx", params={"role": "customer"})
        assert report.headers["vary"] == "Accept-Language, Cookie"
        book = openpyxl.load_workbook(io.BytesIO(report.content))
        assert book.sheetnames == ["Termen", "Vragen"]  # the week's words and questions
        asked = [row[0] for row in book["Vragen"].iter_rows(min_row=2, values_only=True)]
        shown = html.unescape(client.get("/report").text)
        assert asked and all(q in shown for q in asked[:5])  # the report's questions
        sheet = book["Termen"]
        header = [cell.value for cell in next(sheet.iter_rows())]
        assert header[:4] == ["term", "lemma", "aantal", "klant"]
        assert header[-2:] == [
            "titel van de opname van het citaat",
            "datum van de opname van het citaat",
        ]
        today = date.today().isoformat()  # a weekly download does not pile up as "terms (3)"
        # named after its tab, so the tabs' downloads of one week stay apart
        assert f'filename="termen-klanten-{today}.xlsx"' in report.headers["content-disposition"]
        everyone = client.get("/report/export.xlsx").headers["content-disposition"]
        assert f'filename="termen-{today}.xlsx"' in everyone
        csv = client.get("/report/export.csv", params={"role": "customer"}).text
        assert csv.startswith("term,lemma,count,customer,")
        page = {"page_copy": "Wij leggen zonnepanelen."}
        brief = client.post("/suggest", data={**page, "export": "markdown"}).text
        assert brief.startswith("# De taal van klanten op deze pagina\n")
        # what the brief rests on, for whoever reads it a week later
        assert "Vergeleken met 2 gesprekken, van 2 nov 2026 tot en met 2 nov 2026" in brief
        assert "; de pagina gebruikt het nergens" in brief
        book = client.post("/suggest", data={**page, "export": "xlsx"})
        assert f"paginasuggesties-{today}.xlsx" in book.headers["content-disposition"]
        names = openpyxl.load_workbook(io.BytesIO(book.content)).sheetnames
        assert names == ["Ontbrekende termen", "Staat al op de pagina", "Open vragen",
                         "Woorden van klanten", "Vaktaal"]  # fmt: skip


def test_why_audio_was_refused_or_failed_is_said_in_dutch(settings, tmp_path) -> None:
    """The decoder's reasons reach a Dutch page in Dutch: in an upload's refusal, and in a
    job that failed later (kept as message and values, so the page can translate it). The
    API keeps the English."""
    import html

    from api.db import Recording, get_database
    from api.jobs import process_recording
    from api.storage import blob_store
    from tests.conftest import tone, write_audio

    unreadable = "het is in geen van de formaten die ridealong leest (wav, mp3, m4a"
    with _client(settings) as client:
        client.headers.update(DUTCH)
        form = {"consent": "true"}
        refused = client.post(
            "/upload",
            files={"file": ("notities.mp3", b"geen audio " * 50, "audio/mpeg")},
            data=form,
        )
        said = html.unescape(refused.text)
        assert f"notities.mp3 is geen audiobestand dat we kunnen lezen: {unreadable}" in said
        assert "none of the formats" not in said

        audio = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
        client.post("/upload", files={"file": ("a.wav", audio, "audio/wav")}, data=form)
        database = get_database(settings.sqlalchemy_url)
        with database.session() as session:
            recording = session.query(Recording).filter_by(title="a").one()
            recording_id, blob_key = recording.id, str(recording.blob_key)
        # The stored audio is damaged after it was accepted: the job fails when it decodes.
        blob_store(settings).path(blob_key).write_bytes(b"geen audio meer " * 50)
        process_recording(settings, database, recording_id)

        page = html.unescape(client.get(f"/recordings/{recording_id}").text)
        assert f"Geen leesbaar audiobestand: {unreadable}" in page
        assert "(geüpload als “a.wav”)" in page  # which file to look for and upload again
        assert 'id="player"' not in page  # no empty player "0:00 / 0:00"
        with database.session.begin() as session:  # a failure after decoding: audio to hear
            failed = session.get(Recording, recording_id)
            why, failed.error = failed.error, "gave up after 3 attempts"
        assert 'id="player"' in client.get(f"/recordings/{recording_id}").text
        with database.session.begin() as session:
            session.get(Recording, recording_id).error = why
        assert 'title="het uploadformulier, vanaf testclient"' in page  # who confirmed consent
        assert f"Geen leesbaar audiobestand: {unreadable}" in html.unescape(client.get("/").text)
        live = client.get("/status.json", params={"id": recording_id}).json()
        assert live[0]["error"].startswith(f"Geen leesbaar audiobestand: {unreadable}")
        english = client.get("/status.json", params={"id": recording_id},
                             headers={"Accept-Language": "en"}).json()  # fmt: skip
        assert english[0]["error"].startswith("Not a readable audio file: it is in none of")
    with database.session() as session:  # what the API reports stays English
        assert str(session.get(Recording, recording_id).error).startswith(
            "not a readable audio file: it is in none of the formats"
        )


def test_a_failed_job_without_a_readable_stored_text_shows_its_english() -> None:
    from api.i18n import failed_because

    assert failed_because("gave up after 3 attempts", None, "nl") == "gave up after 3 attempts"
    for damaged in ('{"values": {}}', '"x"', "null", "[]", '{"message": "m", "values": 3}', "{"):
        assert failed_because("boom", damaged, "nl") == "boom", damaged  # the English stays
    stored = '{"message": "gave up after %(attempts)d attempts", "values": {"attempts": 3}}'
    assert failed_because("gave up after 3 attempts", stored, "nl") == "Opgegeven na 3 pogingen."


def test_dates_months_and_a_thin_last_month_read_the_dutch_way(settings) -> None:
    from datetime import timedelta

    from babel.dates import format_date

    from api.db import Recording, get_database, utcnow

    with _client(settings) as client:
        client.headers.update(DUTCH)
        home = client.get("/").text
        assert '<time datetime="2026-11-02">2 nov 2026</time>' in home  # not 2026-11-02
        # The list runs newest upload first: a conversation recorded earlier says when it came
        uploaded = utcnow().date()
        assert (
            f'<span class="uploaded">geüpload {format_date(uploaded, "medium", locale="nl")}'
            in home
        )
        with get_database(settings.sqlalchemy_url).session.begin() as session:
            longest = max(session.query(Recording).all(), key=lambda r: r.duration_s or 0)
            longest.recorded_at = longest.recorded_at.replace(month=10)  # a month earlier
            page = f"/recordings/{longest.id}"
        assert '<time datetime="2026-10-02">2 okt 2026</time>' in client.get(page).text
        trend = client.get("/report").text
        section = trend[trend.index('id="trend"') : trend.index('id="sides"')]
        # The shorter conversation alone in November, a month that is over: drawn, with a
        # caution that its numbers rest on little speech.
        assert "(okt 2026 tot en met nov 2026;" in section, section
        assert "<th>okt 2026</th><th>nov 2026</th>" in section
        assert "per 1.000 inhoudswoorden in nov 2026" in section and "‰" not in section
        assert 'class="caution">Nov 2026 telt maar' in section
        # The same in the month still going: it is left out of the lines until it holds
        # more, so that a month just begun does not look like every topic collapsing.
        this_month = utcnow().date().replace(day=1)
        before = (this_month - timedelta(days=1)).replace(day=2)
        with get_database(settings.sqlalchemy_url).session.begin() as session:
            for recording in session.query(Recording).all():
                is_longest = recording.id == longest.id
                recording.recorded_at = before if is_longest else this_month
        trend = client.get("/report").text
        section = trend[trend.index('id="trend"') : trend.index('id="sides"')]
        assert "Een verloop verschijnt zodra twee maanden genoeg spraak hebben" in section
        assert "<polyline" not in section
        with get_database(settings.sqlalchemy_url).session.begin() as session:
            two_before = (before.replace(day=1) - timedelta(days=1)).replace(day=2)
            session.get(Recording, longest.id).recorded_at = two_before
        trend = client.get("/report").text
        section = trend[trend.index('id="trend"') : trend.index('id="sides"')]
        assert section.count("<polyline") >= 1 and "telt tot nu toe maar" in section


@pytest.mark.parametrize(
    ("words", "thin"),
    [((900, 300), True), ((900, 500), False), ((900, 0, 300), True), ((0, 100), False),
     ((400, 1200, 900, 500), False), ((300,), False)],
)  # fmt: skip
def test_a_last_month_is_thin_under_half_of_a_usual_month(words, thin) -> None:
    from api.routes_web import _thin_last_month

    assert _thin_last_month(words) is thin


def test_a_wrong_address_gives_people_a_page_and_programs_json(settings) -> None:
    with _client(settings) as client:
        page = client.get("/nietbestaand", headers={**DUTCH, "Accept": "text/html"})
        assert page.status_code == 404 and "Op dit adres staat geen pagina." in page.text
        assert 'href="/"' in page.text  # the way back
        not_found = {"detail": "Not Found", "code": "not_found"}
        assert client.get("/nietbestaand").json() == not_found
        api = client.get("/api/v1/nope", headers={"Accept": "text/html"})
        assert api.status_code == 404 and api.json() == not_found


def test_the_list_flags_a_finished_recording_without_speech(settings, tmp_path) -> None:
    """ "done" alone hides that nothing was said (silence, a damaged file)."""
    import numpy as np

    from api.auth import create_api_key
    from api.db import Recording, get_database
    from api.jobs import process_recording
    from tests.conftest import write_audio

    with _client(settings) as client:
        client.headers.update(DUTCH)
        silence = write_audio(np.zeros(32_000, np.float32), tmp_path / "stil.wav", "pcm_s16le")
        client.post("/upload", files={"file": ("stil.wav", silence.read_bytes(), "audio/wav")},
                    data={"consent": "true"})  # fmt: skip
        database = get_database(settings.sqlalchemy_url)
        with database.session() as session:
            recording_id = session.query(Recording).filter_by(title="stil").one().id
        process_recording(settings, database, recording_id)
        home = client.get("/").text
        row = home[home.index(f'data-id="{recording_id}"') :].split("</tr>")[0]
        assert 'class="badge status-no-speech"' in row and ">geen spraak</span>" in row
        assert '<span class="note">er is niets in gezegd</span>' in row and ">klaar<" not in row
        demo_rows = [r for r in home.split("<tr")[1:] if "data-id=" in r and recording_id not in r]
        assert demo_rows and all('<span class="note"></span>' in r for r in demo_rows)  # they speak
        live = client.get("/status.json").json()
        assert {item["id"]: item["note"] for item in live}[recording_id] == "geen spraak gevonden"
        page = client.get(f"/recordings/{recording_id}").text
        assert '<p class="note">Geen spraak gevonden.</p>' in page  # a sentence on its page
        assert "transcript.srt" not in page  # and no empty subtitles to download
        with database.session() as session:  # the API says it too, for a CMS
            key = create_api_key(session, "cms", scope="read")
        api = {"Authorization": f"Bearer {key}"}
        listed = client.get("/api/v1/recordings", headers=api).json()["recordings"]
        assert {r["id"]: r["no_speech"] for r in listed}[recording_id] is True
        assert sum(r["no_speech"] for r in listed) == 1  # the demo's calls speak
        one = client.get(f"/api/v1/recordings/{recording_id}", headers=api).json()
        assert one["status"] == "done" and one["no_speech"] is True


def test_an_english_page_against_dutch_calls_is_pointed_out(settings) -> None:
    with _client(settings) as client:
        client.headers.update(DUTCH)
        english = "We install solar panels on your roof and take care of the paperwork for you."
        page = client.post("/suggest", data={"page_copy": english}).text
        assert 'class="caution">Deze pagina is in het Engels' in page
        assert "gesprekken vooral in het Nederlands" in page
        dutch = client.post("/suggest", data={"page_copy": "Wij leggen zonnepanelen op uw dak."})
        assert 'class="caution"' not in dutch.text


@pytest.mark.parametrize(
    ("words", "months", "since", "cut"),
    [((100, 900, 800), ("2026-10", "2026-11", "2026-12"), "2026-10-30", True),
     ((600, 900, 800), ("2026-10", "2026-11", "2026-12"), "2026-10-30", False),  # not thin
     ((100, 900), ("2026-10", "2026-11"), "2026-10-01", False),  # the whole month
     ((100, 900), ("2026-10", "2026-11"), "2026-09-30", False),  # before the first month
     ((100, 900), ("2026-10", "2026-11"), None, False)],
)  # fmt: skip
def test_a_first_month_cut_short_by_the_from_date_is_not_drawn(words, months, since, cut):
    from datetime import date

    from api.routes_web import _cut_first_month

    since_date = date.fromisoformat(since) if since else None
    assert _cut_first_month(words, months, since_date) is cut


def test_the_report_starts_its_lines_after_a_month_the_from_date_cut(settings) -> None:
    from datetime import date

    from api.db import Recording, get_database

    with _client(settings) as client:
        client.headers.update(DUTCH)
        with get_database(settings.sqlalchemy_url).session.begin() as session:
            shorter, longest = sorted(
                session.query(Recording).all(), key=lambda r: r.duration_s or 0
            )[-2:]
            shorter.recorded_at = date(2026, 10, 30)  # the From date leaves October two days
            longest.recorded_at = date(2026, 11, 2)
        trend = client.get("/report", params={"since": "2026-10-30"}).text
        section = trend[trend.index('id="trend"') : trend.index('id="sides"')]
        assert "okt 2026 telt pas vanaf 30 okt 2026" in section, section
        assert "<polyline" not in section  # November alone is no line
        whole = client.get("/report", params={"since": "2026-10-01"}).text
        assert "telt pas vanaf" not in whole


def test_a_reports_quotes_say_which_conversation_and_day_they_come_from(settings) -> None:
    import html

    with _client(settings) as client:
        client.headers.update(DUTCH)
        report = html.unescape(client.get("/report").text)
        terms = report[: report.index('id="rising"')]
        assert (
            "· Warmtepomp en zonnepanelen — meneer Bakker (demo transcript), "
            '<time datetime="2026-11-02">2 nov 2026</time>'
        ) in terms
        page = {"page_copy": "Onze zonnepanelen leveren veel op."}
        compared = html.unescape(client.post("/suggest", data=page).text)
        assert '<time datetime="2026-11-02">2 nov 2026</time></span>' in compared


@pytest.mark.parametrize(
    ("error", "unreadable"),
    [("not a readable audio file: damaged", True), ("could not decode the audio (x)", True),
     ("the file is empty", True), ("the file has no audio track", True),
     ("gave up after 3 attempts", False), (None, False)],
)  # fmt: skip
def test_only_a_file_that_does_not_decode_has_nothing_to_play(error, unreadable) -> None:
    from api.db import Recording, Status

    failed = Recording(status=Status.failed, error=error)
    assert failed.audio_unreadable is unreadable
    assert Recording(status=Status.done, error=error).audio_unreadable is False
