"""`make bench-engines`: faster-whisper against openai-whisper on the same weights.

Same files, same decoded audio, same VAD, same language, same beam (5) and thread count;
only the engine differs. Peak RSS is measured per engine in a fresh process (wait4).
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from bench.run import AUDIO, REPO, cpu_name

FILES = {
    "nl_constructed/nl_dialogue_sales_constructed_16k.wav": "nl_constructed/nl_dialogue_sales_constructed.ref.txt",
    "nl_constructed/nl_monologue_female_16k.wav": "nl_constructed/nl_monologue_female.ref.txt",
    "en/jfk.flac": "en/jfk.ref.txt",
}
THREADS = os.cpu_count() or 2


def measure(engine: str) -> None:
    """Child process: transcribe every file with one engine, print JSON lines."""
    sys.path.insert(0, str(REPO))
    from tests.conftest import reference_text, wer_nl
    from transcribe import TranscribeOptions, decode_audio, load_model, transcribe

    options = TranscribeOptions(engine=engine, cpu_threads=THREADS)
    start = time.perf_counter()
    load_model(options)
    load_s = time.perf_counter() - start
    for name, ref in FILES.items():
        audio = decode_audio(AUDIO / name)
        language = "en" if name.startswith("en/") else "nl"
        start = time.perf_counter()
        transcript = transcribe(
            audio, TranscribeOptions(engine=engine, cpu_threads=THREADS, language=language)
        )
        seconds = time.perf_counter() - start
        error = wer_nl(reference_text(AUDIO / ref), transcript.text)
        print(
            json.dumps(
                {
                    "file": Path(name).name,
                    "audio_s": audio.size / 16_000,
                    "seconds": seconds,
                    "wer": error,
                    "load_s": load_s,
                }
            ),
            flush=True,
        )


def main() -> None:
    results: dict[str, list[dict[str, float]]] = {}
    rss: dict[str, float] = {}
    for engine in ("faster-whisper", "openai-whisper"):
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.engines", "--child", engine],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        output = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{engine} failed")
        results[engine] = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
        rss[engine] = usage.ru_maxrss / 1024
    print(f"# {date.today()} · {cpu_name()} · {THREADS} threads · beam 5 · VAD · language set\n")
    print(
        "| file | audio (s) | faster-whisper (s) | RTF | WER | openai-whisper (s) | RTF | WER | speed-up |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for fw, ow in zip(results["faster-whisper"], results["openai-whisper"], strict=True):
        print(
            f"| {fw['file']} | {fw['audio_s']:.1f} | {fw['seconds']:.1f} | {fw['audio_s'] / fw['seconds']:.1f}x "
            f"| {fw['wer']:.3f} | {ow['seconds']:.1f} | {ow['audio_s'] / ow['seconds']:.1f}x | {ow['wer']:.3f} "
            f"| {ow['seconds'] / fw['seconds']:.1f}x |"
        )
    load = {e: r[0]["load_s"] for e, r in results.items()}
    print(
        f"\nModel load: faster-whisper {load['faster-whisper']:.1f} s, openai-whisper "
        f"{load['openai-whisper']:.1f} s. Peak RSS of the whole process: faster-whisper "
        f"{rss['faster-whisper']:.0f} MiB, openai-whisper {rss['openai-whisper']:.0f} MiB."
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        measure(sys.argv[2])
    else:
        main()
