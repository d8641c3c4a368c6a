"""An organisation's own words (products, brands) turned into decoder hints for Whisper."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["glossary_prompt", "read_glossary"]

_MAX_CHARS = 600  # Whisper's prompt holds ~224 tokens; keep well inside it


def read_glossary(path: Path) -> list[str]:
    """One term per line (or comma-separated); `#` starts a comment."""
    terms: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        terms += [t.strip() for t in line.split(",") if t.strip()]
    return terms


def glossary_prompt(terms: Iterable[str]) -> str:
    """The terms as one hint string, deduplicated, cut to what the decoder can take."""
    seen: list[str] = []
    for term in terms:
        if term and term.lower() not in {s.lower() for s in seen}:
            seen.append(term)
    text = ", ".join(seen)
    return text[:_MAX_CHARS].rsplit(",", 1)[0] if len(text) > _MAX_CHARS else text
