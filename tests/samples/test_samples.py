import json
import shutil
from pathlib import Path

import pytest

from samples import sample_scripts, sample_transcripts
from samples.build import script_to_transcript
from transcribe import Transcript, probe_audio


def test_demo_transcripts_are_current_and_about_five_minutes() -> None:
    transcripts = sample_transcripts()
    assert len(transcripts) == len(sample_scripts()) >= 2
    for path in transcripts:
        stored = Transcript.from_dict(json.loads(path.read_text(encoding="utf-8")))
        rebuilt = script_to_transcript(path.with_suffix(".txt").read_text(encoding="utf-8"))
        assert stored == rebuilt, f"{path.name} is stale: run python -m samples.build"
        assert {s.role for s in stored.segments} == {"salesperson", "customer"}
    longest = max(Transcript.from_dict(json.loads(p.read_text())).duration_s for p in transcripts)
    assert 4 * 60 <= longest <= 8 * 60


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_voicing_makes_playable_wav_and_mp3(tmp_path: Path) -> None:
    from samples.voice import voice_script

    paths = voice_script(sample_scripts()[0], tmp_path, limit=4)
    assert [p.suffix for p in paths] == [".wav", ".mp3"]
    durations = [probe_audio(p).duration_s for p in paths]
    assert 5 < durations[0] < 60 and abs(durations[0] - durations[1]) < 0.2
