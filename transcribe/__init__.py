"""Speech to text: decoding, VAD, Whisper, and the transcript dataclasses.

Engines load lazily: importing this package loads no model and no ASR library.
"""

from transcribe.audio import SAMPLE_RATE, AudioInfo, decode_audio, iter_audio, probe_audio
from transcribe.diarize import Diarization, DiarizeOptions, SpeakerTurn, assign_speakers, diarize
from transcribe.engine import (
    NO_SPEECH_NOTE,
    SPEAKERS_START,
    Checkpoint,
    TranscribeOptions,
    choose_language,
    load_model,
    speech_regions,
    transcribe,
)
from transcribe.engines import ENGINES, Engine, whisper_languages
from transcribe.errors import AudioDecodeError, ModelUnavailableError, TranscriptionError
from transcribe.redact import Redaction, redact_mentions, redact_text, redact_transcript
from transcribe.roles import (
    VoiceProfile,
    VoiceProfileStore,
    assign_roles,
    conversation_stats,
    embed_voice,
    enroll,
    profile_from_speaker,
)
from transcribe.speakers import (
    NEW_SPEAKER,
    SpeakerChange,
    add_speakers,
    correct_speakers,
    move_lines,
)
from transcribe.types import ROLES, Role, Segment, Speaker, Transcript, Word

__all__ = [
    "Redaction",
    "redact_mentions",
    "redact_text",
    "redact_transcript",
    "NO_SPEECH_NOTE",
    "SPEAKERS_START",
    "ROLES",
    "SAMPLE_RATE",
    "ENGINES",
    "AudioDecodeError",
    "AudioInfo",
    "Diarization",
    "DiarizeOptions",
    "NEW_SPEAKER",
    "SpeakerChange",
    "SpeakerTurn",
    "VoiceProfile",
    "VoiceProfileStore",
    "add_speakers",
    "assign_roles",
    "assign_speakers",
    "conversation_stats",
    "correct_speakers",
    "move_lines",
    "diarize",
    "embed_voice",
    "enroll",
    "profile_from_speaker",
    "Checkpoint",
    "ModelUnavailableError",
    "Role",
    "Engine",
    "Segment",
    "Speaker",
    "TranscribeOptions",
    "Transcript",
    "TranscriptionError",
    "Word",
    "choose_language",
    "decode_audio",
    "iter_audio",
    "load_model",
    "probe_audio",
    "speech_regions",
    "transcribe",
    "whisper_languages",
]
