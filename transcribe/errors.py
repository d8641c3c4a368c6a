"""Errors raised by `transcribe/`; the service maps them to HTTP problems in one place.

Each keeps its message apart from its values (`.text`), so a page can say it in its
reader's language; `str()` is the English.
"""

from models.errors import ModelUnavailableError as _ModelUnavailableError
from transcribe.texts import N_, Text

__all__ = ["AudioDecodeError", "ModelUnavailableError", "TranscriptionError"]


class TranscriptionError(Exception):
    """Anything that stops a recording from being transcribed."""

    def __init__(self, message: str | Text, **values: object) -> None:
        self.text = message if isinstance(message, Text) else Text(message, values)
        super().__init__(str(self.text))


class AudioDecodeError(TranscriptionError):
    """The input is not audio we can decode (wrong type, truncated, no audio stream).

    `reason` says why in a few words, for a sentence that names the file (an upload's
    refusal); `unreadable` puts "not a readable audio file" in front of it.
    """

    def __init__(self, reason: str, *, unreadable: bool = False, **values: object) -> None:
        self.reason = Text(reason, values)
        if unreadable:
            super().__init__(N_("not a readable audio file: %(reason)s"), reason=self.reason)
        else:
            super().__init__(self.reason)


class ModelUnavailableError(TranscriptionError, _ModelUnavailableError):
    """The speech model's weights cannot be found or loaded."""
