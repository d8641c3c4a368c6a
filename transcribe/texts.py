"""Sentences for people, kept translatable: a template and the values that go into it.

The core writes English. A web page looks the template up in its reader's language before
the values go in (api/i18n.py), so an error raised here can reach a Dutch page in Dutch.
`make messages` extracts the texts marked with `N_`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["N_", "Text", "TextError"]


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Marks a text for extraction (`make messages`) where it is defined; it is translated
    where it is used."""
    return message


@dataclass(frozen=True, slots=True)
class Text:
    """`message` with `%(name)s` placeholders; a value may itself be a Text (a reason inside
    a sentence). `str()` is the English."""

    message: str
    values: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % dict(self.values) if self.values else self.message

    def to_json(self) -> str:
        return json.dumps(_plain(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, document: str) -> Text:
        return _text(json.loads(document))


def _plain(text: Text) -> dict[str, Any]:
    values = {
        k: _plain(v) if isinstance(v, Text) else v if isinstance(v, int | float) else str(v)
        for k, v in text.values.items()
    }
    return {"message": text.message, "values": values}


def _text(document: Any) -> Text:
    if not isinstance(document, dict) or not isinstance(document.get("values", {}), dict):
        raise ValueError(f"not a stored Text: {document!r:.80}")
    values = {
        k: _text(v) if isinstance(v, dict) else v for k, v in document.get("values", {}).items()
    }
    return Text(str(document["message"]), values)


class TextError(ValueError):
    """A ValueError of the core whose message a page can say in its reader's language
    (`.text`, as TranscriptionError has); `str()` is the English."""

    def __init__(self, message: str, **values: object) -> None:
        self.text = Text(message, values)
        super().__init__(str(self.text))
