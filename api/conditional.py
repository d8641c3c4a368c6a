"""Conditional GETs for the JSON API: an ETag on every answer, 304 when it is unchanged.

A CMS polls `/api/v1/terms` or a recording's status; sending back `If-None-Match` with the
ETag it was given, it gets `304 Not Modified` and no body until the answer changes. The tag
is a hash of the answer's bytes, so it changes exactly when the answer does, whatever the
cause (a new recording, a correction, a deletion). The answer is still computed; what is
saved is the transfer and the client's work. `Cache-Control: private, no-cache` lets a
client keep the answer but makes it ask again each time (answers depend on the API key).
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ConditionalGet", "HeadAsGet", "etag_of", "none_match"]

_PREFIX = "/api/v1/"


def etag_of(body: bytes) -> str:
    """A strong ETag for these exact bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def none_match(header: str | None, etag: str) -> bool:
    """Whether If-None-Match (`header`) names `etag`, so the client has it already."""
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


class ConditionalGet:
    """ASGI middleware: tags successful JSON answers to GET under /api/v1/ (downloads,
    which are attachments, and every other method pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        asked = Headers(scope=scope).get("if-none-match")
        start: Message | None = None
        chunks: list[bytes] = []

        async def tagging_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = Headers(raw=message["headers"])
                json = headers.get("content-type", "").startswith("application/json")
                if message["status"] == 200 and json and "content-disposition" not in headers:
                    start = message  # held until the whole body is known
                    return
                await send(message)
                return
            if start is None:  # not tagged: as it came
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            etag = etag_of(body)
            headers = MutableHeaders(raw=list(start["headers"]))
            headers["ETag"] = etag
            headers["Cache-Control"] = "private, no-cache"
            if none_match(asked, etag):
                del headers["content-length"]
                del headers["content-type"]
                await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({**start, "headers": headers.raw})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, tagging_send)


class HeadAsGet:
    """ASGI middleware: HEAD answers as GET would, without the body (RFC 9110 9.3.2).

    FastAPI's routes list GET alone, so HEAD got 405 everywhere; uptime monitors and link
    checkers send HEAD and would call a working service down. Outermost, so everything
    inside (sign-in, API key scopes, ETags) treats the request as the GET it stands for."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
