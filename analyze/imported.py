"""Transcripts made elsewhere, as ridealong transcripts: a video call's WebVTT (Teams, Zoom,
Google Meet), SRT, or ridealong's own JSON from another installation.

Many sales conversations happen on video calls whose tool already wrote a transcript with
times and names. Imported, such a call counts in every report like a recording of its
own, without its audio: who spoke comes from the transcript's labels (a WebVTT voice,
`<v Jan de Vries>`, or a `Jan de Vries: ` before each line), and a speaker's role from a
role in the label ("Klant", "Jan, verkoper"), the upload's salesperson and customer names,
an enrolled salesperson's name, or else the same heuristic as for recordings
(`transcribe.roles`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

from analyze.inputs import MAX_JOINED_CUE_CHARS, SENTENCE_END, Cue, timed_cues
from analyze.names import NAME_LINKS, is_first_name
from analyze.terms import ROLE_WORDS, line_role, utterance_language
from analyze.text import guess_language, normalise_language
from transcribe.types import Role, Segment, Speaker, Transcript

__all__ = [
    "DOCUMENT_SUFFIXES",
    "IMPORT_SUFFIXES",
    "IMPORTED_MODEL",
    "imported_transcript",
    "is_transcript_file",
]

IMPORT_SUFFIXES = (".vtt", ".srt", ".sbv", ".json")
# Text a person may take for a transcript, which has no times or speakers to import: said
# so, rather than "not an audio file".
DOCUMENT_SUFFIXES = (".txt", ".md", ".doc", ".docx", ".pdf", ".rtf", ".odt", ".csv")
IMPORTED_MODEL = "imported"  # Transcript.model of a WebVTT or SRT import: no Whisper ran
# "Jan de Vries: " before a cue's words (Zoom's WebVTT, many SRT exports): a name of a few
# words, perhaps with a company or a device ("Linda Koster (Acme BV)", "Wouter | SolarPro",
# "Martijn's iPhone"), or a dial-in's number. ridealong's own SRT adds the speaker ("Jan,
# verkoper (S1): "), which keeps two customers apart.
_NAME_LABEL = re.compile(r"(?P<who>(?:[^\W\d_]|\+?\d{6})[^:.?!\n]{0,60}?)\s*:\s+")
_LABEL_WORDS = 6  # a label longer than this is a sentence with a colon in it
# A label is a speaker when it names a role or "Speaker 1", or when it reads as a name (its
# words capitalised) and is said again or stands in a file that labels most cues: "Vraag:
# hoe lang …" and "Het punt is dit: …" are words.
_LABELLED_SHARE = 0.5
_SPEAKER_ID = re.compile(r"\s*\(S\d{1,2}\)$")
# Labels that say who without a name: "S1", "Speaker 2", "Spreker 1", "SPEAKER_00".
_NO_NAME = re.compile(r"(?:s|speaker|spreker|spk)[\s_]*\d{1,2}", re.IGNORECASE)


def is_transcript_file(filename: str | None) -> bool:
    """Whether an upload of this name is a transcript to import rather than audio."""
    return (filename or "").lower().endswith(IMPORT_SUFFIXES)


def imported_transcript(
    raw: str,
    filename: str,
    language: str | None = None,
    roles_by_name: Mapping[str, Role] | None = None,
) -> Transcript:
    """The transcript in `raw` (the file's text). `language`: the calls' language, None or
    "auto" to guess it from the words. `roles_by_name`: people whose role is known (the
    upload's salesperson and customer, enrolled salespeople), any capitals. ValueError
    with a readable reason when the file holds no transcript."""
    if filename.lower().endswith(".json"):
        transcript = _from_json(raw, filename)
        if transcript.language:
            return transcript
        said = " ".join(s.text for s in transcript.segments)
        guessed = language if language and language != "auto" else guess_language(said)
        return replace(transcript, language=normalise_language(guessed))
    lines = _speaker_lines(timed_cues(raw))
    if not lines:
        raise ValueError(f"{filename}: no timed lines found (WebVTT or SRT cues)")
    text = " ".join(said for _, said, _, _ in lines)
    main = normalise_language(language if language and language != "auto" else guess_language(text))
    ids = {who: f"S{n}" for n, who in enumerate(dict.fromkeys(w for w, *_ in lines if w), 1)}
    segments = tuple(
        Segment(start, end, said, speaker=ids.get(who), language=utterance_language(said, main))
        for who, said, start, end in lines
    )
    speakers = _speakers(ids, segments, roles_by_name or {})
    roles = {s.id: s.role for s in speakers}
    segments = tuple(replace(s, role=roles.get(s.speaker or "", "unknown")) for s in segments)
    return Transcript(
        language=main,
        duration_s=max(s.end for s in segments),
        model=IMPORTED_MODEL,
        segments=segments,
        speakers=speakers,
    )


def _from_json(raw: str, filename: str) -> Transcript:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"{filename}: invalid JSON ({e.msg} at line {e.lineno})") from e
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise ValueError(f"{filename}: not a transcript (no list of segments)")
    try:
        transcript = Transcript.from_dict(data)
    except (ValueError, TypeError, KeyError) as e:
        raise ValueError(f"{filename}: not a transcript ({e})") from e
    if not transcript.segments:
        raise ValueError(f"{filename}: the transcript holds no lines")
    return transcript


def _speaker_lines(cues: Sequence[Cue]) -> list[tuple[str, str, float, float]]:
    """(who, what they said, start, end) per sentence: a cue's speaker from its voice or its
    "Name: " label, and cues of one speaker joined while a sentence runs on (Zoom cuts them
    anywhere). In a file that names its speakers, a cue without a name is the previous
    speaker's (Descript names a speaker only where the turn changes)."""
    found = [(c, _label_of(c.text)) for c in cues]
    labelled = sum(bool(c.voice or label) for c, label in found) / max(len(found), 1)
    counted = Counter(label[0] for _, label in found if label)

    def a_speaker(label: str) -> bool:
        """A role or "Speaker 1"; else a name, said again or in a file of names."""
        return _is_label(label) or (
            _looks_like_name(label) and (counted[label] >= 2 or labelled >= _LABELLED_SHARE)
        )

    names_speakers = any(c.voice or (label and a_speaker(label[0])) for c, label in found)
    spoken: list[tuple[str, str, float, float]] = []
    who = ""
    for cue, label in found:
        said = cue.text
        if cue.voice:
            who = cue.voice
        elif label and a_speaker(label[0]):
            who, said = label
        elif (tagged := line_role(said))[0] != "unknown":  # "[klant] …"
            who, said = tagged[0], tagged[1]
        elif not names_speakers:
            who = ""  # a file without names: no speaker at all
        who, said = " ".join(who.split()), said.strip()
        if not said:
            continue
        if (
            spoken
            and spoken[-1][0] == who
            and not SENTENCE_END.search(spoken[-1][1])
            and len(spoken[-1][1]) + len(said) < MAX_JOINED_CUE_CHARS
        ):
            last = spoken[-1]
            spoken[-1] = (who, f"{last[1]} {said}", last[2], max(last[3], cue.end))
        else:
            spoken.append((who, said, cue.start, cue.end))
    return spoken


def _label_of(text: str) -> tuple[str, str] | None:
    """(label, the words after it) where a cue's text starts with one."""
    if (m := _NAME_LABEL.match(text)) and len(m["who"].split()) <= _LABEL_WORDS:
        return " ".join(m["who"].split()), text[m.end() :]
    return None


def _looks_like_name(label: str) -> bool:
    """ "Anouk Peeters", "Mark van den Berg", "Linda Koster (Acme BV)", "Wouter | SolarPro",
    "Martijn's iPhone", a first name alone ("Peter") or a dial-in's number; not "Het punt is
    dit", nor "Vraag"."""
    words = re.sub(r"\([^)]*\)", " ", label).split("|")[0].split()
    if re.fullmatch(r"\+?[\d ]{6,}", label):
        return True
    if len(words) == 1:
        return is_first_name(re.sub(r"['’]s$", "", words[0]))
    return all(any(c.isupper() for c in w) or w.lower() in NAME_LINKS for w in words)


def _is_label(who: str) -> bool:
    """A label in a file that mostly names nobody: a role ("Klant: ") or "Speaker 1: "."""
    return _role_in(who) is not None or bool(_NO_NAME.fullmatch(who))


def _role_in(who: str) -> Role | None:
    """The role a label names: "Klant", "Jan Smit, verkoper", "Customer (S2)"."""
    return ROLE_WORDS.get(_SPEAKER_ID.sub("", who).rsplit(",", 1)[-1].strip().lower())


def _name_in(who: str) -> str | None:
    """The person a label names: "Jan Smit" of "Jan Smit, verkoper (S1)", "Linda Koster" of
    "Linda Koster (Acme BV)", "Wouter" of "Wouter | SolarPro"; none in "Klant", "S1", a
    dial-in's number or "Martijn's iPhone"."""
    who = _SPEAKER_ID.sub("", who)
    who = re.sub(r"\s*\([^)]*\)\s*$", "", who).split("|")[0].strip()
    if re.fullmatch(r"\+?[\d ]+", who) or re.search(r"['’]s (?:iphone|ipad|phone)$", who, re.I):
        return None
    if _role_in(who) is not None:
        who = who.rsplit(",", 1)[0] if "," in who else ""
    elif "," in who:  # Teams' "Vries, Jan de": Jan de Vries
        last, first = (part.strip() for part in who.split(",", 1))
        who = f"{first} {last}"
    who = " ".join(who.split())
    return None if not who or _NO_NAME.fullmatch(who) else who


def _known_role(name: str | None, known: Mapping[str, Role]) -> Role | None:
    """The role of a person known by name, in any capitals, by their whole name or, where
    only one side gives it, their first name ("Noor" typed at upload, "Noor El Amrani" in
    the call)."""
    if not name:
        return None
    said = name.casefold().split()
    exact = [role for typed, role in known.items() if typed.split() == said]
    if exact:
        return exact[0]
    by_first = {
        role
        for typed, role in known.items()
        if min(len(typed.split()), len(said)) == 1 and typed.split()[0] == said[0]
    }
    return by_first.pop() if len(by_first) == 1 else None  # two Jans: nobody


def _speakers(
    ids: Mapping[str, str], segments: Sequence[Segment], roles_by_name: Mapping[str, Role]
) -> tuple[Speaker, ...]:
    """A role for each labelled speaker: the label's own, a known person's, else the
    heuristic for recordings, with talk time taken from the lines' times."""
    from transcribe.diarize import Diarization, SpeakerTurn
    from transcribe.roles import assign_roles

    known = {
        (_name_in(name) or " ".join(name.split())).casefold(): role
        for name, role in roles_by_name.items()
    }
    result: dict[str, Speaker] = {}
    for who, label in ids.items():
        name = _name_in(who)
        role = _role_in(who) or _known_role(name, known)
        if role is not None:
            result[label] = Speaker(label, role, name, 1.0)
    undecided = [label for label in ids.values() if label not in result]
    if undecided:
        turns = tuple(
            SpeakerTurn(s.start, max(s.end, s.start + 0.01), s.speaker)
            for s in segments
            if s.speaker in undecided
        )
        guessed = {
            s.id: s
            for s in assign_roles([s for s in segments if s.speaker in undecided],
                                  Diarization(turns))
        }  # fmt: skip
        named = {s.role for s in result.values()}
        for label in undecided:
            guess = guessed.get(label, Speaker(label))
            if "salesperson" in named and guess.role != "other":
                guess = replace(guess, role="customer", confidence=0.9)  # the one visited
            elif guess.role == "unknown" and named == {"customer"}:
                guess = replace(guess, role="salesperson", confidence=0.7)  # who visited them
            result[label] = guess
    names = {label: _name_in(who) for who, label in ids.items()}
    return tuple(replace(result[label], name=names[label]) for label in ids.values())
