"""Roles and voice profiles: store, heuristic and statistics by hand; real voices (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from transcribe.audio import decode_audio
from transcribe.diarize import Diarization, SpeakerTurn, diarize
from transcribe.embeddings import l2_normalise
from transcribe.roles import (
    VoiceProfile,
    VoiceProfileStore,
    assign_roles,
    conversation_stats,
    enroll,
    profile_file_name,
    profile_from_speaker,
    with_roles,
)
from transcribe.types import Segment, Speaker

DIALOGUE = "nl_constructed/nl_dialogue_sales_constructed"


def _unit(seed: int, size: int = 256) -> np.ndarray:
    return l2_normalise(np.random.default_rng(seed).standard_normal((1, size)))[0]


# --- profile store ---------------------------------------------------------------------------


def test_profile_store_round_trip_list_and_delete(tmp_path: Path) -> None:
    store = VoiceProfileStore(tmp_path / "voices")
    assert store.list() == []
    anna = VoiceProfile("Anna de Vries", _unit(1))
    store.save(anna)
    store.save(VoiceProfile("Bram", _unit(2), role="other"))
    loaded = store.load("Anna de Vries")
    assert loaded == anna and np.allclose(loaded.embedding, anna.embedding, atol=1e-6)
    assert [p.name for p in store.list()] == ["Anna de Vries", "Bram"]
    assert store.load("Bram").role == "other"
    store.save(VoiceProfile("Anna de Vries", _unit(3)))  # replaces
    assert np.allclose(store.load("Anna de Vries").embedding, _unit(3), atol=1e-6)
    assert store.delete("Bram") and not store.delete("Bram")
    with pytest.raises(KeyError):
        store.load("Bram")


@pytest.mark.parametrize("name", ["../x", "..", "a/b\\c", "/etc/passwd", "Jürgen 🚗", "李雷", "."])
def test_hostile_and_unicode_names_stay_inside_the_store(tmp_path: Path, name: str) -> None:
    store = VoiceProfileStore(tmp_path / "voices")
    if name not in ("Jürgen 🚗", "李雷"):  # no URL could reach these to delete them
        with pytest.raises(ValueError, match="cannot hold"):
            store.save(VoiceProfile(name, _unit(4)))
        assert not store.delete(name) and not (tmp_path / "voices").exists()
        return
    path = store.save(VoiceProfile(name, _unit(4)))
    assert path.parent == (tmp_path / "voices")
    assert path.name.endswith(".json") and "/" not in path.name and ".." not in path.name
    assert store.load(name).name == name
    assert [p.name for p in store.list()] == [name]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [path.name]


def test_names_that_differ_get_different_files(tmp_path: Path) -> None:
    assert len({profile_file_name(n) for n in ["Jan", "jan", "Jän", "J-an"]}) == 4
    store = VoiceProfileStore(tmp_path)
    for bad in ["", "   ", "bell\x07", "x" * 201]:
        with pytest.raises(ValueError):
            store.save(VoiceProfile(bad, _unit(5)))
    # Spaces of any kind are one space, as names are stored and compared.
    store.save(VoiceProfile("Jan\tde\xa0 Vries", _unit(5)))
    assert store.load("Jan de  Vries").name == "Jan de Vries"


def test_unreadable_profile_files_are_skipped(tmp_path: Path) -> None:
    store = VoiceProfileStore(tmp_path)
    store.save(VoiceProfile("Anna", _unit(1)))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "wrong.json").write_text(
        json.dumps({"name": "x", "role": "boss", "embedding": [1]})
    )
    assert [p.name for p in store.list()] == ["Anna"]


# --- roles by hand ---------------------------------------------------------------------------


def _conversation() -> tuple[list[Segment], Diarization]:
    """S1 asks about needs and names the products; S2, who talks more, asks for prices."""
    lines = [
        ("S1", 0.0, 3.0, "Goedemiddag, waarmee kan ik u helpen?"),
        ("S2", 3.5, 12.0, "Ik zoek een oplossing voor ons dak, we hebben veel zon. Wat kost dat?"),
        ("S1", 12.5, 16.0, "Hoe groot is het dak? Wij leveren de Zonnig Dak panelen."),
        ("S2", 16.5, 30.0, "Ongeveer honderd vierkante meter, en ik wil graag ook opslag."),
        ("S1", 30.5, 35.0, "Dan past de thuisbatterij er goed bij."),
        ("S3", 35.2, 36.0, "Koffie?"),
        ("S2", 36.5, 45.0, "Hoeveel kost de thuisbatterij per maand?"),
    ]
    segments = [Segment(a, b, text, speaker=s) for s, a, b, text in lines]
    turns = tuple(SpeakerTurn(a, b, s) for s, a, b, _ in lines)
    return segments, Diarization(turns=turns, method="test")


def test_heuristic_salesperson_asks_and_names_products_even_talking_less() -> None:
    segments, diarization = _conversation()
    speakers = assign_roles(segments, diarization, glossary=["Zonnig Dak", "thuisbatterij"])
    by_id = {s.id: s for s in speakers}
    assert [s.id for s in speakers] == ["S1", "S2", "S3"]
    assert by_id["S1"].role == "salesperson" and by_id["S2"].role == "customer"
    assert by_id["S3"].role == "other"  # 0.8 s of 45: the colleague bringing coffee
    assert by_id["S1"].confidence is not None and by_id["S1"].confidence > 0.7


def test_without_any_evidence_the_heuristic_is_a_coin_toss() -> None:
    turns = (SpeakerTurn(0, 5, "S1"), SpeakerTurn(5.5, 10.5, "S2"))
    speakers = assign_roles([], Diarization(turns=turns))
    assert {s.role for s in speakers} == {"salesperson", "customer"}
    assert all(s.confidence is not None and s.confidence <= 0.55 for s in speakers)


def test_a_matching_profile_names_the_salesperson_and_the_rest_are_customers() -> None:
    segments, diarization = _conversation()
    voices = {"S1": _unit(11), "S2": _unit(12), "S3": _unit(13)}
    diarization = Diarization(diarization.turns, voices, "resemblyzer", "resemblyzer")
    near_s2 = l2_normalise((voices["S2"] + 0.1 * _unit(99))[None, :])[0]
    profiles = [
        VoiceProfile("Piet", near_s2),  # the salesperson is S2 this time, whatever they say
        VoiceProfile("Old MFCC", voices["S1"][:38], backend="mfcc"),  # other backend: ignored
    ]
    by_id = {s.id: s for s in assign_roles(segments, diarization, profiles=profiles)}
    assert by_id["S2"] == Speaker("S2", "salesperson", "Piet", by_id["S2"].confidence)
    assert by_id["S2"].confidence is not None and by_id["S2"].confidence > 0.9
    assert by_id["S1"].role == "customer" and by_id["S1"].name is None
    assert by_id["S3"].role == "other"
    # A profile nobody matches changes nothing: the heuristic decides.
    stranger = [VoiceProfile("Stranger", _unit(50))]
    by_id = {s.id: s for s in assign_roles(segments, diarization, profiles=stranger)}
    assert by_id["S1"].role == "salesperson" and by_id["S1"].name is None


def test_profile_from_a_corrected_recording() -> None:
    diarization = Diarization((SpeakerTurn(0, 1, "S1"),), {"S1": _unit(7)}, "x", "resemblyzer")
    profile = profile_from_speaker("Anna", diarization, "S1")
    assert profile.name == "Anna" and np.allclose(profile.embedding, _unit(7))
    with pytest.raises(KeyError):
        profile_from_speaker("Anna", diarization, "S9")


def test_roles_onto_segments_and_conversation_stats() -> None:
    segments, diarization = _conversation()
    speakers = assign_roles(segments, diarization, glossary=["thuisbatterij"])
    labelled = with_roles(segments, speakers)
    assert [s.role for s in labelled][:2] == ["salesperson", "customer"]
    assert with_roles([Segment(0, 1, "x", speaker="S9")], speakers)[0].role == "unknown"
    stats = conversation_stats(labelled)
    assert stats["turns"] == 7
    assert stats["talk_s"] == {"salesperson": 11.0, "customer": 30.5, "other": 0.8}
    assert stats["talk_share"]["customer"] == pytest.approx(30.5 / 42.3, abs=1e-3)
    assert stats["longest_monologue_s"]["customer"] == 13.5
    assert stats["questions"] == {"salesperson": 2, "customer": 2, "other": 1}
    # Consecutive segments of one speaker are one turn, one monologue: its speech, not its
    # pauses, so a monologue is never longer than the side's talk.
    two = [Segment(0, 2, "A.", "S1", "customer"), Segment(3.0, 5, "B?", "S1", "customer")]
    assert conversation_stats(two)["turns"] == 1
    assert conversation_stats(two)["longest_monologue_s"] == {"customer": 4.0}
    assert conversation_stats(two)["talk_s"] == {"customer": 4.0}


# --- real voices (slow) ----------------------------------------------------------------------


def _role_accuracy(shared_audio: Path, diarization: Diarization, speakers: tuple[Speaker, ...]):
    """Share of the reference speech time (and of the attributed time) with the right role."""
    reference = json.loads((shared_audio / f"{DIALOGUE}.segments.json").read_text())["turns"]
    roles = {s.id: s.role for s in speakers}
    right = attributed = 0.0
    for ref in reference:
        for turn in diarization.turns:
            shared = min(ref["end"], turn.end) - max(ref["start"], turn.start)
            if shared > 0:
                attributed += shared
                right += shared if roles[turn.speaker] == ref["role"] else 0.0
    total = sum(r["end"] - r["start"] for r in reference)
    return right / total, right / attributed


@pytest.fixture(scope="module")
def salesperson(shared_audio: Path) -> VoiceProfile:
    monologue = decode_audio(shared_audio / "nl_constructed/nl_monologue_male_flemish_16k.wav")
    return enroll("Flemish salesperson", [monologue])


@pytest.mark.slow
def test_enrolled_salesperson_found_in_the_mono_dialogue(
    shared_audio: Path, salesperson: VoiceProfile, tmp_path: Path
) -> None:
    store = VoiceProfileStore(tmp_path)
    store.save(salesperson)
    diarization = diarize(decode_audio(shared_audio / f"{DIALOGUE}_16k.wav"))
    speakers = assign_roles([], diarization, profiles=store.list())
    of_speech, of_attributed = _role_accuracy(shared_audio, diarization, speakers)
    assert of_speech >= 0.95 and of_attributed >= 0.98
    (named,) = [s for s in speakers if s.role == "salesperson"]
    assert named.name == "Flemish salesperson" and (named.confidence or 0) >= 0.9


@pytest.mark.slow
def test_stereo_dialogue_roles_are_all_right(shared_audio: Path, salesperson: VoiceProfile) -> None:
    import soundfile

    stereo, rate = soundfile.read(
        shared_audio / f"{DIALOGUE}_stereo_16k.wav", dtype="float32", always_2d=True
    )
    assert rate == 16_000 and stereo.shape[1] == 2
    diarization = diarize(stereo)
    assert diarization.method == "stereo channels"
    speakers = assign_roles([], diarization, profiles=[salesperson])
    of_speech, of_attributed = _role_accuracy(shared_audio, diarization, speakers)
    assert of_attributed == 1.0 and of_speech >= 0.97


def test_speaker_confidence_survives_json_and_old_files_still_read() -> None:
    from transcribe.types import Transcript

    segments, diarization = _conversation()
    speakers = assign_roles(segments, diarization)
    transcript = Transcript("nl", 45.0, "m", tuple(with_roles(segments, speakers)), speakers)
    assert Transcript.from_dict(transcript.to_dict()) == transcript
    assert Speaker.from_dict({"id": "S1", "role": "customer"}).confidence is None
    assert "confidence" not in Speaker("S1").to_dict()


def test_a_corrected_name_is_kept_on_one_line_without_control_characters() -> None:
    from transcribe.speakers import SpeakerChange, correct_speakers
    from transcribe.types import Segment, Speaker, Transcript

    transcript = Transcript(
        "nl",
        4.0,
        "m",
        (Segment(0.0, 2.0, "Goedemiddag.", "S1", "salesperson"),),
        speakers=(Speaker("S1", "salesperson"),),
    )
    named = correct_speakers(transcript, [SpeakerChange("S1", name=" Jan\x00 de\n Vries ")])
    assert named.speakers[0].name == "Jan de Vries"
    cleared = correct_speakers(named, [SpeakerChange("S1", name="\x00 ")])
    assert cleared.speakers[0].name is None
