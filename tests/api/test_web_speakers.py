"""The speaker and voice pages: corrections through forms reach the API and the terms."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from api.db import Recording, get_database
from api.demo import prepare_demo
from api.settings import Settings
from tests.conftest import authorised_client, give_voices

MONOLOGUE = "nl_constructed/nl_monologue_male_flemish_16k.wav"


@pytest.fixture
def demo(settings: Settings) -> Iterator[tuple[Any, str]]:
    """A client on the demo data and the id of one demo recording (S1 salesperson, S2 customer)."""
    prepare_demo(settings)
    with authorised_client(settings) as (client, _):
        recording_id = client.get("/api/v1/recordings").json()["recordings"][0]["id"]
        yield client, recording_id


@contextmanager
def stored_transcript(settings: Settings, recording_id: str) -> Iterator[dict[str, Any]]:
    """A recording's stored transcript JSON, to edit in place; saved when the block ends."""
    with get_database(settings.sqlalchemy_url).session() as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None and recording.transcript_json
        transcript = json.loads(recording.transcript_json)
        yield transcript
        recording.transcript_json = json.dumps(transcript)
        session.commit()


def speakers(client: Any, recording_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/recordings/{recording_id}/speakers")
    assert response.status_code == 200
    result: list[dict[str, Any]] = response.json()["speakers"]
    return result


def terms(client: Any, recording_id: str, role: str) -> list[str]:
    params = {"role": role, "recording_id": recording_id, "limit": 20}
    return [t["term"] for t in client.get("/api/v1/terms", params=params).json()["terms"]]


def correct(client: Any, recording_id: str, **form: str) -> Any:
    return client.post(f"/recordings/{recording_id}/speakers", data=form, follow_redirects=False)


def alert(page: str) -> str:
    """The error message shown on a page, unescaped."""
    found = re.search(r'class="error" role="alert"[^>]*>([^<]*)<', page)
    return html.unescape(found.group(1)) if found else ""


def test_the_recording_page_shows_speakers_roles_and_stats(demo) -> None:
    client, recording_id = demo
    page = client.get(f"/recordings/{recording_id}").text
    assert 'id="speakers"' in page
    assert 'class="speaker role-salesperson" data-speaker="S1"' in page
    assert 'class="speaker role-customer" data-speaker="S2"' in page
    assert 'id="swap-roles"' in page
    assert "talks 50% of the time" in page
    for heading in ("Talk", "Longest monologue", "Questions asked"):
        assert f"<th>{heading}</th>" in page
    assert 'data-role="customer"' in page and 'data-role="salesperson"' in page
    customer = client.get(f"/api/v1/recordings/{recording_id}").json()["customer"]
    assert customer  # named at upload: the lines and the card show it, the form offers it
    assert f'<span class="who" title="S2, customer">{customer}</span>' in page
    card = page.split('data-speaker="S2"')[1].split("</article>")[0]
    assert f'<strong class="who" id="who-S2">{customer}</strong>' in card
    assert f'name="name" maxlength="200" value="{customer}"' in card
    client.patch(f"/api/v1/recordings/{recording_id}", json={"customer": ""})
    page = client.get(f"/recordings/{recording_id}").text
    assert '<span class="who" title="S2, customer">customer</span>' in page  # no name: the role


def test_the_recording_page_links_to_its_parts(demo) -> None:
    """On a phone the transcript starts far down: the page links to it, and each link
    lands on a part the page has."""
    client, recording_id = demo
    page = client.get(f"/recordings/{recording_id}").text
    nav = page[page.index('<nav class="jump"') :].split("</nav>")[0]
    targets = re.findall(r'href="#([\w-]+)"', nav)
    assert targets == ["speakers", "transcript", "recording-terms"]
    assert all(f'id="{target}"' in page for target in targets)


def test_the_name_given_at_upload_follows_the_role(demo) -> None:
    """The upload form names the salesperson and the customer, not a voice: after a swap
    the other speaker carries each name, and a name set on a speaker wins."""
    client, recording_id = demo
    recording = client.get(f"/api/v1/recordings/{recording_id}").json()
    correct(client, recording_id, speaker="S1", role="customer")  # now S1 and S2 are customers
    page = client.get(f"/recordings/{recording_id}").text
    assert f'<span class="who" title="S1, customer">{recording["customer"]}</span>' not in page
    assert client.post(f"/recordings/{recording_id}/speakers/swap").status_code == 422
    correct(client, recording_id, speaker="S2", role="salesperson")  # swapped
    page = client.get(f"/recordings/{recording_id}").text
    assert f'<span class="who" title="S2, salesperson">{recording["salesperson"]}</span>' in page
    assert f'<span class="who" title="S1, customer">{recording["customer"]}</span>' in page
    correct(client, recording_id, speaker="S1", role="customer", name="Anna")
    page = client.get(f"/recordings/{recording_id}").text
    assert '<span class="who" title="S1, customer">Anna</span>' in page


def test_swapping_roles_changes_the_api_and_the_customer_terms(demo) -> None:
    client, recording_id = demo
    customer_before = terms(client, recording_id, "customer")
    salesperson_before = terms(client, recording_id, "salesperson")
    assert customer_before and customer_before != salesperson_before

    response = client.post(f"/recordings/{recording_id}/speakers/swap", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/recordings/{recording_id}?done=swapped")

    roles = {s["id"]: s["role"] for s in speakers(client, recording_id)}
    assert roles == {"S1": "customer", "S2": "salesperson"}
    assert terms(client, recording_id, "customer") == salesperson_before
    page = client.get(response.headers["location"]).text
    assert "Roles swapped." in page
    assert page.index("Roles swapped.") > page.index('id="speakers"')  # said beside them
    duplicate = client.get(f"/recordings/{recording_id}?done=duplicate").text
    assert duplicate.index("uploaded before") < duplicate.index('id="speakers"')  # at the top
    assert 'class="speaker role-customer" data-speaker="S1"' in page
    assert "100% certain" in page  # a person's correction is certain


def test_renaming_shows_the_name_in_the_panel_and_the_transcript(demo) -> None:
    client, recording_id = demo
    response = correct(client, recording_id, speaker="S1", role="salesperson", name="Mark")
    assert response.status_code == 303
    assert [s["name"] for s in speakers(client, recording_id)] == ["Mark", None]
    page = client.get(response.headers["location"]).text
    assert "Speaker saved." in page
    assert '<strong class="who" id="who-S1">Mark</strong>' in page
    assert '<span class="who" title="S1, salesperson">Mark</span>' in page


def test_merging_leaves_one_speaker_and_no_swap_button(demo) -> None:
    client, recording_id = demo
    response = correct(client, recording_id, speaker="S2", merge_into="S1", role="customer")
    assert response.status_code == 303
    assert [s["id"] for s in speakers(client, recording_id)] == ["S1"]
    page = client.get(response.headers["location"]).text
    assert "Speakers merged." in page
    assert 'data-speaker="S2"' not in page and 'id="swap-roles"' not in page
    refused = client.post(f"/recordings/{recording_id}/speakers/swap")
    assert refused.status_code == 422 and "exactly two speakers" in alert(refused.text)


def test_an_unknown_speaker_is_a_422_with_the_reason(demo) -> None:
    client, recording_id = demo
    response = correct(client, recording_id, speaker="S9", role="customer", name="Piet")
    assert response.status_code == 422
    assert alert(response.text) == "No speaker 'S9' in this recording."
    assert 'id="speakers"' in response.text  # the page is whole, with its panel
    bad_role = correct(client, recording_id, speaker="S1", role="boss")
    assert bad_role.status_code == 422 and "Choose a role" in alert(bad_role.text)
    assert client.post("/recordings/nope/speakers", data={"speaker": "S1"}).status_code == 404


def test_a_refused_correction_keeps_what_was_typed(demo, settings) -> None:
    client, recording_id = demo
    give_voices(settings)
    response = correct(
        client, recording_id, speaker="S2", role="customer", name="Anne", enroll="on"
    )
    assert response.status_code == 422
    assert "name and the role salesperson" in alert(response.text)
    assert 'value="Anne"' in response.text
    assert 'name="enroll" value="true" checked' in response.text
    assert [s["name"] for s in speakers(client, recording_id)] == [None, None]  # nothing saved
    slashed = correct(
        client, recording_id, speaker="S1", role="salesperson", name="Jan/Piet", enroll="on"
    )
    assert slashed.status_code == 422 and "cannot hold /" in alert(slashed.text)
    assert [s["name"] for s in speakers(client, recording_id)] == [None, None]  # nor now


def test_a_voice_the_recording_lacks_is_not_offered_and_is_refused_in_the_readers_words(
    demo, settings
) -> None:
    client, recording_id = demo  # demo transcripts carry no voice embeddings
    assert 'name="enroll"' not in client.get(f"/recordings/{recording_id}").text
    response = correct(
        client, recording_id, speaker="S1", role="salesperson", name="Mark", enroll="on"
    )
    assert response.status_code == 422
    assert alert(response.text).startswith("This recording kept no voice for this speaker")
    assert recording_id not in alert(response.text)  # no ids for a person to read
    assert speakers(client, recording_id)[0]["name"] is None  # both, or neither
    assert client.get("/api/v1/voices").json()["voices"] == []
    dutch = client.post(
        f"/recordings/{recording_id}/speakers",
        data={"speaker": "S1", "role": "salesperson", "name": "Mark", "enroll": "on"},
        headers={"Accept-Language": "nl"},
    )
    assert "geen stem" in alert(dutch.text), alert(dutch.text)
    give_voices(settings)  # a diarized recording keeps its speakers' voices
    page = client.get(f"/recordings/{recording_id}").text
    assert page.count('name="enroll"') == 2
    remembered = correct(
        client, recording_id, speaker="S1", role="salesperson", name="Mark", enroll="on"
    )
    assert remembered.status_code == 303
    assert [v["name"] for v in client.get("/api/v1/voices").json()["voices"]] == ["Mark"]


def test_swapping_roles_keeps_the_names_with_the_roles(demo) -> None:
    """A name saved on a card is the salesperson's or the customer's: after a swap the same
    person still has the same role, on the other voice."""
    client, recording_id = demo
    recording = client.get(f"/api/v1/recordings/{recording_id}").json()
    correct(client, recording_id, speaker="S2", role="customer", name="Mevrouw Jansen")
    swapped = client.post(f"/recordings/{recording_id}/speakers/swap", follow_redirects=False)
    assert swapped.status_code == 303
    after = {s["id"]: (s["role"], s["name"]) for s in speakers(client, recording_id)}
    assert after == {"S1": ("customer", "Mevrouw Jansen"), "S2": ("salesperson", None)}
    page = client.get(f"/recordings/{recording_id}").text
    assert f'<span class="who" title="S2, salesperson">{recording["salesperson"]}</span>' in page


def test_names_are_escaped(demo) -> None:
    client, recording_id = demo
    name = "<script>alert(1)</script>"
    response = correct(client, recording_id, speaker="S1", role="salesperson", name=name)
    assert response.status_code == 303
    page = client.get(f"/recordings/{recording_id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert name not in page


def test_the_voices_page_refuses_text_and_empty_uploads(api_client) -> None:
    client, _ = api_client
    page = client.get("/voices")
    assert page.status_code == 200 and "No voices yet." in page.text
    assert '<a href="/voices" aria-current="page">Voices</a>' in page.text
    text = {"files": ("notes.wav", b"Dit zijn notities, geen audio.\n" * 40, "audio/wav")}
    mark = {"name": "Mark", "role": "salesperson", "consent": "true"}
    response = client.post("/voices", data=mark, files=text)
    assert response.status_code == 422
    assert alert(response.text).startswith("notes.wav is not an audio file we can read")
    assert 'value="Mark"' in response.text  # the name stays in the form
    empty = client.post("/voices", data=mark)
    assert empty.status_code == 422 and "Choose one or more recordings" in alert(empty.text)
    # A voice print is biometric data: the person's agreement is confirmed, or nothing is kept.
    unagreed = client.post("/voices", data={**mark, "consent": ""}, files=text)
    assert unagreed.status_code == 422 and alert(unagreed.text).startswith("Tick the box")
    assert 'name="consent" value="true" required' in unagreed.text
    missing = client.post("/voices/delete", data={"name": "Nobody"})
    assert missing.status_code == 404
    assert alert(missing.text) == "There is no voice called “Nobody” (any more)."


@pytest.mark.slow
def test_enrol_list_and_delete_a_voice(api_client, shared_audio: Path) -> None:
    client, _ = api_client
    audio = (shared_audio / MONOLOGUE).read_bytes()
    files = [("files", ("monoloog.wav", audio, "audio/wav"))]
    data = {"name": "Jan <de verkoper>", "role": "salesperson", "consent": "true"}
    response = client.post("/voices", data=data, files=files, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/voices?done=enrolled"
    page = client.get("/voices?done=enrolled").text
    assert "Voice saved" in page
    assert '<td class="name">Jan &lt;de verkoper&gt;</td>' in page
    [voice] = client.get("/api/v1/voices").json()["voices"]
    assert voice["name"] == "Jan <de verkoper>" and voice["role"] == "salesperson"
    assert voice["consent_by"] == "web form from testclient" and voice["enrolled_at"]
    assert '<td class="consent"><span title="the upload form, from testclient">yes, ' in page
    # The same name again would put another voice under this person's name: only on purpose.
    other = {"name": "JAN <de verkoper>", "role": "customer", "consent": "true"}  # in capitals
    refused = client.post("/voices", data=other, files=files)
    assert refused.status_code == 422
    assert alert(refused.text).startswith("There is already a voice called “Jan <de verkoper>”")
    assert 'name="replace"' in refused.text and "Choose the recordings again." in refused.text
    assert client.get("/api/v1/voices").json()["voices"][0]["role"] == "salesperson"
    replaced = client.post(
        "/voices", data={**other, "replace": "true"}, files=files, follow_redirects=False
    )
    assert replaced.headers["location"] == "/voices?done=replaced"
    [kept] = client.get("/api/v1/voices").json()["voices"]  # one person, written as before
    assert (kept["name"], kept["role"]) == ("Jan <de verkoper>", "customer")
    deleted = client.post("/voices/delete", data={"name": "Jan <de verkoper>"})
    assert deleted.status_code == 200 and "Voice deleted." in deleted.text  # after the redirect
    assert "No voices yet." in deleted.text
    assert client.get("/api/v1/voices").json()["voices"] == []


def test_a_short_or_mixed_voice_sample_is_saved_with_a_caution(
    api_client, shared_audio: Path, tmp_path: Path
) -> None:
    """A few seconds, or a conversation instead of one person alone: the profile is saved
    (it is what the person chose) and they are told what makes it unsure."""
    from tests.conftest import write_audio
    from transcribe import decode_audio

    client, _ = api_client
    five_s = decode_audio(shared_audio / MONOLOGUE, max_s=5.0)
    short = write_audio(five_s, tmp_path / "kort.wav", "pcm_s16le").read_bytes()
    dialogue = (shared_audio / "nl_constructed/nl_dialogue_sales_constructed_16k.wav").read_bytes()
    data = {"name": "Jan", "role": "salesperson", "consent": "true"}
    sent = client.post(
        "/voices", data=data, files=[("files", ("kort.wav", short, "audio/wav"))],
        follow_redirects=False,
    )  # fmt: skip
    assert sent.headers["location"] == "/voices?done=enrolled&caution=short"
    page = client.get(sent.headers["location"]).text
    assert "Voice saved" in page and "This voice profile was made from less than 20 seconds" in page
    answer = client.post(
        "/api/v1/voices", data={"name": "Els", "role": "salesperson"},
        files=[("files", ("gesprek.wav", dialogue, "audio/wav"))],
    )  # fmt: skip
    assert answer.status_code == 201
    assert [w.split(":")[0] for w in answer.json()["warnings"]] == [
        "a recording seems to hold another voice too"
    ]
    alone = client.post(
        "/api/v1/voices", data={"name": "Piet"},
        files=[("files", ("monoloog.wav", (shared_audio / MONOLOGUE).read_bytes(), "audio/wav"))],
    )  # fmt: skip
    assert alone.json()["warnings"] == []


def test_overlapping_speech_is_marked_and_confidence_shown(demo, settings: Settings) -> None:
    client, recording_id = demo
    with stored_transcript(settings, recording_id) as transcript:
        transcript["segments"][1]["overlap"] = True
        transcript["speakers"][0]["confidence"] = 0.918
    page = client.get(f"/recordings/{recording_id}").text
    assert page.count('<span class="overlap"') == 1
    assert "92% certain" in page


def test_a_corrected_word_is_marked_with_what_whisper_heard(demo, settings: Settings) -> None:
    """spelling.py keeps Whisper's letters in `heard`; the page shows them on the word."""
    client, recording_id = demo
    with stored_transcript(settings, recording_id) as transcript:
        segment = transcript["segments"][0]
        word = segment["words"][1]
        word["heard"] = word["word"].replace(word["word"].strip(), "<b>zzq")
    page = client.get(f"/recordings/{recording_id}").text
    marked = re.findall(r'<span class="heard" title="([^"]*)">([^<]*)</span>', page)
    assert marked == [("heard: &lt;b&gt;zzq", html.escape(word["word"].strip(), quote=False))]
    line = re.search(r'<span class="text">(.*?)</span>\s*<a class="edit-line"', page, re.S)
    assert line is not None
    assert re.sub(r"<[^>]+>", "", line.group(1)) == html.escape(segment["text"], quote=False)


def test_marks_are_left_off_when_the_words_do_not_spell_the_text() -> None:
    """An edited or redacted text no longer matches its words: shown plain, never garbled."""
    from api.templating import spelled
    from transcribe.types import Segment, Word

    words = (Word(0.0, 0.5, " de", 0.9), Word(0.5, 1.0, " offerte", 0.9, heard=" ofverte"))
    assert str(spelled(Segment(0.0, 1.0, "de offerte", words=words))) == (
        'de <span class="heard" title="heard: ofverte">offerte</span>'
    )
    edited = Segment(0.0, 1.0, "de <offerte> & prijs", words=words)
    assert str(spelled(edited)) == "de &lt;offerte&gt; &amp; prijs"


def test_the_recordings_list_finds_and_pages(demo, monkeypatch) -> None:
    """After months of recordings the list still reaches every one: a search over titles and
    names, and pages of the newest first."""
    import api.routes_web

    client, _ = demo  # two demo recordings: customers "De Vries" and "Bakker"
    found = client.get("/", params={"q": "bakker"}).text
    assert "Warmtepomp" in found and "De Vries" not in found and "1–1 of 1" in found
    none = client.get("/", params={"q": "nobody"}).text
    assert "No recordings match." in none
    monkeypatch.setattr(api.routes_web, "RECORDINGS_PER_PAGE", 1)
    first = client.get("/").text
    assert "1–1 of 2" in first and 'href="/?page=2#list" rel="next"' in first
    second = client.get("/", params={"page": "2"}).text
    assert "2–2 of 2" in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert "2–2 of 2" in client.get("/", params={"page": "9"}).text  # past the end: the last
    assert client.get("/api/v1/recordings", params={"q": "VRIES"}).json()["total"] == 1
    # By tag and by day: the search box takes both, the API has its own filters too.
    listed = client.get("/api/v1/recordings").json()["recordings"]
    bakker = next(r["id"] for r in listed if r["customer"] == "Bakker")
    changed = {"tags": ["zakelijk"], "recorded_at": "2026-11-30"}
    assert client.patch(f"/api/v1/recordings/{bakker}", json=changed).status_code == 200
    for query in ("Zakelijk", "2026-11-30"):
        page = client.get("/", params={"q": query}).text
        assert "Warmtepomp" in page and "De Vries" not in page, query
    assert (
        "1–1 of 2" in client.get("/", params={"q": "2026-11"}).text
    )  # both in November (a page holds 1)
    assert "No recordings match." in client.get("/", params={"q": "2026-10"}).text
    # As the list writes days, in either language: "30 nov 2026", "november", "Oct".
    assert "Warmtepomp" in client.get("/", params={"q": "30 nov 2026"}).text
    assert "De Vries" not in client.get("/", params={"q": "30 nov 2026"}).text
    assert "1–1 of 2" in client.get("/", params={"q": "November"}).text
    assert "No recordings match." in client.get("/", params={"q": "okt"}).text
    # A short month alone is a word ("jan" is a name), a lone digit no year: neither is a day.
    assert "No recordings match." in client.get("/", params={"q": "nov"}).text
    assert "1–1 of 2" in client.get("/", params={"q": "nov 2026"}).text
    assert "No recordings match." in client.get("/", params={"q": "2"}).text
    tagged = client.get("/", params={"tag": "zakelijk"}).text  # a tag's link: exactly it
    assert 'class="tag" href="/?tag=zakelijk#list">zakelijk</a>' in tagged
    assert "Warmtepomp" in tagged and "De Vries" not in tagged and "1–1 of 1" in tagged
    assert "No recordings match." in client.get("/", params={"tag": "zakelijk2"}).text

    def total(**params: str) -> int:
        return int(client.get("/api/v1/recordings", params=params).json()["total"])

    assert total(tag="ZAKELIJK") == 1 and total(tag="beurs") == 0
    assert total(since="2026-11-30") == 1 and total(until="2026-11-29") == 1  # De Vries: 11-02
    assert total(since="2026-11-01", until="2026-11-30", tag="zakelijk") == 1
    assert client.get("/api/v1/recordings?since=2026-12-01&until=2026-11-01").status_code == 422
    # What was said: a term in any form ("warmtepompen" finds those that said "warmtepomp").
    said = {t["lemma"] for t in client.get("/api/v1/terms", params={"limit": 200}).json()["terms"]}
    assert "warmtepomp" in said and total(q="warmtepompen") >= 1
    assert total(q="warmtepompen") == sum(
        "warmtepomp" in {t["lemma"] for t in client.get(
            "/api/v1/terms", params={"recording_id": r["id"], "limit": 200}).json()["terms"]}
        for r in client.get("/api/v1/recordings").json()["recordings"]
    )  # fmt: skip
    assert total(q="qwertyuiop") == 0
    # Several words: each somewhere (a term said, a name, a tag), or the whole of them.
    assert total(q="offerte") >= 1 and total(q="offerte sturen") >= 1
    assert total(q="warmtepompen Bakker") == 1 and total(q="offerte qwertyuiop") == 0
    # A month or day typed without its zero: "2026-1" is January, not October to December.
    january = {"recorded_at": "2026-01-05"}
    assert client.patch(f"/api/v1/recordings/{bakker}", json=january).status_code == 200
    assert total(q="2026-1") == 1 and total(q="2026-1-5") == 1 and total(q="2026-01-") == 1
    assert total(q="2026-11") == 1 and total(q="2026-1-6") == 0
    assert total(q="2026-0") == 1 and total(q="2026-1-0") == 1  # still typing: a prefix


def test_days_are_found_whatever_date_style_the_database_server_uses(
    api_client: Any, settings: Settings
) -> None:
    """A PostgreSQL server set up for Dutch dates ("DateStyle = SQL, DMY") writes days as
    "02/11/2026" and times in a style psycopg cannot read: the service must still read
    them, and its search still find "2026-11" and "nov 2026"."""
    from sqlalchemy import text

    from api.db import close_databases, get_database

    client, _ = api_client
    prepare_demo(settings)  # both on 2 Nov 2026
    database = get_database(settings.sqlalchemy_url)
    if database.engine.dialect.name == "postgresql":
        with database.engine.connect() as connection:
            name = connection.execute(text("SELECT current_database()")).scalar_one()
            connection.execute(text(f"ALTER DATABASE \"{name}\" SET datestyle = 'SQL, DMY'"))
            connection.commit()
        close_databases()  # new connections take the server's style
        with get_database(settings.sqlalchemy_url).engine.connect() as connection:
            style = connection.execute(text("SHOW datestyle")).scalar_one()
            assert style.startswith("ISO")  # the service's own style, whatever the server's
    for query in ("2026-11", "nov 2026", "2 november 2026"):
        assert client.get("/api/v1/recordings", params={"q": query}).json()["total"] == 2, query


def test_roles_ridealong_is_unsure_of_are_pointed_out_until_a_person_sets_them(
    demo, settings
) -> None:
    """At 59% certain the customer may be the salesperson, and every report counts by the
    roles: the page says to check them; once a person saved a role, it is sure."""
    import json

    from api.db import Recording, get_database

    client, recording_id = demo
    with get_database(settings.sqlalchemy_url).session() as session:
        row = session.get(Recording, recording_id)
        transcript = json.loads(row.transcript_json)
        for speaker in transcript["speakers"]:
            speaker["confidence"] = 0.59
        row.transcript_json = json.dumps(transcript)
        session.commit()
    page = client.get(f"/recordings/{recording_id}").text
    assert 'id="check-roles"' in page and "only 59% certain" in page
    swapped = client.post(f"/recordings/{recording_id}/speakers/swap", follow_redirects=True)
    assert swapped.status_code == 200 and 'id="check-roles"' not in swapped.text
    assert "100% certain" in swapped.text  # set by a person


def test_the_developers_api_is_a_footer_link_not_a_menu_item(demo) -> None:
    """A marketer clicking through the menu should not land on an English Swagger page."""
    client, _ = demo
    page = client.get("/").text
    menu = page.split('<nav aria-label="Main menu">')[1].split("</nav>")[0]
    assert "/docs" not in menu
    assert '<footer class="site"><a href="/docs" target="_blank" rel="noopener">' in page
