"""Demo material ridealong makes itself: scripted Dutch ride-along conversations.

`*_gesprek.txt` are the scripts (one `[role] utterance` per line); `build.py` turns them into
transcript JSON (`*_gesprek.json`) with plausible timings, and `voice.py` speaks them with
espeak-ng into audio for an upload demo.
"""

from importlib import resources
from pathlib import Path

__all__ = ["sample_scripts", "sample_transcripts"]


def sample_transcripts() -> list[Path]:
    """The transcript JSON files that `serve --demo` loads."""
    return sorted(
        Path(str(p))
        for p in resources.files("samples").iterdir()
        if p.name.endswith("_gesprek.json")
    )


def sample_scripts() -> list[Path]:
    return sorted(
        Path(str(p))
        for p in resources.files("samples").iterdir()
        if p.name.endswith("_gesprek.txt")
    )
