"""How long an imported video-call transcript takes: read, speakers and roles, and every
term and question counted, as `POST /api/v1/recordings` does while the upload waits.

    python -m bench.imports [--hours 1]

The call is the two labelled sets' lines (bench/heldout, bench/heldout2), said in turn by a
salesperson and a customer as Teams writes WebVTT, at 2.5 words a second, until the hours
are full. Prints a Markdown line for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from analyze import count_terms, utterances_from_transcript
from analyze.imported import imported_transcript
from bench.run import cpu_name

HERE = Path(__file__).parent
_TURN = re.compile(r"\[(\w+)\]\s*(.+)")


def teams_vtt(hours: float) -> tuple[str, int]:
    """(a Teams WebVTT of `hours`, its number of words)."""
    turns = [
        ("Sanne Bakker" if m[1] in ("verkoper", "salesperson") else "Peter de Groot", m[2])
        for folder in ("heldout", "heldout2")
        for script in sorted((HERE / folder).glob("*.txt"))
        for line in script.read_text(encoding="utf-8").splitlines()
        if (m := _TURN.match(line))
    ]
    cues, at, words = ["WEBVTT", ""], 0.0, 0
    while at < hours * 3600:
        who, said = turns[(len(cues) // 3) % len(turns)]
        lasts = max(1.0, len(said.split()) / 2.5)
        cues += [f"{_clock(at)} --> {_clock(at + lasts)}", f"<v {who}>{said}</v>", ""]
        at += lasts + 0.3
        words += len(said.split())
    return "\n".join(cues), words


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes // 60):02d}:{int(minutes % 60):02d}:{rest:06.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0)
    args = parser.parse_args()
    vtt, words = teams_vtt(args.hours)
    count_terms(utterances_from_transcript(imported_transcript(vtt[:2000], "w.vtt"), "w"), "w")
    began = time.perf_counter()
    transcript = imported_transcript(vtt, "call.vtt", "nl")
    read = time.perf_counter() - began
    count_terms(utterances_from_transcript(transcript, "call"), "call")
    total = time.perf_counter() - began
    print(
        f"{time.strftime('%Y-%m-%d')}, {cpu_name()}: {args.hours:g} h of Teams WebVTT "
        f"({len(transcript.segments)} lines, {words} words, {len(vtt) // 1024} kB): read with "
        f"speakers and roles in {read:.2f} s, terms and questions counted, {total:.1f} s in all"
    )


if __name__ == "__main__":
    main()
