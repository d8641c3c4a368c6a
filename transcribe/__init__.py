"""Speech to text: decoding, VAD, Whisper, and the transcript dataclasses.

Engines load lazily: importing this package loads no model and no ASR library.
"""

from transcribe.audio import SAMPLE_RATE, AudioInfo, decode_audio, probe_audio
from transcribe.engine import NO_SPEECH_NOTE, TranscribeOptions, load_model, transcribe
from transcribe.errors import AudioDecodeError, ModelUnavailableError, TranscriptionError
from transcribe.types import ROLES, Role, Segment, Speaker, Transcript, Word

__all__ = [
    "NO_SPEECH_NOTE",
    "ROLES",
    "SAMPLE_RATE",
    "AudioDecodeError",
    "AudioInfo",
    "ModelUnavailableError",
    "Role",
    "Segment",
    "Speaker",
    "TranscribeOptions",
    "Transcript",
    "TranscriptionError",
    "Word",
    "decode_audio",
    "load_model",
    "probe_audio",
    "transcribe",
]
