"""Names mentioned in passing, Dutch verb forms the lemmatiser does not know, present
participles before nouns, interjections, and line breaks in page copy: the analysis of
words, each measured on the second held-out set (bench/heldout2, docs/benchmarks.md)."""

import pytest

from analyze import count_terms, rank_terms
from analyze.names import names_mentioned
from analyze.terms import Utterance, dutch_infinitive, tagged_candidates
from analyze.text import is_stop


def _customer_terms(*lines: str, language: str = "nl") -> set[str]:
    spoken = [Utterance("r", line, "customer", language=language) for line in lines]
    return {t.lemma for t in rank_terms([count_terms(spoken, "r")], role="customer", limit=50)}


def test_people_and_places_named_inside_a_sentence_are_found() -> None:
    said = [
        "Dat moet ik nog met Sanne overleggen.",
        "Payroll is done by Helen in finance.",
        "Wij huren nu een appartement in Utrecht.",
        "Mijn schoonvader, Henk Visser, zegt dat ook.",
        "Ik sprak gisteren Mark van den Berg.",
    ]
    assert names_mentioned(said) == ["Sanne", "Helen", "Utrecht", "Henk Visser",
                                     "Mark van den Berg"]  # fmt: skip


@pytest.mark.parametrize(
    "sentence",
    [
        "Sanne zegt dat de auto te duur is.",  # a sentence's first word: its capital says nothing
        "We willen eigenlijk een Mercedes.",  # after an article: a thing
        "Ze heeft het met veel fleur gedaan.",  # lower case: a word
    ],
)
def test_words_that_are_not_taken_for_names(sentence: str) -> None:
    assert names_mentioned([sentence]) == []


def test_a_name_mentioned_in_passing_is_no_customer_term() -> None:
    terms = _customer_terms(
        "Dat moet ik nog met Sanne overleggen, over die private lease.",
        "Sanne rijdt nu een oude Corsa, en de private lease loopt bij Sanne af.",
    )
    assert "private lease" in terms
    assert "sanne" not in terms


@pytest.mark.parametrize(
    ("said", "infinitive"),
    [
        ("kwijtraak", "kwijtraken"),  # a long vowel written single before -en
        ("doorboort", "doorboren"),  # and the -t of "hij doorboort"
        ("terugbel", "terugbellen"),  # a short vowel: the consonant doubled
        ("doorleef", "doorleven"),  # f becomes v
        ("herlees", "herlezen"),  # s becomes z
        ("aansnij", "aansnijden"),  # the d that falls off
        ("overga", "overgaan"),
        ("terugverdient", "terugverdienen"),
        ("aanbesteedt", "aanbesteden"),  # the d is the stem's, the t the ending
        ("xqzv", None),  # no verb wordfreq knows
        # a word in use as it is stays itself, whatever the tagger says
        ("staat", None),
        ("hor", None),
        ("vraag", None),
    ],
)
def test_dutch_infinitives_by_spelling_rules(said: str, infinitive: str | None) -> None:
    assert dutch_infinitive(said) == infinitive


def test_a_verb_form_the_lemmatiser_does_not_know_counts_as_its_infinitive() -> None:
    found = {key for key, _, _ in tagged_candidates("Wat als ik m'n baan kwijtraak?", "nl")[1]}
    assert "kwijtraken" in found and "kwijtraak" not in found


def test_a_present_participle_before_a_noun_describes_it() -> None:
    found = tagged_candidates("Hebben jullie een aanvullende verzekering?", "nl")[1]
    assert ("aanvullend verzekering", "aanvullende verzekering", "noun") in found
    assert not any(key == "aanvullende" for key, _, _ in found)


@pytest.mark.parametrize(
    ("word", "language"), [("oef", "nl"), ("allez", "nl"), ("oei", "nl"), ("wow", "en")]
)
def test_interjections_are_no_terms(word: str, language: str) -> None:
    assert is_stop(word, language)


def test_ai_stays_a_term() -> None:
    assert not is_stop("AI", "nl") and not is_stop("AI", "en")


def test_a_line_break_ends_a_phrase() -> None:
    """A page's heading and the paragraph under it make no word pair."""
    heading_then_text = "Software for growing UK businesses\nPayloop brings payroll together"
    found = {key for key, _, _ in tagged_candidates(heading_then_text, "en")[1]}
    assert "uk business" in found and "business payloop" not in found


def test_a_lemma_nobody_writes_gives_way_to_the_word_said() -> None:
    """The lemmatiser makes "growing" "growe"; people write "growing"."""
    found = {key for key, _, _ in tagged_candidates("Software for growing companies", "en")[1]}
    assert "growe company" not in found and "growing company" in found
