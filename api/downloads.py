"""The Content-Disposition of a download: a file name a person recognises, in any script."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

__all__ = ["attachment", "download_name"]


def _stem_and_suffix(filename: str) -> tuple[str, str]:
    name = "".join(c for c in unicodedata.normalize("NFC", filename) if c.isprintable())
    name = re.sub(r'[\\/"]+', "_", name).strip()
    stem, dot, suffix = name.rpartition(".")
    if not (dot and suffix.isascii() and suffix.isalnum() and len(suffix) <= 5):
        stem, suffix = name, ""
    # Dots and spaces trimmed from the name, not the extension: no hidden or odd files.
    return stem.strip(" .")[:120].rstrip(" .") or "download", suffix


def download_name(filename: str) -> str:
    """A file name as typed, made safe to save: no folders, quotes or control characters, no
    leading dot (a hidden file), at most 120 characters before the extension."""
    stem, suffix = _stem_and_suffix(filename)
    return f"{stem}.{suffix}" if suffix else stem


def attachment(filename: str) -> str:
    """`attachment` with the name as typed ("één klant.txt", RFC 6266 `filename*`) and a
    plain-ASCII `filename` for clients that read only that (accents dropped, not the letters:
    "een klant.txt"). Folders, quotes and control characters never reach the header."""
    stem, suffix = _stem_and_suffix(filename)
    name = f"{stem}.{suffix}" if suffix else stem
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9 ._()-]+", "_", plain)
    plain = re.sub(r"\s+", " ", plain).strip(" ._") or "download"
    plain += f".{suffix}" if suffix else ""
    if plain == name:
        return f'attachment; filename="{plain}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
