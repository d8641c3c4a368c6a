"""`python -m bench.formats`: the same recording as WAV, MP3 and M4A (#3: within 0.01 WER).

Each shared Dutch recording is encoded with PyAV at the encoder's default bit rate (MP3 at
16 kHz: 24 kbit/s) and at 64 kbit/s, then transcribed with the default settings. Prints a
Markdown table of WER (the MANIFEST's normalisation, digits spelled out) and each version's
difference from the WAV.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

from bench.run import AUDIO, cpu_name

FILES = {
    "nl_dialogue_sales_constructed_16k.wav": "nl_dialogue_sales_constructed.ref.txt",
    "nl_monologue_female_16k.wav": "nl_monologue_female.ref.txt",
    "nl_monologue_male_flemish_16k.wav": "nl_monologue_male_flemish.ref.txt",
}
VERSIONS = [  # (label, suffix, codec, bit rate)
    ("mp3 default", ".mp3", "libmp3lame", None),
    ("mp3 64k", ".mp3", "libmp3lame", 64_000),
    ("m4a default", ".m4a", "aac", None),
    ("m4a 64k", ".m4a", "aac", 64_000),
]


def main() -> None:
    from tests.conftest import reference_text, wer_nl, write_audio
    from transcribe import decode_audio, transcribe

    print(f"# {date.today()} · {cpu_name()} · {os.cpu_count()} cores\n")
    print(
        "| file | wav | " + " | ".join(label for label, *_ in VERSIONS) + " | largest difference |"
    )
    print("|---" * (len(VERSIONS) + 3) + "|")
    folder = AUDIO / "nl_constructed"
    with tempfile.TemporaryDirectory() as tmp:
        for name, reference_name in FILES.items():
            reference = reference_text(folder / reference_name)
            samples = decode_audio(folder / name)
            wav_wer = wer_nl(reference, transcribe(folder / name).text)
            wers = []
            for label, suffix, codec, bit_rate in VERSIONS:
                path = Path(tmp) / f"{label.replace(' ', '_')}{suffix}"
                write_audio(samples, path, codec, bit_rate=bit_rate)
                wers.append(wer_nl(reference, transcribe(path).text))
            cells = [f"{w:.3f}" for w in [wav_wer, *wers]]
            spread = max(abs(w - wav_wer) for w in wers)
            print(f"| {name} | " + " | ".join(cells) + f" | {spread:.3f} |", flush=True)


if __name__ == "__main__":
    main()
