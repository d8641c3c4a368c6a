import json

import pytest

from transcribe.formats import render, to_srt, to_txt, to_vtt
from transcribe.types import Segment, Speaker, Transcript, Word


def _transcript() -> Transcript:
    return Transcript(
        language="nl",
        duration_s=3725.5,
        model="whisper-base",
        segments=(
            Segment(
                0.0,
                2.5,
                "Wat kost een offerte?",
                "S2",
                "customer",
                (Word(0.0, 0.4, " Wat", 0.9), Word(0.4, 0.9, " kost", 0.8)),
            ),
            Segment(3723.25, 3725.0, "Niets --> gratis.", "S1", "salesperson"),
        ),
        speakers=(Speaker("S1", "salesperson"), Speaker("S2", "customer")),
    )


def test_json_round_trip_keeps_every_field() -> None:
    original = _transcript()
    data = json.loads(render(original, "json"))
    assert set(data) >= {"language", "duration_s", "model", "segments", "speakers"}
    assert set(data["segments"][0]) >= {"start", "end", "text", "speaker", "role", "words"}
    assert set(data["segments"][0]["words"][0]) == {"start", "end", "word", "probability"}
    assert Transcript.from_dict(data) == original


def test_srt_and_vtt_have_timestamps_and_speakers() -> None:
    srt = to_srt(_transcript())
    assert "1\n00:00:00,000 --> 00:00:02,500\nCustomer (S2): Wat kost een offerte?" in srt
    assert "2\n01:02:03,250 --> 01:02:05,000" in srt
    vtt = to_vtt(_transcript())
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:02.500\n<v customer>Wat kost")
    assert "-->" not in vtt.split("\n")[-2]  # an arrow inside text cannot break a cue
    assert to_txt(_transcript()).splitlines()[0] == "Customer (S2): Wat kost een offerte?"


def test_text_formats_say_the_roles_in_the_words_given() -> None:
    dutch = {"customer": "klant", "salesperson": "verkoper"}
    assert to_txt(_transcript(), dutch).splitlines()[0] == "Klant (S2): Wat kost een offerte?"
    assert "Verkoper (S1): Niets" in render(_transcript(), "srt", dutch)
    assert "<v klant>Wat kost" in to_vtt(_transcript(), dutch)
    assert json.loads(render(_transcript(), "json", dutch))["speakers"][0]["role"] == "salesperson"


def test_vtt_escapes_markup_in_names_and_text() -> None:
    t = Transcript(
        "nl",
        2.0,
        "m",
        (Segment(0, 2, "Prijs <1000 & R&D\n\nklaar", "S1", "customer"),),
        (Speaker("S1", "customer", "Fam. <Smit>\n\n& Zn"),),
    )
    cue = to_vtt(t).split("\n\n", 1)[1]
    assert cue.splitlines()[1] == (
        "<v Fam. &lt;Smit&gt; &amp; Zn, customer>Prijs &lt;1000 &amp; R&amp;D klaar"
    )


def test_unknown_speakers_print_plain_text() -> None:
    t = Transcript("en", 1.0, "m", (Segment(0, 1, "Hello"),))
    assert to_txt(t) == "Hello\n"
    with pytest.raises(ValueError, match="unknown format"):
        render(t, "docx")


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"segments": "x"},
        {"segments": [{"text": "no times"}]},
        {"segments": [{"start": 0, "end": 1, "text": "x", "role": "boss"}]},
    ],
)
def test_bad_transcript_json_is_a_value_error(bad: dict) -> None:
    with pytest.raises(ValueError):
        Transcript.from_dict(bad)


def _long_segment(words_spell_the_text: bool = True) -> Segment:
    from transcribe.types import Word

    said = (
        "Ja, dat klopt. Onze stroomrekening is het afgelopen jaar echt enorm gestegen, "
        "we betalen nu bijna tweehonderd euro per maand en dat vind ik gewoon te veel."
    ).split()
    words = tuple(Word(10.0 + i * 0.4, 10.3 + i * 0.4, f" {w}", 0.9) for i, w in enumerate(said))
    text = " ".join(said) if words_spell_the_text else " ".join(said).replace("euro", "[bedrag]")
    return Segment(10.0, 10.3 + (len(said) - 1) * 0.4, text, "S2", "customer", words)


@pytest.mark.parametrize("timed", [True, False])
def test_long_segments_become_subtitle_cues_a_player_can_show(timed: bool) -> None:
    """Two lines of at most 42 characters a cue, cut between words, in time order, the
    speaker on each; timed by the words where they spell the text."""
    from transcribe.formats import cues

    segment = _long_segment(timed)
    shown = cues(segment, "Customer (S2): ")
    assert len(shown) >= 3
    for start, end, lines in shown:
        assert lines.startswith("Customer (S2): ")
        assert 1 <= len(lines.split("\n")) <= 2 and all(len(x) <= 42 for x in lines.split("\n"))
        assert segment.start <= start < end <= segment.end + 1e-9
    assert [s for s, _, _ in shown] == sorted(s for s, _, _ in shown)
    assert shown[0][0] == segment.start and abs(shown[-1][1] - segment.end) < 1e-9
    said = " ".join(lines.replace("Customer (S2): ", "") for _, _, lines in shown)
    assert " ".join(said.split()) == segment.text  # nothing lost or repeated
    if timed:  # each cue starts when its first word is said
        starts = {w.start for w in segment.words}
        assert all(start in starts for start, _, _ in shown)
    srt = to_srt(Transcript("nl", 60.0, "m", (segment,)))
    assert srt.count(" --> ") == len(shown)


def test_cues_break_between_words_only() -> None:
    from transcribe.formats import cues

    text = (
        "Mail het naar info@zonnig-dak-installaties.nl of bel ons over zonne-energie en "
        "thuisbatterij-subsidie voor uw woning"
    )
    shown = cues(Segment(0.0, 8.0, text, "S2", "customer"), "Klant (S2): ")
    words = {w for _, _, lines in shown for w in lines.replace("\n", " ").split()}
    assert {"info@zonnig-dak-installaties.nl", "zonne-energie", "thuisbatterij-subsidie"} <= words
    assert all(len(lines.split("\n")) <= 2 for _, _, lines in shown)
