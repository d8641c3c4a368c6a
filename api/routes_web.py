"""Web pages for marketers: upload, recordings, transcript with audio, report, suggestions.

Jinja2 escapes every value it renders, so transcript text and titles cannot inject HTML.
"""

from __future__ import annotations

import mimetypes
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api import service
from api.app import db_session, state, submit_recording
from api.errors import InvalidInput, NotFound, ServiceError
from api.storage import UploadTooLarge
from api.templating import clock, templates
from transcribe.formats import MEDIA_TYPES, render

router = APIRouter(include_in_schema=False)

SessionDep = Annotated[Session, Depends(db_session)]
ROLE_FILTERS = ("customer", "salesperson", "unknown")


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, session: SessionDep) -> HTMLResponse:
    return _page(request, "index.html", recordings=service.list_recordings(session), form={})


@router.post("/upload", response_class=HTMLResponse)
def upload(
    request: Request,
    session: SessionDep,
    file: Annotated[UploadFile | None, File()] = None,
    consent: Annotated[bool, Form()] = False,
    title: Annotated[str | None, Form()] = None,
    salesperson: Annotated[str | None, Form()] = None,
    customer: Annotated[str | None, Form()] = None,
    recorded_at: Annotated[str | None, Form()] = None,
    language: Annotated[str, Form()] = "auto",
    glossary: Annotated[str | None, Form()] = None,
) -> Response:
    form = {
        "title": title or "",
        "salesperson": salesperson or "",
        "customer": customer or "",
        "recorded_at": recorded_at or "",
        "language": language,
        "glossary": glossary or "",
        "consent": consent,
    }
    try:
        if file is None or not file.filename:
            raise InvalidInput("choose an audio file to upload")
        try:
            when = date.fromisoformat(recorded_at) if recorded_at else None
        except ValueError:
            raise InvalidInput("the date is not a valid date (use YYYY-MM-DD)") from None
        meta = service.NewRecording(
            consent=consent,
            title=title,
            salesperson=salesperson,
            customer=customer,
            recorded_at=when,
            language=(language or "auto").strip().lower(),
            glossary=glossary,
        )
        recording = submit_recording(state(request), session, file, meta)
    except (ServiceError, UploadTooLarge) as e:
        code = 413 if isinstance(e, UploadTooLarge) else 422
        return _page(
            request,
            "index.html",
            status_code=code,
            recordings=service.list_recordings(session),
            form=form,
            error=str(e),
        )
    return RedirectResponse(f"/?uploaded={recording.id}", status_code=303)


@router.get("/status.json")
def statuses(session: SessionDep) -> JSONResponse:
    """Status and progress of the latest recordings, for the list page to poll."""
    rows = service.list_recordings(session)
    return JSONResponse(
        [
            {
                "id": r.id,
                "status": r.status,
                "progress": r.progress,
                "error": r.error,
                "duration": clock(r.duration_s),
                "language": r.language or "",
            }
            for r in rows
        ]
    )


@router.get("/recordings/{recording_id}", response_class=HTMLResponse)
def recording_page(recording_id: str, request: Request, session: SessionDep) -> HTMLResponse:
    try:
        recording = service.get_recording(session, recording_id)
    except NotFound as e:
        return _page(request, "error.html", status_code=404, message=str(e))
    transcript = None
    terms: list[Any] = []
    if recording.status == "done":
        transcript = service.get_transcript(session, recording_id)
        terms = service.ranked_terms(session, limit=15, recording_id=recording_id)
    return _page(request, "recording.html", recording=recording, transcript=transcript, terms=terms)


@router.get("/recordings/{recording_id}/audio")
def recording_audio(recording_id: str, request: Request, session: SessionDep) -> Response:
    recording = service.get_recording(session, recording_id)
    if not recording.blob_key:
        raise NotFound("this recording has no audio")
    path = state(request).blobs.path(recording.blob_key)
    if not path.exists():
        raise NotFound("the audio of this recording was removed")
    # Only audio/video types, never one guessed from a user-chosen name such as x.html.
    media_type = recording.content_type or ""
    if not media_type.startswith(("audio/", "video/")):
        guessed = mimetypes.guess_type(recording.filename)[0] or ""
        media_type = (
            guessed if guessed.startswith(("audio/", "video/")) else "application/octet-stream"
        )
    return FileResponse(path, media_type=media_type, headers={"X-Content-Type-Options": "nosniff"})


@router.get("/recordings/{recording_id}/transcript.{fmt}")
def transcript_download(
    recording_id: str, fmt: Literal["json", "txt", "srt", "vtt"], session: SessionDep
) -> Response:
    transcript = service.get_transcript(session, recording_id)
    recording = service.get_recording(session, recording_id)
    stem = recording.filename.rsplit(".", 1)[0].encode("ascii", "ignore").decode() or "transcript"
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:80]
    return Response(
        render(transcript, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


@router.post("/recordings/{recording_id}/delete")
def delete(recording_id: str, request: Request, session: SessionDep) -> Response:
    service.delete_recording(session, state(request).blobs, recording_id)
    return RedirectResponse("/", status_code=303)


@router.get("/report", response_class=HTMLResponse)
def report(
    request: Request, session: SessionDep, role: str | None = None, limit: int = 30
) -> HTMLResponse:
    role = role if role in ROLE_FILTERS else None
    limit = max(1, min(limit, 200))
    terms = service.ranked_terms(session, role=role, limit=limit)
    return _page(request, "report.html", terms=terms, role=role, roles=ROLE_FILTERS)


@router.get("/suggest", response_class=HTMLResponse)
def suggest_form(request: Request) -> HTMLResponse:
    return _page(request, "suggest.html", page_copy="", is_html=False, result=None)


@router.post("/suggest", response_class=HTMLResponse)
def suggest(
    request: Request,
    session: SessionDep,
    page_copy: Annotated[str, Form()] = "",
    is_html: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    try:
        result = service.page_suggestions(session, page_copy, is_html=is_html)
    except InvalidInput as e:
        return _page(
            request,
            "suggest.html",
            status_code=422,
            page_copy=page_copy,
            is_html=is_html,
            result=None,
            error=str(e),
        )
    return _page(request, "suggest.html", page_copy=page_copy, is_html=is_html, result=result)
