"""Personal data out of transcripts (RIDEALONG_REDACT_PII)."""

from __future__ import annotations

import pytest

from transcribe import redact_text, redact_transcript
from transcribe.types import Segment, Speaker, Transcript, Word


@pytest.mark.parametrize(
    "said, label, kind",
    [
        ("Mail het naar j.devries+offerte@example.nl graag.", "[e-mail]", "email"),
        ("Mijn nummer is 06-12345678.", "[telefoonnummer]", "phone"),
        ("Bel maar 06 12 34 56 78 na vijven.", "[telefoonnummer]", "phone"),
        ("Het vaste nummer is 020 123 4567.", "[telefoonnummer]", "phone"),
        ("Of +31 6 1234 5678, mijn mobiel.", "[telefoonnummer]", "phone"),
        ("Of 0031 20 123 4567 op kantoor.", "[telefoonnummer]", "phone"),
        ("Het rekeningnummer is NL91 ABNA 0417 1643 00.", "[IBAN]", "iban"),
        ("Mijn BSN is 123456782, dat heeft u nodig.", "[BSN]", "bsn"),
        ("Het burgerservicenummer is 123.456.782.", "[BSN]", "bsn"),
        ("Ik woon op 1234 AB 56 in Utrecht.", "[postcode]", "postcode"),
        ("Postcode 3511LX, nummer 12.", "[postcode]", "postcode"),
        ("We zitten op de Kerkstraat 12a.", "[adres]", "address"),
    ],
)
def test_personal_data_is_replaced_by_a_label(said: str, label: str, kind: str) -> None:
    text, redaction = redact_text(said)
    assert label in text, text
    assert redaction.counts[kind] == 1
    for secret in ("devries", "12345678", "34 56 78", "123 4567", "1234 5678", "0417", "AB 56",
                   "3511", "Kerkstraat", "456"):  # fmt: skip
        assert secret not in text


@pytest.mark.parametrize(
    "said",
    [
        "Een thuisbatterij van 10 kWh kost zo'n 7500 euro.",
        "In 2027 stopt de salderingsregeling.",
        "We leggen 12 panelen van 430 Wp op het dak.",
        "Bel me volgende week maar terug.",
        "Dat was in 1995 al zo, en in 2024 ook.",
        "Uw ordernummer is 123456789, die is verzonden.",  # nine digits, but no BSN
        "De woning kostte 450.000 euro, de vorige 385.000.",
    ],
)
def test_ordinary_numbers_stay(said: str) -> None:
    text, redaction = redact_text(said)
    assert text == said and not redaction


def test_known_names_go_and_word_timings_follow() -> None:
    words = (
        Word(0.0, 0.4, " Meneer", 0.9),
        Word(0.4, 0.9, " De", 0.9),
        Word(0.9, 1.3, " Vries,", 0.9),
        Word(1.3, 1.6, " uw", 0.9),
        Word(1.6, 2.0, " nummer", 0.9),
        Word(2.0, 2.5, " 06-12345678", 0.9),
        Word(2.5, 2.9, " klopt?", 0.9),
    )
    segment = Segment(0.0, 2.9, "".join(w.word for w in words).strip(), words=words)
    transcript = Transcript(
        language="nl",
        duration_s=3.0,
        model="test",
        segments=(segment, Segment(3.0, 4.0, "Ja, dat klopt.")),
        speakers=(Speaker("S1", "salesperson", name="Jan Smit"),),
    )
    redacted = redact_transcript(transcript, names=["De Vries"])
    first = redacted.segments[0]
    assert first.text == "Meneer [naam], uw nummer [telefoonnummer] klopt?"
    assert [w.word for w in first.words] == [
        " Meneer",
        " [naam]",
        " uw",
        " nummer",
        " [telefoonnummer]",
        " klopt?",
    ]
    assert (first.words[1].start, first.words[1].end) == (0.4, 1.3)  # "De Vries," as one
    assert redacted.segments[1] == transcript.segments[1]  # untouched
    assert redacted.notes[-1] == "personal data redacted: 1 name, 1 phone"
    unnamed = redact_transcript(transcript).segments[0].text  # names only when known
    assert unnamed == "Meneer De Vries, uw nummer [telefoonnummer] klopt?"


def test_a_name_kept_only_in_a_corrected_words_heard_letters_goes_too() -> None:
    """spelling.py keeps Whisper's letters in `heard`; a name there must not survive."""
    words = (Word(0.0, 0.5, " fijne", 0.9, heard=" Fiene"), Word(0.5, 1.0, " dag.", 0.9))
    segment = Segment(0.0, 1.0, "fijne dag.", words=words)
    transcript = Transcript(language="nl", duration_s=1.0, model="test", segments=(segment,))
    redacted = redact_transcript(transcript, names=["Fiene de Boer"])
    assert [w.heard for w in redacted.segments[0].words] == [None, None]
    assert redacted.segments[0].text == "fijne dag."
    assert any("1 name" in note for note in redacted.notes)


def test_the_note_counts_what_earlier_passes_took_out_too() -> None:
    """A resumed job's finished part was redacted when it was saved; a name given later is
    redacted in a second pass: the transcript keeps one note that covers all of it."""
    earlier = Segment(0.0, 2.0, "Mail naar [e-mail] graag.")  # the saved, redacted part
    later = Segment(2.0, 4.0, "Of bel 06-12345678, vraag naar Karel.")
    once = redact_transcript(Transcript("nl", 4.0, "m", (earlier, later)))
    assert once.notes == ("personal data redacted: 1 email, 1 phone",)
    twice = redact_transcript(once, ["Karel"])
    assert twice.notes == ("personal data redacted: 1 email, 1 name, 1 phone",)
    assert redact_transcript(twice, ["Karel"]) is twice  # nothing more to take out


def test_a_name_typed_in_lower_case_is_found_as_said_and_particles_alone_are_not() -> None:
    """A form holds "de vries"; the transcript says "mevrouw De Vries". "Van harte" is no
    part of "van der Berg"."""
    said = "Goedemiddag mevrouw De Vries. Van harte, zegt meneer Van der Berg."
    text, found = redact_text(said, ["de vries", "van der berg"])
    assert text == "Goedemiddag mevrouw [naam]. Van harte, zegt meneer Van der [naam]."
    assert found.counts["name"] == 2


def test_a_mentioned_name_leaves_and_the_conversations_own_people_stay() -> None:
    """Forgetting Piet Jansen, mentioned in somebody else's call: the whole name goes
    wherever it is said, its parts only after it; the call's own Piet keeps his name."""
    from transcribe import redact_mentions

    lines = (
        Segment(0.0, 4.0, "Ik ben Piet de Boer. Jansen? Nooit van gehoord.", "S1", "salesperson"),
        Segment(4.0, 8.0, "Onze buurman Piet Jansen. Meneer Jansen belde.", "S2", "customer"),
        Segment(8.0, 9.0, "Jansen was tevreden, zei Piet.", "S2", "customer"),
    )
    transcript = Transcript("nl", 9.0, "t", lines, (Speaker("S1", "salesperson", "Piet de Boer"),))

    redacted = redact_mentions(transcript, "Piet Jansen", keep=["Piet de Boer"])

    assert [s.text for s in redacted.segments] == [
        "Ik ben Piet de Boer. Jansen? Nooit van gehoord.",  # before the whole name: kept
        "Onze buurman [naam]. Meneer [naam] belde.",
        "[naam] was tevreden, zei Piet.",  # "Piet" is this call's own salesperson too
    ]
    assert redact_mentions(transcript, "Kees Nergens") is transcript


@pytest.mark.parametrize("typed", ["jan de vries", "JAN DE VRIES", "Jan de Vries"])
def test_a_mentioned_name_is_found_however_it_was_typed(typed: str) -> None:
    from transcribe import redact_mentions

    said = Segment(0.0, 4.0, "Onze buurman Jan de Vries belde. Vries zei nee.", "S2", "customer")
    redacted = redact_mentions(Transcript("nl", 4.0, "t", (said,)), typed)
    assert redacted.segments[0].text == "Onze buurman [naam] belde. [naam] zei nee."
