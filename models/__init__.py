"""Speech and language models: names, pinned weight packages, offline resolution."""

from models.errors import ModelError, ModelIntegrityError, ModelUnavailableError
from models.registry import (
    LANGUAGE_RESOURCES,
    WHISPER_MODELS,
    LanguageResource,
    WhisperModelSpec,
    default_cache_dir,
    resolve_whisper,
)

__all__ = [
    "LANGUAGE_RESOURCES",
    "WHISPER_MODELS",
    "LanguageResource",
    "ModelError",
    "ModelIntegrityError",
    "ModelUnavailableError",
    "WhisperModelSpec",
    "default_cache_dir",
    "resolve_whisper",
]
