"""`make bench`: speed and memory of `ridealong transcribe` on the shared Dutch recordings.

For each file: the whole CLI in a fresh process (start-up and model load included) with its
peak RSS from wait4, and the steady-state real-time factor with the model already loaded.
Prints a Markdown table to paste into docs/benchmarks.md.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AUDIO = Path(os.environ.get("RIDEALONG_SHARED_AUDIO", REPO.parent / "shared" / "audio"))
FILES = [
    "nl_constructed/nl_dialogue_sales_constructed_16k.wav",
    "nl_constructed/nl_monologue_female_16k.wav",
    "nl_constructed/nl_monologue_male_flemish_16k.wav",
    "nl/vltts_vl04108.wav",
]


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def run_cli(path: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of `ridealong transcribe PATH` in a new process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "api", "transcribe", str(path), "--format", "txt"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"ridealong transcribe {path} failed")
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def main() -> None:
    from transcribe import TranscribeOptions, decode_audio, load_model, transcribe

    options = TranscribeOptions()
    load_model(options)  # steady state: model loaded once
    machine = f"{cpu_name()} · {os.cpu_count()} cores · Python {platform.python_version()}"
    print(f"# {date.today()} · {machine}\n")
    columns = ["file", "audio (s)", "CLI wall (s)", "CLI RTF", "CLI peak RSS (MiB)",
               "warm transcribe (s)", "warm RTF"]  # fmt: skip
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for name in FILES:
        path = AUDIO / name
        samples = decode_audio(path)
        duration = samples.size / 16_000
        start = time.perf_counter()
        transcribe(path, options)
        warm = time.perf_counter() - start
        wall, rss = run_cli(path)
        cells = [Path(name).name, f"{duration:.1f}", f"{wall:.1f}", f"{duration / wall:.1f}x",
                 f"{rss:.0f}", f"{warm:.1f}", f"{duration / warm:.1f}x"]  # fmt: skip
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
