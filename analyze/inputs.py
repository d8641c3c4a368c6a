"""Reading analysis input from files: transcript JSON or plain text."""

from __future__ import annotations

import json
from pathlib import Path

from analyze.terms import Utterance, utterances_from_text, utterances_from_transcript
from analyze.text import guess_language
from transcribe.types import Transcript

__all__ = ["TEXT_SUFFIXES", "read_utterances"]

TEXT_SUFFIXES = (".txt", ".md")


def read_utterances(path: Path, recording_id: str | None = None) -> list[Utterance]:
    """Utterances from a transcript `.json` or a `.txt` (one line per utterance).

    Raises ValueError with a readable reason when the file is not either.
    """
    rid = recording_id or path.stem
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path.name}: not UTF-8 text") from e
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path.name}: invalid JSON ({e.msg} at line {e.lineno})") from e
        return utterances_from_transcript(Transcript.from_dict(data), rid)
    return utterances_from_text(raw, rid, guess_language(raw))
