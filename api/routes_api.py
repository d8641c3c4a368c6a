"""JSON API under /api/v1, for scripts and the CMS. Every route needs an API key."""

from __future__ import annotations

import tempfile
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BeforeValidator
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from analyze import suggestions_csv, suggestions_markdown
from analyze.export import XLSX_MEDIA_TYPE, suggestions_xlsx, terms_csv, terms_xlsx
from api import i18n, pages, service, subject_access
from api.app import db_session, require_api_key, require_scope, state, submit_recording
from api.auth import PERSONAL_FILTERS, needed_scope, scope_allows
from api.db import Status
from api.downloads import attachment
from api.errors import Forbidden, InvalidInput, NotFound
from api.report_privacy import without_personal_data
from api.schemas import (
    HiddenTermList,
    HiddenTermOut,
    HideTerm,
    InputProblems,
    LinesPatch,
    PersonForgotten,
    Problem,
    QuestionsOut,
    RecordingCreated,
    RecordingList,
    RecordingOut,
    RecordingPatch,
    RisingTermsOut,
    SpeakersOut,
    SpeakersPatch,
    SuggestionRequest,
    SuggestionsOut,
    SynonymsOut,
    TermsOut,
    TranscriptOut,
    VoiceEnrolled,
    VoiceList,
    VoiceOut,
)
from api.subject_access import find_person, write_person_export
from transcribe import NEW_SPEAKER, SpeakerChange
from transcribe.formats import MEDIA_TYPES, render
from transcribe.texts import N_

# The error answers, documented so /openapi.json says every status a route can give
# (api.errors maps the exceptions to them; FastAPI itself answers 400 to a body it cannot
# parse). 422 is either a reason in words (InvalidInput, unreadable audio) or, for a request
# that does not fit the schema, a list of problems. tests/api/test_openapi_fuzz.py holds
# the routes to it.
_ERRORS: dict[int, dict[str, Any]] = {
    400: {
        "model": Problem,
        "description": "the body cannot be parsed (broken multipart, JSON that is not UTF-8)",
    },
    401: {"model": Problem, "description": "no API key, or an unknown or revoked one"},
    403: {
        "model": Problem,
        "description": "the API key's scope does not cover this request; or, for a `report` "
        "key, the filters leave fewer recordings than RIDEALONG_REPORT_MIN_RECORDINGS (code "
        "`too_few_recordings`). A report key's quotes come with names and contact details as "
        "labels ([naam]), an empty recording_id, and at most 3 of any one conversation; no "
        "term or keyword it gets is a name",
    },
    404: {
        "model": Problem,
        "description": "no such recording (or voice), or its transcript is not ready yet",
    },
    409: {
        "model": Problem,
        "description": "busy: a recording it would change is still being transcribed",
    },
    413: {
        "model": Problem,
        "description": "the body is larger than the upload limit (RIDEALONG_MAX_UPLOAD_MB)",
    },
    429: {"model": Problem, "description": "too many uploads a minute (Retry-After says when)"},
    422: {
        "model": Problem | InputProblems,
        "description": "invalid input: what to send instead",
    },
    503: {
        "model": Problem,
        "description": "the database is busy or restarting (Retry-After says when to try again), "
        "or a speech or language model is missing or broken",
    },
    507: {"model": Problem, "description": "the upload could not be stored (disk full)"},
}


def errors(*codes: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entries for these error statuses; `described` ("e409"="...") gives
    a status this route's own description."""
    entries: dict[int | str, dict[str, Any]] = {code: _ERRORS[code] for code in codes}
    for key, description in described.items():
        code = int(key.removeprefix("e"))
        entries[code] = {**_ERRORS[code], "description": description}
    return entries


router = APIRouter(
    prefix="/api/v1",
    dependencies=[Depends(require_api_key)],
    tags=["api"],
    responses=errors(401, 403, 503),  # 503: any route, while the database restarts
)

SessionDep = Annotated[Session, Depends(db_session)]


def _check_order(since: date | None, until: date | None) -> None:
    if since and until and since > until:
        raise InvalidInput(f"since ({since}) is after until ({until})")


def _blank_is(default: Any) -> BeforeValidator:
    """An empty query parameter (`?since=`, as a CMS form sends an unfilled field) reads as
    one not given."""
    return BeforeValidator(lambda value: default if value == "" else value)


BlankIsNone = _blank_is(None)
Role = Literal["salesperson", "customer", "other", "unknown"]


_UPLOAD_FIELDS = frozenset(
    {"file", "consent", "title", "salesperson", "customer", "recorded_at", "language",
     "glossary", "tags", "force_copy"}
)  # fmt: skip
_MEANT = {"tag": "tags", "date": "recorded_at", "sales_person": "salesperson"}  # CLI-like names


async def _one_file(request: Request) -> None:
    """Refuse a second `file` part (FastAPI would keep only the last one), and a field of
    another name ("tag" for "tags"), which would be dropped: both silently."""
    form = await request.form()  # parsed once; the route's own fields read the same form
    if len(form.getlist("file")) > 1:
        raise InvalidInput("one file per request: send each recording in a POST of its own")
    unknown = sorted(set(form.keys()) - _UPLOAD_FIELDS)
    if unknown:
        meant = _MEANT.get(unknown[0])
        raise InvalidInput(
            N_("unknown field %(field)s: the fields are %(fields)s")
            if meant is None
            else N_("unknown field %(field)s: did you mean %(meant)s?"),
            field=unknown[0],
            fields=", ".join(sorted(_UPLOAD_FIELDS)),
            meant=meant,
        )


@router.post(
    "/recordings",
    status_code=202,
    response_model=RecordingCreated,
    dependencies=[Depends(_one_file)],
    responses={
        200: {"model": RecordingCreated, "description": "the same audio was uploaded before"},
        **errors(400, 413, 422, 429, 507),
    },
)
def upload_recording(
    request: Request,
    response: Response,
    session: SessionDep,
    api_key: Annotated[str, Depends(require_api_key)],
    file: Annotated[
        UploadFile,
        File(
            description="wav, mp3, m4a, ogg, webm, flac, mp4 ...; or a video call's "
            "transcript (.vtt, .srt, ridealong .json), imported without audio"
        ),
    ],
    consent: Annotated[bool, Form(description="everyone recorded agreed; required")] = False,
    title: Annotated[str | None, Form()] = None,
    salesperson: Annotated[str | None, Form()] = None,
    customer: Annotated[str | None, Form()] = None,
    recorded_at: Annotated[date | None, Form()] = None,
    language: Annotated[
        str | None,
        Form(
            description="auto (nl or en, chosen per recording), nl, en, or a Whisper code; "
            "default: the server's RIDEALONG_LANGUAGE (auto unless set)"
        ),
    ] = None,
    glossary: Annotated[
        str | None, Form(description="product and brand words said in it, comma-separated")
    ] = None,
    tags: Annotated[
        str | None, Form(description="labels to filter reports by, comma-separated")
    ] = None,
    force_copy: Annotated[
        bool, Form(description="keep a second recording when this audio was uploaded before")
    ] = False,
) -> Any:
    """Store a recording and queue it for transcription and analysis. The same audio again
    (same sha256) answers 200 with the earlier recording, its fields unchanged, and
    `"duplicate": true`, unless `force_copy=true`. A transcript file (WebVTT or SRT from
    Teams, Zoom or Meet, with its speakers' names; ridealong's transcript JSON) is imported
    and analysed at once: the answer's status is already `done`, and the recording has no
    audio."""
    meta = service.NewRecording(
        consent=consent,
        title=title,
        salesperson=salesperson,
        customer=customer,
        recorded_at=recorded_at,
        language=(language or state(request).settings.language).strip().lower(),
        glossary=glossary,
        tags=service.parse_tags(tags),
        force_copy=force_copy,
        consent_by=f"API key {api_key}",
    )
    try:
        recording = submit_recording(
            state(request), session, file, meta, client=f"key:{request.state.api_key_id}"
        )
    except service.DuplicateRecording as e:
        earlier = RecordingCreated(id=e.recording.id, status=e.recording.status, duplicate=True)
        return JSONResponse(
            earlier.model_dump(), status_code=200, headers=_location(e.recording.id)
        )
    response.headers.update(_location(recording.id))
    return RecordingCreated(id=recording.id, status=recording.status)


def _location(recording_id: str) -> dict[str, str]:
    """Where an upload's recording is polled (its status, then its facts)."""
    return {"Location": f"/api/v1/recordings/{recording_id}"}


@router.get("/recordings", response_model=RecordingList, responses=errors(422))
def list_recordings(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000), _blank_is(200)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000), _blank_is(0)] = 0,
    status: Annotated[Status | None, Query(description="only this status"), BlankIsNone] = None,
    salesperson: Annotated[
        str | None, Query(max_length=200, description="a part of the name, any case"), BlankIsNone
    ] = None,
    customer: Annotated[
        str | None, Query(max_length=200, description="a part of the name, any case"), BlankIsNone
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="a part of the title or of either name (any case), a tag, a term "
            "somebody said (any form: 'offertes' finds 'offerte'), or the start of a day "
            "(2026-12)",
        ),
        BlankIsNone,
    ] = None,
    tag: Annotated[
        str | None, Query(max_length=50, description="one of its tags"), BlankIsNone
    ] = None,
    since: Annotated[
        date | None, Query(description="recorded on or after (YYYY-MM-DD)"), BlankIsNone
    ] = None,
    until: Annotated[date | None, Query(description="recorded on or before"), BlankIsNone] = None,
) -> RecordingList:
    """Recordings, newest first; page with `limit` and `offset` up to `total`. `customer`
    finds one person's recordings (to answer their request for their data). Dates are the
    recording date, or the upload day where none was given, as reports count them."""
    _check_order(since, until)
    choice = service.ListChoice(status, salesperson, customer, q, tag, since, until)
    rows = service.list_recordings(session, limit, offset, choice)
    silent = service.without_speech(session, rows)
    return RecordingList(
        recordings=[RecordingOut.of(r, r.id in silent) for r in rows],
        total=service.count_recordings(session, choice),
    )


@router.get("/recordings/{recording_id}", response_model=RecordingOut, responses=errors(404, 422))
def get_recording(recording_id: str, session: SessionDep) -> RecordingOut:
    """One recording: its status and progress while it is worked on, then its facts."""
    recording = service.get_recording(session, recording_id)
    return RecordingOut.of(recording, bool(service.without_speech(session, [recording])))


@router.patch(
    "/recordings/{recording_id}",
    response_model=RecordingOut,
    responses=errors(400, 404, 413, 422),
)
def patch_recording(
    recording_id: str, body: RecordingPatch, request: Request, session: SessionDep
) -> RecordingOut:
    """Correct a recording's title, people or date, or set its tags (`[]` clears them);
    `""` clears a name, `"title": ""` gives back the default title (the file's name), and
    `"recorded_at": ""` forgets a wrong date (reports then count the upload day). `null`, or
    a field left out, leaves it as it is. A change of names recounts the terms and is told
    to the webhook."""
    changes = service.RecordingChanges(
        title=body.title,
        salesperson=body.salesperson,
        customer=body.customer,
        recorded_at=body.recorded_at or None,
        forget_recorded_at=body.recorded_at == "",
        tags=None if body.tags is None else tuple(body.tags),
    )
    recording = service.update_recording(session, recording_id, changes, state(request).settings)
    return RecordingOut.of(recording, bool(service.without_speech(session, [recording])))


@router.get(
    "/recordings/{recording_id}/transcript",
    response_model=TranscriptOut,
    responses={200: {"content": {m: {} for m in MEDIA_TYPES.values()}}, **errors(404, 422)},
)
def get_transcript(
    recording_id: str,
    session: SessionDep,
    format: Annotated[  # the query parameter's name, though it shadows a builtin
        Literal["json", "txt", "srt", "vtt"], _blank_is("json")
    ] = "json",
) -> Response:
    """The transcript with speakers, roles and word timings (JSON), or as text or subtitles.
    404 until the recording is done: its `status` says how far it is."""
    transcript = service.get_transcript(session, recording_id)
    if format == "json":
        return Response(render(transcript, "json"), media_type=MEDIA_TYPES["json"])
    return PlainTextResponse(render(transcript, format), media_type=MEDIA_TYPES[format])


@router.patch(
    "/recordings/{recording_id}/segments",
    response_model=TranscriptOut,
    responses=errors(
        400,
        404,
        413,
        422,
        e409="a line changed since it was read (code `line_changed`: corrected, or a line "
        "before it removed); nothing was changed",
    ),  # fmt: skip
)
def patch_segments(
    recording_id: str, body: LinesPatch, request: Request, session: SessionDep
) -> Response:
    """Correct what lines say (a misheard word, a name) and who said them (`speaker`); an
    empty text removes a line that was never said. Word timings stay where words stay; the
    recording's terms are redone. Send `was` (the line as you read it) so that a line
    changed since is refused (409) rather than overwritten. Answers the corrected
    transcript."""
    if len({change.index for change in body.segments}) < len(body.segments):
        raise InvalidInput("each line at most once in one correction")
    new_roles = {c.role for c in body.segments if c.speaker == NEW_SPEAKER and c.role}
    if len(new_roles) > 1:
        raise InvalidInput("lines given to one new speaker need one role")
    transcript = service.correct_lines(
        session,
        state(request).settings,
        recording_id,
        {c.index: c.text for c in body.segments if c.text is not None},
        {c.index: c.was for c in body.segments if c.was is not None},
        {c.index: c.speaker for c in body.segments if c.speaker is not None},
        new_roles.pop() if new_roles else "unknown",
    )
    return Response(render(transcript, "json"), media_type=MEDIA_TYPES["json"])


@router.get(
    "/recordings/{recording_id}/speakers", response_model=SpeakersOut, responses=errors(404, 422)
)
def get_speakers(recording_id: str, session: SessionDep) -> SpeakersOut:
    """Who spoke, in which role, and the conversation's statistics per role."""
    transcript = service.get_transcript(session, recording_id)
    return SpeakersOut.model_validate(service.speaker_summary(transcript))


@router.patch(
    "/recordings/{recording_id}/speakers",
    response_model=SpeakersOut,
    responses=errors(400, 404, 413, 422, 503),
)
def patch_speakers(
    recording_id: str,
    body: SpeakersPatch,
    request: Request,
    session: SessionDep,
) -> SpeakersOut:
    """Correct speakers (rename, set or swap roles, merge); the recording's terms are redone.

    With `enroll`, named salespeople's voices are enrolled from this recording: voice
    profiles are biometric data, so that needs an `admin` key."""
    if body.enroll:
        require_scope(request, "admin", "enrolling voices")
    changes = [SpeakerChange(**change.model_dump()) for change in body.speakers]
    transcript = service.update_speakers(
        session, state(request).settings, recording_id, changes, enroll=body.enroll,
        consent_by=_consent_by(request) if body.consent else None,
    )  # fmt: skip
    return SpeakersOut.model_validate(service.speaker_summary(transcript))


@router.get("/voices", response_model=VoiceList)
def list_voices(session: SessionDep) -> VoiceList:
    """Enrolled voices: a matching speaker in a recording becomes this person."""
    profiles = service.list_voices(session)
    return VoiceList(voices=[VoiceOut.of(p) for p in profiles])


def _consent_by(request: Request) -> str:
    return f"API key {request.state.api_key_name}"


@router.post(
    "/voices", status_code=201, response_model=VoiceEnrolled, responses=errors(400, 413, 422, 503)
)
def enroll_voice(
    request: Request,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200, description="the person's name")],
    files: Annotated[list[UploadFile], File(description="recordings of this person alone")],
    role: Annotated[Literal["salesperson", "customer", "other"], Form()] = "salesperson",
    consent: Annotated[
        bool, Form(description="the person agreed that their voice is recognised (recorded)")
    ] = False,
) -> VoiceEnrolled:
    """Enrol a voice from one or more recordings of one person; a voice of the same name
    is replaced (`replaced` says so). A voice print is biometric data: send `consent`
    once the person has agreed, and it is kept with the profile."""
    replacing = service.voice_exists(session, name)
    profile, cautions = service.enroll_from_audio(
        session, name, [f.file for f in files], role, [f.filename or "" for f in files],
        consent_by=_consent_by(request) if consent else None,
    )  # fmt: skip
    return VoiceEnrolled.of(profile, replaced=replacing, warnings=list(cautions))


def _a_name(name: str) -> str:
    """A person's name as sent: refused blank, before anything is looked for."""
    if not name.strip():
        raise InvalidInput(N_("give the person's name"))
    return name


@router.delete("/voices/{name}", status_code=204, responses=errors(404, 422))
def delete_voice(name: str, request: Request, session: SessionDep) -> Response:
    """Forget a voice: later recordings no longer recognise this person, and their voice
    print is erased from the recordings that name them (their names and words stay)."""
    if not service.delete_voice(session, name):
        raise NotFound(N_("no voice called %(name)s"), name=name)
    return Response(status_code=204)


@router.get(
    "/people/export",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}, **errors(404, 422)},
)
def export_person(
    request: Request,
    session: SessionDep,
    name: Annotated[str, Query(min_length=1, max_length=200, description="the whole name")],
    audio: Annotated[
        bool, Query(description="add the audio (which holds the other party's voice too)")
    ] = False,
) -> Response:
    """Everything held about one person, as a zip, for a data subject access request: the
    recordings that name them (as salesperson, customer or a named speaker; the whole name,
    any case) with transcripts, details and consent, and their voice profile."""
    person = find_person(session, _a_name(name))
    if person.empty:
        raise subject_access.nothing_held(name)
    spooled = tempfile.SpooledTemporaryFile(max_size=32 << 20)  # noqa: SIM115 (closed below)
    write_person_export(spooled, person, state(request).blobs, audio=audio)
    spooled.seek(0)
    return StreamingResponse(
        iter(lambda: spooled.read(1 << 20), b""),
        media_type="application/zip",
        headers={"Content-Disposition": attachment(f"ridealong {person.name}.zip")},
        background=BackgroundTask(spooled.close),
    )


@router.delete("/people", response_model=PersonForgotten, responses=errors(404, 409, 422))
def forget_person(
    request: Request,
    session: SessionDep,
    name: Annotated[str, Query(min_length=1, max_length=200, description="the whole name")],
    keep_words: Annotated[
        bool,
        Query(description="keep the recordings without the person: name, audio and voice go"),
    ] = False,
) -> PersonForgotten:
    """Erase one person (a request to be forgotten): their voice profile and every recording
    that names them (as for /people/export), or with `keep_words` only their name, audio and
    voice prints in those recordings, whose words stay in the reports with names and contact
    details replaced by labels. Other people's recordings that mention the name (in their
    words, title, file name or tags) keep all but the name, also for a person they only
    mention. 409 (with `keep_words`) while one of the person's own is still being
    transcribed; 404 where no recording holds the name and none waits to be transcribed."""
    done = subject_access.forget_person(
        session, state(request).blobs, find_person(session, _a_name(name)), keep_words=keep_words,
        settings=state(request).settings,
    )  # fmt: skip
    if not done.anything:
        raise subject_access.nothing_held(name, mentions=True)
    return PersonForgotten(
        name=done.name,
        deleted_recordings=done.deleted,
        unnamed_recordings=done.unnamed,
        voice_profile_deleted=done.voice_profile,
        mentions_redacted=done.mentions,
        mentions_not_checked=done.pending,
    )


@router.delete("/recordings/{recording_id}", status_code=204, responses=errors(404, 422))
def delete_recording(recording_id: str, request: Request, session: SessionDep) -> Response:
    """Remove the recording, its audio, transcript and terms."""
    service.delete_recording(session, state(request).blobs, recording_id, state(request).settings)
    return Response(status_code=204)


def recording_filter(
    request: Request,
    session: SessionDep,
    recording_id: Annotated[str | None, BlankIsNone] = None,
    since: Annotated[
        date | None, Query(description="recorded on or after (YYYY-MM-DD)"), BlankIsNone
    ] = None,
    until: Annotated[date | None, Query(description="recorded on or before"), BlankIsNone] = None,
    salesperson: Annotated[
        str | None, Query(max_length=200, description="part of the name")
    ] = None,
    customer: Annotated[str | None, Query(max_length=200, description="part of the name")] = None,
    language: Annotated[str | None, Query(max_length=8, description="nl, en, ...")] = None,
    tag: Annotated[str | None, Query(max_length=50, description="one of the tags")] = None,
    said: Annotated[
        str | None,
        Query(max_length=200, description="a term said in it, in any form (warmtepompen)"),
    ] = None,
) -> service.RecordingFilter:
    """Which recordings a report covers (shared by /terms, /questions, /synonyms and
    /suggestions). An empty parameter means "any", like one left out. A `report` key's
    answer must cover several recordings: a narrow date, tag or language would otherwise
    hand it one conversation's words, quote by quote."""
    _check_order(since, until)
    chosen = service.RecordingFilter(
        recording_id,
        since,
        until,
        salesperson or None,
        customer or None,
        language or None,
        tag or None,
        said.strip() if said and said.strip() else None,
    )
    if _report_only(request):
        _enough_for_a_report(request, session, chosen, _counted_role(request))
    return chosen


def _enough_for_a_report(
    request: Request, session: Session, chosen: service.RecordingFilter, role: str | None
) -> None:
    """A `report` key's answer must rest on RIDEALONG_REPORT_MIN_RECORDINGS recordings in
    which somebody (of `role`) spoke, so that it cannot single out one conversation."""
    fewest = state(request).settings.report_min_recordings
    covered = service.recordings_covered(session, chosen, role)
    if covered == 0 and request.url.path.endswith("/suggestions"):
        covered = service.recordings_covered(session, chosen)  # no customers: everyone's
    if covered < fewest:
        raise Forbidden(
            "a 'report' API key gets reports over %(fewest)d recordings or more; this one "
            "covers %(covered)d (widen the dates or drop the tag, or use a 'read' key)",
            code="too_few_recordings",
            fewest=fewest,
            covered=covered,
        )


def _counted_role(request: Request) -> str | None:
    """Whose speech a report answers with, so that only recordings where that role spoke
    count towards a `report` key's minimum (one-speaker clips add nothing to /terms?role=
    customer): the `role` asked for; customers for /questions and /suggestions by default."""
    asked = request.query_params.get("role", "").strip() or None
    if asked is None and request.url.path.endswith(("/questions", "/suggestions")):
        return "customer"
    return asked


FilterDep = Annotated[service.RecordingFilter, Depends(recording_filter)]


def _report_only(request: Request) -> bool:
    """Whether the request's key has the `report` scope alone (a CMS's)."""
    return not scope_allows(getattr(request.state, "api_scope", ""), "read")


def _attachment(content: str | bytes, media_type: str, filename: str) -> Response:
    disposition = attachment(filename)
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get(
    "/terms",
    response_model=TermsOut,
    responses={200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}}, **errors(404, 422)},
)
def get_terms(
    request: Request,
    session: SessionDep,
    recordings: FilterDep,
    role: Annotated[
        Role | None,
        Query(
            description="whose speech is counted (customer, salesperson, other, unknown); "
            "left out: everyone's, with `count_by_role` (the web report opens on customers)"
        ),
        BlankIsNone,
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000), _blank_is(50)] = 50,
    format: Annotated[  # the query parameter's name, though it shadows a builtin
        Literal["json", "csv", "xlsx"], _blank_is("json")
    ] = "json",
) -> Any:
    """Terms ranked by how often and how distinctively they are said, with quotes.
    `?format=csv` or `xlsx` for a spreadsheet: one row per term, with its first quote."""
    terms = service.ranked_terms(session, role=role, limit=limit, recording_filter=recordings)
    sources: dict[str, tuple[str, date]] = {}
    if _report_only(request):  # quotes without names; no titles, which name customers
        terms = without_personal_data(session, terms)
    else:
        sources = service.first_quote_sources(session, terms)
    if format == "csv":
        return _attachment(terms_csv(terms, sources), "text/csv", "terms.csv")
    if format == "xlsx":
        workbook = terms_xlsx(terms, "ridealong terms", sources)
        return _attachment(workbook, XLSX_MEDIA_TYPE, "terms.xlsx")
    return TermsOut.model_validate({"terms": [t.to_dict() for t in terms]})


@router.get("/terms/rising", response_model=RisingTermsOut, responses=errors(404, 422))
def get_rising_terms(
    request: Request,
    session: SessionDep,
    recordings: FilterDep,
    role: Annotated[
        Role | None,
        Query(description="whose speech is compared; left out: everyone's"),
        BlankIsNone,
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100), _blank_is(10)] = 10,
) -> RisingTermsOut:
    """What is new since `since` (required): terms said at least twice, in two recordings
    or more, and at least twice as often per content word as in the recordings before that
    day (the other filters the same), most risen first; `before` 0 marks a new word. The
    web report's "New and rising since"."""
    if recordings.since is None:
        raise InvalidInput("give `since`: the day to compare with the recordings before it")
    if _report_only(request):  # the numbers tell of the recordings before too
        _enough_for_a_report(request, session, service.before_period(recordings), role)
    rising = service.rising_terms(session, recordings, role, limit)
    if _report_only(request):
        rising = without_personal_data(session, rising)
    return RisingTermsOut.model_validate(
        {
            "since": recordings.since,
            "terms": [
                {**r.term.to_dict(), "before": r.before, "ratio": round(r.ratio, 2)} for r in rising
            ],
        }
    )


@router.get("/hidden-terms", response_model=HiddenTermList)
def list_hidden_terms(session: SessionDep) -> HiddenTermList:
    """Terms taken out of /terms, /synonyms, the suggestions and the report pages (misheard
    words, words of no interest); their counts are kept."""
    return HiddenTermList(terms=[HiddenTermOut.of(row) for row in service.hidden_terms(session)])


@router.post(
    "/hidden-terms",
    status_code=201,
    response_model=HiddenTermOut,
    responses=errors(400, 404, 413, 422),  # 404: shown again by another request meanwhile
)
def hide_term(body: HideTerm, session: SessionDep) -> HiddenTermOut:
    """Hide a term (its `lemma`) from every report until it is shown again; hiding it
    twice changes nothing."""
    return HiddenTermOut.of(service.hide_term(session, body.term))


@router.delete("/hidden-terms/{key:path}", status_code=204, responses=errors(404))
def show_term(key: str, session: SessionDep) -> Response:
    """Put a hidden term back in the reports. A key may hold a slash ("lucht/water"): send it
    as it is, or as %2F."""
    if not service.show_term(session, key):
        raise NotFound(N_("no hidden term %(key)s"), key=key)
    return Response(status_code=204)


@router.get("/synonyms", response_model=SynonymsOut, responses=errors(404, 422, 503))
def get_synonyms(
    request: Request,
    session: SessionDep,
    recordings: FilterDep,
    limit: Annotated[int, Query(ge=1, le=100), _blank_is(20)] = 20,
) -> SynonymsOut:
    """Near-synonyms among the top terms (by a multilingual embedding), and which word
    customers and salespeople each prefer; groups where they differ come first."""
    embedder = service.term_embedder(state(request).settings)
    if embedder is None:
        raise InvalidInput("near-synonyms are switched off on this server (RIDEALONG_SYNONYMS=0)")
    terms = None
    if _report_only(request):  # names never reach a group: drop them before grouping
        top = service.ranked_terms(
            session, limit=service.SYNONYM_TERMS, recording_filter=recordings
        )
        # With all their quotes, which tell a noun from a verb (groups show no quotes).
        kept = {t.lemma for t in without_personal_data(session, top)}
        terms = [t for t in top if t.lemma in kept]
    groups = service.synonym_groups(session, embedder, recordings, limit, terms=terms)
    return SynonymsOut.model_validate({"groups": [g.to_dict() for g in groups]})


@router.get("/questions", response_model=QuestionsOut, responses=errors(404, 422))
def get_questions(
    request: Request,
    session: SessionDep,
    recordings: FilterDep,
    role: Annotated[Role | None, _blank_is("customer")] = "customer",
    limit: Annotated[int, Query(ge=1, le=500), _blank_is(50)] = 50,
) -> QuestionsOut:
    """Questions asked (customers' by default), grouped by meaning: FAQ candidates."""
    groups = service.question_groups(session, role=role, limit=limit, recording_filter=recordings)
    if _report_only(request):
        groups = without_personal_data(session, groups)
    return QuestionsOut.model_validate({"questions": [g.to_dict() for g in groups]})


@router.post(
    "/suggestions",
    response_model=SuggestionsOut,
    responses={
        200: {"content": {"text/markdown": {}, "text/csv": {}, XLSX_MEDIA_TYPE: {}}},
        **errors(400, 404, 413, 422, 503),
    },
)
def post_suggestions(
    body: SuggestionRequest,
    request: Request,
    session: SessionDep,
    recordings: FilterDep,
    format: Annotated[  # the query parameter's name, though it shadows a builtin
        Literal["json", "markdown", "csv", "xlsx"], _blank_is("json")
    ] = "json",
    words: Annotated[
        Literal["en", "nl"],
        Query(description="the language of the brief's and the workbook's own words"),
        BeforeValidator(
            lambda value: value.strip().lower() or "en" if isinstance(value, str) else value
        ),
    ] = "en",
) -> Any:
    """Customer terms a page's copy lacks, with the evidence for each; and the customer
    questions it leaves open. `?format=markdown`, `csv` or `xlsx` for a brief or a
    spreadsheet, with `&words=nl` for its headings and reasons in Dutch (the CSV is for
    tools and stays English)."""
    if body.url is not None:
        page, is_html = pages.fetch_page(state(request).settings, body.url), True
    elif body.html is not None:
        page, is_html = body.html, True
    elif body.text is not None:
        page, is_html = body.text, False
    else:  # the request model already guarantees one of them
        raise InvalidInput("send 'text', 'html' or 'url'")
    result = service.page_suggestions(
        session,
        page,
        is_html=is_html,
        language=body.language,
        limit=body.limit,
        embedder=service.term_embedder(state(request).settings),
        recording_filter=recordings,
    )
    if _report_only(request):
        result = without_personal_data(session, result)
    wording = i18n.wording(words)
    if format == "markdown":
        basis = service.coverage(
            session, recordings, "customer" if result.terms_from == "customer" else None
        )
        about = i18n.brief_basis(words, body.url, basis, recordings)
        brief = suggestions_markdown(result, wording, about)
        return _attachment(brief, "text/markdown", "page-suggestions.md")
    if format == "csv":
        return _attachment(suggestions_csv(result), "text/csv", "page-suggestions.csv")
    if format == "xlsx":
        workbook = suggestions_xlsx(result, wording)
        return _attachment(workbook, XLSX_MEDIA_TYPE, "page-suggestions.xlsx")
    return SuggestionsOut.model_validate(
        {**result.to_dict(), "recordings_language": service.spoken_language(session)}
    )


def _say_scopes() -> None:
    """Each operation's description in /docs ends with the API key scope it needs, so a CMS
    developer reads it there instead of learning it from a 403."""
    from fastapi.routing import APIRoute

    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        for method in route.methods or ():
            needed = needed_scope(method, route.path)
            narrowed = needed_scope(method, route.path, {"customer": "x"})
            said = f"API key scope: `{needed}`"
            if narrowed != needed:
                filters = ", ".join(f"`{name}`" for name in sorted(PERSONAL_FILTERS))
                said += f" (`{narrowed}` with any of {filters})"
            route.description = f"{route.description.rstrip()}\n\n{said}."


_say_scopes()
