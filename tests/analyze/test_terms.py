import pytest

from analyze import (
    Utterance,
    count_terms,
    rank_terms,
    tokenize,
    utterances_from_text,
    utterances_from_transcript,
)
from transcribe.types import Segment, Transcript


def _fixed_frequency(word: str, language: str) -> float:
    return 1e-5  # every word equally common, so ranking follows counts


def _rank(utterances, **kwargs):
    return rank_terms([count_terms(utterances, "r1")], frequency=_fixed_frequency, **kwargs)


def test_plural_and_singular_are_one_term() -> None:
    utts = [
        Utterance("r1", "Ik wil graag twee offertes voor zonnepanelen."),
        Utterance("r1", "Stuur mij een offerte voor één zonnepaneel."),
    ]
    terms = {t.lemma: t for t in _rank(utts)}
    assert terms["offerte"].count == 2
    assert set(terms["offerte"].variants) == {"offertes", "offerte"}
    assert terms["zonnepaneel"].count == 2


def test_fillers_stop_words_and_numbers_are_never_terms() -> None:
    utts = [
        Utterance("r1", "Eh, uhm, nou ja, zeg maar, oké, gewoon vijfenvijftig euro, 12 panelen hè.")
    ] * 3
    lemmas = {t.lemma for t in _rank(utts)}
    assert lemmas  # something is left ...
    assert lemmas.isdisjoint(
        {
            "eh",
            "uhm",
            "nou",
            "ja",
            "zeg",
            "maar",
            "oké",
            "gewoon",
            "hè",
            "vijfenvijftig",
            "12",
            "zeg maar",
        }
    )
    assert "paneel" in lemmas


def test_greetings_that_open_and_close_a_call_are_not_terms() -> None:
    utts = [
        Utterance("r1", "Goedemiddag, met Mark. Goedemorgen! Dank u wel, tot ziens en fijne dag."),
        Utterance("r1", "Hoi, alstublieft, de thuisbatterij."),
        Utterance("r1", "Good morning, thank you, goodbye.", language="en"),
    ] * 3
    lemmas = {t.lemma for t in _rank(utts)}
    assert "thuisbatterij" in lemmas
    times = [Utterance("r1", "In de middag en de avond, morgen komt de monteur. Goede morgen!")] * 3
    times.append(Utterance("r1", "Most power in the evening: the evening peak.", language="en"))
    kept = {t.lemma for t in _rank(times)}
    assert {"middag", "avond", "evening"} <= kept  # times of day are words, not greetings
    assert "goede morgen" not in kept
    assert not {"goedemiddag", "goedemorgen", "dank", "ziens", "tot ziens", "dag", "hoi",
                "alstublieft", "morning", "good morning", "goodbye", "thank"} & lemmas  # fmt: skip


def test_english_fillers_are_dropped() -> None:
    tokens = tokenize("So, you know, I mean the pricing, like, really matters", "en")
    assert [t.lemma for t in tokens if t.lemma] == ["pricing", "matter"]


def test_counts_per_role_and_role_filter() -> None:
    utts = [
        Utterance("r1", "Wat is de terugverdientijd?", "customer", 1.0, 2.5),
        Utterance(
            "r1", "De terugverdientijd is zeven jaar, met onze omvormer.", "salesperson", 3.0, 6.0
        ),
        Utterance("r1", "En de terugverdientijd met een thuisbatterij?", "customer", 7.0, 9.0),
    ]
    everyone = {t.lemma: t for t in _rank(utts)}
    assert everyone["terugverdientijd"].count_by_role == {
        "salesperson": 1,
        "customer": 2,
        "other": 0,
        "unknown": 0,
    }
    customers = {t.lemma for t in _rank(utts, role="customer")}
    assert "terugverdientijd" in customers and "thuisbatterij" in customers
    assert "omvormer" not in customers  # only the salesperson said it


def test_quotes_carry_recording_time_and_text() -> None:
    utts = [Utterance("r1", "Is er subsidie voor een warmtepomp?", "customer", 12.5, 15.0)]
    term = next(t for t in _rank(utts) if t.lemma == "warmtepomp")
    quote = term.quotes[0]
    assert (quote.recording_id, quote.start, quote.end, quote.role) == (
        "r1",
        12.5,
        15.0,
        "customer",
    )
    assert "warmtepomp" in quote.text


def test_word_pairs_said_twice_become_terms() -> None:
    utts = [
        Utterance("r1", "We hebben een plat dak op de uitbouw."),
        Utterance("r1", "Passen er panelen op een plat dak?"),
    ]
    assert "plat dak" in {t.lemma for t in _rank(utts)}


def test_distinctive_words_outrank_everyday_words_of_equal_count() -> None:
    utts = [
        Utterance("r1", "De thuisbatterij en het huis."),
        Utterance("r1", "Een thuisbatterij voor het huis."),
    ]
    ranked = [t.lemma for t in rank_terms([count_terms(utts, "r1")])]  # real wordfreq
    assert ranked.index("thuisbatterij") < ranked.index("huis")


def test_a_word_no_word_list_has_is_explained_as_new_a_name_or_misheard() -> None:
    """Whisper's "prijsgesteld" (for "op prijs gesteld") is in no list: its ratio against
    general Dutch would be a made-up 245,098x, so the explanation says what it may be."""
    utts = [Utterance("r1", "Dat wordt zeer prijsgesteld. De offerte is duidelijk.")]
    why = {t.lemma: t.why for t in rank_terms([count_terms(utts, "r1")])}  # real wordfreq
    assert "not in general Dutch word lists" in why["prijsgesteld"]
    assert "×" not in why["prijsgesteld"].split(";")[1]
    assert "more common here than in general Dutch" in why["offerte"]


@pytest.mark.parametrize(
    ("role", "said"),
    [
        (None, "said 3× in 2 recordings"),  # not "by everyone": everyone did not say it
        ("customer", "said 3× by customers in 2 recordings"),
        ("unknown", "said 3× by speakers without a role in 2 recordings"),
    ],
)
def test_the_explanation_names_who_said_it_and_caps_made_up_ratios(
    role: str | None, said: str
) -> None:
    from analyze.terms import Term, explain_score

    term = Term("offerte", "offerte", 3, {}, 1.0, ("offerte",), (), 2, keyness=3.0)
    assert explain_score(term, role, "nl") == f"{said}; 8× more common here than in general Dutch"
    common = Term("jaar", "jaar", 3, {}, 0.3, ("jaar",), (), 2, keyness=2.33)  # 5x: the floor
    assert explain_score(common, role, "nl") == (
        f"{said}; 5× more common here than in general Dutch, too little to count as "
        "distinctive: it ranks on frequency alone"
    )
    rare = Term("saldering", "saldering", 1, {}, 1.0, ("saldering",), (), 1, keyness=17.9)
    assert explain_score(rare, None, "nl") == (
        "said 1× in 1 recording; over 1,000× more common here than in general Dutch"
    )


def test_text_lines_with_role_tags() -> None:
    utts = utterances_from_text(
        "[customer] Wat kost het?\n\n[salesperson] Niets.\nGewone regel.", "t", "nl"
    )
    assert [(u.role, u.text) for u in utts] == [
        ("customer", "Wat kost het?"),
        ("salesperson", "Niets."),
        ("unknown", "Gewone regel."),
    ]
    assert all(u.start is None for u in utts)


def test_dutch_tags_and_role_labels_are_roles_not_words() -> None:
    utts = utterances_from_text(
        "[klant] Kan de offerte lager?\nVerkoper: Dat kan.\nKlant:\nS2:\n[notitie] Bellen.\n"
        "Let op: geen label.",  # a label with nothing after it says nothing
        "t",
        "nl",
    )
    assert [(u.role, u.text) for u in utts] == [
        ("customer", "Kan de offerte lager?"),
        ("salesperson", "Dat kan."),
        ("unknown", "[notitie] Bellen."),  # an unknown tag stays text
        ("unknown", "Let op: geen label."),
    ]


@pytest.mark.parametrize("roles", [None, {"customer": "klant", "salesperson": "verkoper"}])
def test_ridealongs_own_text_transcript_reads_back_with_its_roles(roles) -> None:
    """`analyze` on the .txt that `transcribe` writes: the speaker labels are roles, and
    neither "salesperson" nor a speaker's name becomes a term."""
    from transcribe.formats import to_txt
    from transcribe.types import Speaker

    transcript = Transcript(
        language="nl",
        duration_s=9.0,
        model="m",
        segments=(
            Segment(0.0, 2.0, "Goedemorgen, ik kom voor de warmtepomp.", "S1", "salesperson"),
            Segment(2.0, 4.0, "Wat kost een warmtepomp?", "S2", "customer"),
            Segment(4.0, 6.0, "Ongeveer achtduizend euro.", "S1", "salesperson"),
            Segment(6.0, 8.0, "Hm.", "S3"),
        ),
        speakers=(Speaker("S1", "salesperson", "Jan Smit"), Speaker("S2", "customer")),
    )
    text = to_txt(transcript, roles)
    assert "Jan Smit, " in text  # the label carries the name
    utts = utterances_from_text(text, "t", "nl")
    assert [(u.role, u.text) for u in utts] == [(s.role, s.text) for s in transcript.segments]


def test_counts_survive_a_round_trip_through_json() -> None:
    from analyze import RecordingTerms

    stats = count_terms([Utterance("r1", "Offertes en offertes", "customer", 0.0, 1.0)], "r1")
    assert RecordingTerms.from_dict(stats.to_dict()) == stats


def test_a_language_without_word_lists_does_not_break_ranking() -> None:
    stats = count_terms([Utterance("r1", "Salve, quid agis offerte", language="la")], "r1")
    assert stats.language == "nl"  # analysed (and stored) as the Dutch fallback
    from analyze import WordfreqFrequency

    assert WordfreqFrequency()("salve", "xx") == 0.0  # wordfreq raises LookupError here
    assert rank_terms([stats])  # no LookupError


def test_english_lines_in_a_dutch_call_are_analysed_as_english() -> None:
    transcript = Transcript(
        "nl",
        20.0,
        "test",
        (
            Segment(0.0, 5.0, "Ik wil graag een offerte voor de nieuwe app.", role="customer"),
            Segment(5.0, 9.0, "I think the price is too high for us.", role="customer"),
        ),
    )
    languages = [u.language for u in utterances_from_transcript(transcript, "r1")]
    assert languages == ["nl", "en"]


def test_pairs_are_noun_phrases_and_single_words_nouns_or_verbs() -> None:
    from analyze.terms import candidate_terms

    _, found = candidate_terms(
        "Maar de salderingsregeling stopt toch? We hebben een plat dak.", "nl"
    )
    keys = {key for key, _ in found}
    assert {"salderingsregeling", "plat dak", "dak"} <= keys
    assert not {k for k in keys if k.startswith("salderingsregeling ")}  # "... stopt": no phrase
    assert "plat" not in keys  # an adjective alone is no term
    _, annul = candidate_terms("Kan ik mijn bestelling annuleren?", "nl")
    assert "annuleren" in {key for key, _ in annul}  # customers' verbs count
    _, price = candidate_terms("Het kost vijftig euro per maand, de kwaliteit van de zaak.", "nl")
    triples = {key for key, _ in price if key.count(" ") == 2}
    assert triples == {"euro per maand"}  # noun, preposition, noun; not across an article
    _, spelled = candidate_terms("zonne-panelen en zonnepanelen", "nl")
    assert [key for key, _ in spelled] == ["zonnepaneel", "zonnepaneel"]  # variants merge


def test_candidates_carry_their_word_class_as_used_there() -> None:
    from analyze.terms import tagged_candidates

    _, found = tagged_candidates("Wat kost een plat dak? Ik wil de kosten weten.", "nl")
    assert [(surface, kind) for _, surface, kind in found] == [
        ("kost", "verb"),  # "wat kost dat": the verb, though "kost" is a noun too
        ("dak", "noun"),
        ("plat dak", "noun"),  # pairs are noun phrases
        ("kosten", "noun"),
    ]


def test_reading_most_said_first_stops_early_with_the_same_result() -> None:
    import random

    from analyze import TermTally, rank_tallies

    rng = random.Random(7)
    tallies = [
        TermTally(f"w{i}", max(1, int(2000 / (i + 1))), {}, 1, 10 ** rng.uniform(-8, -3))
        for i in range(3000)
    ]  # Zipf counts, general frequencies from rare to everyday
    seen = []

    def read(rows):
        for row in rows:
            seen.append(row)
            yield row

    everything = rank_tallies(tallies, 50_000, keep=40)
    early = rank_tallies(read(tallies), 50_000, keep=40, descending_counts=True)
    assert [r.tally.key for r in early] == [r.tally.key for r in everything]
    assert len(seen) < len(tallies) / 2  # the tail was never read


def test_the_names_of_the_people_in_the_call_are_not_terms() -> None:
    """Names are counted as they were said: "Vries" even lemmatises to "vriezen"."""
    utts = [
        Utterance("r1", "Goedemiddag mevrouw De Vries, ik ben Mark van Zonnig Dak.", "salesperson"),
        Utterance("r1", "Dag Mark. Mevrouw De Vries zegt: de thuisbatterij is duur.", "customer"),
    ]

    def said(people: list[str]) -> set[str]:
        found = count_terms(utts, "r1", people=people).terms
        return {word for t in found for surface in t.surface_counts for word in surface.split()}

    assert "vries" in said([])  # counted when nobody is named …
    assert "mark" not in said([])  # … unless the call names them: "ik ben Mark"
    named = said(["Fam. De Vries", "Mark"])
    assert not {"vries", "mark"} & named
    assert {"thuisbatterij", "zonnig", "dak"} <= named  # the rest stays, brand names too
    # A company name of common words takes only the name, not the words said as words.
    company = [Utterance("r1", "Wij willen energie besparen, zegt Energie Direct.", "customer")]
    kept = count_terms(company, "r1", people=["Energie Direct B.V."]).terms
    assert [t.key for t in kept if "energie" in t.key] == ["energie"]
    assert sum(t.count_by_role["customer"] for t in kept if t.key == "energie") == 1


def test_a_noun_shaped_like_a_participle_is_a_noun_after_a_determiner() -> None:
    """HanTa tags "geluid" (sound) a verb at the end of "veel geluid?"; near-synonyms then
    paired it with the verb "hoort". A real participle stays a verb."""
    from analyze.synonyms import _classes_in

    assert _classes_in("En maakt zo'n warmtepomp veel geluid?", "nl")["geluid"] == {"noun": 1}
    assert _classes_in("Ik heb veel gelezen.", "nl")["lezen"] == {"verb": 1}
    assert _classes_in("Het is een veel gelezen boek.", "nl")["lezen"] == {"verb": 1}
    for infinitive, said in (
        ("besparen", "U kunt veel besparen."),
        ("betalen", "U gaat minder betalen."),
    ):
        assert _classes_in(said, "nl")[infinitive] == {"verb": 1}, said
    from analyze.terms import candidate_terms

    terms = {key for key, _ in candidate_terms("U kunt meer besparen met zonnepanelen.", "nl")[1]}
    assert "besparen met zonnepaneel" not in terms  # no phrase made of a verb


def test_redaction_labels_are_no_terms_nor_parts_of_one() -> None:
    """A name or number taken out ("[naam]") must not become the term "naam", growing with
    every erased name, nor pair with the word beside it."""
    from analyze.terms import candidate_terms

    _, found = candidate_terms(
        "Dus [naam] vroeg naar de [naam] thuisbatterij, bel [telefoonnummer].", "nl"
    )
    keys = {key for key, _ in found}
    assert "thuisbatterij" in keys
    assert not any("naam" in key or "telefoonnummer" in key for key in keys)


def test_a_full_stop_left_on_a_word_is_no_part_of_the_term() -> None:
    """spaCy leaves the full stop on "VvE." (and on a word after it): one term, said three
    times, and no stop word ("dat.") as a term."""
    said = [
        Utterance("r", "Moet de VvE. toestemming geven?", "customer", 0.0, 1.0),
        Utterance("r", "De VvE moet dat goedkeuren, zegt de VvE. Klopt dat.", "customer", 1.0, 2.0),
    ]
    terms = {t.lemma: t for t in rank_terms([count_terms(said, "r")], role="customer")}
    assert terms["vve"].count == 3 and terms["vve"].variants == ("vve",)
    assert not [key for key in terms if not key.replace(" ", "").isalnum()], list(terms)


def test_laughter_sighs_and_backchannels_are_no_terms() -> None:
    said = [Utterance("r", "Haha, ja klopt. Pff, tja, die energierekening hè.", "customer")] * 3
    terms = [t.lemma for t in rank_terms([count_terms(said, "r")], role="customer")]
    assert terms == ["energierekening"]


def test_a_compound_no_word_list_has_is_explained_as_one() -> None:
    """Dutch writes new compounds as one word ("buitenunit"): the reason says so, rather
    than "a new word, a name, or misheard"."""
    from analyze.terms import compound_parts

    said = [Utterance("r", "De buitenunit maakt herrie, die buitenunit.", "customer")]
    (unit,) = [t for t in rank_terms([count_terms(said, "r")]) if t.lemma == "buitenunit"]
    assert unit.unlisted and "a compound of buiten + unit" in unit.why
    assert compound_parts("verwarmingsketel", "nl") == ("verwarming", "ketel")  # linking s
    assert compound_parts("qxvbrtlm", "nl") is None


def test_a_words_lemma_follows_its_class_in_the_sentence() -> None:
    """Without context the lemmatiser makes the noun "stroom" a verb ("stromen") and the
    verb "aanvragen" a noun ("aanvraag"); the tagger's reading in the sentence decides."""
    from analyze.terms import tagged_candidates

    said = "Wij willen minder stroom van het net en een tuin. Moet ik die subsidie aanvragen?"
    keys = {key for key, _, _ in tagged_candidates(said, "nl")[1]}
    assert {"stroom", "tuin", "aanvragen"} <= keys, keys
    assert not {"stromen", "tuinen", "aanvraag"} & keys
    past = {key for key, _, _ in tagged_candidates("Wij betaalden de monteur.", "nl")[1]}
    assert "betalen" in past  # a lemma that is an infinitive stays
    plural = {key for key, _, _ in tagged_candidates("Nieuwe keukens en kussens.", "nl")[1]}
    assert {"keuken", "kussen"} <= plural, plural  # a plural that starts with its lemma


def test_a_long_line_is_quoted_by_the_sentence_that_says_the_term() -> None:
    """A 26-second line: the quote for "vastrecht" is its sentence, playing from when it
    was said, not the whole line from its start."""
    from transcribe.types import Word

    said = (
        "Nou, we hebben het even over de verwarming gehad. Dat was een lang verhaal. "
        "En dan betaal je toch nog vastrecht voor de gasaansluiting?"
    )
    words = tuple(
        Word(8.0 + 1.2 * i, 8.0 + 1.2 * i + 1.0, f" {w}", 0.9) for i, w in enumerate(said.split())
    )
    line = Segment(8.0, 8.0 + 1.2 * len(words), said, "S2", "customer", words)
    utterances = utterances_from_transcript(Transcript("nl", 40.0, "t", (line,)), "r")
    assert len(utterances) == 3
    terms = {t.lemma: t for t in rank_terms([count_terms(utterances, "r")])}
    (quote,) = terms["vastrecht"].quotes
    assert quote.text == "En dan betaal je toch nog vastrecht voor de gasaansluiting?"
    assert quote.start == words[said.split().index("En")].start > 20.0
    short = Segment(0.0, 5.0, "Kort. Twee zinnen.", "S2", "customer", words[:3])
    assert len(utterances_from_transcript(Transcript("nl", 5.0, "t", (short,)), "r")) == 1


def test_amounts_whisper_writes_with_a_euro_sign_count_as_said() -> None:
    """Whisper may write "€50 per maand" for "vijftig euro per maand": the same term, and
    the quote as written."""
    said = [
        Utterance("r", "Dat kost €50 per maand.", "customer"),
        Utterance("r", "Of 60 euro per maand?", "customer"),
    ]
    terms = {t.lemma: t for t in rank_terms([count_terms(said, "r")], role="customer")}
    assert terms["euro per maand"].count == 2
    assert "Dat kost €50 per maand." in [q.text for q in terms["euro per maand"].quotes]


def test_regional_function_words_backchannels_and_placeholders_are_never_terms() -> None:
    """Whisper writes speech as heard: "nie", "da's", "jao" are "niet", "dat is", "ja";
    "top", "nice", "jessus" are reactions; "ding" stands for what was said before."""
    utts = [
        Utterance("r1", "Let nie op den bende, da's eerlijk. Jao, kom binnen.", "customer"),
        Utterance(
            "r1", "Oké, top. Een dashboard, nice. Jessus, zo'n ding voor de keuken.", "customer"
        ),  # fmt: skip
    ] * 3
    lemmas = {t.lemma for t in _rank(utts)}
    assert {"bende", "dashboard", "keuken"} <= lemmas
    assert lemmas.isdisjoint({"nie", "den", "da's", "jao", "top", "nice", "jessus", "ding"})


def test_names_people_give_each_other_in_the_call_are_no_terms() -> None:
    """A couple, or a mother and daughter, name each other: introduced ("ik ben Marion")
    or addressed ("Mark, wat vind jij?"); nobody typed those names. A brand said last in
    a sentence to nobody stays ("…, Daikin.")."""
    from analyze.terms import names_said

    said = [
        Utterance("r1", "Ja hoi, ik ben Marion. Mam, rustig.", "customer"),
        Utterance("r1", "Mark, wat vind jij van de keuken?", "customer"),
        Utterance("r1", "Dank je wel, Sanne. Een mooie warmtepomp, Daikin.", "customer"),
    ]
    assert names_said(said) == ["Marion", "Mark", "Sanne"]
    fronted = [Utterance("r1", "Thuisbatterij, hebben jullie daar ervaring mee?", "customer")]
    assert names_said(fronted) == []  # a topic put first, not a person addressed
    lemmas = {t.lemma for t in _rank(said * 3)}
    assert {"keuken", "daikin"} <= lemmas
    assert lemmas.isdisjoint({"marion", "mark", "sanne", "mam"})


def test_a_line_of_notes_clearly_in_the_other_language_is_read_in_it() -> None:
    """A code-switched call written down: the English customer's lines are English (their
    stop words go), as a transcript's lines are."""
    utts = utterances_from_text(
        "[klant] Kunnen we ook een duo-abonnement nemen?\n"
        "[customer] Is there a sign-up fee for the two of us?",
        "r1",
        "nl",
    )
    assert [u.language for u in utts] == ["nl", "en"]


def test_a_conversation_in_two_languages_is_set_against_both() -> None:
    """An expat's gym visit, mostly English: the Dutch "nemen" is an everyday verb in Dutch
    and no rarer for being said between English lines; set against English alone it looked
    as rare as a brand name and topped the customer's words."""
    lines = [
        "[customer] I just moved here for work and I like to train before work.",
        "[customer] Is the gym open in the weekend, and is there a sauna?",
        "[customer] How much is the membership, and is there a sign-up fee?",
        "[customer] Can I cancel the membership if I get relocated?",
        "[klant] Kunnen we ook samen een abonnement nemen met korting?",
        "[klant] Dan nemen we allebei een handdoek mee.",
    ]
    stats = count_terms(utterances_from_text("\n".join(lines), "r1", "en"), "r1")
    assert set(stats.words_by_language) == {"nl", "en"}
    assert stats.language == "en"
    keyness = {t.lemma: t.keyness for t in rank_terms([stats], role="customer", limit=50)}
    assert keyness["nemen"] < keyness["handdoek"]  # both said in Dutch lines
    assert keyness["nemen"] < keyness["membership"] - 2  # said as often, far less common

    one_language = type(stats).from_dict({**stats.to_dict(), "words_by_language": {}})
    old = {t.lemma: t.keyness for t in rank_terms([one_language], role="customer", limit=50)}
    assert old["nemen"] > old["membership"]  # the fault this guards against


def test_a_plainly_english_line_is_english_though_its_window_was_detected_dutch() -> None:
    """Per-window language detection names every segment's language; a line of a Dutch
    window can still be plainly English, and its "the" and "and" are no terms."""
    transcript = Transcript(
        "nl",
        20.0,
        "test",
        (
            Segment(
                0.0, 5.0, "Wij willen graag een nieuwe keuken.", role="customer", language="nl"
            ),
            Segment(
                5.0,
                9.0,
                "We would like an induction hob and a quooker tap in the kitchen island.",
                role="customer",
                language="nl",
            ),
        ),
    )
    utterances = utterances_from_transcript(transcript, "r1")
    assert [u.language for u in utterances] == ["nl", "en"]
    lemmas = {t.lemma for t in rank_terms([count_terms(utterances, "r1")], limit=50)}
    assert {"keuken", "quooker"} <= lemmas
    assert not lemmas & {"the", "and", "the kitchen"}


def test_function_words_of_the_other_language_in_a_mixed_line_are_no_terms() -> None:
    lemmas = {
        t.lemma
        for t in _rank(
            [
                Utterance("r1", "Hebben jullie de premium package with the extra garantie?"),
                Utterance("r1", "Oké, so the price is inclusief btw, ja?", language="en"),
                Utterance("r1", "Kunnen we een call plannen over de matzwarte front?"),
            ],
            limit=50,
        )
    }
    assert {"package", "garantie", "btw", "call", "front"} <= lemmas  # words of both stay
    assert not lemmas & {"with", "the", "with the", "so", "ja", "oké"}


@pytest.mark.parametrize("code", ["NL", "nl-BE", "nl_NL", "af", "de", None])
def test_a_language_code_is_read_as_the_language_analysed(code) -> None:
    """Whisper's "af" for Flemish or a region code must not switch off the Dutch rules
    (tagger, word classes, English lines read as English)."""
    utterance = Utterance("r1", "Wij willen graag een offerte.", language=code)
    assert utterance.language == "nl"
    transcript = Transcript(
        code,
        9.0,
        "test",
        (Segment(0.0, 4.0, "We would like a quote for the new kitchen.", language=code),),
    )
    assert [u.language for u in utterances_from_transcript(transcript, "r1")] == ["en"]


def test_an_english_compound_written_apart_is_one_term_not_its_inner_pairs() -> None:
    """English writes "air source heat pump" as four words: the run is the term, and
    pairs said only inside runs ("source heat", also in "ground source heat exchanger")
    are none; a verb the tagger takes for a noun does not shift the run ("… pump costs")."""
    call = [
        Utterance("r1", "What does the air source heat pump cost?", "customer", language="en"),
        Utterance("r1", "The air source heat pump costs what?", "customer", language="en"),
        Utterance("r1", "Or a ground source heat exchanger?", "customer", language="en"),
        Utterance("r1", "A ground source heat exchanger is quiet.", "customer", language="en"),
        Utterance("r1", "Our old gas boiler is broken, the gas boiler leaks.", "customer",
                  language="en"),
    ]  # fmt: skip
    lemmas = [t.lemma for t in rank_terms([count_terms(call, "r1")], limit=20)]
    assert {"air source heat pump", "ground source heat exchanger", "gas boiler"} <= set(lemmas)
    assert not {"source heat", "air source", "ground source", "old gas boiler"} & set(lemmas)
    assert not [lemma for lemma in lemmas if lemma.startswith("source heat pump")]


def test_a_word_that_only_looks_like_the_other_languages_function_word_stays() -> None:
    """ "heel" is Dutch for "very", and a shoe's heel; "kunde" Dutch's expertise: alone in a
    line, they are words of that line's language."""
    from analyze.text import tokenize

    said = {t.lemma for t in tokenize("Can you fix the heel of this boot?", "en")}
    assert "heel" in said
    assert "kunde" in {t.lemma for t in tokenize("Het gaat om kennis en kunde.", "nl")}


def test_a_word_said_only_inside_ranked_phrases_gives_way_to_them() -> None:
    """ "pay" said in "holiday pay" and in "sick pay": the phrases are the terms, as a
    phrase said only inside longer ones gives way (their counts add up)."""
    said = [
        "How do you work out holiday pay?",
        "And holiday pay for the irregular hours people?",
        "What about sick pay?",
        "Is sick pay in the monthly fee?",
    ]
    spoken = [Utterance("r1", line, "customer", language="en") for line in said]
    ranked = {t.lemma for t in rank_terms([count_terms(spoken, "r1")], role="customer")}
    assert {"holiday pay", "sick pay"} <= ranked
    assert "pay" not in ranked


def test_a_phrase_inside_a_longer_one_holds_the_same_uses() -> None:
    """ "heat pump" and "air source heat pump" hold the same uses of "pump": 6, not 10, of
    its 10; "pump" said alone 4 times stays."""
    from analyze.terms import Term, drop_covered_words

    def term(lemma: str, count: int) -> Term:
        return Term(lemma, lemma, count, {"customer": count}, 1.0, (), (), 1, 1.0)

    kept = drop_covered_words([term("pump", 10), term("heat pump", 6),
                               term("air source heat pump", 4)])  # fmt: skip
    assert [t.lemma for t in kept] == ["pump", "heat pump", "air source heat pump"]
