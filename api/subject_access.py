"""One person's rights over what ridealong holds about them (AVG/GDPR): everything held, as
one zip (access, article 15), and all of it forgotten (erasure, article 17), without
searching recording by recording.

A person is found by name, as a recording's salesperson or customer or as a named speaker
in its transcript, compared whole and without regard to case: "Jan" is not "Jansen", so
nobody else's conversations are handed out, or deleted, by a partial match. The
recordings' audio holds the other party's voice too, so it is exported only when asked for.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import PurePosixPath
from typing import IO, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, undefer

from analyze.text import known_as_name
from api import service
from api.db import (
    HiddenTerm,
    Recording,
    RecordingTag,
    Status,
    TermCountRow,
    TermKey,
    as_utc,
    may_hold,
    utcnow,
)
from api.errors import Conflict, NotFound
from api.settings import Settings
from api.storage import BlobStore
from api.voices import list_voices
from api.webhooks import ANALYSED, analysed_payload, notify_in_background
from transcribe import Transcript, VoiceProfile
from transcribe.formats import render
from transcribe.redact import (
    NAME_LABEL,
    carried_by,
    people_in,
    redact_mentions,
    redact_text,
    redact_transcript,
)
from transcribe.texts import N_

__all__ = [
    "Forgotten",
    "PersonData",
    "find_person",
    "forget_person",
    "nothing_held",
    "write_person_export",
]


@dataclass(frozen=True, slots=True)
class PersonData:
    """What is held under one name: recordings with how each names the person, and a voice
    profile."""

    name: str
    recordings: list[tuple[Recording, list[str]]]  # and "customer", "speaker S2", …
    # Usually one; names that differ only in case ("Jan de Vries", "jan de vries") are two.
    voices: list[VoiceProfile]

    @property
    def empty(self) -> bool:
        return not self.recordings and not self.voices


def find_person(session: Session, name: str) -> PersonData:
    """The recordings and voice profile held under `name` (whole name, any case, its spaces
    as stored: a name pasted with a non-breaking or a double space is the same name)."""
    name = " ".join(name.split())
    wanted = name.casefold()
    if not wanted:
        return PersonData(name, [], [])
    candidates = session.scalars(
        select(Recording)
        .where(
            or_(
                may_hold(Recording.salesperson, name),
                may_hold(Recording.customer, name),
                may_hold(Recording.transcript_json, name),
            )
        )
        .options(undefer(Recording.transcript_json), undefer(Recording.voices_json))
        .order_by(Recording.created_at, Recording.id)
        # A few at a time: a short name is inside many transcripts' text ("jan" in "januari").
        .execution_options(yield_per=20)
    )
    found = []
    for recording in candidates:
        named_as = [
            field
            for field, value in (
                ("salesperson", recording.salesperson),
                ("customer", recording.customer),
            )
            if service.same_name(value, wanted)
        ]
        transcript = _transcript(recording)
        if transcript is not None:
            named_as += [
                f"speaker {s.id} ({s.role})"
                for s in transcript.speakers
                if service.same_name(s.name, wanted)
            ]
        if named_as:  # the text only mentioned the name: not theirs to receive
            found.append((recording, named_as))
    voices = [v for v in list_voices(session) if service.same_name(v.name, wanted)]
    return PersonData(name.strip(), found, voices)


def nothing_held(name: str, *, mentions: bool = False) -> NotFound:
    """The refusal where nothing is held under `name`: for an export, no recording names
    them (one that only mentions the name is somebody else's conversation); for erasure,
    none mentions them either."""
    if mentions:
        return NotFound(
            N_("no recording names or mentions %(name)s, and no voice profile has that name"),
            name=" ".join(name.split()),
        )
    return NotFound(
        N_(
            "no recording names %(name)s as salesperson, customer or speaker, and no voice "
            "profile has that name (recordings that only mention a name are not exported)"
        ),
        name=" ".join(name.split()),
    )


def _transcript(recording: Recording) -> Transcript | None:
    if not recording.transcript_json:
        return None
    return Transcript.from_dict(json.loads(recording.transcript_json))


def _when(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None


def _voice_print_of(recording: Recording, named_as: list[str]) -> bool:
    speakers = {entry.split()[1] for entry in named_as if entry.startswith("speaker ")}
    try:
        voices = json.loads(recording.voices_json or "{}")
    except ValueError:
        return False
    return isinstance(voices, dict) and bool(speakers & voices.keys())


def _about(recording: Recording, named_as: list[str], audio_file: str | None) -> dict[str, Any]:
    return {
        "id": recording.id,
        "named_as": named_as,
        "title": recording.title,
        "recorded_at": recording.recorded_at.isoformat() if recording.recorded_at else None,
        "uploaded_at": _when(recording.created_at),
        "file": recording.filename,
        "salesperson": recording.salesperson,
        "customer": recording.customer,
        "tags": recording.tags,
        "status": recording.status,
        "language": recording.language,
        "duration_s": recording.duration_s,
        "consent": recording.consent,
        "consent_at": _when(recording.consent_at),
        "consent_by": recording.consent_by,
        "audio_deleted_at": _when(recording.audio_deleted_at),
        "voice_print_held": _voice_print_of(recording, named_as),
        "audio_in_this_export": audio_file,
    }


_README = """\
Data held by ridealong about: {name}
Exported: {when}

person.json   the recordings that name this person (as salesperson, customer or a named
              speaker), with their details and the consent given for each; and their
              enrolled voice profile, if any (who confirmed their consent, and when; the
              voice print itself is {dims} numbers that only ridealong can compare).
recordings/   per recording: the transcript as text and as JSON{audio}.

Matched by the whole name, without regard to case. Recordings that only mention the name
in what was said are not included.

Before handing this over: the transcripts hold what the other people in each conversation
said too (a salesperson, a customer). Remove or black out what is theirs where their rights
require it (GDPR article 15(4)).
"""


def write_person_export(
    out: IO[bytes], person: PersonData, blobs: BlobStore, *, audio: bool = False
) -> None:
    """Write `person`'s data to `out` as a zip (see the module's docstring)."""
    now = utcnow().isoformat()
    recordings = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for recording, named_as in person.recordings:
            folder = PurePosixPath("recordings") / recording.id
            transcript = _transcript(recording)
            if transcript is not None:
                archive.writestr(str(folder / "transcript.txt"), render(transcript, "txt"))
                archive.writestr(str(folder / "transcript.json"), render(transcript, "json"))
            audio_file = None
            if audio and recording.blob_key and recording.audio_deleted_at is None:
                kept = blobs.path(recording.blob_key)
                if kept.is_file():  # not deleted meanwhile, nor missing from the bucket
                    suffix = PurePosixPath(recording.filename).suffix.lower()[:6]
                    audio_file = str(folder / f"audio{suffix}")
                    archive.write(kept, audio_file, zipfile.ZIP_STORED)
            recordings.append(_about(recording, named_as, audio_file))
        profiles = [
            {
                "name": voice.name,
                "role": voice.role,
                "consent_by": voice.consent_by,
                "enrolled_at": voice.enrolled_at,
            }
            for voice in person.voices
        ]
        document = {
            "name": person.name,
            "exported_at": now,
            "recordings": recordings,
            "voice_profile": profiles[0] if profiles else None,  # the first, as before
            "voice_profiles": profiles,  # all: names that differ in case only are several
        }
        archive.writestr("person.json", json.dumps(document, ensure_ascii=False, indent=2))
        archive.writestr(
            "README.txt",
            _README.format(
                name=person.name,
                when=now,
                dims=len(person.voices[0].embedding) if person.voices else "a few hundred",
                audio=", and the audio (both sides of the conversation)" if audio else "",
            ),
        )


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What forgetting a person did: recordings deleted whole, or kept without the person
    (`keep_words`), and whether a voice profile went."""

    name: str
    deleted: list[str]
    unnamed: list[str]
    voice_profile: bool
    mentions: list[str] = field(default_factory=list)  # others' recordings that said the name
    # Others' recordings not transcribed yet when it ran: their words could not be checked.
    pending: list[str] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(
            self.deleted or self.unnamed or self.voice_profile or self.mentions or self.pending
        )


def forget_person(
    session: Session,
    blobs: BlobStore,
    person: PersonData,
    *,
    keep_words: bool = False,
    settings: Settings | None = None,
) -> Forgotten:
    """Erase `person` (found by `find_person`): their voice profile and the voice prints
    taken from them, and every recording that names them.

    By default those recordings go whole: a conversation with a customer is about that
    customer. With `keep_words` (a salesperson who left, whose calls still tell how
    customers talk) each stays without the person: the name leaves its details, speakers
    and title, names and contact details in the words become labels ("[naam]"), and the
    audio and its voice prints go. A recording still being transcribed is refused (Conflict)
    before anything changes; with `settings`, the webhook hears of each change.
    """
    busy = [r.id for r, _ in person.recordings if r.status in (Status.queued, Status.processing)]
    if busy and keep_words:
        raise Conflict(
            "recording %(id)s is still being transcribed; forget this person when it is done",
            id=busy[0],
        )
    # The profile first (committed): a job that ends meanwhile no longer names the person.
    voice_profile = False
    for voice in person.voices:
        voice_profile = service.delete_voice(session, voice.name) or voice_profile
    deleted, unnamed = [], []
    for recording, _ in person.recordings:
        if keep_words:
            _unname(session, blobs, recording, person.name, settings)
            unnamed.append(recording.id)
        else:
            service.delete_recording(session, blobs, recording.id, settings)
            deleted.append(recording.id)
    mentions, pending = _redact_mentions(session, person.name, {*deleted, *unnamed}, settings)
    _unhide_name(session, person.name)
    service.checkpoint_wal(session)  # no old copy of a row lingers in SQLite's log
    return Forgotten(person.name, deleted, unnamed, voice_profile, mentions, pending)


def _redact_mentions(
    session: Session, name: str, theirs: set[str], settings: Settings | None
) -> tuple[list[str], list[str]]:
    """Label the person's name where other people's recordings hold it: their words ("onze
    buurman Piet Jansen", see `redact_mentions`), and the title, file name, tags and
    glossary somebody typed ("Vervolg Piet Jansen"). It is their personal data too. A failed
    job's saved part that holds the name is dropped (a retry starts over). Returns the ids
    of the recordings changed, and of those not transcribed yet, whose words could not be
    checked."""
    longest = max(re.split(r"[\W_]+", name), key=len)
    if len(longest) < 3:  # "A", "Bo": a part of others' words, never told from the person
        return [], []
    candidates = session.scalars(
        select(Recording.id)
        .where(
            or_(
                may_hold(Recording.transcript_json, name),
                may_hold(Recording.checkpoint_json, name),
                # typed by hand: "piet_jansen.m4a", "PietJansen", the tag "piet-jansen"
                may_hold(Recording.title, longest),
                may_hold(Recording.filename, longest),
                may_hold(Recording.glossary, longest),
                may_hold(Recording.salesperson, longest),
                may_hold(Recording.customer, longest),
                may_hold(Recording.error, longest),
                Recording.id.in_(
                    select(RecordingTag.recording_id).where(may_hold(RecordingTag.tag, longest))
                ),
                Recording.status.in_((Status.queued, Status.processing)),
            )
        )
        .order_by(Recording.created_at, Recording.id)
    ).all()
    changed, pending = [], []
    for recording_id in candidates:
        if recording_id in theirs:
            continue
        service.lock_recording(session, recording_id)  # a job storing it meanwhile waits
        recording = session.get(
            Recording,
            recording_id,
            options=[undefer(Recording.transcript_json), undefer(Recording.checkpoint_json)],
            populate_existing=True,
        )
        if recording is None:  # deleted meanwhile
            session.rollback()
            continue
        if recording.status in (Status.queued, Status.processing):
            pending.append(recording_id)
        if _unmention(session, recording, name):
            recording.updated_at = utcnow()
            session.commit()
            changed.append(recording_id)
        else:
            session.rollback()
            continue
        if recording.status == Status.done and settings is not None:
            redacted = Transcript.from_dict(json.loads(recording.transcript_json or "{}"))
            notify_in_background(settings, ANALYSED, analysed_payload(recording_id, redacted))
    return changed, pending


def _unmention(session: Session, recording: Recording, name: str) -> bool:
    """Take `name` out of `recording`, somebody else's (see `_redact_mentions`), its terms
    recounted where its words changed; whether anything changed (not committed). A
    recording whose own people carry the name ("Jan de Vries" when "De Vries" is forgotten)
    is left as it is: its mentions may be theirs."""
    changed = False
    own = [recording.salesperson or "", recording.customer or ""]
    transcript = None
    if recording.transcript_json and recording.status == Status.done:
        transcript = Transcript.from_dict(json.loads(recording.transcript_json))
        own += [s.name or "" for s in transcript.speakers]
    if carried_by(name, people_in(own)):
        return False
    if transcript is not None:
        redacted = redact_mentions(transcript, name, keep=own)
        if redacted.segments != transcript.segments:
            recording.transcript_json = json.dumps(redacted.to_dict(), ensure_ascii=False)
            service.recount_terms(session, recording, redacted)
            changed = True
    if recording.checkpoint_json and name.casefold() in recording.checkpoint_json.casefold():
        recording.checkpoint_json = None
        changed = True
    whole = _typed_pattern(name)
    if whole is None:
        return changed
    typed = (
        ("title", service.TITLE_CHARS),
        ("filename", 255),
        ("glossary", None),
        ("salesperson", 200),  # "Piet Jansen en Marie Jansen"
        ("customer", 200),
        ("error", None),  # a failed job's reason may quote the file's name
    )
    for column, limit in typed:
        value = getattr(recording, column)
        if value and (unnamed := whole.sub(NAME_LABEL, value)) != value:
            setattr(recording, column, unnamed[:limit])
            if column == "error":
                recording.error_text_json = None
            changed = True
    tags = [row for row in recording.tag_rows if not whole.search(row.tag)]
    if len(tags) < len(recording.tag_rows):
        recording.tag_rows = tags
        changed = True
    return changed


def _unhide_name(session: Session, name: str) -> None:
    """Drop hidden terms made only of the name's parts ("jansen", "piet jansen") that no
    recording says any more: the list of hidden terms would keep the name after everything
    else forgot it. One still said (another Jansen) stays hidden."""
    parts = {p.casefold() for p in re.split(r"[\W_]+", name) if p}
    for row in session.scalars(select(HiddenTerm)).all():
        words = [w.casefold() for w in re.split(r"[\W_]+", row.term) if w]
        if words and set(words) <= parts and not _still_said(session, row.key):
            session.delete(row)
    session.commit()


def _still_said(session: Session, key: str) -> bool:
    return (
        session.scalar(
            select(TermCountRow.recording_id)
            .join(TermKey, TermKey.id == TermCountRow.term_id)
            .where(TermKey.key == key)
            .limit(1)
        )
        is not None
    )


def _name_pattern(name: str, *, alone: bool = True) -> re.Pattern[str] | None:
    """The name as typed anywhere a person writes it by hand: any case, its parts joined
    by spaces, dashes, underscores or nothing ("karel_appel", "KarelAppel"), and (`alone`)
    its parts of four letters or more alone ("appel offerte"). Never inside another word."""
    parts = [p for p in re.split(r"[\W_]+", name) if p]
    if not parts:
        return None
    alternatives = [r"[\W_]*".join(map(re.escape, parts))]
    if alone:
        alternatives += [re.escape(p) for p in parts if len(p) >= 4 and len(parts) > 1]
    return re.compile(rf"(?<![^\W_])(?:{'|'.join(alternatives)})(?![^\W_])", re.IGNORECASE)


def _typed_pattern(name: str) -> re.Pattern[str] | None:
    """The name as somebody else's recording may have it typed (`_name_pattern`, its parts
    not alone). One word that is also a common word only as a name is written ("Bakker",
    "BAKKER"), as in their words: the tag "bakker" and the title "Energie voor de bakker"
    are no person; one that is only a name ("jansen") in any case, in a tag too."""
    parts = [p for p in re.split(r"[\W_]+", name) if p]
    if len(parts) != 1 or known_as_name(parts[0]):
        return _name_pattern(name, alone=False)
    forms = {parts[0], parts[0].upper(), parts[0][:1].upper() + parts[0][1:].lower()}
    written = sorted((re.escape(f) for f in forms if f[:1].isupper()), key=len, reverse=True)
    if not written:
        return None
    return re.compile(rf"(?<![^\W_])(?:{'|'.join(written)})(?![^\W_])")


def _without_name(text: str, names: Sequence[str]) -> str:
    """`text` (a title, a file name, a tag) with the names labelled, as typed by hand:
    `redact_text` first (names as capitalised, contact details), then `_name_pattern`."""
    text = redact_text(text, names)[0]
    for name in names:
        if (pattern := _name_pattern(name)) is not None:
            text = pattern.sub(NAME_LABEL, text)
    return text


def _unname(
    session: Session,
    blobs: BlobStore,
    recording: Recording,
    name: str,
    settings: Settings | None,
) -> None:
    """Keep `recording`'s words without the person called `name` (see `forget_person`)."""
    service.lock_recording(session, recording.id)  # a correction meanwhile waits, then reads
    session.refresh(recording)
    spellings = {name.title()}  # the redaction matches names as they are capitalised
    for column in ("salesperson", "customer"):
        value = getattr(recording, column)
        if service.same_name(value, name):
            spellings.add(str(value).strip())
            setattr(recording, column, None)
    transcript = _transcript(recording)
    if transcript is not None:
        speakers = []
        for speaker in transcript.speakers:
            if service.same_name(speaker.name, name):
                spellings.add((speaker.name or "").strip())
                speaker = replace(speaker, name=None)
            speakers.append(speaker)
        transcript = redact_transcript(replace(transcript, speakers=tuple(speakers)), spellings)
        recording.transcript_json = json.dumps(transcript.to_dict(), ensure_ascii=False)
    names = sorted(spellings)
    if recording.title:
        recording.title = _without_name(recording.title, names)[: service.TITLE_CHARS]
    # "Jan Smit - bezoek.m4a", "jan_smit_bezoek.m4a"; the column holds 255 characters
    recording.filename = _without_name(recording.filename, names)[:255]
    if recording.glossary:
        recording.glossary = _without_name(recording.glossary, names)
    if recording.error:  # a failed job's reason may quote the file's name
        recording.error = _without_name(recording.error, names)
        recording.error_text_json = None
    recording.tag_rows = [  # "karel-appel": a tag that names them goes
        row for row in recording.tag_rows if _without_name(row.tag, names) == row.tag
    ]
    recording.sha256 = None  # the fingerprint of audio that is gone
    recording.updated_at = utcnow()
    if transcript is not None and recording.status == Status.done:
        service.recount_terms(session, recording, transcript)  # no quote keeps the name
    service.drop_audio(session, blobs, recording)  # commits the rest too
    if transcript is not None and settings is not None and recording.status == Status.done:
        notify_in_background(settings, ANALYSED, analysed_payload(recording.id, transcript))
