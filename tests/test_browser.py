"""A person's path through the pages, in Debian's Chromium driven by Playwright."""

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import uvicorn

from api.app import create_app
from api.db import get_database
from api.demo import prepare_demo
from api.settings import Settings
from api.voices import save_voice
from tests.conftest import give_voices
from transcribe import VoiceProfile

CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server_settings(tmp_path: Path) -> Settings:
    """The live server's settings, so a test can put data where the server reads it."""
    return Settings(data_dir=tmp_path / "data")  # type: ignore[call-arg]


@pytest.fixture
def live_server(server_settings: Settings) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(server_settings), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI: .ci/run should install it")
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.mark.slow
def test_upload_transcribe_and_read_the_report(
    live_server: str, browser, shared_audio: Path, tmp_path: Path
) -> None:
    audio = tmp_path / "Kennedy toespraak.flac"
    shutil.copyfile(shared_audio / "en" / "jfk.flac", audio)
    page = browser.new_page()
    page.goto(live_server + "/")
    page.set_input_files("input[name=file]", str(audio))
    page.fill("input[name=title]", "Inauguration <script>alert(1)</script>")
    page.fill("input[name=customer]", "JFK")
    page.fill("input[name=salesperson]", "Sanne")
    page.fill("input[name=tags]", "toespraak")

    page.click("button[type=submit]")  # the consent box is required: nothing happens
    assert page.locator("#recordings tr[data-id]").count() == 0

    page.check("input[name=consent]")
    page.click("button[type=submit]")
    row = page.locator("#recordings tr[data-id]").first
    row.locator(".badge.status-done").wait_for(timeout=180_000)  # updates without a reload
    assert row.locator("td a").first.inner_text() == "Inauguration <script>alert(1)</script>"
    assert row.locator("a.tag").inner_text() == "toespraak"  # finds the recordings it tags
    # The upload notice no longer says it is being transcribed.
    page.locator(".notice", has_text=re.compile("(Finished: o|O)pen it below")).wait_for()
    assert "transcribed now" not in page.locator(".notice").inner_text()
    # The next recording of the same ride-along: its salesperson and tags are filled in.
    assert page.input_value("input[name=salesperson]") == "Sanne"
    assert page.input_value("input[name=tags]") == "toespraak"
    assert page.input_value("input[name=customer]") == ""  # each recording's own
    # Said, not silent; and one click empties them for an upload of another day.
    note = page.locator(".remembered-note")
    assert note.is_visible() and note.inner_text().startswith("Filled in as for your last")
    assert note.locator(".remembered-fields").inner_text() == "salesperson, tags"  # no date given
    note.locator("button").click()
    assert not note.is_visible() and page.input_value("input[name=salesperson]") == ""
    assert page.input_value("input[name=tags]") == ""
    page.reload()
    assert page.input_value("input[name=salesperson]") == "" and not note.is_visible()

    row.locator("a").first.click()
    page.locator(".line").first.wait_for()
    assert "ask not what your country" in page.locator(".transcript").inner_text().lower()
    line = page.locator(".line").last
    start = float(line.get_attribute("data-start") or "nan")
    line.click()  # plays the recording from that line
    page.wait_for_function("() => !document.getElementById('player').paused")
    assert page.evaluate("document.getElementById('player').currentTime") >= start - 0.1
    # On a short screen, scrolled down to the lines: playing docks the player in view.
    page.evaluate("document.getElementById('player').pause()")
    page.evaluate("window.scrollTo(0, 0)")  # undocked, if the click had scrolled it away
    page.wait_for_function("() => !document.getElementById('player').classList.contains('docked')")
    page.set_viewport_size({"width": 390, "height": 250})
    line.scroll_into_view_if_needed()
    assert page.evaluate("document.getElementById('player').getBoundingClientRect().bottom <= 0")
    line.click()
    page.wait_for_function("() => document.getElementById('player').classList.contains('docked')")
    box = page.locator("#player").bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 250
    assert box["width"] >= 300  # as wide as the screen: a fixed <audio> of width auto has none
    # Paused, it stays where it can be resumed, and the page makes room for it below.
    page.evaluate("document.getElementById('player').pause()")
    page.wait_for_timeout(200)
    assert page.evaluate("document.getElementById('player').classList.contains('docked')")
    assert page.evaluate("getComputedStyle(document.body).paddingBottom") != "0px"
    page.evaluate("window.scrollTo(0, 0)")  # its place in view again: back in it
    page.wait_for_function("() => !document.getElementById('player').classList.contains('docked')")
    assert page.evaluate("getComputedStyle(document.body).paddingBottom") == "0px"
    page.set_viewport_size({"width": 1280, "height": 720})
    # The keyboard: Space on a line plays it, as on a button, and does not scroll the page.
    line.focus()
    scrolled = page.evaluate("scrollY")
    page.keyboard.press(" ")
    page.wait_for_function("() => !document.getElementById('player').paused")
    # Space's own scroll is most of a screen (720 px); docking the player shifts a little.
    assert abs(page.evaluate("scrollY") - scrolled) < 200
    page.keyboard.press(" ")  # and pauses it again
    page.wait_for_function("() => document.getElementById('player').paused")
    paused_at = page.evaluate("document.getElementById('player').currentTime")
    page.keyboard.press(" ")  # and goes on from there, not from the line's start
    page.wait_for_function("() => !document.getElementById('player').paused")
    assert page.evaluate("document.getElementById('player').currentTime") >= paused_at
    page.evaluate("document.getElementById('player').pause()")

    page.click("text=Report")
    page.locator("table.terms").wait_for()
    terms = page.locator("table.terms td.term strong").all_inner_texts()
    assert "country" in terms
    page.screenshot(path=str(tmp_path / "report.png"))
    # "▶ listen from": the recording opens at the quote and plays from there
    link = page.locator("table.terms a.seek").first
    href = link.get_attribute("href") or ""
    link.click()
    page.wait_for_url("**" + href)
    page.wait_for_function("() => !document.getElementById('player').paused")
    cued = float(href.rsplit("#t=", 1)[1])
    assert page.evaluate("document.getElementById('player').currentTime") >= cued - 0.1
    page.evaluate("document.getElementById('player').pause()")


def _first_demo_recording(live_server: str, browser, settings: Settings):
    """A page on the first demo recording, opened from the list as a person would."""
    prepare_demo(settings)
    page = browser.new_page()
    page.goto(live_server + "/")
    page.locator("#recordings a").first.click()
    return page


@pytest.mark.slow
def test_swap_roles_on_a_demo_recording(
    live_server: str, browser, server_settings: Settings
) -> None:
    """The commonest correction: diarization got both people, but the roles the wrong way."""
    page = _first_demo_recording(live_server, browser, server_settings)
    first = page.locator("article.speaker").first
    assert first.locator(".role-name").inner_text() == "salesperson"
    label = page.locator(".line .who").first
    assert label.get_attribute("title") == "S1, salesperson"
    assert label.inner_text() == "Mark"  # the salesperson named at upload

    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("#swap-roles")  # a misclick recounts every report: it asks first
    assert asked and asked[0].startswith("Swap the roles?")
    assert first.locator(".role-name").inner_text() == "salesperson"  # dismissed: unchanged
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#swap-roles")
    page.locator(".notice", has_text="Roles swapped").wait_for()
    assert "done=" not in page.url  # a reload does not say it again
    assert first.locator(".role-name").inner_text() == "customer"
    assert page.locator("article.speaker").nth(1).locator(".role-name").inner_text() == (
        "salesperson"
    )
    assert label.get_attribute("title") == "S1, customer"
    assert label.inner_text() != "Mark"  # now the customer's name


def test_a_misheard_line_is_corrected_from_the_transcript(
    live_server: str, browser, server_settings: Settings
) -> None:
    """The line's pencil opens its correction (by mouse or keyboard), and saving brings the
    person back to that line, corrected."""
    page = _first_demo_recording(live_server, browser, server_settings)
    line = page.locator("#line-3")
    line.hover()
    line.locator(".edit-line").focus()
    page.keyboard.press("Enter")  # the link's own key, not the line's "play from here"
    page.locator("textarea[name=text]").wait_for()
    assert page.url.endswith("/lines/3")
    page.fill("textarea[name=text]", "Dat wordt zeer op prijs gesteld.")
    page.click("button[value=save]")
    page.locator(".notice", has_text="Line corrected").first.wait_for()
    assert page.url.endswith("#line-3")
    assert page.locator("#line-3 .text").inner_text() == "Dat wordt zeer op prijs gesteld."
    # The page opens at the line; the confirmation at its top shows over it meanwhile.
    in_sight = """() => [...document.querySelectorAll('.notice')].some((n) => {
        const box = n.getBoundingClientRect();
        return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;
    })"""
    page.wait_for_function(in_sight, timeout=3000)
    assert page.evaluate("window.scrollY") > 0  # at the line, not back at the top


@pytest.mark.slow
def test_merging_two_speakers_asks_first(
    live_server: str, browser, server_settings: Settings
) -> None:
    """A merge cannot be undone: the browser asks, naming both, and Cancel changes nothing.
    Transcript lines are no tab stops where there is no audio to play."""
    page = _first_demo_recording(live_server, browser, server_settings)
    assert page.locator(".line").count() > 0 and page.locator(".line[tabindex]").count() == 0
    second = page.locator("article.speaker").nth(1)
    second.locator('select[name="merge_into"]').select_option(index=1)
    asked: list[str] = []

    def cancel(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", cancel)
    second.locator('button[type="submit"]').click()
    page.wait_for_timeout(500)
    assert len(asked) == 1 and "cannot be undone" in asked[0] and "(S1)" in asked[0]
    assert page.locator("article.speaker").count() == 2
    other = page.locator("article.speaker").first  # a rename alone asks nothing
    other.locator('input[name="name"]').fill("Mark")
    other.locator('button[type="submit"]').click()
    page.locator(".notice", has_text="Speaker saved").wait_for()
    assert len(asked) == 1


@pytest.mark.slow
def test_remember_this_voice_is_offered_for_a_salesperson_only(
    live_server: str, browser, server_settings: Settings
) -> None:
    """Only a salesperson's voice can be remembered: the option follows the role chosen."""
    prepare_demo(server_settings)
    give_voices(server_settings)  # a diarized recording keeps them; the demo's have none
    page = _first_demo_recording(live_server, browser, server_settings)
    cards = page.locator("article.speaker")
    seller, customer = cards.nth(0), cards.nth(1)
    assert customer.locator(".role-name").inner_text() == "customer"
    assert seller.get_by_text("Remember this voice").is_visible()
    assert not customer.get_by_text("Remember this voice").is_visible()

    customer.locator('select[name="role"]').select_option("salesperson")
    assert customer.get_by_text("Remember this voice").is_visible()
    seller.locator('input[name="enroll"]').check()
    seller.locator('select[name="role"]').select_option("other")
    assert not seller.get_by_text("Remember this voice").is_visible()
    assert not seller.locator('input[name="enroll"]').is_checked()  # not sent hidden


def _two_files(folder: Path) -> list[str]:
    from tests.conftest import tone, write_audio

    return [str(write_audio(tone(1.0, freq=f), folder / f"{f:.0f}.wav", "pcm_s16le"))
            for f in (300.0, 500.0)]  # fmt: skip


def _send_held(page, files: list[str]):  # type: ignore[no-untyped-def]
    """Submit the upload form with `files`, held on the page as on a slow line (a listener
    after the page's own stops the sending); the form's button."""
    page.set_input_files("input[name=file]", files)
    page.check("input[name=consent]")
    page.evaluate("document.getElementById('upload-form')"
                  ".addEventListener('submit', (event) => event.preventDefault())")  # fmt: skip
    button = page.locator("#upload-form button[type=submit]")
    button.click()
    return button


@pytest.mark.slow
def test_the_upload_button_says_it_is_uploading_until_the_page_is_left(
    live_server: str, browser, tmp_path: Path
) -> None:
    """On a slow line the files take a while: the button says so, and cannot send twice."""
    page = browser.new_page()
    page.goto(live_server + "/")
    files = _two_files(tmp_path)
    button = _send_held(page, files)
    assert button.is_disabled() and button.inner_text() == "Uploading 2 files…"
    # Back to this page from the browser's back-forward cache: the page is shown as it was
    # left (button disabled), with a `pageshow` event that must give the button back.
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    assert button.is_enabled() and button.inner_text() == "Upload and transcribe"
    page.reload()  # then for real
    page.set_input_files("input[name=file]", files)
    page.check("input[name=consent]")
    page.locator("#upload-form button[type=submit]").click()
    page.locator(".notice", has_text="2 recordings are uploaded").wait_for()


def test_too_many_files_are_refused_before_they_are_sent(
    live_server: str, browser, tmp_path: Path
) -> None:
    """The form says its limits, and the browser holds back a choice over them instead of
    sending it all first."""
    page = browser.new_page()
    page.goto(live_server + "/")
    assert "Up to 10 files at a time" in page.locator("#upload-form").inner_text()
    files = [tmp_path / f"{i}.wav" for i in range(11)]
    for path in files:
        path.write_bytes(b"RIFF")
    page.set_input_files("input[name=file]", [str(p) for p in files])
    field = page.locator("input[name=file]")
    assert field.evaluate("f => f.validationMessage") == "Choose at most 10 files at a time."
    page.set_input_files("input[name=file]", [str(p) for p in files[:10]])
    assert field.evaluate("f => f.validity.valid")
    big = tmp_path / "lang gesprek.m4a"
    with big.open("wb") as out:  # sparse: 501 MB on paper, nothing on disk
        out.truncate(501 * 1024 * 1024)
    page.set_input_files("input[name=file]", [str(files[0]), str(big)])
    assert field.evaluate("f => f.validationMessage") == (
        "lang gesprek.m4a is 501 MB; each file may be up to 500 MB."
    )


@pytest.mark.slow
def test_a_recording_page_shows_the_transcript_when_it_is_ready(
    live_server: str, browser, server_settings: Settings
) -> None:
    """Opened while its job runs, the page follows the progress and then shows the lines,
    without the person reloading it."""
    from api.db import Recording, get_database

    prepare_demo(server_settings)
    database = get_database(server_settings.sqlalchemy_url)

    with database.session() as session:
        recording_id = session.query(Recording.id).order_by(Recording.id).first()[0]

    def set_status(status: str, progress: float) -> None:
        with database.session() as session:
            recording = session.get(Recording, recording_id)
            assert recording is not None
            recording.status, recording.progress = status, progress
            session.commit()

    set_status("queued", 0.0)
    page = browser.new_page()
    page.goto(f"{live_server}/recordings/{recording_id}")
    assert page.locator("#pending .pending-text").inner_text() == "Waiting its turn…"
    set_status("processing", 0.4)
    page.wait_for_function("() => document.querySelector('#pending progress').value === 0.4")
    assert page.locator("#pending .pending-text").inner_text() == "Transcribing…"
    assert page.locator(".line").count() == 0
    set_status("done", 1.0)
    page.locator(".line").first.wait_for(timeout=10_000)
    assert page.locator("#pending").count() == 0


@pytest.mark.slow
def test_a_dutch_browser_gets_the_pages_and_their_scripts_in_dutch(
    live_server: str, browser, server_settings: Settings, tmp_path: Path
) -> None:
    """The texts the scripts write (upload button, progress, status) follow the page's
    language, and the switch in the menu changes it for good."""
    from api.db import Recording, get_database

    prepare_demo(server_settings)
    page = browser.new_context(locale="nl-NL").new_page()
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "Gesprek uploaden"
    button = _send_held(page, _two_files(tmp_path))
    assert button.inner_text() == "2 bestanden uploaden…"

    database = get_database(server_settings.sqlalchemy_url)
    with database.session() as session:
        recording = session.query(Recording).order_by(Recording.id).first()
        assert recording is not None
        recording_id, recording.status = recording.id, "queued"
        session.commit()
    page.goto(f"{live_server}/recordings/{recording_id}")
    assert page.locator("#pending .pending-text").inner_text() == "In de wachtrij…"
    with database.session() as session:
        queued = session.get(Recording, recording_id)
        assert queued is not None
        queued.status = "processing"
        session.commit()
    page.locator("#pending .pending-text", has_text="Bezig met transcriberen…").wait_for()
    page.goto(live_server + "/")
    badge = page.locator(f'tr[data-id="{recording_id}"] .badge')
    assert badge.inner_text() == "bezig"
    with database.session() as session:
        running = session.get(Recording, recording_id)
        assert running is not None
        running.status = "done"
        session.commit()
    page.locator(f'tr[data-id="{recording_id}"] .badge', has_text="klaar").wait_for()
    language = page.locator(f'tr[data-id="{recording_id}"] .language')
    assert language.inner_text() == "Nederlands"  # as the script wrote it on the update

    page.click("#language-switch")  # English, and it stays English
    assert page.locator("h1").inner_text() == "Upload a conversation"
    page.goto(live_server + "/report")
    assert page.locator("h1").inner_text() == "What people say"


@pytest.mark.slow
def test_a_quote_link_shows_its_line_in_a_recording_without_audio(
    live_server: str, browser, server_settings: Settings
) -> None:
    """The demo conversations have no audio: a quote's ▶ still brings its line into view."""
    prepare_demo(server_settings)
    page = browser.new_page(viewport={"width": 1200, "height": 500})
    page.goto(live_server + "/report")
    link = page.locator("table.terms a.seek").last
    href = link.get_attribute("href") or ""
    quote = link.locator("xpath=..").inner_text()
    link.click()
    page.wait_for_url("**" + href)
    assert page.locator("#player").count() == 0
    shown = page.locator(".line.playing")
    assert shown.count() == 1
    assert shown.get_attribute("data-start") == href.rsplit("#t=", 1)[1]
    assert shown.locator(".text").inner_text().strip() in quote
    box = shown.bounding_box()
    assert box is not None and 0 <= box["y"] < 500  # scrolled into view
    # Keyboard and screen-reader users arrive at the line too, not at the top of the page.
    assert page.evaluate("document.activeElement.classList.contains('playing')")


@pytest.mark.slow
def test_pages_fit_a_phone_screen(live_server: str, browser, server_settings: Settings) -> None:
    """Marketers read the report on the go: no page may scroll sideways at 390 px, and the
    recordings and terms stack their rows rather than scroll inside their card."""
    from tests.api.test_exports import add_recording

    prepare_demo(server_settings)
    # Speech with no role: the report's fourth tab ("Zonder rol") must fit the screen too.
    add_recording(server_settings, "solo", "Solo", [("unknown", "Ik wil een thuisbatterij.")])
    with get_database(server_settings.sqlalchemy_url).session() as session:
        long_name = "Anne-Marie van der Heijden-Vermeulen"  # the voices' table must fit too
        save_voice(session, VoiceProfile(long_name, np.ones(4, np.float32), consent_by="test"))
    # 390 px: a phone; 640 px: a laptop's 1280 px at 200 % zoom. Dutch words are longer.
    for locale, screen in (("en-US", 390), ("nl-NL", 390), ("nl-NL", 640)):
        context = browser.new_context(locale=locale, viewport={"width": screen, "height": 800})
        page = context.new_page()
        page.goto(live_server + "/")
        recording = page.locator("#recordings tr[data-id]").first.get_attribute("data-id")
        for path in ("/", f"/recordings/{recording}", "/report", "/suggest", "/voices"):
            page.goto(live_server + path)
            width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            assert width[0] <= width[1], (
                f"{path} ({locale}) is {width[0]} px wide on a {width[1]} px screen"
            )
            hidden = page.evaluate(
                "Array.from(document.querySelectorAll("
                "'#recordings, table.terms, table.stats, table.voices'))"
                ".map((t) => t.closest('.card')).filter((c) => c.scrollWidth > c.clientWidth)"
                ".length"
            )
            assert hidden == 0, f"{path} ({locale}): a table runs off its card"
            off_screen = page.evaluate(  # every tab (the report's "No role") in sight
                "Array.from(document.querySelectorAll('.tabs a'))"
                ".filter((a) => a.getBoundingClientRect().right > innerWidth).length"
            )
            assert off_screen == 0, f"{path} ({locale}): a tab is off the screen"
            cut = page.evaluate(  # the search box's hint is read whole
                "Array.from(document.querySelectorAll('input[type=search]')).filter((i) => {"
                " const c = document.createElement('canvas').getContext('2d');"
                " const style = getComputedStyle(i); c.font = style.font;"
                " const room = i.clientWidth - parseFloat(style.paddingLeft)"
                " - parseFloat(style.paddingRight);"
                " return c.measureText(i.placeholder).width > room; }).length"
            )
            assert cut == 0, f"{path} ({locale}): the search hint is cut off"
    page.goto(live_server + "/")
    status = page.locator("#recordings tr[data-id] td.status").first.bounding_box()
    assert status is not None and status["x"] + status["width"] <= screen  # no sideways scroll
