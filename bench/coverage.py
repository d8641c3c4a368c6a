"""`python -m bench.coverage`: what decoding skipped speech again gains, and what it costs.

Whisper's 30-second windows fall at different places in every recording, so besides the
three Dutch recordings this also transcribes their six ordered pairings (joined by 1 s of
silence): the window edges then fall elsewhere in the same sentences. Each file is
transcribed with `fill_gaps` off and on (same process, model loaded); prints WER, deletions
and time per setting as a Markdown table.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import replace
from datetime import date

import numpy as np

from bench.formats import FILES
from bench.run import AUDIO, cpu_name


def cases() -> list[tuple[str, np.ndarray, str]]:
    """(label, 16 kHz audio, reference text): the recordings, then every ordered pair."""
    from tests.conftest import reference_text
    from transcribe import decode_audio

    folder = AUDIO / "nl_constructed"
    singles = [
        ("_".join(name.split("_")[1:3]), decode_audio(folder / name), reference_text(folder / ref))
        for name, ref in FILES.items()
    ]
    silence = np.zeros(16_000, dtype=np.float32)
    pairs = [
        (f"{a} + {b}", np.concatenate([audio_a, silence, audio_b]), f"{ref_a} {ref_b}")
        for (a, audio_a, ref_a), (b, audio_b, ref_b) in itertools.permutations(singles, 2)
    ]
    return singles + pairs


def main() -> None:
    import jiwer

    from tests.conftest import normalise, spell_numbers_nl
    from transcribe import TranscribeOptions, load_model, transcribe

    on = TranscribeOptions(speakers=False)
    settings = {"fill_gaps off": replace(on, fill_gaps=False), "fill_gaps on (default)": on}
    load_model(on)
    print(f"# {date.today()} · {cpu_name()} · {os.cpu_count()} cores\n")
    print("| file | words | " + " | ".join(f"{k}: errors (deletions)" for k in settings) + " |")
    print("|---" * (len(settings) + 2) + "|")
    totals = {k: [0, 0, 0.0] for k in settings}  # errors, deletions, seconds
    words = 0
    audio_s = 0.0
    for label, audio, reference in cases():
        cells = []
        n = len(normalise(reference).split())
        for key, options in settings.items():
            start = time.perf_counter()
            text = transcribe(audio, options).text
            totals[key][2] += time.perf_counter() - start
            out = jiwer.process_words(normalise(reference), normalise(spell_numbers_nl(text)))
            errors = out.substitutions + out.deletions + out.insertions
            totals[key][0] += errors
            totals[key][1] += out.deletions
            cells.append(f"{errors} ({out.deletions})")
        words += n
        audio_s += audio.size / 16_000
        print(f"| {label} | {n} | " + " | ".join(cells) + " |", flush=True)
    summary = [
        f"WER {e / words:.4f}, {d} deletions, {audio_s / s:.1f}x" for e, d, s in totals.values()
    ]
    print(f"| all | {words} | " + " | ".join(summary) + " |")


if __name__ == "__main__":
    main()
