"""The FastAPI application: a thin shell over `api.service`, the job queue and the pages."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request, UploadFile
from fastapi.exception_handlers import http_exception_handler
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from analyze.imported import is_transcript_file
from analyze.wording import N_
from api import service
from api.auth import find_api_key, needed_scope, scope_allows, session_signed_out
from api.conditional import ConditionalGet, HeadAsGet
from api.db import DATABASE_DOWN, Database, Recording, get_database
from api.errors import (
    InvalidInput,
    database_unavailable_response,
    install_error_handlers,
)
from api.jobs import JobQueue
from api.ratelimit import Limiter, RateLimiter, rate_limiter
from api.schemas import Health
from api.service import (
    NewRecording,
    check_new_recording,
    create_recording,
    import_transcript,
)
from api.settings import Settings, get_settings
from api.storage import BlobStore, blob_store
from api.websession import (
    COOKIE,
    csrf_token,
    open_paths,
    renewed_session,
    session_id,
    set_session_cookie,
)

logger = logging.getLogger(__name__)

__all__ = ["AppState", "create_app"]


@dataclass
class AppState:
    settings: Settings
    database: Database
    blobs: BlobStore
    queue: JobQueue
    uploads: Limiter = field(default_factory=lambda: RateLimiter(0))


def submit_recording(
    app_state: AppState,
    session: Session,
    upload: UploadFile,
    meta: NewRecording,
    client: str = "",
) -> Recording:
    """Store an uploaded recording and queue its job (the API and the form share this); a
    transcript file is imported instead (`service.import_transcript`).
    `client` (an API key's name, a browser's address) is held to RIDEALONG_UPLOAD_RATE;
    an upload refused for its fields (no consent, an unknown language) is not counted."""
    check_new_recording(meta)
    app_state.uploads.check(client)
    if is_transcript_file(upload.filename):  # a call's transcript: analysed now, no job
        return import_transcript(
            session, upload.file, upload.filename, upload.content_type, meta, app_state.settings
        )
    recording = create_recording(
        session,
        app_state.blobs,
        upload.file,
        upload.filename,
        upload.content_type,
        meta,
        app_state.settings.max_upload_bytes,
        app_state.settings.max_audio_hours * 3600,
    )
    app_state.queue.enqueue(recording.id)
    return recording


def state(request: Request) -> AppState:
    app_state: AppState = request.app.state.ridealong
    return app_state


def db_session(request: Request) -> Iterator[Session]:
    with state(request).database.session() as session:
        yield session


_bearer = HTTPBearer(auto_error=False, description="an API key from `ridealong apikey create`")


def require_api_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The API key's name; 401 without a valid `Authorization: Bearer <key>`, 403 when its
    scope does not cover the request (`api.auth.needed_scope`). Its own short session: the
    connection goes back to the pool before an upload is read and stored."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "an API key is required: Authorization: Bearer <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with state(request).database.session() as session:
        key = find_api_key(session, credentials.credentials)
    if key is None:
        raise HTTPException(
            401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"}
        )
    request.state.api_scope = key.scope  # a route may need more for some bodies
    request.state.api_key_id = key.id  # names may repeat; the rate limit is per key
    request.state.api_key_name = key.name  # who did it, where that is recorded
    needed = needed_scope(request.method, request.url.path, request.query_params)
    if not scope_allows(key.scope, needed):
        raise HTTPException(
            403, f"this API key's scope is '{key.scope}'; this request needs '{needed}'"
        )
    return key.name


def require_scope(request: Request, needed: str, what: str) -> None:
    """403 unless the request's API key covers `needed`: for a request whose body, not its
    path, asks for more (`api.auth.needed_scope` decides from the path)."""
    scope = getattr(request.state, "api_scope", "")
    if not scope_allows(scope, needed):
        raise HTTPException(403, f"this API key's scope is '{scope}'; {what} needs '{needed}'")


FORM_FILES = 10  # recordings the web form takes in one upload


class _UploadLimit(BaseHTTPMiddleware):
    """Refuse a body over the upload limit before reading it (Content-Length says so)."""

    def __init__(self, app: object, max_bytes: int) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.max_bytes = max_bytes

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        length = request.headers.get("content-length")
        form = request.url.path == "/upload"  # a person at the form, maybe with several files
        most = body_limit(request.url.path, self.max_bytes)
        if length and length.isdigit() and int(length) > most:
            mb = self.max_bytes // 2**20
            if form:  # the form again, with the error (each file is held to the limit later)
                too_much = InvalidInput(
                    N_(
                        "these files are more than the form takes at once (%(files)s files "
                        "of %(mb)s MB): upload fewer at a time"
                    ),
                    files=FORM_FILES,
                    mb=mb,
                )
                return await run_in_threadpool(_upload_page_with_error, request, too_much)
            if request.url.path.rstrip("/") not in _FILE_ROUTES:
                return _body_too_large(most)
            message = f"the file is larger than the limit of {mb} MB"
            return JSONResponse({"detail": message, "code": "too_large"}, status_code=413)
        return await call_next(request)


# Routes that take audio files; every other body (JSON, a page's copy) is held to far less.
_FILE_ROUTES = {
    "/upload": FORM_FILES,
    "/api/v1/recordings": 1,
    "/voices": FORM_FILES,  # a voice from several recordings
    "/api/v1/voices": FORM_FILES,
}
_OTHER_BODY_BYTES = 32 * 2**20  # a page's HTML (5 M characters) as JSON, with room to spare


def body_limit(path: str, max_upload_bytes: int) -> int:
    """The most bytes a request body to `path` may hold."""
    files = _FILE_ROUTES.get(path.rstrip("/") or "/")
    if files is None:
        return min(_OTHER_BODY_BYTES, max_upload_bytes) + 64 * 1024
    return max_upload_bytes * files + 64 * 1024


def _body_too_large(most: int) -> JSONResponse:
    message = f"the body is larger than the limit of {most // 2**20} MB"
    return JSONResponse({"detail": message, "code": "too_large"}, status_code=413)


class _BodyTooLarge(Exception):
    pass


class _StreamedBodyLimit:
    """Counts a body's bytes as they arrive: a chunked body (no Content-Length, which
    `_UploadLimit` checks) is stopped at the limit instead of spooled to disk whole."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        most = body_limit(scope["path"], self.max_bytes)
        received = 0
        exceeded = False

        async def counted() -> Any:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > most:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def unless_exceeded(message: Any) -> None:
            if not exceeded:  # else the app's answer to a body it could not read: ours instead
                await send(message)

        try:
            await self.app(scope, counted, unless_exceeded)
        except _BodyTooLarge:
            pass
        if exceeded:
            await _body_too_large(most)(scope, receive, send)


class _NoPersonalData(logging.Filter):
    """An access log line keeps a query's parameter names, not their values, and no voice's
    name from a path: the sign-in link carries the web token (`/login?token=…`), report
    filters name customers and salespeople (`?customer=…`), and `/api/v1/voices/{name}` a
    person, none of which whoever reads the logs need see."""

    _VALUE = re.compile(r"([?&][^=&\s\"]*=)[^&\s\"]+")
    _VOICE = re.compile(r"(/api/v1/voices/)[^?\s\"]+")

    def _scrubbed(self, text: str) -> str:
        return self._VOICE.sub(r"\1…", self._VALUE.sub(r"\1…", text))

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._scrubbed(a) if isinstance(a, str) else a for a in record.args)
        return True


def _hide_personal_data_in_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _NoPersonalData) for f in access.filters):
        access.addFilter(_NoPersonalData())


def _upload_page_with_error(request: Request, error: InvalidInput) -> Response:
    from api.i18n import say
    from api.service import list_recordings
    from api.templating import page_language, render_page

    with state(request).database.session() as session:
        recordings = list_recordings(session)
        message = say(error, page_language(request))
        return render_page(
            request,
            "index.html",
            {"recordings": recordings, "form": {}, "error": message},
            status_code=413,
        )


# Sent with every response. The pages load nothing from elsewhere and run no inline script,
# so the policy can be strict; /docs and /redoc need inline script (Swagger UI, ReDoc).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; media-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_DOCS_PATHS = ("/docs", "/redoc", "/static-offline-docs")


# The machine-readable `code` of the framework's own error answers (api/errors.py has the
# service's).
# What a person's browser is shown instead of JSON: the page's title and its message.
_PAGE_ERRORS = {
    404: (N_("Not found"), N_("There is no page at this address.")),
    403: (N_("Not allowed"), N_("This request is not allowed.")),
    405: (N_("Not found"), N_("There is no page at this address.")),
}


def for_a_person(request: Request) -> bool:
    """Whether an error should be a page: a browser asked for a web page, not the API."""
    accepts_html = "text/html" in request.headers.get("accept", "")
    return accepts_html and not request.url.path.startswith(("/api/", "/healthz"))


def local_path(target: str) -> str:
    """Only a path on this site ("/report?x=1"), never "//elsewhere", "https://…", or
    "/\\elsewhere" (which some browsers read as "//"); "/" instead."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return "/" if any(ord(c) < 32 or ord(c) == 127 for c in target) else target


def error_page(request: Request, status_code: int, title: str, message: str) -> Response:
    """An error as a page in the reader's language, with a way back: to the page the form
    came from, when it is one of ours, and to the recordings."""
    from urllib.parse import urlsplit

    from api.templating import render_page

    came_from = urlsplit(request.headers.get("referer", ""))
    back = None
    if came_from.netloc == request.url.netloc:
        path = came_from.path + (f"?{came_from.query}" if came_from.query else "")
        if local_path(path) == path != request.url.path:
            back = path
    context = {"title": title, "message": message, "back": back}
    return render_page(request, "error.html", context, status_code=status_code)


_HTTP_CODES = {
    400: "invalid_request",  # a body that cannot be parsed at all
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
}


class _SecurityHeaders(BaseHTTPMiddleware):
    """Security headers on every response (a header a route set itself is kept)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith(_DOCS_PATHS):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class _WebSignIn(BaseHTTPMiddleware):
    """The web pages ask for the admin token once (api/websession.py); the API has keys."""

    def __init__(self, app: object, web_token: str) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.web_token = web_token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if open_paths(path):
            return await call_next(request)
        session = session_id(self.web_token, request.cookies.get(COOKIE))
        if session is not None:
            try:
                if await run_in_threadpool(_signed_out, request, session):
                    session = None
            except DATABASE_DOWN as e:  # middleware runs outside the error handlers
                return database_unavailable_response(e)
        if session is None:
            if path == "/logout":  # signed out already (in another tab): nothing to end
                return RedirectResponse("/login", status_code=303)
            if request.method in ("GET", "HEAD"):
                target = path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            return PlainTextResponse("sign in first: /login", status_code=401)
        request.state.csrf = csrf_token(self.web_token, session)  # checked by the web routes
        response = await call_next(request)
        # A signed-in page must not stay in the browser's cache: Back after "Sign out" on a
        # shared computer would show the transcript again.
        response.headers.setdefault("Cache-Control", "no-store")
        renewed = renewed_session(self.web_token, request.cookies.get(COOKIE, ""))
        if renewed is not None and path != "/logout":
            set_session_cookie(response, renewed, secure=request.url.scheme == "https")
        return response


def _signed_out(request: Request, session: str) -> bool:
    with state(request).database.session() as db:
        return session_signed_out(db, session)


def _warm_up(settings: Settings) -> None:
    try:
        service.warm_up(settings)
    except Exception:  # a model that cannot load says so when a page needs it, not here
        logger.warning("loading the report's models ahead failed", exc_info=True)


def create_app(
    settings: Settings | None = None, *, start_worker: bool | None = None, warm_up: bool = False
) -> FastAPI:
    """Build the app. The worker starts with the app unless told otherwise; `warm_up` loads
    the report's language models in the background once it has started (`serve`)."""
    settings = settings or get_settings()
    run_worker = settings.embedded_worker if start_worker is None else start_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _hide_personal_data_in_access_log()
        settings.make_data_dir()
        database = get_database(settings.sqlalchemy_url)
        with database.session() as session:
            service.after_upgrade(session, settings)
        queue = JobQueue(settings, database)
        app.state.ridealong = AppState(
            settings,
            database,
            blob_store(settings),
            queue,
            rate_limiter(settings.upload_rate, settings.redis_url),
        )
        if run_worker:
            queue.start_worker()
        if warm_up:
            threading.Thread(target=_warm_up, args=(settings,), daemon=True).start()
        try:
            yield
        finally:
            queue.stop_worker()

    app = FastAPIOffline(
        title="ridealong",
        version="0.1.0",
        description="Sales conversations in, the customers' own words out.",
        lifespan=lifespan,
    )
    app.add_middleware(ConditionalGet)  # innermost: it tags what the routes answered
    app.add_middleware(_StreamedBodyLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(_UploadLimit, max_bytes=settings.max_upload_bytes)
    if settings.web_token:
        app.add_middleware(_WebSignIn, web_token=settings.web_token)
    app.add_middleware(_SecurityHeaders)
    if settings.cors_origin_list:  # off unless configured
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            # What a browser's script may read: download names, when to retry, where to poll.
            expose_headers=["Content-Disposition", "Retry-After", "Location", "ETag"],
        )
    app.add_middleware(HeadAsGet)  # outermost: all within see the GET it stands for
    install_error_handlers(app)

    @app.exception_handler(StarletteHTTPException)
    async def page_not_found(request: Request, exc: StarletteHTTPException) -> Response:
        """A person who follows a wrong link, or sends a form that has expired, gets a page
        with the way back, in their language; programs (and everything under /api) keep
        the JSON answer."""
        if for_a_person(request) and exc.status_code in _PAGE_ERRORS:
            title, message = _PAGE_ERRORS[exc.status_code]
            if exc.status_code == 403 and isinstance(exc.detail, str):
                message = exc.detail  # the form's own reason (N_ texts of routes_web)
            return error_page(request, exc.status_code, title, message)
        response = await http_exception_handler(request, exc)
        code = _HTTP_CODES.get(exc.status_code)
        if code is not None and isinstance(response, JSONResponse):
            body = {"detail": exc.detail, "code": code}
            response = JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
        return response

    from api.routes_api import router as api_router
    from api.routes_web import router as web_router

    app.include_router(api_router)
    app.include_router(web_router)
    static_dir = resources.files("api") / "static"
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")

    @app.get(
        "/healthz", response_model=Health, tags=["service"], responses={503: {"model": Health}}
    )
    def healthz(request: Request) -> Response:
        app_state = state(request)
        try:
            with app_state.database.session() as session:
                session.execute(text("SELECT 1"))
            database_ok = True
        except Exception:  # any failure means not healthy
            database_ok = False
        worker_ok = app_state.queue.worker_running or not run_worker
        health = Health(
            status="ok" if database_ok and worker_ok else "unavailable",
            database=database_ok,
            worker=worker_ok,
        )
        return JSONResponse(health.model_dump(), status_code=200 if health.status == "ok" else 503)

    return app
