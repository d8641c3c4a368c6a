"""Sign-in for the web pages with the single admin token, and CSRF tokens for their forms.

With `RIDEALONG_WEB_TOKEN` set (`ridealong serve` makes one on first start and keeps it in
the data dir), every page asks for the token once; the browser then holds a signed session
cookie (HttpOnly, SameSite=Strict). Every form carries a CSRF token derived from that
session, and a POST without the right one is refused. The API keeps its own keys.
Without a token (the library and tests), the pages are open.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from pathlib import Path
from typing import Any

__all__ = [
    "COOKIE",
    "MAX_SESSION_DAYS",
    "SESSION_DAYS",
    "csrf_token",
    "ensure_web_token",
    "new_session",
    "open_paths",
    "renewed_session",
    "session_id",
    "set_session_cookie",
    "token_matches",
]

COOKIE = "ridealong_session"
SESSION_DAYS = 14  # without a visit; a page an hour or more after the last renews the cookie
MAX_SESSION_DAYS = 90  # after signing in, however often the browser visits
_RENEW_AFTER_S = 3600
# Paths reachable without signing in: the sign-in itself, the API (its own keys), static
# files, the health check, the API docs, and the pages' language switch (the sign-in page
# has it too).
_OPEN_PREFIXES = (
    "/login",
    "/language",
    "/api/",
    "/static/",
    "/static-offline-docs",
    "/healthz",
    "/docs",
    "/redoc",
    "/openapi.json",
)


def open_paths(path: str) -> bool:
    return path.startswith(_OPEN_PREFIXES)


def _key(web_token: str) -> bytes:
    return hashlib.sha256(b"ridealong-web-session:" + web_token.encode()).digest()


def _sign(web_token: str, value: str) -> str:
    return hmac.new(_key(web_token), value.encode(), hashlib.sha256).hexdigest()


def token_matches(web_token: str, given: str) -> bool:
    return hmac.compare_digest(web_token.encode(), given.strip().encode())


def new_session(web_token: str, now: float | None = None) -> str:
    """A cookie value: a session id (random, with the time of signing in), the time the
    cookie was given, and a signature."""
    started = int(now if now is not None else time.time())
    value = f"{secrets.token_urlsafe(16)}~{started}.{started}"
    return f"{value}.{_sign(web_token, value)}"


def _signed_in_at(ident: str) -> int | None:
    """When the session's browser signed in (None for the ids of before it was kept)."""
    _, _, at = ident.rpartition("~")
    return int(at) if at.isdigit() else None


def session_id(web_token: str, cookie: str | None, now: float | None = None) -> str | None:
    """The session id of a valid, unexpired cookie; None otherwise."""
    if not cookie or cookie.count(".") != 2:
        return None
    ident, started, signature = cookie.split(".")
    if not hmac.compare_digest(signature, _sign(web_token, f"{ident}.{started}")):
        return None
    now = now if now is not None else time.time()
    age_s = now - int(started) if started.isdigit() else -1
    if not 0 <= age_s <= SESSION_DAYS * 86400:
        return None
    signed_in = _signed_in_at(ident)
    if signed_in is not None and now - signed_in > MAX_SESSION_DAYS * 86400:
        return None
    return ident


def renewed_session(web_token: str, cookie: str, now: float | None = None) -> str | None:
    """The same session restarted now, once its cookie is an hour old: a person who visits
    every week stays signed in, one who stays away SESSION_DAYS must sign in again, and
    everyone after MAX_SESSION_DAYS. The id is kept, so its CSRF tokens and a sign-out
    (which outlasts any cookie given before it) still apply. None: no renewal due (or not
    a valid cookie, or one of before sign-in times were kept: it runs out as it was)."""
    now = now if now is not None else time.time()
    ident = session_id(web_token, cookie, now)
    if ident is None or _signed_in_at(ident) is None:
        return None
    started = int(cookie.split(".")[1])
    if now - started < _RENEW_AFTER_S:
        return None
    value = f"{ident}.{int(now)}"
    return f"{value}.{_sign(web_token, value)}"


def set_session_cookie(response: Any, value: str, secure: bool) -> None:
    """The session cookie, as sign-in sets it and a renewal resets it."""
    response.set_cookie(
        COOKIE,
        value,
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="strict",
        secure=secure,
    )


def csrf_token(web_token: str, session: str) -> str:
    """The token every form of this session carries (bound to the session, not stored)."""
    return _sign(web_token, f"csrf:{session}")[:32]


def ensure_web_token(data_dir: Path) -> str:
    """The admin token kept in the data dir, made on first use (readable by the owner only)."""
    path = data_dir / "web_token"
    if path.is_file() and path.read_text(encoding="utf-8").strip():
        return path.read_text(encoding="utf-8").strip()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(mode=0o700, exist_ok=True)  # a new one: the owner's alone
    token = secrets.token_urlsafe(24)
    path.write_text(token + "\n", encoding="utf-8")
    path.chmod(0o600)
    return token
