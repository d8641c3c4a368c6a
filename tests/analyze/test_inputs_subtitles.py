"""Subtitle files (ridealong's own, and a call's) read back for analysis."""

from pathlib import Path

import pytest

from analyze.imported import imported_transcript
from analyze.inputs import MAX_JOINED_CUE_CHARS, read_utterances
from analyze.questions import find_questions
from transcribe.formats import render
from transcribe.types import Segment, Speaker, Transcript


def test_a_cue_of_digits_is_speech_and_header_blocks_are_not() -> None:
    vtt = (
        "WEBVTT\n\nNOTE made by ridealong\n\n"
        "00:00:00.000 --> 00:00:01.000\n<v Jan Smit, verkoper>Het model van\n2025\n\n"
        "7\n00:00:01.000 --> 00:00:02.000\n<v S3>Ja &amp; nee\n"
    )
    transcript = imported_transcript(vtt, "t.vtt", "nl")
    assert [s.text for s in transcript.segments] == ["Het model van 2025", "Ja & nee"]
    assert [(s.name, s.role) for s in transcript.speakers][0] == ("Jan Smit", "salesperson")


def _long_question_call() -> Transcript:
    question = (
        "Kunt u mij vertellen wat het abonnement per maand kost als we de levering "
        "naar drie vestigingen in Utrecht en Amersfoort willen laten gaan?"
    )
    return Transcript(
        language="nl",
        duration_s=20.0,
        model="m",
        segments=(
            Segment(0.0, 8.0, question, "S2", "customer"),
            Segment(8.5, 10.0, "Dat hangt ervan af", "S1", "salesperson"),
            Segment(10.5, 12.0, "van de bestelling.", "S1", "salesperson"),
        ),
        speakers=(Speaker("S1", "salesperson"), Speaker("S2", "customer")),
    )


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_a_question_cut_over_cues_is_read_back_as_one_question(fmt: str, tmp_path: Path) -> None:
    transcript = _long_question_call()
    written = render(transcript, fmt, {"customer": "klant", "salesperson": "verkoper"})
    assert written.count(" --> ") >= 4  # the question alone needs more than one cue
    path = tmp_path / f"call.{fmt}"
    path.write_text(written, encoding="utf-8")
    utterances = read_utterances(path)
    customer = [u.text for u in utterances if u.role == "customer"]
    assert customer == [transcript.segments[0].text]
    questions = find_questions(utterances)
    assert [q.text for q in questions] == [transcript.segments[0].text]
    # the salesperson's sentence over two segments is joined too, never with the customer
    assert [u.text for u in utterances if u.role == "salesperson"] == [
        "Dat hangt ervan af van de bestelling."
    ]


def test_cues_of_other_speakers_or_finished_sentences_stay_apart() -> None:
    srt = (
        "1\n00:00:00,000 --> 00:00:01,000\nKlant (S2): Wat kost dat\n\n"
        "2\n00:00:01,000 --> 00:00:02,000\nVerkoper (S1): Tien euro.\n\n"
        "3\n00:00:02,000 --> 00:00:03,000\nVerkoper (S1): Per maand.\n"
    )
    lines = imported_transcript(srt, "t.srt", "nl").segments
    assert [(s.role, s.text) for s in lines] == [
        ("customer", "Wat kost dat"),
        ("salesperson", "Tien euro."),
        ("salesperson", "Per maand."),
    ]


def test_subtitles_without_punctuation_are_not_one_utterance() -> None:
    cue = "en dan hebben we het nog niet over de levering gehad"
    srt = "\n\n".join(f"{i}\n00:00:{i:02d},000 --> 00:00:{i + 1:02d},000\n{cue}" for i in range(40))
    lines = [s.text for s in imported_transcript(srt, "t.srt", "nl").segments]
    assert len(lines) > 1
    assert all(len(line) <= MAX_JOINED_CUE_CHARS for line in lines)
    assert sum(line.count("levering") for line in lines) == 40  # nothing lost


def test_voices_that_name_no_role_still_keep_their_speakers_apart() -> None:
    """ridealong's VTT names a speaker without a role by id or name (<v S1>, <v Jan>)."""
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v S1>Wat kost die offerte precies\n\n"
        "00:00:03.500 --> 00:00:05.000\n<v S2>Dat hangt ervan af\n\n"
        "00:00:05.000 --> 00:00:06.000\n<v S2>wat u wilt.\n"
    )
    lines = imported_transcript(vtt, "t.vtt", "nl").segments
    assert [(s.speaker, s.text) for s in lines] == [
        ("S1", "Wat kost die offerte precies"),
        ("S2", "Dat hangt ervan af wat u wilt."),
    ]
