"""API keys: shown once when created, stored only as a sha256 hash."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import ApiKey

__all__ = ["create_api_key", "find_api_key", "list_api_keys"]

_PREFIX = "ra_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(session: Session, name: str) -> str:
    """Create a key and return it in full: the only time it can be seen."""
    key = _PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name.strip()[:100] or "key", prefix=key[:10], key_hash=_hash(key)))
    session.commit()
    return key


def find_api_key(session: Session, key: str) -> ApiKey | None:
    if not key.startswith(_PREFIX):
        return None
    found = session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(key)))
    if found is None or found.revoked_at is not None:
        return None
    return found


def list_api_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()
