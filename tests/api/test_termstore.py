"""The SQL term store ranks exactly as the in-memory ranking, and stays right as recordings
come and go."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from analyze import Utterance, count_terms, rank_terms
from api import service, termstore
from api.db import Database, Recording, Status, TermCountRow, TermForm, TermKey, TermTotal
from api.service import RecordingFilter

CALLS = {
    "r1": [
        ("customer", "Wat kost een thuisbatterij eigenlijk? Ik wil een offerte voor zonnepanelen."),
        ("salesperson", "Een thuisbatterij kost ongeveer vijfduizend euro, met installatie."),
        ("customer", "En de terugleverkosten, hoe zit het met salderen na 2027?"),
        ("salesperson", "Salderen stopt, dus een thuisbatterij wordt interessanter."),
    ],
    "r2": [
        ("customer", "Ik twijfel over zonnepanelen op een plat dak."),
        ("salesperson", "Op een plat dak leggen we de zonnepanelen op een frame."),
        ("customer", "Krijg ik een offerte met de terugleverkosten erin?"),
        ("customer", "Mijn buurman heeft een thuisbatterij, is dat slim?"),
    ],
    "r3": [
        ("customer", "De offerte was duidelijk, maar de levertijd van de warmtepomp niet."),
        ("salesperson", "De levertijd van een warmtepomp is nu zes weken."),
        ("customer", "Kan de warmtepomp ook koelen in de zomer?"),
    ],
}


def _utterances(recording_id: str) -> list[Utterance]:
    return [
        Utterance(recording_id, text, role, start=10.0 * i, end=10.0 * i + 8)  # type: ignore[arg-type]
        for i, (role, text) in enumerate(CALLS[recording_id])
    ]


@pytest.fixture
def database(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    db.migrate()
    return db


def _add(database: Database, recording_id: str, **fields) -> None:
    utterances = _utterances(recording_id)
    with database.session.begin() as session:
        recording = Recording(
            id=recording_id,
            title=recording_id,
            filename=f"{recording_id}.wav",
            status=Status.done,
            consent=True,
            **fields,
        )
        session.add(recording)
        session.flush()
        termstore.store_analysis(
            session, recording, count_terms(utterances, recording_id), utterances
        )


def _summary(terms) -> list[tuple]:
    return [
        (t.lemma, t.count, dict(t.count_by_role), t.recordings, round(t.score, 6), t.term)
        for t in terms
    ]


@pytest.mark.parametrize("role", [None, "customer", "salesperson"])
def test_sql_ranking_equals_the_in_memory_ranking(database, role) -> None:
    for recording_id in CALLS:
        _add(database, recording_id)
    in_memory = rank_terms([count_terms(_utterances(r), r) for r in CALLS], role=role, limit=25)
    assert in_memory  # the comparison below means something
    with database.session() as session:
        everything = termstore.ranked_terms(session, None, role=role, limit=25)  # totals
        every_id = select(Recording.id)  # the same recordings, summed by the database
        summed = termstore.ranked_terms(session, every_id, role=role, limit=25)
    assert _summary(everything) == _summary(in_memory)
    assert _summary(summed) == _summary(in_memory)
    quoted = {t.lemma: t.quotes for t in everything}
    for term in in_memory:
        assert quoted[term.lemma], term.lemma  # evidence for every term
        for quote in quoted[term.lemma]:
            assert role is None or quote.role == role
            assert term.term.split()[0][:4] in quote.text.lower()


def test_a_filter_counts_only_its_recordings(database) -> None:
    _add(database, "r1", salesperson="Mark", recorded_at=date(2026, 10, 1))
    _add(database, "r3", salesperson="Ilse", recorded_at=date(2026, 11, 1))
    with database.session() as session:
        marks = service.ranked_terms(
            session, role="customer", recording_filter=RecordingFilter(salesperson="mark")
        )
        november = service.ranked_terms(
            session, recording_filter=RecordingFilter(since=date(2026, 10, 15))
        )
    assert "thuisbatterij" in {t.lemma for t in marks}
    assert "warmtepomp" not in {t.lemma for t in marks}  # only said in Ilse's recording
    assert {q.recording_id for t in november for q in t.quotes} == {"r3"}


def test_roles_spoken_follow_the_recordings_covered(database) -> None:
    CALLS["r4"] = [("unknown", "Een monoloog over de warmtepomp, niemand herkend.")]
    try:
        _add(database, "r1", recorded_at=date(2026, 10, 1))
        _add(database, "r4", recorded_at=date(2026, 11, 1))
    finally:
        del CALLS["r4"]
    october = RecordingFilter(until=date(2026, 10, 15))
    with database.session() as session:
        assert service.roles_spoken(session) == {"customer", "salesperson", "unknown"}
        assert service.roles_spoken(session, october) == {"customer", "salesperson"}
        termstore.forget_analysis(session, "r4")
        assert service.roles_spoken(session) == {"customer", "salesperson"}  # totals too


def test_deleting_and_restoring_keeps_the_totals_exact(database, tmp_path) -> None:
    for recording_id in CALLS:
        _add(database, recording_id)
    with database.session() as session:
        before = _summary(termstore.ranked_terms(session, None, limit=40))
    with database.session() as session:  # analysing a recording again replaces its counts
        recording = session.get(Recording, "r2")
        utterances = _utterances("r2")
        termstore.store_analysis(session, recording, count_terms(utterances, "r2"), utterances)
        session.commit()
        assert _summary(termstore.ranked_terms(session, None, limit=40)) == before
    with database.session() as session:
        from api.storage import LocalBlobStore

        for recording_id in CALLS:
            service.delete_recording(session, LocalBlobStore(tmp_path / "blobs"), recording_id)
        assert termstore.ranked_terms(session, None) == []
        for table in (TermCountRow, TermTotal, TermForm, TermKey):  # no word of them is left
            assert session.scalar(select(func.count()).select_from(table)) == 0, table


def _keys(session) -> set[str]:
    return set(session.scalars(select(TermKey.key)))


def test_a_deleted_recording_takes_only_its_own_words_along(database, tmp_path) -> None:
    from api.storage import LocalBlobStore

    for recording_id in CALLS:
        _add(database, recording_id)
    with database.session() as session:
        assert {"levertijd", "warmtepomp", "offerte"} <= _keys(session)
        before = {
            t.lemma: (t.count, t.recordings)
            for t in termstore.ranked_terms(session, None, limit=200)
        }
        service.delete_recording(session, LocalBlobStore(tmp_path / "blobs"), "r3")
        keys = _keys(session)
        assert "levertijd" not in keys and "warmtepomp" not in keys  # said in r3 only
        assert "offerte" in keys  # r1 and r2 say it too
        forms = set(session.scalars(select(TermForm.surface)))
        assert "levertijd" not in forms and "offerte" in forms
        after = {
            t.lemma: (t.count, t.recordings)
            for t in termstore.ranked_terms(session, None, limit=200)
        }
    assert after["offerte"] == (before["offerte"][0] - 1, before["offerte"][1] - 1)
    assert "warmtepomp" not in after


def test_a_recount_that_drops_a_term_removes_it(database) -> None:
    _add(database, "r3")
    with database.session() as session:
        recording = session.get(Recording, "r3")
        without = [u for u in _utterances("r3") if "levertijd" not in u.text]
        termstore.store_analysis(session, recording, count_terms(without, "r3"), without)
        session.commit()
        keys = _keys(session)
    assert "levertijd" not in keys and "koelen" in keys


def test_recordings_analysed_before_the_store_are_stored_on_start(database) -> None:
    _add(database, "r1")
    with database.session.begin() as session:  # as an older version left it
        termstore.forget_analysis(session, "r1")
        recording = session.get(Recording, "r1")
        recording.transcript_json = json.dumps(
            {
                "language": "nl",
                "duration_s": 40.0,
                "segments": [
                    {"start": u.start, "end": u.end, "text": u.text, "role": u.role}
                    for u in _utterances("r1")
                ],
            }
        )
    with database.session() as session:
        assert termstore.ranked_terms(session, None) == []
        assert termstore.store_missing(session) == 1
        assert "thuisbatterij" in {t.lemma for t in termstore.ranked_terms(session, None)}
        assert termstore.store_missing(session) == 0  # once


def test_every_ranked_term_explains_its_score(database) -> None:
    for recording_id in CALLS:
        _add(database, recording_id)
    with database.session() as session:
        terms = termstore.ranked_terms(session, None, role="customer")
    by_lemma = {t.lemma: t for t in terms}
    why = by_lemma["thuisbatterij"].why
    assert "said 2× by customers in 2 recordings" in why
    assert "more common here than in general Dutch" in why


def test_monthly_trend_per_thousand_words_with_empty_months(database) -> None:
    _add(database, "r1", recorded_at=date(2026, 8, 20))
    _add(database, "r2", recorded_at=date(2026, 10, 3))
    with database.session() as session:
        trend = termstore.monthly_trend(session, None, "customer", ["thuisbatterij", "plat dak"])
    assert trend.months == ("2026-08", "2026-09", "2026-10")
    assert trend.words[1] == 0 and trend.words[0] > 0 and trend.words[2] > 0
    battery = trend.rates["thuisbatterij"]
    assert battery[0] == round(1000 * 1 / trend.words[0], 2)  # once by the August customer
    assert battery[1] == 0.0
    assert trend.rates["plat dak"][0] == 0.0 and trend.rates["plat dak"][2] > 0


def test_report_page_draws_the_trend(tmp_path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.db import get_database
    from api.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    settings.data_dir.mkdir(parents=True)
    database = get_database(settings.sqlalchemy_url)
    _add(database, "r1", recorded_at=date(2026, 8, 20))
    _add(database, "r2", recorded_at=date(2026, 10, 3))
    with TestClient(create_app(settings, start_worker=False)) as client:
        page = client.get("/report", params={"role": "customer"}).text
        single = client.get("/report", params={"since": "2026-10-01"}).text
    assert "Aug 2026 to Oct 2026" in page and page.count("<polyline") >= 2
    assert "thuisbatterij per month:" in page
    assert "<polyline" not in single and "spans two months" in single


def test_a_term_the_salesperson_said_first_keeps_the_customers_quote(database) -> None:
    """Quotes are kept per role: three of the salesperson's mentions first must not leave
    the customer's side of the report without evidence."""
    said = [("salesperson", f"De panelen van type {n} leveren veel op.") for n in "ABC"]
    said.append(("customer", "Geeft de boom schaduw op twee panelen?"))
    utterances = [
        Utterance("r9", text, role, start=5.0 * i, end=5.0 * i + 4)  # type: ignore[arg-type]
        for i, (role, text) in enumerate(said)
    ]
    with database.session.begin() as session:
        recording = Recording(
            id="r9", title="r9", filename="r9.wav", status=Status.done, consent=True
        )
        session.add(recording)
        session.flush()
        termstore.store_analysis(session, recording, count_terms(utterances, "r9"), utterances)
    with database.session() as session:
        customers = {t.lemma: t for t in termstore.ranked_terms(session, None, role="customer")}
    [quote] = customers["paneel"].quotes
    assert quote.role == "customer" and "boom schaduw" in quote.text


def test_reanalysing_sets_a_known_terms_general_frequency_again(database) -> None:
    """An upgrade that changed how a term's general frequency is set (a conversation in two
    languages sets it against both) reaches terms stored before: a full `reanalyze` sets it
    again, so the database ranks as the analysis does."""
    lines = [
        ("customer", "I just moved here for work and I like to train before work."),
        ("customer", "How much is the membership, and is there a sign-up fee?"),
        ("customer", "Can I cancel the membership if I get relocated?"),
        ("klant", "Kunnen we ook samen een abonnement nemen met korting?"),
        ("klant", "Dan nemen we allebei een handdoek mee."),
    ]
    from analyze import utterances_from_text

    said = utterances_from_text("\n".join(f"[{r}] {t}" for r, t in lines), "gym", "en")
    analysed = count_terms(said, "gym")
    with database.session.begin() as session:
        recording = Recording(id="gym", title="gym", filename="gym.wav", status=Status.done)
        session.add(recording)
        session.flush()
        termstore.store_analysis(session, recording, analysed, said)
        stored = session.scalars(select(TermKey).where(TermKey.key == "nemen")).one()
        right = stored.general
        stored.general = 1e-8  # as the analysis before set it: against English alone
    for refreshed, expected in ((None, 1e-8), (set(), right)):
        with database.session.begin() as session:
            recording = session.get(Recording, "gym")
            termstore.store_analysis(session, recording, analysed, said, refreshed=refreshed)
        with database.session() as session:
            general = session.scalars(select(TermKey.general).where(TermKey.key == "nemen"))
            assert general.one() == pytest.approx(expected)
    in_memory = rank_terms([analysed], role="customer", limit=20)
    with database.session() as session:
        stored_rank = termstore.ranked_terms(session, None, role="customer", limit=20)
    assert _summary(stored_rank) == _summary(in_memory)
    assert right > 1e-6  # the Dutch verb's share in Dutch, halved: no brand-name rarity
