"""`python -m bench.long`: memory and progress on long recordings (issue #3).

Builds long MP3s by repeating the shared Dutch dialogue, then transcribes each with the CLI
in a fresh process and reports wall time and peak RSS. Memory should not grow with length:
audio is streamed and transcribed in `RIDEALONG_CHUNK_S` chunks. The 2-hour run is long
(about 25 minutes at 5x real time on 2 cores); `--minutes` picks the lengths.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from bench.run import AUDIO, cpu_name, run_cli

DIALOGUE = AUDIO / "nl_constructed" / "nl_dialogue_sales_constructed_16k.wav"


def long_recording(minutes: float, folder: Path) -> Path:
    """`minutes` of the dialogue on repeat, as a 64 kbit/s mono MP3 (a phone's recording)."""
    import av

    from transcribe import SAMPLE_RATE, decode_audio

    dialogue = decode_audio(DIALOGUE)
    path = folder / f"dialogue_{minutes:g}min.mp3"
    total = int(minutes * 60 * SAMPLE_RATE)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libmp3lame", rate=SAMPLE_RATE, layout="mono")
        stream.bit_rate = 64_000
        written = 0
        while written < total:
            piece = dialogue[: total - written].reshape(1, -1).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(piece, format="fltp", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            for packet in stream.encode(frame):
                container.mux(packet)
            written += piece.shape[1]
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 10, 30])
    args = parser.parse_args()
    print(f"CPU: {cpu_name()}")
    print("| audio | wall (s) | x real time | peak RSS (MiB) |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in args.minutes:
            path = long_recording(minutes, Path(tmp))
            wall, rss = run_cli(path)
            row = f"| {minutes:g} min | {wall:.0f} | {minutes * 60 / wall:.1f} | {rss:.0f} |"
            print(row, flush=True)


if __name__ == "__main__":
    main()
