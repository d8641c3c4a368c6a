"""A `report` key's quotes, questions and page suggestions name nobody."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from analyze.questions import Question, QuestionGroup
from analyze.suggest import PageSuggestions, SuggestedTerm
from analyze.terms import Quote, Term
from api.db import get_database
from api.demo import prepare_demo
from api.report_privacy import without_personal_data
from api.settings import Settings


def test_names_and_contact_details_leave_nested_quotes(settings: Settings) -> None:
    prepare_demo(settings)  # Mark sells to "De Vries" and "Bakker"
    with get_database(settings.sqlalchemy_url).session() as session:
        from api.db import Recording

        ids = {r.customer: r.id for r in session.query(Recording)}
        quote = Quote(
            ids["De Vries"], 1.0, 4.0, "Ik ben Mark, bel 06-12345678 gerust.", "salesperson"
        )
        asked = "Mevrouw De Vries vraagt: wat kost een warmtepomp?"
        question = Question(ids["Bakker"], asked, "customer")
        term = Term("warmtepomp", "warmtepomp", 3, Counter(customer=3), 1.0, ("warmtepomp",),
                    (quote,), 2, 5.0)  # fmt: skip
        suggestions = PageSuggestions(
            "nl", 40, (SuggestedTerm(term, "said often"),), (), 120,
            questions=(QuestionGroup(asked, 1, 1, ("warmtepomp",), (question,)),),
        )  # fmt: skip

        clean = without_personal_data(session, suggestions)

    [said] = clean.missing_terms[0].term.quotes
    assert said.text == "Ik ben [naam], bel [telefoonnummer] gerust."
    assert (said.start, said.role, said.recording_id) == (1.0, "salesperson", "")  # unsaid
    group = clean.questions[0]
    assert (
        group.question == group.quotes[0].text == "Mevrouw [naam] vraagt: wat kost een warmtepomp?"
    )
    assert clean.coverage == 40 and clean.missing_terms[0].term.lemma == "warmtepomp"
    assert suggestions.missing_terms[0].term.quotes[0] is quote  # the original is untouched


def test_an_answer_holds_a_few_quotes_of_any_one_conversation(settings: Settings) -> None:
    """Many terms over five recordings would otherwise hand over one conversation quote
    by quote; the best-ranked terms keep theirs."""
    from api.report_privacy import QUOTES_PER_RECORDING

    prepare_demo(settings)
    with get_database(settings.sqlalchemy_url).session() as session:
        from api.db import Recording

        first = next(iter(session.query(Recording))).id
        terms = [
            Term(f"woord{n}", f"woord{n}", 2, Counter(customer=2), 1.0, (f"woord{n}",),
                 (Quote(first, n, n + 1.0, f"Zin {n}.", "customer"),), 1, 3.0)
            for n in range(10)
        ]  # fmt: skip
        clean = without_personal_data(session, terms)
    assert [len(t.quotes) for t in clean] == [1] * QUOTES_PER_RECORDING + [0] * (
        10 - QUOTES_PER_RECORDING
    )
    assert [t.lemma for t in clean] == [t.lemma for t in terms]  # the terms all stay


def _analysed(settings: Settings, lines: list[tuple[str, str]], day: str, **fields: str) -> str:
    """An analysed recording of `lines` ((role, text)) on `day`, stored as a job stores one."""
    import json
    import uuid
    from datetime import date

    from analyze import count_terms, utterances_from_transcript
    from api import termstore
    from api.db import Recording, Status, utcnow
    from transcribe.types import Segment, Speaker, Transcript

    recording_id = uuid.uuid4().hex
    speaker = {"salesperson": "S1", "customer": "S2"}
    segments = tuple(
        Segment(4.0 * i, 4.0 * i + 4.0, text, speaker[role], role)  # type: ignore[arg-type]
        for i, (role, text) in enumerate(lines)
    )
    speakers = (Speaker("S1", "salesperson"), Speaker("S2", "customer"))
    transcript = Transcript("nl", 4.0 * len(lines), "test", segments, speakers)
    settings.make_data_dir()
    with get_database(settings.sqlalchemy_url).session() as session:
        recording = Recording(
            id=recording_id, title=fields.get("title", "gesprek"), filename="a.wav",
            salesperson=fields.get("salesperson"), customer=fields.get("customer"),
            recorded_at=date.fromisoformat(day), size_bytes=0, duration_s=transcript.duration_s,
            language_requested="nl", language="nl", model="test", status=Status.done,
            progress=1.0, attempts=0, consent=True, consent_at=utcnow(),
            transcript_json=json.dumps(transcript.to_dict(), ensure_ascii=False),
        )  # fmt: skip
        session.add(recording)
        session.flush()
        spoken = utterances_from_transcript(transcript, recording_id)
        people = [n for n in (recording.salesperson, recording.customer) if n]
        termstore.store_analysis(
            session, recording, count_terms(spoken, recording_id, people=people), spoken
        )
        session.commit()
    return recording_id


def _report_key(settings: Settings) -> dict[str, str]:
    from api.auth import create_api_key

    with get_database(settings.sqlalchemy_url).session() as session:
        return {"Authorization": f"Bearer {create_api_key(session, 'cms', 'report')}"}


DIVORCE = [("customer", "Na mijn echtscheiding moet ik de hypotheek alleen betalen.")]
PANELS = [("customer", "Wat kosten zonnepanelen met montage op een plat dak?")]


def test_recordings_without_speech_do_not_make_up_a_reports_minimum(
    api_client: Any, settings: Settings
) -> None:
    """One conversation and four silent clips of one day would hand over that conversation."""
    client, _ = api_client
    _analysed(settings, DIVORCE, "2026-11-01")
    for _ in range(4):
        _analysed(settings, [], "2026-11-01")
    one_day = {"since": "2026-11-01", "until": "2026-11-01"}
    cms = _report_key(settings)

    refused = client.get("/api/v1/terms", params=one_day, headers=cms)

    assert refused.status_code == 403 and refused.json()["code"] == "too_few_recordings"
    assert "covers 1" in refused.json()["detail"]
    for _ in range(4):
        _analysed(settings, PANELS, "2026-11-01")
    assert client.get("/api/v1/terms", params=one_day, headers=cms).status_code == 200


def test_what_rising_terms_compare_with_needs_the_minimum_too(
    api_client: Any, settings: Settings
) -> None:
    """`before` and `ratio` tell, term by term, what the recordings before `since` said:
    one conversation there is singled out as surely as by asking for it."""
    client, _ = api_client
    _analysed(settings, DIVORCE, "2026-10-01")
    for day in range(2, 7):
        _analysed(settings, PANELS, f"2026-11-0{day}")
    cms = _report_key(settings)
    asked = {"since": "2026-11-01"}

    refused = client.get("/api/v1/terms/rising", params=asked, headers=cms)

    assert refused.status_code == 403 and refused.json()["code"] == "too_few_recordings"
    assert client.get("/api/v1/terms", params=asked, headers=cms).status_code == 200
    assert client.get("/api/v1/terms/rising", params=asked).status_code == 200  # a read key


def test_a_report_key_gets_no_name_as_a_term_nor_in_a_quote_of_another_conversation(
    api_client: Any, settings: Settings
) -> None:
    """Customers mention people: "meneer Jansen" (the customer of an earlier visit, outside
    the dates asked), "Karel Appel" (an enrolled voice). Neither may travel to a CMS, as a
    quote or as a ranked term; a read key still sees the words as said."""
    import numpy as np

    from api.voices import save_voice
    from transcribe import VoiceProfile

    client, _ = api_client
    settings.make_data_dir()
    with get_database(settings.sqlalchemy_url).session() as session:
        voice = np.ones(4, dtype=np.float32)
        save_voice(session, VoiceProfile("Karel Appel", voice, "salesperson"))
    _analysed(settings, PANELS, "2026-10-02", customer="Jansen")
    mention = (
        "Onze buurman meneer Jansen heeft een warmtepomp. Karel Appel zei dat de warmtepomp "
        "stil is. Meneer Jansen is tevreden over de warmtepomp van Karel Appel."
    )
    for day in range(3, 8):
        _analysed(settings, [("customer", mention)], f"2026-11-0{day}", customer=f"Klant{day}")
    _analysed(settings, PANELS * 2, "2026-11-08", customer="Dak en Zo")  # a firm, not a word
    asked = {"role": "customer", "since": "2026-11-01", "limit": 100}

    answer = client.get("/api/v1/terms", params=asked, headers=_report_key(settings))

    assert answer.status_code == 200, answer.text
    terms = answer.json()["terms"]
    said = {t["lemma"] for t in terms} | {v for t in terms for v in t["variants"]}
    assert "warmtepomp" in said and "plat dak" in said  # "op een plat dak": a word there
    assert not {w for w in said if "jansen" in w or "appel" in w or "karel" in w}, said
    quotes = [q["text"] for t in terms for q in t["quotes"]]
    assert quotes and not [q for q in quotes if "Jansen" in q or "Appel" in q]
    read = client.get("/api/v1/terms", params=asked).json()["terms"]
    assert any("jansen" in t["lemma"] for t in read)  # the same words, for a read key


def test_a_report_keys_synonym_groups_hold_no_name(
    api_client: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/synonyms groups the top terms; for a report key a name among them ("jansen") is
    dropped before grouping, as /terms drops it. The grouping is faked: which terms reach
    it is what is tested (the real one is tested in tests/analyze)."""
    import numpy as np

    from analyze.synonyms import SynonymGroup
    from api import service

    client, _ = api_client
    _analysed(settings, PANELS, "2026-10-02", customer="Jansen")
    mention = "Onze buurman meneer Jansen heeft een warmtepomp. Meneer Jansen is tevreden."
    for day in range(3, 9):
        _analysed(settings, [("customer", mention)], f"2026-11-0{day}", customer=f"Klant{day}")

    class Flat:
        def encode(self, texts: Any) -> Any:
            return np.ones((len(texts), 2), dtype=np.float32) / np.sqrt(2)

    def grouped(terms: Any, _vectors: Any, **_: Any) -> list[SynonymGroup]:
        assert all(t.quotes for t in terms)  # all of them: they tell a noun from a verb
        named = [t for t in terms if "jansen" in t.lemma]
        other = [t for t in terms if "jansen" not in t.lemma]
        pair = (other[0], named[0]) if named else (other[0], other[1])
        return [SynonymGroup(pair, pair[0], None, 0.9)]

    monkeypatch.setattr(service, "term_embedder", lambda _settings: Flat())
    monkeypatch.setattr(service, "group_synonyms", grouped)

    def members(headers: dict[str, str]) -> list[str]:
        groups = client.get("/api/v1/synonyms", headers=headers).json()["groups"]
        return [m["lemma"] for g in groups for m in g["members"]]

    assert any("jansen" in m for m in members({}))  # a read key: the words as said
    kept = members(_report_key(settings))
    assert len(kept) == 2 and not [m for m in kept if "jansen" in m], kept


def test_a_name_is_no_term_for_a_report_key_where_no_quote_shows_it(settings: Settings) -> None:
    _analysed(settings, PANELS, "2026-11-01", customer="Jansen")
    bare = [
        Term("jansen", "jansen", 3, Counter(customer=3), 1.0, ("jansen",), (), 2, 5.0),
        Term("dak", "dak", 3, Counter(customer=3), 1.0, ("dak",), (), 2, 5.0),
    ]
    with get_database(settings.sqlalchemy_url).session() as session:
        assert [t.lemma for t in without_personal_data(session, bare)] == ["dak"]
