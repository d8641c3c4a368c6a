"""Salesperson, customer or other: roles for diarized speakers, and voice profiles.

With voice profiles (a salesperson enrolled from a recording of their voice), a speaker
whose centroid is close to a profile (cosine) becomes that person, with a confidence.
Without a match, a documented heuristic decides between the main speakers:

- the salesperson asks about needs ("wat zoekt u", "hoeveel personen", "what are you
  looking for"): +2 a question;
- the salesperson names the company's own terms (the glossary): +1 a mention;
- the customer states needs and asks for prices ("ik zoek", "wat kost", "how much is"): -2;
- the salesperson usually talks more: +2 x (talk share - 1/2).

The speaker with the highest score is the salesperson, the other main speakers customers;
the confidence grows with the margin (0.5 = a coin toss). A third or later speaker with
little speech (under 15 % of the talk) is "other": the marketer riding along, a colleague.
A recording with one voice keeps the role "unknown" unless a profile names it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from transcribe.diarize import (
    Diarization,
    DiarizeOptions,
    cluster_embeddings,
    speaker_at,
    speech_mask,
    windows_in,
)
from transcribe.embeddings import (
    FRAME_HOP,
    SAMPLE_RATE,
    SpeakerEmbedder,
    get_embedder,
    l2_normalise,
)
from transcribe.texts import N_, TextError
from transcribe.types import ROLES, Role, Segment, Speaker

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MATCH_THRESHOLD",
    "VoiceProfile",
    "VoiceProfileStore",
    "assign_roles",
    "check_new_profile_name",
    "conversation_stats",
    "embed_voice",
    "enroll",
    "profile_from_speaker",
    "role_scores",
    "with_roles",
]

# Cosine similarity between a speaker's centroid and a profile (resemblyzer) above which
# they are the same person. On the shared test audio, a profile from a monologue against the
# same voice in a dialogue measured 0.99, a man against a woman 0.60-0.62, and the two
# (similar) voices of a real phone call 0.85 against each other; room and microphone
# changes lower same-voice scores, so the bar sits between the last two.
DEFAULT_MATCH_THRESHOLD = 0.8
_OTHER_SHARE = 0.15  # a third+ speaker with less of the talk than this is "other"
_PROFILE_VERSION = 1

# Needs questions a salesperson asks (Dutch and English), matched on lower-case text.
_NEEDS_QUESTIONS = (
    r"\bwat zoekt u\b",
    r"\bwaar bent u (naar )?op zoek\b",
    r"\bwaar zoekt u\b",
    r"\bwat heeft u nodig\b",
    r"\bwat heb je nodig\b",
    r"\bwat zoek je\b",
    r"\bwaar ben je (naar )?op zoek\b",
    r"\bwaarmee kan ik u helpen\b",
    r"\bkan ik u helpen\b",
    r"\bwat mag ik voor u doen\b",
    r"\bwat is uw budget\b",
    r"\bwat is je budget\b",
    r"\bhoeveel (personen|mensen|stuks|vierkante|m2|kilo|meter|medewerkers|gebruikers)\b",
    r"\bhoe (groot|vaak|lang|snel) (is|moet|wilt|wil|gebruikt)\b",
    r"\bwanneer (wilt|wil|zou) u\b",
    r"\bwelke? .{0,30}\b(zoekt|wilt|gebruikt|heeft) u\b",
    r"\bwhat are you looking for\b",
    r"\bwhat do you need\b",
    r"\bhow can i help\b",
    r"\bcan i help you\b",
    r"\bwhat is your budget\b",
    r"\bwhat's your budget\b",
    r"\bhow many (people|users|units|employees)\b",
    r"\bwhen (do|would) you (want|need|like)\b",
)
# What customers say: their needs and price questions.
_CUSTOMER_CUES = (
    r"\bwat kost\b",
    r"\bhoeveel kost\b",
    r"\bwat zijn de kosten\b",
    r"\bik zoek\b",
    r"\bwe zoeken\b",
    r"\bwij zoeken\b",
    r"\bik ben op zoek\b",
    r"\bwe zijn op zoek\b",
    r"\bik wil graag\b",
    r"\bik heb .{0,20}nodig\b",
    r"\bhow much (is|does|do|will)\b",
    r"\bwhat does it cost\b",
    r"\bi'?m looking for\b",
    r"\bwe'?re looking for\b",
    r"\bi need\b",
    r"\bwe need\b",
)


@dataclass(frozen=True, slots=True)
class VoiceProfile:
    """A known voice: who it is, the role they have, and their mean speaker embedding."""

    name: str
    embedding: np.ndarray = field(compare=False)  # L2-normalised
    role: Role = "salesperson"
    backend: str = "resemblyzer"  # embeddings only compare within one backend
    # A voice print is biometric data: who confirmed that the person agreed ("web form from
    # …", "API key …"; None: nobody did), and when it was enrolled (ISO 8601, UTC).
    consent_by: str | None = None
    enrolled_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": _PROFILE_VERSION,
            "name": self.name,
            "role": self.role,
            "backend": self.backend,
            "embedding": [round(float(v), 6) for v in self.embedding],
        }
        if self.consent_by is not None:
            data["consent_by"] = self.consent_by
        if self.enrolled_at is not None:
            data["enrolled_at"] = self.enrolled_at
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VoiceProfile:
        role = data.get("role", "salesperson")
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        return cls(
            name=str(data["name"]),
            embedding=l2_normalise(np.asarray(data["embedding"], dtype=np.float32)),
            role=role,
            backend=str(data.get("backend", "resemblyzer")),
            consent_by=data.get("consent_by"),
            enrolled_at=data.get("enrolled_at"),
        )


def _check_name(name: str) -> str:
    cleaned = " ".join(name.split())  # as names are stored and compared: one space between
    if not cleaned or len(cleaned) > 200 or any(unicodedata.category(c)[0] == "C" for c in cleaned):
        raise TextError(N_("a voice profile needs a name of 1-200 printable characters"))
    return cleaned


def check_new_profile_name(name: str) -> str:
    """The name a new profile may take: printable, and one segment of a URL path (the API
    deletes a voice at /voices/{name}, where a slash or a dot segment cannot be reached).
    Existing profiles with such names can still be loaded and deleted here."""
    cleaned = _check_name(name)
    if "/" in cleaned or "\\" in cleaned or cleaned in (".", ".."):
        raise TextError(
            N_("a voice's name cannot hold / or \\, nor be . or ..: %(name)s"), name=repr(cleaned)
        )
    return cleaned


def profile_file_name(name: str) -> str:
    """A safe, stable file name for any profile name: ASCII slug + hash of the exact name.

    The slug keeps the folder readable; the hash keeps "Jan", "jan" and "Jän" apart and
    gives names with no ASCII at all (or only dots and slashes, "../x") a name of their own.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40] or "voice"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
    return f"{slug}-{digest}.json"


class VoiceProfileStore:
    """Voice profiles as one JSON file each in a directory: for using `transcribe` on its own.
    The application keeps them in its database (api.voices), and moves in folders of these
    files that earlier versions wrote to <data_dir>/voices.

    JSON, not pickle: a profile file from elsewhere cannot run code. Names never become
    paths directly (see `profile_file_name`), so "../x" stays inside the directory.
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def _path(self, name: str) -> Path:
        path = self.directory / profile_file_name(_check_name(name))
        if path.resolve().parent != self.directory.resolve():
            raise ValueError(f"unsafe profile name {name!r}")
        return path

    def save(self, profile: VoiceProfile) -> Path:
        """Write (or replace) the profile; atomic, so readers never see half a file."""
        profile = replace(profile, name=check_new_profile_name(profile.name))
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(profile.name)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(profile.to_dict(), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        return path

    def load(self, name: str) -> VoiceProfile:
        """The profile called `name`; KeyError when there is none."""
        path = self._path(name)
        if not path.is_file():
            raise KeyError(name)
        return VoiceProfile.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def list(self) -> list[VoiceProfile]:
        """All readable profiles, sorted by name; unreadable files are logged and skipped."""
        if not self.directory.is_dir():
            return []
        profiles = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                profiles.append(VoiceProfile.from_dict(json.loads(path.read_text("utf-8"))))
            except (OSError, ValueError, KeyError, TypeError) as e:
                logger.warning("skipping unreadable voice profile %s: %s", path.name, e)
        return sorted(profiles, key=lambda p: p.name.casefold())

    def delete(self, name: str) -> bool:
        """Remove the profile; False when there was none."""
        path = self._path(name)
        if not path.is_file():
            return False
        path.unlink()
        return True


# --- enrolment -------------------------------------------------------------------------------


def _window_embeddings(samples: np.ndarray, embedder: SpeakerEmbedder) -> tuple[np.ndarray, float]:
    """The embeddings of a 16 kHz recording's speech windows, and its seconds of speech."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    mask = speech_mask(samples)
    speech_s = float(mask.sum()) * FRAME_HOP / SAMPLE_RATE
    windows = windows_in(mask, DiarizeOptions(step_s=0.8))
    if not windows:
        return np.zeros((0, 0), dtype=np.float32), speech_s
    spans = [(a * FRAME_HOP, b * FRAME_HOP) for a, b in windows]
    return embedder.embed(samples, spans), speech_s


def embed_voice(samples: np.ndarray, embedder: SpeakerEmbedder | None = None) -> np.ndarray:
    """One L2-normalised embedding of the voice in a 16 kHz recording of one person.

    The mean of 1.6 s windows over the speech (silence left out); ValueError if there is
    no speech.
    """
    vectors, _ = _window_embeddings(samples, embedder or get_embedder("resemblyzer"))
    if vectors.size == 0:
        raise TextError(N_("no speech found in the recording"))
    return l2_normalise(vectors.mean(axis=0, keepdims=True))[0]


ENOUGH_SPEECH_S = 20.0  # less, and a voice print rests on few windows (the page asks for 30 s)
_OTHER_VOICE_SHARE = 0.2  # of a recording's windows: another voice, not a cough or a word
_WINDOWS_TO_JUDGE = 15  # 0.8 s apart: about 12 s of speech in one recording


@dataclass(frozen=True, slots=True)
class EnrollmentCheck:
    """How far a new voice profile can be trusted: how much speech it was made from, and
    whether a recording seemed to hold another voice too (its windows fall into two groups
    by the diarizer's own rule, the smaller one a fifth or more)."""

    speech_s: float
    other_voice: bool

    @property
    def too_little_speech(self) -> bool:
        return self.speech_s < ENOUGH_SPEECH_S


def enroll(
    name: str,
    recordings: Sequence[np.ndarray],
    role: Role = "salesperson",
    embedder: SpeakerEmbedder | None = None,
) -> VoiceProfile:
    """A voice profile from one or more recordings of one person (16 kHz arrays).

    Every speech window of every recording counts once, so longer recordings weigh more.
    """
    return enroll_checked(name, recordings, role, embedder)[0]


def enroll_checked(
    name: str,
    recordings: Sequence[np.ndarray],
    role: Role = "salesperson",
    embedder: SpeakerEmbedder | None = None,
) -> tuple[VoiceProfile, EnrollmentCheck]:
    """`enroll`, and how far its profile can be trusted (`EnrollmentCheck`)."""
    name = check_new_profile_name(name)  # before the slow part
    embedder = embedder or get_embedder("resemblyzer")
    if not embedder.portable:
        raise ValueError(f"{embedder.name} embeddings cannot be compared across recordings")
    embedded = [_window_embeddings(r, embedder) for r in recordings]
    parts = [vectors for vectors, _ in embedded if vectors.size]
    if not parts:
        raise TextError(N_("no speech found in the recordings"))
    embedding = l2_normalise(np.concatenate(parts).mean(axis=0, keepdims=True))[0]
    speech_s = sum(seconds for _, seconds in embedded)
    check = EnrollmentCheck(speech_s, any(_two_voices(v) for v in parts))
    return VoiceProfile(_check_name(name), embedding, role, embedder.name), check


def _two_voices(windows: np.ndarray) -> bool:
    """Whether one recording's speech windows hold a second voice, by the rule diarization
    uses to tell one speaker from several (`cluster_embeddings`)."""
    if len(windows) < _WINDOWS_TO_JUDGE:  # a few windows split by chance (too little speech)
        return False
    labels = cluster_embeddings(
        l2_normalise(windows), DiarizeOptions(min_speakers=1, max_speakers=3)
    )
    counts = sorted(np.bincount(labels), reverse=True)
    return len(counts) > 1 and counts[1] >= _OTHER_VOICE_SHARE * len(labels)


def profile_from_speaker(
    name: str, diarization: Diarization, speaker: str, role: Role = "salesperson"
) -> VoiceProfile:
    """Enrol a voice from a (corrected) recording: that speaker's centroid becomes a profile."""
    if speaker not in diarization.centroids:
        raise KeyError(speaker)
    if diarization.backend != "resemblyzer":
        raise ValueError("this recording's speaker embeddings cannot be used as a profile")
    return VoiceProfile(
        _check_name(name), diarization.centroids[speaker], role, diarization.backend
    )


# --- roles -----------------------------------------------------------------------------------


def _count(patterns: Iterable[str], text: str) -> int:
    return sum(len(re.findall(p, text)) for p in patterns)


def _texts_by_speaker(
    segments: Sequence[Segment], diarization: Diarization
) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    for segment in segments:
        speaker = segment.speaker or speaker_at(segment.start, segment.end, diarization)
        if speaker is not None:
            texts.setdefault(speaker, []).append(segment.text)
    return texts


def role_scores(
    segments: Sequence[Segment], diarization: Diarization, glossary: Sequence[str] = ()
) -> dict[str, float]:
    """Salesperson score per speaker (see the module docstring for the weights)."""
    talk = diarization.talk_time_s
    texts = _texts_by_speaker(segments, diarization)
    for speaker in texts:
        talk.setdefault(speaker, 0.0)
    total = sum(talk.values()) or 1.0
    terms = [
        re.compile(r"(?<!\w)" + re.escape(t.strip().lower()) + r"(?!\w)")
        for t in glossary
        if t.strip()
    ]
    scores = {}
    for speaker, seconds in talk.items():
        text = " ".join(texts.get(speaker, [])).lower()
        needs = _count(_NEEDS_QUESTIONS, text)
        customer = _count(_CUSTOMER_CUES, text)
        glossary_hits = sum(len(t.findall(text)) for t in terms)
        scores[speaker] = 2.0 * needs + glossary_hits - 2.0 * customer + 2 * (seconds / total - 0.5)
    return scores


def _match_profiles(
    diarization: Diarization, profiles: Sequence[VoiceProfile], threshold: float
) -> dict[str, tuple[VoiceProfile, float]]:
    """Greedy one-to-one matching of speakers to profiles by cosine, best pairs first."""
    pairs = []
    for speaker, centroid in diarization.centroids.items():
        for profile in profiles:
            if profile.backend != diarization.backend or profile.embedding.shape != centroid.shape:
                continue
            pairs.append((float(centroid @ profile.embedding), speaker, profile))
    matched: dict[str, tuple[VoiceProfile, float]] = {}
    used: set[str] = set()
    for similarity, speaker, profile in sorted(pairs, key=lambda p: -p[0]):
        logger.debug("voice %s vs profile %s: %.3f", speaker, profile.name, similarity)
        if similarity < threshold or speaker in matched or profile.name in used:
            continue
        matched[speaker] = (profile, similarity)
        used.add(profile.name)
    return matched


def assign_roles(
    segments: Sequence[Segment],
    diarization: Diarization,
    *,
    profiles: Sequence[VoiceProfile] = (),
    glossary: Sequence[str] = (),
    threshold: float = DEFAULT_MATCH_THRESHOLD,
) -> tuple[Speaker, ...]:
    """A `Speaker` (role, name, confidence) for every diarized speaker, in label order.

    Profiles first (cosine >= `threshold`, one speaker per profile); the other speakers by
    the heuristic in the module docstring. When a profile made someone the salesperson,
    the remaining main speakers are customers.
    """
    talk = diarization.talk_time_s
    order = list(diarization.speakers) + sorted(
        {s.speaker for s in segments if s.speaker} - set(diarization.speakers)
    )
    total = sum(talk.values()) or 1.0
    matched = _match_profiles(diarization, profiles, threshold)
    result: dict[str, Speaker] = {}
    for speaker, (profile, similarity) in matched.items():
        # 0.6 at the threshold, 1.0 at a cosine of 0.95 (typical of the same voice twice)
        closeness = (similarity - threshold) / max(0.95 - threshold, 1e-6)
        confidence = 0.6 + 0.4 * min(1.0, max(0.0, closeness))
        result[speaker] = Speaker(speaker, profile.role, profile.name, round(confidence, 3))
    by_talk = sorted(order, key=lambda s: -talk.get(s, 0.0))
    main = [s for i, s in enumerate(by_talk) if i < 2 or talk.get(s, 0.0) / total >= _OTHER_SHARE]
    for speaker in order:
        if speaker not in result and speaker not in main:
            confidence = 1.0 - talk.get(speaker, 0.0) / total / _OTHER_SHARE / 2
            result[speaker] = Speaker(speaker, "other", None, round(confidence, 3))
    undecided = [s for s in main if s not in result]
    if undecided:
        salesperson_known = any(sp.role == "salesperson" for sp in result.values())
        if salesperson_known:
            best = max(sp.confidence or 0.5 for sp in result.values() if sp.role == "salesperson")
            for speaker in undecided:
                result[speaker] = Speaker(speaker, "customer", None, round(0.9 * best, 3))
        else:
            result.update(_heuristic_roles(undecided, role_scores(segments, diarization, glossary)))
    return tuple(result[s] for s in order)


def _heuristic_roles(speakers: Sequence[str], scores: dict[str, float]) -> dict[str, Speaker]:
    ranked = sorted(speakers, key=lambda s: -scores.get(s, 0.0))
    top = ranked[0]
    if len(ranked) == 1:
        # One voice is no conversation (a memo, a voicemail, a speech): without a profile
        # there is nothing to compare it with, so its role stays unknown.
        return {top: Speaker(top, "unknown", None, None)}
    margin = scores.get(top, 0.0) - scores.get(ranked[1], 0.0)
    confidence = round(0.5 + 0.45 * math.tanh(margin / 3), 3)
    roles = {top: Speaker(top, "salesperson", None, confidence)}
    for speaker in ranked[1:]:
        roles[speaker] = Speaker(speaker, "customer", None, confidence)
    return roles


def with_roles(segments: Sequence[Segment], speakers: Sequence[Speaker]) -> list[Segment]:
    """Segments with the role of their speaker (unknown speakers keep "unknown")."""
    roles = {s.id: s.role for s in speakers}
    return [replace(s, role=roles.get(s.speaker or "", "unknown")) for s in segments]


# --- statistics ------------------------------------------------------------------------------


def conversation_stats(segments: Sequence[Segment]) -> dict[str, Any]:
    """Talk per role (seconds and share), longest monologue per role, questions, turns.

    A turn is a run of consecutive segments by one speaker (by role when speakers are not
    known); the speech in it (its segments, without the pauses between them, as in the talk
    time) is a monologue, so no monologue is ever longer than its side's talk. A question is
    a sentence ending in "?".
    """
    talk: dict[str, float] = {}
    questions: dict[str, int] = {}
    longest: dict[str, float] = {}
    runs: list[tuple[str, str, float]] = []  # (who, role, seconds of speech)
    for segment in sorted(segments, key=lambda s: s.start):
        role = segment.role
        seconds = max(0.0, segment.end - segment.start)
        talk[role] = talk.get(role, 0.0) + seconds
        questions[role] = questions.get(role, 0) + len(re.findall(r"\?+", segment.text))
        who = segment.speaker or role
        if runs and runs[-1][0] == who:
            runs[-1] = (who, role, runs[-1][2] + seconds)
        else:
            runs.append((who, role, seconds))
    for _, run_role, seconds in runs:
        longest[run_role] = max(longest.get(run_role, 0.0), seconds)
    total = sum(talk.values())
    return {
        "talk_s": {r: round(s, 2) for r, s in talk.items()},
        "talk_share": {r: round(s / total, 3) if total else 0.0 for r, s in talk.items()},
        "longest_monologue_s": {r: round(s, 2) for r, s in longest.items()},
        "questions": questions,
        "turns": len(runs),
    }
