"""Transcripts made elsewhere (a video call's WebVTT, SRT, ridealong JSON) read as ridealong
transcripts: lines with times, speakers from the labels, roles."""

import json

import pytest

from analyze.imported import IMPORTED_MODEL, imported_transcript, is_transcript_file
from analyze.inputs import timed_cues
from transcribe.types import Segment, Speaker, Transcript

TEAMS = """WEBVTT

0f3e-1
00:00:01.200 --> 00:00:04.800
<v Sanne Bakker>Goedemiddag, fijn dat u tijd heeft. Wat zoekt u precies?</v>

0f3e-2
00:00:05.100 --> 00:00:09.000
<v Peter de Groot>Nou, we willen eigenlijk een thuisbatterij, want de salderingsregeling</v>

0f3e-3
00:00:09.000 --> 00:00:12.400
<v Peter de Groot>stopt in 2027. Wat kost zo'n batterij ongeveer?</v>

0f3e-4
00:00:12.900 --> 00:00:18.000
<v Sanne Bakker>Dat hangt af van de capaciteit. Hoeveel zonnepanelen heeft u?</v>
"""

ZOOM = """WEBVTT

1
00:00:01.000 --> 00:00:03.000
Sanne Bakker: Goedemiddag. Wat zoekt u?

2
00:00:03.500 --> 00:00:06.000
Peter: Let op: we willen een warmtepomp. Hoeveel kost dat?

3
00:00:06.500 --> 00:01:08.000
Sanne Bakker: Dat hangt ervan af.

4
01:08.500 --> 01:09.000
Peter: Oké.
"""

SRT = """1
00:00:01,000 --> 00:00:03,000
[verkoper] Goedemiddag, wat kan ik voor u doen?

2
00:00:03,500 --> 00:00:06,250
[klant] Ik wil graag een offerte voor een dakkapel.
"""


def test_timed_cues_read_webvtt_and_srt_times() -> None:
    zoom, srt = timed_cues(ZOOM), timed_cues(SRT)
    assert [(c.start, c.end) for c in zoom] == [(1, 3), (3.5, 6), (6.5, 68), (68.5, 69)]
    assert [(c.start, c.end) for c in srt] == [(1, 3), (3.5, 6.25)]
    assert timed_cues(TEAMS)[0].voice == "Sanne Bakker"
    assert timed_cues(TEAMS)[0].text.startswith("Goedemiddag")  # no markup left


def test_a_teams_transcript_keeps_names_times_and_gets_roles() -> None:
    transcript = imported_transcript(TEAMS, "call.vtt")
    assert transcript.model == IMPORTED_MODEL and transcript.language == "nl"
    assert [s.name for s in transcript.speakers] == ["Sanne Bakker", "Peter de Groot"]
    # the one asking about needs is the salesperson (the heuristic for recordings)
    assert [s.role for s in transcript.speakers] == ["salesperson", "customer"]
    second = transcript.segments[1]  # one sentence over two cues: one line
    assert (second.start, second.end, second.speaker, second.role) == (5.1, 12.4, "S2", "customer")
    assert second.text.endswith("stopt in 2027. Wat kost zo'n batterij ongeveer?")
    assert len(transcript.segments) == 3 and transcript.duration_s == 18.0


def test_zoom_labels_name_speakers_when_they_recur() -> None:
    """ "Name: " before each line is a speaker; "Let op: " said once is words."""
    transcript = imported_transcript(ZOOM, "zoom.vtt", "nl", {"peter": "customer"})
    assert [s.name for s in transcript.speakers] == ["Sanne Bakker", "Peter"]
    assert transcript.segments[1].text == "Let op: we willen een warmtepomp. Hoeveel kost dat?"
    # the customer known by name: the other one is the salesperson
    assert [(s.role, s.confidence) for s in transcript.speakers] == [
        ("salesperson", 0.7),
        ("customer", 1.0),
    ]


def test_a_known_salesperson_makes_the_other_main_speaker_the_customer() -> None:
    transcript = imported_transcript(TEAMS, "call.vtt", "nl", {"PETER DE GROOT": "salesperson"})
    assert [s.role for s in transcript.speakers] == ["customer", "salesperson"]


def test_role_tags_give_roles_without_names() -> None:
    transcript = imported_transcript(SRT, "call.srt", "nl")
    assert [(s.role, s.name) for s in transcript.speakers] == [
        ("salesperson", None),
        ("customer", None),
    ]
    assert transcript.segments[1].text == "Ik wil graag een offerte voor een dakkapel."


def test_a_label_with_name_and_role_gives_both() -> None:
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Jan Smit, verkoper>Goedemorgen.</v>\n"
    (speaker,) = imported_transcript(vtt, "a.vtt", "nl").speakers
    assert (speaker.name, speaker.role) == ("Jan Smit", "salesperson")


def test_cues_without_speakers_are_lines_without_a_speaker() -> None:
    srt = "1\n00:00:01,000 --> 00:00:02,000\nHallo daar.\n\n2\n00:00:02,000 --> 00:00:03,000\nJa.\n"
    transcript = imported_transcript(srt, "plain.srt", "nl")
    assert transcript.speakers == ()
    assert [(s.speaker, s.role) for s in transcript.segments] == [(None, "unknown")] * 2


def test_ridealong_json_comes_back_as_it_was() -> None:
    original = Transcript(
        "nl",
        3.0,
        "base",
        (Segment(0.0, 3.0, "Wat kost het?", "S1", "customer"),),
        (Speaker("S1", "customer", "Els"),),
    )
    back = imported_transcript(json.dumps(original.to_dict()), "t.json")
    assert back.segments == original.segments and back.speakers == original.speakers


@pytest.mark.parametrize(
    ("name", "raw", "reason"),
    [
        ("empty.vtt", "WEBVTT\n\nNOTE nothing here\n", "no timed lines"),
        ("notes.srt", "just some words\nno cues", "no timed lines"),
        ("bad.json", "{not json", "invalid JSON"),
        ("other.json", '{"text": "hello"}', "not a transcript"),
        ("silent.json", '{"language": "nl", "duration_s": 1, "segments": []}', "no lines"),
    ],
)
def test_files_that_hold_no_transcript_say_why(name: str, raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        imported_transcript(raw, name)


def test_transcript_files_are_told_from_audio_by_name() -> None:
    assert is_transcript_file("Call.VTT") and is_transcript_file("a.srt")
    assert is_transcript_file("t.json")
    assert not is_transcript_file("a.wav") and not is_transcript_file(None)


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_ridealongs_own_subtitles_come_back_with_their_speakers(fmt: str) -> None:
    """An export read back keeps who said what: two customers stay two speakers."""
    from transcribe.formats import to_srt, to_vtt

    original = Transcript(
        "nl",
        9.0,
        "base",
        (
            Segment(0.0, 2.0, "Goedemiddag, wat zoekt u?", "S1", "salesperson"),
            Segment(2.5, 4.0, "Een nieuwe keuken.", "S2", "customer"),
            Segment(4.5, 6.0, "En een vaatwasser erbij.", "S3", "customer"),
            Segment(6.5, 9.0, "Dat kan allebei.", "S1", "salesperson"),
        ),
        (
            Speaker("S1", "salesperson", "Jan Smit"),
            Speaker("S2", "customer"),
            Speaker("S3", "customer", "Els"),
        ),  # fmt: skip
    )
    written = (to_srt if fmt == "srt" else to_vtt)(original)
    back = imported_transcript(written, f"export.{fmt}", "nl")
    assert [(s.start, s.end, s.text) for s in back.segments] == [
        (s.start, s.end, s.text) for s in original.segments
    ]
    assert [s.speaker for s in back.segments] == ["S1", "S2", "S3", "S1"]
    assert [(s.role, s.name) for s in back.speakers] == [
        ("salesperson", "Jan Smit"),
        ("customer", None),
        ("customer", "Els"),
    ]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"segments": [{"start": 0, "end": 1e400, "text": "Wat kost dat?"}]}', "finite"),
        ('{"duration_s": NaN, "segments": [{"start": 0, "end": 1, "text": "Ja."}]}', "finite"),
        ('{"language": 5, "segments": [{"start": 0, "end": 1, "text": "Ja."}]}', "text"),
        ('{"segments": [{"start": 0, "end": 1, "text": ["Ja."]}]}', "text"),
        ('{"segments": [{"start": 0, "end": 1, "text": "Ja."}], "notes": "hallo"}', "notes"),
        (
            '{"segments": [{"start": 0, "end": 1, "text": "Ja.", "speaker": "S1"}],'
            ' "speakers": [{"id": "S1", "role": "baas"}]}',
            "unknown role",
        ),
        (
            '{"segments": [{"start": 0, "end": 1, "text": "Ja."}],'
            ' "speakers": [{"id": "S1", "name": {"first": "Jan"}}]}',
            "name must be text",
        ),
        ('{"segments": [{"start": -3, "end": 1, "text": "Ja."}]}', "0 or more"),
    ],
)
def test_a_json_transcript_with_impossible_values_is_refused(raw: str, reason: str) -> None:
    """Infinity, NaN, a number for a text or an unknown role would be stored and break
    every page that shows the recording."""
    with pytest.raises(ValueError, match=reason):
        imported_transcript(raw, "t.json")


def test_a_json_transcript_without_a_language_gets_one() -> None:
    raw = '{"segments": [{"start": 0, "end": 2, "text": "Wat kost een nieuwe dakkapel?"}]}'
    assert imported_transcript(raw, "t.json").language == "nl"
    assert imported_transcript(raw, "t.json", "en").language == "en"  # as the upload says


def test_a_cue_with_two_voices_is_two_lines() -> None:
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Marloes Visser>Klopt.</v> "
        "<v Pieter Jansen>Hoeveel dakoppervlak hebben jullie ongeveer?</v>\n"
    )
    lines = imported_transcript(vtt, "t.vtt", "nl").segments
    assert [(s.speaker, s.text) for s in lines] == [
        ("S1", "Klopt."),
        ("S2", "Hoeveel dakoppervlak hebben jullie ongeveer?"),
    ]
    assert lines[0].start == 1.0 and lines[0].end == lines[1].start and lines[1].end == 5.0


def test_names_only_where_the_turn_changes_carry_over() -> None:
    """Descript names a speaker where the turn changes; cues may follow without a blank
    line; a label may carry a company or a device."""
    srt = (
        "1\n00:00:01,000 --> 00:00:03,000\nFemke: Achttien. Werkt jullie app ook offline?\n\n"
        "2\n00:00:03,000 --> 00:00:05,000\nWant in kelders hebben ze vaak geen bereik.\n\n"
        "3\n00:00:05,500 --> 00:00:08,000\nTom | SolarPro: Ja, dat kan. Wat zoekt u precies?\n"
        "4\n00:00:08,000 --> 00:00:09,000\nLinda Koster (Acme BV): Klopt.\n\n"
        "5\n00:00:09,000 --> 00:00:10,000\n31612345678: Met Henk.\n"
    )
    transcript = imported_transcript(srt, "d.srt", "nl")
    assert [s.speaker for s in transcript.segments] == ["S1", "S1", "S2", "S3", "S4"]
    assert transcript.segments[2].text == "Ja, dat kan. Wat zoekt u precies?"
    assert [s.name for s in transcript.speakers] == ["Femke", "Tom", "Linda Koster", None]


def test_a_file_without_speakers_keeps_a_recurring_colon_as_words() -> None:
    srt = "".join(
        f"{n}\n00:00:0{n},000 --> 00:00:0{n},900\n{line}\n\n"
        for n, line in enumerate(
            [
                "Vraag: hoe lang is de levertijd?",
                "Dat hangt ervan af.",
                "Goed.",
                "Vraag: en de garantie?",
                "Tien jaar.",
            ],
            1,
        )  # fmt: skip
    )
    transcript = imported_transcript(srt, "plain.srt", "nl")
    assert transcript.speakers == ()
    assert transcript.segments[0].text == "Vraag: hoe lang is de levertijd?"


def test_notes_and_sbv() -> None:
    """A NOTE may hold an arrow; SBV (YouTube's, Google's) times its cues its own way."""
    vtt = (
        "WEBVTT\n\nNOTE\nOpgenomen met Tactiq --> export naar Drive\nBewerkt door: Noor\n\n"
        "00:00:01.000 --> 00:00:02.000\n<v Jan>Goedemorgen.</v>\n"
    )
    assert [s.text for s in imported_transcript(vtt, "t.vtt", "nl").segments] == ["Goedemorgen."]
    sbv = "0:00:01.000,0:00:03.000\nWat zoekt u?\n\n0:01:03.500,0:01:05.000\nEen dakkapel.\n"
    lines = imported_transcript(sbv, "t.sbv", "nl").segments
    assert [(s.start, s.end) for s in lines] == [(1.0, 3.0), (63.5, 65.0)]


def test_people_known_by_another_form_of_their_name() -> None:
    """Teams writes "Vries, Jan de"; the upload form may say "Noor" for "Noor El Amrani"
    or "Sophie Laan (Extern)" for "Sophie Laan"."""
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Vries, Jan de>Goedemiddag.</v>\n\n"
        "00:00:02.000 --> 00:00:04.000\n<v Noor El Amrani>Wat kost het?</v>\n"
    )
    speakers = imported_transcript(vtt, "t.vtt", "nl", {"Noor": "customer"}).speakers
    assert [(s.name, s.role) for s in speakers] == [
        ("Jan de Vries", "salesperson"),
        ("Noor El Amrani", "customer"),
    ]
    by_full_name = imported_transcript(vtt, "t.vtt", "nl", {"jan DE vries (Extern)": "salesperson"})
    assert [s.role for s in by_full_name.speakers] == ["salesperson", "customer"]


def test_two_unnamed_customers_stay_two_speakers_in_ridealongs_own_vtt() -> None:
    from transcribe.formats import to_vtt

    original = Transcript(
        "nl",
        6.0,
        "base",
        (
            Segment(0.0, 2.0, "Wat zoekt u?", "S1", "salesperson"),
            Segment(2.0, 4.0, "Een keuken.", "S2", "customer"),
            Segment(4.0, 6.0, "En een vaatwasser.", "S3", "customer"),
        ),
        (Speaker("S1", "salesperson"), Speaker("S2", "customer"), Speaker("S3", "customer")),
    )
    back = imported_transcript(to_vtt(original), "t.vtt", "nl")
    assert [s.speaker for s in back.segments] == ["S1", "S2", "S3"]
    assert [s.role for s in back.speakers] == ["salesperson", "customer", "customer"]


def test_utf8_with_a_stray_byte_stays_utf8() -> None:
    from transcribe.glossary import decode_text

    assert decode_text("Inès zegt oké".encode() + b" \x80", "t.vtt").startswith("Inès zegt oké")
    assert decode_text("café één".encode("cp1252"), "t.vtt") == "café één"


def test_a_number_too_large_for_a_float_is_refused() -> None:
    raw = '{"segments": [{"start": 1' + "0" * 400 + ', "end": 2, "text": "ja"}]}'
    with pytest.raises(ValueError, match="finite"):
        imported_transcript(raw, "t.json")


def test_names_said_where_the_turn_changes_in_a_file_of_mostly_unnamed_cues() -> None:
    """Three cues a turn, a name on the first: a third of the cues named, still speakers;
    a sentence with a colon in it is no speaker."""
    turns = [
        ("Femke de Boer", "Goedemiddag.", "Ik bel over de offerte.", "Die is nog open."),
        ("Tom Vos", "Klopt.", "Het punt is dit: de prijs is te hoog.", "Dat zoeken we uit."),
    ]
    cues, at = [], 0
    for name, *lines in turns:
        for n, line in enumerate(lines):
            at += 1
            cues.append(f"{at}\n00:00:{at:02d},000 --> 00:00:{at:02d},900\n"
                        + (f"{name}: {line}" if n == 0 else line))  # fmt: skip
    transcript = imported_transcript("\n\n".join(cues), "d.srt", "nl")
    assert [s.name for s in transcript.speakers] == ["Femke de Boer", "Tom Vos"]
    assert [s.speaker for s in transcript.segments] == ["S1"] * 3 + ["S2"] * 3
    assert transcript.segments[4].text == "Het punt is dit: de prijs is te hoog."


def test_a_whole_name_is_matched_before_a_first_name() -> None:
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Jan>Wat zoekt u?</v>\n\n"
        "00:00:02.000 --> 00:00:04.000\n<v Piet Smit>Een offerte.</v>\n"
    )
    known = {"Jan Smit": "salesperson", "Jan": "customer"}
    assert [s.role for s in imported_transcript(vtt, "t.vtt", "nl", known).speakers] == [
        "customer",
        "salesperson",
    ]


def test_an_arrow_in_a_cues_words_is_words() -> None:
    srt = "1\n00:00:01,000 --> 00:00:02,000\nJan: prijs --> 500 euro\n"
    assert [s.text for s in imported_transcript(srt, "t.srt", "nl").segments] == [
        "prijs --> 500 euro"
    ]
