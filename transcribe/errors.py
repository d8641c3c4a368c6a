"""Errors raised by `transcribe/`; the service maps them to HTTP problems in one place."""

from models.errors import ModelUnavailableError as _ModelUnavailableError

__all__ = ["AudioDecodeError", "ModelUnavailableError", "TranscriptionError"]


class TranscriptionError(Exception):
    """Anything that stops a recording from being transcribed."""


class AudioDecodeError(TranscriptionError):
    """The input is not audio we can decode (wrong type, truncated, no audio stream)."""


class ModelUnavailableError(TranscriptionError, _ModelUnavailableError):
    """The speech model's weights cannot be found or loaded."""
