"""Speak the sample conversations with espeak-ng (two voices) for a quick upload demo.

Needs Debian's `espeak-ng` (apt-get install espeak-ng). Writes `samples/out/<name>.wav`
and `.mp3`. The salesperson speaks with the male Dutch voice, the customer with a
female variant, with short pauses between turns. Synthetic speech transcribes worse than
people do; it is for trying the upload path, not for measuring quality.
Run: python -m samples.voice [--limit N]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from analyze.terms import utterances_from_text
from samples import sample_scripts
from transcribe.audio import SAMPLE_RATE, decode_audio

VOICES = {"salesperson": "nl", "customer": "nl+f4", "unknown": "nl"}
WORDS_PER_MINUTE = 165
PAUSE_S = 0.5


def speak(text: str, voice: str, workdir: Path) -> np.ndarray:
    wav = workdir / "line.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(WORDS_PER_MINUTE), "-w", str(wav), text],
        check=True,
        capture_output=True,
    )
    return decode_audio(wav)


def write_audio(samples: np.ndarray, path: Path, codec: str) -> None:
    import av

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=SAMPLE_RATE, layout="mono")
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def voice_script(script: Path, out_dir: Path, limit: int | None = None) -> list[Path]:
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed: apt-get install espeak-ng")
    utterances = utterances_from_text(script.read_text(encoding="utf-8"), script.stem, "nl")
    pause = np.zeros(int(PAUSE_S * SAMPLE_RATE), dtype=np.float32)
    pieces: list[np.ndarray] = []
    with tempfile.TemporaryDirectory() as tmp:
        for utt in utterances[:limit]:
            pieces += [speak(utt.text, VOICES[utt.role], Path(tmp)), pause]
    audio = np.concatenate(pieces) * 0.8
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, codec in ((".wav", "pcm_s16le"), (".mp3", "libmp3lame")):
        target = out_dir / f"{script.stem}{suffix}"
        write_audio(audio, target, codec)
        written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N turns")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    args = parser.parse_args()
    for script in sample_scripts():
        for path in voice_script(script, args.out, args.limit):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
