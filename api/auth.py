"""API keys: shown once when created, stored only as a sha256 hash, each with a scope.

Scopes nest: `report` (the aggregates a website's CMS needs: terms, synonyms, questions and
page suggestions, with their quotes, over recordings chosen by date, tag or language, never
by recording or person; no recording's list, transcript or audio), `read` (every
GET; includes report), `write` (uploads, corrections, deletions; includes read), `admin`
(voice profiles, which are biometric data, and a person's data export; includes write;
`enroll` on a speaker correction too). A revoked key stops working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db import ApiKey, SignedOutSession, utcnow
from api.websession import SESSION_DAYS

__all__ = [
    "SCOPES",
    "create_api_key",
    "find_api_key",
    "list_api_keys",
    "needed_scope",
    "revoke_api_key",
    "scope_allows",
]

_PREFIX = "ra_"
SCOPES = ("report", "read", "write", "admin")  # each includes the ones before it
_REPORTS = frozenset(
    f"/api/v1/{name}" for name in ("terms", "terms/rising", "synonyms", "questions")
)
_READING = ("GET", "HEAD", "OPTIONS")


def scope_allows(granted: str, needed: str) -> bool:
    return granted in SCOPES and SCOPES.index(granted) >= SCOPES.index(needed)


# Filters that narrow a report to one recording or one person: with them, its quotes are
# that recording's or person's words (nearly a whole transcript), which `report` keys must
# not read.
# `said` too: a report key could otherwise ask which rare or sensitive word was said, day by
# day, and subtract two reports that differ by one conversation.
PERSONAL_FILTERS = ("recording_id", "customer", "salesperson", "said")


def needed_scope(method: str, path: str, query: Mapping[str, str] | None = None) -> str:
    """The scope a request to the API needs (`query`: its query parameters)."""
    if path in _REPORTS or path == "/api/v1/suggestions":
        if any((query or {}).get(name, "").strip() for name in PERSONAL_FILTERS):
            return "read"
    if path.startswith("/api/v1/voices") and method not in ("GET", "HEAD"):
        return "admin"
    if path.startswith("/api/v1/people"):  # all of one person's data at once
        return "admin"
    if (path in _REPORTS and method in _READING) or path == "/api/v1/suggestions":
        return "report"  # suggestions change nothing
    if method in _READING:
        return "read"
    return "write"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(session: Session, name: str, scope: str = "write") -> str:
    """Create a key and return it in full: the only time it can be seen."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    key = _PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(name=name.strip()[:100] or "key", prefix=key[:10], key_hash=_hash(key), scope=scope)
    )
    session.commit()
    return key


def revoke_api_key(session: Session, name_or_prefix: str) -> list[ApiKey]:
    """Revoke the active keys with this name or prefix; returns them."""
    wanted = name_or_prefix.strip().rstrip("…")
    keys = [
        key
        for key in list_api_keys(session)
        if key.revoked_at is None and wanted and (key.name == wanted or key.prefix == wanted)
    ]
    for key in keys:
        key.revoked_at = utcnow()
    session.commit()
    return keys


def find_api_key(session: Session, key: str) -> ApiKey | None:
    if not key.startswith(_PREFIX):
        return None
    found = session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(key)))
    if found is None or found.revoked_at is not None:
        return None
    return found


def list_api_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()


def sign_out_session(session: Session, ident: str) -> None:
    """Refuse this web session's cookie from now on, until it would have expired anyway;
    forget sessions whose cookies have expired since."""
    now = utcnow()
    session.execute(delete(SignedOutSession).where(SignedOutSession.expires_at < now))
    session.commit()
    # No look before the insert: two tabs signing out at once would both look, both insert,
    # and one fail. A row already there means the session is already signed out.
    session.add(SignedOutSession(ident=ident, expires_at=now + timedelta(days=SESSION_DAYS)))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()


def session_signed_out(session: Session, ident: str) -> bool:
    return session.get(SignedOutSession, ident) is not None
