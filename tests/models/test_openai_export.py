import struct
from pathlib import Path

import numpy as np
import pytest

from models import ModelError, default_cache_dir, resolve_whisper
from models.openai_export import export_openai_checkpoint, read_ct2_variables
from tests.conftest import normalise
from transcribe import TranscribeOptions, decode_audio, transcribe


def test_other_binary_versions_are_refused(tmp_path: Path) -> None:
    model_bin = tmp_path / "model.bin"
    model_bin.write_bytes(struct.pack("I", 5) + b"\x00" * 16)
    with pytest.raises(ModelError, match="binary version 5"):
        read_ct2_variables(model_bin)


@pytest.mark.slow
def test_export_matches_every_key_and_transcribes_jfk(tmp_path: Path, shared_audio: Path) -> None:
    import torch
    import whisper
    from whisper.model import ModelDimensions, Whisper

    from transcribe import TranscribeOptions, transcribe

    folder = Path(
        resolve_whisper("whisper-base", cache_dir=default_cache_dir(), allow_downloads=False)
    )
    checkpoint = export_openai_checkpoint(folder, tmp_path / "base.pt")
    saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
    reference = Whisper(ModelDimensions(**saved["dims"])).state_dict()
    assert set(saved["model_state_dict"]) == set(reference)
    for name, tensor in saved["model_state_dict"].items():
        assert tuple(tensor.shape) == tuple(reference[name].shape), name
    whisper.load_model(str(checkpoint), device="cpu")  # strict loading raises on any mismatch

    options = TranscribeOptions(engine="openai-whisper", model_cache_dir=tmp_path / "cache")
    transcript = transcribe(shared_audio / "en" / "jfk.flac", options)
    expected = (shared_audio / "en" / "jfk.ref.txt").read_text()
    assert normalise(transcript.text) == normalise(expected)
    assert transcript.language == "en" and "openai-whisper" in transcript.model
    assert all(w.start <= w.end for s in transcript.segments for w in s.words)
    assert (tmp_path / "cache" / "whisper-base-openai.pt").is_file()  # exported on first use


@pytest.mark.slow
def test_openai_engine_reports_progress_per_window(shared_audio: Path) -> None:
    # Two windows of different speech: the same clip repeated reads as a repetition loop to
    # Whisper, which then decodes every window again at each fallback temperature (2x slower).
    audio = np.concatenate(
        [
            decode_audio(shared_audio / "en_multi" / "pyannote_sample.wav"),
            decode_audio(shared_audio / "en" / "jfk.flac"),
        ]
    )
    progress: list[float] = []
    transcribe(audio, TranscribeOptions(engine="openai-whisper"), progress.append)
    assert any(0.0 < p < 1.0 for p in progress)  # not only at the end
    assert progress == sorted(progress) and progress[-1] == 1.0
