"""An organisation's own words (products, brands) turned into decoder hints for Whisper."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["decode_text", "glossary_prompt", "read_glossary"]

_MAX_CHARS = 600  # Whisper's prompt holds ~224 tokens; keep well inside it


def decode_text(data: bytes, name: str) -> str:
    """A text file's characters, as Windows and Excel save them too: UTF-8 (with or without
    a byte-order mark, and with a stray byte or two), UTF-16 with one, else Windows-1252.
    ValueError for a file that is not text at all (a NUL byte outside UTF-16)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise ValueError(f"{name}: not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        lenient = data.decode("utf-8-sig", errors="replace")
    # UTF-8 with a stray byte (a "€" pasted from elsewhere) stays UTF-8: its other accents
    # ("Inès", "oké") read as written. Without any UTF-8 character, it is Windows-1252.
    stray = lenient.count("\ufffd")
    utf8 = sum(1 for c in lenient if ord(c) > 127) - stray
    if utf8 >= stray:
        return lenient
    return data.decode("cp1252", errors="replace")


def read_glossary(path: Path) -> list[str]:
    """One term per line (or comma-separated); `#` starts a comment. ValueError for a file
    that is not text."""
    terms: list[str] = []
    for line in decode_text(path.read_bytes(), path.name).splitlines():
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
