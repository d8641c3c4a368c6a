"""Service errors and the one place that maps every known error to an HTTP answer."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

from api.db import DATABASE_DOWN
from api.storage import StorageFailed, UploadTooLarge
from models import ModelError
from transcribe import AudioDecodeError, TranscriptionError
from transcribe.texts import N_, Text

logger = logging.getLogger(__name__)

__all__ = [
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "ServiceError",
    "database_unavailable_response",
    "install_error_handlers",
]


class ServiceError(Exception):
    """A request the service refuses, with a message for the person who sent it. The
    message is kept apart from its values, so a web page can show it in its reader's
    language (api/i18n.py); `str()` is the English the API answers with."""

    status_code = 400
    code = "refused"  # the answer's machine-readable `code`, stable where the English is not

    def __init__(self, message: str, *, code: str | None = None, **values: object) -> None:
        super().__init__(message % values if values else message)
        self.message = message
        self.values = values
        if code is not None:
            self.code = code

    @classmethod
    def saying(cls, error: Exception, *, code: str | None = None) -> ServiceError:
        """This refusal for an error of the core, keeping its translatable text (`.text`)
        where it has one, so a page still says it in its reader's language."""
        text = getattr(error, "text", None)
        if isinstance(text, Text):
            return cls(text.message, code=code, **text.values)
        return cls(str(error), code=code)


class InvalidInput(ServiceError):
    status_code = 422
    code = "invalid_input"


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class Forbidden(ServiceError):
    """Refused to this API key, though it may make the request with other parameters."""

    status_code = 403
    code = "forbidden"


class Conflict(ServiceError):
    """Refused for now: what it would change is busy (a recording being transcribed)."""

    status_code = 409
    code = "busy"


def _problem(status: int, detail: str, code: str) -> JSONResponse:
    """An error answer: `detail` for people (English), `code` for programs."""
    return JSONResponse({"detail": detail, "code": code}, status_code=status)


def _plain(value: Any) -> Any:
    """A JSON-safe form of a validation error's context value (exceptions become text)."""
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _validation_problem(error: Mapping[str, Any]) -> dict[str, Any]:
    """One request validation error in FastAPI's shape, minus the `input`: that is the
    client's own data (a 5 MB page would come back whole), and a message that says what
    to send where pydantic's does not."""
    kind, loc = str(error.get("type", "")), tuple(error.get("loc", ()))
    context = {k: _plain(v) for k, v in (error.get("ctx") or {}).items()}
    message = str(error.get("msg", "invalid input"))
    if kind == "json_invalid":
        reason = context.get("error")
        message = "the body is not valid JSON" + (f" ({reason})" if reason else "")
    elif loc == ("body",) and kind in ("model_attributes_type", "dict_type"):
        message = "the body must be a JSON object (Content-Type: application/json)"
    problem: dict[str, Any] = {"type": kind, "loc": list(loc), "msg": message}
    if context:
        problem["ctx"] = context
    return problem


def database_unavailable_response(exc: Exception) -> JSONResponse:
    """The 503 for a database that is busy or out of reach; also used by middleware,
    which runs outside the app's exception handlers."""
    # Every pooled connection in use (a burst), or the database restarting or out of
    # reach (the pool reconnects on a later request): both pass, so ask to try again.
    busy = isinstance(exc, SQLAlchemyTimeout)
    logger.warning("database %s: %s", "busy" if busy else "unavailable", exc)
    response = _problem(
        503,
        "the service is busy; nothing was stored, try again shortly"
        if busy
        else "the database is unavailable; nothing was changed, try again",
        "busy" if busy else "database_unavailable",
    )
    response.headers["Retry-After"] = "10" if busy else "5"
    return response


_UNREADABLE_TITLE = N_("This address cannot be used")
_UNREADABLE_ADDRESS = N_(
    "The address or the form holds a value this page cannot use (a number where words are, "
    "or a field too long). Check the link, or start again from the recordings."
)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        from api.app import error_page, for_a_person

        if for_a_person(request):  # a link or an address typed by hand: a page to go back
            return error_page(request, 422, _UNREADABLE_TITLE, _UNREADABLE_ADDRESS)
        errors: Sequence[Mapping[str, Any]] = exc.errors()
        problems = [_validation_problem(e) for e in errors]
        return JSONResponse({"detail": problems, "code": "invalid_request"}, status_code=422)

    @app.exception_handler(ServiceError)
    async def service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        response = _problem(exc.status_code, str(exc), exc.code)
        retry_after = getattr(exc, "retry_after_s", None)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.exception_handler(UploadTooLarge)
    async def too_large(_request: Request, exc: UploadTooLarge) -> JSONResponse:
        return _problem(413, str(exc), "too_large")

    async def database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        return database_unavailable_response(exc)

    for down in DATABASE_DOWN:
        app.add_exception_handler(down, database_unavailable)

    @app.exception_handler(StorageFailed)
    async def storage_failed(_request: Request, exc: StorageFailed) -> JSONResponse:
        logger.error("storing an upload failed: %s", exc.__cause__)
        return _problem(507, str(exc), "storage_full")

    @app.exception_handler(TranscriptionError)
    async def transcription_error(_request: Request, exc: TranscriptionError) -> JSONResponse:
        code = "unreadable_audio" if isinstance(exc, AudioDecodeError) else "transcription_failed"
        return _problem(422, str(exc), code)

    @app.exception_handler(ModelError)
    async def model_error(_request: Request, exc: ModelError) -> JSONResponse:
        logger.error("model problem: %s", exc)
        return _problem(503, str(exc), "model_unavailable")
