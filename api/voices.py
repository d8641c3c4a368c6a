"""Enrolled voice profiles, kept in the database.

A folder of JSON files (`transcribe.VoiceProfileStore`) served one machine. A web server
and workers on several machines must recognise the same people, and a voice deleted on one
must be gone on all (a voice print is biometric data), so the profiles live in the same
database as the recordings. Folders from before are moved in by `import_voice_files`.
"""

from __future__ import annotations

import json
import logging
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.db import UpgradeStep, VoiceRow, insert_on_conflict, utcnow
from transcribe import VoiceProfile
from transcribe.roles import check_new_profile_name

logger = logging.getLogger(__name__)


def _columns(profile: VoiceProfile) -> dict[str, Any]:
    stored = profile.to_dict()
    return {
        "name": profile.name,
        "role": profile.role,
        "backend": profile.backend,
        "embedding_json": json.dumps(stored["embedding"]),
        "consent_by": profile.consent_by,
        "enrolled_at": profile.enrolled_at,
    }


def _profile(row: VoiceRow) -> VoiceProfile | None:
    try:
        return VoiceProfile.from_dict(
            {
                "name": row.name,
                "role": row.role,
                "backend": row.backend,
                "embedding": json.loads(row.embedding_json),
                "consent_by": row.consent_by,
                "enrolled_at": row.enrolled_at,
            }
        )
    except (ValueError, TypeError) as e:  # a row written by hand, or by a newer version
        # No name in the log: it is a person's (README: logs hold no personal data).
        logger.warning("skipping an unreadable voice profile: %s", e)
        return None


def list_voices(session: Session) -> list[VoiceProfile]:
    """Every readable profile, sorted by name as people read it."""
    profiles = [_profile(row) for row in session.scalars(select(VoiceRow))]
    return sorted((p for p in profiles if p is not None), key=lambda p: p.name.casefold())


def _stored_name(session: Session, name: str) -> str | None:
    """The name a profile is stored under for `name`: the same, or the same in other
    capitals ("pieter de smet" is Pieter de Smet: one person, one profile)."""
    name = " ".join(name.split())
    if session.get(VoiceRow, name) is not None:
        return name
    key = name.casefold()
    names = session.scalars(select(VoiceRow.name))
    return next((n for n in names if " ".join(n.split()).casefold() == key), None)


def find_voice(session: Session, name: str) -> VoiceProfile | None:
    """The profile called `name`, in any capitals (surrounding spaces ignored, as when it
    was enrolled)."""
    stored = _stored_name(session, name)
    row = session.get(VoiceRow, stored) if stored is not None else None
    return _profile(row) if row is not None else None


def save_voice(session: Session, profile: VoiceProfile) -> VoiceProfile:
    """Store the profile, replacing one of the same name in any capitals (whose spelling
    stays), and commit; the profile as stored (its name without surrounding spaces, as it
    is looked up and deleted by). ValueError for a name a new profile cannot take."""
    profile = replace(profile, name=check_new_profile_name(profile.name))
    stored = _stored_name(session, profile.name)
    if stored is not None:  # the same person: their profile, under its name as written
        profile = replace(profile, name=stored)
    columns = _columns(profile)
    statement = insert_on_conflict(session, VoiceRow).values(**columns)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={k: v for k, v in columns.items() if k != "name"}
        )
    )
    session.commit()
    return profile


def remove_voice(session: Session, name: str) -> bool:
    """Delete the profile called `name`, in any capitals (not committed); False when there
    was none."""
    stored = _stored_name(session, name)
    if stored is None:
        return False
    deleted = session.execute(delete(VoiceRow).where(VoiceRow.name == stored))
    return bool(deleted.rowcount)  # type: ignore[attr-defined]


_VOICE_FILES_MOVED = "voice profile files moved in"


def import_voice_files(session: Session, directory: Path, *, once: bool = True) -> int:
    """Move the profiles of a folder of JSON files (how earlier versions kept them) into the
    database, and delete each file once its profile is committed: a voice print should not
    stay behind in a second place. A profile the database already has under that name wins.
    Unreadable files stay, with a warning; so does a file that cannot be deleted (a folder
    mounted read-only), with a warning to delete it by hand.

    With `once` (every start), this happens once for a database: a machine starting later
    with its own old copy of the folder must not bring back a voice deleted meanwhile, at a
    person's request. Its files are left alone, with a warning; `ridealong voices import`
    moves them in on purpose. Returns how many files were moved."""
    if once:  # claimed first, so a machine starting at the same moment leaves its copy
        step = insert_on_conflict(session, UpgradeStep).values(
            name=_VOICE_FILES_MOVED, done_at=utcnow()
        )
        # RETURNING, not rowcount: PostgreSQL's driver gives -1 for a conflict skipped.
        claimed = session.execute(
            step.on_conflict_do_nothing(index_elements=["name"]).returning(UpgradeStep.name)
        ).scalar_one_or_none()
        session.commit()
        if claimed is None:
            if directory.is_dir() and any(directory.glob("*.json")):
                logger.warning(
                    "voice profile files in %s were not moved into the database: that was "
                    "done once already, and a profile deleted since would come back. Delete "
                    "the folder, or move them in on purpose with `ridealong voices import`",
                    directory,
                )
            return 0
    if not directory.is_dir():
        return 0
    moved = 0
    stuck = False
    for path in sorted(directory.glob("*.json")):
        try:
            profile = VoiceProfile.from_dict(json.loads(path.read_text(encoding="utf-8")))
            profile = replace(profile, name=profile.name.strip())  # as it is looked up
            columns = _columns(profile)
        except (OSError, ValueError, KeyError, TypeError) as e:
            # The folder, not the file: a file's name is made from the person's name.
            logger.warning(
                "a voice profile in %s cannot be read (%s); left where it is",
                directory,
                type(e).__name__,  # an OSError's text holds the path
            )
            continue
        statement = insert_on_conflict(session, VoiceRow).values(**columns)
        added = session.execute(
            statement.on_conflict_do_nothing(index_elements=["name"]).returning(VoiceRow.name)
        ).scalar_one_or_none()
        session.commit()
        if added is None:
            logger.warning("a voice profile file named one the database has; the database's kept")
        try:
            path.unlink(missing_ok=True)
        except OSError:
            stuck = True
        moved += 1
    if stuck:
        logger.warning(
            "voice profile files in %s are in the database now but could not be deleted "
            "(read-only?): delete them by hand, they hold voice prints",
            directory,
        )
    if moved:
        logger.info("moved %d voice profile(s) from %s into the database", moved, directory)
    with suppress(OSError):  # only when nothing is left in it
        directory.rmdir()
    return moved
