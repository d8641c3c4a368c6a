"""Turn the scripted conversations into transcript JSON with plausible timings.

Timings follow a speaking rate of 2.6 words per second with a short pause between turns,
so the demo's quotes and transcript page behave like those of a real recording.
Run: python -m samples.build
"""

from __future__ import annotations

import json

from analyze.terms import utterances_from_text
from samples import sample_scripts
from transcribe.types import Segment, Speaker, Transcript, Word

WORDS_PER_S = 2.6
TURN_GAP_S = 0.6
SPEAKER_OF_ROLE = {"salesperson": "S1", "customer": "S2"}


def script_to_transcript(script: str) -> Transcript:
    clock = 0.5
    segments = []
    for utt in utterances_from_text(script, "sample", "nl"):
        words = utt.text.split()
        length = len(words) / WORDS_PER_S
        step = length / len(words)
        timed = tuple(
            Word(round(clock + i * step, 2), round(clock + (i + 0.9) * step, 2), f" {w}", 1.0)
            for i, w in enumerate(words)
        )
        segments.append(
            Segment(
                round(clock, 2),
                round(clock + length, 2),
                utt.text,
                SPEAKER_OF_ROLE.get(utt.role),
                utt.role,
                timed,
            )
        )
        clock += length + TURN_GAP_S
    speakers = tuple(Speaker(sid, role) for role, sid in SPEAKER_OF_ROLE.items())  # type: ignore[arg-type]
    return Transcript("nl", round(clock, 2), "script (samples/build.py)", tuple(segments), speakers)


def main() -> None:
    for script in sample_scripts():
        transcript = script_to_transcript(script.read_text(encoding="utf-8"))
        target = script.with_suffix(".json")
        target.write_text(
            json.dumps(transcript.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        print(f"wrote {target} ({transcript.duration_s / 60:.1f} min)")


if __name__ == "__main__":
    main()
