"""Speaker diarization: time against audio duration (and against Whisper), DER, speakers found.

    .venv/bin/python -m bench.speakers [--whisper] [--backend resemblyzer|mfcc]

Models load before timing (a warm worker is the case that matters). With --whisper, each
file is also transcribed, and diarization is given Whisper's segments and VAD regions, as
the pipeline does; the bar is diarization <= 20 % of transcription time. Prints a Markdown
table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from bench.run import AUDIO, cpu_name

FILES = {  # file -> RTTM reference (None: one speaker, count only)
    "nl_constructed/nl_dialogue_sales_constructed_16k.wav": (
        "nl_constructed/nl_dialogue_sales_constructed.rttm"
    ),
    "en_multi/pyannote_sample.wav": "en_multi/pyannote_sample.rttm",
    "nl_constructed/nl_monologue_female_16k.wav": None,
    "nl_constructed/nl_monologue_male_flemish_16k.wav": None,
}


def der(rttm: Path, turns: list[tuple[float, float, str]], duration_s: float) -> float:
    from pyannote.core import Annotation, Timeline
    from pyannote.core import Segment as Span
    from pyannote.metrics.diarization import DiarizationErrorRate

    reference, hypothesis = Annotation(), Annotation()
    for i, line in enumerate(rttm.read_text().splitlines()):
        f = line.split()
        if f and f[0] == "SPEAKER":
            reference[Span(float(f[3]), float(f[3]) + float(f[4])), str(i)] = f[7]
    for i, (start, end, speaker) in enumerate(turns):
        hypothesis[Span(start, end), str(i)] = speaker
    metric = DiarizationErrorRate(collar=0.5, skip_overlap=False)
    return float(metric(reference, hypothesis, uem=Timeline([Span(0, duration_s)])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--whisper", action="store_true", help="also time transcription")
    parser.add_argument("--backend", default="resemblyzer", choices=["resemblyzer", "mfcc"])
    args = parser.parse_args()

    from transcribe import decode_audio, speech_regions, transcribe
    from transcribe.diarize import DiarizeOptions, diarize
    from transcribe.embeddings import get_embedder

    options = DiarizeOptions(backend=args.backend)
    start = time.perf_counter()
    get_embedder(args.backend)
    load_s = time.perf_counter() - start
    diarize(decode_audio(AUDIO / next(iter(FILES)))[: 16_000 * 5], options=options)  # warm VAD
    print(
        f"Speaker diarization ({args.backend}), {date.today()}, {cpu_name()}; "
        f"encoder load {load_s:.1f} s\n"
    )
    print(
        "| file | audio s | diarize s | × real time | Whisper s | diarize / Whisper | speakers | DER |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, rttm in FILES.items():
        audio = decode_audio(AUDIO / name)
        duration_s = audio.size / 16_000
        segments, regions, whisper = (), [], "–"
        if args.whisper:
            start = time.perf_counter()
            transcript = transcribe(AUDIO / name)
            whisper_s = time.perf_counter() - start
            segments = transcript.segments
            regions = [(r["start"] / 16_000, r["end"] / 16_000) for r in speech_regions(audio)]
            whisper = f"{whisper_s:.1f}"
        start = time.perf_counter()
        result = diarize(audio, segments=segments, regions=regions, options=options)
        diarize_s = time.perf_counter() - start
        share = f"{diarize_s / whisper_s:.0%}" if args.whisper else "–"
        score = "–"
        if rttm:
            turns = [(t.start, t.end, t.speaker) for t in result.turns]
            score = f"{der(AUDIO / rttm, turns, duration_s):.3f}"
        print(
            f"| {name} | {duration_s:.1f} | {diarize_s:.2f} | {duration_s / diarize_s:.0f}× "
            f"| {whisper} | {share} | {len(result.speakers)} | {score} |"
        )


if __name__ == "__main__":
    main()
