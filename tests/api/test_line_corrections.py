"""A person corrects what a line says (a misheard word) or removes a line never said; the
recording's terms are counted again from the corrected words."""

from __future__ import annotations

import re
from typing import Any

from api.demo import prepare_demo
from api.settings import Settings


def _demo(client: Any, settings: Settings) -> tuple[str, dict[str, Any]]:
    prepare_demo(settings)
    listed = client.get("/api/v1/recordings").json()["recordings"]
    recording_id = next(r["id"] for r in listed if r["customer"] == "De Vries")
    return recording_id, client.get(f"/api/v1/recordings/{recording_id}/transcript").json()


def _terms(client: Any, recording_id: str) -> dict[str, int]:
    answer = client.get("/api/v1/terms", params={"recording_id": recording_id, "limit": 500})
    return {t["lemma"]: t["count"] for t in answer.json()["terms"]}


def test_a_corrected_line_keeps_its_timings_and_changes_the_terms(
    api_client: Any, settings: Settings
) -> None:
    client, _ = api_client
    recording_id, before = _demo(client, settings)
    index, line = next(
        (i, s) for i, s in enumerate(before["segments"]) if "thuisbatterij" in s["text"]
    )
    counted = _terms(client, recording_id)
    corrected = line["text"].replace("thuisbatterij", "accupakket", 1)

    answer = client.patch(
        f"/api/v1/recordings/{recording_id}/segments",
        json={"segments": [{"index": index, "text": corrected}]},
    )

    assert answer.status_code == 200, answer.text
    after = answer.json()
    assert after["segments"][index]["text"] == corrected
    assert after == client.get(f"/api/v1/recordings/{recording_id}/transcript").json()
    old_words, new_words = line["words"], after["segments"][index]["words"]
    assert [w["word"] for w in new_words] == [" " + w for w in corrected.split()]
    kept = [w for w in new_words if w["word"].strip() != "accupakket"]
    assert all(w in old_words for w in kept)  # untouched words: same times, same confidence
    new = next(w for w in new_words if w["word"].strip() == "accupakket")
    assert new["probability"] == 1.0 and new.get("heard") is None  # a person's word, no guess
    recounted = _terms(client, recording_id)
    assert recounted.get("accupakket", 0) == 1
    assert recounted.get("thuisbatterij", 0) == counted["thuisbatterij"] - 1
    # Whisper's phantom line: an empty text removes it.
    removed = client.patch(
        f"/api/v1/recordings/{recording_id}/segments",
        json={"segments": [{"index": 0, "text": ""}]},
    )
    assert removed.status_code == 200
    assert len(removed.json()["segments"]) == len(before["segments"]) - 1
    assert removed.json()["segments"][0] == after["segments"][1]


def test_a_wrong_correction_changes_nothing(api_client: Any, settings: Settings) -> None:
    from api.auth import create_api_key
    from api.db import get_database

    client, _ = api_client
    recording_id, before = _demo(client, settings)
    path = f"/api/v1/recordings/{recording_id}/segments"
    count = len(before["segments"])
    cases = [
        ([{"index": 0, "text": "ja"}, {"index": count, "text": "nee"}], 404),  # all or nothing
        ([{"index": 1, "text": "ja"}, {"index": 1, "text": "nee"}], 422),
        ([{"index": 0, "text": "x" * 2001}], 422),
        ([{"index": -1, "text": "ja"}], 422),
    ]
    for segments, status in cases:
        refused = client.patch(path, json={"segments": segments})
        assert refused.status_code == status, (segments, refused.text)
    assert client.get(f"/api/v1/recordings/{recording_id}/transcript").json() == before
    missing = client.patch("/api/v1/recordings/nope/segments", json={"segments": cases[0][0]})
    assert missing.status_code == 404
    with get_database(settings.sqlalchemy_url).session() as session:
        reader = {"Authorization": f"Bearer {create_api_key(session, 'cms', 'read')}"}
    assert (
        client.patch(
            path, json={"segments": [{"index": 0, "text": "ja"}]}, headers=reader
        ).status_code
        == 403
    )


def test_the_recording_page_links_each_line_to_its_correction(
    api_client: Any, settings: Settings
) -> None:
    client, _ = api_client
    recording_id, before = _demo(client, settings)
    page = client.get(f"/recordings/{recording_id}").text
    assert f'href="/recordings/{recording_id}/lines/2"' in page and 'id="line-2"' in page
    assert '<a class="skip-local" href="#recording-terms">' in page  # a long one, skipped
    form = client.get(f"/recordings/{recording_id}/lines/2")
    assert form.status_code == 200
    assert before["segments"][2]["text"] in form.text  # in the box, ready to correct
    assert before["segments"][1]["text"] in form.text  # and the line before, for context
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    csrf = {"csrf_token": token.group(1)} if token else {}

    blank = client.post(f"/recordings/{recording_id}/lines/2", data={"text": "  ", **csrf})
    assert blank.status_code == 422 and "remove the line" in blank.text
    saved = client.post(
        f"/recordings/{recording_id}/lines/2",
        data={"text": "Dat wordt zeer op prijs gesteld.", **csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/recordings/{recording_id}?done=line#line-2"
    shown = client.get(saved.headers["location"]).text
    assert "Line corrected" in shown and "Dat wordt zeer op prijs gesteld." in shown
    removed = client.post(f"/recordings/{recording_id}/lines/2", data={"action": "remove", **csrf})
    assert removed.status_code == 200 and "Line removed" in removed.text
    assert "Dat wordt zeer op prijs gesteld." not in removed.text
    missing = client.get(f"/recordings/{recording_id}/lines/999", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "no such line (any more)" in missing.text
    assert f'href="/recordings/{recording_id}"' in missing.text  # the way back to the recording
    typed = client.get(f"/recordings/{recording_id}/lines/abc", headers={"Accept": "text/html"})
    assert typed.status_code == 404 and "<html" in typed.text  # a page, not JSON


def test_a_line_changed_since_it_was_read_is_not_overwritten(
    api_client: Any, settings: Settings
) -> None:
    """Two tabs: one removes a line, the other then saves "line 3" as it read it. The
    line now at 3 is another one; the save is refused and the typed text kept."""
    client, _ = api_client
    recording_id, before = _demo(client, settings)
    path = f"/api/v1/recordings/{recording_id}/segments"
    read = before["segments"][3]["text"]
    form = client.get(f"/recordings/{recording_id}/lines/3").text
    assert f'name="was" value="{read}"' in form
    removed = client.patch(path, json={"segments": [{"index": 0, "text": ""}]})
    assert removed.status_code == 200

    stale = client.patch(path, json={"segments": [{"index": 3, "text": "Ja.", "was": read}]})
    assert stale.status_code == 409 and stale.json()["code"] == "line_changed"
    now = client.get(f"/api/v1/recordings/{recording_id}/transcript").json()
    assert now == removed.json()  # nothing changed
    page = client.post(
        f"/recordings/{recording_id}/lines/3", data={"text": "Mijn verbetering", "was": read}
    )
    assert page.status_code == 409 and "has changed since it was read" in page.text
    assert "Mijn verbetering</textarea>" in page.text  # kept, to save where it belongs
    assert now["segments"][3]["text"] in page.text  # and the line as it is now
    current = now["segments"][2]["text"]
    fresh = client.patch(path, json={"segments": [{"index": 2, "text": "Ja.", "was": current}]})
    assert fresh.status_code == 200


def test_two_corrections_at_once_both_stay(settings: Settings, monkeypatch: Any) -> None:
    """Two people correct different lines at the same moment: the second waits for the
    first to be stored, then corrects the transcript as it is, so neither is lost."""
    import threading
    import time

    import api.service as service
    from api.db import get_database

    prepare_demo(settings)
    database = get_database(settings.sqlalchemy_url)
    with database.session() as session:
        [recording_id] = [r.id for r in service.list_recordings(session) if r.customer == "Bakker"]
    first_read = threading.Event()
    real = service.correct_segment

    def slowly(segment: Any, text: str) -> Any:  # the first has read, and takes its time
        if not first_read.is_set():
            first_read.set()
            time.sleep(0.5)
        return real(segment, text)

    monkeypatch.setattr(service, "correct_segment", slowly)
    failed: list[BaseException] = []

    def correct(index: int, text: str) -> None:
        try:
            with database.session() as session:
                service.correct_lines(session, settings, recording_id, {index: text})
        except BaseException as e:  # noqa: BLE001 - reported below
            failed.append(e)

    first = threading.Thread(target=correct, args=(1, "Eerste verbetering."))
    first.start()
    assert first_read.wait(10)
    second = threading.Thread(target=correct, args=(4, "Tweede verbetering."))
    second.start()
    first.join(20)
    second.join(20)
    assert not failed
    with database.session() as session:
        lines = [s.text for s in service.get_transcript(session, recording_id).segments]
    assert lines[1] == "Eerste verbetering." and lines[4] == "Tweede verbetering."


def test_a_line_given_to_another_speaker_counts_for_their_side(
    api_client: Any, settings: Settings
) -> None:
    """The speaker finder put the customer's question under the salesperson: moved, its
    words leave the salesperson's terms for the customer's; a missed third person gets a
    new speaker of the role chosen."""
    client, _ = api_client
    recording_id, before = _demo(client, settings)
    path = f"/api/v1/recordings/{recording_id}/segments"
    roles = {s["id"]: s["role"] for s in before["speakers"]}
    customer = next(k for k, v in roles.items() if v == "customer")
    index, line = next(
        (i, s) for i, s in enumerate(before["segments"]) if s["role"] == "salesperson"
    )
    word = max((w["word"].strip(" .,?!").lower() for w in line["words"]), key=len)

    def side(role: str) -> dict[str, int]:
        answer = client.get(
            "/api/v1/terms", params={"recording_id": recording_id, "role": role, "limit": 500}
        )
        return {t["lemma"]: t["count"] for t in answer.json()["terms"]}

    moved = client.patch(
        path, json={"segments": [{"index": index, "speaker": customer, "was": line["text"]}]}
    )

    assert moved.status_code == 200, moved.text
    after = moved.json()["segments"][index]
    assert (after["speaker"], after["role"], after["text"]) == (customer, "customer", line["text"])
    assert after["words"] == line["words"]  # who said it changed; what and when did not
    assert moved.json()["speakers"] == before["speakers"]
    said = " ".join(s["text"].lower() for s in moved.json()["segments"] if s["role"] == "customer")
    assert word in said and any(word in lemma or lemma in word for lemma in side("customer"))

    third = client.patch(
        path, json={"segments": [{"index": index, "speaker": "new", "role": "other"}]}
    )
    assert third.status_code == 200, third.text
    new = third.json()["segments"][index]
    assert new["role"] == "other" and new["speaker"] not in roles
    assert {"id": new["speaker"], "role": "other", "name": None, "confidence": 1.0} in third.json()[
        "speakers"
    ]
    for refused in (
        {"index": index, "speaker": "S99"},
        {"index": index, "role": "customer", "text": "Ja."},  # a role, but for whom?
        {"index": index},  # nothing to change
    ):
        answer = client.patch(path, json={"segments": [refused]})
        assert answer.status_code == 422, (refused, answer.text)
    assert client.get(f"/api/v1/recordings/{recording_id}/transcript").json() == third.json()


def test_the_line_form_gives_a_line_to_whoever_said_it(api_client: Any, settings: Settings) -> None:
    client, _ = api_client
    recording_id, before = _demo(client, settings)
    index, line = next(
        (i, s) for i, s in enumerate(before["segments"]) if s["role"] == "salesperson"
    )
    form = client.get(f"/recordings/{recording_id}/lines/{index}").text
    assert f'<option value="{line["speaker"]}" selected>' in form
    assert '<option value="new:customer"' in form

    saved = client.post(
        f"/recordings/{recording_id}/lines/{index}",
        data={"text": line["text"], "was": line["text"], "speaker": "new:customer"},
        follow_redirects=False,
    )

    assert saved.status_code == 303, saved.text
    now = client.get(f"/api/v1/recordings/{recording_id}/transcript").json()
    assert now["segments"][index]["role"] == "customer"
    new = now["segments"][index]["speaker"]
    assert new not in {s["id"] for s in before["speakers"]}
    # The customer the upload named keeps the name beside a second customer.
    named = {s["id"]: s["name"] for s in now["speakers"]}
    first = next(s["id"] for s in before["speakers"] if s["role"] == "customer")
    assert named[first] == "De Vries" and named[new] is None
    other = next(
        i for i, s in enumerate(now["segments"]) if s["role"] == "salesperson" and i != index
    )
    text = now["segments"][other]["text"]
    client.post(
        f"/recordings/{recording_id}/lines/{other}",
        data={"text": text, "was": text, "speaker": "new:customer"},
    )
    page = client.get(f"/recordings/{recording_id}").text
    third = client.get(f"/api/v1/recordings/{recording_id}/transcript").json()["segments"][other]
    assert f"customer ({new})" in page and f"customer ({third['speaker']})" in page  # told apart
    now = client.get(f"/api/v1/recordings/{recording_id}/transcript").json()
    wrong = client.post(
        f"/recordings/{recording_id}/lines/{index}",
        data={"text": "Ja.", "speaker": "new:boss"},
    )
    assert wrong.status_code == 422 and "Ja.</textarea>" in wrong.text
    assert client.get(f"/api/v1/recordings/{recording_id}/transcript").json() == now


def test_the_last_line_read_before_a_line_was_removed_is_a_conflict_not_gone(
    api_client: Any, settings: Settings
) -> None:
    """Its index is past the end now: it was read, so lines went before it (409, with the
    typed text kept), as for any other line; the API documents that 409."""
    client, _ = api_client
    recording_id, before = _demo(client, settings)
    path = f"/api/v1/recordings/{recording_id}/segments"
    last = len(before["segments"]) - 1
    read = before["segments"][last]["text"]
    assert client.patch(path, json={"segments": [{"index": 0, "text": ""}]}).status_code == 200

    stale = client.patch(path, json={"segments": [{"index": last, "text": "Ja.", "was": read}]})
    assert stale.status_code == 409 and stale.json()["code"] == "line_changed"
    unread = client.patch(path, json={"segments": [{"index": last, "text": "Ja."}]})
    assert unread.status_code == 404  # no `was`: simply no such line
    page = client.post(
        f"/recordings/{recording_id}/lines/{last}", data={"text": "Mijn verbetering", "was": read}
    )
    assert page.status_code == 409 and "Mijn verbetering</textarea>" in page.text
    assert read in page.text  # now the last line, shown as it is
    described = client.get("/openapi.json").json()["paths"][
        "/api/v1/recordings/{recording_id}/segments"
    ]["patch"]["responses"]["409"]["description"]
    assert "line_changed" in described and "transcribed" not in described


def test_reanalyzing_counts_each_transcript_as_it_is_when_it_gets_there(
    settings: Settings, monkeypatch: Any
) -> None:
    """`ridealong reanalyze` lists the recordings, then recounts them one by one: a line
    corrected (or a name erased) in between must not come back from an older copy."""
    import api.service as service
    from api.db import get_database

    prepare_demo(settings)
    database = get_database(settings.sqlalchemy_url)
    with database.session() as session:
        [target] = [r.id for r in service.list_recordings(session) if r.customer == "De Vries"]
        lines = service.get_transcript(session, target).segments
    index = next(i for i, s in enumerate(lines) if "thuisbatterij" in s.text)
    corrected = lines[index].text.replace("thuisbatterij", "accupakket")
    real = service.lock_recording
    corrections: list[str] = []

    def corrected_meanwhile(session: Any, recording_id: str) -> None:
        if recording_id == target and not corrections:
            corrections.append(recording_id)  # after reanalyze listed it, before its turn
            with database.session() as other:
                service.correct_lines(other, settings, target, {index: corrected})
        real(session, recording_id)

    monkeypatch.setattr(service, "lock_recording", corrected_meanwhile)
    with database.session() as session:
        assert service.reanalyze(session) == 2
        counted = {
            t.lemma: t.count for t in service.ranked_terms(session, limit=500, recording_id=target)
        }
    assert corrections and counted.get("accupakket") == 1
