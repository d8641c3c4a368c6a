"""A corrected line keeps the timings of the words it leaves alone."""

from __future__ import annotations

from dataclasses import replace

from transcribe.corrections import correct_segment
from transcribe.types import Segment, Transcript, Word


def _heard(*timed: tuple[str, float, float]) -> Segment:
    words = tuple(Word(start, end, f" {w}", 0.6) for w, start, end in timed)
    return Segment(1.0, 4.0, " ".join(w for w, _, _ in timed), "S2", "customer", words)


def test_a_misheard_word_is_replaced_in_its_own_time() -> None:
    line = _heard(
        ("Dat", 1.0, 1.2), ("wordt", 1.2, 1.5), ("cero", 1.5, 1.9), ("prijsgesteld.", 1.9, 2.8)
    )

    fixed = correct_segment(line, "Dat wordt  zeer op prijs gesteld.")

    assert fixed.text == "Dat wordt zeer op prijs gesteld."
    assert [w.word for w in fixed.words] == [
        " Dat",
        " wordt",
        " zeer",
        " op",
        " prijs",
        " gesteld.",
    ]
    assert fixed.words[:2] == line.words[:2]  # untouched: same times, same confidence
    new = fixed.words[2:]
    assert new[0].start == 1.5 and new[-1].end == 2.8  # the span of what they replace
    assert all(a.end == b.start for a, b in zip(new, new[1:], strict=False))
    assert {w.probability for w in new} == {1.0}
    assert [w.heard for w in new] == [None] * 4  # a person's words: not marked as a guess
    assert (fixed.speaker, fixed.role, fixed.start, fixed.end) == ("S2", "customer", 1.0, 4.0)


def test_capitals_and_punctuation_keep_a_words_time_and_added_words_fill_the_gap() -> None:
    line = _heard(("ja", 1.0, 1.3), ("zonnepanelen", 2.0, 2.9))

    fixed = correct_segment(line, "Ja, graag zonnepanelen!")

    ja, graag, panels = fixed.words
    assert (ja.word, ja.start, ja.probability) == (" Ja,", 1.0, 0.6)
    assert (graag.start, graag.end, graag.heard) == (1.3, 2.0, None)  # between its neighbours
    assert (panels.word, panels.start) == (" zonnepanelen!", 2.0)


def test_words_taken_out_go_and_a_line_without_timings_stays_without() -> None:
    line = _heard(("eh", 1.0, 1.1), ("hoeveel", 1.1, 1.6), ("kost", 1.6, 2.0), ("het?", 2.0, 2.3))
    assert [w.word for w in correct_segment(line, "hoeveel kost het?").words] == [
        " hoeveel",
        " kost",
        " het?",
    ]
    bare = Segment(0.0, 2.0, "cero", None, "unknown")
    assert (
        correct_segment(bare, "zeer").words == () and correct_segment(bare, "zeer").text == "zeer"
    )
    assert correct_segment(line, "   ").text == "" and correct_segment(line, "").words == ()


def test_an_unchanged_line_stays_as_it_was_and_a_huge_rewrite_stays_cheap() -> None:
    """Saving without a change moves nothing (nor the words of scripts written without
    spaces); a rewrite of a thousand repetitive words is retimed whole, not compared pair
    by pair (that grew with the square of the words: seconds a line)."""
    cjk = Segment(
        0.0,
        3.0,
        "我们的太阳能板",
        None,
        "unknown",
        (Word(0.0, 1.5, "我们的", 0.7), Word(1.5, 3.0, "太阳能板", 0.8)),
    )
    assert correct_segment(cjk, "我们的太阳能板") is cjk
    words = tuple(Word(i / 10, i / 10 + 0.1, " alt" if i % 2 else " a", 0.5) for i in range(1000))
    long = Segment(0.0, 100.0, " ".join(w.word.strip() for w in words), None, "unknown", words)
    fixed = correct_segment(long, "x " + " ".join(["c", "alt", "a"] * 400))
    assert len(fixed.words) == 1201 and fixed.words[0].start == 0.0 and fixed.words[-1].end == 100.0


def test_a_word_added_where_whisper_left_no_gap_shares_its_neighbours_time() -> None:
    """Speech runs on, so Whisper's words often touch: an added word gets the halves of the
    words around it, not a moment of no length."""
    line = _heard(("Nou", 1.0, 1.4), ("dan", 1.4, 1.8))

    added = correct_segment(line, "Nou, goed dan").words[1]

    assert (added.word, added.start, added.end) == (" goed", 1.2, 1.6)
    assert correct_segment(line, "Nou, goed dan").words[0] == replace(line.words[0], word=" Nou,")


def _conversation() -> Transcript:
    from transcribe.types import Speaker

    lines = (
        Segment(0.0, 2.0, "Goedemiddag, ik kom voor de warmtepomp.", "S1", "salesperson"),
        Segment(2.0, 4.0, "Wat kost dat ongeveer?", "S1", "salesperson"),  # the customer's
        Segment(4.0, 6.0, "Dat hangt af van het huis.", "S1", "salesperson"),
        Segment(6.0, 8.0, "En de subsidie?", "S2", "customer"),
    )
    speakers = (
        Speaker("S1", "salesperson", "Jan", 0.7),
        Speaker("S2", "customer", None, 0.7),
    )
    return Transcript("nl", 8.0, "base", lines, speakers)


def test_a_line_moved_to_another_speaker_takes_that_speakers_role() -> None:
    from transcribe.speakers import move_lines

    moved = move_lines(_conversation(), {1: "S2"})

    assert [(s.speaker, s.role) for s in moved.segments] == [
        ("S1", "salesperson"),
        ("S2", "customer"),
        ("S1", "salesperson"),
        ("S2", "customer"),
    ]
    assert moved.segments[1].text == "Wat kost dat ongeveer?"
    assert moved.speakers == _conversation().speakers  # both still speak: both kept, as were


def test_a_line_given_to_someone_missed_makes_one_new_speaker_and_an_emptied_one_goes() -> None:
    from transcribe.speakers import NEW_SPEAKER, move_lines

    before = _conversation()
    moved = move_lines(before, {3: "S1", 1: NEW_SPEAKER, 2: NEW_SPEAKER}, new_role="customer")

    assert [s.speaker for s in moved.segments] == ["S1", "S3", "S3", "S1"]
    roles = ["salesperson", "customer", "customer", "salesperson"]
    assert [s.role for s in moved.segments] == roles
    assert [(s.id, s.role, s.confidence) for s in moved.speakers] == [
        ("S1", "salesperson", 0.7),
        ("S3", "customer", 1.0),  # a person said so
    ]  # S2 lost its only line: gone, as a merged speaker is


def test_moving_a_line_to_a_speaker_or_line_that_is_not_there_is_refused() -> None:
    import pytest

    from transcribe.speakers import move_lines

    with pytest.raises(ValueError, match="no speaker 'S7'"):
        move_lines(_conversation(), {0: "S7"})
    with pytest.raises(ValueError, match="no line 4"):
        move_lines(_conversation(), {4: "S2"})
    with pytest.raises(ValueError, match="unknown role"):
        move_lines(_conversation(), {0: "new"}, new_role="boss")  # type: ignore[arg-type]


def test_what_a_person_typed_over_is_kept_nowhere() -> None:
    """A phone number replaced by a label is gone from the words too (no `heard`)."""
    said = "Bel me op 06-12345678 meneer"
    line = _heard(*((w, 0.5 * i, 0.5 * i + 0.5) for i, w in enumerate(said.split())))

    fixed = correct_segment(line, "Bel me op [telefoonnummer] meneer")

    assert "06-12345678" not in repr(fixed)
