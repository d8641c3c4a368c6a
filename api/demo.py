"""`serve --demo`: load the sample conversations so the report means something at once."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from sqlalchemy import func, select

from analyze import count_terms, utterances_from_transcript
from api import termstore
from api.auth import create_api_key
from api.db import ApiKey, Recording, Status, get_database, utcnow
from api.service import people_in
from api.settings import Settings
from samples import sample_transcripts
from transcribe import Transcript

__all__ = ["prepare_demo"]

_DEMO_PEOPLE = {
    "zonnepanelen_gesprek": (
        "Zonnepanelen en thuisbatterij — mevrouw De Vries",
        "Mark",
        "De Vries",
    ),
    "warmtepomp_gesprek": ("Warmtepomp en zonnepanelen — meneer Bakker", "Mark", "Bakker"),
}


def prepare_demo(settings: Settings) -> str | None:
    """Insert the sample transcripts once; return a new API key if none exists yet."""
    settings.make_data_dir()
    database = get_database(settings.sqlalchemy_url)
    with database.session() as session:
        for path in sample_transcripts():
            recording_id = hashlib.sha256(f"demo:{path.stem}".encode()).hexdigest()[:32]
            if session.get(Recording, recording_id) is not None:
                continue
            transcript = Transcript.from_dict(json.loads(path.read_text(encoding="utf-8")))
            utterances = utterances_from_transcript(transcript, recording_id)
            title, salesperson, customer = _DEMO_PEOPLE.get(path.stem, (path.stem, None, None))
            recording = Recording(
                id=recording_id,
                title=f"{title} (demo transcript)",
                salesperson=salesperson,
                customer=customer,
                recorded_at=date(2026, 11, 2),
                filename=path.name,
                size_bytes=0,
                duration_s=transcript.duration_s,
                language_requested="nl",
                language=transcript.language,
                model=transcript.model,
                status=Status.done,
                progress=1.0,
                attempts=0,
                consent=True,
                consent_at=utcnow(),
                transcript_json=json.dumps(transcript.to_dict(), ensure_ascii=False),
            )
            session.add(recording)
            session.flush()
            terms = count_terms(utterances, recording_id, people=people_in(recording, transcript))
            termstore.store_analysis(session, recording, terms, utterances)
        session.commit()
        if session.scalar(select(func.count()).select_from(ApiKey)):
            return None
        return create_api_key(session, "demo", scope="admin")
