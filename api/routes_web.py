"""Web pages for marketers: upload, recordings, transcript with audio, speakers, voices,
report, suggestions.

Jinja2 escapes every value it renders, so transcript text and titles cannot inject HTML.
"""

from __future__ import annotations

import hmac
import mimetypes
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from analyze import suggestions_csv, suggestions_markdown
from analyze.export import XLSX_MEDIA_TYPE, suggestions_xlsx, terms_csv, terms_xlsx
from analyze.text import looks_like_html
from analyze.wording import N_
from api import i18n, pages, service, websession
from api.app import FORM_FILES, db_session, local_path, state, submit_recording
from api.auth import sign_out_session
from api.db import Recording, utcnow
from api.downloads import attachment
from api.errors import Conflict, InvalidInput, NotFound, ServiceError
from api.report_privacy import quoted_recordings
from api.storage import StorageFailed, UploadTooLarge
from api.templating import VARY_BY_LANGUAGE, clock, page_language, render_page
from transcribe import NEW_SPEAKER, NO_SPEECH_NOTE, Speaker, SpeakerChange, Transcript
from transcribe.corrections import MAX_LINE_CHARS
from transcribe.formats import MEDIA_TYPES, render
from transcribe.texts import Text
from transcribe.types import PERSON_ROLES, Role


def _from_another_site(request: Request) -> bool:
    """Whether the browser says a form was sent from another site, or from another
    subdomain of this one (Sec-Fetch-Site, which every current browser sends; our own
    forms say "same-origin"). Not the Origin against the Host: a reverse proxy may rewrite
    the Host, and every form would be refused."""
    return request.headers.get("sec-fetch-site") in ("cross-site", "same-site")


_FORM_EXPIRED = N_(
    "the form is out of date or from elsewhere: go back, reload the page (what you typed there "
    "is lost) and send it again"
)


async def _check_csrf(request: Request) -> None:
    """A signed-in page's POST must carry its session's CSRF token (api/websession.py).
    Without sign-in (`serve --no-login`) there is no session to bind a token to, so a POST
    from another site is refused by what the browser says of its origin."""
    if request.method != "POST":
        return
    expected = getattr(request.state, "csrf", "")
    if not expected:
        if _from_another_site(request):
            raise HTTPException(403, N_("a form from another site is not accepted"))
        return
    form = await request.form()  # parsed once: the route's own form fields reuse it
    if not hmac.compare_digest(str(form.get("csrf_token", "")), expected):
        raise HTTPException(403, _FORM_EXPIRED)


router = APIRouter(include_in_schema=False, dependencies=[Depends(_check_csrf)])

SessionDep = Annotated[Session, Depends(db_session)]
ROLE_FILTERS = ("customer", "salesperson", "unknown")
SIDES = ("customer", "salesperson")
# Confirmations after a redirect: fixed texts picked by a code, so no user text is reflected.
NOTICES = {
    "saved": N_("Speaker saved. The terms of this conversation were counted again."),
    "merged": N_("Speakers merged. The terms of this conversation were counted again."),
    "swapped": N_("Roles swapped. The terms of this conversation were counted again."),
    "remembered": N_("Speaker saved and voice remembered for later recordings."),
    "enrolled": N_("Voice saved: matching speakers in new recordings get this name and role."),
    "deleted": N_("Voice deleted."),
    "replaced": N_("Voice replaced: new recordings recognise this person by the new voice."),
    "recording-deleted": N_("Recording deleted, with its audio, transcript and terms."),
    "details-saved": N_("Details saved; the reports use them from now on."),
    "tags-saved": N_(
        "Tags saved, in lower case (“Q4” and “q4” are one tag): the report can filter on them now."
    ),
    "hidden": N_(
        "Term hidden from the reports and suggestions. “Hidden terms” at the bottom of the "
        "report lists it, to show it again."
    ),
    "shown": N_("The term is back in the reports."),
    "line": N_("Line corrected. The terms of this conversation were counted again."),
    "line-removed": N_("Line removed. The terms of this conversation were counted again."),
    "duplicate": N_(
        "This audio was uploaded before: here is that recording, with its details as "
        "they were (correct them below the title). Tick “keep a separate copy” on the upload form "
        "to add it again."
    ),
}


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render_page(request, name, context, status_code=status_code)


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    next: str = "/",
    token: str | None = None,
    done: str | None = None,
) -> Response:
    """The sign-in page; `?token=` (the link `serve` prints) signs in at once."""
    if token is not None:
        return _sign_in(request, token, next)
    signed_out = N_("You are signed out.") if done == "signed_out" else None
    return _page(request, "login.html", next=local_path(next), notice=signed_out)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    return _sign_in(request, token, next)


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """Sign out: the cookie is deleted here and refused from now on wherever it was copied."""
    web_token = state(request).settings.web_token
    ident = (
        websession.session_id(web_token, request.cookies.get(websession.COOKIE))
        if web_token
        else None
    )
    if ident is not None:
        sign_out_session(session, ident)
    response = RedirectResponse("/login?done=signed_out", status_code=303)
    response.delete_cookie(websession.COOKIE)
    return response


@router.get("/language")
def switch_language(request: Request, to: str = "", next: str = "/") -> Response:
    """The pages' language switch: remembered in this browser for a year."""
    response = RedirectResponse(local_path(next), status_code=303)
    if to in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE,
            to,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


def _said(request: Request, error: Exception | Text) -> str:
    """An error as the page's reader reads it (api/i18n.py)."""
    return i18n.say(error, page_language(request))


def _sign_in(request: Request, token: str, target: str) -> Response:
    web_token = state(request).settings.web_token
    if not web_token:
        return RedirectResponse(local_path(target), status_code=303)
    if not websession.token_matches(web_token, token):
        return _page(
            request,
            "login.html",
            status_code=401,
            next=local_path(target),
            error=N_(
                "That is not the token. Ask whoever runs ridealong for the sign-in link (the "
                "token is in the data dir's web_token file)."
            ),
        )
    response = RedirectResponse(local_path(target), status_code=303)
    websession.set_session_cookie(
        response, websession.new_session(web_token), secure=request.url.scheme == "https"
    )
    return response


@router.get("/", response_class=HTMLResponse)
def index(
    request: Request,
    session: SessionDep,
    uploaded: str | None = None,
    done: str | None = None,
    q: Annotated[str, Query(max_length=200)] = "",
    tag: Annotated[str, Query(max_length=50)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    return _index_page(
        request,
        session,
        (uploaded or "").split(","),
        notice=NOTICES.get(done or ""),
        search=q.strip(),
        tag=tag.strip(),
        page=page,
    )


RECORDINGS_PER_PAGE = 100


def _index_page(
    request: Request,
    session: Session,
    uploaded: list[str],
    notice: str | None = None,
    error: str | list[str] | None = None,  # a list: one problem a file
    status_code: int = 200,
    form: dict[str, Any] | None = None,
    search: str = "",
    page: int = 1,
    tag: str = "",
    to_choose_again: Sequence[str] = (),
) -> HTMLResponse:
    """The recordings list, a page at a time, narrowed by `search` (a part of a title or a
    name, a tag, a day) and `tag` (exactly that tag); `uploaded` (ids) are confirmed at the
    top; `to_choose_again`: the files of several that did not come in."""
    choice = service.ListChoice(text=search or None, tag=tag or None)
    total = service.count_recordings(session, choice)
    page = min(page, max(1, -(-total // RECORDINGS_PER_PAGE)))  # past the end: the last page
    first = (page - 1) * RECORDINGS_PER_PAGE
    recordings = service.list_recordings(session, RECORDINGS_PER_PAGE, first, choice)
    just = [r for r in recordings if r.id in uploaded]  # confirmed by the page, above the list
    return _page(
        request,
        "index.html",
        status_code=status_code,
        recordings=recordings,
        search=search,
        tag=tag,
        page=page,
        first=first,
        total=total,
        per_page=RECORDINGS_PER_PAGE,
        without_speech=service.without_speech(session, recordings),
        just_uploaded=just,
        form=form or {"language": state(request).settings.language},  # RIDEALONG_LANGUAGE
        notice=notice,
        error=error,
        to_choose_again=to_choose_again,
        most_files=FORM_FILES,
        most_mb=state(request).settings.max_upload_mb,
    )


def _address(request: Request) -> str:
    """The browser's address, for the record of who confirmed a consent."""
    return request.client.host if request.client else "unknown"


@router.post("/upload", response_class=HTMLResponse)
def upload(
    request: Request,
    session: SessionDep,
    file: Annotated[list[UploadFile] | None, File()] = None,
    consent: Annotated[bool, Form()] = False,
    title: Annotated[str | None, Form()] = None,
    salesperson: Annotated[str | None, Form()] = None,
    customer: Annotated[str | None, Form()] = None,
    recorded_at: Annotated[str | None, Form()] = None,
    language: Annotated[str | None, Form()] = None,
    glossary: Annotated[str | None, Form()] = None,
    tags: Annotated[str | None, Form()] = None,
    force_copy: Annotated[bool, Form()] = False,
) -> Response:
    """One recording, or a day's worth: several files share the form's fields, each is
    titled by its file name, and one refused file costs only itself."""
    language = language or state(request).settings.language
    form = {
        "title": title or "",
        "salesperson": salesperson or "",
        "customer": customer or "",
        "recorded_at": recorded_at or "",
        "language": language,
        "glossary": glossary or "",
        "tags": tags or "",
        "consent": consent,
    }
    chosen = [f for f in file or [] if f.filename]
    address = _address(request)

    def status_of(error: Exception) -> int:
        code = {UploadTooLarge: 413, StorageFailed: 507}.get(type(error), 0)
        return code or int(getattr(error, "status_code", 422))  # 429 too many, 422 the rest

    def refused(error: Exception) -> Response:
        return _index_page(
            request,
            session,
            [],
            error=_said(request, error),
            status_code=status_of(error),
            form=form,
        )

    try:
        if not chosen:
            raise InvalidInput(N_("choose an audio file to upload"))
        if len(chosen) > FORM_FILES:
            raise InvalidInput(
                N_("at most %(n)s recordings at once: upload fewer at a time"), n=FORM_FILES
            )
        try:
            when = date.fromisoformat(recorded_at) if recorded_at else None
        except ValueError:
            raise InvalidInput(N_("the date is not a valid date (use YYYY-MM-DD)")) from None
        meta = service.NewRecording(
            consent=consent,
            title=title,
            salesperson=salesperson,
            customer=customer,
            recorded_at=when,
            language=language.strip().lower(),
            glossary=glossary,
            tags=service.parse_tags(tags),
            force_copy=force_copy,
            consent_by=f"web form from {address}",
        )
        service.check_new_recording(meta)  # the form's own mistakes: said once, not per file
    except ServiceError as e:
        return refused(e)
    uploaded: list[str] = []
    problems: list[str] = []
    not_in: list[str] = []  # files to choose again (not those uploaded before)
    statuses: set[int] = set()
    words = i18n.wording(page_language(request))
    for at, one in enumerate(chosen):
        name = service.safe_filename(one.filename)
        titled = meta
        if len(chosen) > 1:  # each file its own title: the form's, then the file's name
            titled = replace(meta, title=service.title_of_one_of_several(title, name))
        try:
            uploaded.append(submit_recording(state(request), session, one, titled, address).id)
        except service.DuplicateRecording as e:
            if len(chosen) == 1:
                return RedirectResponse(
                    f"/recordings/{e.recording.id}?done=duplicate", status_code=303
                )
            problems.append(words.gettext("%(file)s was uploaded before") % {"file": name})
            statuses.add(422)
        except (ServiceError, UploadTooLarge, StorageFailed) as e:
            if len(chosen) == 1:
                return refused(e)
            not_in.append(name)
            said = i18n.say(e, page_language(request), capital=False)
            if name not in said:
                said = f"{name}: {said}"
            problems.append(
                i18n.sentence(said if said.startswith(name) else i18n.capitalised(said))
            )
            statuses.add(status_of(e))
            if status_of(e) in (429, 507) and at + 1 < len(chosen):  # the rest would fail too
                rest = len(chosen) - at - 1
                not_sent = words.ngettext(
                    "the file after it was not uploaded",
                    "the %(n)s files after it were not uploaded",
                    rest,
                ) % {"n": rest}
                problems.append(i18n.capitalised(not_sent))
                not_in += [service.safe_filename(f.filename) for f in chosen[at + 1 :]]
                break
    if problems:  # some of several: the list shows what came in, the error what did not
        status = 200 if uploaded else statuses.pop() if len(statuses) == 1 else 422
        return _index_page(
            request, session, uploaded, error=problems, status_code=status, form=form,
            to_choose_again=not_in,
        )  # fmt: skip
    return RedirectResponse(f"/?uploaded={','.join(uploaded)}", status_code=303)


@router.get("/status.json")
def statuses(
    request: Request,
    session: SessionDep,
    recording_id: Annotated[str | None, Query(alias="id")] = None,
) -> JSONResponse:
    """Status and progress of the latest recordings (or of one), for the pages to poll."""
    rows = (
        [session.get(Recording, recording_id)] if recording_id else service.list_recordings(session)
    )
    language = page_language(request)
    silent = service.without_speech(session, [r for r in rows if r is not None])
    no_speech = i18n.translations(language).gettext(NO_SPEECH_NOTE)
    return JSONResponse(
        [
            {
                "id": r.id,
                "status": r.status,
                "progress": r.progress,
                "error": i18n.failed_because(r.error, r.error_text_json, language),
                "note": no_speech if r.id in silent else "",
                "duration": clock(r.duration_s),
                "language": r.language or "",
            }
            for r in rows
            if r is not None
        ]
    )


@router.get("/recordings/{recording_id}", response_class=HTMLResponse)
def recording_page(
    recording_id: str, request: Request, session: SessionDep, done: str | None = None
) -> HTMLResponse:
    return _recording_page(request, session, recording_id, notice=NOTICES.get(done or ""))


_SPEAKER_NOTICES = {NOTICES[done] for done in ("saved", "merged", "swapped", "remembered")}


_NO_VOICE_KEPT = N_(
    "this recording kept no voice for this speaker (it was transcribed without recognising "
    "voices, as the demo's were), so the voice cannot be remembered from it"
)


def _recording_page(
    request: Request,
    session: Session,
    recording_id: str,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """The recording page; `extra` carries a notice, or an error and the form to refill."""
    try:
        recording = service.get_recording(session, recording_id)
    except NotFound as e:
        return _page(request, "error.html", status_code=404, message=_said(request, e))
    context: dict[str, Any] = {"transcript": None, "terms": [], "speakers": [], "labels": {}}
    context.update(shares={}, stats={}, can_swap=False, form={}, upload_names={}, voiced=set())
    if recording.status == "done":
        transcript = service.get_transcript(session, recording_id)
        speakers = _speakers(transcript)
        named = service.names_from_upload(speakers, recording.salesperson, recording.customer)
        context.update(
            transcript=transcript,
            terms=service.ranked_terms(session, limit=15, recording_id=recording_id),
            speakers=speakers,
            labels=_speaker_labels(request, speakers, named),
            upload_names=named,
            shares=_talk_shares(transcript),
            stats=service.speaker_summary(transcript)["stats"],
            can_swap=_swap(speakers) is not None,
            voiced=service.voiced_speakers(session, recording_id),
            other_salesperson=_other_salesperson(speakers, recording.salesperson),
        )
    context.update(extra)
    # What a speaker form did is said beside the speakers; anything else under the title.
    context["notice_at_top"] = context.get("notice") not in _SPEAKER_NOTICES
    return _page(
        request,
        "recording.html",
        status_code=status_code,
        recording=recording,
        roles=PERSON_ROLES,
        **context,
    )


def _speakers(transcript: Transcript) -> list[Speaker]:
    """The listed speakers, plus any that only segments name (the corrections accept both)."""
    speakers = list(transcript.speakers)
    known = {s.id for s in speakers}
    for segment in transcript.segments:
        if segment.speaker and segment.speaker not in known:
            known.add(segment.speaker)
            speakers.append(Speaker(segment.speaker, role=segment.role))
    return speakers


def _person_role(value: str) -> Role | None:
    """The role a person chose in a form (salesperson, customer or other); None for any
    other value."""
    return next((r for r in PERSON_ROLES if r == value), None)


def _other_salesperson(speakers: Sequence[Speaker], typed: str | None) -> str | None:
    """The named salesperson speaker (a remembered voice, or a name given since) when the
    details name someone else: one of the two is wrong, and the filters go by the details."""
    named = [s.name for s in speakers if s.role == "salesperson" and s.name]
    if not typed or not named:
        return None
    typed_key = typed.casefold()
    if any(n.casefold() in typed_key or typed_key in n.casefold() for n in named):
        return None  # the same person, perhaps written in full in one place
    return ", ".join(named)


def _speaker_labels(
    request: Request, speakers: Sequence[Speaker], named: dict[str, str]
) -> dict[str, str]:
    """What a person reads for each speaker (`_label`, the role in the page's language),
    told apart where two read the same: two unnamed customers are "klant (S2)" and
    "klant (S3)"."""
    roles = i18n.page_context(page_language(request))["role_names"]
    shown = {s.id: named.get(s.id) or _label(s) for s in speakers}
    shown = {k: roles.get(v, v) for k, v in shown.items()}
    seen = Counter(shown.values())
    return {k: f"{v} ({k})" if seen[v] > 1 else v for k, v in shown.items()}


def _label(speaker: Speaker) -> str:
    """What a person reads for a speaker: the name, else the role, else the label (S1)."""
    if speaker.name:
        return speaker.name
    return speaker.role if speaker.role != "unknown" else speaker.id


def _talk_shares(transcript: Transcript) -> dict[str, float]:
    """Each speaker's share of the speaking time (the service's statistics are per role)."""
    talk: dict[str, float] = {}
    for segment in transcript.segments:
        if segment.speaker:
            seconds = max(0.0, segment.end - segment.start)
            talk[segment.speaker] = talk.get(segment.speaker, 0.0) + seconds
    total = sum(talk.values())
    return {who: seconds / total for who, seconds in talk.items()} if total else {}


def _swap(speakers: list[Speaker]) -> list[SpeakerChange] | None:
    """The changes that swap salesperson and customer; None unless there are exactly those two.

    The names go with the roles: a swap says the voices were taken for the wrong people, and
    names are given as the salesperson's and the customer's (the upload form, the cards
    filled in from it), so "Sanne" stays the salesperson and the customer stays the customer.
    """
    if len(speakers) != 2 or {s.role for s in speakers} != {"salesperson", "customer"}:
        return None
    first, second = speakers
    return [
        SpeakerChange(first.id, role=second.role, name=second.name or ""),
        SpeakerChange(second.id, role=first.role, name=first.name or ""),
    ]


@router.post("/recordings/{recording_id}/speakers", response_class=HTMLResponse)
def correct_speaker(
    recording_id: str,
    request: Request,
    session: SessionDep,
    speaker: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=50)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    merge_into: Annotated[str, Form(max_length=100)] = "",
    enroll: Annotated[bool, Form()] = False,
) -> Response:
    """Rename a speaker, set its role or merge it into another; can remember the voice."""
    form: dict[str, Any] = {"speaker": speaker, "role": role, "name": name}
    form.update(merge_into=merge_into, enroll=enroll)
    settings = state(request).settings
    chosen = _person_role(role)
    try:
        if role and chosen is None:
            raise InvalidInput(N_("choose a role: salesperson, customer or other"))
        if enroll and not merge_into:
            if chosen != "salesperson" or not name.strip():
                raise InvalidInput(
                    N_("to remember a voice, give the speaker a name and the role salesperson")
                )
            if speaker not in service.voiced_speakers(session, recording_id):
                raise InvalidInput(_NO_VOICE_KEPT)
            service.check_voice_name(name)  # before anything changes: both, or neither
        change = (
            SpeakerChange(speaker, merge_into=merge_into)
            if merge_into
            else SpeakerChange(speaker, role=chosen, name=name)
        )
        service.update_speakers(session, settings, recording_id, [change])
    except NotFound as e:
        return _page(request, "error.html", status_code=404, message=_said(request, e))
    except InvalidInput as e:
        return _recording_page(
            request, session, recording_id, status_code=422, error=_said(request, e), form=form
        )
    if enroll and not merge_into:
        try:
            service.enroll_from_recording(
                session, recording_id, speaker, name.strip(), "salesperson",
                consent_by=f"web page from {_address(request)}",  # the box says they agreed
            )  # fmt: skip
        except InvalidInput as e:
            message = Text(
                N_("The speaker was saved, but the voice could not be remembered: %(reason)s"),
                {"reason": _said(request, e)},
            )
            return _recording_page(
                request, session, recording_id, status_code=422, error=_said(request, message)
            )
    done = "merged" if merge_into else "remembered" if enroll else "saved"
    return RedirectResponse(f"/recordings/{recording_id}?done={done}#speakers", status_code=303)


def _line_page(
    request: Request,
    session: Session,
    recording_id: str,
    index: int,
    status_code: int = 200,
    text: str | None = None,
    error: str | None = None,
    changed: bool = False,
    speaker: str | None = None,
) -> HTMLResponse:
    """The form that corrects one line (what was said, and who said it), between the lines
    around it; `changed`: the line is no longer what the person had opened (it is shown as
    it is now)."""
    try:
        recording = service.get_recording(session, recording_id)
        transcript = service.get_transcript(session, recording_id)
        if changed and transcript.segments and index >= len(transcript.segments):
            index = len(transcript.segments) - 1  # the line read is gone: the last one now
        if not 0 <= index < len(transcript.segments):
            raise NotFound(
                N_("this recording has no such line (any more): it may have been removed")
            )
    except NotFound as e:
        return _page(
            request, "error.html", status_code=404, message=_said(request, e),
            back=f"/recordings/{recording_id}",
        )  # fmt: skip
    segments = transcript.segments
    segment = segments[index]
    speakers = _speakers(transcript)
    named = service.names_from_upload(speakers, recording.salesperson, recording.customer)
    return _page(
        request,
        "line.html",
        status_code=status_code,
        recording=recording,
        index=index,
        segment=segment,
        labels=_speaker_labels(request, speakers, named),
        before=segments[index - 1] if index > 0 else None,
        after=segments[index + 1] if index + 1 < len(segments) else None,
        text=segment.text if text is None else text,
        speakers=speakers,
        speaker=speaker or segment.speaker,
        max_chars=MAX_LINE_CHARS,
        error=error,
        changed=changed,
    )


@router.get("/recordings/{recording_id}/lines/{index:int}", response_class=HTMLResponse)
def line_form(recording_id: str, index: int, request: Request, session: SessionDep) -> Response:
    """A line to correct: a misheard word, a name, or a line that was never said."""
    return _line_page(request, session, recording_id, index)


@router.post("/recordings/{recording_id}/lines/{index:int}", response_class=HTMLResponse)
def correct_line(
    recording_id: str,
    index: int,
    request: Request,
    session: SessionDep,
    text: Annotated[str, Form(max_length=MAX_LINE_CHARS * 2)] = "",
    was: Annotated[str | None, Form(max_length=MAX_LINE_CHARS * 2)] = None,
    action: Annotated[str, Form(max_length=20)] = "save",
    speaker: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Save a corrected line (or remove it), then back to it on the recording's page. The
    form says what the line said when it was opened: a line changed since (in another tab)
    is not overwritten; the page shows it as it is now, with the typed text kept. `speaker`
    gives the line to another speaker, or (`new:ROLE`) to someone the speaker finder missed."""
    removing = action == "remove"
    expected = {index: was} if was is not None else None
    new_role: Role = "unknown"
    moves: dict[int, str] = {}
    try:
        if not removing and not text.strip():
            raise InvalidInput(
                N_("write what was said, or remove the line if nothing was said there")
            )
        if speaker.startswith(f"{NEW_SPEAKER}:") and not removing:
            moves = {index: NEW_SPEAKER}
            chosen = _person_role(speaker.partition(":")[2])
            if chosen is None:
                raise InvalidInput(N_("choose a role: salesperson, customer or other"))
            new_role = chosen
        elif speaker and not removing:
            moves = {index: speaker}  # the speaker it had moves nothing
        service.correct_lines(
            session, state(request).settings, recording_id,
            {index: "" if removing else text}, expected, moves, new_role,
        )  # fmt: skip
    except NotFound as e:
        return _page(
            request, "error.html", status_code=404, message=_said(request, e),
            back=f"/recordings/{recording_id}",
        )  # fmt: skip
    except (InvalidInput, Conflict) as e:
        return _line_page(
            request, session, recording_id, index, e.status_code, text=text,
            error=_said(request, e), changed=isinstance(e, Conflict), speaker=speaker or None,
        )  # fmt: skip
    if removing:  # back to where it was: the line before it, now just above the gap
        return RedirectResponse(
            f"/recordings/{recording_id}?done=line-removed#line-{max(index - 1, 0)}",
            status_code=303,
        )
    return RedirectResponse(f"/recordings/{recording_id}?done=line#line-{index}", status_code=303)


@router.post("/recordings/{recording_id}/speakers/swap", response_class=HTMLResponse)
def swap_roles(recording_id: str, request: Request, session: SessionDep) -> Response:
    """Swap salesperson and customer: the most common mistake with two speakers."""
    try:
        changes = _swap(_speakers(service.get_transcript(session, recording_id)))
        if changes is None:
            raise InvalidInput(
                N_("swapping needs exactly two speakers: a salesperson and a customer")
            )
        service.update_speakers(session, state(request).settings, recording_id, changes)
    except NotFound as e:
        return _page(request, "error.html", status_code=404, message=_said(request, e))
    except InvalidInput as e:
        return _recording_page(
            request, session, recording_id, status_code=422, error=_said(request, e)
        )
    return RedirectResponse(f"/recordings/{recording_id}?done=swapped#speakers", status_code=303)


@router.get("/recordings/{recording_id}/audio")
def recording_audio(recording_id: str, request: Request, session: SessionDep) -> Response:
    recording = service.get_recording(session, recording_id)
    if not recording.blob_key:
        raise NotFound("this recording has no audio")
    path = state(request).blobs.path(recording.blob_key)
    if not path.exists():
        raise NotFound("the audio of this recording was removed")
    # Only one plain audio/video type, never one guessed from a user-chosen name such as
    # x.html, nor a list such as "audio/wav, text/html" (stored before uploads were checked).
    media_type = service.audio_media_type(recording.content_type) or ""
    if not media_type:
        guessed = mimetypes.guess_type(recording.filename)[0] or ""
        media_type = (
            guessed if guessed.startswith(("audio/", "video/")) else "application/octet-stream"
        )
    return FileResponse(path, media_type=media_type, headers={"X-Content-Type-Options": "nosniff"})


@router.get("/recordings/{recording_id}/transcript.{fmt}")
def transcript_download(
    recording_id: str,
    fmt: Literal["json", "txt", "srt", "vtt"],
    request: Request,
    session: SessionDep,
) -> Response:
    """The transcript as a file named after the recording's title; the text formats name the
    speakers as the page does (the names given at upload), the JSON keeps the stored data."""
    transcript = service.get_transcript(session, recording_id)
    recording = service.get_recording(session, recording_id)
    if fmt != "json":
        speakers = _speakers(transcript)
        named = service.names_from_upload(speakers, recording.salesperson, recording.customer)
        transcript = replace(
            transcript, speakers=tuple(replace(s, name=named.get(s.id, s.name)) for s in speakers)
        )
    stem = recording.title or recording.filename.rsplit(".", 1)[0]
    roles = i18n.page_context(page_language(request))["role_names"]
    return Response(
        render(transcript, fmt, roles),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": attachment(f"{stem}.{fmt}"), "Vary": VARY_BY_LANGUAGE},
    )


@router.post("/recordings/{recording_id}/tags")
def set_tags(
    recording_id: str,
    request: Request,
    session: SessionDep,
    tags: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """The recording page's tag field: the tags it holds replace the recording's."""
    try:
        chosen = service.parse_tags(tags)
    except InvalidInput as e:  # the page again, with the reason, not an API error
        return _recording_page(
            request, session, recording_id, 422, tags_error=_said(request, e), tags_typed=tags
        )
    service.update_recording(session, recording_id, service.RecordingChanges(tags=chosen))
    return RedirectResponse(f"/recordings/{recording_id}?done=tags-saved", status_code=303)


@router.post("/recordings/{recording_id}/details")
def set_details(
    recording_id: str,
    request: Request,
    session: SessionDep,
    title: Annotated[str, Form(max_length=300)] = "",
    salesperson: Annotated[str, Form(max_length=200)] = "",
    customer: Annotated[str, Form(max_length=200)] = "",
    recorded_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """The recording page's details: what was typed wrong at upload, or shared by several
    files (an empty name or date clears it; the title stays unless given)."""
    try:
        when = date.fromisoformat(recorded_at) if recorded_at.strip() else None
    except ValueError:
        return _recording_page(
            request, session, recording_id, status_code=422,
            details_error=N_("the date is not a valid date (use YYYY-MM-DD)"),
        )  # fmt: skip
    try:
        changes = service.RecordingChanges(
            title=title.strip() or None,  # an emptied title field keeps the title
            salesperson=salesperson,
            customer=customer,
            recorded_at=when,
            forget_recorded_at=when is None,
        )
    except InvalidInput as e:
        return _recording_page(
            request, session, recording_id, status_code=422, details_error=_said(request, e)
        )
    service.update_recording(session, recording_id, changes, state(request).settings)
    return RedirectResponse(f"/recordings/{recording_id}?done=details-saved", status_code=303)


@router.post("/recordings/{recording_id}/delete")
def delete(recording_id: str, request: Request, session: SessionDep) -> Response:
    service.delete_recording(session, state(request).blobs, recording_id, state(request).settings)
    return RedirectResponse("/?done=recording-deleted", status_code=303)


def _report_filter(
    since: str | None = None,
    until: str | None = None,
    salesperson: str | None = None,
    customer: str | None = None,
    language: str | None = None,
    tag: str | None = None,
    said: str | None = None,
) -> service.RecordingFilter:
    """The report's recording filter from its form fields (the page and its exports); a
    field that does not parse is no filter, and dates the wrong way round are turned."""
    first, last = _day(since), _day(until)
    if first and last and first > last:
        first, last = last, first
    return service.RecordingFilter(
        since=first,
        until=last,
        salesperson=(salesperson or "").strip()[:200] or None,
        customer=(customer or "").strip()[:200] or None,
        language=language if language in ("nl", "en") else None,
        tag=(tag or "").strip()[:50] or None,
        said=(said or "").strip()[:200] or None,
    )


ReportFilter = Annotated[service.RecordingFilter, Depends(_report_filter)]


def _filter_notes(request: Request, session: Session, chosen: service.RecordingFilter) -> list[str]:
    """What the report did with its filters that a person would not see: a date it could
    not read, dates it turned round, filters that match no recording."""
    notes = []
    for field in ("since", "until"):
        typed = request.query_params.get(field, "").strip()
        if typed and _day(typed) is None:
            notes.append(Text(_NOT_A_DATE, {"value": typed[:40]}))
    first, last = (_day(request.query_params.get(f)) for f in ("since", "until"))
    if first and last and first > last:
        notes.append(Text(_DATES_TURNED))
    if not chosen.is_everything() and service.recordings_covered(session, chosen) == 0:
        notes.append(Text(_NOTHING_MATCHES))
    return [_said(request, note) for note in notes]


_NOT_A_DATE = N_("“%(value)s” is no date: that filter was left out")
_DATES_TURNED = N_("the dates were the wrong way round: the report runs from the earlier one")
_NOTHING_MATCHES = N_(
    "no analysed recording matches these filters: widen the dates, or check the tag, name or word"
)


_TREND_TERMS = 6  # terms drawn in the report's trend chart


# Download names, in the page's language.
_TERMS_FILE, _SUGGESTIONS_FILE = N_("terms"), N_("page-suggestions")


def _dated(stem: str, suffix: str) -> str:
    """A download's name with today's date: weekly downloads do not pile up as "terms (3)"."""
    return f"{stem}-{date.today():%Y-%m-%d}.{suffix}"


def _thin_last_month(words: Sequence[int]) -> bool:
    """The last month (often the one still going) has under half the words of the median
    month with recordings before it: its rates rest on little speech, and a dip there is
    mostly chance."""
    before = [w for w in words[:-1] if w > 0]
    return bool(before) and words[-1] < 0.5 * statistics.median(before)


def _cut_first_month(words: Sequence[int], months: Sequence[str], since: date | None) -> bool:
    """The first month starts at a From date inside it and holds under half the words of
    the median month after it."""
    if since is None or since.day == 1 or len(words) < 2 or months[0] != f"{since:%Y-%m}":
        return False
    after = [w for w in words[1:] if w > 0]
    return bool(after) and words[0] < 0.5 * statistics.median(after)


_SPARK_W, _SPARK_H = 240, 36  # the chart's lines, in SVG pixels


def _sparkline(values: Sequence[float]) -> str:
    """SVG polyline points for `values` over the chart's width, the highest at the top."""
    if not values:
        return ""
    top = max(values) or 1.0
    step = _SPARK_W / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{_SPARK_H - 2 - (_SPARK_H - 4) * v / top:.1f}"
        for i, v in enumerate(values)
    )


def _with_notice(target: str, done: str) -> str:
    """A local address with `done=` set, so the page it shows says what just happened."""
    parts = urlsplit(local_path(target))
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "done"] + [("done", done)]
    return urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))


_NOT_HIDDEN = N_("The term was not hidden")


@router.post("/terms/hide", response_class=HTMLResponse)
def hide_term(
    request: Request,
    session: SessionDep,
    key: Annotated[str, Form(max_length=400)] = "",
    term: Annotated[str, Form(max_length=400)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/report",
) -> Response:
    """Take a term out of the reports (a misheard word, a word of no interest)."""
    try:
        service.hide_term(session, key, term)
    except InvalidInput as e:
        message = _said(request, e)
        return _page(request, "error.html", status_code=422, title=_NOT_HIDDEN, message=message)
    return RedirectResponse(_with_notice(back, "hidden"), status_code=303)


@router.post("/terms/show", response_class=HTMLResponse)
def show_term(
    session: SessionDep,
    key: Annotated[str, Form(max_length=400)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/report",
) -> Response:
    """Put a hidden term back in the reports."""
    service.show_term(session, key)  # already shown (another tab): the same page
    return RedirectResponse(_with_notice(back, "shown"), status_code=303)


@router.get("/report", response_class=HTMLResponse)
def report(
    request: Request,
    session: SessionDep,
    recordings: ReportFilter,
    role: str | None = None,
    limit: int = 30,
    done: str | None = None,
) -> HTMLResponse:
    filter_notes = _filter_notes(request, session, recordings)
    spoken = service.roles_spoken(session, recordings)
    if role is None:  # the report is about the customers' words, where there are some
        role = "customer" if "customer" in spoken else None
    role = role if role in ROLE_FILTERS else None  # "all": everyone
    limit = max(1, min(limit, 200))
    chosen = {k: v for k, v in asdict(recordings).items() if k != "recording_id"}
    everyone = service.ranked_terms(
        session, limit=max(limit, service.SYNONYM_TERMS), recording_filter=recordings
    )  # the table (without a role) and the near-synonyms share one query
    terms = (
        everyone[:limit]
        if role is None
        else service.ranked_terms(session, role=role, limit=limit, recording_filter=recordings)
    )
    questions = service.question_groups(
        session, role="customer", limit=20, recording_filter=recordings
    )
    sides = {
        side: service.ranked_terms(session, role=side, limit=15, recording_filter=recordings)
        for side in ("customer", "salesperson")
    }
    query = urlencode({k: str(v) for k, v in chosen.items() if v})
    roleless = service.recordings_without_roles(session, recordings) if role else (0, [])
    trend = service.term_trend(session, terms[:_TREND_TERMS], role, recordings)
    rising = service.rising_terms(session, recordings, role)
    # A From date inside a month leaves that month a few days: drawn whole, a term said in
    # those days looked as if it fell away after.
    first_cut = _cut_first_month(trend.words, trend.months, recordings.since)
    start = int(first_cut)
    thin_last = _thin_last_month(trend.words[start:])  # not measured against a cut month
    # The month still going holds little speech yet: its dip is chance, so the lines end at
    # the month before (the table of numbers keeps it). A quiet month that is over stays.
    going = thin_last and trend.months[-1] == utcnow().strftime("%Y-%m")
    drawn = len(trend.months) - going
    quoted = quoted_recordings([terms, questions, list(sides.values()), rising])
    # One click to a weekly look: the rising words since the last Monday before today (a
    # week back on a Monday), or over the last 30 days, with the other filters kept.
    today = utcnow().date()
    since_monday = today - timedelta(days=today.weekday() or 7)
    kept = {k: str(v) for k, v in chosen.items() if v and k not in ("since", "until")}
    if asked_role := request.query_params.get("role"):
        kept["role"] = asked_role
    return _page(
        request,
        "report.html",
        trend=trend,
        filter_notes=filter_notes,
        trend_thin_last=thin_last,
        trend_going=going,
        trend_drawn=drawn,
        trend_from=start,
        trend_first_cut=first_cut,
        trend_since=recordings.since,
        since_monday=since_monday,
        since_monday_url="/report?" + urlencode({**kept, "since": since_monday.isoformat()}),
        since_month_url="/report?"
        + urlencode({**kept, "since": (today - timedelta(days=30)).isoformat()}),
        trend_lines=[
            (term, _sparkline(rates[start:drawn]), rates[start:drawn], rates)
            for term in terms[:_TREND_TERMS]
            for rates in [trend.rates.get(term.lemma, ())]
        ],
        terms=terms,
        limit=limit,
        notice=NOTICES.get(done or ""),
        hidden=service.hidden_terms(session),
        role=role,
        # Only the roles somebody spoke in; the two sides stay while the filters match nothing.
        roles=[r for r in ROLE_FILTERS if r in (spoken or SIDES) or r == role],
        roleless=roleless,
        questions=questions,
        sides=sides,
        rising=rising,
        coverage=service.coverage(session, recordings, role),
        few=state(request).settings.report_min_recordings,
        with_audio=service.with_audio(session, quoted),
        sources=service.quote_sources(session, quoted),
        chosen=chosen,
        query=query,
        known_tags=service.known_tags(session),
        synonyms_on=state(request).settings.synonyms,
        synonyms=(
            service.synonym_groups(session, embedder, recordings, limit=12, terms=everyone)
            if (embedder := service.term_embedder(state(request).settings))
            else []
        ),
    )


@router.get("/report/export.{fmt}")
def report_export(
    request: Request,
    fmt: Literal["csv", "xlsx"],
    session: SessionDep,
    recordings: ReportFilter,
    role: str | None = None,
    limit: int = 200,
) -> Response:
    """The report's terms as a spreadsheet, with the page's role and filters (the page's own
    sign-in, not an API key: /api/v1/terms?format=... is the same for scripts)."""
    role = role if role in ROLE_FILTERS else None
    limit = max(1, min(limit, 1000))
    terms = service.ranked_terms(session, role=role, limit=limit, recording_filter=recordings)
    chosen = [f"{k} {v}" for k, v in asdict(recordings).items() if v]
    sources = service.first_quote_sources(session, terms)
    if fmt == "xlsx":  # for people: in the page's language (the CSV is for tools)
        words = i18n.wording(page_language(request))
        who = words.gettext(i18n.ROLE_GROUPS[role]) if role else words.gettext("Everyone")
        title = " — ".join([words.gettext("ridealong terms"), who, *chosen])
        asked = service.question_groups(
            session, role="customer", limit=100, recording_filter=recordings
        )
        content: str | bytes = terms_xlsx(terms, title, sources, words, asked)
        media = XLSX_MEDIA_TYPE
    else:
        content, media = terms_csv(terms, sources), "text/csv"
    words = i18n.wording(page_language(request))
    stem = words.gettext(_TERMS_FILE)
    if role:  # a tab's download says whose: "termen-klanten-2026-12-07.xlsx"
        stem += "-" + words.gettext(i18n.ROLE_GROUPS[role]).lower().replace(" ", "-")
    headers = {
        "Content-Disposition": attachment(_dated(stem, fmt)),
        "Vary": VARY_BY_LANGUAGE,
    }
    return Response(content, media_type=media, headers=headers)


def _day(text: str | None) -> date | None:
    """A YYYY-MM-DD date from a form field; anything else is no date (the filter is off)."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _suggest_page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page-suggestion form (and its result), saying whether pages are fetched by
    their address on this server."""
    settings = state(request).settings
    return _page(
        request,
        "suggest.html",
        status_code=status_code,
        fetch_domains=pages.fetch_domains(settings),
        **context,
    )


@router.get("/suggest", response_class=HTMLResponse)
def suggest_form(request: Request, session: SessionDep) -> HTMLResponse:
    return _suggest_page(
        request,
        page_copy="",
        is_html=False,
        result=None,
        compare={},
        known_tags=service.known_tags(session),
    )


@router.post("/suggest", response_class=HTMLResponse)
def suggest(
    request: Request,
    session: SessionDep,
    page_copy: Annotated[str, Form()] = "",
    is_html: Annotated[bool, Form()] = False,
    export: Annotated[str, Form(max_length=10)] = "",
    tag: Annotated[str, Form(max_length=50)] = "",
    since: Annotated[str, Form(max_length=10)] = "",
    until: Annotated[str, Form(max_length=10)] = "",
    said: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Compare a page's copy with what customers say: in every conversation, or in those
    with a tag, that mention a term, within dates (a heat-pump page with the heat-pump
    calls)."""
    settings = state(request).settings
    recordings = _report_filter(since=since, until=until, tag=tag, said=said)
    compare = {
        "tag": recordings.tag,
        "said": recordings.said,
        "since": recordings.since,
        "until": recordings.until,
    }
    known_tags = service.known_tags(session)
    read_as_html = not is_html and looks_like_html(page_copy)  # the box was not ticked
    url: str | None = None
    try:
        page, html = page_copy, is_html or read_as_html
        if url := pages.lone_url(page_copy):  # pasted the address instead of the text
            if not pages.fetching_allowed(settings):
                raise InvalidInput(
                    N_(
                        "that is the page's web address, not its text: open the page, select "
                        "its text (or copy its HTML source) and paste that here"
                    )
                )
            page, html = pages.fetch_page(settings, url), True
        result = service.page_suggestions(
            session,
            page,
            is_html=html,
            embedder=service.term_embedder(settings),
            recording_filter=recordings,
        )
    except InvalidInput as e:
        return _suggest_page(
            request,
            status_code=422,
            page_copy=page_copy,
            is_html=is_html,
            result=None,
            error=_said(request, e),
            compare=compare,
            known_tags=known_tags,
        )
    words = i18n.wording(page_language(request))  # the CSV is for tools: English
    basis = service.coverage(
        session, recordings, "customer" if result.terms_from == "customer" else None
    )
    exports: dict[str, tuple[Callable[[], str | bytes], str, str]] = {
        "markdown": (
            lambda: suggestions_markdown(
                result,
                words,
                i18n.brief_basis(page_language(request), url, basis, recordings),
            ),
            "text/markdown",
            "md",
        ),
        "csv": (lambda: suggestions_csv(result), "text/csv", "csv"),
        "xlsx": (lambda: suggestions_xlsx(result, words), XLSX_MEDIA_TYPE, "xlsx"),
    }
    if export in exports:
        render_export, media, suffix = exports[export]
        headers = {
            "Content-Disposition": attachment(_dated(words.gettext(_SUGGESTIONS_FILE), suffix)),
            "Vary": VARY_BY_LANGUAGE,
        }
        return Response(render_export(), media_type=media, headers=headers)
    quoted = quoted_recordings(result)
    return _suggest_page(
        request,
        page_copy=page_copy,
        is_html=is_html or read_as_html,
        read_as_html=read_as_html,
        result=result,
        coverage=basis,
        few=settings.report_min_recordings,
        with_audio=service.with_audio(session, quoted),
        sources=service.quote_sources(session, quoted),
        compare=compare,
        known_tags=known_tags,
        # A page in another language than the calls shares few words with them by nature
        # (and gets no swaps nor jargon): said where the compared terms' language differs.
        other_language=(
            result.terms_language if result.terms_language not in (None, result.language) else None
        ),
    )


# --- voices ----------------------------------------------------------------------------------


def _voices_page(
    request: Request, status_code: int = 200, form: dict[str, Any] | None = None, **extra: Any
) -> HTMLResponse:
    with state(request).database.session() as session:
        profiles = service.list_voices(session)
    enrolled_on = {p.name: _day_of(p.enrolled_at) for p in profiles}
    return _page(
        request,
        "voices.html",
        status_code=status_code,
        voices=profiles,
        enrolled_on=enrolled_on,
        roles=PERSON_ROLES,
        form=form or {"name": "", "role": "salesperson"},
        **extra,
    )


def _day_of(moment: str | None) -> date | None:
    try:
        return datetime.fromisoformat(moment).date() if moment else None
    except ValueError:
        return None


@router.get("/voices", response_class=HTMLResponse)
def voices(request: Request, done: str | None = None, caution: str = "") -> HTMLResponse:
    """Enrolled voices: a matching speaker in a new recording gets that name and role."""
    said = {key: message for message, key in _CAUTIONS.items()}
    cautions = [_said(request, Text(said[c])) for c in caution.split(",") if c in said]
    return _voices_page(request, notice=NOTICES.get(done or ""), cautions=cautions)


@router.post("/voices", response_class=HTMLResponse)
def enroll_voice(
    request: Request,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=50)] = "salesperson",
    files: Annotated[list[UploadFile] | None, File()] = None,
    replace: Annotated[bool, Form()] = False,
    consent: Annotated[bool, Form()] = False,
) -> Response:
    """Enrol a voice from recordings of one person alone, who agreed to it (a voice print is
    biometric data). A voice of the same name is only replaced when the form says so: later
    recordings would be named after the new voice."""
    form = {"name": name, "role": role, "consent": consent}
    chosen = [f for f in files or [] if f.filename]
    existing = service.voice_called(session, name)
    if existing:  # "pieter de smet" is Pieter de Smet: said as the profile writes it
        form["name"] = name = existing
    try:
        if role not in PERSON_ROLES:
            raise InvalidInput(N_("choose a role: salesperson, customer or other"))
        if existing and not replace:
            raise InvalidInput(
                N_(
                    "there is already a voice called “%(name)s”: tick the box below to "
                    "replace it with this one, or choose another name"
                ),
                name=name.strip(),
            )
        if not chosen:
            raise InvalidInput(N_("choose one or more recordings of this person speaking alone"))
        if not consent:
            raise InvalidInput(
                N_("tick the box to confirm that this person agreed that their voice is recognised")
            )
        _, cautions = service.enroll_from_audio(
            session, name, [f.file for f in chosen], role, [f.filename or "" for f in chosen],
            consent_by=f"web form from {_address(request)}",
        )  # fmt: skip
    except InvalidInput as e:
        return _voices_page(
            request,
            status_code=422,
            form=form,
            error=_said(request, e),
            offer_replace=existing is not None,
            file_lost=bool(chosen),
        )
    caution = ",".join(_CAUTIONS[c] for c in cautions)
    done = "replaced" if existing else "enrolled"
    return RedirectResponse(f"/voices?done={done}" + (f"&caution={caution}" * bool(caution)), 303)


_CAUTIONS = {service.SHORT_SAMPLE: "short", service.MIXED_SAMPLE: "mixed"}


@router.post("/voices/delete", response_class=HTMLResponse)
def delete_voice(
    request: Request, session: SessionDep, name: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Forget a voice (the name travels in the form: names may hold any character)."""
    if not service.delete_voice(session, name):
        error = Text(N_("there is no voice called “%(name)s” (any more)"), {"name": name})
        return _voices_page(request, status_code=404, list_error=_said(request, error))
    return RedirectResponse("/voices?done=deleted", status_code=303)


# --- form addresses opened again -------------------------------------------------------------


@router.get("/upload")
@router.get("/logout")
@router.get("/voices/delete")
@router.get("/recordings/{recording_id}/speakers")
@router.get("/recordings/{recording_id}/speakers/swap")
@router.get("/recordings/{recording_id}/tags")
@router.get("/recordings/{recording_id}/details")
@router.get("/recordings/{recording_id}/delete")
def form_address(request: Request, recording_id: str | None = None) -> RedirectResponse:
    """A form's address opened again (the address bar after an error, a restored tab,
    history): the page the form is on, instead of "Method Not Allowed"."""
    if recording_id is not None:
        return RedirectResponse(f"/recordings/{quote(recording_id, safe='')}", status_code=303)
    path = request.url.path
    return RedirectResponse("/voices" if path.startswith("/voices") else "/", status_code=303)
