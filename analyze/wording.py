"""How texts meant for people are written: English unless a caller passes other words.

The analysis explains itself in sentences ("said 5× by customers in 2 recordings; ...") and
exports spreadsheets with headings. The web pages pass their reader's language (api/i18n.py
builds a `Wording` from a gettext catalogue); everything else, the API included, gets the
English these texts are written in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from transcribe.texts import N_

__all__ = ["ENGLISH", "N_", "Wording", "english_number", "english_plural"]


def english_plural(singular: str, plural: str, n: int) -> str:
    """`ngettext` without a catalogue: the texts' own English."""
    return singular if n == 1 else plural


def english_number(value: float, decimals: int = 0) -> str:
    """1,234.5"""
    return f"{value:,.{decimals}f}"


@dataclass(frozen=True, slots=True)
class Wording:
    gettext: Callable[[str], str] = str
    ngettext: Callable[[str, str, int], str] = english_plural
    number: Callable[[float, int], str] = english_number  # (value, decimals)


ENGLISH = Wording()
