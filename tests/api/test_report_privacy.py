"""A `report` key's quotes, questions and page suggestions name nobody."""

from __future__ import annotations

from collections import Counter

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
