"""Service errors and the one place that maps every known error to an HTTP answer."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.storage import UploadTooLarge
from models import ModelError
from transcribe import TranscriptionError

logger = logging.getLogger(__name__)

__all__ = ["InvalidInput", "NotFound", "ServiceError", "install_error_handlers"]


class ServiceError(Exception):
    status_code = 400


class InvalidInput(ServiceError):
    status_code = 422


class NotFound(ServiceError):
    status_code = 404


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return _problem(exc.status_code, str(exc))

    @app.exception_handler(UploadTooLarge)
    async def too_large(_request: Request, exc: UploadTooLarge) -> JSONResponse:
        return _problem(413, str(exc))

    @app.exception_handler(TranscriptionError)
    async def transcription_error(_request: Request, exc: TranscriptionError) -> JSONResponse:
        return _problem(422, str(exc))

    @app.exception_handler(ModelError)
    async def model_error(_request: Request, exc: ModelError) -> JSONResponse:
        logger.error("model problem: %s", exc)
        return _problem(503, str(exc))
