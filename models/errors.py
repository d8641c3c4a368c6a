"""Errors raised while resolving or loading model weights."""

__all__ = ["ModelError", "ModelIntegrityError", "ModelUnavailableError"]


class ModelError(Exception):
    """Base class for model problems."""


class ModelUnavailableError(ModelError):
    """The weights are not installed and may not be downloaded; the message names the fix."""


class ModelIntegrityError(ModelError):
    """Weights were found but do not match the size/checksum they were pinned with."""
