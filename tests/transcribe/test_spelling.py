"""Non-words corrected: the real word lists (wordfreq, simplemma), then the wiring.

The lists ship inside their PyPI packages, so these tests use them as they are; what the
correction does to WER on real transcripts is measured in docs/benchmarks.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.settings import Settings
from tests.transcribe.test_long import RecordingEngine
from transcribe import TranscribeOptions, spelling, transcribe
from transcribe import engine as engine_module
from transcribe.spelling import correct_spelling, correct_word, lexicon
from transcribe.types import Segment, Word

REPO = Path(__file__).resolve().parents[2]


def _segment(text: str, language: str | None = "nl") -> Segment:
    """A segment whose words are its text split at spaces, the way Whisper gives them."""
    words = tuple(Word(float(i), i + 0.5, f" {w}", 0.6) for i, w in enumerate(text.split()))
    return Segment(0.0, len(words), text, words=words, language=language)


def _nl() -> Any:
    found = lexicon("nl")
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("ofverte", "offerte"),
        ("aankop", "aankoop"),
        ("aanvaartbare", "aanvaardbare"),
        ("beskelling", "bestelling"),
        ("gekriegen", "gekregen"),
    ],
)
def test_a_non_word_one_edit_from_a_common_word_is_corrected(heard: str, meant: str) -> None:
    assert correct_word(heard, _nl()) == meant


@pytest.mark.parametrize(
    "word",
    [
        "offerte",  # known
        "prijsgesteld",  # unknown, but no common word is one edit away (vrijgesteld is two)
        "deadline",  # an English loanword
        "kof",  # too short to tell from a clipped word
        "thuisbatterij",  # a compound wordfreq lacks: nothing close
        "binnenunit",  # two common words joined (binnenuit is one edit away)
        "challengen",  # Dutch; "challenge" is one edit away, but English
        "dattem",  # Flemish; "hattem" is one edit away, but a town
    ],
)
def test_known_short_far_and_compound_words_are_left(word: str) -> None:
    assert correct_word(word, _nl()) is None


def test_words_and_text_change_together_keeping_times_case_and_punctuation() -> None:
    segment = _segment("De aankop van de ofverte, graag.")
    (fixed,) = correct_spelling([segment], "nl")
    assert fixed.text == "De aankoop van de offerte, graag."
    assert [w.word for w in fixed.words] == [
        " De",
        " aankoop",
        " van",
        " de",
        " offerte,",
        " graag.",
    ]
    assert [(w.start, w.end, w.probability) for w in fixed.words] == [
        (w.start, w.end, w.probability) for w in segment.words
    ]
    assert [w.heard for w in fixed.words] == [None, " aankop", None, None, " ofverte,", None]
    round_trip = Segment.from_dict(fixed.to_dict())
    assert [w.heard for w in round_trip.words] == [w.heard for w in fixed.words]


def test_only_the_corrected_word_changes_in_the_text() -> None:
    """A hyphenated word holding the same letters, and words Whisper spaced differently."""
    segment = _segment("De ofverte-aanvraag: zo'n ofverte.")
    (fixed,) = correct_spelling(
        [replace(segment, text="De ofverte-aanvraag:  zo'n ofverte.")], "nl"
    )
    assert fixed.text == "De ofverte-aanvraag:  zo'n offerte."
    assert fixed.words[-1].word == " offerte."


def test_capitalised_words_are_names_and_left_at_any_place() -> None:
    """Brands start sentences and segments too ("Tibber heeft ..."); only the glossary acts."""
    segments = [_segment("Beskelling heeft de ofverte."), _segment("Bij Beskelling. Aankop.")]
    fixed = correct_spelling(segments, "nl")
    assert [s.text for s in fixed] == ["Beskelling heeft de offerte.", "Bij Beskelling. Aankop."]


def test_the_glossary_protects_its_words_and_corrects_names() -> None:
    glossary = ["Zonnetec", "ofverte", "Zonnig Dak Installaties"]
    segments = [_segment("De ofverte van Zonetec."), _segment("Zonetec doet de instalaties.")]
    fixed = correct_spelling(segments, "nl", glossary)
    assert [s.text for s in fixed] == [
        "De ofverte van Zonnetec.",
        "Zonnetec doet de installaties.",  # a word of a longer term: not capitalised
    ]


def test_languages_without_a_list_and_segments_without_words_are_left() -> None:
    unknown_language = _segment("ofverte", language="xx")
    no_words = Segment(0.0, 1.0, "ofverte", language="nl")
    assert correct_spelling([unknown_language, no_words], None) == [unknown_language, no_words]


def test_the_segment_language_picks_the_corrections() -> None:
    english = _segment("what is the pricce", language="en")
    dutch = _segment("de ofverte graag", language=None)  # the recording's language: Dutch
    fixed = correct_spelling([english, dutch], "nl")
    assert [s.text for s in fixed] == ["what is the price", "de offerte graag"]


def test_dutch_words_in_a_window_heard_as_english_stay_dutch() -> None:
    """Code-switching: a window Whisper took for English still holds Dutch words."""
    segment = _segment("de panelen en de subsidie graag", language="en")
    (alone,) = correct_spelling([segment], "en")
    assert alone.text != segment.text  # English alone has "paneled", "subsidies"
    (fixed,) = correct_spelling([segment], "en", languages=("nl", "en"))
    assert fixed.text == segment.text


def test_a_language_only_asked_what_it_knows_gathers_no_common_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """English is consulted in a Dutch call (is a word English?), but proposes nothing, so
    its list of common words (about 10 MiB and 0.6 s) is never gathered."""
    gathered: list[str] = []
    build = spelling._build_common_words

    def recording_build(language: str) -> tuple[dict[str, float], str]:
        gathered.append(language)
        return build(language)

    monkeypatch.setattr(spelling, "_build_common_words", recording_build)
    monkeypatch.setattr(spelling, "_COMMON", {})  # as in a fresh process
    (fixed,) = correct_spelling([_segment("de ofverte graag")], "nl", languages=("nl", "en"))
    assert fixed.text == "de offerte graag"
    assert set(gathered) == {"nl"}
    (english,) = correct_spelling([_segment("the pricce", language="en")], "nl", languages=("en",))
    assert english.text == "the price" and set(gathered) == {"nl", "en"}


def test_threads_build_a_language_once_and_never_wait_for_one_they_have(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading
    import time

    builds: list[str] = []
    english_started = threading.Event()

    def slow_build(language: str) -> tuple[dict[str, float], str]:
        builds.append(language)
        if language == "en":
            english_started.set()
            time.sleep(0.5)
        return {"woord": 1e-5}, "abc"

    monkeypatch.setattr(spelling, "_build_common_words", slow_build)
    monkeypatch.setattr(spelling, "_COMMON", {})
    spelling._common_words("nl")
    english = [threading.Thread(target=spelling._common_words, args=("en",)) for _ in range(3)]
    for thread in english:
        thread.start()
    assert english_started.wait(5)
    started = time.perf_counter()
    assert spelling._common_words("nl")[1] == "abc"
    assert time.perf_counter() - started < 0.1  # Dutch is ready: no wait for English
    for thread in english:
        thread.join()
    assert sorted(builds) == ["en", "nl"]  # each built once


def test_real_dutch_text_is_left_as_it_is(shared_audio: Path) -> None:
    """Every reference transcript, and the sample conversations: not one word changes."""
    texts = [p.read_text(encoding="utf-8") for p in shared_audio.rglob("*.ref.txt")]
    texts += [p.read_text(encoding="utf-8") for p in (REPO / "samples").glob("*.txt")]
    lines = [re.sub(r"^\[\w+\]\s*", "", line) for t in texts for line in t.splitlines()]
    segments = [_segment(line) for line in lines if line.split()]
    assert len(segments) > 50
    fixed = correct_spelling(segments, "nl", languages=("nl", "en"))
    assert [s.text for s in fixed] == [s.text for s in segments]


class MishearingEngine(RecordingEngine):
    """Whisper writing down "ofverte" for every stretch of speech."""

    def decode(
        self, speech: np.ndarray, language: str, options: Any, progress: Any, **kw: Any
    ) -> Iterator[Segment]:
        for segment in super().decode(speech, language, options, progress, **kw):
            yield replace(_segment("Hier is de ofverte."), start=segment.start, end=segment.end)


@pytest.mark.parametrize(("spelling", "expected"), [(True, "offerte"), (False, "ofverte")])
def test_transcribe_corrects_spelling_unless_asked_not_to(
    monkeypatch: pytest.MonkeyPatch, shared_audio: Path, spelling: bool, expected: str
) -> None:
    monkeypatch.setattr(engine_module, "load_model", lambda options: MishearingEngine())
    audio = shared_audio / "nl" / "vltts_vl09647.wav"
    options = TranscribeOptions(speakers=False, spelling=spelling, language="nl")
    transcript = transcribe(audio, options)
    assert transcript.segments
    assert all(s.text == f"Hier is de {expected}." for s in transcript.segments)


def test_the_setting_reaches_the_options() -> None:
    assert Settings(_env_file=None).transcribe_options().spelling  # type: ignore[call-arg]
    off = Settings(spelling=False, _env_file=None)  # type: ignore[call-arg]
    assert not off.transcribe_options().spelling
